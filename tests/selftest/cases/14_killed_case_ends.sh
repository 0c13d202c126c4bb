#!/bin/sh
# desc: a case to be killed (kills:) that ends before the host kills the guest fails: it stopped writing too early
# expect: fail ended before the host killed the guest
# disks: d=8M
# kills: 1 600
. /tests/lib/guest.sh
tb_armed
expect_ok tbpattern write "$DISK_d" 0 1M 5
