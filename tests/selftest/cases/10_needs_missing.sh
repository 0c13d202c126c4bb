#!/bin/sh
# desc: a program named in needs: that the guest lacks fails the case loudly (it does not run)
# needs: thinctl tb-no-such-tool
# expect: fail needs tb-no-such-tool: not in the guest
. /tests/lib/guest.sh
expect_eq ok ok "never runs"
