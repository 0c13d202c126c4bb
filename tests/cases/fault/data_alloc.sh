#!/bin/sh
# desc: fault point data_alloc: while allocations find no space, writes needing a block fail per policy (error: ENOSPC at once; queue: after the timeout), overwrites and other volumes' data go on, and the pool writes again after
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_load_faults
tb_pool_setup p0 64 64 --no-space error
a=$(tb_vol p0/a)
b=$(tb_vol p0/b)
expect_ok tbpattern -D write "$b" 0 1M 1
# "the data device is full", from the allocator's view
tb_fault data_alloc 0 -1
t0=$(cut -d. -f1 /proc/uptime)
expect_err "No space left on device" tbpattern -D write "$a" 0 64K 2
t1=$(cut -d. -f1 /proc/uptime)
[ $((t1 - t0)) -lt 5 ] || fail "the error policy took $((t1 - t0)) s"
[ "$(tb_fault_hits data_alloc)" -ge 1 ] || fail "data_alloc did not fire"
expect_eq "$(tb_field 'pool show p0' .mode)" out-of-data-space "mode while no block can be had"
# mapped blocks: read and overwritten as before
expect_ok tbpattern -D verify "$b" 0 1M 1
expect_ok tbpattern -D write "$b" 0 64K 3
expect_ok tbpattern -D verify "$b" 0 64K 3
# the queue policy: the write waits for the timeout, then fails
expect_ok thinctl pool set p0 --no-space queue:3
t0=$(cut -d. -f1 /proc/uptime)
expect_err "No space left on device" tbpattern -D write "$a" 1M 64K 4
t1=$(cut -d. -f1 /proc/uptime)
[ $((t1 - t0)) -ge 2 ] || fail "the queued write failed before the timeout ($((t1 - t0)) s)"
[ $((t1 - t0)) -lt 30 ] || fail "the queued write waited $((t1 - t0)) s"
tb_fault data_alloc 0 0
# blocks can be had again: the next write takes one, the pool writes again
expect_ok tbpattern -D write "$a" 0 64K 2
expect_ok tbpattern -D verify "$a" 0 64K 2
tb_wait_field 'pool show p0' .mode write "mode once a block was had again"
expect_ok tbpattern -D verify "$b" 64K 960K 1
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
