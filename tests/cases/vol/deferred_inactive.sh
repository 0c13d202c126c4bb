#!/bin/sh
# desc: pool open --activate LIST naming a volume marked for deletion, or none, is refused with the metadata unchanged; vol activate after pool open --activate all records the state (the disk existed already); a volume flagged inactive, activated by pool open --activate all, opened and marked vol delete --deferred, then a power cut: the pool opens again (the record's flags are valid), the volume is deleted there, check is clean
# needs: thinctl jq
# disks: data=256M meta=32M
# boots: 2
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
if [ "$TB_BOOT" = 1 ]; then
	expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta" --basesize 64M
	x=$(tb_vol p0/x)
	k=$(tb_vol p0/keep)
	expect_ok tbpattern write "$x" 0 4M 1
	expect_ok tbpattern write "$k" 0 1M 2
	y=$(tb_vol p0/y)
	expect_ok thinctl vol deactivate p0/x
	expect_ok thinctl vol deactivate p0/y
	expect_ok thinctl pool close p0
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta" --activate all
	x=$(tb_field 'vol show p0/x' .device)
	[ -b "$x" ] || fail "x has no device after --activate all: '$x'"
	# y has its disk from --activate all; its record still says inactive
	expect_ok thinctl vol activate p0/y
	exec 3<"$x"
	expect_ok thinctl vol delete --deferred p0/x
	expect_eq "$(tb_field 'vol show p0/x' .deferred_delete)" true "x marked"
	tb_crash
else
	expect_ok thinctl check --metadata "$DISK_meta"
	# a list naming x (this open would delete it) or no volume is refused
	# before the open commits anything: x is still there to delete
	dd if="$DISK_meta" of=/tmp/meta.before bs=1M 2>/dev/null || fail "copy the metadata"
	expect_err "marked for deletion" thinctl pool open p0 --data "$DISK_data" \
		--metadata "$DISK_meta" --activate keep,x
	expect_err "no volume \"nope\"" thinctl pool open p0 --data "$DISK_data" \
		--metadata "$DISK_meta" --activate nope
	cmp -s "$DISK_meta" /tmp/meta.before || fail "a refused open changed the metadata"
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
	expect_fail thinctl vol show p0/x
	expect_eq "$(tb_field 'vol show p0/y' .active)" true "y after a default open"
	k=$(tb_field 'vol show p0/keep' .device)
	expect_ok tbpattern verify "$k" 0 1M 2
	tb_wait_field 'pool show p0' .data_used $((16 * 65536)) "data used once x is reclaimed"
	expect_ok thinctl pool close p0
	expect_ok thinctl check --metadata "$DISK_meta"
fi
