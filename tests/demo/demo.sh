#!/bin/sh
# desc: the container-layer story, narrated (make demo)
# timeout: 300
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh

say() { printf '\n== %s ==\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || fail "'$*' failed"; }

say "load the module and check versions"
need_thinctl
tb_load
show thinctl version

say "a pool on two RAM disks (512M data, 32M metadata), 1G volumes by default"
brd_setup 2 512
show thinctl pool create docker --data /dev/ram0 --metadata /dev/ram1 --basesize 1G --low-water 20%
show thinctl pool list

say "an image's base layer: a thin volume with a file system"
show thinctl vol create docker/base
base=$(thinctl -j vol show docker/base | jq -r .device)
show mkfs.ext4 -q -E nodiscard "$base"
mkdir -p /mnt/base && mount "$base" /mnt/base && tbpattern write /mnt/base/rootfs.img 0 32M 1 && umount /mnt/base

say "a layer on top of it, and two containers with their own size and limit"
show thinctl vol snapshot docker/base app
show thinctl vol snapshot docker/app web1 --size 2G --limit 64M
show thinctl vol snapshot docker/app web2
show thinctl vol list --tree

say "containers write: only what they change takes space"
web1=$(thinctl -j vol show docker/web1 | jq -r .device)
mkdir -p /mnt/web1 && mount "$web1" /mnt/web1
tbpattern write /mnt/web1/data 0 16M 2
sync
show thinctl df docker

say "the limit stops one container, not the pool"
if tbpattern write /mnt/web1/big 0 100M 3 2>/dev/null; then echo "(unexpected: no limit hit)"; else echo "web1 hit its 64M allocation limit: ENOSPC for web1 only"; fi
umount /mnt/web1
show thinctl stats --no-stream docker/web1 docker/web2

say "remove a container; the image keeps its data"
show thinctl vol delete docker/web1
show thinctl vol list
show e2fsck -fn "$base"

say "close the pool, check its metadata offline (like thin_check), reopen it (as after a reboot)"
show thinctl pool close docker
show thinctl check --metadata /dev/ram1
show thinctl pool open docker --data /dev/ram0 --metadata /dev/ram1
show thinctl -j pool show docker
echo
echo "demo finished"
