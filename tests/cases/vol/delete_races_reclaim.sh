#!/bin/sh
# desc: 100 deletes while the background reclaim frees earlier ones and a reader walks every volume's sysfs attributes: the survivors stay listed, indexed and readable, the metadata checks clean
# needs: thinctl
# timeout: 600
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16 --basesize 64M
ROUNDS=100
keep=$(tb_vol p0/keep)
expect_ok tbpattern write "$keep" 0 1M 7
rm -f /tmp/stop
( while [ ! -e /tmp/stop ]; do
	cat /sys/block/thinblk*/thinblk/* > /dev/null 2>&1
done ) &
reader=$!
trap 'touch /tmp/stop' EXIT
i=0
while [ $i -lt $ROUNDS ]; do
	v=$(tb_vol p0/v$i)
	# a few leaves each, so that the reclaim has work when the next delete comes
	expect_ok tbpattern -D -N write "$v" 0 64K $i 16M 4
	[ $((i % 10)) = 0 ] && tb_snap p0/v$i s$i > /dev/null
	expect_ok thinctl vol delete p0/v$i
	i=$((i + 1))
done
touch /tmp/stop
wait $reader
expect_eq "$(tb_field 'vol list p0' '[.[].name] | sort | join(",")')" \
	"keep,s0,s10,s20,s30,s40,s50,s60,s70,s80,s90" "volumes left"
for n in keep s0 s50 s90; do
	expect_eq "$(cat /sys/block/$(basename "$(tb_field "vol show p0/$n" .device)")/thinblk/volume)" \
		"$n" "sysfs name of $n"
done
expect_ok tbpattern verify "$keep" 0 1M 7
expect_ok tbpattern -D verify "$(tb_field 'vol show p0/s90' .device)" 0 64K 90 16M 4
tb_wait_field 'pool show p0' .data_used $((1024 * 1024 + 10 * 4 * 65536)) "space after the reclaim"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
