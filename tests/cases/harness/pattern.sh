#!/bin/sh
# desc: tbpattern writes (buffered, O_DIRECT, O_DSYNC), verifies one seed or a list of them and detects a single corrupted byte
. /tests/lib/guest.sh
brd_setup 1 16
expect_ok tbpattern write /dev/ram0 4K 1M 9
expect_ok tbpattern verify /dev/ram0 4K 1M 9
expect_fail tbpattern verify /dev/ram0 4K 1M 8
expect_ok tbpattern zero /dev/ram0 2M 1M
printf 'x' | dd of=/dev/ram0 bs=1 seek=70000 conv=notrunc 2>/dev/null
expect_fail tbpattern verify /dev/ram0 4K 1M 9
# a list of seeds: each word must be one of them
expect_ok tbpattern write /dev/ram0 2M 1M 9
expect_ok tbpattern -N write /dev/ram0 2M 64K 3
expect_ok tbpattern verify /dev/ram0 2M 1M 9,3
expect_fail tbpattern verify /dev/ram0 2M 1M 9
expect_fail tbpattern verify /dev/ram0 2M 1M 9,4
# O_DIRECT and O_DSYNC writes, O_DIRECT reads; -D needs 4K alignment
expect_ok tbpattern -D -S write /dev/ram0 4M 64K 5
expect_ok tbpattern -D verify /dev/ram0 4M 64K 5
expect_fail tbpattern -D verify /dev/ram0 4M 64K 6
expect_fail tbpattern -D write /dev/ram0 100 4K 5
