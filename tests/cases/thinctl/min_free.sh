#!/bin/sh
# desc: --min-free SIZE|PCT%: below that free data space vol create and snapshot are refused (ENOSPC, a clear message, nothing made) while writes to existing volumes go on; set, shown, kept across close/open, 0 lifts it
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16 --basesize 16M --min-free 50%
MB=1048576
expect_eq "$(tb_field 'pool show p0' .min_free)" $((32 * MB)) "min_free 50% of 64M"
thinctl pool create --help | grep -q -- "--min-free SIZE|PCT%" || fail "create --help lacks --min-free"
thinctl pool set --help | grep -q -- "--min-free SIZE|PCT%" || fail "set --help lacks --min-free"
v=$(tb_vol p0/v --size 48M)
expect_ok tbpattern write "$v" 0 40M 5
expect_ok sync
# 24M free < 32M: no new volume, no snapshot
run_capture thinctl vol create p0/w
expect_eq "$RC" 1 "create under min-free: exit status"
expect_eq "$ERR" "thinctl: volume \"p0/w\": pool \"p0\" has $((24 * MB)) bytes free, below its min-free of $((32 * MB)): no new volumes or snapshots (free space or grow the pool)" \
	"create under min-free: message"
expect_err "below its min-free" thinctl vol snapshot p0/v s
run_capture thinctl -j vol create p0/w
expect_eq "$(json_get "$OUT" .errno)" 28 "create -j under min-free: errno (ENOSPC)"
expect_eq "$(json_get "$OUT" .object.volume)" w "create -j under min-free: object"
expect_eq "$(tb_field 'vol list p0' length)" 1 "volumes after the refusals"
# writes to the volume there go on
expect_ok tbpattern write "$v" 40M 4M 6
expect_ok tbpattern verify "$v" 0 40M 5
# in bytes; above the data size is refused
expect_err "pool \"p0\": min-free 134217728 is above the data size 67108864" \
	thinctl pool set p0 --min-free 128M
expect_ok thinctl pool set p0 --min-free 8M
expect_eq "$(tb_field 'pool show p0' .min_free)" $((8 * MB)) "min_free after set"
s=$(tb_snap p0/v s)
[ -b "$s" ] || fail "snapshot above min-free"
# kept across close and open
expect_ok thinctl pool close p0
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_eq "$(tb_field 'pool show p0' .min_free)" $((8 * MB)) "min_free after reopen"
expect_ok thinctl pool set p0 --min-free 100%
expect_err "below its min-free" thinctl vol create p0/w
expect_ok thinctl pool set p0 --min-free 0
expect_ok thinctl vol create p0/w
expect_err "invalid min-free \"lots\"" thinctl pool set p0 --min-free lots
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
