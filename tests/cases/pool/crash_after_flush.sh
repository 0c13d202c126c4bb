#!/bin/sh
# desc: after a crash (no close, no sync at the end) every write acknowledged before a flush, and every O_DSYNC (FUA) write, reads back (O_DIRECT: from the device, not the page cache)
# needs: thinctl
# disks: data=128M meta=16M
# boots: 2
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
if [ "$TB_BOOT" = 1 ]; then
	expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta"
	v=$(tb_vol p0/v)
	expect_ok tbpattern write "$v" 0 4M 1
	s=$(tb_snap p0/v s)
	expect_ok tbpattern write "$v" 1M 64K 2
	# tbpattern fsyncs: a flush reaches thinblk, which commits
	d=$(tb_vol p0/deleted)
	expect_ok tbpattern write "$d" 0 2M 9
	expect_ok thinctl vol delete p0/deleted
	expect_ok tbpattern write "$v" 8M 1M 3
	# O_DIRECT|O_DSYNC, no fsync: each write is REQ_FUA, acknowledged only
	# once it (and the mapping of its newly allocated block) is durable
	expect_ok tbpattern -D -S -N write "$v" 12M 256K 4
	# unflushed writes after that may or may not survive; then crash hard
	dd if=/dev/zero of="$v" bs=64k seek=200 count=16 2>/dev/null
	tb_crash
else
	expect_ok thinctl check --metadata "$DISK_meta"
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
	v=$(tb_field 'vol show p0/v' .device)
	s=$(tb_field 'vol show p0/s' .device)
	expect_ok tbpattern verify "$v" 0 1M 1
	expect_ok tbpattern verify "$v" 1M 64K 2
	expect_ok tbpattern verify "$v" 1088K 3008K 1
	expect_ok tbpattern verify "$v" 8M 1M 3
	expect_ok tbpattern -D verify "$v" 12M 256K 4
	expect_ok tbpattern verify "$s" 0 4M 1
	expect_fail thinctl vol show p0/deleted
fi
