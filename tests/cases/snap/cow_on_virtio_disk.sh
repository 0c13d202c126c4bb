#!/bin/sh
# desc: writes of 4K into blocks shared with a snapshot, on a disk that completes in interrupt context: the new block is the old one with the 4K laid over, the snapshot keeps the old data, also after a reopen
# needs: thinctl
# disks: data=64M meta=16M
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta"
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 4M 1
s=$(tb_snap p0/v s)
# 4K at 8K into each of the 64 shared blocks, written back one page at a time
expect_ok tbpattern write "$v" 8K 4K 2 64K 64
expect_ok blockdev --flushbufs "$v"
echo 3 > /proc/sys/vm/drop_caches
check() {
	expect_ok tbpattern verify "$v" 8K 4K 2 64K 64
	expect_ok tbpattern verify "$v" 0 8K 1 64K 64
	expect_ok tbpattern verify "$v" 12K 52K 1 64K 64
	expect_ok tbpattern verify "$s" 0 4M 1
}
check
expect_eq "$(thinctl -j stats --no-stream p0/v | jq '.[0].cow')" 64 "blocks copied for v"
expect_eq "$(tb_field 'vol show p0/v' .exclusive)" $((64 * 65536)) "v exclusive"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata "$DISK_meta"
expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
v=$(thinctl -j vol show p0/v | jq -r .device)
s=$(thinctl -j vol show p0/s | jq -r .device)
check
expect_ok thinctl pool close p0
