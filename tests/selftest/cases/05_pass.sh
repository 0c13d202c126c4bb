#!/bin/sh
# desc: the run goes on after the failures, and a good case passes
# expect: pass
. /tests/lib/guest.sh
expect_eq "$(echo ok)" ok "sanity"
expect_ok tbpattern write /tmp/f 0 64K 1
expect_ok tbpattern verify /tmp/f 0 64K 1
expect_fail tbpattern verify /tmp/f 0 64K 2
