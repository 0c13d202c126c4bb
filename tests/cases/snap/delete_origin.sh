#!/bin/sh
# desc: deleting an origin keeps its snapshots' data, and frees only what was exclusive
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16
o=$(tb_vol p0/img)
expect_ok tbpattern write "$o" 0 16M 1
s=$(tb_snap p0/img layer)
expect_ok tbpattern write "$o" 0 1M 2
used1=$(tb_field 'pool show p0' .data_used)
expect_ok thinctl vol delete p0/img
sleep 3
expect_ok tbpattern verify "$s" 0 16M 1
used2=$(tb_field 'pool show p0' .data_used)
expect_eq "$used2" $((used1 - 1048576)) "data used after deleting the origin"
expect_eq "$(tb_field 'vol show p0/layer' .origin)" null "origin of an orphaned snapshot"
expect_eq "$(tb_field 'vol show p0/layer' .exclusive)" $((16 * 1048576)) "layer now owns all its blocks"
