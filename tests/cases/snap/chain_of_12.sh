#!/bin/sh
# desc: a chain of 12 snapshots (image -> layers -> container) keeps every layer's data
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16
d=$(tb_vol p0/l0)
expect_ok tbpattern write "$d" 0 1M 100
i=1
while [ $i -le 12 ]; do
	d=$(tb_snap p0/l$((i - 1)) l$i)
	expect_ok tbpattern write "$d" $((i * 1024 * 1024)) 1M $((100 + i))
	expect_ok tbpattern write "$d" 0 4K $((200 + i))
	i=$((i + 1))
done
# layer k has its own first 4K, the blocks of layers 1..k, and nothing above
k=0
for dev in $(thinctl -j vol list p0 | jq -r 'sort_by(.id) | .[].device'); do
	if [ $k -eq 0 ]; then
		expect_ok tbpattern verify "$dev" 0 1M 100
	else
		expect_ok tbpattern verify "$dev" 0 4K $((200 + k))
		expect_ok tbpattern verify "$dev" 4K 1020K 100
	fi
	j=1
	while [ $j -le $k ]; do
		expect_ok tbpattern verify "$dev" $((j * 1024 * 1024)) 1M $((100 + j))
		j=$((j + 1))
	done
	expect_ok tbpattern zero "$dev" $(((k + 1) * 1024 * 1024)) 1M
	k=$((k + 1))
done
expect_eq "$k" 13 "volumes in the chain"
