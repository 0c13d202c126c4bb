#!/bin/sh
# desc: fio verify=crc32c on 2 volumes and stamped writes on 2 more while snapshots are taken, checked and deleted underneath
# needs: thinctl
# timeout: 400
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
# --no-zero: the 4K writes to new blocks are provisioned without the worker
tb_pool_setup p0 512 32 --basesize 1G --no-zero
STAMPS=150000
devs=""
for i in 1 2 3 4; do
	d=$(tb_vol p0/v$i)
	devs="$devs $d"
	eval "dev$i=$d"
done
# v3 and v4: every block stamped once (the fill), then STAMPS random 4K
# writes, one at a time: a snapshot must hold exactly a prefix of them
for i in 3 4; do
	eval "expect_ok tbstamp fill \$dev$i $i 64M"
done
i=0
for d in $devs; do
	i=$((i + 1))
	if [ $i -le 2 ]; then
		fio --name=v$i --filename="$d" --rw=randwrite --bs=4k --size=64M --ioengine=psync \
			--direct=1 --verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0 \
			--output=/tmp/fio$i.out > /dev/null 2>&1 &
	else
		tbstamp write "$d" $i 64M $i $STAMPS > /tmp/stamp$i.out 2>&1 &
	fi
	eval "pid$i=$!"
done
# check_snap N: snapN (of v3 or v4) holds a prefix of its origin's writes;
# prints the prefix
check_snap() {
	_o=$(($1 % 4 + 1))
	eval "_d=\$snapdev$1"
	run_capture tbstamp check "$_d" $_o 64M $_o
	[ "$RC" = 0 ] || fail "snap$1 of v$_o is not a prefix of v$_o's writes: $ERR"
	echo "$OUT"
}
n=0
mid=0
while [ $n -lt 12 ]; do
	o=$((n % 4 + 1))
	s=$(tb_snap p0/v$o snap$n)
	eval "snapdev$n=$s"
	if [ $o -ge 3 ]; then
		p=$(check_snap $n) || fail "${p#FAIL: }"
		info "snap$n of v$o: $p"
		eval "prefix$n=\"$p\""
		# taken while the writer ran: a proper prefix
		[ "$p" != "prefix $((16384 + STAMPS - 1))" ] && mid=$((mid + 1))
	fi
	if [ $n -ge 2 ]; then
		d=$((n - 2))
		if [ $((d % 4 + 1)) -ge 3 ]; then
			# written around for 2 more snapshots: unchanged
			p=$(check_snap $d) || fail "${p#FAIL: }"
			eval "want=\$prefix$d"
			expect_eq "$p" "$want" "snap$d's prefix, checked again before its delete"
		fi
		expect_ok thinctl vol delete p0/snap$d
	fi
	n=$((n + 1))
	sleep 1
done
[ $mid -ge 2 ] || fail "only $mid snapshots were taken while the stamped writers ran"
for i in 1 2 3 4; do
	if [ $i -le 2 ]; then
		eval "wait \$pid$i" || fail "fio on v$i failed: $(tail -5 /tmp/fio$i.out)"
		grep -q "err= 0" /tmp/fio$i.out || fail "fio v$i reported errors: $(grep err= /tmp/fio$i.out)"
	else
		eval "wait \$pid$i" || fail "stamped writes on v$i failed: $(cat /tmp/stamp$i.out)"
		eval "expect_ok tbstamp check \$dev$i $i 64M $i $STAMPS"
	fi
done
# the two snapshots left still hold what they held when taken
for d in 10 11; do
	[ $((d % 4 + 1)) -ge 3 ] || continue
	p=$(check_snap $d) || fail "${p#FAIL: }"
	eval "want=\$prefix$d"
	expect_eq "$p" "$want" "snap$d's prefix at the end"
done
expect_eq "$(thinctl -j vol list p0 | jq '[.[] | select(.name | startswith("snap"))] | length')" 2 "snapshots left"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
