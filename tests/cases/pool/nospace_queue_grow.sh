#!/bin/sh
# desc: pool full with the queue policy: writes wait; growing the pool lets them finish; the timeout fails them
# needs: thinctl
# timeout: 180
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 64
# a 4 MiB data device that can grow: dm-linear over ram0
dm_set data "0 8192 linear /dev/ram0 0"
expect_ok thinctl pool create p0 --data /dev/mapper/data --metadata /dev/ram1 --no-space queue:30
v=$(tb_vol p0/v)
tbpattern write "$v" 0 6M 1 > /tmp/w.out 2>&1 &
w=$!
sleep 4
kill -0 $w 2>/dev/null || fail "write did not wait for space: $(cat /tmp/w.out)"
expect_eq "$(tb_field 'pool show p0' .mode)" out-of-data-space "mode while full"
# a snapshot can't wait for writes that wait for space (grow would wait for it)
expect_err "out of data space with writes waiting" thinctl vol snapshot p0/v snap
kill -0 $w 2>/dev/null || fail "the parked write ended with the refused snapshot: $(cat /tmp/w.out)"
dm_set data "0 16384 linear /dev/ram0 0"
expect_ok thinctl pool grow p0
wait $w || fail "queued write failed after grow: $(cat /tmp/w.out)"
expect_ok tbpattern verify "$v" 0 6M 1
expect_eq "$(tb_field 'pool show p0' .data_size)" 8388608 "data size after grow"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after grow"
# now fill it again with a short timeout: the write fails after the timeout
expect_ok thinctl pool set p0 --no-space queue:3
t0=$(cut -d. -f1 /proc/uptime)
expect_err "No space left on device" tbpattern -D write "$v" 6M 4M 2
t1=$(cut -d. -f1 /proc/uptime)
[ $((t1 - t0)) -ge 2 ] || fail "queued write failed too early ($((t1 - t0)) s)"
[ $((t1 - t0)) -lt 30 ] || fail "queued write not failed after the timeout ($((t1 - t0)) s)"
# after the timeout: still out of space, nothing written before was lost, and
# blocks that are mapped can still be overwritten
expect_eq "$(tb_field 'pool show p0' .mode)" out-of-data-space "mode after the timeout"
expect_ok tbpattern -D verify "$v" 0 6M 1
expect_ok tbpattern -D write "$v" 0 1M 3
expect_ok tbpattern -D verify "$v" 0 1M 3
# and growing again lets the failed range be written
dm_set data "0 32768 linear /dev/ram0 0"
expect_ok thinctl pool grow p0
expect_ok tbpattern -D write "$v" 6M 4M 2
expect_ok tbpattern -D verify "$v" 6M 4M 2
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after the second grow"
