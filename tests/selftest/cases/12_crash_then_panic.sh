#!/bin/sh
# desc: a case that printed the crash marker fails if the kernel then panics instead of the power cut (sysrq-c, not sysrq-b)
# expect: fail Kernel panic
. /tests/lib/guest.sh
expect_eq ok ok "a check that passes"
echo "@@TB CRASH"
echo 1 > /proc/sys/kernel/sysrq
echo c > /proc/sysrq-trigger
sleep 30
