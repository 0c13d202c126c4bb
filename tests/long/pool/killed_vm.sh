#!/bin/sh
# desc: killed VMs, the long form: tests/cases/pool/killed_vm.sh with 30 kills
# needs: thinctl
# disks: data=256M meta=16M log=64K
# kills: 30 10
# timeout: 300
. /tests/cases/pool/killed_vm.sh
