#!/bin/sh
# desc: a discard that runs out of metadata space half way poisons the transaction: the pool goes read-only with an event and says why (errno), flushes fail, close commits nothing, the metadata checks clean and reopens at the last commit with every block's data
# needs: thinctl
# timeout: 400
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
tb_no_periodic_commit
brd_setup 2 64
dm_set meta "0 512 linear /dev/ram1 0"	# 256K: 64 metadata blocks
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/mapper/meta --basesize 1G
v=$(tb_vol p0/v --size 16G)
LEAF=64M	# one mapping leaf of 64K blocks

meta_free() {	# metadata blocks left
	tb_field 'pool show p0' '(.metadata_size - .metadata_used) / 4096'
}

# One block in each leaf, committed each time, until the metadata is nearly full.
n=0
while [ "$(meta_free)" -gt 12 ]; do
	expect_ok tbpattern write "$v" $((n * 64))M 64K $((n + 1))
	n=$((n + 1))
	[ $n -lt 200 ] || fail "metadata never filled: $(meta_free) blocks free after $n leaves"
done
info "$n leaves written, $(meta_free) metadata blocks free"
[ "$(tb_field 'pool show p0' .mode)" = write ] || fail "pool not writable after filling"

thinctl -j monitor > /tmp/ev.json 2>/dev/null &
mon=$!
sleep 1
# Unmapping a block in each leaf copies every leaf: more than is left.
expect_fail blkdiscard -o 0 -l $((n * 64))M "$v"
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "mode after the failed discard"
expect_eq "$(tb_field 'pool show p0' .errno)" 28 "errno shown by pool show"
run_capture thinctl pool show p0
case "$OUT" in *"No space left"*) ;; *) fail "pool show does not say why: $OUT" ;; esac
# Nothing may be committed now: a flush fails, changes are refused.
expect_fail dd if=/dev/null of="$v" conv=notrunc,fsync
expect_err "read-only" thinctl vol create p0/w
sleep 1
kill $mon
wait $mon 2>/dev/null
expect_eq "$(jq -r 'select(.type=="mode-changed") | .mode' /tmp/ev.json | head -n 1)" read-only "mode-changed event"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/mapper/meta
# Reopened at the last commit: every leaf's block holds what was written.
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after reopen"
v=$(tb_field 'vol show p0/v' .device)
i=0
while [ $i -lt $n ]; do
	run_capture tbpattern verify "$v" $((i * 64))M 64K $((i + 1))
	[ "$RC" = 0 ] || fail "leaf $i after reopen: $ERR"
	i=$((i + 1))
done
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/mapper/meta
dmsetup remove meta
