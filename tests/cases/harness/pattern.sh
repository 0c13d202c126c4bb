#!/bin/sh
# desc: tbpattern writes, verifies and detects a single corrupted byte
. /tests/lib/guest.sh
brd_setup 1 16
expect_ok tbpattern write /dev/ram0 4K 1M 9
expect_ok tbpattern verify /dev/ram0 4K 1M 9
expect_fail tbpattern verify /dev/ram0 4K 1M 8
expect_ok tbpattern zero /dev/ram0 2M 1M
printf 'x' | dd of=/dev/ram0 bs=1 seek=70000 conv=notrunc 2>/dev/null
expect_fail tbpattern verify /dev/ram0 4K 1M 9
