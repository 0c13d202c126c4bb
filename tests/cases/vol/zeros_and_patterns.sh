#!/bin/sh
# desc: unwritten blocks read as zeros, never the data device's old contents;
# desc: patterns written at odd offsets read back, cached and O_DIRECT
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 256
# The data device holds stale data (seed 99) before the pool is made: a
# block the module allocates without zeroing its unwritten part shows it.
expect_ok tbpattern write /dev/ram0 0 256M 99
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
v=$(tb_vol p0/v1)
w=$(tb_vol p0/v2)
expect_ok tbpattern zero "$v" 0 8M
expect_ok tbpattern -D zero "$v" 0 8M
expect_ok tbpattern write "$v" 4K 20K 1
expect_ok tbpattern write "$v" 1M 1M 2
expect_ok tbpattern write "$v" 9G 64K 3
expect_ok tbpattern -D -S write "$w" 68K 8K 4
expect_ok tbpattern write "$w" 200K 8 5
expect_ok tbpattern verify "$v" 4K 20K 1
expect_ok tbpattern verify "$v" 1M 1M 2
expect_ok tbpattern verify "$v" 9G 64K 3
echo 3 > /proc/sys/vm/drop_caches
expect_ok tbpattern -D verify "$v" 1M 1M 2
expect_ok tbpattern -D verify "$v" 9G 64K 3
expect_ok tbpattern -D verify "$w" 68K 8K 4
expect_ok tbpattern verify "$w" 200K 8 5
# the rest of a partially written block was zeroed, not left stale
for dev in "$v" "$w"; do
	expect_ok tbpattern zero "$dev" 0 4K
	expect_ok tbpattern -D zero "$dev" 0 4K
done
expect_ok tbpattern zero "$v" 24K 40K
expect_ok tbpattern -D zero "$v" 24K 40K
expect_ok tbpattern -D zero "$v" 2M 1M
expect_ok tbpattern zero "$w" 64K 4K
expect_ok tbpattern -D zero "$w" 76K 52K
expect_ok tbpattern zero "$w" 128K 72K
expect_ok tbpattern zero "$w" 204808 57336
# v1: blocks 0, 16-31 and one at 9G; v2: blocks 1 and 3
expect_eq "$(tb_field 'vol show p0/v1' .referenced)" $((18 * 65536)) "v1 referenced bytes"
expect_eq "$(tb_field 'vol show p0/v2' .referenced)" $((2 * 65536)) "v2 referenced bytes"
