#!/bin/sh
# desc: a user without CAP_SYS_ADMIN gets "not permitted" for every state change and can still read
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
v=$(tb_vol p0/v)
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >> /etc/group
as_user() {
	su -s /bin/sh nobody -c "$*"
}
for cmd in \
	"pool create p1 --data /dev/ram0 --metadata /dev/ram1" \
	"pool open p0 --data /dev/ram0 --metadata /dev/ram1" \
	"pool close p0" "pool destroy p0" "pool grow p0" "pool set p0 --basesize 20G" \
	"vol create p0/x" "vol snapshot p0/v s" "vol resize p0/v 20G" \
	"vol delete p0/v" "vol set p0/v --limit 1G"; do
	out=$(as_user thinctl $cmd 2>&1) && fail "thinctl $cmd succeeded as nobody"
	case "$out" in
	*"not permitted"*) ;;
	*) fail "thinctl $cmd as nobody: unexpected message: $out" ;;
	esac
done
expect_eq "$(as_user thinctl -j pool show p0 | jq -r .name)" p0 "pool show as nobody"
expect_eq "$(as_user thinctl -j vol list | jq -r '.[0].name')" v "vol list as nobody"
expect_ok as_user thinctl version
expect_ok as_user thinctl stats --no-stream
expect_eq "$(tb_field 'vol list p0' length)" 1 "nothing changed"
