#!/bin/sh
# desc: 100,000 fuzzed netlink messages (tbnlfuzz), part of them as nobody, and a create/delete race: every message answered, nothing changed without CAP_SYS_ADMIN, the pool checks clean, its data reads back and it still works
# needs: thinctl
# timeout: 240
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
# The seed: fixed by default (a failure reproduces in every run); the date's
# for a fresh one (tests/tools/nlfuzz.c says how to replay a message).
SEED=20250101
COUNT=100000		# root's messages
USER_COUNT=20000	# nobody's
RACE_COUNT=2000		# creates and deletes of one name, each
need_thinctl
tb_load
brd_setup 4 64	# ram0, ram1: p0; ram2, ram3: pools the fuzzer may make
expect_ok thinctl pool create p0 --data /dev/ram0 --metadata /dev/ram1
v=$(tb_vol p0/v)
expect_ok tbpattern write "$v" 0 1M 7

info "tbnlfuzz seed $SEED"
t0=$(date +%s)
# A name the kernel should have refused fails the case at the end (the
# fuzzer deletes it): the checks after it still run.
tbnlfuzz -s $SEED -n $COUNT -d /dev/ram2 -d /dev/ram3 p0 v > /tmp/fuzz.out 2>&1 ||
	grep -q "FAIL: the kernel took .* name" /tmp/fuzz.out ||
	fail "tbnlfuzz: $(tail -n 12 /tmp/fuzz.out)"
bad_names=$(grep "FAIL: the kernel took .* name" /tmp/fuzz.out)
t1=$(date +%s)
grep '^nlfuzz: [^F]' /tmp/fuzz.out | while read -r line; do info "$line"; done
grep -q ", 0 unanswered$" /tmp/fuzz.out || fail "no summary: $(tail -n 3 /tmp/fuzz.out)"
info "$COUNT messages in $((t1 - t0)) s"

grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
su -s /bin/sh nobody -c "tbnlfuzz --expect-eperm -s $((SEED + 1)) -n $USER_COUNT p0 v" \
	> /tmp/fuzz_user.out 2>&1 || fail "tbnlfuzz as nobody: $(tail -n 12 /tmp/fuzz_user.out)"
grep '^nlfuzz:' /tmp/fuzz_user.out | while read -r line; do info "as nobody: $line"; done
case "$(grep 'unanswered$' /tmp/fuzz_user.out)" in
*" ok "*EPERM*) ;;
*) fail "as nobody: no EPERM, or nothing succeeded: $(tail -n 2 /tmp/fuzz_user.out)" ;;
esac

expect_ok tbnlfuzz race p0 race $RACE_COUNT
echo "$OUT" | grep race | while read -r line; do info "$line"; done
expect_eq "$(tb_field 'vol show p0/v' .name)" v "the volume after the fuzzing"

# What the fuzzer left: pools on ram2/ram3 are closed and checked; p0 gets
# its free-space floor and basesize back (fuzzed, they may refuse a volume).
for pool in $(thinctl -j pool list | jq -r '.[].name'); do
	[ "$pool" = p0 ] && continue
	meta=$(tb_field "pool show $pool" .metadata_device)
	expect_ok thinctl pool close "$pool"
	tb_check_meta "$meta"
	info "fuzzer's pool $pool ($meta) closed and checked"
done
info "$(tb_field 'vol list p0' length) volumes in p0"
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
expect_eq "$(tb_field 'pool show p0' .mode)" write "p0's mode after the reopen"
expect_ok thinctl pool set p0 --min-free 0 --basesize 16M
v=$(tb_field 'vol show p0/v' .device)
[ -b "$v" ] || fail "p0/v has no device after the reopen: '$v'"
expect_ok tbpattern verify "$v" 0 1M 7
w=$(tb_vol p0/after_fuzz --size 16M)
expect_ok tbpattern write "$w" 0 1M 9
expect_ok tbpattern verify "$w" 0 1M 9
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
[ -z "$bad_names" ] || fail "$bad_names"
