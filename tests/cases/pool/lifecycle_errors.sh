#!/bin/sh
# desc: pool create/close/destroy errors: name in use, busy devices, open volumes, unknown pool
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
expect_err "already exists" thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
expect_err "busy" thinctl pool create p1 --data /dev/ram0 --metadata /dev/ram1
expect_err "no such pool" thinctl pool show nosuch
expect_err "no such pool" thinctl vol create nosuch/v
v=$(tb_vol p0/v)
exec 3<"$v"
expect_err "open" thinctl pool close p0
expect_err "open" thinctl pool destroy p0
expect_err "busy" thinctl vol delete p0/v
exec 3<&-
expect_ok thinctl pool destroy p0
expect_err "no such pool" thinctl pool show p0
expect_err "not a thinblk" thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
expect_eq "$(thinctl -j vol list p0 | jq length)" 0 "volumes after re-create"
