#!/bin/sh
# desc: crafted metadata with valid checksums (no data blocks, impossible tree depths, bad volume keys, flags, origin, names, settings and counters out of range) is refused cleanly at open and by thinctl check, both naming the field
# timeout: 360
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

# mutation, what the kernel log must say about it, and (when given) what
# thinctl check must say (the default block size: 1024 data blocks of 64K,
# the volume of 10G holds 163840)
for t in \
	"nr-data-blocks-zero|superblock: 0 data blocks, the format holds 1 to 4294967295" \
	"deep-root|superblock: data space map root of depth 64, deeper than any tree" \
	"deep-volumes-root|superblock: volume table root of depth 64, deeper than any tree" \
	"volume-depth|volume 0: mapping root of depth 64, deeper than any tree" \
	"volume-flags|volume 0: bad flags 0x81" \
	"volume-origin|volume 0: bad origin 0" \
	"volume-id-big|volume table: key 8176078198 does not fit a volume id" \
	"data-allocated-big|superblock: data_allocated 1025 above the 1024 data blocks|superblock: data_allocated 1025 above the 1024 data blocks" \
	"no-space-bad|superblock: unknown no_space policy 2|superblock: unknown no_space policy 2" \
	"timeout-big|superblock: no_space_timeout 3601 outside 1 to 3600|superblock: no_space_timeout 3601 outside 1 to 3600" \
	"low-water-big|superblock: low_water 67108865 above the data size 67108864|superblock: low_water 67108865 above the data size 67108864" \
	"min-free-big|superblock: min_free 67108865 above the data size 67108864|superblock: min_free 67108865 above the data size 67108864" \
	"basesize-bad|superblock: basesize 513 not a multiple of 512 from 512 to 9223372036854775296|superblock: basesize 513 not a multiple of 512" \
	"pool-flags-bad|superblock: unknown pool_flags 0x80|superblock: unknown pool_flags 0x80" \
	"volume-mapped-big|volume 0: mapped 163841 blocks, its size holds 163840|volume 0: mapped 163841 blocks, its size holds 163840" \
	"volume-owned-big|volume 0: owned 18446744073709551615 blocks, too many to count in bytes|volume 0: owned 18446744073709551615 blocks, too many" \
	"volume-name-long|volume 0: name not NUL-terminated|volume 0: name not NUL-terminated" \
	"volume-name-control|volume 0: invalid name in the metadata|volume 0: bad name \"a?b\""; do
	mutation=${t%%|*}
	rest=${t#*|}
	want=${rest%%|*}
	check=
	case "$rest" in *"|"*) check=${rest#*|} ;; esac
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
	*"metadata \"/dev/ram1\": "*"$check"*) info "$mutation: check: $ERR" ;;
	*) fail "$mutation: thinctl check: '$ERR', want '$check'" ;;
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
expect_err 'volume 1: bad name "a/b"' thinctl check --metadata /dev/ram1

# The same bad name, and volume 0 marked for deletion at its last close: the
# open refuses the metadata before it commits anything (it committed the
# deletion of volume 0, then found the name).
expect_ok tbcraft /dev/ram1 volume-deferred
dd if=/dev/ram1 of=/tmp/marked.img bs=1M 2>/dev/null || fail "saving the metadata"
expect_err "metadata damaged" thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
cmp -s /tmp/marked.img /dev/ram1 || fail "a refused open changed the metadata"
_tb_checked

# the untouched image still opens, with both volumes
dd if=/tmp/good.img of=/dev/ram1 bs=1M 2>/dev/null || fail "restoring the metadata"
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_eq "$(tb_field 'vol list p0' length)" 2 "volumes of the untouched image"
expect_ok tbpattern verify "$(tb_field 'vol show p0/s' .device)" 0 1M 1
# pool set refuses a low water that a later open would refuse
expect_err "low water 67108865 is above the data size 67108864" \
	thinctl pool set p0 --low-water 67108865
expect_ok thinctl pool close p0
