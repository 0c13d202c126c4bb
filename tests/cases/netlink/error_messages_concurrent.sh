#!/bin/sh
# desc: two clients failing at once, 300 times each, always get their own error message (a formatted message is owned by its request until its ack is sent)
# needs: thinctl
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
ROUNDS=300

client() {	# client NAME: ROUNDS failing requests, each must name NAME
	_i=0 _bad=0
	while [ $_i -lt $ROUNDS ]; do
		_out=$(thinctl vol resize "p0/$1" 20G 2>&1) && { echo "resize of missing $1 succeeded"; return 1; }
		case "$_out" in
		*"\"p0/$1\""*) ;;
		*) _bad=$((_bad + 1)); echo "client $1 got: $_out" ;;
		esac
		_i=$((_i + 1))
	done
	[ $_bad = 0 ]
}

client missing_volume_a > /tmp/a.out 2>&1 &
a=$!
client other_missing_b > /tmp/b.out 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
[ $ra = 0 ] && [ $rb = 0 ] || fail "messages crossed between requests: $(head -n 3 /tmp/a.out /tmp/b.out)"
info "$((2 * ROUNDS)) failing requests, each with its own message"
