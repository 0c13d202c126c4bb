#!/bin/sh
# desc: a kernel WARNING while the case runs fails it
# expect: fail kernel: [
. /tests/lib/guest.sh
modprobe tb_warn
exit 0
