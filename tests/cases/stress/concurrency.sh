#!/bin/sh
# desc: fio with verify on a volume while its snapshots are taken, read and deleted, another volume trims and writes, netlink dumps run; then a failing data device under load: fio reports no error, every snapshot holds its origin's data, nothing is lost, metadata checks clean (run it under tests/run --debug-kernel too)
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 256
dm_set sdata "0 $((256 * 2048)) linear /dev/ram0 0"
# --no-zero: 4K and 16K writes to new blocks are provisioned without the worker
expect_ok thinctl pool create p0 --data /dev/mapper/sdata --metadata /dev/ram1 --basesize 64M --no-zero
a=$(tb_vol p0/a)
b=$(tb_vol p0/b)
expect_ok tbpattern write "$a" 32M 16M 7	# beyond fio's range: must survive
thinctl -j monitor > /tmp/ev.json 2>/dev/null &
mon=$!
# subscribed once it reports something: probe volumes made and deleted until
# one shows (a busy host may take more than a second)
i=0
while ! grep -q '"probe' /tmp/ev.json; do
	i=$((i + 1))
	[ $i -le 20 ] || fail "the monitor reported no event in 20 tries"
	expect_ok thinctl vol create p0/probe$i
	expect_ok thinctl vol delete p0/probe$i
	sleep 0.5
done
# a: random 4K writes over its first 32M, each pass read back and checked
# (crc32c in every block) while snapshots break and share its blocks.
fio --name=a --filename="$a" --rw=randwrite --bs=4k --size=32M --ioengine=psync \
	--direct=1 --verify=crc32c --verify_fatal=1 --loops=3 \
	--output=/tmp/fa.out > /dev/null 2>&1 &
fa=$!
fio --name=b --filename="$b" --rw=randtrim --bs=64k --size=32M --ioengine=psync \
	--runtime=25 --time_based --output=/tmp/fb.out > /dev/null 2>&1 &
fb=$!
fio --name=b2 --filename="$b" --rw=randwrite --bs=16k --size=32M --ioengine=psync \
	--direct=1 --runtime=25 --time_based --output=/tmp/fb2.out > /dev/null 2>&1 &
fb2=$!
( i=0; while [ $i -lt 40 ]; do thinctl -j stats --no-stream p0 > /dev/null || exit 1
	thinctl -j vol list > /dev/null || exit 1; thinctl -j pool list > /dev/null || exit 1
	i=$((i + 1)); done ) &
dumps=$!
n=0
while [ $n -lt 8 ]; do
	s=$(tb_snap p0/a s$n)
	expect_ok tbpattern -D verify "$s" 32M 16M 7
	[ $n -ge 1 ] && expect_ok thinctl vol delete p0/s$((n - 1))
	n=$((n + 1))
done
wait $fa || fail "fio with verify on a: $(grep -iE 'err|verify' /tmp/fa.out | head -5)"
grep -q "err= 0" /tmp/fa.out || fail "fio on a: $(grep 'err=' /tmp/fa.out)"
wait $fb || fail "fio trims on b: $(grep 'err=' /tmp/fb.out)"
wait $fb2 || fail "fio writes on b: $(grep 'err=' /tmp/fb2.out)"
wait $dumps || fail "netlink dumps failed under load"
# writes to the data device fail for a while, under load on b: fio sees
# the errors, and a (not written meanwhile) keeps what it had
fio --name=b3 --filename="$b" --rw=randwrite --bs=16k --size=32M --ioengine=psync \
	--direct=1 --runtime=8 --time_based --output=/tmp/fb3.out > /dev/null 2>&1 &
fb3=$!
sleep 2
dm_set sdata "0 $((256 * 2048)) flakey /dev/ram0 0 0 5 1 error_writes"
sleep 3
dm_set sdata "0 $((256 * 2048)) linear /dev/ram0 0"
wait $fb3 && fail "fio on b saw no error while the data device failed writes"
kill $mon; wait $mon 2>/dev/null
n=$(jq -r 'select(.type=="vol-snapshotted") | .volume' /tmp/ev.json | sort | tr '\n' ,)
expect_eq "$n" "s0,s1,s2,s3,s4,s5,s6,s7," "snapshot events"
info "pool mode: $(tb_field 'pool show p0' .mode)"
expect_ok tbpattern -D verify "$a" 32M 16M 7
expect_ok tbpattern -D verify "$(tb_field 'vol show p0/s7' .device)" 32M 16M 7
thinctl pool close p0 || fail "pool close"
expect_ok thinctl check --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/mapper/sdata --metadata /dev/ram1
expect_eq "$(thinctl -j vol list p0 | jq -r 'map(.name) | sort | join(",")')" "a,b,s7" "volumes after the churn"
expect_ok tbpattern verify "$(tb_field 'vol show p0/a' .device)" 32M 16M 7
expect_ok tbpattern verify "$(tb_field 'vol show p0/s7' .device)" 32M 16M 7
# a's first 32M as fio left it, checked again after the reopen
expect_ok fio --name=a --filename="$(tb_field 'vol show p0/a' .device)" --rw=randwrite --bs=4k \
	--size=32M --ioengine=psync --direct=1 --verify=crc32c --verify_only --output=/tmp/fa2.out
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
