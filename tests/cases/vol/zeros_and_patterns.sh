#!/bin/sh
# desc: unwritten blocks read as zeros; patterns written at odd offsets read back
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16
v=$(tb_vol p0/v1)
expect_ok tbpattern zero "$v" 0 8M
expect_ok tbpattern write "$v" 4K 20K 1
expect_ok tbpattern write "$v" 1M 1M 2
expect_ok tbpattern write "$v" 9G 64K 3
expect_ok tbpattern verify "$v" 4K 20K 1
expect_ok tbpattern verify "$v" 1M 1M 2
expect_ok tbpattern verify "$v" 9G 64K 3
# the rest of a partially written block was zeroed, not left stale
expect_ok tbpattern zero "$v" 0 4K
expect_ok tbpattern zero "$v" 24K 40K
expect_ok tbpattern zero "$v" 2M 1M
# blocks 0, 16-31 and one at 9G
expect_eq "$(tb_field 'vol show p0/v1' .referenced)" $((18 * 65536)) "referenced bytes"
