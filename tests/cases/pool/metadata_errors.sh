#!/bin/sh
# desc: metadata write errors (dm-flakey): the pool goes read-only with an event, refuses changes clearly, keeps serving mapped reads; reopened, it is at its last commit
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 64
msect=$((64 * 2048))
dm_set meta "0 $msect linear /dev/ram1 0"
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/mapper/meta
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 2M 1		# fsync: committed
thinctl -j monitor > /tmp/ev.json 2>/dev/null &
m=$!
sleep 1
dm_set meta "0 $msect flakey /dev/ram1 0 0 60 1 error_writes"
# a new block needs a commit (fsync), which fails: the pool turns read-only
expect_fail tbpattern write "$v" 8M 64K 2
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "pool mode"
expect_err "read-only" thinctl vol create p0/w
expect_err "read-only" thinctl vol snapshot p0/v s
expect_err "read-only" thinctl vol delete p0/v
# what was committed still reads back
expect_ok tbpattern verify "$v" 0 2M 1
sleep 1
kill $m
wait $m 2>/dev/null
expect_eq "$(jq -r 'select(.type=="mode-changed") | .mode' /tmp/ev.json | head -n 1)" read-only "mode-changed event"
# the device recovers; the pool reopens at its last commit
dm_set meta "0 $msect linear /dev/ram1 0"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/mapper/meta
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/mapper/meta
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after reopen"
v=$(tb_field 'vol show p0/v' .device)
expect_ok tbpattern verify "$v" 0 2M 1
expect_ok tbpattern write "$v" 8M 64K 3
expect_ok tbpattern verify "$v" 8M 64K 3
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/mapper/meta
dmsetup remove meta
