#!/bin/sh
# desc: volumes, snapshots and settings come back with their data after a clean reboot
# needs: thinctl
# disks: data=128M meta=16M
# boots: 2
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
if [ "$TB_BOOT" = 1 ]; then
	expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta" --basesize 2G --low-water 10M
	v=$(tb_vol p0/img)
	expect_ok tbpattern write "$v" 0 8M 1
	s=$(tb_snap p0/img ctr --size 4G --limit 32M)
	expect_ok tbpattern write "$s" 1M 1M 2
	expect_ok thinctl pool close p0
	expect_ok thinctl check --metadata "$DISK_meta"
else
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
	# opening an open pool again is fine (startup scripts)
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
	expect_eq "$(tb_field 'pool show p0' .basesize)" 2147483648 "basesize"
	expect_eq "$(tb_field 'pool show p0' .low_water)" 10485760 "low water"
	expect_eq "$(tb_field 'vol show p0/ctr' .size)" 4294967296 "snapshot size"
	expect_eq "$(tb_field 'vol show p0/ctr' .limit)" 33554432 "snapshot limit"
	expect_eq "$(tb_field 'vol show p0/ctr' .origin)" img "snapshot origin"
	expect_ok tbpattern verify "$(tb_field 'vol show p0/img' .device)" 0 8M 1
	s=$(tb_field 'vol show p0/ctr' .device)
	expect_ok tbpattern verify "$s" 0 1M 1
	expect_ok tbpattern verify "$s" 1M 1M 2
	expect_ok tbpattern verify "$s" 2M 6M 1
fi
