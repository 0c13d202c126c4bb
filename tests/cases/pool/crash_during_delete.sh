#!/bin/sh
# desc: a power cut right after deleting a volume of 1500 leaves: after reboot the delete resumes, the snapshot keeps its data, no block leaks
# needs: thinctl
# disks: data=256M meta=32M
# boots: 2
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
N=1500			# one 64K block in each of N mapping leaves (64M apart)
BS=65536
if [ "$TB_BOOT" = 1 ]; then
	expect_ok thinctl pool create p0 --data "$DISK_data" --metadata "$DISK_meta"
	v=$(tb_vol p0/big --size 96G)
	expect_ok tbpattern write "$v" 0 64K 1 64M $N
	k=$(tb_snap p0/big keep)
	# big copies every leaf and every block: N leaves of its own to free
	expect_ok tbpattern write "$v" 0 64K 2 64M $N
	expect_eq "$(tb_field 'pool show p0' .data_used)" $((2 * N * BS)) "data used before delete"
	expect_ok thinctl vol delete p0/big
	tb_crash
else
	# the delete was committed before it returned; reclaim may be anywhere
	expect_ok thinctl -j dump --metadata "$DISK_meta"
	state=$(json_get "$OUT" '[.volumes[] | select(.name == "big")][0].state')
	case "$state" in
	deleting) info "crashed while big was still being reclaimed" ;;
	null) info "reclaim had finished and committed before the crash" ;;
	*) fail "big is '$state' after a committed delete" ;;
	esac
	expect_ok thinctl check --metadata "$DISK_meta"
	expect_ok thinctl pool open p0 --data "$DISK_data" --metadata "$DISK_meta"
	expect_fail thinctl vol show p0/big
	tb_wait_field 'pool show p0' .data_used $((N * BS)) "data used once the delete is reclaimed"
	k=$(tb_field 'vol show p0/keep' .device)
	expect_ok tbpattern verify "$k" 0 64K 1 64M $N
	expect_ok thinctl pool close p0
	expect_ok thinctl -j check --metadata "$DISK_meta"
	expect_eq "$(json_get "$OUT" .deleting)" 0 "records left deleting"
	expect_eq "$(json_get "$OUT" .volumes)" 1 "volumes left"
fi
