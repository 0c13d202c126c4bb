#!/bin/sh
# desc: fault points data_write and data_read: a failed data write or copy-on-write fails that write only (EIO, counted), the pool stays writable, the old data, the snapshot and other blocks are intact, and the same write works after
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_load_faults
tb_pool_setup p0 64 64
v=$(tb_vol p0/v)
expect_ok tbpattern -D write "$v" 0 4M 1
# a write into a new block
tb_fault data_write 0 1
expect_err "Input/output error" tbpattern -D write "$v" 8M 64K 2
expect_eq "$(tb_fault_hits data_write)" 1 "data_write fired"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after a failed data write"
expect_ok tbpattern -D write "$v" 8M 64K 2
expect_ok tbpattern -D verify "$v" 8M 64K 2
# an overwrite in place: the block holds the old data or the new, nothing else
tb_fault data_write 0 1
expect_fail tbpattern -D write "$v" 0 64K 3
expect_ok tbpattern -D verify "$v" 0 64K 1,3
# breaking sharing: a partial write to a block shared with a snapshot; the
# copy or the write fails, the origin and the snapshot keep the old data
s=$(tb_snap p0/v s)
tb_fault data_write 0 1
expect_fail tbpattern -D write "$v" 1M 4K 4
expect_eq "$(tb_fault_hits data_write)" 1 "data_write fired in the copy"
expect_ok tbpattern -D verify "$v" 1M 64K 1
tb_fault data_read 0 1
expect_fail tbpattern -D write "$v" 1M 4K 4
expect_eq "$(tb_fault_hits data_read)" 1 "data_read fired in the copy"
expect_ok tbpattern -D verify "$v" 1M 64K 1
expect_ok tbpattern -D verify "$s" 64K 4032K 1
expect_ok tbpattern -D write "$v" 1M 4K 4
expect_ok tbpattern -D verify "$v" 1M 4K 4
expect_ok tbpattern -D verify "$v" 1052672 60K 1
expect_ok tbpattern -D verify "$s" 1M 64K 1
# a failed read is only that read
tb_fault data_read 0 1
expect_err "Input/output error" tbpattern -D verify "$v" 2M 64K 1
expect_ok tbpattern -D verify "$v" 2M 64K 1
[ "$(thinctl -j stats --no-stream p0/v | jq '.[0].errors')" -ge 4 ] || fail "errors not counted"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode at the end"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
