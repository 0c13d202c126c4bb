#!/bin/sh
# desc: fault point meta_read: a metadata read error at open refuses the open and changes nothing; during I/O it fails that I/O and turns the pool read-only with an event; reopened, the data is all there
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_load_faults
tb_pool_setup p0 64 64
v=$(tb_vol p0/v)
expect_ok tbpattern -D write "$v" 0 2M 1
s=$(tb_snap p0/v s)
expect_ok thinctl pool close p0
sum=$(md5sum < /dev/ram1)
for skip in 0 2 5; do
	tb_fault meta_read $skip 1
	expect_err "I/O error on the metadata or data device" thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
	expect_eq "$(tb_fault_hits meta_read)" 1 "meta_read fired at open (skip $skip)"
	expect_eq "$(thinctl -j pool list | jq length)" 0 "pools after the refused open"
done
tb_fault meta_read 0 0
expect_eq "$(md5sum < /dev/ram1)" "$sum" "metadata after the refused opens"
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
v=$(tb_field 'vol show p0/v' .device)
expect_ok tbpattern -D verify "$v" 0 2M 1
thinctl -j monitor > /tmp/ev.json 2>/dev/null &
m=$!
sleep 1
# during I/O: every metadata read fails from now on.  A lookup that fails
# fails its bio only (nothing changed); a change that fails part way turns
# the pool read-only for good (until reopened), with an event
tb_fault meta_read 0 -1
expect_err "Input/output error" tbpattern -D write "$v" 8M 64K 2
[ "$(tb_fault_hits meta_read)" -ge 1 ] || fail "meta_read did not fire during I/O"
expect_eq "$(tb_field 'pool show p0' .mode)" write "mode after failed lookups"
expect_err "pool is read-only" thinctl vol create p0/w
expect_eq "$(tb_field 'pool show p0' .mode)" read-only "mode after a failed create"
expect_eq "$(tb_field 'pool show p0' .errno)" 5 "errno after a failed create"
tb_fault meta_read 0 0
expect_ok tbpattern -D verify "$v" 0 2M 1
sleep 1
kill $m
wait $m 2>/dev/null
expect_eq "$(jq -r 'select(.type=="mode-changed") | .mode' /tmp/ev.json)" read-only "mode-changed events"
expect_err "read-only" thinctl vol create p0/w
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
v=$(tb_field 'vol show p0/v' .device)
expect_ok tbpattern -D verify "$v" 0 2M 1
expect_ok tbpattern -D verify "$(tb_field 'vol show p0/s' .device)" 0 2M 1
expect_ok tbpattern -D write "$v" 8M 64K 2
expect_ok tbpattern -D verify "$v" 8M 64K 2
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
