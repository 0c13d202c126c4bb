#!/bin/sh
# desc: pool open/create tell devices by number, not path spelling: /dev/ramN, a /dev/disk/by-id link and a relative path are one device (open is idempotent across them, the canonical path is shown); one device as data and metadata, or a device of another open pool, is refused naming what it is; a read-only device is refused
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 4 64
mkdir -p /dev/disk/by-id
ln -sf /dev/ram0 /dev/disk/by-id/tb-data0
ln -sf ../../ram1 /dev/disk/by-id/tb-meta0
ln -sf /dev/ram1 /tmp/meta-link

# the same device twice, however spelt: refused, nothing created
for meta in /dev/ram0 /dev/disk/by-id/tb-data0; do
	run_capture thinctl pool create p0 --data /dev/ram0 --metadata $meta
	expect_eq "$RC" 1 "create with data = metadata ($meta): exit status"
	case $ERR in
	*"pool \"p0\": data device /dev/ram0 and metadata device $meta are one device"*) ;;
	*) fail "create with data = metadata ($meta) said: $ERR" ;;
	esac
done
expect_eq "$(tb_field 'pool list' length)" 0 "pools after data = metadata"

# created through a link and a relative path: shown by canonical path
cd /dev/disk || fail "cd /dev/disk"
expect_ok thinctl pool create p0 --data by-id/tb-data0 --metadata ../ram1 --basesize 16M
cd / || fail "cd /"
expect_eq "$(tb_field 'pool show p0' .data_device)" /dev/ram0 "data device shown"
expect_eq "$(tb_field 'pool show p0' .metadata_device)" /dev/ram1 "metadata device shown"

# open again with any spelling of the same devices: success (startup scripts)
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/disk/by-id/tb-data0 --metadata /dev/disk/by-id/tb-meta0
cd /dev || fail "cd /dev"
expect_ok thinctl pool open p0 --data ./ram0 --metadata /tmp/meta-link
cd / || fail "cd /"
# other devices under the same name: refused, naming the ones it has
expect_err "pool \"p0\": already open with other devices (data /dev/ram0, metadata /dev/ram1)" \
	thinctl pool open p0 --data /dev/ram2 --metadata /dev/ram3
expect_err "already open with other devices" \
	thinctl pool open p0 --data /dev/ram1 --metadata /dev/ram0

# a device of another pool, by any path: refused, naming the pool
expect_err "pool \"p1\": /dev/ram0 is busy: it is the data device of pool \"p0\"" \
	thinctl pool create p1 --data /dev/disk/by-id/tb-data0 --metadata /dev/ram3
expect_eq "$RC" 1 "create on another pool's data device: exit status"
expect_err "pool \"p1\": /dev/ram1 is busy: it is the metadata device of pool \"p0\"" \
	thinctl pool create p1 --data /dev/ram2 --metadata /tmp/meta-link
expect_err "pool \"p1\": /dev/ram1 is busy: it is the metadata device of pool \"p0\"" \
	thinctl pool open p1 --data /dev/ram2 --metadata /dev/ram1
expect_eq "$(tb_field 'pool list' length)" 1 "pools after the refusals"
# a second pool on its own devices is fine; p0 is as it was
expect_ok thinctl pool create p1 --data /dev/ram2 --metadata /dev/ram3
expect_eq "$(tb_field 'pool show p0' .data_device)" /dev/ram0 "p0 data device after p1"
expect_ok thinctl pool close p1
expect_ok thinctl pool close p0
# after a close, the devices open by any path
expect_ok thinctl pool open p0 --data /dev/disk/by-id/tb-data0 --metadata /tmp/meta-link
expect_eq "$(tb_field 'pool show p0' .metadata_device)" /dev/ram1 "metadata device after reopen"
expect_ok thinctl pool close p0
# A read-only device is refused (opened by number, the block layer would only
# warn about the writes): nothing created, the device untouched.
expect_ok blockdev --setro /dev/ram3
sum=$(md5sum < /dev/ram3)
run_capture thinctl pool create p1 --data /dev/ram2 --metadata /dev/ram3 --force
expect_eq "$RC" 1 "create on a read-only metadata device: exit status"
case $ERR in
*"pool \"p1\": cannot open /dev/ram3 (read-only device)"*) ;;
*) fail "create on a read-only metadata device said: $ERR" ;;
esac
expect_eq "$(tb_field 'pool list' length)" 0 "pools after the read-only refusal"
expect_eq "$(md5sum < /dev/ram3)" "$sum" "read-only device after the refusal"
expect_ok blockdev --setrw /dev/ram3
