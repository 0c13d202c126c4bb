#!/bin/sh
# desc: a partial write copying a block the snapshot had unshared is in flight when a commit makes the block exclusive: a second write to that block (another 4K) waits for the copy instead of going in place to the old block, and both writes read back
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
tb_no_periodic_commit
brd_setup 2 64
modprobe dm-delay || fail "modprobe dm-delay"
DATA_S=$((64 * 2048))
BLOCKS=8
dm_set sdata "0 $DATA_S linear /dev/ram0 0"
expect_ok thinctl pool create p0 --data /dev/mapper/sdata --metadata /dev/ram1 --basesize 64M
a=$(tb_vol p0/a)
expect_ok tbpattern write "$a" 0 512K 1		# committed
s=$(tb_snap p0/a s)
# The snapshot copies every block (whole-block writes); the usage report maps
# them: a's blocks are now a's alone in memory, shared in the last commit.
expect_ok tbpattern -D -N write "$s" 0 512K 2
expect_ok thinctl vol show p0/s
# Writes to the data device take 3 s from now (reads and flushes do not).
dm_set sdata "0 $DATA_S delay /dev/ram0 0 0 /dev/ram0 0 3000 /dev/ram0 0 0"
# 4K at the start of each of a's blocks, all at once: each one copies its
# block (read at once, written 3 s later).
i=0 pids=
while [ $i -lt $BLOCKS ]; do
	tbpattern -D -N write "$a" $((i * 64))K 4K 3 2>>/tmp/w.err &
	pids="$pids $!"
	i=$((i + 1))
done
sleep 1
expect_ok thinctl vol create p0/x		# a commit: the blocks are exclusive now
# 4K at 32K of each block, while the copies are still being written.
i=0
while [ $i -lt $BLOCKS ]; do
	tbpattern -D -N write "$a" $((i * 64 + 32))K 4K 4 2>>/tmp/w.err &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p" || fail "a write failed: $(cat /tmp/w.err)"
done
dm_set sdata "0 $DATA_S linear /dev/ram0 0"
expect_ok tbpattern -D verify "$a" 0 4K 3 64K $BLOCKS
run_capture tbpattern -D verify "$a" 32K 4K 4 64K $BLOCKS
[ "$RC" = 0 ] || fail "a write acknowledged during the copy is lost: $ERR"
expect_ok tbpattern -D verify "$a" 4K 28K 1 64K $BLOCKS
expect_ok tbpattern -D verify "$s" 0 512K 2
# and after a reopen
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/mapper/sdata --metadata /dev/ram1
a=$(tb_field 'vol show p0/a' .device)
s=$(tb_field 'vol show p0/s' .device)
expect_ok tbpattern -D verify "$a" 0 4K 3 64K $BLOCKS
expect_ok tbpattern -D verify "$a" 32K 4K 4 64K $BLOCKS
expect_ok tbpattern -D verify "$s" 0 512K 2
expect_ok thinctl pool close p0
dmsetup remove sdata
