#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Puts what the .debs install into a root directory, for a test machine that
# must run the packaged module and tools (not the build tree's): the files of
# xfilter-tools, and xfilter.ko as DKMS builds it from xfilter-dkms for KVER.
# The module is the one DKMS built on this machine when the packages are
# installed here, otherwise it is built from the package's source the way its
# dkms.conf says.
# Usage: scripts/deb-root.sh DEBDIR ROOT [KVER]
set -euo pipefail
debdir=${1:?usage: deb-root.sh DEBDIR ROOT [KVER]}
root=${2:?usage: deb-root.sh DEBDIR ROOT [KVER]}
kver=${3:-6.1.0-56-amd64}
mkdir -p "$root"
for d in "$debdir"/xfilter-tools_*.deb "$debdir"/xfilter-dkms_*.deb; do
	[ -f "$d" ] || { echo "deb-root: no $d" >&2; exit 1; }
	dpkg-deb -x "$d" "$root"
done
ver=$(dpkg-deb -f "$debdir"/xfilter-dkms_*.deb Version)
dest=$root/lib/modules/$kver/updates/dkms
mkdir -p "$dest"
built=/var/lib/dkms/xfilter/$ver/$kver/x86_64/module/xfilter.ko
if [ -f "$built" ]; then
	cp "$built" "$dest/"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cp -a "$root/usr/src/xfilter-$ver" "$tmp/build"
	make -s -C "/lib/modules/$kver/build" M="$tmp/build" XFILTER_VERSION="$ver" modules
	cp "$tmp/build/module/xfilter.ko" "$dest/"
fi
echo "deb-root: xfilter $ver in $root (module $dest/xfilter.ko)"
