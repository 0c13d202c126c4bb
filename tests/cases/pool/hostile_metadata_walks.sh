#!/bin/sh
# desc: crafted trees whose nodes name one child in every entry (509^4 paths, valid checksums) stop every walk within seconds with a message: pool open (volume table), exclusive-usage count and reclaim (mapping tree), thinctl check and dump; a node with two parents in one mapping tree (its refcount 2, a snapshot sharing it) stops the reclaim before it frees the node twice
# timeout: 300
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 1M 1
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
dd if=/dev/ram1 of=/tmp/good.img bs=1M 2>/dev/null || fail "saving the metadata"

# wait_log WANT SECONDS: the kernel log says WANT within SECONDS
wait_log() {
	_i=0
	until dmesg | grep -qF "$1"; do
		_i=$((_i + 1))
		[ $_i -le "$(tb_secs "$2")" ] ||
			fail "kernel log lacks '$1' after $2 s: $(dmesg | grep thinblk | tail -n 3)"
		sleep 1
	done
}

# offline_refused WHAT CHECK_WANT DUMP_WANT: thinctl check and dump stop
# within seconds, exit 1, and say what they found
offline_refused() {
	run_capture timeout $(tb_secs 30) thinctl check --metadata /dev/ram1
	expect_eq "$RC" 1 "$1: exit status of thinctl check ($ERR)"
	case "$ERR" in
	*"$2"*) info "$1: check: $ERR" ;;
	*) fail "$1: thinctl check: '$ERR', want '$2'" ;;
	esac
	run_capture timeout $(tb_secs 30) sh -c 'thinctl dump --metadata /dev/ram1 >/dev/null'
	expect_eq "$RC" 1 "$1: exit status of thinctl dump ($ERR)"
	case "$ERR" in
	*"$3"*) info "$1: dump: $ERR" ;;
	*) fail "$1: thinctl dump: '$ERR', want '$3'" ;;
	esac
}

restore() {
	dd if=/tmp/good.img of=/dev/ram1 bs=1M 2>/dev/null || fail "restoring the metadata"
}

# The volume table: the open walks it, and stops.
restore
expect_ok tbcraft /dev/ram1 dag-volumes
dmesg -c >/dev/null
run_capture timeout $(tb_secs 60) thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_eq "$RC" 1 "dag-volumes: exit status of open"
expect_eq "$ERR" "thinctl: pool \"p0\": metadata damaged, see the kernel log" "dag-volumes: open"
wait_log "a walk reached more nodes than the device holds" 1
wait_log "thinblk: pool p0: loading the volume table failed (-117)" 1
expect_eq "$(tb_field 'pool list' length)" 0 "dag-volumes: pools after the refused open"
offline_refused dag-volumes "reached twice in the volume table" \
	"the volume table has more nodes than the device"

# A mapping tree: not read at open; the exclusive-usage count stops (the
# volume is shown without it), the reclaim of its deletion stops before
# freeing a node that later entries still name, and the pool goes read-only.
restore
expect_ok tbcraft /dev/ram1 dag-mapping
dmesg -c >/dev/null
expect_ok timeout $(tb_secs 60) thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok timeout $(tb_secs 60) thinctl vol show p0/v
wait_log "a walk reached more nodes than the device holds" 1
wait_log "thinblk: pool p0: volume 0 (v): counting exclusive blocks failed (-117)" 1
expect_ok timeout $(tb_secs 60) thinctl vol delete p0/v
wait_log "named 509 times, refcount 1" 30
wait_log "thinblk: pool p0: reclaiming volume 0 (v) failed (-117)" 1
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "mode after the failed reclaim"
expect_ok timeout $(tb_secs 30) thinctl pool close p0
offline_refused dag-mapping "reached twice in the mapping tree of volume 0 (v)" \
	"the mapping tree of volume 0 (v) has more nodes than the device"

# Two parents in one mapping tree: the volume's leaf, which a snapshot shares
# (refcount 2, what each tree alone would count), goes under two new nodes of
# one new root.  The reclaim of the volume's deletion drops the first parent's
# reference in one step; the second parent's, in a later step, would free the
# leaf and the snapshot's data.  It stops there, the pool goes read-only and
# the snapshot reads back.
restore
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
tb_snap p0/v s >/dev/null
expect_ok thinctl pool close p0
expect_ok tbcraft /dev/ram1 two-parents-mapping
dmesg -c >/dev/null
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok thinctl vol delete p0/v
wait_log "reached twice in one tree (a node with several parents there)" 30
wait_log "thinblk: pool p0: reclaiming volume 0 (v) failed (-117)" 1
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "two-parents: mode after the failed reclaim"
expect_ok tbpattern verify "$(tb_field 'vol show p0/s' .device)" 0 1M 1
expect_ok timeout $(tb_secs 30) thinctl pool close p0
expect_err "reached twice in the mapping tree of volume 0 (v)" \
	timeout $(tb_secs 30) thinctl check --metadata /dev/ram1

# the untouched image still opens and reads back
restore
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok tbpattern verify "$(tb_field 'vol show p0/v' .device)" 0 1M 1
expect_ok thinctl pool close p0
