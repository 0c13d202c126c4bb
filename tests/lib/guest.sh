# Guest-side test library, sourced by every case (busybox ash, POSIX sh).
# A case fails by exiting non-zero; `fail` prints the reason the host shows.
# shellcheck shell=sh

fail() {
	echo "FAIL: $*"
	exit 1
}

info() {
	echo "# $*"
}

expect_eq() {	# expect_eq ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

run_capture() {	# run_capture CMD...: $OUT, $ERR, $RC
	OUT=$("$@" 2>/tmp/.tb_err)
	RC=$?
	ERR=$(cat /tmp/.tb_err)
}

expect_ok() {	# expect_ok CMD...
	run_capture "$@"
	[ "$RC" = 0 ] || fail "'$*' exited $RC: $(echo "$ERR" | tail -n 3)"
}

expect_fail() {	# expect_fail CMD...
	run_capture "$@"
	[ "$RC" != 0 ] || fail "'$*' succeeded, expected a failure"
}

expect_err() {	# expect_err SUBSTRING CMD...: fails, and stderr has SUBSTRING
	_want=$1
	shift
	run_capture "$@"
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

tb_unload() {
	rmmod thinblk || fail "rmmod thinblk failed"
}

brd_setup() {	# brd_setup COUNT SIZE_MB: fresh, pre-touched RAM disks
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
	echo 1 > /proc/sys/kernel/sysrq
	echo b > /proc/sysrq-trigger
	sleep 30
	fail "still running after sysrq-b"
}
