#!/bin/sh
# desc: a pool whose metadata device grew while it was closed opens (at the superblock's metadata size), and pool grow then takes the rest, past what the space map laid out at create (refcount blocks spill, format version 2, pool checks clean and reopens); one whose metadata device shrank below the pool's is refused and opens again once it is back
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 256
dm_set meta "0 512 linear /dev/ram1 0"	# 256K: 64 metadata blocks
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/mapper/meta
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 1M 3
expect_ok thinctl pool close p0

dm_set meta "0 4096 linear /dev/ram1 0"	# 2M
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 262144 "metadata size at open"
v=$(tb_field 'vol show p0/v' .device)
expect_ok tbpattern verify "$v" 0 1M 3
expect_ok thinctl pool grow p0
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 2097152 "metadata size after grow"
expect_ok tbpattern write "$v" 1M 1M 4
expect_ok thinctl pool close p0
tb_check_meta /dev/mapper/meta

dm_set meta "0 2048 linear /dev/ram1 0"	# 1M, smaller than the pool's 2M
expect_err "not a thinblk metadata device" thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
dmesg | grep -q "metadata device is smaller than the pool's metadata" ||
	fail "kernel log does not say why: $(dmesg | tail -n 5)"
dm_set meta "0 4096 linear /dev/ram1 0"
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 2097152 "metadata size after reopen"
v=$(tb_field 'vol show p0/v' .device)
expect_ok tbpattern verify "$v" 0 1M 3
expect_ok tbpattern verify "$v" 1M 1M 4
raw_u32() {	# BLOCK OFFSET: a little-endian u32 of the metadata device
	dd if=/dev/mapper/meta bs=4096 skip="$1" count=1 iflag=direct 2>/dev/null |
		od -An -tu4 -j"$2" -N4 | tr -d ' '
}
sb_version() {	# the superblock's format version (after header and magic)
	raw_u32 0 24
}
expect_ok thinctl pool close p0
expect_eq "$(sb_version)" 1 "format version after a grow within R's range"
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
# Past what the space map laid out at create counts (one refcount block:
# 1018 blocks), the next refcount blocks spill into the ranges they count
# (their slots first): the grow takes it all, the format version says so.
# First a power cut inside that grow: its commit writes the spilled slots
# (blocks 1018, 1019) and then the superblock, which never reaches the disk
# (dm-flakey drops writes to block 0).  The pool is then as before the grow.
dm_set meta "0 8 flakey /dev/ram1 0 0 600 1 drop_writes
8 10232 linear /dev/ram1 8"
expect_ok thinctl pool grow p0
expect_eq "$(tb_field 'pool show p0' .metadata_size)" $((1280 * 4096)) "metadata size after the grow whose superblock is lost"
expect_ok thinctl pool close p0
dm_set meta "0 10240 linear /dev/ram1 0"	# 5M: 1280 blocks
expect_eq "$(sb_version)" 1 "format version on disk after the lost grow"
tb_check_meta /dev/mapper/meta
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 2097152 "metadata size after the lost grow"
v=$(tb_field 'vol show p0/v' .device)
expect_ok tbpattern verify "$v" 0 1M 3
expect_ok tbpattern verify "$v" 1M 1M 4
expect_ok thinctl pool grow p0
expect_eq "$(tb_field 'pool show p0' .metadata_size)" $((1280 * 4096)) "metadata size grown past one refcount block's range"
# Enough leaves that nodes are allocated past block 1019 (the slots of the
# spilled refcount block are 1018 and 1019, never handed out).
w=$(tb_vol p0/w --size 80G)
expect_ok tbpattern write "$w" 0 64K 6 64M 1100
used=$(tb_field 'pool show p0' '.metadata_used / 4096')
[ "$used" -gt 1100 ] || fail "only $used metadata blocks used after 1100 leaves"
expect_ok tbpattern write "$v" 2M 1M 5
expect_ok thinctl pool close p0
expect_eq "$(sb_version)" 2 "format version after spilling"
# Refcount block 1's slots are the first two blocks it counts: the current
# one is a refcount block (type REFC) naming itself and index 1, and both
# slots count 1 there.
rc=
for b in 1018 1019; do
	[ "$(raw_u32 $b 4)" = $((0x52454643)) ] && [ "$(raw_u32 $b 8)" = $b ] &&
		[ "$(raw_u32 $b 16)" = 1 ] && rc=$b
done
[ -n "$rc" ] || fail "no refcount block 1 in block 1018 or 1019"
expect_eq "$(raw_u32 $rc 24) $(raw_u32 $rc 28)" "1 1" "refcounts of the spilled slots"
tb_check_meta /dev/mapper/meta
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .metadata_size)" $((1280 * 4096)) "metadata size after reopen"
expect_ok tbpattern verify "$(tb_field 'vol show p0/v' .device)" 2M 1M 5
expect_ok tbpattern verify "$(tb_field 'vol show p0/w' .device)" 0 64K 6 64M 1100
# A spilled pool grows again; a refcount block's range is taken only with a
# block to count besides its slots (3056 = 3 * 1018 + 2: stops at 3054).
dm_set meta "0 $((3056 * 8)) linear /dev/ram1 0"
expect_ok thinctl pool grow p0
expect_eq "$(tb_field 'pool show p0' .metadata_size)" $((3054 * 4096)) "metadata size after the second grow"
dmesg | grep -q "the other 2 of the device are not used" ||
	fail "kernel log does not say the grow stopped short: $(dmesg | tail -n 5)"
# a snapshot, then w's writes copy every leaf: nodes past block 2037 too
expect_ok thinctl vol snapshot p0/w ws
expect_ok tbpattern write "$(tb_field 'vol show p0/w' .device)" 32K 32K 7 64M 1100
used=$(tb_field 'pool show p0' '.metadata_used / 4096')
[ "$used" -gt 2200 ] || fail "only $used metadata blocks used after copying 1100 leaves"
expect_ok thinctl pool close p0
tb_check_meta /dev/mapper/meta
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
w=$(tb_field 'vol show p0/w' .device)
ws=$(tb_field 'vol show p0/ws' .device)
expect_ok tbpattern verify "$w" 0 32K 6 64M 1100
expect_ok tbpattern verify "$w" 32K 32K 7 64M 1100
expect_ok tbpattern verify "$ws" 0 64K 6 64M 1100
expect_ok thinctl pool close p0
tb_check_meta /dev/mapper/meta
dmsetup remove meta
