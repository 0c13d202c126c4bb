#!/bin/sh
# desc: two boots on the same image, the first ending in a power cut
# expect: pass
# disks: d=8M
# boots: 2
. /tests/lib/guest.sh
if [ "$TB_BOOT" = 1 ]; then
	expect_ok tbpattern write "$DISK_d" 0 1M 5
	tb_crash
else
	expect_ok tbpattern verify "$DISK_d" 0 1M 5
fi
