#!/bin/sh
# desc: a pool whose metadata device grew while it was closed opens (at the superblock's metadata size), and pool grow then takes the rest, up to what the space map counts; one whose metadata device shrank below the pool's is refused and opens again once it is back
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 64
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
# Past what the space map laid out at create counts (one refcount block:
# 1018 blocks), the grow stops there and says so.
dm_set meta "0 10240 linear /dev/ram1 0"	# 5M: 1280 blocks
expect_ok thinctl pool grow p0
expect_eq "$(tb_field 'pool show p0' .metadata_size)" $((1018 * 4096)) "metadata size grown to the space map's limit"
dmesg | grep -q "beyond what its space map counts" ||
	fail "kernel log does not say the grow stopped short: $(dmesg | tail -n 5)"
expect_ok tbpattern write "$v" 2M 1M 5
expect_ok thinctl pool close p0
tb_check_meta /dev/mapper/meta
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .metadata_size)" $((1018 * 4096)) "metadata size after reopen"
expect_ok tbpattern verify "$(tb_field 'vol show p0/v' .device)" 2M 1M 5
expect_ok thinctl pool close p0
dmsetup remove meta
