#!/bin/sh
# desc: fio verify=crc32c on 4 volumes at once while snapshots are created and deleted underneath
# needs: thinctl
# timeout: 400
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
# --no-zero: the 4K writes to new blocks are provisioned without the worker
tb_pool_setup p0 512 32 --basesize 1G --no-zero
devs=""
for i in 1 2 3 4; do
	devs="$devs $(tb_vol p0/v$i)"
done
i=0
for d in $devs; do
	i=$((i + 1))
	fio --name=v$i --filename="$d" --rw=randwrite --bs=4k --size=64M --ioengine=psync \
		--direct=1 --verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0 \
		--output=/tmp/fio$i.out > /dev/null 2>&1 &
	eval "pid$i=$!"
done
n=0
while [ $n -lt 12 ]; do
	v=v$((n % 4 + 1))
	tb_snap p0/$v snap$n > /dev/null
	[ $n -ge 2 ] && expect_ok thinctl vol delete p0/snap$((n - 2))
	n=$((n + 1))
	sleep 1
done
for i in 1 2 3 4; do
	eval "wait \$pid$i" || fail "fio on v$i failed: $(tail -5 /tmp/fio$i.out)"
	grep -q "err= 0" /tmp/fio$i.out || fail "fio v$i reported errors: $(grep err= /tmp/fio$i.out)"
done
# the snapshots taken under load are consistent devices
expect_eq "$(thinctl -j vol list p0 | jq '[.[] | select(.name | startswith("snap"))] | length')" 2 "snapshots left"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
