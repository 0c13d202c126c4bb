#!/bin/sh
# desc: a read in flight to a block that a discard frees (delayed data device) returns that block's old data, not what another volume writes to it once it is allocated again: the commit that frees it waits for the read, and a write that needs the block meanwhile (full pool, error policy) waits for that commit instead of failing
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
tb_no_periodic_commit
brd_setup 2 64
modprobe dm-delay || fail "modprobe dm-delay"
BLOCK=65536
BLOCKS=16
DATA_S=$((BLOCKS * BLOCK / 512))
X=5				# a's block that is read, discarded, reused
OFF=$((X * BLOCK))
dm_set sdata "0 $DATA_S linear /dev/ram0 0"
expect_ok thinctl pool create p0 --data /dev/mapper/sdata --metadata /dev/ram1 \
	--block-size 64K --basesize 64M --no-space error
a=$(tb_vol p0/a)
b=$(tb_vol p0/b)
# a takes every block of the pool: the one a discard frees is the only one
# b's write can get.
expect_ok tbpattern write "$a" 0 $((BLOCKS * BLOCK)) 1
expect_eq "$(tb_field 'pool show p0' .data_used)" $((BLOCKS * BLOCK)) "pool full"
# Reads of the data device take 4 s from now (writes and flushes do not).
dm_set sdata "0 $DATA_S delay /dev/ram0 0 4000 /dev/ram0 0 0 /dev/ram0 0 0"
dd if="$a" of=/tmp/read bs=$BLOCK skip=$X seek=$X count=1 iflag=direct \
	2>/tmp/dd.err &
reader=$!
sleep 1
# The read waits in dm-delay: discard its block, commit, and meanwhile
# write to b, which needs the block.
expect_ok blkdiscard -o $OFF -l $BLOCK "$a"
thinctl vol create p0/c >/tmp/c.out 2>&1 &		# a commit
committer=$!
sleep 1
run_capture tbpattern -D write "$b" $OFF $BLOCK 2
[ "$RC" = 0 ] || fail "b's write failed while the freed block waited for the read: $ERR"
wait $committer || fail "vol create (the commit) failed: $(cat /tmp/c.out)"
wait $reader || fail "the read failed: $(cat /tmp/dd.err)"
dm_set sdata "0 $DATA_S linear /dev/ram0 0"
run_capture tbpattern verify /tmp/read $OFF $BLOCK 2
[ "$RC" != 0 ] || fail "a's read returned b's data (a block freed under a read in flight was reused)"
# What a read that raced its block's discard may return: old data or zeros.
run_capture tbpattern verify /tmp/read $OFF $BLOCK 1
[ "$RC" = 0 ] || expect_ok tbpattern zero /tmp/read $OFF $BLOCK
expect_ok tbpattern -D verify "$b" $OFF $BLOCK 2
expect_ok tbpattern -D zero "$a" $OFF $BLOCK
expect_ok tbpattern -D verify "$a" 0 $OFF 1
expect_ok tbpattern -D verify "$a" $((OFF + BLOCK)) $(((BLOCKS - X - 1) * BLOCK)) 1
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
dmsetup remove sdata
