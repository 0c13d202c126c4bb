#!/bin/sh
# desc: pool names follow the volume name rule in the kernel too; volume sizes and basesize above the block layer's limit (8 EiB - 512) are refused; nothing is created
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 16
MAX=9223372036854775296		# THINBLK_VOL_SIZE_MAX = 2^63 - 512
RULE="use 1-63 characters of [A-Za-z0-9_.-], not . or .."

# pool names: thinctl refuses them itself (exit 1), and so does the kernel
# for any other client (tbrawnl sends the name as given)
nl=$(printf 'a\nb')
tab=$(printf 'a\tb')
for name in "" "." ".." "a/b" "$nl" "$tab" "a b" "$(printf 'x%.0s' $(seq 64))"; do
	run_capture thinctl pool create "$name" --data /dev/ram0 --metadata /dev/ram1
	expect_eq "$RC" 1 "thinctl pool create '$name': exit status"
	case "$ERR" in
	"thinctl: invalid pool name \"$name\": $RULE") ;;
	*) fail "thinctl pool create '$name': $ERR" ;;
	esac
done
expect_ok thinctl pool close p0
# Latin-1 letters: the kernel's isalnum() takes them (found by netlink/fuzz)
latin1=$(printf '\351') latin1b=$(printf 'a\377')
for name in "." ".." "a/b" "$nl" "$tab" "a b" "p:0" "$latin1" "$latin1b"; do
	expect_err "pool \"$name\": invalid name: $RULE" tbrawnl create "$name" /dev/ram0 /dev/ram1
	expect_err "pool \"$name\": invalid name: $RULE" tbrawnl open "$name" /dev/ram0 /dev/ram1
done
expect_eq "$(tb_field 'pool list' length)" 0 "pools after invalid names"
# the metadata was not formatted again: p0 comes back as it was
expect_ok tbrawnl open p0 /dev/ram0 /dev/ram1

# volume sizes: one sector more than the limit is refused everywhere
v=$(tb_vol p0/v)
expect_err "volume \"p0/big\": size 9223372036854775808 is above the largest volume size $MAX" \
	thinctl vol create p0/big --size 8192P
expect_eq "$RC" 1 "exit status of the refused create"
expect_err "volume \"p0/s\": size 9223372036854775808 is above the largest volume size $MAX" \
	thinctl vol snapshot p0/v s --size 8192P
expect_err "volume \"p0/v\": size 9223372036854775808 is above the largest volume size $MAX" \
	thinctl vol resize p0/v 8192P
expect_err "pool \"p0\": basesize 9223372036854775808 is above the largest volume size $MAX" \
	thinctl pool set p0 --basesize 8192P
expect_eq "$(tb_field 'vol list p0' length)" 1 "volumes after the refused sizes"
expect_eq "$(tb_field 'vol show p0/v' .size)" 10737418240 "size of v after the refused resize"
expect_eq "$(tb_field 'pool show p0' .basesize)" 10737418240 "basesize after the refused set"
# the limit itself is a volume the block layer takes
big=$(tb_vol p0/big --size $MAX)
expect_eq "$(blockdev --getsize64 "$big")" $MAX "size of the largest volume"
# its last block: virtual block 2^47 - 1, a five-level mapping tree
last=$((MAX - 65536))
expect_ok tbpattern write "$big" $last 65536 7
expect_ok tbpattern verify "$big" $last 65536 7
expect_ok thinctl vol delete p0/big
expect_ok thinctl pool close p0
tb_check_meta /dev/ram1
