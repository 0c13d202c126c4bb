#!/bin/sh
# desc: killed VMs: the host kills QEMU (SIGKILL) at a random moment while the guest writes stamped blocks with fsync, snapshots and deletes snapshots of them, and writes fsynced files on ext4 with frozen snapshots of it; each next boot: check clean, the pool opens, every flushed stamped write reads back, every snapshot holds exactly what was written before it, every synced file reads back, e2fsck clean on the volume and its snapshot
# needs: thinctl
# disks: data=256M meta=16M log=64K
# kills: 6 10
# timeout: 300
#
# tests/long/pool/killed_vm.sh runs this with more kills.
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
LEN=16M				# the stamped range of v
N=4096				# blocks in LEN: the fill is writes 0..N-1
SEED=7
STAMPS=300			# stamped writes per round
KEEP=3				# snapshots of v kept
FILES=7				# files on e checked (one per round, the last ones)

# The progress record on the log disk, written with fsync after what it
# names was flushed: "D R", D stamped writes and files f1..fR durable.
progress() {
	dd if="$DISK_log" bs=4096 count=1 2>/dev/null | tr -d '\0' | head -n 1
}
record() {
	printf '%s %s\n' "$1" "$2" | dd of="$DISK_log" bs=4096 conv=sync,fsync 2>/dev/null ||
		fail "record progress"
}

snapshots() {	# the snapshots of v, oldest first (s-BOOT-D: D writes in it)
	thinctl -j vol list p0 | jq -r '.[].name' | grep '^s-' | sort -t- -k3 -n
}

open_pool() {
	run_capture thinctl check --metadata "$DISK_meta"
	[ "$RC" = 0 ] || fail "boot $TB_BOOT: check after the kill: $ERR"
	run_capture thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
	[ "$RC" = 0 ] || fail "boot $TB_BOOT: pool open after the kill: $ERR"
}

# verify D R: everything the record says is durable, and every snapshot
verify() {
	v=$(tb_field 'vol show p0/v' .device)
	run_capture tbstamp durable "$v" 1 $LEN $SEED "$1"
	[ "$RC" = 0 ] || fail "boot $TB_BOOT: v lost flushed writes (durable $1): $ERR"
	info "boot $TB_BOOT: v: $OUT"
	nsnap=0
	for s in $(snapshots); do
		d=${s##*-}
		run_capture tbstamp check "$(tb_field "vol show p0/$s" .device)" 1 $LEN $SEED $((d - N))
		[ "$RC" = 0 ] || fail "boot $TB_BOOT: snapshot $s is not the first $d writes: $ERR"
		nsnap=$((nsnap + 1))
	done
	e=$(tb_field 'vol show p0/e' .device)
	# the mount replays ext4's journal; then the file system must be clean
	expect_ok mount "$e" /mnt/e
	f=$(($2 - FILES + 1))
	[ $f -ge 1 ] || f=1
	while [ $f -le "$2" ]; do
		run_capture tbpattern verify /mnt/e/f$f 0 256K $f
		[ "$RC" = 0 ] || fail "boot $TB_BOOT: synced file f$f: $ERR"
		f=$((f + 1))
	done
	expect_ok umount /mnt/e
	run_capture e2fsck -fn "$e"
	[ "$RC" = 0 ] || fail "boot $TB_BOOT: e2fsck on e after the kill: $ERR"
	if thinctl vol show p0/es > /dev/null 2>&1; then
		run_capture e2fsck -fn "$(tb_field 'vol show p0/es' .device)"
		[ "$RC" = 0 ] || fail "boot $TB_BOOT: e2fsck on e's frozen snapshot: $ERR"
	fi
	info "boot $TB_BOOT: $1 writes, files up to f$2, $nsnap snapshots of v: all there"
}

# round R D: one round of the workload, R the file number, D writes so far
round() {
	expect_ok tbstamp write "$v" 1 $LEN $SEED $STAMPS "$2"	# then fsync
	expect_ok tbpattern write /mnt/e/f"$1" 0 256K "$1"
	rm -f /mnt/e/f$(($1 - FILES - 1))
	sync
	record $(($2 + STAMPS)) "$1"
	case $1 in
	*[02468])
		tb_snap p0/v "s-$TB_BOOT-$(($2 + STAMPS))" > /dev/null
		for s in $(snapshots | head -n -$KEEP); do
			expect_ok thinctl vol delete "p0/$s"
		done
		;;
	*5)
		thinctl vol delete p0/es > /dev/null 2>&1
		expect_ok fsfreeze --freeze /mnt/e
		tb_snap p0/e es > /dev/null
		expect_ok fsfreeze --unfreeze /mnt/e
		;;
	esac
}

mkdir -p /mnt/e
if [ "$TB_BOOT" = 1 ]; then
	expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta" --basesize 32M
	v=$(tb_vol p0/v)
	e=$(tb_vol p0/e)
	expect_ok tbstamp fill "$v" 1 $LEN
	expect_ok mkfs.ext4 -q "$e"
	sync
	record $N 0
	D=$N R=0
else
	set -- $(progress)
	[ $# = 2 ] || fail "boot $TB_BOOT: no progress record: '$*'"
	D=$1 R=$2
	open_pool
	verify "$D" "$R"
fi

if tb_killed_boot; then
	expect_ok mount "$e" /mnt/e
	tb_armed
	while :; do	# until the host kills the guest
		R=$((R + 1))
		round "$R" "$D"
		D=$((D + STAMPS))
	done
fi

# The last boot: a round, a clean close, and everything again.
expect_ok mount "$e" /mnt/e
R=$((R + 1))
round "$R" "$D"
D=$((D + STAMPS))
expect_ok umount /mnt/e
expect_ok thinctl pool close p0
open_pool
verify "$D" "$R"
info "survived $((TB_BOOTS - 1)) kills"
