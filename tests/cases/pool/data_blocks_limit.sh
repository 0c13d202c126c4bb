#!/bin/sh
# desc: a data device with more blocks than 32-bit mappings hold is refused at create (naming a block size that fits), grow and open
# timeout: 240
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
modprobe dm-zero 2>/dev/null	# built in on the debug kernel
brd_setup 1 16			# /dev/ram0: metadata
MAX=4294967295			# THINBLK_DATA_BLOCKS_MAX
# 256 TiB + 512 GiB of zeros: 2^32 + 2^23 blocks of 64K, 2^31 + 2^22 of 128K
BIG_SECTORS=$(((1 << 39) + (1 << 30)))
dm_set tbbig "0 $BIG_SECTORS zero"
big=/dev/mapper/tbbig

# create: refused before anything is written, with the block size that fits
run_capture thinctl pool create p0 --data $big --metadata /dev/ram0
expect_eq "$RC" 1 "exit status of the refused create"
expect_eq "$ERR" "thinctl: pool \"p0\": data device has 4303355904 blocks of 64K, the format holds at most $MAX; use a block size of 128K or more" \
	"create on 256.5 TiB at 64K"
expect_eq "$(tb_field 'pool list' length)" 0 "pools after the refused create"
expect_err "not a thinblk" thinctl pool open p0 --data $big --metadata /dev/ram0
# at 128K it fits: the pool is made, with all of the device
expect_ok thinctl pool create p0 --data $big --metadata /dev/ram0 --block-size 128K
expect_eq "$(tb_field 'pool show p0' .block_size)" 131072 "block size"
expect_eq "$(tb_field 'pool show p0' .data_size)" $((BIG_SECTORS * 512)) "data size at 128K"
expect_ok thinctl pool destroy p0

# grow: a 1 GiB pool whose device grows past the limit stays as it was
dm_set tbbig "0 2097152 zero"
expect_ok thinctl pool create p1 --data $big --metadata /dev/ram0
dm_set tbbig "0 $BIG_SECTORS zero"
run_capture thinctl pool grow p1
expect_eq "$RC" 1 "exit status of the refused grow"
expect_eq "$ERR" "thinctl: pool \"p1\": data device has 4303355904 blocks of 64K, the format holds at most $MAX; not grown" \
	"grow past the limit"
expect_eq "$(tb_field 'pool show p1' .data_size)" 1073741824 "data size after the refused grow"
expect_eq "$(tb_field 'pool show p1' .mode)" write "mode after the refused grow"
tb_vol p1/v >/dev/null
expect_ok thinctl pool close p1

# open: a superblock claiming one block more than the format holds is damage
expect_ok tbcraft /dev/ram0 nr-data-blocks-huge
dmesg -c >/dev/null
expect_err "damaged" thinctl pool open p1 --data $big --metadata /dev/ram0
dmesg | grep -q "superblock: 4294967296 data blocks, the format holds 1 to $MAX" ||
	fail "kernel log does not name the limit: $(dmesg | tail -n 3)"
expect_eq "$(tb_field 'pool list' length)" 0 "pools after the refused open"
expect_fail thinctl check --metadata /dev/ram0
dmsetup remove tbbig || fail "dmsetup remove tbbig"
