# SPDX-License-Identifier: GPL-2.0
# xFilter: top-level build, install and test entry points.
#
#   make                 module/xfilter.ko and the tools
#   make check           every test tier (each prints "N passed, N failed")
#   make demo            the seed scenario in a Xen lab under QEMU
#   make install         module into /lib/modules/$(KVER)/extra, tools into $(PREFIX),
#                        systemd units, /etc/xfilter/xfilterd.conf (kept if present)
#   make dkms-install    module source into /usr/src and DKMS (rebuilt per kernel)
#   make deb             xfilter-dkms and xfilter-tools .debs into out/deb/
#
# KDIR is the kernel build tree: the running kernel's when it has headers,
# otherwise the newest installed /lib/modules/*/build.

VERSION := $(shell cat $(CURDIR)/VERSION 2>/dev/null || echo 0.0.0)
KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else \
		ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1; \
	fi)
KVER ?= $(shell basename $$(dirname $(KDIR)) 2>/dev/null)
PREFIX ?= /usr/local
DESTDIR ?=
export VERSION KDIR KVER

.PHONY: all module tools install install-module install-tools install-dist clean \
	dkms-src dkms-install dkms-remove deb \
	check check-unit check-kunit check-netns check-vmi check-xen check-debug check-pkg \
	fuzz fuzz-netlink demo bench-datapath bench-vmi bench-xen bench-storm help

all: module tools

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "no kernel build tree: install linux-headers or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) XFILTER_VERSION=$(VERSION) modules

tools:
	$(MAKE) -C tools

install: install-module install-tools install-dist

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=extra \
		modules_install
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

install-tools: tools
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# systemd units (pointing at the tools in $(PREFIX)/sbin), and the default
# configuration unless one is there already
UNITDIR ?= /lib/systemd/system
install-dist:
	install -d $(DESTDIR)$(UNITDIR)
	for u in xfilterd.service xfilter-rules.service; do \
		sed 's|/usr/sbin/xfilter|$(PREFIX)/sbin/xfilter|g' dist/systemd/$$u > \
			$(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	@if [ ! -e $(DESTDIR)/etc/xfilter/xfilterd.conf ]; then \
		install -D -m 0644 dist/xfilterd.conf $(DESTDIR)/etc/xfilter/xfilterd.conf; fi

# DKMS: the module's source, dkms.conf with this VERSION, under
# $(DESTDIR)/usr/src/xfilter-$(VERSION) (the Debian package uses dkms-src).
DKMS_SRC := $(DESTDIR)/usr/src/xfilter-$(VERSION)

dkms-src:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/module $(DKMS_SRC)/include/uapi/linux
	install -m 0644 Kbuild VERSION $(DKMS_SRC)/
	install -m 0644 module/Kbuild module/*.c module/*.h $(DKMS_SRC)/module/
	rm -f $(DKMS_SRC)/module/xfilter.mod.c $(DKMS_SRC)/module/*kunit*
	install -m 0644 include/uapi/linux/xfilter.h $(DKMS_SRC)/include/uapi/linux/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf

dkms-install: dkms-src
	dkms add -m xfilter -v $(VERSION)
	dkms build -m xfilter -v $(VERSION) $(if $(KVER),-k $(KVER))
	dkms install -m xfilter -v $(VERSION) $(if $(KVER),-k $(KVER))

dkms-remove:
	dkms remove -m xfilter -v $(VERSION) --all
	rm -rf /usr/src/xfilter-$(VERSION)

# Binary packages from a copy of the tree (the source tree stays clean).
deb:
	scripts/build-deb.sh out/deb

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C tools clean
	rm -rf out

# Test tiers. Each script prints "<tier>: N passed, N failed" and fails when a
# test failed or nothing ran. `make check` runs them all and fails at the end
# if any did.
TIERS := unit kunit netns debug vmi pkg xen

check:
	@scripts/check-all.sh $(TIERS)

check-unit: tools
	tests/unit/run.sh

check-kunit:
	tests/kunit/run.sh

check-netns: all
	tests/netns/run.sh

check-vmi: tools
	tests/vmi/run.sh

check-xen: all
	tests/xen/run.sh

check-pkg:
	tests/pkg/run.sh

# The netns tests on a debug kernel (KASAN, KMEMLEAK, lockdep, PROVE_RCU)
# built from linux-source-6.1 when its config changed, with the netlink
# fuzzer for FUZZ_SECONDS (90 here).
check-debug: all
	@scripts/build-debug-kernel.sh || \
		{ echo "netns-debug: 0 passed, 1 failed"; exit 1; }
	tests/netns/run.sh --debug-kernel

fuzz: tools fuzz-netlink
	$(MAKE) -C tools fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-600}

# The module's netlink parsers: xfnlfuzz in the debug kernel's guest.
fuzz-netlink: all
	scripts/build-debug-kernel.sh
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} tests/netns/run.sh --debug-kernel t_nlfuzz t_kmemleak

demo: all
	scripts/demo.sh

bench-datapath: all
	tests/bench/datapath.sh

bench-vmi: tools
	tests/bench/vmi.sh

bench-xen: all
	tests/bench/xen.sh

bench-storm: all
	tests/bench/storm.sh

help:
	@sed -n 's/^#   //p' Makefile
