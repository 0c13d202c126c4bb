#!/bin/sh
# desc: O_DSYNC (FUA) 4K writes into blocks shared with a snapshot, from each side, into unmapped blocks of a zeroing pool, and into blocks a plain write just provisioned (not flushed yet): replayed from dm-log-writes at every mark and at sampled FUA/flush points, every acknowledged write reads back and the rest of its block keeps its old contents (or zeros)
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
N=16				# FUA writes per phase, one per 64K block
CHECKS=24			# FUA/flush points checked, besides every mark

linear_pair() {	# linear_pair PREFIX DEV: PREFIX-data and PREFIX-meta on DEV
	dm_set "$1-data" "0 $DATA_S linear $2 0"
	dm_set "$1-meta" "0 $META_S linear $2 $DATA_S"
}

mark() { dmsetup message lw 0 mark "$1" || fail "mark $1"; }

# ---- the workload, logged --------------------------------------------------
# Each 4K O_DSYNC write is one REQ_FUA bio: the worker provisions a new block
# (its old contents or zeros around the bio's data) and commits before it
# completes.  Phase 1: the origin breaks sharing; phase 2: the snapshot does;
# phase 3: the origin writes unmapped blocks (zeroed around the 4K); phase 4:
# a plain write provisions a block (direct path, not flushed), then an
# O_DSYNC write lands elsewhere in it (in place, before the next commit).
dmsetup create lw --table "0 $ALL_S log-writes /dev/ram0 /dev/ram1" || fail "log-writes"
linear_pair t /dev/mapper/lw
expect_ok thinctl pool create p0 --data /dev/mapper/t-data --metadata /dev/mapper/t-meta --basesize 16M --block-size 64K
a=$(tb_vol p0/a)
expect_ok tbpattern write "$a" 0 2M 1		# fsync: committed
as=$(tb_snap p0/a as)
mark p0
expect_ok tbpattern -D -S -N write "$a" 4K 4K 2 64K $N
mark p1
expect_ok tbpattern -D -S -N write "$as" 1032K 4K 3 64K $N
mark p2
expect_ok tbpattern -D -S -N write "$a" 4108K 4K 4 64K $N
mark p3
i=0
while [ $i -lt $N ]; do
	expect_ok tbpattern -D -N write "$a" $((6144 + 64 * i))K 4K 5
	expect_ok tbpattern -D -S -N write "$a" $((6152 + 64 * i))K 4K 6
	i=$((i + 1))
done
mark p4
expect_ok thinctl pool close p0
dmsetup remove t-meta t-data lw || fail "dmsetup remove"

# ---- replay ----------------------------------------------------------------
tbreplay list /dev/ram1 > /tmp/points || fail "tbreplay list"
[ "$(grep -c ' mark p' /tmp/points)" = 5 ] || fail "marks missing from the log: $(grep mark /tmp/points)"
nfua=$(sed -n '/ mark p0/,$p' /tmp/points | grep -c -v ' mark')
[ "$nfua" -ge $((4 * N)) ] || fail "only $nfua FUA/flush entries after the snapshot for $((4 * N)) O_DSYNC writes"
every=$(( (nfua + CHECKS - 1) / CHECKS ))
info "$(wc -l < /tmp/points) flush/FUA/mark entries, $nfua after the snapshot; checking every ${every}th and every mark"

vol_dev() { tb_field "vol show p0/$1" .device; }

verify() {	# verify WHAT ARGS...: tbpattern -D verify ARGS, or fail naming WHAT
	what=$1
	shift
	run_capture tbpattern -D verify "$@"
	[ "$RC" = 0 ] || fail "$at: $what: $ERR"
}

zeros() {	# zeros WHAT DEV OFFSET_K LEN_K: zeros in each of the N blocks
	i=0
	while [ $i -lt $N ]; do
		run_capture tbpattern -D zero "$2" $(($3 + 64 * i))K "$4"K
		[ "$RC" = 0 ] || fail "$at: $1 (block $i): $ERR"
		i=$((i + 1))
	done
}

# check_point AT K: the replayed pool after mark pK (and before the next one:
# the write under way then may read old or new)
check_point() {
	at=$1 K=$2
	run_capture thinctl check --metadata /dev/mapper/s-meta
	[ "$RC" = 0 ] || fail "$at: check: $ERR"
	run_capture thinctl pool open p0 --data /dev/mapper/s-data --metadata /dev/mapper/s-meta
	[ "$RC" = 0 ] || fail "$at: pool open: $ERR"
	d_a=$(vol_dev a) d_as=$(vol_dev as)
	if [ "$K" -ge 1 ]; then s=2; else s=1,2; fi
	verify "origin's FUA writes" "$d_a" 4K 4K $s 64K $N
	verify "origin around its FUA writes" "$d_a" 0 4K 1 64K $N
	verify "origin around its FUA writes" "$d_a" 8K 56K 1 64K $N
	verify "origin's untouched blocks" "$d_a" 1M 1M 1
	verify "snapshot's blocks the origin broke" "$d_as" 0 1M 1
	if [ "$K" -ge 2 ]; then s=3; else s=1,3; fi
	verify "snapshot's FUA writes" "$d_as" 1032K 4K $s 64K $N
	verify "snapshot around its FUA writes" "$d_as" 1M 8K 1 64K $N
	verify "snapshot around its FUA writes" "$d_as" 1036K 52K 1 64K $N
	verify "origin's blocks the snapshot broke" "$d_a" 1M 1M 1
	if [ "$K" -ge 3 ]; then
		verify "origin's FUA writes into unmapped blocks" "$d_a" 4108K 4K 4 64K $N
		zeros "origin around its FUA writes into unmapped blocks" "$d_a" 4096 12
		zeros "origin around its FUA writes into unmapped blocks" "$d_a" 4112 48
	fi
	if [ "$K" -ge 4 ]; then
		# the plain writes were flushed by the FUA writes' commits
		verify "origin's plain writes before FUA writes" "$d_a" 6144K 4K 5 64K $N
		verify "origin's FUA writes after plain writes" "$d_a" 6152K 4K 6 64K $N
		zeros "origin around its plain and FUA writes" "$d_a" 6148 4
		zeros "origin around its plain and FUA writes" "$d_a" 6156 52
	fi
	expect_ok thinctl pool close p0
	checked=$((checked + 1))
}

dd if=/dev/zero of=/dev/ram2 bs=1M count=40 conv=fsync 2>/dev/null
linear_pair s /dev/ram3
done=0 K=-1 n=0 checked=0 marks=0
while read -r entry kind name; do
	point=
	case $kind in
	mark)
		case $name in p[0-9]) K=${name#p} point=1 marks=$((marks + 1)) ;; esac
		;;
	*)
		if [ "$K" -ge 0 ]; then
			n=$((n + 1))
			[ $((n % every)) = 0 ] && point=1
		fi
		;;
	esac
	[ -n "$point" ] || continue
	expect_ok tbreplay replay /dev/ram1 /dev/ram2 "$done" $((entry + 1))
	done=$((entry + 1))
	dd if=/dev/ram2 of=/dev/ram3 bs=1M count=40 conv=fsync 2>/dev/null || fail "copy replay"
	check_point "entry $entry (after mark p$K)" "$K"
done < /tmp/points
[ "$K" = 4 ] || fail "replay ended at mark p$K"
[ "$marks" = 5 ] || fail "only $marks marks checked"
[ "$checked" -ge $((CHECKS / 2)) ] || fail "only $checked points checked"
info "$checked points checked"
dmsetup remove s-meta s-data
