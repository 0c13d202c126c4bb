#!/bin/sh
# desc: exclusive usage is counted in pieces (the metadata lock is dropped between leaves): volumes of one leaf and of several leaves, before and after a snapshot diverges, with writes going on meanwhile, count exactly
# needs: thinctl
# timeout: 240
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 32 --basesize 1G
B=65536
LEAF=1018			# mapping entries per leaf (on-disk-format.md)
excl() { tb_field "vol show p0/$1" .exclusive; }
# one leaf: blocks 0-4
one=$(tb_vol p0/one)
expect_ok tbpattern write "$one" 0 $((5 * B)) 1
expect_eq "$(excl one)" $((5 * B)) "exclusive of a one-leaf volume"
# three leaves: 10 blocks at the start of leaves 0, 1 and 5
a=$(tb_vol p0/a)
for l in 0 1 5; do
	expect_ok tbpattern write "$a" $((l * LEAF * B)) $((10 * B)) 2
done
expect_eq "$(excl a)" $((30 * B)) "exclusive of a three-leaf volume"
s=$(tb_snap p0/a s)
expect_eq "$(excl a)" 0 "exclusive of the origin after a snapshot"
for l in 0 1 5; do
	expect_ok tbpattern -D write "$s" $((l * LEAF * B)) $((4 * B)) 3
done
expect_eq "$(excl s)" $((12 * B)) "exclusive of the snapshot after it diverged"
expect_eq "$(excl a)" $((12 * B)) "exclusive of the origin after the snapshot diverged"
# counts taken while another volume keeps writing
tbpattern -D write "$one" $((5 * B)) $((200 * B)) 4 &
w=$!
i=0
while [ $i -lt 20 ]; do
	expect_eq "$(excl a)" $((12 * B)) "exclusive of the origin while one writes ($i)"
	i=$((i + 1))
done
wait $w || fail "the writer failed"
expect_eq "$(excl one)" $((205 * B)) "exclusive of the one that wrote"
dmesg | grep -q "counting exclusive blocks failed" && fail "a count failed: $(dmesg | grep 'counting exclusive' | tail -1)"
expect_ok tbpattern verify "$s" 0 $((4 * B)) 3
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
