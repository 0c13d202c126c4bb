#!/bin/sh
# desc: both sides of a snapshot written between two commits (each order, whole and partial blocks, a usage report in between): replayed at every flush of the log, including each commit's data flush before its superblock, every volume reads its committed data or its own, never the other side's
# needs: thinctl
# timeout: 900
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
tb_no_periodic_commit
# ram0: the disk under test, ram1: its write log, ram2: the replay, ram3: scratch
brd_setup 4 48
DATA_S=$((32 * 2048))		# data: the first 32M; metadata: the next 8M
META_S=$((8 * 2048))
ALL_S=$((DATA_S + META_S))

linear_pair() {	# linear_pair PREFIX DEV: PREFIX-data and PREFIX-meta on DEV
	dm_set "$1-data" "0 $DATA_S linear $2 0"
	dm_set "$1-meta" "0 $META_S linear $2 $DATA_S"
}

# ---- the workload, logged --------------------------------------------------
dmsetup create lw --table "0 $ALL_S log-writes /dev/ram0 /dev/ram1" || fail "log-writes"
linear_pair t /dev/mapper/lw
expect_ok thinctl pool create p0 --data /dev/mapper/t-data --metadata /dev/mapper/t-meta --basesize 16M
a=$(tb_vol p0/a)
b=$(tb_vol p0/b)
expect_ok tbpattern write "$a" 0 4M 1		# fsync: committed
expect_ok tbpattern write "$b" 0 3M 6
tb_snap p0/a as > /dev/null
tb_snap p0/b bs > /dev/null
dmsetup message lw 0 mark both || fail "mark"
as=$(tb_field 'vol show p0/as' .device)
bs=$(tb_field 'vol show p0/bs' .device)
# The snapshot breaks sharing first (new blocks, mapped in memory by the usage
# report), then the origin overwrites the same blocks: 48 whole blocks, and
# 16 blocks written 4K each at different offsets (assembled copies).
expect_ok tbpattern -D -N write "$as" 0 3M 2
expect_ok tbpattern -D -N write "$as" 3M 4K 4 64K 16
expect_ok thinctl vol show p0/as
expect_ok tbpattern -D -N write "$a" 0 3M 3
expect_ok tbpattern -D -N write "$a" 3104K 4K 5 64K 16
# Mirror order: the origin breaks first, the snapshot overwrites.
expect_ok tbpattern -D -N write "$b" 0 3M 7
expect_ok thinctl vol show p0/b
expect_ok tbpattern -D -N write "$bs" 0 3M 8
# One flush: a commit (data flush, metadata, superblock).
dd if=/dev/null of="$a" conv=notrunc,fsync 2>/dev/null || fail "fsync $a"
dmsetup message lw 0 mark flushed || fail "mark"
expect_ok thinctl pool close p0
dmsetup remove t-meta t-data lw || fail "dmsetup remove"

# ---- replay at every flush, FUA and mark -----------------------------------
tbreplay list /dev/ram1 > /tmp/points || fail "tbreplay list"
grep -q ' mark both' /tmp/points || fail "mark missing from the log"
info "$(wc -l < /tmp/points) flush/FUA/mark entries"

vol_dev() { tb_field "vol show p0/$1" .device; }

check_point() {	# check_point ENTRY PHASE
	at="entry $1 ($2)"
	run_capture thinctl check --metadata /dev/mapper/s-meta
	if [ "$2" = before ]; then	# the pool may not exist yet
		[ "$RC" = 0 ] || echo "$ERR" | grep -q "not a thinblk" || fail "$at: check: $ERR"
		return
	fi
	[ "$RC" = 0 ] || fail "$at: check: $ERR"
	run_capture thinctl pool open p0 --data /dev/mapper/s-data --metadata /dev/mapper/s-meta
	[ "$RC" = 0 ] || fail "$at: pool open: $ERR"
	for v in a as b bs; do
		eval "d_$v=\$(vol_dev $v)"
	done
	run_capture tbpattern -D verify "$d_a" 0 3M 1,3
	[ "$RC" = 0 ] || fail "$at: origin a reads other data: $ERR"
	run_capture tbpattern -D verify "$d_as" 0 3M 1,2
	[ "$RC" = 0 ] || fail "$at: snapshot as reads its origin's new data: $ERR"
	run_capture tbpattern -D verify "$d_a" 3M 1M 1,5
	[ "$RC" = 0 ] || fail "$at: origin a (partial writes) reads other data: $ERR"
	run_capture tbpattern -D verify "$d_as" 3M 1M 1,4
	[ "$RC" = 0 ] || fail "$at: snapshot as (partial writes) reads its origin's new data: $ERR"
	run_capture tbpattern -D verify "$d_b" 0 3M 6,7
	[ "$RC" = 0 ] || fail "$at: origin b reads its snapshot's new data: $ERR"
	run_capture tbpattern -D verify "$d_bs" 0 3M 6,8
	[ "$RC" = 0 ] || fail "$at: snapshot bs reads other data: $ERR"
	expect_ok thinctl pool close p0
	checked=$((checked + 1))
}

dd if=/dev/zero of=/dev/ram2 bs=1M count=40 conv=fsync 2>/dev/null
linear_pair s /dev/ram3
done=0 phase=before checked=0 last=
while read -r entry kind name; do
	expect_ok tbreplay replay /dev/ram1 /dev/ram2 "$done" $((entry + 1))
	done=$((entry + 1))
	[ "$kind $name" = "mark both" ] && phase=after
	dd if=/dev/ram2 of=/dev/ram3 bs=1M count=40 conv=fsync 2>/dev/null || fail "copy replay"
	check_point "$entry" "$phase"
	last=$entry
done < /tmp/points
[ "$phase" = after ] || fail "replay never reached the snapshots"
[ "$checked" -ge 5 ] || fail "only $checked points checked"
info "$checked points checked after the snapshots (last entry $last)"

# The end of the log: each side has exactly its own writes.
expect_ok thinctl pool open p0 --data /dev/mapper/s-data --metadata /dev/mapper/s-meta
expect_ok tbpattern -D verify "$(vol_dev a)" 0 3M 3
expect_ok tbpattern -D verify "$(vol_dev as)" 0 3M 2
expect_ok tbpattern -D verify "$(vol_dev b)" 0 3M 7
expect_ok tbpattern -D verify "$(vol_dev bs)" 0 3M 8
expect_ok tbpattern -D verify "$(vol_dev a)" 3104K 4K 5 64K 16
expect_ok tbpattern -D verify "$(vol_dev a)" 3M 4K 1 64K 16
expect_ok tbpattern -D verify "$(vol_dev as)" 3M 4K 4 64K 16
expect_ok tbpattern -D verify "$(vol_dev as)" 3104K 4K 1 64K 16
expect_ok thinctl pool close p0
dmsetup remove s-meta s-data
