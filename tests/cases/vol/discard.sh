#!/bin/sh
# desc: discarding whole blocks unmaps them and lowers usage; shared blocks only lose a reference
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 8M 1
expect_eq "$(tb_field 'vol show p0/v' .referenced)" 8388608 "referenced before"
expect_ok blkdiscard -o 1M -l 2M "$v"
expect_eq "$(tb_field 'vol show p0/v' .referenced)" 6291456 "referenced after discard"
expect_ok tbpattern zero "$v" 1M 2M
expect_ok tbpattern verify "$v" 0 1M 1
expect_ok tbpattern verify "$v" 3M 5M 1
s=$(tb_snap p0/v s)
expect_ok blkdiscard -o 4M -l 1M "$v"
expect_ok tbpattern verify "$s" 4M 1M 1
expect_ok tbpattern zero "$v" 4M 1M
sync; sleep 2
expect_eq "$(tb_field 'pool show p0' .data_used)" 6291456 "pool data used (shared blocks kept)"
