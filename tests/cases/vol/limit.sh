#!/bin/sh
# desc: an allocation limit fails writes of that volume with ENOSPC; pool and other volumes go on
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16
a=$(tb_vol p0/a --limit 1M)
b=$(tb_vol p0/b)
expect_eq "$(tb_field 'vol show p0/a' .limit)" 1048576 "limit"
expect_ok tbpattern write "$a" 0 1M 1
expect_fail tbpattern write "$a" 1M 64K 2
expect_ok tbpattern verify "$a" 0 1M 1
# overwrites of owned blocks are fine
expect_ok tbpattern write "$a" 0 64K 3
expect_ok tbpattern write "$b" 0 4M 4
expect_ok tbpattern verify "$b" 0 4M 4
expect_eq "$(tb_field 'pool show p0' .mode)" write "pool mode"
expect_ok thinctl vol set p0/a --limit none
expect_eq "$(tb_field 'vol show p0/a' .limit)" null "limit removed"
expect_ok tbpattern write "$a" 1M 64K 2
expect_ok tbpattern verify "$a" 1M 64K 2
