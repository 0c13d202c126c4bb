#!/bin/sh
# desc: origin and snapshot are isolated in both directions; both stay online
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16
o=$(tb_vol p0/base)
expect_ok tbpattern write "$o" 0 8M 1
s=$(tb_snap p0/base snap1)
expect_eq "$(tb_field 'vol show p0/snap1' .origin)" base "origin of snap1"
expect_ok tbpattern verify "$s" 0 8M 1
# write to the origin: the snapshot keeps the old data
expect_ok tbpattern write "$o" 100K 8K 2
expect_ok tbpattern verify "$s" 0 8M 1
expect_ok tbpattern verify "$o" 100K 8K 2
# write to the snapshot: the origin keeps its data
expect_ok tbpattern write "$s" 3M 1M 3
expect_ok tbpattern verify "$o" 3M 1M 1
expect_ok tbpattern verify "$s" 3M 1M 3
expect_ok tbpattern verify "$s" 100K 8K 1
# exclusive usage: blocks no longer shared belong to one side only (base: its
# new copy of block 1 and the old blocks 48-63 the snapshot no longer uses)
expect_eq "$(tb_field 'vol show p0/base' .exclusive)" $((17 * 65536)) "base exclusive"
expect_eq "$(tb_field 'vol show p0/snap1' .exclusive)" $((17 * 65536)) "snap1 exclusive"
expect_eq "$(tb_field 'vol show p0/snap1' .referenced)" $((128 * 65536)) "snap1 referenced"
