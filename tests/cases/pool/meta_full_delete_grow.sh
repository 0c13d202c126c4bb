#!/bin/sh
# desc: metadata full, then delete, then grow: ordinary changes are refused cleanly (ENOSPC, metadata_full, no poisoning, overwrites in place go on), a delete commits and its reclaim gives space back, the metadata checks clean; after the metadata device grows, pool grow takes it in and writes work again, data reads back; a shrunk metadata device is refused
# needs: thinctl
# timeout: 600
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 64
dm_set meta "0 512 linear /dev/ram1 0"	# 256K: 64 metadata blocks
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/mapper/meta --basesize 1G
keep=$(tb_vol p0/keep)
expect_ok tbpattern write "$keep" 0 64K 7

full() { tb_field 'pool show p0' .metadata_full; }

# fill VOL: one block in each mapping leaf (64M apart) until a write is
# refused; $n is then the number written.
fill() {
	n=0
	while run_capture tbpattern write "$1" $((n * 64))M 64K $((n + 1)) && [ "$RC" = 0 ]; do
		n=$((n + 1))
		[ $n -lt 200 ] || fail "metadata never filled after $n leaves"
	done
	info "$n leaves written before the refusal: $ERR"
	[ $n -gt 0 ] || fail "not even one leaf fitted"
}

# verify VOL N: the first N leaves hold what fill wrote
verify() {
	i=0
	while [ $i -lt "$2" ]; do
		run_capture tbpattern verify "$1" $((i * 64))M 64K $((i + 1))
		[ "$RC" = 0 ] || fail "$1 leaf $i: $ERR"
		i=$((i + 1))
	done
}

thinctl -j monitor > /tmp/ev.json 2>/dev/null &
mon=$!
sleep 1
fill_vol=$(tb_vol p0/fill --size 16G)
fill "$fill_vol"
filled=$n
# Refused cleanly: still writable, nothing poisoned, and it says why.
expect_eq "$(full)" true "metadata_full after the refusal"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode while out of metadata space"
expect_eq "$(tb_field 'pool show p0' .errno)" 0 "errno while out of metadata space"
run_capture thinctl pool show p0
case "$OUT" in *"metadata_full:"*yes*) ;; *) fail "pool show does not say metadata_full: $OUT" ;; esac
expect_fail tbpattern write "$fill_vol" $((filled * 64))M 64K 99
expect_fail tbpattern write "$keep" 64M 64K 99
expect_err "out of metadata space" thinctl vol create p0/w
expect_err "out of metadata space" thinctl vol snapshot p0/keep s
# a block the volume owns alone is written in place: no metadata needed
expect_ok tbpattern write "$keep" 0 64K 7
expect_ok tbpattern write "$fill_vol" 0 64K 1
verify "$fill_vol" "$filled"
sleep 1
kill $mon
wait $mon 2>/dev/null
expect_eq "$(jq -r 'select(.type=="out-of-metadata-space") | .pool' /tmp/ev.json | head -n 1)" p0 "out-of-metadata-space event"
[ -z "$(jq -r 'select(.type=="mode-changed") | .mode' /tmp/ev.json)" ] || fail "mode changed: $(cat /tmp/ev.json)"

# A delete goes through the reserve, commits, and its reclaim gives space back.
expect_ok thinctl vol delete p0/fill
tb_wait_field 'pool show p0' .metadata_full false "metadata_full after delete and reclaim"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after the reclaim"
expect_ok tbpattern write "$keep" 64M 64K 8
expect_ok tbpattern verify "$keep" 0 64K 7
expect_ok thinctl pool close p0
tb_check_meta /dev/mapper/meta

# Full again, then grow the metadata device: pool grow takes it online.
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
keep=$(tb_field 'vol show p0/keep' .device)
fill_vol=$(tb_vol p0/fill2 --size 16G)
fill "$fill_vol"
filled=$n
expect_eq "$(full)" true "metadata_full before the grow"
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 262144 "metadata size before the grow"
dm_set meta "0 4096 linear /dev/ram1 0"	# 2M: 512 blocks
expect_ok thinctl pool grow p0
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 2097152 "metadata size after the grow"
expect_eq "$(full)" false "metadata_full after the grow"
# shrinking is refused, and leaves the pool as it was
dm_set meta "0 2048 linear /dev/ram1 0"
expect_err "shrinking is not supported" thinctl pool grow p0
dm_set meta "0 4096 linear /dev/ram1 0"
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 2097152 "metadata size after the refused shrink"
# writes work again, in new leaves
i=$filled
while [ $i -lt $((filled + 20)) ]; do
	expect_ok tbpattern write "$fill_vol" $((i * 64))M 64K $((i + 1))
	i=$((i + 1))
done
verify "$fill_vol" $((filled + 20))
expect_ok tbpattern verify "$keep" 0 64K 7
expect_ok tbpattern verify "$keep" 64M 64K 8
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after the grow"
expect_ok thinctl pool close p0
tb_check_meta /dev/mapper/meta
# the grown size is in the superblock
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .metadata_size)" 2097152 "metadata size after reopen"
verify "$(tb_field 'vol show p0/fill2' .device)" $((filled + 20))
expect_ok thinctl pool close p0
tb_check_meta /dev/mapper/meta
dmsetup remove meta
