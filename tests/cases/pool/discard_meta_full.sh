#!/bin/sh
# desc: a discard that runs out of metadata space half way is refused cleanly at the metadata reserve: the blocks unmapped so far stay unmapped, the rest is refused with ENOSPC, the pool stays writable (metadata_full, no errno, no mode change), the transaction commits, the metadata checks clean and reopens with every block either discarded or holding its data
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

# One block in each leaf, committed each time, while well above the reserve.
n=0
while [ "$(meta_free)" -gt 45 ]; do
	expect_ok tbpattern write "$v" $((n * 64))M 64K $((n + 1))
	n=$((n + 1))
	[ $n -lt 200 ] || fail "metadata never filled: $(meta_free) blocks free after $n leaves"
done
info "$n leaves written, $(meta_free) metadata blocks free"
[ "$(tb_field 'pool show p0' .mode)" = write ] || fail "pool not writable after filling"
expect_eq "$(tb_field 'pool show p0' .metadata_full)" false "metadata_full after filling"

thinctl -j monitor > /tmp/ev.json 2>/dev/null &
mon=$!
sleep 1
# Unmapping a block in each leaf copies every leaf in one transaction: the
# reserve stops it part way.
expect_fail blkdiscard -o 0 -l $((n * 64))M "$v"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after the refused discard"
expect_eq "$(tb_field 'pool show p0' .errno)" 0 "errno after the refused discard"
expect_eq "$(tb_field 'pool show p0' .metadata_full)" true "metadata_full after the refused discard"
expect_err "out of metadata space" thinctl vol create p0/w
# Nothing is poisoned: a flush commits what was done.
expect_ok dd if=/dev/null of="$v" conv=notrunc,fsync
sleep 1
kill $mon
wait $mon 2>/dev/null
expect_eq "$(jq -r 'select(.type=="out-of-metadata-space") | .pool' /tmp/ev.json | head -n 1)" p0 "out-of-metadata-space event"
[ -z "$(jq -r 'select(.type=="mode-changed") | .mode' /tmp/ev.json)" ] || fail "mode changed: $(cat /tmp/ev.json)"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/mapper/meta
# Reopened at that commit: a prefix of the leaves discarded, the rest intact.
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after reopen"
v=$(tb_field 'vol show p0/v' .device)
i=0 discarded=0
while [ $i -lt $n ]; do
	if tbpattern zero "$v" $((i * 64))M 64K 2>/dev/null; then
		[ $discarded = $i ] || fail "leaf $i discarded after an intact one"
		discarded=$((discarded + 1))
	else
		run_capture tbpattern verify "$v" $((i * 64))M 64K $((i + 1))
		[ "$RC" = 0 ] || fail "leaf $i after reopen: neither discarded nor intact: $ERR"
	fi
	i=$((i + 1))
done
info "$discarded of $n leaves discarded before the refusal"
[ $discarded -gt 0 ] || fail "the discard unmapped nothing"
[ $discarded -lt $n ] || fail "the discard was never refused"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/mapper/meta
dmsetup remove meta
