#!/bin/sh
# desc: a new volume never shows data of a deleted one, even on partial writes
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16 --block-size 64K
a=$(tb_vol p0/a)
expect_ok tbpattern write "$a" 0 60M 7
expect_ok thinctl vol delete p0/a
sync
sleep 2
b=$(tb_vol p0/b)
# 512-byte writes into every block: the other 63.5K of each must be zeros
i=0
while [ $i -lt 900 ]; do
	expect_ok tbpattern write "$b" $((i * 65536 + 4096)) 512 $i
	i=$((i + 1))
done
i=0
while [ $i -lt 900 ]; do
	expect_ok tbpattern zero "$b" $((i * 65536)) 4096
	expect_ok tbpattern zero "$b" $((i * 65536 + 4608)) 60928
	i=$((i + 37))
done
