#!/bin/sh
# desc: vol activate/deactivate: an inactive volume has no /dev node and no sysfs but keeps its data, usage and snapshots; deactivating an open device is refused (EBUSY); the state survives a reopen and a power cut after its commit; pool open --activate none/LIST/all is for that open only; deleting an inactive volume frees its space; events
# needs: thinctl jq
# disks: data=256M meta=32M
# boots: 2
# timeout: 400
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
MB=1048576

active() {	# active POOL/VOL -> true|false
	tb_field "vol show $1" .active
}

# no_disk DEV WHAT: the node and the sysfs directory of DEV are gone
no_disk() {
	[ ! -e "$1" ] || fail "$2: $1 still exists"
	[ ! -e "/sys/block/${1#/dev/}" ] || fail "$2: /sys/block/${1#/dev/} still exists"
	_checked=1
	expect_eq "$_checked" 1 "$2: no node, no sysfs"
}

# states POOL 'VOL=true VOL=false ...' WHAT: .active of each, one dump
states() {
	_json=$(thinctl -j vol list "$1") || fail "vol list $1: $_json"
	for _kv in $2; do
		expect_eq "$(echo "$_json" | jq -r ".[] | select(.name == \"${_kv%=*}\") | .active")" \
			"${_kv#*=}" "$3: ${_kv%=*} active"
	done
}

thinblk_disks() {	# how many thinblk block devices exist
	ls /sys/block | grep -c '^thinblk' || true
}

open_pool() {	# open_pool [--activate X]
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta" "$@"
}

if [ "$TB_BOOT" = 1 ]; then
	thinctl -j monitor > /tmp/ev.json 2>/tmp/ev.err &
	mon=$!
	sleep 1
	expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta" --basesize 64M
	a=$(tb_vol p0/a)
	expect_ok tbpattern write "$a" 0 4M 1
	expect_eq "$(active p0/a)" true "a after create"

	# refused while open, with EBUSY's message; the device stays
	exec 3<"$a"
	expect_err "busy" thinctl vol deactivate p0/a
	expect_eq "$(active p0/a)" true "a after the refused deactivate"
	[ -b "$a" ] || fail "a's node went with a refused deactivate"
	exec 3<&-

	expect_ok thinctl vol deactivate p0/a
	no_disk "$a" "a deactivated"
	expect_eq "$(active p0/a)" false "a after deactivate"
	expect_eq "$(tb_field 'vol show p0/a' .device)" null "a's device when inactive"
	expect_eq "$(tb_field 'vol show p0/a' .referenced)" $((4 * MB)) "usage of inactive a"
	expect_eq "$(tb_field 'vol show p0/a' .exclusive)" $((4 * MB)) "exclusive of inactive a"
	expect_ok thinctl vol deactivate p0/a	# again: nothing to do
	expect_ok thinctl vol list p0
	expect_eq "$(echo "$OUT" | head -1 | grep -c ACTIVE)" 1 "vol list has an ACTIVE column"

	# snapshots of an inactive volume: active unless --inactive
	s1=$(tb_snap p0/a s1)
	expect_ok tbpattern verify "$s1" 0 4M 1
	expect_ok thinctl vol snapshot --inactive p0/a s2
	expect_eq "$OUT" "" "snapshot --inactive prints no device"
	expect_eq "$(active p0/s2)" false "s2 created inactive"
	expect_eq "$(active p0/s1)" true "s1 created active"
	expect_eq "$(tb_field 'vol show p0/a' .exclusive)" 0 "a's blocks shared with s1 and s2"
	expect_ok thinctl vol resize p0/a 128M	# inactive: resized all the same

	# data back, and new writes, across deactivate/activate
	a=$(thinctl vol activate p0/a) || fail "vol activate: $a"
	[ -b "$a" ] || fail "vol activate printed '$a', not a block device"
	[ -d "/sys/block/${a#/dev/}/thinblk" ] || fail "a's sysfs attributes missing"
	expect_eq "$(cat "/sys/block/${a#/dev/}/thinblk/volume")" a "sysfs volume name"
	expect_eq "$(blockdev --getsize64 "$a")" $((128 * MB)) "size of a resized while inactive"
	expect_ok tbpattern verify "$a" 0 4M 1
	expect_ok tbpattern write "$a" 4M 1M 2
	expect_ok thinctl vol activate p0/a	# again: nothing to do
	expect_ok thinctl vol deactivate p0/a
	no_disk "$a" "a deactivated again"

	# an inactive volume deleted frees its space
	d=$(tb_vol p0/d)
	expect_ok tbpattern write "$d" 0 8M 7
	used=$(tb_field 'pool show p0' .data_used)
	expect_ok thinctl vol deactivate p0/d
	expect_ok thinctl vol delete p0/d
	expect_fail thinctl vol show p0/d
	tb_wait_field 'pool show p0' .data_used $((used - 8 * MB)) "space of inactive d freed"
	expect_fail thinctl vol activate p0/d

	b=$(tb_vol p0/b)
	expect_ok tbpattern write "$b" 0 1M 3
	states p0 "a=false s1=true s2=false b=true" "before the power cut"

	sleep 1
	kill "$mon"
	wait "$mon" 2>/dev/null
	expect_eq "$(jq -r 'select(.type == "vol-deactivated") | .volume' /tmp/ev.json | tr '\n' ' ')" \
		"a a d " "vol-deactivated events"
	expect_eq "$(jq -r 'select(.type == "vol-activated") | .volume' /tmp/ev.json | tr '\n' ' ')" \
		"a " "vol-activated events"

	# every state change above was committed: a power cut keeps them
	tb_crash
else
	expect_ok thinctl -j dump --metadata "$DISK_meta"
	expect_eq "$(json_get "$OUT" '[.volumes[] | select(.name == "a")][0].state')" inactive \
		"a's record after the power cut"
	expect_eq "$(json_get "$OUT" '[.volumes[] | select(.name == "s1")][0].state')" live \
		"s1's record"
	expect_ok thinctl check --metadata "$DISK_meta"

	open_pool
	states p0 "a=false s1=true s2=false b=true" "after the power cut"
	expect_eq "$(thinblk_disks)" 2 "block devices of s1 and b only"
	expect_ok thinctl pool close p0

	open_pool --activate none
	states p0 "a=false s1=false s2=false b=false" "--activate none"
	expect_eq "$(thinblk_disks)" 0 "block devices with --activate none"
	expect_eq "$(tb_field 'vol show p0/b' .referenced)" $((1 * MB)) "usage of b, inactive"
	expect_ok thinctl pool close p0

	expect_err "no volume \"nope\"" thinctl pool open p0 --data "$DISK_data" \
		--metadata "$DISK_meta" --activate a,nope
	expect_fail thinctl pool show p0
	expect_eq "$(thinblk_disks)" 0 "block devices after the refused open"
	expect_err "invalid" thinctl pool open p0 --data "$DISK_data" \
		--metadata "$DISK_meta" --activate 'a,b/c'

	open_pool --activate a,b
	states p0 "a=true s1=false s2=false b=true" "--activate a,b"
	a=$(tb_field 'vol show p0/a' .device)
	expect_ok tbpattern verify "$a" 0 4M 1
	expect_ok tbpattern verify "$a" 4M 1M 2
	expect_ok thinctl pool close p0

	# --activate is for that open only: the kept states are unchanged
	open_pool --activate all
	states p0 "a=true s1=true s2=true b=true" "--activate all"
	expect_ok thinctl pool close p0
	open_pool
	states p0 "a=false s1=true s2=false b=true" "default open after --activate all"

	# and vol activate is kept
	expect_ok thinctl vol activate p0/s2
	expect_ok thinctl pool close p0
	open_pool
	states p0 "a=false s1=true s2=true b=true" "after vol activate s2 and a reopen"
	s2=$(tb_field 'vol show p0/s2' .device)
	expect_ok tbpattern verify "$s2" 0 4M 1
	expect_ok thinctl pool close p0
	expect_ok thinctl check --metadata "$DISK_meta"
fi
