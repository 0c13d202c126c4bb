# Guest-side helpers for thinblk cases; source after guest.sh.
# shellcheck shell=sh

# tb_pool_setup POOL DATA_MB META_MB [thinctl pool create options...]
# RAM disks /dev/ram0 (data) and /dev/ram1 (metadata), the module, a pool.
tb_pool_setup() {
	_pool=$1 _data=$2 _meta=$3
	shift 3
	need_thinctl
	tb_load
	brd_setup 2 "$_data"
	expect_ok thinctl pool create "$_pool" --data /dev/ram0 --metadata /dev/ram1 "$@"
}

# tb_vol POOL/VOL [options] -> prints the device node (fails the case if not)
tb_vol() {
	_dev=$(thinctl vol create "$@") || fail "vol create $*: $_dev"
	[ -b "$_dev" ] || fail "vol create $*: '$_dev' is not a block device"
	echo "$_dev"
}

# tb_snap POOL/ORIGIN NEW [options] -> prints the device node
tb_snap() {
	_dev=$(thinctl vol snapshot "$@") || fail "vol snapshot $*: $_dev"
	[ -b "$_dev" ] || fail "vol snapshot $*: '$_dev' is not a block device"
	echo "$_dev"
}

# tb_json_field 'thinctl args' JQ_FILTER -> the value (raw)
tb_field() {
	_json=$(thinctl -j $1) || fail "thinctl -j $1 failed: $_json"
	echo "$_json" | jq -r "$2" || fail "bad JSON from thinctl -j $1: $_json"
}

# Offline metadata check of a closed pool's metadata device.
tb_check_meta() {
	expect_ok thinctl check --metadata "$1"
}

# tb_wait_field 'thinctl args' JQ_FILTER WANT WHAT: poll (1 s, up to 60 s)
# until the field is WANT, for work the pool does in the background.
tb_wait_field() {
	_i=0
	while [ "$(tb_field "$1" "$2")" != "$3" ]; do
		_i=$((_i + 1))
		[ $_i -lt 60 ] || fail "$4: $(tb_field "$1" "$2") after 60 s, want $3"
		sleep 1
	done
}

# No periodic commit (module parameter): the only commits are those a case
# asks for (flushes, control operations), so that writes stay in one
# transaction across several steps.  tb_load first.
tb_no_periodic_commit() {
	echo 600000 > /sys/module/thinblk/parameters/commit_period_ms ||
		fail "cannot set commit_period_ms"
}
