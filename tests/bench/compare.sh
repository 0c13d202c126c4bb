#!/bin/sh
# desc: thinblk vs dm-thin vs the raw device (make bench)
# timeout: 1200
# Benchmarks thinblk against dm-thin and the raw device, in one guest, on the
# same two pre-touched 1 GiB RAM disks (data, metadata), 64 KiB blocks, zeroing
# off for both, fio psync direct 1 job.  Prints IOPS per case and the ratios
# the project is held to.  Absolute numbers under TCG are noise: read ratios.
# Allocation and sharing-break runs write 4K at the start of blocks never
# written (resp. still shared), one pass over half the span, so every write
# allocates (about 20% land twice in one block, the same for all targets);
# overwrite and shared-read runs are time based.
# The raw overwrite and read runs are repeated at the end; ratios use the
# better of the two.  unshared_pre/post: the sharing rule's cost (see
# unshared_cases), against the raw overwrite figure.
# Env: BENCH_RUNTIME (s per timed fio run, default 8), BENCH_SNAPS (default
# 100 for dm-thin and thinctl), BENCH_LIBSNAPS (default 10000, flatness).
. /tests/lib/guest.sh

RT=${BENCH_RUNTIME:-8}
NSNAP=${BENCH_SNAPS:-100}
NLIBSNAP=${BENCH_LIBSNAPS:-10000}
SPAN=512M			# region the random cases work on
SPAN_BLOCKS=8192		# 64K blocks in it
SEQ_SIZE=256M			# sequential provisioning, on a new volume
DATA=/dev/ram0
META=/dev/ram1
VOLSECT=20971520		# 10 GiB virtual

fio_json_iops() {	# fio_json_iops DEV RW BS [extra fio args] -> IOPS
	_dev=$1 _rw=$2 _bs=$3
	shift 3
	fio --name=b --filename="$_dev" --rw="$_rw" --bs="$_bs" --ioengine=psync \
		--direct=1 --numjobs=1 --size=$SPAN --randrepeat=0 --norandommap \
		--output-format=json "$@" 2>/dev/null |
		jq -r '.jobs[0] | if .write.iops > 0 then .write.iops else .read.iops end | floor'
}

fio_iops() {	# timed run
	fio_json_iops "$@" --runtime="$RT" --time_based
}

fio_fresh_iops() {	# one 4K write at the start of each of half the blocks
	fio_json_iops "$1" randwrite 4k --blockalign=64k --number_ios=$((SPAN_BLOCKS / 2))
}

fio_starts_iops() {	# fio_starts_iops DEV FIRST_BLOCK NBLOCKS: 4K at each block's start
	fio --name=b --filename="$1" --rw=write:60k --bs=4k --ioengine=psync \
		--direct=1 --numjobs=1 --offset=$(($2 * 64))k --size=$(($3 * 64))k \
		--output-format=json 2>/dev/null | jq -r '.jobs[0].write.iops | floor'
}

flush_dev() {
	dd if=/dev/null of="$1" conv=notrunc,fsync 2>/dev/null || fail "fsync $1"
}

# The sharing rule's cost: a new snapshot SNAP of ORIGIN; the origin breaks
# sharing of one region, the snapshot overwrites it before the next commit
# (thinblk copies: shared in the last commit), a commit; the same with a
# second region but the snapshot writes after a commit (in place again).
unshared_cases() {	# unshared_cases TARGET ORIGIN SNAP (64 MiB more data)
	_n=$((SPAN_BLOCKS / 16))
	fio_starts_iops "$2" 0 $_n > /dev/null
	declare_result "$1" unshared_pre "$(fio_starts_iops "$3" 0 $_n)"
	flush_dev "$2"
	fio_starts_iops "$2" $_n $_n > /dev/null
	flush_dev "$2"
	declare_result "$1" unshared_post "$(fio_starts_iops "$3" $_n $_n)"
}

