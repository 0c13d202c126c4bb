#!/bin/sh
# desc: vol deactivate whose commit fails (metadata write errors) keeps the device, and the writes it acknowledged before still read back (they were not recorded yet)
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
# no periodic commit: the write below stays acknowledged and unrecorded
period=/sys/module/thinblk/parameters/commit_period_ms
echo 600000 > $period || fail "set commit_period_ms"
brd_setup 2 64
msect=$((64 * 2048))
dm_set meta "0 $msect linear /dev/ram1 0"
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/mapper/meta
v=$(tb_vol p0/v)
expect_ok tbpattern -D -N write "$v" 0 64K 1	# O_DIRECT, no flush: no commit
dm_set meta "0 $msect flakey /dev/ram1 0 0 60 1 error_writes"
expect_err "commit failed" thinctl vol deactivate p0/v
[ -b "$v" ] || fail "v's device went with a failed deactivate"
expect_eq "$(tb_field 'vol show p0/v' .active)" true "v after the failed deactivate"
expect_ok tbpattern -D verify "$v" 0 64K 1
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "pool mode"
echo 1000 > $period
dm_set meta "0 $msect linear /dev/ram1 0"
expect_ok thinctl pool close p0
