#!/bin/sh
# desc: thinctl monitor receives the events of a scripted sequence, in order, as JSON
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 16
thinctl -j monitor > /tmp/ev.json 2>/tmp/ev.err &
m=$!
sleep 1
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1 --low-water 50%
v=$(tb_vol p0/base)
s=$(tb_snap p0/base layer)
expect_ok thinctl vol resize p0/layer 20G
expect_ok thinctl vol set p0/layer --limit 1G
expect_ok tbpattern write "$v" 0 9M 1
expect_ok thinctl vol delete p0/layer
data_size=$(tb_field 'pool show p0' .data_size)
expect_ok thinctl pool close p0
sleep 1
kill $m
wait $m 2>/dev/null
got=$(jq -r '[.type, .pool, (.volume // "-")] | join(" ")' /tmp/ev.json | tr '\n' ',')
want="pool-created p0 -,vol-created p0 base,vol-snapshotted p0 layer,vol-resized p0 layer,vol-changed p0 layer,low-water p0 -,vol-deleted p0 layer,pool-closed p0 -,"
expect_eq "$got" "$want" "event sequence"
expect_eq "$(jq -r 'select(.type=="vol-snapshotted") | .origin' /tmp/ev.json)" base "snapshot event origin"
expect_eq "$(jq -r 'select(.type=="vol-resized") | .size' /tmp/ev.json)" 21474836480 "resize event size"
t=$(jq -r 'select(.type=="pool-created") | .time' /tmp/ev.json)
case "$t" in
[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]Z) ;;
*) fail "event time '$t' is not RFC 3339 UTC with milliseconds" ;;
esac
# every event has a "volume" key: null for the pool's own (thinctl(8))
expect_eq "$(jq -c 'select(.type=="pool-created" or .type=="low-water") | [has("volume"), .volume]' /tmp/ev.json | tr '\n' ' ')" \
	"[true,null] [true,null] " "volume key of pool events"
# each event has exactly the keys thinctl(8) documents for its type (JSON
# OUTPUT, Events), flat, with sizes as numbers of bytes
keys=$(jq -r '.type + ":" + (keys | join(","))' /tmp/ev.json | tr '\n' ' ')
expect_eq "$keys" "pool-created:pool,time,type,volume \
vol-created:pool,size,time,type,volume \
vol-snapshotted:origin,pool,size,time,type,volume \
vol-resized:pool,size,time,type,volume \
vol-changed:pool,size,time,type,volume \
low-water:data_size,data_used,pool,time,type,volume \
vol-deleted:pool,time,type,volume \
pool-closed:pool,time,type,volume " "keys per event type"
expect_eq "$(jq -c 'select(.type=="vol-created" or .type=="vol-snapshotted" or .type=="vol-changed") | .size' /tmp/ev.json | tr '\n' ' ')" \
	"10737418240 10737418240 21474836480 " "event sizes (bytes)"
expect_eq "$(jq -r 'select(.type=="low-water") | .data_size' /tmp/ev.json)" "$data_size" "low-water data_size"
jq -se 'map(select(.type=="low-water")) | length == 1 and (.[0] |
	(.data_used | type) == "number" and .data_used * 2 >= .data_size and .data_used <= .data_size)' \
	/tmp/ev.json >/dev/null || fail "low-water data_used: $(grep low-water /tmp/ev.json)"
