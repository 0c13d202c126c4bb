#!/bin/sh
# desc: pool destroy refuses a pool whose volumes hold data (ENOTEMPTY, naming one) unless --force, and changes nothing then; POOL/VOL with a 64-character pool name is refused whole (a pool of its first 63 characters is not touched), in thinctl and in the kernel
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16 --basesize 16M
v=$(tb_vol p0/v)
expect_ok thinctl vol create p0/empty
expect_ok tbpattern write "$v" 0 1M 3
expect_ok sync

# destroy: refused while a volume holds data
run_capture thinctl pool destroy p0
expect_eq "$RC" 1 "destroy with data: exit status"
expect_eq "$ERR" "thinctl: pool \"p0\": volume \"v\" holds data (1 of 2 volumes do): destroy with --force to lose them" \
	"destroy with data: message"
run_capture thinctl -j pool destroy p0
expect_eq "$RC" 1 "destroy -j with data: exit status"
expect_eq "$(json_get "$OUT" .errno)" 39 "destroy -j: errno (ENOTEMPTY)"
expect_eq "$(json_get "$OUT" .object.pool)" p0 "destroy -j: object"
# nothing changed: the pool, its volumes and their data are there
expect_eq "$(tb_field 'pool show p0' .volumes)" 2 "volumes after the refused destroy"
expect_ok tbpattern verify "$v" 0 1M 3
thinctl pool destroy --help | grep -q -- "--force" || fail "destroy --help does not name --force"
expect_ok thinctl pool destroy p0 --force
expect_err "no such pool" thinctl pool show p0
expect_err "not a thinblk" thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1

# a pool whose volumes hold nothing goes without --force
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1 --basesize 16M
expect_ok thinctl vol create p0/empty
expect_ok thinctl pool destroy p0

# long names: never cut to 63 characters
n63=$(printf 'x%.0s' $(seq 63))
n64=${n63}x
expect_ok thinctl pool create "$n63" --data /dev/ram0 --metadata /dev/ram1 --basesize 16M
RULE="use 1-63 characters of [A-Za-z0-9_.-], not . or .."
for cmd in "vol create $n64/v" "vol snapshot $n64/v s" "vol show $n64/v" "vol delete $n64/v" \
	   "vol resize $n64/v 32M" "vol set $n64/v --limit none" "stats --no-stream $n64/v"; do
	# shellcheck disable=SC2086
	run_capture thinctl $cmd
	expect_eq "$RC" 1 "thinctl $cmd: exit status"
	expect_eq "$ERR" "thinctl: invalid pool name \"$n64\": $RULE" "thinctl $cmd: message"
done
expect_eq "$(tb_field "vol list $n63" length)" 0 "volumes of the 63-character pool"
expect_err "invalid pool name \"$n64\"" thinctl pool show "$n64"
# the kernel refuses the long name itself (strict policy), for other clients
expect_err "" tbrawnl create "$n64" /dev/ram2 /dev/ram3
expect_err "" tbrawnl open "$n64" /dev/ram0 /dev/ram1
expect_eq "$(tb_field 'pool list' length)" 1 "pools after the long names"
expect_ok thinctl pool destroy "$n63"
