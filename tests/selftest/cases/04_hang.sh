#!/bin/sh
# desc: a case that overruns its time limit fails, and the run goes on
# expect: fail timeout
# timeout: 15
. /tests/lib/guest.sh
sleep 600
