#!/bin/sh
# desc: fault point commit_delay: a slow commit (metadata lock held between its data flush and its metadata writes) delays fsync and a snapshot, fails nothing, and the snapshot holds every write acknowledged before it began
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_load_faults
tb_no_periodic_commit
tb_pool_setup p0 64 64
v=$(tb_vol p0/v)
expect_ok tbpattern -D write "$v" 0 1M 1
expect_ok tbpattern -D -N write "$v" 2M 1M 2		# acknowledged, not committed
tb_fault commit_delay 0 1 3000
t0=$(cut -d. -f1 /proc/uptime)
# a flush: its commit sleeps 3 s with the lock held
tbpattern -D write "$v" 4M 64K 3 > /tmp/w.out 2>&1 &
w=$!
# the snapshot comes once the commit sleeps (with the lock held)
i=0
while [ "$(tb_fault_hits commit_delay)" != 1 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the commit did not reach commit_delay"
	sleep 0.1
done
s=$(tb_snap p0/v s)
wait $w || fail "the write with a delayed commit failed: $(cat /tmp/w.out)"
t1=$(cut -d. -f1 /proc/uptime)
expect_eq "$(tb_fault_hits commit_delay)" 1 "commit_delay fired"
[ $((t1 - t0)) -ge 2 ] || fail "the commit was not delayed ($((t1 - t0)) s)"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after the slow commit"
expect_ok tbpattern -D verify "$s" 0 1M 1
expect_ok tbpattern -D verify "$s" 2M 1M 2
expect_ok tbpattern -D verify "$s" 4M 64K 3
expect_ok tbpattern -D verify "$v" 4M 64K 3
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
