#!/bin/sh
# desc: what scripts rely on: with -j a failure prints {"error","errno","object"} on stdout besides the stderr line (kernel refusals, invalid arguments, usage errors); -j/-q may stand between OBJECT and VERB; metadata-size over the format's limit names the limit and a block size that fits
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16 --basesize 16M
expect_ok thinctl vol create p0/v

# a kernel refusal: the stderr line, and its JSON form on stdout
run_capture thinctl -j vol create p0/v
expect_eq "$RC" 1 "vol create -j of a name in use: exit status"
expect_eq "$ERR" "thinctl: volume \"p0/v\": name already in use" "stderr line"
expect_eq "$(echo "$OUT" | jq -c .)" \
	'{"error":"volume \"p0/v\": name already in use","errno":17,"object":{"pool":"p0","volume":"v"}}' \
	"JSON error of a kernel refusal"
run_capture thinctl -j pool show nosuch
expect_eq "$(echo "$OUT" | jq -c '[.errno, .object]')" '[2,{"pool":"nosuch"}]' "JSON error: no such pool"
expect_eq "$(echo "$OUT" | jq -r .error)" "${ERR#thinctl: }" "JSON error text = stderr line"
# an invalid argument and a usage error: EINVAL, exit status kept
run_capture thinctl -j vol create p0/v --size 10Q
expect_eq "$RC" 1 "invalid size: exit status"
expect_eq "$(echo "$OUT" | jq -c '[.error, .errno]')" '["invalid size \"10Q\"",22]' "JSON error: invalid size"
run_capture thinctl -j pool show
expect_eq "$RC" 2 "usage error: exit status"
expect_eq "$(echo "$OUT" | jq -c '[.error, .errno, .object]')" '["missing POOL",22,null]' "JSON error: usage"
# exactly one object, and nothing on stdout without -j
run_capture thinctl -j pool destroy p0 --bogus
expect_eq "$(echo "$OUT" | jq -s length)" 1 "one JSON error object"
run_capture thinctl vol create p0/v
expect_eq "$OUT" "" "stdout of a failure without -j"

# options between OBJECT and VERB
expect_eq "$(thinctl pool -j show p0 | jq -r .name)" p0 "pool -j show p0"
expect_eq "$(thinctl vol -j list p0 | jq -r '.[0].name')" v "vol -j list p0"
expect_eq "$(thinctl vol --json show p0/v | jq -r .name)" v "vol --json show p0/v"
expect_eq "$(thinctl vol -q create p0/w)" "" "vol -q create"
expect_eq "$(thinctl pool -j | jq -r '.[0].name')" p0 "pool -j (default verb)"
run_capture thinctl pool -j show nosuch
expect_eq "$(echo "$OUT" | jq -r .errno)" 2 "pool -j show nosuch: JSON error"

# metadata-size beyond the 16G of metadata: which limit, and what fits
expect_err "thinctl: metadata-size: at 64K blocks this needs more than the 16G of metadata a pool can have; use --block-size 256K or more" \
	thinctl metadata-size --data-size 200T
expect_eq "$RC" 1 "metadata-size too big: exit status"
expect_ok thinctl metadata-size --data-size 200T --block-size 256K
expect_err "even at 1M blocks" thinctl metadata-size --data-size 3P
run_capture thinctl -j metadata-size --data-size 3P
expect_eq "$(echo "$OUT" | jq -r .errno)" 7 "metadata-size -j: errno (E2BIG)"
expect_ok thinctl pool close p0
