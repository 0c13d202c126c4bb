# SPDX-License-Identifier: GPL-2.0
#
# Top-level build for thinblk: the kernel module (kmod/, via Kbuild) and the
# userspace tool (tools/).  `make help` lists the targets.

KVER ?= $(shell ls /lib/modules 2>/dev/null | sort -V | while read v; do \
	  [ -d /lib/modules/$$v/build ] && echo $$v; done | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
DESTDIR ?=

# Debian packages everything here needs (build, tools, QEMU tests, benchmarks).
DEB_PACKAGES := build-essential pkg-config kmod cpio busybox-static \
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 \
	libnl-3-dev libnl-genl-3-dev libmnl-dev libblkid-dev python3 jq \
	fio thin-provisioning-tools lvm2 dmsetup e2fsprogs util-linux

.PHONY: all module tools install clean deps check check-harness demo bench help

all: module tools

module:
	@[ -d "$(KDIR)" ] || { echo "no kernel build tree at '$(KDIR)': run 'make deps' or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

tools:
	$(MAKE) -C tools

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0644 udev/60-thinblk.rules $(DESTDIR)/etc/udev/rules.d/60-thinblk.rules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C tools clean
	rm -rf tests/out

deps:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "make deps installs Debian packages: run it as root (sudo make deps)" >&2; exit 1; fi
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo "all packages present"; fi

# The README's test command: everything, in QEMU guests.  T=group or T=group/case
# runs a subset.
check: deps
	$(MAKE) all
	tests/run $(if $(T),--only $(T))

# Shows that the harness reports the planted failures: tests/selftest/cases in
# QEMU guests, tests/selftest/logs replayed as console logs (no guest).
check-harness: deps
	$(MAKE) all
	tests/run --self-test

demo: deps
	$(MAKE) all
	tests/run --demo

bench: deps
	$(MAKE) all
	tests/run --bench

help:
	@echo "make            build kmod/thinblk.ko and tools/thinctl"
	@echo "make deps       install the Debian packages (root)"
	@echo "make demo       build and show thinblk in a QEMU guest"
	@echo "make check      run all tests in QEMU guests (T=group[/case] for a subset)"
	@echo "make check-harness  prove the harness catches failures"
	@echo "make bench      benchmarks against dm-thin and the raw device"
	@echo "make install    install module, thinctl, man page, udev rule"
