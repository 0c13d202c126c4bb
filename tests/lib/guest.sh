# Guest-side test library, sourced by every case (busybox ash, POSIX sh).
# A case fails by exiting non-zero; `fail` prints the reason the host shows.
# shellcheck shell=sh

fail() {
	echo "FAIL: $*"
	# In $(...) or a pipeline this exit leaves only the subshell (and the
	# message goes where its output goes): lib/init.sh then fails the case
	# from this file if it exits 0.  Not when expect_fail/expect_err run it.
	[ -n "$TB_CAPTURED" ] || echo "$*" >> /tmp/.tb_failed
	exit 1
}

_tb_checked() {	# a check ran: tests/run fails a silent case that made none
	[ -e /tmp/.tb_checked ] || : > /tmp/.tb_checked
}

# Wall-clock bounds inside a case scale with the kernel's speed: the debug
# kernel (KASAN, lockdep, kmemleak) runs 4-14x slower under TCG.
TB_SLOWDOWN=1
[ -e /etc/tb-debug-kernel ] && TB_SLOWDOWN=6	# tests/run: DEBUG_KERNEL_SLOWDOWN
tb_secs() {	# tb_secs N: N seconds on Debian's kernel, scaled
	echo $(($1 * TB_SLOWDOWN))
}

info() {
	echo "# $*"
}

expect_eq() {	# expect_eq ACTUAL EXPECTED WHAT
	_tb_checked
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

run_capture() {	# run_capture CMD...: $OUT, $ERR, $RC
	_tb_checked
	OUT=$(TB_CAPTURED=$_tb_want_failure; "$@" 2>/tmp/.tb_err)
	RC=$?
	ERR=$(cat /tmp/.tb_err)
}

expect_ok() {	# expect_ok CMD...
	run_capture "$@"
	[ "$RC" = 0 ] || fail "'$*' exited $RC: $(echo "$ERR" | tail -n 3)"
}

expect_fail() {	# expect_fail CMD...
	_tb_want_failure=1 run_capture "$@"
	[ "$RC" != 0 ] || fail "'$*' succeeded, expected a failure"
}

expect_err() {	# expect_err SUBSTRING CMD...: fails, and stderr has SUBSTRING
	_want=$1
	shift
	_tb_want_failure=1 run_capture "$@"
	LAST_ERR=$ERR
	[ "$RC" != 0 ] || fail "'$*' succeeded, expected a failure with '$_want'"
	case "$ERR" in
	*"$_want"*) ;;
	*) fail "'$*': stderr '$ERR' lacks '$_want'" ;;
	esac
}

json_get() {	# json_get JSON FILTER
	echo "$1" | jq -r "$2"
}

need_thinctl() {
	command -v thinctl >/dev/null 2>&1 || fail "thinctl not built (tools/thinctl/thinctl missing from the initramfs)"
}

tb_load() {
	[ -d /sys/module/thinblk ] && return 0
	modprobe thinblk || fail "modprobe thinblk failed"
}

# The module with fault points (make module-faults, kmod/fault.h) in place
# of the real one: modprobe brings in the dependencies, then the real one
# goes.  Mounts debugfs, where the points are.
TB_FAULTS=/sys/kernel/debug/thinblk/faults
tb_load_faults() {
	[ -e /lib/thinblk-faults/thinblk.ko ] ||
		fail "no fault-point module in the guest: make module-faults"
	[ -d /sys/module/thinblk ] && fail "tb_load_faults: thinblk is loaded already"
	{ modprobe thinblk && rmmod thinblk; } || fail "loading thinblk's dependencies"
	insmod /lib/thinblk-faults/thinblk.ko || fail "insmod the fault-point module"
	grep -q ' /sys/kernel/debug ' /proc/mounts ||
		mount -t debugfs none /sys/kernel/debug || fail "mount debugfs"
	[ -d $TB_FAULTS ] || fail "no fault points in debugfs"
}

