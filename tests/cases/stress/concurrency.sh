#!/bin/sh
# desc: reads/writes/trims, snapshots, deletes, netlink dumps and a failing data device at once (run it under tests/run --debug-kernel too); nothing outside the churn is lost, metadata checks clean
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
expect_ok tbpattern write "$a" 0 16M 1
expect_ok tbpattern write "$a" 32M 16M 7	# beyond fio's range: must survive
thinctl -j monitor > /tmp/ev.json 2>/dev/null &
mon=$!
fio --name=a --filename="$a" --rw=randrw --rwmixread=50 --bs=4k --size=32M --ioengine=psync \
	--direct=1 --runtime=40 --time_based --output=/tmp/fa.out > /dev/null 2>&1 &
fa=$!
fio --name=b --filename="$b" --rw=randtrim --bs=64k --size=32M --ioengine=psync \
	--runtime=40 --time_based --output=/tmp/fb.out > /dev/null 2>&1 &
fb=$!
fio --name=b2 --filename="$b" --rw=randwrite --bs=16k --size=32M --ioengine=psync \
	--direct=1 --runtime=40 --time_based --output=/tmp/fb2.out > /dev/null 2>&1 &
fb2=$!
( i=0; while [ $i -lt 40 ]; do thinctl -j stats --no-stream p0 > /dev/null 2>&1;
	thinctl -j vol list > /dev/null 2>&1; thinctl -j pool list > /dev/null 2>&1;
	i=$((i + 1)); done ) &
dumps=$!
n=0
while [ $n -lt 8 ]; do
	s=$(tb_snap p0/a s$n)
	dd if="$s" of=/dev/null bs=64k count=64 2>/dev/null
	[ $n -ge 1 ] && expect_ok thinctl vol delete p0/s$((n - 1))
	n=$((n + 1))
done
# writes to the data device fail for a while, under load
dm_set sdata "0 $((256 * 2048)) flakey /dev/ram0 0 0 5 1 error_writes"
sleep 3
dm_set sdata "0 $((256 * 2048)) linear /dev/ram0 0"
wait $fa; wait $fb; wait $fb2; wait $dumps
kill $mon; wait $mon 2>/dev/null
info "pool mode: $(tb_field 'pool show p0' .mode)"
thinctl pool close p0 || fail "pool close"
expect_ok thinctl check --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/mapper/sdata --metadata /dev/ram1
expect_eq "$(thinctl -j vol list p0 | jq -r 'map(.name) | sort | join(",")')" "a,b,s7" "volumes after the churn"
expect_ok tbpattern verify "$(tb_field 'vol show p0/a' .device)" 32M 16M 7
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
