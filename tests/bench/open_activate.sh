#!/bin/sh
# desc: pool open with 1,000 volumes: --activate all vs none (make bench)
# timeout: 1200
# Issue 13: a volume's block device (gendisk, sysfs, udev event) is what makes
# a pool open slow, not reading its records.  1,000 volumes are created
# inactive (no device: quick), the pool is closed, then opened with
# --activate none and with --activate all, twice each, alternating; the
# better time of each is printed, with the ratio.  Times under TCG on a shared
# machine are noise: read the ratio.  Nothing here asserts a time.
# Env: BENCH_OPEN_VOLS (default 1000).
. /tests/lib/guest.sh

NVOL=${BENCH_OPEN_VOLS:-1000}
DATA=/dev/ram0
META=/dev/ram1

now_cs() {	# centiseconds since boot
	awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime
}

open_cs() {	# open_cs MODE -> centiseconds the open took (the pool closed again)
	_t0=$(now_cs)
	thinctl pool open bo --data $DATA --metadata $META --activate "$1" ||
		fail "pool open --activate $1"
	_t1=$(now_cs)
	_n=$(ls /sys/block | grep -c '^thinblk' || true)
	case $1 in
	all) [ "$_n" -eq "$NVOL" ] || fail "--activate all: $_n block devices, want $NVOL" ;;
	none) [ "$_n" -eq 0 ] || fail "--activate none: $_n block devices, want 0" ;;
	esac
	thinctl pool close bo || fail "pool close"
	echo $((_t1 - _t0))
}

thousands() {	# 1000 -> 1,000
	awk -v n="$1" 'BEGIN { s = n ""; r = "";
		while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
		print s r }'
}

min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }

brd_setup 2 256
tb_load
thinctl pool create bo --data $DATA --metadata $META --basesize 64M || fail "pool create"
t0=$(now_cs)
i=0
while [ $i -lt "$NVOL" ]; do
	thinctl -q vol create --inactive bo/v$i || fail "vol create v$i"
	i=$((i + 1))
done
info "$NVOL inactive volumes created in $(( ($(now_cs) - t0) * 10 )) ms"
thinctl pool close bo || fail "pool close"

none1=$(open_cs none)
all1=$(open_cs all)
none2=$(open_cs none)
all2=$(open_cs all)
none=$(min "$none1" "$none2")
all=$(min "$all1" "$all2")
echo
echo "== pool open =="
printf '%-36s %10s %10s %8s\n' case all none all/none
label="pool open $(thousands "$NVOL") volumes: all vs none"
printf '%-36s %9sms %9sms %8s\n' "$label" \
	$((all * 10)) $((none * 10)) \
	"$(awk -v a="$all" -v b="$none" 'BEGIN { if (b == 0) print "n/a"; else printf "%.1fx", a / b }')"
info "runs (ms): none $((none1 * 10)) $((none2 * 10)), all $((all1 * 10)) $((all2 * 10))"
thinctl pool open bo --data $DATA --metadata $META --activate none || fail "pool open"
thinctl pool destroy --force bo || fail "pool destroy"
