#!/bin/sh
# desc: 16 writes in flight to different 4K pieces of each new block (a slow data device holds them together), with a reader on the same blocks: every piece reads back, before and after a reopen, and no block is provisioned twice
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
trap 'touch /tmp/stop' EXIT	# stops the reader when a check fails
BLOCKS=64			# 64K blocks written, 4K at a time, 16 in flight
SIZE=$((BLOCKS * 65536))
DATA_S=$((64 * 2048))

fio_pieces() {	# fio_pieces DEV --do_verify=0 (write) | --verify_only
	fio --name=w --filename="$1" --rw=write --bs=4k --size=$SIZE --iodepth=16 \
		--ioengine=libaio --direct=1 --verify=crc32c --verify_fatal=1 \
		--output=/tmp/fio.out "$2" > /tmp/fio.err 2>&1 ||
		fail "fio $2 on $1: $(grep -hE 'err|bad|verify' /tmp/fio.out /tmp/fio.err | head -5)"
}

brd_setup 2 64
modprobe dm-delay || fail "modprobe dm-delay"
for zero in --no-zero ""; do
	info "pool ${zero:-with zeroing}"
	# writes to the data device take 5 ms, so the 16 overlap in each block
	dm_set sdata "0 $DATA_S delay /dev/ram0 0 0 /dev/ram0 0 5"
	expect_ok thinctl pool create p0 --data /dev/mapper/sdata --metadata /dev/ram1 --basesize 64M $zero
	v=$(tb_vol p0/v)
	rm -f /tmp/stop
	( while [ ! -e /tmp/stop ]; do
		dd if="$v" of=/dev/null bs=64k count=$BLOCKS iflag=direct 2>/dev/null; done ) &
	rd=$!
	fio_pieces "$v" --do_verify=0
	touch /tmp/stop
	wait $rd
	fio_pieces "$v" --verify_only
	expect_eq "$(tb_field 'vol show p0/v' .referenced)" $SIZE "referenced bytes"
	expect_eq "$(tb_field 'pool show p0' .data_used)" $SIZE "pool data used"
	expect_ok thinctl pool close p0
	expect_ok thinctl check --metadata /dev/ram1
	expect_ok thinctl pool open p0 --data /dev/mapper/sdata --metadata /dev/ram1
	v=$(thinctl -j vol show p0/v | jq -r .device)
	fio_pieces "$v" --verify_only
	expect_ok thinctl pool destroy p0 --force
	dd if=/dev/zero of=/dev/ram1 bs=1M count=1 2>/dev/null
done
dmsetup remove sdata || fail "dmsetup remove sdata"
