#!/bin/sh
# desc: exclusive usage (cached between changes) follows every change that moves ownership: writes, snapshots, CoW in a sharer, deletes
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
B=65536
excl() {	# excl VOL -> exclusive blocks
	echo $(( $(tb_field "vol show p0/$1" .exclusive) / B ))
}
o=$(tb_vol p0/base)
expect_ok tbpattern write "$o" 0 1M 1			# blocks 0-15
expect_eq "$(excl base)" 16 "base alone"
expect_eq "$(excl base)" 16 "base alone, asked again (cached)"
s=$(tb_snap p0/base snap)
expect_eq "$(excl base)" 0 "base after the snapshot"
expect_eq "$(excl snap)" 0 "snap after the snapshot"
# the snapshot overwrites block 0: its copy is its own, and block 0 of base
# is no longer shared with anyone
expect_ok tbpattern write "$s" 0 64K 2
expect_eq "$(excl snap)" 1 "snap after one CoW"
expect_eq "$(excl base)" 1 "base after the snapshot's CoW"
# base writes a new block: only base changes
expect_ok tbpattern write "$o" 2M 64K 3
expect_eq "$(excl base)" 2 "base after a new block"
expect_eq "$(excl snap)" 1 "snap unchanged by base's new block"
# a second snapshot of snap shares snap's blocks
s2=$(tb_snap p0/snap snap2)
expect_eq "$(excl snap)" 0 "snap after being snapshotted"
expect_eq "$(excl base)" 2 "base unchanged by snap2"
# deleting snap (once reclaimed) gives snap2 everything it shares with nobody else
expect_ok thinctl vol delete p0/snap
tb_wait_field 'vol show p0/snap2' .exclusive $B "snap2 exclusive after deleting snap"
expect_ok thinctl vol delete p0/snap2
tb_wait_field 'vol show p0/base' .exclusive $((17 * B)) "base exclusive after deleting its snapshots"
expect_eq "$(tb_field 'pool show p0' .data_used)" $((17 * B)) "pool data used"