fill() {	# fill DEV: provision/write the whole span once
	fio --name=f --filename="$1" --rw=write --bs=1M --ioengine=psync --direct=1 \
		--size=$SPAN --output=/dev/null 2>/dev/null
}

now_cs() {	# centiseconds since boot
	awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime
}

wipe() {
	dd if=/dev/zero of=$META bs=1M count=4 2>/dev/null
}

# dm-thin helpers
dmt_pool() {
	wipe
	dmsetup create pool --table "0 $SECTORS thin-pool $META $DATA 128 0 2 skip_block_zeroing error_if_no_space" || fail "dm-thin pool"
	dmsetup mknodes
}
dmt_thin() {	# dmt_thin ID NAME
	dmsetup message /dev/mapper/pool 0 "create_thin $1" &&
		dmsetup create "$2" --table "0 $VOLSECT thin /dev/mapper/pool $1" || fail "dm-thin $2"
	dmsetup mknodes
}
dmt_snap() {	# dmt_snap NEW_ID ORIGIN_ID ORIGIN_NAME
	dmsetup suspend "$3" && dmsetup message /dev/mapper/pool 0 "create_snap $1 $2" &&
		dmsetup resume "$3" || fail "dm-thin snapshot"
}
dmt_down() {
	dmsetup remove_all || fail "dmsetup remove_all"
}

# thinblk helpers
tb_pool() {
	wipe
	thinctl pool create bp --data $DATA --metadata $META --no-zero --basesize 10G || fail "thinblk pool"
}
tb_down() {
	thinctl pool destroy --force bp || fail "thinblk destroy"
}

declare_result() {	# declare_result TARGET CASE VALUE
	eval "R_$1_$2=$3"
	printf '%-8s %-12s %10s\n' "$1" "$2" "$3"
}

run_cases() {	# run_cases TARGET DEV SNAPFN: the five I/O cases
	_t=$1 _d=$2 _snap=$3
	declare_result "$_t" alloc "$(fio_fresh_iops "$_d")"
	fill "$_d"
	declare_result "$_t" overwrite "$(fio_iops "$_d" randwrite 4k)"
	$_snap
	declare_result "$_t" sharedread "$(fio_iops "$_d" randread 4k)"
	declare_result "$_t" cowbreak "$(fio_fresh_iops "$_d")"
}

info "== raw device =="
brd_setup 2 1024
SECTORS=$(($(blockdev --getsize64 $DATA) / 512))
declare_result raw alloc "$(fio_fresh_iops $DATA)"
declare_result raw overwrite "$(fio_iops $DATA randwrite 4k)"
declare_result raw sharedread "$(fio_iops $DATA randread 4k)"
declare_result raw cowbreak "$R_raw_alloc"
declare_result raw seqprov "$(fio_json_iops $DATA write 1M --size=$SEQ_SIZE)"

info "== dm-thin =="
dmt_pool
dmt_thin 0 t0
dmt_snap_once() { dmt_snap 1 0 t0; }
run_cases dmthin /dev/mapper/t0 dmt_snap_once
dmt_thin 10 t10
declare_result dmthin seqprov "$(fio_json_iops /dev/mapper/t10 write 1M --size=$SEQ_SIZE)"
# room for the sharing-rule cases: the sequential volume goes
dmsetup remove t10 && dmsetup message /dev/mapper/pool 0 "delete 10" || fail "dm-thin delete"
dmt_snap 2 0 t0
dmsetup create t2 --table "0 $VOLSECT thin /dev/mapper/pool 2" && dmsetup mknodes || fail "dm-thin t2"
unshared_cases dmthin /dev/mapper/t0 /dev/mapper/t2
t0=$(now_cs)
i=0
while [ $i -lt "$NSNAP" ]; do
	dmt_snap $((100 + i)) 0 t0
	i=$((i + 1))
done
declare_result dmthin snap_ms "$(( ($(now_cs) - t0) * 10 / NSNAP ))"
dmt_down

