#!/bin/sh
# desc: write errors of the data device (dm-flakey) fail the bios, raise io-error events, lose nothing mapped
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
need_thinctl
tb_load
brd_setup 2 64
sectors=$((64 * 2048))
dm_set data "0 $sectors linear /dev/ram0 0"
expect_ok thinctl pool create p0 --data /dev/mapper/data --metadata /dev/ram1
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 2M 1
w=$(tb_vol p0/w)
expect_ok tbpattern write "$w" 0 1M 5
thinctl -j monitor > /tmp/ev.json 2>/dev/null &
m=$!
sleep 1
# every write to the data device fails from now on
dm_set data "0 $sectors flakey /dev/ram0 0 0 60 1 error_writes"
expect_fail tbpattern write "$v" 8M 64K 2
expect_fail tbpattern write "$v" 0 64K 3
# an overwrite of a mapped block is remapped without the worker
expect_fail tbpattern write "$w" 0 64K 6
sleep 1
kill $m
wait $m 2>/dev/null
expect_eq "$(jq -r 'select(.type=="io-error") | .volume' /tmp/ev.json | head -n 1)" v "io-error event"
expect_eq "$(jq -r 'select(.type=="io-error" and .volume=="w") | .errno' /tmp/ev.json | head -n 1)" 5 "io-error event of an overwrite (EIO)"
[ "$(thinctl -j stats --no-stream p0/v | jq '.[0].errors')" -gt 0 ] || fail "errors not counted"
dm_set data "0 $sectors linear /dev/ram0 0"
# the old data is intact (reads never went through the failing path)
expect_ok tbpattern verify "$v" 64K 1984K 1
expect_ok tbpattern verify "$w" 64K 960K 5
expect_ok tbpattern write "$v" 8M 64K 4
expect_ok tbpattern verify "$v" 8M 64K 4
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
