#!/bin/sh
# desc: edges: create/write/delete cycles leak no block (check clean, data_used back to zero), a deep snapshot chain reads back at the top and in the middle, many snapshots of one volume, volume ids at the top of their range (the last ones given out, then a clear refusal, across a reopen)
# needs: thinctl tbedges tbcraft jq
# timeout: 900
#
# tests/long/pool/edges.sh runs it at full size (CYCLES, DEPTH, SNAPS).
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
CYCLES=${CYCLES:-1000}
DEPTH=${DEPTH:-200}
SNAPS=${SNAPS:-1000}
tb_pool_setup p0 128 64 --basesize 16M
now() { cut -d. -f1 /proc/uptime; }


# ---- cycles: nothing leaks -------------------------------------------------
t=$(now)
expect_ok tbedges cycles p0 "$CYCLES"
info "$OUT in $(($(now) - t)) s"
sync
tb_wait_field "pool show p0" .data_used 0 "data used after $CYCLES cycles"
expect_eq "$(tb_field 'vol list p0' length)" 0 "volumes after $CYCLES cycles"

# ---- a deep chain ----------------------------------------------------------
b=$(tb_vol p0/base)
# base's block 0 stays zeros, which is tbedges' stamp 0
t=$(now)
expect_ok tbedges chain p0 base "$DEPTH"
info "$OUT in $(($(now) - t)) s"
expect_eq "$(tb_field 'vol show p0/c1' .origin)" base "c1's origin"
expect_eq "$(tb_field "vol show p0/c$DEPTH" .origin)" "c$((DEPTH - 1))" "the top layer's origin"

# ---- many snapshots of one volume ------------------------------------------
o=$(tb_vol p0/o)
expect_ok tbpattern write "$o" 0 4M 3
t=$(now)
expect_ok tbedges snaps p0 o "$SNAPS"
info "$OUT in $(($(now) - t)) s"
expect_ok thinctl vol activate p0/s$((SNAPS - 1))
expect_ok tbpattern verify "$(tb_field "vol show p0/s$((SNAPS - 1))" .device)" 0 4M 3
expect_ok tbpattern write "$o" 0 1M 4
expect_ok tbpattern verify "$(tb_field "vol show p0/s$((SNAPS - 1))" .device)" 0 4M 3
expect_ok tbpattern verify "$o" 0 1M 4

# ---- all of it survives a reopen, check clean, then delete everything -------
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok tbpattern verify "$(tb_field 'vol show p0/o' .device)" 0 1M 4
expect_ok tbedges delete p0 $((DEPTH + SNAPS + 2))
sync
tb_wait_field "pool show p0" .data_used 0 "data used after deleting everything"
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1

# ---- volume ids at the top of their range ----------------------------------
expect_ok tbcraft /dev/ram1 next-id-top
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
x=$(tb_vol p0/x)
y=$(tb_snap p0/x y)
expect_eq "$(tb_field 'vol show p0/x' .id)" 4294967293 "the second-last id"
expect_eq "$(tb_field 'vol show p0/y' .id)" 4294967294 "the last id"
expect_ok tbpattern write "$x" 0 1M 5
expect_err "used up its volume ids" thinctl vol create p0/z
expect_err "used up its volume ids" thinctl vol snapshot p0/x z
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_ok tbpattern verify "$(tb_field 'vol show p0/x' .device)" 0 1M 5
expect_ok tbpattern zero "$(tb_field 'vol show p0/y' .device)" 0 1M	# taken before x was written
expect_err "used up its volume ids" thinctl vol create p0/z
expect_ok thinctl vol delete p0/y
expect_err "used up its volume ids" thinctl vol create p0/z
