#!/bin/sh
# desc: two kills (kills: 2 3): each boot writes on until the host kills QEMU, the last one verifies what the first made durable
# expect: pass
# disks: d=8M
# kills: 2 3
. /tests/lib/guest.sh
if tb_killed_boot; then
	[ "$TB_BOOT" = 1 ] && expect_ok tbpattern write "$DISK_d" 0 1M 5
	tb_armed
	while :; do
		tbpattern -N write "$DISK_d" 1M 1M "$TB_BOOT" > /dev/null
	done
fi
expect_eq "$TB_BOOTS" 3 "TB_BOOTS"
expect_ok tbpattern verify "$DISK_d" 0 1M 5
