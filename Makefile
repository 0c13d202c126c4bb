# SPDX-License-Identifier: GPL-2.0
#
# Top-level build for thinblk: the kernel module (kmod/, via Kbuild) and the
# userspace tool (tools/).  `make help` lists the targets.

KVER ?= $(shell ls /lib/modules 2>/dev/null | sort -V | while read v; do \
	  [ -d /lib/modules/$$v/build ] && echo $$v; done | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build

# Installation directories (GNU names).  DESTDIR is prepended to every one of
# them; with DESTDIR set nothing touches the live system (no depmod, ldconfig
# or daemon reloads: a package's maintainer scripts do that).  A Debian
# package would use
#     make install DESTDIR=debian/tmp PREFIX=/usr LIBDIR=/usr/lib/$(DEB_HOST_MULTIARCH)
# systemd and udev read /usr/local/lib/{systemd/system,udev/rules.d} as well,
# so the default PREFIX works on a live system too.  SYSCONFDIR is /etc
# whatever the prefix: it is where thinblk-pool@.service looks.
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/thinblk
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/thinblk
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
# The module goes to $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/kmod; DKMS
# sources to $(DESTDIR)/usr/src/thinblk-$(VERSION), the only place dkms looks.
INSTALL_MOD_DIR ?= extra
DKMS_SRCDIR = /usr/src/thinblk-$(VERSION)
export PREFIX DESTDIR SBINDIR MANDIR

# One version for the module, the tools, the library and dkms.conf (the
# host/packaging test checks that they agree).
VERSION := $(shell sed -n 's/^\#define THINBLK_VERSION "\(.*\)"/\1/p' kmod/main.c)

# Files made from a .in by substituting the installation directories.
GENERATED := systemd/thinblk-pool systemd/thinblk-pool@.service
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	-e 's|@VERSION@|$(VERSION)|g'

# What dkms builds from: the module and the uapi header, nothing of tools/.
DKMS_FILES := dkms.conf Kbuild LICENSE LICENSES/GPL-2.0 LICENSES/MIT kmod/Kbuild \
	$(filter-out %.mod.c,$(wildcard kmod/*.[ch])) \
	uapi/linux/thinblk.h

# Debian packages everything here needs (build, tools, QEMU tests, benchmarks).
DEB_PACKAGES := build-essential pkg-config kmod cpio busybox-static \
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 \
	libnl-3-dev libnl-genl-3-dev libmnl-dev libblkid-dev python3 jq \
	fio thin-provisioning-tools lvm2 dmsetup e2fsprogs util-linux \
	systemd man-db

.PHONY: all module tools install install-module install-tools install-dkms \
	uninstall uninstall-module uninstall-tools uninstall-dkms \
	clean deps check check-long check-harness demo bench help FORCE \
	module-faults

all: module tools

module:
	@[ -d "$(KDIR)" ] || { echo "no kernel build tree at '$(KDIR)': run 'make deps' or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# The module with fault points (kmod/fault.h), for tests only: built from a
# copy of the sources with CONFIG_THINBLK_FAULTS=y, so that it never takes
# kmod/thinblk.ko's place; tests/run puts it in the guest beside the real one.
FAULTS_DIR := build/faults
FAULTS_SRC := Kbuild kmod/Kbuild uapi/linux/thinblk.h \
	$(filter-out %.mod.c,$(wildcard kmod/*.[ch]))
module-faults:
	@[ -d "$(KDIR)" ] || { echo "no kernel build tree at '$(KDIR)': run 'make deps' or set KDIR=" >&2; exit 1; }
	@for f in $(FAULTS_SRC); do mkdir -p $(FAULTS_DIR)/$$(dirname $$f) && \
		cp -p $$f $(FAULTS_DIR)/$$f || exit 1; done
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(FAULTS_DIR) W=1 CONFIG_THINBLK_FAULTS=y modules

tools: $(GENERATED)
	$(MAKE) -C tools

# Rebuilt when the directories change (FORCE), written only if different.
$(GENERATED): %: %.in FORCE
	@$(SUBST) $< > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || { mv -f $@.tmp $@; echo "  GEN     $@"; }
	@[ ! -x $< ] || chmod +x $@

install: install-module install-tools

# kbuild installs lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/kmod/thinblk.ko
# under INSTALL_MOD_PATH.  Its own depmod is told to do nothing (DEPMOD=true:
# it would write a module index into DESTDIR); the live system's index is
# rebuilt here instead.  Kernel headers without the kernel's signing key
# (Debian's) can't sign: the module is installed unsigned then, which
# Debian's kernel loads unless Secure Boot locks it down (use DKMS there: it
# signs with its own MOK key).
MODULE_SIGN := $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)
MODULE_DIR = $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/kmod

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true $(MODULE_SIGN) \
		modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

# Everything but the module; needs no kernel headers.
install-tools: tools
	$(MAKE) -C tools install
	install -D -m 0644 udev/60-thinblk.rules $(DESTDIR)$(UDEVRULESDIR)/60-thinblk.rules
	install -D -m 0644 systemd/thinblk-pool@.service \
		$(DESTDIR)$(UNITDIR)/thinblk-pool@.service
	install -D -m 0755 systemd/thinblk-pool $(DESTDIR)$(LIBEXECDIR)/thinblk-pool
	install -D -m 0644 Documentation/thinblk-pool.8 $(DESTDIR)$(MANDIR)/man8/thinblk-pool.8
	install -D -m 0644 systemd/pool.conf $(DESTDIR)$(DOCDIR)/examples/pool.conf
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/thinblk
ifeq ($(DESTDIR),)
	-[ ! -d /run/systemd/system ] || systemctl daemon-reload
	-[ ! -d /run/udev ] || udevadm control --reload
endif

# The module's sources where dkms wants them; then, on the live system:
#     dkms install thinblk/$(VERSION)
# and dkms rebuilds thinblk.ko for every kernel installed after it.
install-dkms:
	install -d $(DESTDIR)$(DKMS_SRCDIR)
	for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMS_SRCDIR)/$$f || exit 1; done

uninstall: uninstall-tools uninstall-module

uninstall-module:
	rm -f $(MODULE_DIR)/thinblk.ko*
	-rmdir $(MODULE_DIR) 2>/dev/null
	$(if $(DESTDIR),,depmod -a $(KVER))

# Removes what install-tools put there.  The SYSCONFDIR/thinblk directory
# goes only if empty: pool configurations are the administrator's.
uninstall-tools:
	$(MAKE) -C tools uninstall
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-thinblk.rules \
		$(DESTDIR)$(UNITDIR)/thinblk-pool@.service \
		$(DESTDIR)$(LIBEXECDIR)/thinblk-pool \
		$(DESTDIR)$(MANDIR)/man8/thinblk-pool.8 \
		$(DESTDIR)$(DOCDIR)/examples/pool.conf
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSCONFDIR)/thinblk 2>/dev/null
ifeq ($(DESTDIR),)
	-[ ! -d /run/systemd/system ] || systemctl daemon-reload
endif

# With DESTDIR empty, also drops the module from dkms (every kernel).
uninstall-dkms:
ifeq ($(DESTDIR),)
	-[ ! -d /var/lib/dkms/thinblk/$(VERSION) ] || dkms remove thinblk/$(VERSION) --all
endif
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C tools clean
	rm -f $(GENERATED)
	rm -rf tests/out build

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
	$(MAKE) all module-faults
	tests/run $(if $(T),--only $(T))

# Campaigns too long for make check (tests/long; Documentation/testing.md).
check-long: deps
	$(MAKE) all module-faults
	tests/run --long $(if $(T),--only $(T))

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
	@echo "make check-long  the long campaigns (tests/long, Documentation/testing.md)"
	@echo "make check-harness  prove the harness catches failures"
	@echo "make bench      benchmarks against dm-thin and the raw device"
	@echo "make install    install module, thinctl, libthinblk, man pages, udev rule, systemd unit"
	@echo "                (DESTDIR= PREFIX= ...; install-module, install-tools: no kernel headers)"
	@echo "make install-dkms  module sources in /usr/src for 'dkms install thinblk/$(VERSION)'"
	@echo "make uninstall  remove what install put there (uninstall-module, uninstall-tools, uninstall-dkms)"
	@echo "See Documentation/install.md."

FORCE:
