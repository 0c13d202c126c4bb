#!/bin/sh
# desc: crafted metadata with valid checksums (no data blocks, impossible tree depths, bad volume keys, flags, origin) is refused cleanly at open and by thinctl check
# timeout: 240
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 1M 1
tb_snap p0/v s >/dev/null
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
dd if=/dev/ram1 of=/tmp/good.img bs=1M 2>/dev/null || fail "saving the metadata"

# mutation, then what the kernel log must say about it
for t in \
	"nr-data-blocks-zero|superblock: 0 data blocks, the format holds 1 to 4294967295" \
	"deep-root|superblock: data space map root of depth 64, deeper than any tree" \
	"deep-volumes-root|superblock: volume table root of depth 64, deeper than any tree" \
	"volume-depth|volume 0: mapping root of depth 64, deeper than any tree" \
	"volume-flags|volume 0: bad flags 0x81" \
	"volume-origin|volume 0: bad origin 0" \
	"volume-id-big|volume table: key 8176078198 does not fit a volume id"; do
	mutation=${t%%|*}
	want=${t#*|}
	dd if=/tmp/good.img of=/dev/ram1 bs=1M 2>/dev/null || fail "restoring the metadata"
	expect_ok tbcraft /dev/ram1 "$mutation"
	dmesg -c >/dev/null
	run_capture thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
	expect_eq "$RC" 1 "$mutation: exit status of open"
	expect_eq "$ERR" "thinctl: pool \"p0\": metadata damaged, see the kernel log" "$mutation: open"
	dmesg | grep -qF "thinblk: $want" ||
		fail "$mutation: kernel log lacks '$want': $(dmesg | grep thinblk | tail -n 3)"
	expect_eq "$(tb_field 'pool list' length)" 0 "$mutation: pools after the refused open"
	run_capture thinctl check --metadata /dev/ram1
	[ "$RC" = 1 ] || fail "$mutation: thinctl check exited $RC: $ERR"
	case "$ERR" in
	*"metadata \"/dev/ram1\": "*) info "$mutation: check: $ERR" ;;
	*) fail "$mutation: thinctl check: '$ERR'" ;;
	esac
done

# A bad name in the last record: the volumes before it get their disks, then
# the open fails and takes them down again; no disk is left.
dd if=/tmp/good.img of=/dev/ram1 bs=1M 2>/dev/null || fail "restoring the metadata"
expect_ok tbcraft /dev/ram1 last-volume-name
dmesg -c >/dev/null
expect_err "metadata damaged" thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
dmesg | grep -qF "thinblk: volume 1: invalid name in the metadata" ||
	fail "last-volume-name: kernel log: $(dmesg | grep thinblk | tail -n 3)"
expect_eq "$(tb_field 'pool list' length)" 0 "pools after the refused open"
expect_eq "$(ls /sys/block | grep -c thinblk)" 0 "thinblk disks left after the refused open"

# the untouched image still opens, with both volumes
dd if=/tmp/good.img of=/dev/ram1 bs=1M 2>/dev/null || fail "restoring the metadata"
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_eq "$(tb_field 'vol list p0' length)" 2 "volumes of the untouched image"
expect_ok tbpattern verify "$(tb_field 'vol show p0/s' .device)" 0 1M 1
expect_ok thinctl pool close p0
