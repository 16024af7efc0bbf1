#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Puts what the .debs install into a root directory, for a test machine that
# must run the packaged module and tools (not the build tree's): the files of
# xfilter-tools, and xfilter.ko as DKMS builds it from xfilter-dkms for KVER.
# The module is the one DKMS built on this machine when the packages are
# installed here, otherwise it is built from the package's source the way its
# dkms.conf says.
# Usage: scripts/deb-root.sh DEBDIR ROOT [KVER]   (KVER: newest installed *-amd64 headers)
# DEB_ROOT_BUILD=1: always build the module from the package's source (a
# DKMS build of the same version left here earlier may be of older source).
set -euo pipefail
debdir=${1:?usage: deb-root.sh DEBDIR ROOT [KVER]}
root=${2:?usage: deb-root.sh DEBDIR ROOT [KVER]}
kver=${3:-$(ls -d /lib/modules/*-amd64/build 2>/dev/null | sort -V | tail -n 1 |
	xargs -r dirname | xargs -r basename)}
mkdir -p "$root"
for d in "$debdir"/xfilter-tools_*.deb "$debdir"/xfilter-dkms_*.deb; do
	[ -f "$d" ] || { echo "deb-root: no $d" >&2; exit 1; }
	dpkg-deb -x "$d" "$root"
done
ver=$(dpkg-deb -f "$debdir"/xfilter-dkms_*.deb Version)
dest=$root/lib/modules/$kver/updates/dkms
mkdir -p "$dest"
built=/var/lib/dkms/xfilter/$ver/$kver/x86_64/module/xfilter.ko
if [ -f "$built" ] && [ "${DEB_ROOT_BUILD:-0}" != 1 ]; then
	cp "$built" "$dest/"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cp -a "$root/usr/src/xfilter-$ver" "$tmp/build"
	make -s -C "/lib/modules/$kver/build" M="$tmp/build" XFILTER_VERSION="$ver" modules
	cp "$tmp/build/module/xfilter.ko" "$dest/"
fi
# For the Xen lab: `scripts/xen-lab.sh $(cat ROOT/xen-lab.args) ...` puts the
# packaged module and tools into dom0 over the build tree's; SHA256SUMS lets
# a test in dom0 prove which files it runs.
root_abs=$(cd "$root" && pwd)
{
	echo "--add $root_abs/lib/modules/$kver/updates/dkms/xfilter.ko:/xflab/xfilter.ko"
	echo "--add $root_abs/usr/sbin/xfilterd:/usr/sbin/xfilterd"
	echo "--add $root_abs/usr/sbin/xfilterctl:/usr/sbin/xfilterctl"
	echo "--add $root_abs/etc/xfilter/xfilterd.conf:/etc/xfilter/xfilterd.conf"
	echo "--add $root_abs/SHA256SUMS:/etc/xfilter/SHA256SUMS"
} > "$root/xen-lab.args"
(cd "$root" && sha256sum "lib/modules/$kver/updates/dkms/xfilter.ko" usr/sbin/xfilterd \
	usr/sbin/xfilterctl | sed 's|  lib/modules/.*/xfilter.ko|  /xflab/xfilter.ko|; s|  usr/|  /usr/|') \
	> "$root/SHA256SUMS"
echo "deb-root: xfilter $ver in $root (module $dest/xfilter.ko; Xen lab: \$(cat $root/xen-lab.args))"
