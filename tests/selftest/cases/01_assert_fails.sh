#!/bin/sh
# desc: a failing assertion is reported as a failure
# expect: fail planted mismatch
. /tests/lib/guest.sh
expect_eq "$(echo 1)" 2 "planted mismatch"
