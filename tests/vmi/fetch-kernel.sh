#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetches Debian's current 6.12 kernel image for bookworm with apt-get
# download and unpacks it under OUTDIR (nothing is installed on the host).
# usage: fetch-kernel.sh OUTDIR   -> prints the path of the vmlinuz
set -euo pipefail
out=$1
mkdir -p "$out/deb"
have=$(ls "$out"/root/boot/vmlinuz-6.12.* 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$have" ]; then
	echo "$have"
	exit 0
fi
pkg=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
	awk '/Depends: linux-image-6\.12\./ { print $2; exit }')
if [ -z "$pkg" ]; then
	apt-get update -qq >&2 || true
	pkg=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
		awk '/Depends: linux-image-6\.12\./ { print $2; exit }')
fi
[ -n "$pkg" ] || { echo "fetch-kernel: no linux-image-6.12-amd64 in apt (bookworm-security)" >&2; exit 1; }
ls "$out"/deb/"$pkg"_*.deb >/dev/null 2>&1 ||
	(cd "$out/deb" && apt-get download -q "$pkg" >&2)
deb=$(ls "$out"/deb/"$pkg"_*.deb | head -n 1)
mkdir -p "$out/root"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$out/root" --wildcards './boot/vmlinuz-*'
ls "$out"/root/boot/vmlinuz-6.12.* | sort -V | tail -n 1
