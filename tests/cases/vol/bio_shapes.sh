#!/bin/sh
# desc: bio shapes at block sizes 64K-1M: 512-byte O_DIRECT writes and reads, bios crossing block boundaries, the last sector and past the end, zeroout (BLKZEROOUT), partial and unaligned discards (a partly covered block keeps its data, whole ones read zeros and are unmapped), discards racing writes; every range read back
# needs: thinctl blkdiscard
# timeout: 600
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 160
SIZE_M=64			# the volume's size
SIZE=$((SIZE_M * 1048576))
# util-linux's (busybox's applet, which the shell prefers, has no -z)
ZEROOUT="/usr/sbin/blkdiscard -z"
[ -x /usr/sbin/blkdiscard ] || fail "util-linux blkdiscard missing from the guest"

zeros_in_blocks() {	# zeros_in_blocks DEV BS FIRST OFFSET LEN COUNT
	_i=0
	while [ $_i -lt "$6" ]; do
		expect_ok tbpattern -D zero "$1" $(($2 * ($3 + _i) + $4)) "$5"
		_i=$((_i + 1))
	done
}

referenced() { tb_field 'vol show p0/v' .referenced; }

for bs_k in 64 128 256 1024; do
	BS=$((bs_k * 1024))
	info "block size ${bs_k}K"
	expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1 \
		--block-size "${bs_k}K" --basesize "${SIZE_M}M" --force
	v=$(tb_vol p0/v)

	# 512-byte O_DIRECT writes into unmapped blocks (zeroed around them),
	# read back 512 bytes at a time
	expect_ok tbpattern -D -N write "$v" 512 512 2 "${bs_k}K" 8
	expect_ok tbpattern -D verify "$v" 512 512 2 "${bs_k}K" 8
	expect_ok tbpattern -D zero "$v" 0 512
	expect_ok tbpattern -D zero "$v" 1K $((BS - 1024))
	expect_eq "$(referenced)" $((8 * BS)) "referenced after 512-byte writes into 8 blocks"
	# ... and into the same blocks again, in place, at their last sector
	run_capture tbpattern -D write "$v" $((BS - 512)) 512 3 "${bs_k}K" 8
	[ "$RC" = 0 ] || fail "${bs_k}K: 512-byte writes at the last sector of a block: $ERR"
	expect_ok tbpattern -D verify "$v" $((BS - 512)) 512 3 "${bs_k}K" 8
	expect_ok tbpattern -D verify "$v" 512 512 2 "${bs_k}K" 8

	# a write crossing a block boundary (split in two bios), and one over
	# several blocks starting mid-block, through a shared snapshot
	expect_ok tbpattern -D write "$v" $((10 * BS - 32768)) 64K 4
	expect_ok tbpattern -D write "$v" $((12 * BS + 4096)) $((3 * BS)) 5
	s=$(tb_snap p0/v s)
	expect_ok tbpattern -D write "$v" $((12 * BS + BS / 2)) "$BS" 6
	expect_ok tbpattern -D verify "$v" $((10 * BS - 32768)) 64K 4
	expect_ok tbpattern -D verify "$v" $((12 * BS + 4096)) $((BS / 2 - 4096)) 5
	expect_ok tbpattern -D verify "$v" $((12 * BS + BS / 2)) "$BS" 6
	expect_ok tbpattern -D verify "$v" $((13 * BS + BS / 2)) $((3 * BS / 2 + 4096)) 5
	expect_ok tbpattern -D verify "$s" $((12 * BS + 4096)) $((3 * BS)) 5
	expect_ok tbpattern -D zero "$s" $((12 * BS)) 4K
	expect_ok thinctl vol delete p0/s

	# the last sector, and past the end
	expect_ok tbpattern -D write "$v" $((SIZE - 512)) 512 7
	expect_ok tbpattern -D verify "$v" $((SIZE - 512)) 512 7
	run_capture dd if=/dev/zero of="$v" bs=512 seek=$((SIZE / 512)) count=1 oflag=direct
	[ "$RC" != 0 ] || fail "${bs_k}K: a write past the end succeeded"
	got=$(dd if="$v" bs=512 skip=$((SIZE / 512)) count=1 iflag=direct 2>/dev/null | wc -c)
	expect_eq "$got" 0 "${bs_k}K: bytes read past the end"
	run_capture tbpattern -D write "$v" $((SIZE - 512)) 1K 8
	[ "$RC" != 0 ] || fail "${bs_k}K: a write running past the end succeeded"
	expect_ok tbpattern -D verify "$v" $((SIZE - 512)) 512 7,8

	# zeroout: whole blocks and parts of blocks, the rest kept
	expect_ok tbpattern -D write "$v" $((20 * BS)) $((4 * BS)) 9
	expect_ok $ZEROOUT -o $((20 * BS + BS / 2)) -l $((2 * BS)) "$v"
	expect_ok tbpattern -D verify "$v" $((20 * BS)) $((BS / 2)) 9
	expect_ok tbpattern -D zero "$v" $((20 * BS + BS / 2)) $((2 * BS))
	expect_ok tbpattern -D verify "$v" $((22 * BS + BS / 2)) $((BS + BS / 2)) 9

	# an unaligned discard over 4 blocks: blocks 1 and 2 unmapped, the
	# partly covered blocks 0 and 3 keep all their data
	expect_ok tbpattern -D write "$v" $((30 * BS)) $((4 * BS)) 10
	before=$(referenced)
	expect_ok blkdiscard -o $((30 * BS + BS / 2)) -l $((3 * BS)) "$v"
	expect_eq "$(referenced)" $((before - 2 * BS)) "${bs_k}K: referenced after an unaligned discard"
	expect_ok tbpattern -D verify "$v" $((30 * BS)) "$BS" 10
	expect_ok tbpattern -D zero "$v" $((31 * BS)) $((2 * BS))
	expect_ok tbpattern -D verify "$v" $((33 * BS)) "$BS" 10
	# a discard inside one block unmaps nothing
	expect_ok blkdiscard -o $((30 * BS + 4096)) -l $((BS / 2)) "$v"
	expect_eq "$(referenced)" $((before - 2 * BS)) "${bs_k}K: referenced after a discard inside a block"
	expect_ok tbpattern -D verify "$v" $((30 * BS)) "$BS" 10

	# discards racing writes on the same blocks: afterwards the metadata
	# is consistent and a last write reads back
	R0=$((40 * BS)) RL=$((4 * BS))
	( i=0; while [ $i -lt 20 ]; do
		tbpattern -D -N write "$v" $R0 $RL 11 > /dev/null || exit 1
		i=$((i + 1)); done ) &
	w=$!
	i=0
	while [ $i -lt 20 ]; do
		expect_ok blkdiscard -o $((R0 + (i % 4) * BS / 2)) -l $((BS + BS / 2)) "$v"
		i=$((i + 1))
	done
	wait $w || fail "${bs_k}K: writes racing discards failed"
	expect_ok tbpattern -D write "$v" $R0 $RL 12
	expect_ok tbpattern -D verify "$v" $R0 $RL 12

	# everything again from the disk, after a clean close and reopen
	expect_ok thinctl pool close p0
	expect_ok thinctl check --metadata /dev/ram1
	expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
	v=$(tb_field 'vol show p0/v' .device)
	expect_ok tbpattern -D verify "$v" 512 512 2 "${bs_k}K" 8
	expect_ok tbpattern -D verify "$v" $((BS - 512)) 512 3 "${bs_k}K" 8
	expect_ok tbpattern -D verify "$v" $((12 * BS + BS / 2)) "$BS" 6
	expect_ok tbpattern -D verify "$v" $((SIZE - 512)) 512 7,8
	expect_ok tbpattern -D zero "$v" $((20 * BS + BS / 2)) $((2 * BS))
	expect_ok tbpattern -D verify "$v" $((33 * BS)) "$BS" 10
	expect_ok tbpattern -D verify "$v" $R0 $RL 12
	expect_ok thinctl pool destroy p0 --force
done
