#!/bin/sh
# desc: resize grows the device online, ext4 follows with resize2fs; shrinking is refused
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 256 16 --basesize 256M
v=$(tb_vol p0/v)
expect_eq "$(blockdev --getsize64 "$v")" 268435456 "size before"
expect_ok mkfs.ext4 -q -E nodiscard "$v"
mkdir -p /mnt/v
expect_ok mount "$v" /mnt/v
expect_ok tbpattern write /mnt/v/f 0 4M 5
expect_ok thinctl vol resize p0/v 512M
expect_eq "$(blockdev --getsize64 "$v")" 536870912 "size after"
expect_ok resize2fs "$v"
blocks=$(df -k /mnt/v | awk 'NR==2 {print $2}')
[ "$blocks" -gt 400000 ] || fail "ext4 did not grow: $blocks KiB"
# a file written after the growth, placed where ext4 likes: the old and the
# new one read back after a remount with the page cache dropped
expect_ok tbpattern write /mnt/v/g 0 24M 6
expect_err "shrink" thinctl vol resize p0/v 256M
expect_ok umount /mnt/v
expect_ok e2fsck -fn "$v"
echo 3 > /proc/sys/vm/drop_caches
expect_ok mount "$v" /mnt/v
expect_ok tbpattern verify /mnt/v/f 0 4M 5
expect_ok tbpattern verify /mnt/v/g 0 24M 6
expect_ok umount /mnt/v
# the grown range itself maps and reads back: the last MiB of the device
expect_ok tbpattern -D write "$v" 511M 1M 8
echo 3 > /proc/sys/vm/drop_caches
expect_ok tbpattern -D verify "$v" 511M 1M 8
