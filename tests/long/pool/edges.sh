#!/bin/sh
# desc: edges at full size: 10,000 create/write/delete cycles, a 1,000-deep chain, 1,000 snapshots of one volume (tests/cases/pool/edges.sh)
# needs: thinctl tbedges tbcraft jq
# timeout: 5400
CYCLES=10000 DEPTH=1000 SNAPS=1000
. /tests/cases/pool/edges.sh
