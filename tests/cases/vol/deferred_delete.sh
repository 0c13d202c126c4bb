#!/bin/sh
# desc: vol delete --deferred marks an open volume, deletes it at its last close (space freed), refuses snapshots of it; the mark survives a power cut and the volume is deleted when the pool opens
# needs: thinctl
# disks: data=256M meta=32M
# boots: 2
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
MB=1048576

gone_within() {	# gone_within POOL/VOL SECONDS WHAT
	_i=0
	while thinctl vol show "$1" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -le "$2" ] || fail "$3: $1 still there after $2 s"
		sleep 1
	done
}

if [ "$TB_BOOT" = 1 ]; then
	expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta" --basesize 64M
	c=$(tb_vol p0/c)
	expect_ok tbpattern write "$c" 0 4M 1
	expect_eq "$(tb_field 'pool show p0' .data_used)" $((4 * MB)) "data used by c"
	exec 3<"$c"
	expect_ok thinctl vol delete --deferred p0/c
	expect_eq "$(tb_field 'vol show p0/c' .deferred_delete)" true "c marked"
	expect_eq "$(tb_field 'vol show p0/c' .open)" 1 "c still open"
	expect_ok thinctl vol list p0
	row=$(echo "$OUT" | awk '$2 == "c"')
	expect_eq "${row##* }" yes "DEFERRED column of c in vol list"
	expect_eq "$(echo "$OUT" | head -1 | awk '{ print $NF }')" DEFERRED "vol list header"
	expect_err "busy" thinctl vol delete p0/c
	expect_ok thinctl vol delete --deferred p0/c	# again: idempotent
	expect_eq "$(tb_field 'vol show p0/c' .deferred_delete)" true "c still marked"
	expect_err "marked for deletion" thinctl vol snapshot p0/c s1
	expect_fail thinctl vol show p0/s1
	expect_err "volume \"c\" is open" thinctl pool close p0
	# opened again before its last close: the deletion waits for both
	exec 4<"$c"
	exec 3<&-
	sleep 2
	expect_eq "$(tb_field 'vol show p0/c' .open)" 1 "c held by the second opener"
	expect_eq "$(tb_field 'vol show p0/c' .deferred_delete)" true "c still marked"
	exec 4<&-
	gone_within p0/c 30 "deleted at its last close"
	tb_wait_field 'pool show p0' .data_used 0 "space of c freed"
	expect_eq "$(tb_field 'pool show p0' .volumes)" 0 "volumes after c"

	# not open: deleted at once
	n=$(tb_vol p0/n)
	expect_ok thinctl vol delete --deferred p0/n
	expect_fail thinctl vol show p0/n

	# marked while open, then a power cut before the last close
	d=$(tb_vol p0/d)
	expect_ok tbpattern write "$d" 0 2M 2
	k=$(tb_vol p0/keep)
	expect_ok tbpattern write "$k" 0 1M 3
	exec 3<"$d"
	expect_ok thinctl vol delete --deferred p0/d
	tb_crash
else
	expect_ok thinctl -j dump --metadata "$DISK_meta"
	expect_eq "$(json_get "$OUT" '[.volumes[] | select(.name == "d")][0].state')" deferred \
		"d's record after the power cut"
	expect_eq "$(json_get "$OUT" '[.volumes[] | select(.name == "keep")][0].state')" live \
		"keep's record"
	expect_ok thinctl check --metadata "$DISK_meta"
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
	expect_fail thinctl vol show p0/d
	tb_wait_field 'pool show p0' .data_used $((1 * MB)) "space of d freed at open"
	k=$(tb_field 'vol show p0/keep' .device)
	expect_eq "$(tb_field 'vol show p0/keep' .deferred_delete)" false "keep not marked"
	expect_ok tbpattern verify "$k" 0 1M 3
	expect_ok thinctl pool close p0
	expect_ok thinctl -j check --metadata "$DISK_meta"
	expect_eq "$(json_get "$OUT" .deleting)" 0 "records left deleting"
	expect_eq "$(json_get "$OUT" .volumes)" 1 "volumes left"
fi
