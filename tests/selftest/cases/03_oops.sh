#!/bin/sh
# desc: a kernel oops while the case runs fails it, even if the case exits 0
# expect: fail kernel: [
. /tests/lib/guest.sh
modprobe tb_oops
exit 0
