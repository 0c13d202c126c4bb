#!/bin/sh
# desc: modprobe/rmmod thinblk cleanly, twice, with the netlink family registered
# needs: thinctl
. /tests/lib/guest.sh
need_thinctl
# The family autoloads the module (MODULE_ALIAS_GENL_FAMILY); without a
# usable modprobe, thinctl must say the module is not loaded.
old=$(cat /proc/sys/kernel/modprobe)
echo /bin/false > /proc/sys/kernel/modprobe
expect_err "thinblk module not loaded: run modprobe thinblk" thinctl version
echo "$old" > /proc/sys/kernel/modprobe
expect_ok thinctl version
[ -d /sys/module/thinblk ] || fail "thinctl version did not autoload the module"
tb_unload
tb_load
[ -d /sys/module/thinblk ] || fail "/sys/module/thinblk missing"
expect_ok thinctl version
case "$OUT" in
*"thinblk 0.1.0 (uapi 1)"*) ;;
*) fail "thinctl version: '$OUT'" ;;
esac
expect_eq "$(thinctl -j version | jq -r .uapi)" 1 "uapi version in JSON"
tb_unload
[ -d /sys/module/thinblk ] && fail "module still loaded"
tb_load
tb_unload
