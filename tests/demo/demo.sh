#!/bin/sh
# desc: the container-layer story, narrated (make demo): image layers, containers, a reboot
# timeout: 480
# disks: data=8G meta=64M
# boots: 2
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh

say() { printf '\n== %s ==\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || fail "'$*' failed"; }
# refused CMD...: CMD must fail; shows what it said
refused() {
	printf '$ %s\n' "$*"
	if "$@" 2>/tmp/.refused; then fail "'$*' succeeded, expected a refusal"; fi
	cat /tmp/.refused
}
dev() { thinctl -j vol show "docker/$1" | jq -r .device; }
# ext4 on a thin volume: unwritten blocks read as zeros, so mkfs need not
# zero the inode tables or the journal (and the kernel need not either:
# noinit_itable), which would allocate space for nothing.
MKFS_OPTS=nodiscard,lazy_itable_init=1,lazy_journal_init=1
MOUNT_OPTS=noinit_itable
POOL_SCRIPT=/usr/lib/thinblk/thinblk-pool

# The host's /etc/thinblk/docker.conf, from the packaged example.  The
# guest's root is a RAM file system, so boot 2 writes it again, as a host's
# /etc would simply have kept it.
write_conf() {
	mkdir -p /etc/thinblk
	sed -e "s|^DATA=.*|DATA=$DISK_data|" -e "s|^METADATA=.*|METADATA=$DISK_meta|" \
		/usr/share/doc/thinblk/examples/pool.conf > /etc/thinblk/docker.conf
}

need_thinctl
if [ "$TB_BOOT" = 1 ]; then
	say "a pool on two disks ($DISK_data: 8G data, $DISK_meta: 64M metadata), default settings"
	tb_load
	show thinctl version
	thinctl -j monitor docker > /tmp/monitor.json 2>/dev/null &
	monitor=$!
	thinctl monitor docker > /tmp/monitor.txt 2>/dev/null &
	monitor_txt=$!
	sleep 1
	show thinctl pool create docker --data "$DISK_data" --metadata "$DISK_meta"
	show thinctl pool list

	say "image base layer: a volume of the basesize (10G), ext4, the image's files"
	show thinctl vol create docker/base
	show mkfs.ext4 -q -E "$MKFS_OPTS" "$(dev base)"
	mkdir -p /mnt/base && show mount -o "$MOUNT_OPTS" "$(dev base)" /mnt/base
	mkdir -p /mnt/base/usr/lib /mnt/base/etc && echo "debian:12" > /mnt/base/etc/os-release
	show tbpattern write /mnt/base/usr/lib/libc.so 0 24M 1
	umount /mnt/base

	say "second image layer: a snapshot of the base, with its own files"
	show thinctl vol snapshot docker/base layer2
	mkdir -p /mnt/layer2 && mount -o "$MOUNT_OPTS" "$(dev layer2)" /mnt/layer2
	show tbpattern write /mnt/layer2/app.bin 0 8M 2
	umount /mnt/layer2

	say "two containers: snapshots of the top layer, one of the default size, one --size 25G"
	show thinctl vol snapshot docker/layer2 web1
	show thinctl vol snapshot docker/layer2 web2 --size 25G
	echo "# web2's ext4 is still 10G: grow it to the volume, before the first mount"
	echo "# (offline, resize2fs leaves the new inode tables unwritten: no space taken)"
	show e2fsck -fp "$(dev web2)"
	show resize2fs "$(dev web2)"
	mkdir -p /mnt/web1 /mnt/web2
	mount -o "$MOUNT_OPTS" "$(dev web1)" /mnt/web1
	mount -o "$MOUNT_OPTS" "$(dev web2)" /mnt/web2
	df -h /mnt/web1 /mnt/web2 | sed 's|^|  |'
	show tbpattern write /mnt/web1/var-log 0 4M 3
	show tbpattern write /mnt/web2/var-lib-db 0 12M 4
	sync
	refused thinctl vol snapshot docker/layer2 tiny --size 5G
	refused thinctl vol create docker/tiny --size 5G

	say "what takes space (like docker ps -s): SIZE virtual, REFERENCED mapped, EXCLUSIVE own"
	show thinctl vol list --tree
	show thinctl df docker
	show thinctl stats --no-stream docker
	kill "$monitor" "$monitor_txt"
	wait "$monitor" "$monitor_txt" 2>/dev/null
	echo "$ thinctl monitor docker   (first lines; started before pool create)"
	head -n 6 /tmp/monitor.txt
	echo "$ thinctl -j monitor docker   (one event)"
	grep '"vol-snapshotted"' /tmp/monitor.json | tail -n 1

	say "the host's config for the boot script, then shutdown: the pool is closed"
	write_conf
	show grep -v -e '^#' -e '^$' /etc/thinblk/docker.conf
	umount /mnt/web1 /mnt/web2
	show "$POOL_SCRIPT" docker stop
	show thinctl check --metadata "$DISK_meta"
else
	say "a fresh boot on the same disks: the boot script opens the pool"
	write_conf
	[ -d /sys/module/thinblk ] && echo "(thinblk already loaded?)"
	echo "# thinblk-pool@docker.service runs this; the module loads on first use"
	show "$POOL_SCRIPT" docker start
	show thinctl vol list --tree
	show thinctl df docker

	say "the files are back"
	for v in base layer2 web1 web2; do
		mkdir -p "/mnt/$v" && mount -o "$MOUNT_OPTS" "$(dev "$v")" "/mnt/$v"
	done
	show find /mnt/web1 /mnt/web2 -type f
	show cat /mnt/web1/etc/os-release
	show tbpattern verify /mnt/web1/usr/lib/libc.so 0 24M 1
	show tbpattern verify /mnt/web2/app.bin 0 8M 2
	show tbpattern verify /mnt/web1/var-log 0 4M 3
	show tbpattern verify /mnt/web2/var-lib-db 0 12M 4
	[ ! -e /mnt/base/app.bin ] && [ ! -e /mnt/layer2/var-log ] && [ ! -e /mnt/web1/var-lib-db ] ||
		fail "a layer sees a file of a layer above it"
	echo "each layer sees its own files and those below, none from above"
	df -h /mnt/web2 | sed 's|^|  |'
	umount /mnt/base /mnt/layer2 /mnt/web1 /mnt/web2
	show e2fsck -fn "$(dev web2)"
	show "$POOL_SCRIPT" docker stop
fi
echo
echo "demo boot $TB_BOOT finished"
