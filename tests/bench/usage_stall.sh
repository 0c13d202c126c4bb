#!/bin/sh
# desc: write latency while an unprivileged loop asks for volume usage (make bench)
# timeout: 900
# Issue 10 item 6: VOL_GET and dumps are open to every user and count each
# volume's exclusive blocks with a walk under the metadata lock.  A snapshot's
# sharing breaks (fio 4K random writes over 64 MiB of it) change what is
# exclusive (and so does a second snapshot that breaks one block every 50 ms,
# in every run), so a `thinctl -j vol list` loop walks the other, fully
# diverged snapshot (4096 mapped blocks) again and again.  Prints the writes' p99 and
# p99.9 completion latency without the loop, with it (as user nobody), and
# without it again; read the ratio, not the absolute numbers (TCG).
# Env: BENCH_RUNTIME (s per fio run, default 8).
. /tests/lib/guest.sh

RT=${BENCH_RUNTIME:-8}
SPAN=256M		# a, and d diverged on all of it: 4096 blocks each
RUN_SPAN=64M		# what each run's snapshot breaks sharing of, at most

fio_lat() {	# fio_lat DEV -> "p99_us p99.9_us iops"
	fio --name=b --filename="$1" --rw=randwrite --bs=4k --ioengine=psync \
		--direct=1 --numjobs=1 --size=$RUN_SPAN --randrepeat=0 --norandommap \
		--runtime="$RT" --time_based --output-format=json 2>/tmp/fio.err |
		jq -r '.jobs[0].write | "\(.clat_ns.percentile["99.000000"] / 1000 | floor) \(.clat_ns.percentile["99.900000"] / 1000 | floor) \(.iops | floor)"'
}

grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
su -s /bin/sh nobody -c true || fail "su nobody"
brd_setup 2 1024
tb_load
thinctl pool create bp --data /dev/ram0 --metadata /dev/ram1 --no-zero \
	--basesize 10G >/dev/null || fail "pool create"
a=$(thinctl vol create bp/a) || fail "vol create"
fio --name=f --filename="$a" --rw=write --bs=1M --ioengine=psync --direct=1 \
	--size=$SPAN --output=/dev/null 2>/dev/null || fail "fill a"
# d: a snapshot that diverged everywhere, whose count a usage walk must redo
d=$(thinctl vol snapshot bp/a d) || fail "snapshot d"
fio --name=f --filename="$d" --rw=write --bs=64k --ioengine=psync --direct=1 \
	--size=$SPAN --output=/dev/null 2>/dev/null || fail "diverge d"
thinctl -j vol list bp >/dev/null || fail "vol list"

# Another snapshot of a breaks sharing of one block every 50 ms, so what is
# exclusive keeps changing and each vol list walks again (in every run).
breaker() {	# breaker DEV
	_i=0
	while [ -e /tmp/breaking ] && [ $_i -lt 4096 ]; do
		dd if=/dev/zero of="$1" bs=64k seek=$_i count=1 oflag=direct 2>/dev/null
		_i=$((_i + 1))
		sleep 0.05
	done
}

run() {	# run NAME LOOP: fio on a fresh snapshot of a, with the loop or not
	s=$(thinctl vol snapshot bp/a "$1") || fail "snapshot $1"
	b=$(thinctl vol snapshot bp/a "$1-b") || fail "snapshot $1-b"
	touch /tmp/breaking
	breaker "$b" &
	bp=$!
	if [ "$2" = loop ]; then
		( while :; do su -s /bin/sh nobody -c 'thinctl -j vol list bp' \
			>/dev/null 2>&1; done ) &
		lp=$!
	fi
	set -- "$1" $(fio_lat "$s")
	[ -n "${2:-}" ] || fail "fio on $s: $(cat /tmp/fio.err)"
	if [ -n "${lp:-}" ]; then
		kill "$lp"; wait "$lp" 2>/dev/null; lp=
	fi
	rm -f /tmp/breaking
	wait "$bp"
	printf 'usage_stall %-8s p99 %8s us  p99.9 %8s us  %6s IOPS\n' "$1" "$2" "$3" "$4"
	eval "P99_$1=$2"
}
run quiet1 none
run loop loop
run quiet2 none
awk -v q1="$P99_quiet1" -v q2="$P99_quiet2" -v l="$P99_loop" 'BEGIN {
	q = q1 < q2 ? q1 : q2
	printf "usage_stall p99 with the vol list loop / without: %.2f\n", q ? l / q : 0
}'
thinctl pool destroy --force bp || fail "pool destroy"
