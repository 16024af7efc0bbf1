#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-xen: one boot of the Xen lab (Xen 4.17 under QEMU, PV dom0; a
# PV, a PVH and an HVM domU) running tests/xen/check.sh in dom0, then the
# host-side scan comparison. dom0 runs the module, xfilterd and xfilterctl
# unpacked from the .debs (xfilter-dkms built for the lab's kernel,
# xfilter-tools), not the build tree's: those check-pkg built when they are
# of this tree as it is, else the packages are built here (out/xen-lab/deb).
# Prints "xen: N passed, N failed"; fails when a test failed, nothing ran, a
# kernel splatted, or the lab did not finish within XEN_TIMEOUT seconds
# (2400) or a domU did not answer within XEN_BOOT_TIMEOUT seconds (900).
# XEN_GUESTS overrides the domUs (scripts/xen-lab.sh --guests syntax).
set -u
cd "$(dirname "$0")/../.."

ver=$(cat VERSION)
kver=${KVER:-$(ls /lib/modules | sort -V | tail -n 1)}
log() { echo "[check-xen $(date +%T)] $*" >&2; }

# What the packages are built from (debian/rules, dkms.conf, make dkms-src).
pkg_sources() {
	git ls-files -c -o --exclude-standard -- module include tools dist debian Kbuild \
		dkms.conf VERSION Makefile | grep -v '^out/'
}
# pkg_fresh DEBDIR ROOT: the .debs in DEBDIR were built from these sources
# (build-deb.sh leaves its copy in DEBDIR/src) and ROOT's module is of this
# tree's module source (same srcversion as the tree's own build).
pkg_fresh() {
	local debs=$1 root=$2 src=$1/src/xfilter-$ver f ko
	ko=$root/lib/modules/$kver/updates/dkms/xfilter.ko
	[ -s "$root/xen-lab.args" ] && [ -f "$ko" ] && [ -d "$src" ] || return 1
	ls "$debs"/xfilter-tools_"$ver"_*.deb "$debs"/xfilter-dkms_"$ver"_all.deb > /dev/null 2>&1 ||
		return 1
	while read -r f; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$src/$f" || { log "$debs: $f changed since the packages were built"; return 1; }
	done < <(pkg_sources)
	[ "$(modinfo -F srcversion "$ko")" = "$(modinfo -F srcversion module/xfilter.ko)" ] ||
		{ log "$ko: not this tree's module source"; return 1; }
}

t0=$SECONDS
root=
if [ -n "${XEN_PKG_ROOT:-}" ]; then
	root=$XEN_PKG_ROOT
elif pkg_fresh out/pkg/deb out/pkg/root; then
	root=out/pkg/root
	log "using the packages check-pkg built (out/pkg/deb, out/pkg/root)"
elif pkg_fresh out/xen-lab/deb out/xen-lab/pkg-root; then
	root=out/xen-lab/pkg-root
	log "using the packages built for the previous run (out/xen-lab/deb)"
else
	log "building the packages (out/xen-lab/deb)"
	rm -rf out/xen-lab/deb out/xen-lab/pkg-root
	mkdir -p out/xen-lab
	if ! scripts/build-deb.sh out/xen-lab/deb > out/xen-lab/build-deb.log 2>&1 ||
	   ! DEB_ROOT_BUILD=1 scripts/deb-root.sh out/xen-lab/deb out/xen-lab/pkg-root "$kver" \
		>> out/xen-lab/build-deb.log 2>&1; then
		tail -n 30 out/xen-lab/build-deb.log >&2
		echo "XFTEST FAIL packages-build (see out/xen-lab/build-deb.log)"
		echo "xen: 0 passed, 1 failed"
		exit 1
	fi
	root=out/xen-lab/pkg-root
	pkg_fresh out/xen-lab/deb "$root" || log "WARNING: the packages just built do not match the tree"
fi
log "packages ready in $((SECONDS - t0)) s: $root"
exec scripts/xen-lab.sh --tier xen --quiet --pkg-root "$(cd "$root" && pwd)" \
	--guests "${XEN_GUESTS:-pv:pv:serve+procview pvh:pvh:serve+procview hvm:hvm:serve+procview}" \
	--test tests/xen/check.sh --post tests/xen/compare-scan.sh \
	--timeout "${XEN_TIMEOUT:-2400}" --boot-timeout "${XEN_BOOT_TIMEOUT:-900}" "$@"
