#!/bin/sh
# desc: 240 volumes (dumps span many netlink messages): list -j returns each exactly once, also after deleting every third and after a reopen; names are looked up and refused when taken
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
N=240
tb_pool_setup p0 64 64 --basesize 16M
i=0
while [ $i -lt $N ]; do
	thinctl -q vol create p0/volume-with-a-long-name-$i || fail "create $i"
	i=$((i + 1))
done
names() {	# the sorted volume names from a JSON dump
	thinctl -j vol list p0 | jq -r '.[].name' | sort
}
expect_eq "$(names | wc -l)" $N "volumes listed"
expect_eq "$(names | uniq | wc -l)" $N "distinct volumes listed"
i=0
while [ $i -lt $N ]; do
	thinctl -q vol delete p0/volume-with-a-long-name-$i || fail "delete $i"
	i=$((i + 3))
done
seq 0 $((N - 1)) | awk '$1 % 3 { print "volume-with-a-long-name-" $1 }' | sort > /tmp/want
names > /tmp/got
cmp -s /tmp/want /tmp/got || fail "after deletes: $(diff /tmp/want /tmp/got | head -5)"
expect_eq "$(tb_field 'pool show p0' .volumes)" $((N * 2 / 3)) "pool volumes"
expect_err "name already in use" thinctl vol create p0/volume-with-a-long-name-1
expect_err "no such volume" thinctl vol show p0/volume-with-a-long-name-3
expect_eq "$(tb_field 'vol show p0/volume-with-a-long-name-4' .name)" volume-with-a-long-name-4 "lookup by name"
# a freed name can be used again
expect_ok thinctl vol create p0/volume-with-a-long-name-3
expect_ok thinctl vol delete p0/volume-with-a-long-name-3
expect_ok thinctl pool close p0
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
names > /tmp/got
cmp -s /tmp/want /tmp/got || fail "after reopen: $(diff /tmp/want /tmp/got | head -5)"
expect_ok thinctl pool destroy p0
