#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds the introspection tier's initramfs: busybox-static, the workload
# program and /init. usage: mkinitramfs.sh OUTDIR  -> OUTDIR/initramfs.cpio.gz
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=$1
r=$out/rootfs
rm -rf "$r"
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/etc" "$r/tmp"
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
done
gcc -O2 -static -pthread -Wall -Wextra -Werror -o "$r/bin/xfwork" "$here/workload.c"
cp "$here/init" "$r/init"
chmod +x "$r/init"
(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$out/initramfs.cpio.gz"