info "== thinblk =="
tb_load
tb_pool
v=$(thinctl vol create bp/v0) || fail "vol create"
tb_snap_once() { thinctl vol snapshot bp/v0 s0 > /dev/null || fail "snapshot"; }
run_cases thinblk "$v" tb_snap_once
v10=$(thinctl vol create bp/v10) || fail "vol create"
declare_result thinblk seqprov "$(fio_json_iops "$v10" write 1M --size=$SEQ_SIZE)"
used=$(thinctl -j pool show bp | jq .data_used)
thinctl vol delete bp/v10 || fail "vol delete"
i=0	# the reclaim frees it in the background
while [ "$(thinctl -j pool show bp | jq .data_used)" -gt $((used - 256 * 1048576)) ]; do
	i=$((i + 1))
	[ $i -lt 120 ] || fail "v10's space not freed"
	sleep 1
done
s1=$(thinctl vol snapshot bp/v0 s1) || fail "snapshot s1"
echo 600000 > /sys/module/thinblk/parameters/commit_period_ms	# commits: the flushes only
unshared_cases thinblk "$v" "$s1"
echo 1000 > /sys/module/thinblk/parameters/commit_period_ms
t0=$(now_cs)
i=0
while [ $i -lt "$NSNAP" ]; do
	thinctl -q vol snapshot bp/v0 s$((100 + i)) || fail "snapshot $i"
	i=$((i + 1))
done
declare_result thinblk snap_ms "$(( ($(now_cs) - t0) * 10 / NSNAP ))"
set -- $(snapbench bp v0 "$NLIBSNAP" lib) || fail "snapbench"
info "libthinblk, $NLIBSNAP snapshots of one volume: first tenth $1 us, last tenth $2 us, mean $3 us each"
declare_result thinblk libsnap_us "$3"
tb_down

# The machine is shared: measure the raw device again and hold thinblk and
# dm-thin to the better of the two raw runs.
info "== raw device again =="
for c in overwrite sharedread; do
	case $c in overwrite) rw=randwrite ;; *) rw=randread ;; esac
	again=$(fio_iops $DATA $rw 4k)
	eval "first=\$R_raw_$c"
	[ "$again" -gt "$first" ] && declare_result raw $c "$again"
done

ratio() {	# ratio A B -> A/B with two decimals
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}
echo
echo "== ratios (same guest, same RAM disks) =="
printf '%-12s %12s %12s %14s  %s\n' case dmthin/raw thinblk/raw thinblk/dmthin target
R_raw_unshared_pre=$R_raw_overwrite R_raw_unshared_post=$R_raw_overwrite
for c in alloc overwrite cowbreak seqprov sharedread unshared_pre unshared_post; do
	eval "r=\$R_raw_$c d=\$R_dmthin_$c t=\$R_thinblk_$c"
	case $c in
	alloc|cowbreak|unshared_pre) want=">= 2x dm-thin" ;;
	unshared_post) want="(in place after the commit; raw = overwrite)" ;;
	overwrite) want=">= 0.9x raw" ;;
	sharedread) want=">= 0.8x raw" ;;
	*) want="-" ;;
	esac
	printf '%-12s %12s %12s %14s  %s\n' $c "$(ratio "$d" "$r")" "$(ratio "$t" "$r")" "$(ratio "$t" "$d")" "$want"
done
printf '%-12s %12s %12s %14s  %s\n' snapshot "${R_dmthin_snap_ms}ms" "${R_thinblk_snap_ms}ms" \
	"$(ratio "$R_dmthin_snap_ms" "$R_thinblk_snap_ms")x" "tools: dmsetup x3 vs thinctl"
printf '%-12s %12s %12s %14s  %s\n' snapshot-lib "${R_dmthin_snap_ms}ms" "${R_thinblk_libsnap_us}us" \
	"$(ratio "$((R_dmthin_snap_ms * 1000))" "$R_thinblk_libsnap_us")x" ">= 10x faster"
