#!/bin/sh
# desc: crash replay at scale: dm-log-writes records a long mixed workload on the pool's devices (stamped random writes with fsync, snapshots taken and deleted, ext4 with fsynced files, a discard, a resize); the log is replayed to every flush and FUA entry (inside commits too) and to every mark: check clean, the pool opens, every flushed stamped write reads back exactly, each snapshot holds exactly what was flushed before it, every fsynced file reads back, e2fsck clean.  No ext4 on a snapshot's origin yet: see Documentation/testing.md (FUA into a shared block)
# needs: thinctl
# timeout: 5400
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
# ram0: the disks under test, ram1: their write log, ram2: the replay,
# ram3: the exception store of a throwaway dm-snapshot of ram2 the checks
# run on (opening a pool writes; the next replay step must not see that)
brd_setup 4 192
DATA_S=$((96 * 2048))		# data: the first 96M; metadata: the next 16M
META_S=$((16 * 2048))
ROUNDS=20
STAMPS=300			# stamped writes per round
LEN=16M				# the stamped range of v
SEED=11
N=4096				# blocks in LEN: the fill is writes 0..N-1

linear_pair() {	# linear_pair PREFIX DEV: PREFIX-data and PREFIX-meta on DEV
	dm_set "$1-data" "0 $DATA_S linear $2 0"
	dm_set "$1-meta" "0 $META_S linear $2 $DATA_S"
}

# The state each mark stands for, one line per mark in /tmp/marks:
#   NAME D FILES SFILES DISCARDED DSIZE SNAPS
# D: stamped writes flushed; FILES: files f1..fFILES fsynced on e; SFILES:
# kept 0 (files on a snapshot of e: not yet, see the desc); DISCARDED: d's
# discard is flushed (1), under way (2: old data or zeros) or not yet (0);
# DSIZE: d's size (any: the resize is under way);
# SNAPS: name:D,... of each snapshot of v that must exist (none: -)
D=0 FILES=0 SFILES=0 DISCARDED=0 DSIZE=64M SNAPS=""
nmark=0
mark() {
	nmark=$((nmark + 1))
	dmsetup message lw 0 mark "m$nmark" || fail "mark m$nmark"
	_snaps=$(echo $SNAPS | tr ' ' ,)
	echo "m$nmark $D $FILES $SFILES $DISCARDED $DSIZE ${_snaps:--}" >> /tmp/marks
}

