#!/bin/sh
# desc: a WARNING the case clears from the ring buffer (dmesg -c, as the hostile_metadata cases do) still fails it: warnings reach the console
# expect: fail kernel: [
. /tests/lib/guest.sh
rmmod tb_warn 2>/dev/null	# 02_warn loaded it in this boot
modprobe tb_warn
dmesg -c > /dev/null
info "the WARNING is gone from dmesg"
expect_eq "$(dmesg | grep -c WARNING)" 0 "ring buffer cleared"