tb_fault() {	# tb_fault NAME SKIP COUNT [ARG]: arm (COUNT 0: disarm)
	echo "$2 $3 ${4:-0}" > $TB_FAULTS/"$1" || fail "arming fault point $1"
}

tb_fault_hits() {	# tb_fault_hits NAME: times it fired since armed
	cut -d' ' -f4 $TB_FAULTS/"$1"
}

tb_unload() {
	rmmod thinblk || fail "rmmod thinblk failed"
}

brd_setup() {	# brd_setup COUNT SIZE_MB: fresh, pre-touched RAM disks
	[ -e /etc/tb-debug-kernel ] && { brd_setup_builtin "$@"; return; }
	[ -d /sys/module/brd ] && { rmmod brd || fail "rmmod brd (RAM disk still in use?)"; }
	modprobe brd rd_nr="$1" rd_size=$(($2 * 1024)) || fail "modprobe brd"
	_i=0
	while [ $_i -lt "$1" ]; do
		[ -b /dev/ram$_i ] || fail "/dev/ram$_i missing"
		dd if=/dev/zero of=/dev/ram$_i bs=1M count="$2" 2>/dev/null
		_i=$((_i + 1))
	done
}

tb_crash() {	# end this boot like a power cut; the host expects it
	sync_marker="@@TB CRASH"
	echo "$sync_marker"
	# ... and through the kernel log: the tty's copy may still be in the
	# UART when the reset comes, but a printk line reaches the console before
	# the kernel's own "sysrq: Resetting" (tests/run needs both)
	echo "<3>$sync_marker" > /dev/kmsg
	if [ -e /proc/sysrq-trigger ]; then
		echo 1 > /proc/sys/kernel/sysrq
		echo b > /proc/sysrq-trigger
	else	# debug kernel: no CONFIG_MAGIC_SYSRQ; reboot(2) without sync
		reboot -n -f
	fi
	sleep 30
	fail "still running after sysrq-b"
}

# tb_armed: from here on the host may kill QEMU at any moment (a case with
# "kills:" in boots 1..N, tests/run); the case goes on writing until it does.
tb_armed() {
	echo "@@TB ARMED"
}

# tb_killed_boot: true in a boot that the host will kill (kills:)
tb_killed_boot() {
	[ "$TB_BOOT" -lt "$TB_BOOTS" ]
}

# Debug kernel: brd is built in (2 x 1 GiB, cannot be reloaded).  Its disks are
# moved to /dev/brdN and /dev/ramN becomes a dm-linear device of SIZE_MB on it.
brd_setup_builtin() {
	_i=0
	while [ $_i -lt "$1" ]; do
		if [ ! -b /dev/brd$_i ]; then
			mv /dev/ram$_i /dev/brd$_i || fail "built-in /dev/ram$_i missing"
		fi
		if [ -e /dev/mapper/tb_ram$_i ]; then
			dmsetup remove tb_ram$_i || fail "dmsetup remove tb_ram$_i (RAM disk still in use?)"
		fi
		rm -f /dev/ram$_i
		echo "0 $(($2 * 2048)) linear /dev/brd$_i 0" | dmsetup create tb_ram$_i ||
			fail "dmsetup create tb_ram$_i"
		# shellcheck disable=SC2046
		mknod /dev/ram$_i b $(dmsetup info -c --noheadings --separator ' ' -o major,minor tb_ram$_i) ||
			fail "mknod /dev/ram$_i"
		dd if=/dev/zero of=/dev/ram$_i bs=1M count="$2" 2>/dev/null
		_i=$((_i + 1))
	done
}

# dm_set NAME TABLE: create device-mapper device NAME (and its /dev/mapper
# node) with TABLE, or switch an existing one to TABLE (load + resume).
dm_set() {
	if dmsetup info "$1" >/dev/null 2>&1; then
		echo "$2" | dmsetup load "$1" && dmsetup resume "$1" || fail "dm_set $1: $2"
	else
		echo "$2" | dmsetup create "$1" || fail "dm_set $1: $2"
		dmsetup mknodes
	fi
}
