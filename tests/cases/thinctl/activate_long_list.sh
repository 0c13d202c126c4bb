#!/bin/sh
# desc: pool open --activate with a list bigger than a page and than libnl's default socket buffer (600 names of 63 bytes, 40 KiB) reaches the kernel whole: the named volume is active, the other not; an unknown name at its end is refused by name
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16 --basesize 64M
long=$(printf 'v%062d' 7)
expect_eq "${#long}" 63 "name length"
tb_vol "p0/$long" > /dev/null
tb_vol p0/other > /dev/null
expect_ok thinctl pool close p0
list=$long
i=1
while [ $i -lt 600 ]; do
	list="$list,$long"
	i=$((i + 1))
done
[ ${#list} -gt 32768 ] || fail "the list is only ${#list} bytes"
last=$(printf 'x%062d' 9)
echo "$list" > /tmp/list
echo "$list,$last" > /tmp/list.bad
open_list() {	# open_list FILE: --activate the names in FILE (kept off the log)
	thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1 --activate "$(cat "$1")"
}
expect_err "no volume \"$last\" to activate" open_list /tmp/list.bad
expect_ok open_list /tmp/list
expect_eq "$(tb_field "vol show p0/$long" .active)" true "the named volume"
expect_eq "$(tb_field 'vol show p0/other' .active)" false "the other volume"
