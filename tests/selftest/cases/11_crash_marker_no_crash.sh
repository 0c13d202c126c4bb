#!/bin/sh
# desc: a case that printed the crash marker but then exits 0 (no power cut happened) fails
# expect: fail the power cut never happened
. /tests/lib/guest.sh
echo "@@TB CRASH"
expect_eq ok ok "a check that passes"
