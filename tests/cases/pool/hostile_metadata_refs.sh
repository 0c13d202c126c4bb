#!/bin/sh
# desc: crafted metadata refcounts with valid checksums (the superblock's or a refcount slot's other than 1, a count above the pointers the metadata holds) are refused at open and by thinctl check, naming the block; a count at that limit opens, but a snapshot that would raise it is refused and the pool stays writable; a data block's count at U32_MAX is not wrapped by a leaf copy (the pool goes read-only)
# timeout: 240
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 1M 1
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
dd if=/dev/ram1 of=/tmp/good.img bs=1M 2>/dev/null || fail "saving the metadata"

restore() {
	dd if=/tmp/good.img of=/dev/ram1 bs=1M 2>/dev/null || fail "restoring the metadata"
}

# mutation, what the kernel log must say, what thinctl check must say (64M
# of metadata: 16384 blocks of 509 pointers each)
for t in \
	"refcount-superblock-zero|thinblk: metadata block 0 (the superblock): refcount 0, must be 1|block 0 (the superblock): refcount 0, must be 1" \
	"refcount-slot-two|thinblk: metadata block 1 (a refcount slot): refcount 2, must be 1|block 1 (a refcount slot): refcount 2, must be 1" \
	"refcount-huge|: refcount 4294967295, above the 8339456 pointers the metadata holds|: refcount 4294967295, above the 8339456 pointers the metadata holds"; do
	mutation=${t%%|*}
	rest=${t#*|}
	want=${rest%%|*}
	check=${rest#*|}
	restore
	expect_ok tbcraft /dev/ram1 "$mutation"
	dmesg -c >/dev/null
	run_capture thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
	expect_eq "$RC" 1 "$mutation: exit status of open"
	expect_eq "$ERR" "thinctl: pool \"p0\": metadata damaged, see the kernel log" "$mutation: open"
	dmesg | grep -qF "$want" ||
		fail "$mutation: kernel log lacks '$want': $(dmesg | grep thinblk | tail -n 3)"
	expect_eq "$(tb_field 'pool list' length)" 0 "$mutation: pools after the refused open"
	run_capture thinctl check --metadata /dev/ram1
	[ "$RC" = 1 ] || fail "$mutation: thinctl check exited $RC: $ERR"
	case "$ERR" in
	*"metadata \"/dev/ram1\": "*"$check"*) info "$mutation: check: $ERR" ;;
	*) fail "$mutation: thinctl check: '$ERR', want '$check'" ;;
	esac
done

# A count at the limit is possible, so the pool opens; one more reference
# (a snapshot of the volume shares its root) would wrap a smaller counter
# and is refused, before anything changed: the pool stays writable.
restore
expect_ok tbcraft /dev/ram1 refcount-at-limit
dmesg -c >/dev/null
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_err 'volume "p0/s": metadata damaged, see the kernel log' \
	thinctl vol snapshot p0/v s
dmesg | grep -qF ": refcount 8339456 already at the 8339456 pointers the metadata holds, not raised" ||
	fail "refcount-at-limit: kernel log: $(dmesg | grep thinblk | tail -n 3)"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after the refused snapshot"
expect_eq "$(tb_field 'vol list p0' length)" 1 "volumes after the refused snapshot"
expect_ok tbpattern verify "$(tb_field 'vol show p0/v' .device)" 0 1M 1
expect_ok thinctl pool close p0
expect_err ": refcount 8339456, 1 parents" thinctl check --metadata /dev/ram1

# A data block's count at U32_MAX: the snapshot shares v's leaf, and v's
# write then copies it, which counts each data block it names once more.
# That is refused, not wrapped to 0 (which would free a mapped block): the
# write's insert fails, the pool goes read-only, the data stays readable.
restore
expect_ok tbcraft /dev/ram1 data-refcount-max
dmesg -c >/dev/null
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok thinctl vol snapshot p0/v s
run_capture tbpattern -D write "$(tb_field 'vol show p0/v' .device)" 256K 64K 2
info "write into the shared leaf: exit $RC"
dmesg | grep -qF ": refcount 4294967295, not raised (damaged metadata)" ||
	fail "data-refcount-max: kernel log: $(dmesg | grep thinblk | tail -n 3)"
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "mode after the refused count"
expect_ok tbpattern verify "$(tb_field 'vol show p0/s' .device)" 0 1M 1
expect_ok thinctl pool close p0

# the untouched image still opens, and a snapshot shares the root
restore
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok tbpattern verify "$(tb_snap p0/v s)" 0 1M 1
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