# ---- the workload, logged -------------------------------------------------
: > /tmp/marks
dmsetup create lw --table "0 $((112 * 2048)) log-writes /dev/ram0 /dev/ram1" || fail "log-writes"
linear_pair t /dev/mapper/lw
expect_ok thinctl pool create p0 --data /dev/mapper/t-data --metadata /dev/mapper/t-meta --basesize 64M
v=$(tb_vol p0/v)
e=$(tb_vol p0/e)
d=$(tb_vol p0/d)
expect_ok tbstamp fill "$v" 1 $LEN
D=$N
expect_ok tbpattern -D write "$d" 0 2M 5
expect_ok mkfs.ext4 -q -E nodiscard "$e"
mkdir -p /mnt/e
expect_ok mount "$e" /mnt/e
sync
mark
r=1
while [ $r -le $ROUNDS ]; do
	expect_ok tbstamp write "$v" 1 $LEN $SEED $STAMPS $D
	D=$((D + STAMPS))
	mark
	expect_ok tbpattern write /mnt/e/f$r 0 $((r * 16))K $r
	FILES=$r
	mark
	case $((r % 5)) in
	0)	# a snapshot of v: it holds exactly the D writes flushed so far
		tb_snap p0/v snap$r > /dev/null
		SNAPS="$SNAPS snap$r:$D"
		mark ;;
	2)	# the oldest snapshot goes
		old=${SNAPS# }
		old=${old%% *}
		if [ -n "$old" ] && [ $r -gt 10 ]; then
			# no longer required before the delete begins
			SNAPS=$(echo "$SNAPS" | sed "s/ *$old//")
			mark
			expect_ok thinctl vol delete "p0/${old%%:*}"
			mark
		fi ;;
	esac
	if [ $r = 7 ]; then
		DISCARDED=2		# under way: either
		mark
		expect_ok blkdiscard -o 512K -l 512K "$d"
		dd if=/dev/null of="$d" conv=notrunc,fsync 2>/dev/null || fail "fsync $d"
		DISCARDED=1
		mark
	fi
	if [ $r = 9 ]; then
		DSIZE=any
		mark
		expect_ok thinctl vol resize p0/d 128M
		DSIZE=128M
		mark
	fi
	r=$((r + 1))
done
expect_ok umount /mnt/e
expect_ok thinctl pool close p0
dmsetup remove t-meta t-data lw || fail "dmsetup remove"

info "workload done at $(cut -d' ' -f1 /proc/uptime) s"
# ---- replay ----------------------------------------------------------------
tbreplay list /dev/ram1 > /tmp/points || fail "tbreplay list"
nflush=$(grep -c ' flush\| fua' /tmp/points)
[ "$(grep -c ' mark m' /tmp/points)" = $nmark ] || fail "marks missing from the log"
info "$(wc -l < /tmp/points) flush/FUA/mark entries, $nflush flushes and FUA writes, $nmark marks"

vol_dev() { thinctl -j vol show "p0/$1" 2>/dev/null | jq -r .device; }

# check_files DIR PREFIX FIRST LAST SEED_OFFSET KIB: files FIRST..LAST were
# fsynced: each reads back
check_files() {
	_i=$3
	while [ $_i -le "$4" ]; do
		expect_ok tbpattern verify "$1/$2$_i" 0 $((_i * $6))K $((_i + $5))
		_i=$((_i + 1))
	done
}

# What must hold after the mark named $1 (the line of /tmp/marks).
check_state() {
	set -- $(grep "^$1 " /tmp/marks)
	[ $# = 7 ] || fail "no state for mark $1"
	_d=$2 _files=$3 _sfiles=$4 _disc=$5 _dsize=$6 _snaps=$7
	expect_ok thinctl pool open p0 --data /dev/mapper/s-data --metadata /dev/mapper/s-meta
	v=$(vol_dev v); e=$(vol_dev e); d=$(vol_dev d)
	[ -b "$v" ] && [ -b "$e" ] && [ -b "$d" ] || fail "$at: a volume is missing"
	expect_ok tbstamp durable "$v" 1 $LEN $SEED "$_d"
	if [ "$_snaps" != - ]; then
		for _s in $(echo "$_snaps" | tr , ' '); do
			_sd=$(vol_dev "${_s%%:*}")
			[ -b "$_sd" ] || fail "$at: snapshot ${_s%%:*} missing"
			expect_ok tbstamp check "$_sd" 1 $LEN $SEED $((${_s#*:} - N))
		done
	fi
	# ext4 mounted (its journal replays, on the copy), then e2fsck
	expect_ok mount "$e" /mnt/e
	check_files /mnt/e f 1 "$_files" 0 16
	expect_ok umount /mnt/e
	expect_ok e2fsck -fn "$e"
	expect_ok tbpattern -D verify "$d" 0 512K 5
	expect_ok tbpattern -D verify "$d" 1M 1M 5
	case $_disc in
	0) expect_ok tbpattern -D verify "$d" 512K 512K 5 ;;
	1) expect_ok tbpattern -D zero "$d" 512K 512K ;;
	*) expect_ok tbpattern -D verify "$d" 512K 512K 5,-1 ;;
	esac
	[ "$_dsize" = 128M ] &&
		expect_eq "$(blockdev --getsize64 "$d")" 134217728 "$at: size of d"
	expect_ok thinctl pool close p0
}

scratch_up() {
	dm_set s-base "0 $((112 * 2048)) snapshot /dev/ram2 /dev/ram3 N 8"
	linear_pair s /dev/mapper/s-base
}

scratch_down() {
	dmsetup remove s-meta s-data s-base || fail "$at: dmsetup remove"
}

checkpoint() {	# checkpoint ENTRY: the disks as they were after log entry ENTRY
	scratch_down
	expect_ok tbreplay replay /dev/ram1 /dev/ram2 "$done" $(($1 + 1))
	done=$(($1 + 1))
	scratch_up
	at="entry $1 (after mark ${K:-none})"
	if [ -z "$K" ]; then
		# before the first mark: the pool may not exist yet; if it
		# does, it must be clean
		thinctl -q check --metadata /dev/mapper/s-meta 2>/tmp/err ||
			grep -q "not a thinblk" /tmp/err || fail "$at: $(cat /tmp/err)"
		return
	fi
	run_capture thinctl check --metadata /dev/mapper/s-meta
	[ "$RC" = 0 ] || fail "$at: check: $ERR"
	check_state "$K"
	checked=$((checked + 1))
}

dd if=/dev/zero of=/dev/ram2 bs=1M count=112 conv=fsync 2>/dev/null
at="before the replay"
trap 'echo "# last point: $at"' EXIT
scratch_up
done=0 K="" checked=0
while read -r entry kind name; do
	case $kind in
	mark) case $name in m[0-9]*) K=$name ;; esac ;;
	esac
	checkpoint "$entry"
done < /tmp/points
[ "$K" = "m$nmark" ] || fail "replay ended at mark $K"
[ "$checked" -ge 200 ] || fail "only $checked points checked"
info "$checked replay points checked ($nflush flush/FUA, $nmark marks), nothing lost"
trap - EXIT
scratch_down
