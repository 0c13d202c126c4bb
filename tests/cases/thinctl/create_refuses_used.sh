#!/bin/sh
# desc: pool create refuses a metadata device that holds a pool (closed, not destroyed: the kernel's check, naming the pool) and devices holding a filesystem (thinctl's libblkid check, naming it); --force formats them; pool destroy lets create go on
# needs: thinctl
# timeout: 180
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 64
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1 --basesize 64M
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 1M 1
expect_ok thinctl pool close p0
# A startup script's "pool open || pool create": create must not format it.
for name in p0 other; do
	run_capture thinctl pool create $name --data /dev/ram0 --metadata /dev/ram1
	[ "$RC" = 1 ] || fail "create $name over pool p0 exited $RC, want 1: $ERR"
	case $ERR in
	*"pool \"$name\": metadata device /dev/ram1 holds pool \"p0\""*"--force"*) ;;
	*) fail "create $name over pool p0 said: $ERR" ;;
	esac
done
run_capture thinctl -j pool create p0 --data /dev/ram0 --metadata /dev/ram1
[ "$RC" = 1 ] || fail "create -j over a pool exited $RC"
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
v=$(tb_field 'vol show p0/v' .device)
expect_ok tbpattern verify "$v" 0 1M 1
expect_ok thinctl pool close p0
# --force formats it: the volume is gone.
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1 --force
expect_eq "$(tb_field 'pool show p0' .volumes)" 0 "volumes after create --force"
# destroy wipes the superblock: create needs no --force then.
expect_ok thinctl pool destroy p0
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok thinctl pool destroy p0
# A filesystem on either device (libblkid, as mkfs and pvcreate look).
for dev in /dev/ram0 /dev/ram1; do
	expect_ok mkfs.ext4 -q -F "$dev"
	run_capture thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
	[ "$RC" = 1 ] || fail "create over ext4 on $dev exited $RC: $ERR"
	case $ERR in
	*"pool \"p0\": $dev holds a signature of type ext4"*"(--force"*) ;;
	*) fail "create over ext4 on $dev said: $ERR" ;;
	esac
	thinctl pool show p0 >/dev/null 2>&1 && fail "a pool was created over ext4 on $dev"
	expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1 --force
	expect_ok thinctl pool destroy p0
	expect_ok dd if=/dev/zero of="$dev" bs=1M count=4 conv=fsync
done
# A closed pool whose data device shows a filesystem (as a volume's often
# does): the reason given is the pool, not the filesystem.
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok thinctl pool close p0
expect_ok mkfs.ext4 -q -F /dev/ram0
run_capture thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
case $ERR in
*"metadata device /dev/ram1 holds pool \"p0\""*) ;;
*) fail "create over a closed pool with ext4 on its data device said: $ERR" ;;
esac
thinctl pool create --help 2>&1 | grep -q -- "--force" || fail "create --help does not name --force"
