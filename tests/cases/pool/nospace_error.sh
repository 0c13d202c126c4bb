#!/bin/sh
# desc: pool full with the error policy: writes needing a block fail at once, others go on
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 8 16 --no-space error
a=$(tb_vol p0/a)
b=$(tb_vol p0/b)
expect_ok tbpattern write "$b" 0 1M 1
t0=$(cut -d. -f1 /proc/uptime)
# O_DIRECT: the bio's status reaches the caller as its errno
expect_err "No space left on device" tbpattern -D write "$a" 0 16M 2
t1=$(cut -d. -f1 /proc/uptime)
[ $((t1 - t0)) -lt 10 ] || fail "error policy took $((t1 - t0)) s"
expect_eq "$(tb_field 'pool show p0' .mode)" out-of-data-space "pool mode"
expect_eq "$(tb_field 'pool show p0' .no_space)" error "policy"
# a second try fails the same way (the policy is not a one-shot)
expect_err "No space left on device" tbpattern -D write "$a" 12M 1M 2
[ "$(thinctl -j stats --no-stream p0/a | jq '.[0].errors')" -ge 2 ] || fail "errors not counted on a"
# mapped blocks of other volumes can still be read and overwritten
expect_ok tbpattern verify "$b" 0 1M 1
expect_ok tbpattern write "$b" 0 1M 3
expect_ok tbpattern verify "$b" 0 1M 3
# freeing space lets writes continue
expect_ok thinctl vol delete p0/a
sleep 3
expect_ok tbpattern write "$b" 1M 1M 4
expect_eq "$(tb_field 'pool show p0' .mode)" write "pool mode after space was freed"
