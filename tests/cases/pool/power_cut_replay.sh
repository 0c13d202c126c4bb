#!/bin/sh
# desc: dm-log-writes records a workload (writes, snapshot, CoW, delete, overwrite, discard) on both pool devices; replayed to every sampled flush, the metadata checks clean, the pool opens and every write finished before a mark reads back
# needs: thinctl
# timeout: 900
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
# ram0: the disk under test, ram1: its write log, ram2: the replay, ram3: scratch
brd_setup 4 128
DATA_S=$((96 * 2048))		# data: the first 96M; metadata: the next 16M
META_S=$((16 * 2048))
CHECKS=20			# flush points checked, besides every mark

linear_pair() {	# linear_pair PREFIX DEV: PREFIX-data and PREFIX-meta on DEV
	dm_set "$1-data" "0 $DATA_S linear $2 0"
	dm_set "$1-meta" "0 $META_S linear $2 $DATA_S"
}

mark() { dmsetup message lw 0 mark "$1" || fail "mark $1"; }

# ---- the workload, logged -------------------------------------------------
dmsetup create lw --table "0 $((112 * 2048)) log-writes /dev/ram0 /dev/ram1" || fail "log-writes"
linear_pair t /dev/mapper/lw
expect_ok thinctl pool create p0 --data /dev/mapper/t-data --metadata /dev/mapper/t-meta --basesize 256M
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 2M 1
mark s1
tb_snap p0/v snap > /dev/null
mark s2
expect_ok tbpattern write "$v" 1M 1M 3		# copy-on-write
mark s3
w=$(tb_vol p0/w)
expect_ok tbpattern write "$w" 0 4M 4
mark s4
expect_ok thinctl vol delete p0/snap
mark s5
expect_ok tbpattern write "$w" 0 1M 6		# overwrites in place
mark s6
expect_ok blkdiscard -o 2M -l 1M "$w"		# unmaps, frees, passes down
dd if=/dev/null of="$w" conv=notrunc,fsync 2>/dev/null || fail "fsync $w"
mark s7
expect_ok thinctl pool close p0
dmsetup remove t-meta t-data lw || fail "dmsetup remove"

# ---- replay ----------------------------------------------------------------
tbreplay list /dev/ram1 > /tmp/points || fail "tbreplay list"
nflush=$(grep -c ' flush' /tmp/points)
[ "$nflush" -gt 10 ] || fail "only $nflush flushes logged"
[ "$(grep -c ' mark s' /tmp/points)" = 7 ] || fail "marks missing from the log: $(grep mark /tmp/points)"
every=$(( (nflush + CHECKS - 1) / CHECKS ))
info "$(wc -l < /tmp/points) flush/FUA/mark entries, $nflush flushes; checking every ${every}th flush and every mark"

vol_dev() { thinctl -j vol show "p0/$1" 2>/dev/null | jq -r .device; }

# What must hold once mark s$K is in the log (K = 0: before s1).  Ranges a
# step after the last mark may be writing are not checked.
check_state() {
	K=$1 at=$2
	expect_ok thinctl pool open p0 --data /dev/mapper/s-data --metadata /dev/mapper/s-meta
	v=$(vol_dev v); s=$(vol_dev snap); w=$(vol_dev w)
	[ -b "$v" ] || fail "$at: volume v missing"
	expect_ok tbpattern verify "$v" 0 1M 1
	[ "$K" = 1 ] && expect_ok tbpattern verify "$v" 1M 1M 1
	[ "$K" -ge 3 ] && expect_ok tbpattern verify "$v" 1M 1M 3
	if [ "$K" = 2 ] || [ "$K" = 3 ]; then
		[ -b "$s" ] || fail "$at: snapshot missing"
		expect_ok tbpattern verify "$s" 0 2M 1
	fi
	[ "$K" -ge 5 ] && [ -n "$s" ] && [ "$s" != null ] && fail "$at: deleted snapshot is back"
	if [ "$K" -ge 4 ]; then
		[ -b "$w" ] || fail "$at: volume w missing"
		expect_ok tbpattern verify "$w" 1M 1M 4
		expect_ok tbpattern verify "$w" 3M 1M 4
		[ "$K" -lt 6 ] && expect_ok tbpattern verify "$w" 2M 1M 4
		[ "$K" -ge 7 ] && expect_ok tbpattern zero "$w" 2M 1M
		[ "$K" = 4 ] && expect_ok tbpattern verify "$w" 0 1M 4
		[ "$K" -ge 6 ] && expect_ok tbpattern verify "$w" 0 1M 6
	fi
	expect_ok thinctl pool close p0
}

checkpoint() {	# checkpoint ENTRY K: the disk as it was after log entry ENTRY
	expect_ok tbreplay replay /dev/ram1 /dev/ram2 "$done" $(($1 + 1))
	done=$(($1 + 1))
	dd if=/dev/ram2 of=/dev/ram3 bs=1M count=112 conv=fsync 2>/dev/null || fail "copy replay"
	if [ "$2" = 0 ]; then
		# the pool may not exist yet; if it does, it must be clean
		thinctl -q check --metadata /dev/mapper/s-meta 2>/tmp/err ||
			grep -q "not a thinblk" /tmp/err || fail "entry $1: $(cat /tmp/err)"
		return
	fi
	run_capture thinctl check --metadata /dev/mapper/s-meta
	[ "$RC" = 0 ] || fail "entry $1 (after mark s$2): check: $ERR"
	check_state "$2" "entry $1 (after mark s$2)"
	checked=$((checked + 1))
}

dd if=/dev/zero of=/dev/ram2 bs=1M count=112 conv=fsync 2>/dev/null
linear_pair s /dev/ram3
done=0 K=0 n=0 checked=0
while read -r entry kind name; do
	case $kind in
	mark)	# ours, and dm-log-writes' own at the end
		case $name in s[0-9]) K=${name#s} ;; esac
		checkpoint "$entry" "$K"
		;;
	flush)
		n=$((n + 1))
		[ $((n % every)) = 0 ] && checkpoint "$entry" "$K"
		;;
	esac
done < /tmp/points
[ "$K" = 7 ] || fail "replay ended at mark s$K"
[ "$checked" -ge 10 ] || fail "only $checked points checked"
info "$checked points checked"
dmsetup remove s-meta s-data
