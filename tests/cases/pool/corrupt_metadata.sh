#!/bin/sh
# desc: a damaged metadata block is reported with its number; the pool refuses to open, no oops
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 1M 1
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
# flip one byte in the superblock
printf '\377' | dd of=/dev/ram1 bs=1 seek=200 conv=notrunc 2>/dev/null
expect_err "damaged" thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
dmesg | grep -q "metadata block 0: bad checksum" || fail "kernel log does not name block 0"
expect_fail thinctl check --metadata /dev/ram1
# a device that never held a pool
dd if=/dev/zero of=/dev/ram1 bs=4k count=1 2>/dev/null
expect_err "not a thinblk" thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
