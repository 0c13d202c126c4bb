#!/bin/sh
# desc: ext4 on a volume stays clean under e2fsck -fn after a mixed workload with snapshots
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 384 32 --basesize 1G
v=$(tb_vol p0/v)
expect_ok mkfs.ext4 -q "$v"
mkdir -p /mnt/v
expect_ok mount -o discard "$v" /mnt/v
expect_ok fio --name=mix --directory=/mnt/v --rw=randrw --bs=4k-64k --size=32M \
	--numjobs=2 --runtime=15 --time_based --fsync=20 --output=/dev/null
expect_ok tbpattern write /mnt/v/before 0 2M 77
# frozen: the snapshot holds a clean file system (journal flushed)
expect_ok fsfreeze --freeze /mnt/v
s=$(tb_snap p0/v snap)
expect_ok fsfreeze --unfreeze /mnt/v
i=0
while [ $i -lt 50 ]; do
	expect_ok tbpattern write /mnt/v/file$i 0 $((i * 7 + 1))K $i
	i=$((i + 1))
done
rm -f /mnt/v/file1*
expect_ok fio --name=mix2 --directory=/mnt/v --rw=randwrite --bs=4k --size=16M \
	--runtime=5 --time_based --output=/dev/null
expect_ok umount /mnt/v
expect_ok e2fsck -fn "$v"
expect_ok e2fsck -fn "$s"
# every file reads back from the device (not the page cache) after a remount
echo 3 > /proc/sys/vm/drop_caches
expect_ok mount "$v" /mnt/v
expect_ok tbpattern verify /mnt/v/before 0 2M 77
i=0
while [ $i -lt 50 ]; do
	case $i in
	1|1?) [ ! -e /mnt/v/file$i ] || fail "file$i came back after rm" ;;
	*) expect_ok tbpattern verify /mnt/v/file$i 0 $((i * 7 + 1))K $i ;;
	esac
	i=$((i + 1))
done
expect_ok umount /mnt/v
# the snapshot holds what was there when it was taken, and nothing after
mkdir -p /mnt/s
expect_ok mount -o ro,noload "$s" /mnt/s
expect_ok tbpattern verify /mnt/s/before 0 2M 77
[ ! -e /mnt/s/file0 ] || fail "the snapshot has a file written after it"
expect_ok umount /mnt/s
