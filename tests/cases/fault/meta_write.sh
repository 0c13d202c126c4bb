#!/bin/sh
# desc: fault point meta_write: a commit whose metadata flush fails turns the pool read-only with an event and the errno, refuses changes, keeps serving what was committed; reopened, it is at the last good commit (flush of the new blocks failed) or at the failed one (flush after the superblock failed)
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_load_faults
tb_pool_setup p0 64 64

# cut_commit SKIP: the next commit's metadata flush number SKIP+1 fails
cut_commit() {
	v=$(tb_field 'vol show p0/v' .device)
	expect_ok tbpattern write "$v" 0 2M 1		# fsync: committed
	thinctl -j monitor > /tmp/ev.json 2>/dev/null &
	m=$!
	sleep 1
	tb_fault meta_write "$1" 1
	# a new block needs a commit (fsync), which fails
	expect_err "Input/output error" tbpattern write "$v" 8M 64K 2
	expect_eq "$(tb_fault_hits meta_write)" 1 "meta_write fired"
	expect_eq "$(tb_field 'pool show p0' .mode)" read-only "pool mode"
	expect_eq "$(tb_field 'pool show p0' .errno)" 5 "pool errno"
	expect_eq "$(tb_field 'pool show p0' .error)" "Input/output error" "pool error"
	expect_err "read-only" thinctl vol create p0/w
	expect_err "read-only" thinctl vol snapshot p0/v s
	# every flush fails from now on: nothing after the last commit is durable
	expect_err "Input/output error" tbpattern -D -S write "$v" 0 64K 1
	expect_ok tbpattern -D verify "$v" 0 2M 1
	sleep 1
	kill $m
	wait $m 2>/dev/null
	expect_eq "$(jq -r 'select(.type=="mode-changed") | .mode' /tmp/ev.json | head -n 1)" \
		read-only "mode-changed event"
	expect_ok thinctl pool close p0
	expect_ok thinctl check --metadata /dev/ram1
	expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
	expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after reopen"
	v=$(tb_field 'vol show p0/v' .device)
	expect_ok tbpattern -D verify "$v" 0 2M 1
}

tb_vol p0/v > /dev/null
# the flush after the new blocks: the superblock was never written
cut_commit 0
expect_ok tbpattern -D zero "$v" 8M 64K
# the flush after the superblock: it was sent, so the failed commit may be
# there (on a RAM disk it is) or not; either way the pool is consistent
cut_commit 1
expect_ok tbpattern -D verify "$v" 8M 64K 2,-1
expect_ok tbpattern -D write "$v" 16M 64K 3
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
