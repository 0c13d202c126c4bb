#!/bin/sh
# desc: fault point meta_write under vol deactivate: the commit fails, so the device stays, with every write it took readable; the pool is read-only; reopened, the volume is at its last commit
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_load_faults
tb_no_periodic_commit
tb_pool_setup p0 64 64
v=$(tb_vol p0/v)
expect_ok tbpattern -D write "$v" 0 1M 1		# fsync: committed
# acknowledged, not committed: deactivate's own commit is the one to fail
expect_ok tbpattern -D -N write "$v" 4M 1M 2
tb_fault meta_write 0 1
expect_err "metadata commit failed (-5), pool is read-only" thinctl vol deactivate p0/v
expect_eq "$(tb_fault_hits meta_write)" 1 "meta_write fired"
[ -b "$v" ] || fail "the device went away with the failed deactivate"
expect_eq "$(tb_field 'vol show p0/v' .active)" true "active after the failed deactivate"
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "pool mode"
# the writes the failed commit could not record are still served
expect_ok tbpattern -D verify "$v" 0 1M 1
expect_ok tbpattern -D verify "$v" 4M 1M 2
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
v=$(tb_field 'vol show p0/v' .device)
expect_eq "$(tb_field 'vol show p0/v' .active)" true "active after reopen"
expect_ok tbpattern -D verify "$v" 0 1M 1
expect_ok tbpattern -D zero "$v" 4M 1M
expect_ok thinctl vol deactivate p0/v
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
