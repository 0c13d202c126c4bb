#!/bin/busybox sh
# /init of the test guest: set up, run the cases in /tests/plan, power off.
# Plan lines: NAME CASE_PATH BOOT DISKNAMES(comma separated or -) BOOTS.
# Markers on the console: "@@TB BEGIN case", "@@TB K <kernel log line>",
# "@@TB END case rc=N checks=0|1", "@@TB DONE".  checks=1: the case made a
# library check (expect_*, lib/guest.sh); tests/run fails a case that exits 0
# having printed nothing and checked nothing.
/bin/busybox --install -s
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/mapper /mnt
export DM_DISABLE_UDEV=1
for m in virtio_pci virtio_blk ext4 loop dm-mod; do modprobe $m 2>/dev/null; done
# Debug kernel (tests/run --debug-kernel): keep the cmdline's loglevel=5 so
# KASAN/lockdep/UBSAN reach the console even if the guest hangs; forget the
# boot's kmemleak suspects; report lockdep's state after each case and
# kmemleak's findings at the end of each boot (after rmmod thinblk).
TB_DEBUG_KERNEL=
[ -e /etc/tb-debug-kernel ] && TB_DEBUG_KERNEL=1
# The console shows levels 0-4: warnings (WARN_ON, lockdep, hung tasks) reach
# it and tests/run's scan of the whole boot even if the guest dies or a case
# clears the ring buffer (dmesg -c).
dmesg -n 5
[ -n "$TB_DEBUG_KERNEL" ] && dmesg | grep -E "KernelAddressSanitizer|kmemleak: Kernel|Lock dependency validator" | sed 's/^/tb-debug: boot: /'
dmesg -c > /dev/null
[ -n "$TB_DEBUG_KERNEL" ] && echo clear > /sys/kernel/debug/kmemleak 2>/dev/null

cleanup() {	# leave the guest as the next case expects it
	for p in $(thinctl -j pool list 2>/dev/null | jq -r '.[].name' 2>/dev/null); do
		thinctl pool close "$p" >/dev/null 2>&1 || echo "cleanup: cannot close pool $p"
	done
	umount /mnt/* 2>/dev/null
	dmsetup remove_all 2>/dev/null
	if [ -d /sys/module/thinblk ]; then
		[ -n "$TB_DEBUG_KERNEL" ] &&
			grep -E ' FD: .*: (tb_|&m->|&vol->|&pool->bio_lock|.*thinblk)' /proc/lockdep |
			sed 's/.*: //' | sort -u | tr '\n' ' ' > /tmp/.tb_classes
		rmmod thinblk || echo "@@TB CLEANUP rmmod thinblk failed"
	fi
	[ -d /sys/module/brd ] && rmmod brd 2>/dev/null
}

while read -r name case boot disks boots; do
	[ -n "$case" ] || continue
	echo "@@TB BEGIN $name"
	rm -f /tmp/.tb_failed /tmp/.tb_checked
	dir=$(mktemp -d /tmp/case.XXXXXX)
	(
		cd "$dir" || exit 1
		export TB_BOOT=$boot TB_BOOTS=${boots:-1}
		i=0
		for d in $(echo "$disks" | tr ',' ' '); do
			[ "$d" = - ] && continue
			dev=/dev/vd$(echo abcdefghij | cut -c$((i + 1)))
			export "DISK_$d=$dev"
			n=0
			while [ ! -b "$dev" ] && [ $n -lt 100 ]; do
				sleep 0.1
				n=$((n + 1))
			done
			i=$((i + 1))
		done
		exec sh "$case"
	) 2>&1
	rc=$?
	# fail (lib/guest.sh) inside $(...) or a pipeline leaves only its subshell
	if [ $rc = 0 ] && [ -s /tmp/.tb_failed ]; then
		echo "FAIL in a subshell (\$(...) or a pipeline), the case went on: $(tail -n 1 /tmp/.tb_failed)"
		rc=1
	fi
	checks=0
	[ -e /tmp/.tb_checked ] && checks=1
	cleanup 2>&1
	dmesg -c | sed 's/^/@@TB K /'
	echo "@@TB END $name rc=$rc checks=$checks"
	[ -n "$TB_DEBUG_KERNEL" ] && echo "tb-debug: after $name: $(grep debug_locks: /proc/lockdep_stats); thinblk lock classes: $(cat /tmp/.tb_classes 2>/dev/null)" && rm -f /tmp/.tb_classes
	rm -rf "$dir"
done < /tests/plan
if [ -n "$TB_DEBUG_KERNEL" ] && [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	echo "tb-debug: kmemleak begin"
	cat /sys/kernel/debug/kmemleak
	echo "tb-debug: kmemleak end; $(grep debug_locks: /proc/lockdep_stats)"
fi
echo "@@TB DONE"
poweroff -f
