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
sync
s=$(tb_snap p0/v snap)
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
