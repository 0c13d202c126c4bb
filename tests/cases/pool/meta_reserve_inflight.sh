#!/bin/sh
# desc: writes in flight hold their metadata: 64 direct provisionings into shared leaves wait in a delayed data device while a discard copies leaves until the metadata is refused; their inserts, after the writes are acknowledged, still fit (no poisoning, pool writable, data reads back, metadata checks clean)
# needs: thinctl
# timeout: 500
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
tb_no_periodic_commit
brd_setup 2 128
modprobe dm-delay || fail "modprobe dm-delay"
BLOCK=65536
DATA_S=$((128 * 1024 * 2))
LEAF=64M		# a stride of more than one mapping leaf of 64K blocks
NA=64			# writes in flight (one drain batch)
ND=1800			# leaves of the volume the discard copies
# Metadata device: what the two volumes' leaves take, and about 1300 blocks
# more: over the 1024 that direct provisioning used to need, and fewer than
# the discard can copy.
META_BLOCKS=3200
dm_set sdata "0 $DATA_S linear /dev/ram0 0"
dm_set meta "0 $((META_BLOCKS * 8)) linear /dev/ram1 0"
expect_ok thinctl pool create p0 --data /dev/mapper/sdata --metadata /dev/mapper/meta \
	--block-size 64K --basesize 128G

meta_free() {	# metadata blocks left
	tb_field 'pool show p0' '(.metadata_size - .metadata_used) / 4096'
}

# a: one block at the start of each of NA leaves, shared with a snapshot;
# d: one block in each of ND leaves, shared with a snapshot.
a=$(tb_vol p0/a)
expect_ok tbpattern write "$a" 0 64K 1 $LEAF $NA
as=$(tb_snap p0/a as)
d=$(tb_vol p0/d)
expect_ok tbpattern write "$d" 0 64K 2 $LEAF $ND
ds=$(tb_snap p0/d ds)
free=$(meta_free)
info "$free metadata blocks free after setup"
[ "$free" -ge 1100 ] && [ "$free" -le $((ND - 100)) ] ||
	fail "setup left $free metadata blocks free: the case needs 1100..$((ND - 100)) (adjust META_BLOCKS)"

# Writes to the data device wait from now until the table is swapped back
# (reads and flushes do not).
dm_set sdata "0 $DATA_S delay /dev/ram0 0 0 /dev/ram0 0 600000 /dev/ram0 0 0"
# NA whole-block writes into holes of a's shared leaves: each insert copies
# a leaf, after the write has been acknowledged.
i=0
pids=
while [ $i -lt $NA ]; do
	tbpattern -D -N write "$a" $((i * 64 * 1024 * 1024 + BLOCK)) 64K $((i + 10)) \
		2>/tmp/w$i.err &
	pids="$pids $!"
	i=$((i + 1))
done
# all NA in flight, held in dm-delay (not one of them waits in the worker):
# the delay target's status counts the writes it holds
held() { dmsetup status sdata | awk '{print $(NF - 1)}'; }
i=0
until [ "$(held)" -ge $NA ]; do
	i=$((i + 1))
	[ $i -le 60 ] || fail "only $(held) of $NA writes reached the data device ($(dmsetup status sdata))"
	sleep 1
done
# Meanwhile a discard of d copies one leaf per block until the metadata
# runs short: it must stop before the space the writes in flight will need.
run_capture blkdiscard -o 0 -l $((ND * 64))M "$d"
[ "$RC" != 0 ] || fail "the discard of $ND leaves fitted in $free metadata blocks"
info "discard refused: $ERR; $(meta_free) metadata blocks free"
for p in $pids; do
	kill -0 "$p" 2>/dev/null || fail "a write finished before the discard did"
done
[ "$(meta_free)" -ge $((NA + 40)) ] ||
	fail "the discard left $(meta_free) metadata blocks for $NA inserts in flight"
expect_eq "$(tb_field 'pool show p0' .metadata_full)" true "metadata_full after the discard"
# Let the writes through; every one is acknowledged and then inserted.
dm_set sdata "0 $DATA_S linear /dev/ram0 0"
for p in $pids; do
	wait "$p" || fail "a write in flight failed: $(cat /tmp/w*.err)"
done
expect_ok dd if=/dev/null of="$a" conv=notrunc,fsync
dmesg | grep -F "nothing more will be committed" &&
	fail "the inserts of acknowledged writes poisoned the metadata"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after the inserts"
expect_eq "$(tb_field 'pool show p0' .errno)" 0 "errno after the inserts"
info "$(meta_free) metadata blocks free after the inserts"

# Everything reads back: a's old and new blocks, the snapshot's old ones.
check_data() {
	expect_ok tbpattern -D verify "$a" 0 64K 1 $LEAF $NA
	expect_ok tbpattern -D verify "$as" 0 64K 1 $LEAF $NA
	i=0
	while [ $i -lt $NA ]; do
		o=$((i * 64 * 1024 * 1024 + BLOCK))
		expect_ok tbpattern -D verify "$a" $o 64K $((i + 10))
		expect_ok tbpattern -D zero "$as" $o 64K
		i=$((i + 1))
	done
	expect_ok tbpattern -D verify "$ds" 0 64K 2 $LEAF $ND
}
check_data
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/mapper/meta
expect_ok thinctl pool open p0 --data /dev/mapper/sdata --metadata /dev/mapper/meta
a=$(tb_field 'vol show p0/a' .device)
as=$(tb_field 'vol show p0/as' .device)
ds=$(tb_field 'vol show p0/ds' .device)
check_data
expect_ok thinctl pool close p0
dmsetup remove sdata
dmsetup remove meta
