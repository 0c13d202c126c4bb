#!/bin/sh
# desc: thinctl's tables, JSON keys, --tree, df, stats, pool set and size parsing, as scripts rely on them
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 128 16 --block-size 128K --basesize 1.5G --low-water 8M --no-space queue:20
j=$(thinctl -j pool show p0) || fail "pool show"
for k in name block_size data_size data_used metadata_size metadata_used basesize low_water no_space mode volumes; do
	[ "$(json_get "$j" "has(\"$k\")")" = true ] || fail "pool JSON lacks '$k': $j"
done
expect_eq "$(json_get "$j" .block_size)" 131072 "block size"
expect_eq "$(json_get "$j" .basesize)" 1610612736 "basesize 1.5G"
expect_eq "$(json_get "$j" .no_space)" queue "no-space policy"
expect_eq "$(json_get "$j" .no_space_timeout)" 20 "no-space timeout"
expect_ok thinctl pool set p0 --basesize 2G --no-space error --low-water 10%
expect_eq "$(tb_field 'pool show p0' .basesize)" 2147483648 "basesize after set"
expect_eq "$(tb_field 'pool show p0' .no_space)" error "policy after set"
expect_eq "$(tb_field 'pool show p0' .low_water)" 13421772 "low water 10% of 128M"
b=$(tb_vol p0/base)
expect_eq "$(blockdev --getsize64 "$b")" 2147483648 "new volume takes the new basesize"
tb_snap p0/base layer > /dev/null
tb_snap p0/layer ctr --size 3G --limit 256M > /dev/null
j=$(thinctl -j vol show p0/ctr) || fail "vol show"
for k in pool name id device size origin referenced exclusive limit open; do
	[ "$(json_get "$j" "has(\"$k\")")" = true ] || fail "volume JSON lacks '$k': $j"
done
expect_eq "$(json_get "$j" .origin)" layer "origin"
expect_eq "$(json_get "$j" .limit)" 268435456 "limit"
expect_eq "$(json_get "$j" .size)" 3221225472 "size"
expect_eq "$(tb_field 'vol show p0/base' .origin)" null "base origin is null"
expect_eq "$(tb_field 'vol show p0/base' .limit)" null "no limit is null"
expect_eq "$(thinctl -j vol list | jq -r 'map(.name) | sort | join(",")')" "base,ctr,layer" "vol list -j"
expect_ok thinctl vol list --tree
echo "$OUT" | grep -q "└─ ctr" || fail "--tree does not show ctr under layer: $OUT"
expect_ok thinctl vol list
echo "$OUT" | head -n 1 | grep -q "POOL *NAME *ID *SIZE" || fail "vol list header: $OUT"
expect_ok thinctl df p0
echo "$OUT" | grep -q "REFERENCED" || fail "df: $OUT"
expect_eq "$(thinctl -j df | jq '.pools[0].volumes')" 3 "df -j volumes"
expect_ok tbpattern write "$b" 0 1M 1
expect_eq "$(thinctl -j stats --no-stream p0/base | jq '.[0].writes > 0')" true "stats counted writes"
# errors: one line, prefixed, non-zero
expect_err 'thinctl: invalid size "10Q"' thinctl vol create p0/x --size 10Q
expect_eq "$(echo "$ERR" | wc -l)" 1 "one error line"
expect_err "below" thinctl vol create p0/small --size 1G
expect_err "below" thinctl vol snapshot p0/ctr smaller --size 2G
expect_err "already in use" thinctl vol snapshot p0/base layer
expect_err "no such volume" thinctl vol snapshot p0/nosuch s
expect_err "invalid volume name" thinctl vol create "p0/.."
expect_err "shrinking is not supported" thinctl vol resize p0/base 1G
expect_ok thinctl vol set p0/ctr --limit none
expect_eq "$(tb_field 'vol show p0/ctr' .limit)" null "limit removed"
exec 3< "$b"
expect_err "busy" thinctl vol delete p0/base
expect_eq "$(tb_field 'vol show p0/base' .open)" 1 "openers while held"
exec 3<&-
expect_ok thinctl --help
expect_ok thinctl vol create --help
expect_ok thinctl pool --help
