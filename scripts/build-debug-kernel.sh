#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the debug kernel of the check-debug tier from Debian's
# linux-source-6.1 tarball: tinyconfig plus tests/netns/debug.config (KASAN,
# KMEMLEAK, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, ...), everything built in,
# then xfilter.ko against it.
#
#   scripts/build-debug-kernel.sh [-j N] [--force]
#
# Output in out/debug-kernel/ (OUT=... to move it):
#   bzImage, kver            the kernel and its release string
#   build/                   the kernel's object tree (make -C build M=...)
#   root/lib/modules/KVER/   modules.builtin & co. for the initramfs builder
#   xfilter/module/xfilter.ko  the module built against this kernel
#   build.log                the last kernel build's full output
# The kernel build is skipped when the tarball, the fragment and RECIPE
# below are those of the last successful build (out/debug-kernel/stamp); the
# module is rebuilt when its sources changed (seconds), with KCOV
# instrumentation for the netlink fuzzer. Exit 0 on success, 1 on a failed
# build, 2 on usage errors.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$TOP/out/debug-kernel}
TARBALL=${TARBALL:-/usr/src/linux-source-6.1.tar.xz}
FRAGMENT=$TOP/tests/netns/debug.config
# bump when the way the kernel is configured or built below changes
RECIPE=1
JOBS=$(nproc)
FORCE=0

while [ $# -gt 0 ]; do
	case $1 in
	-j) JOBS=$2; shift 2 ;;
	--force) FORCE=1; shift ;;
	*) sed -n '3,20s/^# \?//p' "$0" >&2; exit 2 ;;
	esac
done

say() { echo "debug-kernel: $*"; }
die() { echo "debug-kernel: $*" >&2; exit 1; }

[ -r "$TARBALL" ] || die "$TARBALL missing (scripts/install-deps.sh installs linux-source-6.1)"
mkdir -p "$OUT"
SRC=$OUT/linux-source-6.1
BUILD=$OUT/build
KMAKE=(make -C "$SRC" O="$BUILD" ARCH=x86_64 -j"$JOBS")

stamp=$( { stat -c '%n %s %Y' "$TARBALL"; cat "$FRAGMENT"; echo "$RECIPE"; } | sha256sum | cut -d' ' -f1)

build_kernel() {
	local t0=$SECONDS n=0 line sym
	if [ ! -f "$SRC/Makefile" ]; then
		say "extracting $(basename "$TARBALL")"
		rm -rf "$SRC"
		tar -C "$OUT" -xf "$TARBALL"
	fi
	rm -f "$OUT/stamp" "$OUT/bzImage" "$OUT/kver"
	mkdir -p "$BUILD"
	say "configuring (tinyconfig + ${FRAGMENT#"$TOP"/})"
	"${KMAKE[@]}" -s tinyconfig > "$OUT/config.log" 2>&1 || die "tinyconfig failed (see $OUT/config.log)"
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" "$FRAGMENT" \
		>> "$OUT/config.log" 2>&1 || die "merging the fragment failed (see $OUT/config.log)"
	"${KMAKE[@]}" -s olddefconfig >> "$OUT/config.log" 2>&1 || die "olddefconfig failed"
	# A symbol whose dependencies are missing is dropped silently: every
	# line of the fragment must survive into the final .config.
	while read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$BUILD/.config" ||
				die "fragment wants '$line', .config has '$(grep -E "^(# )?${line%%=*}[= ]" "$BUILD/.config")'" ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$BUILD/.config" || die "fragment wants '$line', .config sets it" ;;
		esac
	done < "$FRAGMENT"

	say "building bzImage with $JOBS jobs (full log: $OUT/build.log)"
	set +e
	"${KMAKE[@]}" bzImage modules 2>&1 | tee "$OUT/build.log" |
	while read -r line; do
		case $line in
		"CC "*|"AS "*)
			n=$((n + 1))
			[ $((n % 250)) -eq 0 ] &&
				say "  $n objects compiled ($((SECONDS - t0)) s)" ;;
		esac
	done
	local rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" -ne 0 ]; then
		grep -E 'error|Error' "$OUT/build.log" | tail -n 20 >&2
		die "kernel build failed (rc=$rc, see $OUT/build.log)"
	fi
	rm -rf "$OUT/root"
	"${KMAKE[@]}" -s INSTALL_MOD_PATH="$OUT/root" modules_install > /dev/null ||
		die "modules_install failed"
	"${KMAKE[@]}" -s kernelrelease > "$OUT/kver"
	cp "$BUILD/arch/x86/boot/bzImage" "$OUT/bzImage"
	echo "$stamp" > "$OUT/stamp"
	say "kernel $(cat "$OUT/kver") built in $((SECONDS - t0)) s"
}

if [ "$FORCE" = 0 ] && [ -r "$OUT/bzImage" ] && [ -r "$OUT/kver" ] &&
		[ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
	say "kernel $(cat "$OUT/kver") up to date"
else
	build_kernel
fi

# The module from a copy of the sources: module/ keeps the objects built
# against the running kernel.
MOD=$OUT/xfilter
mkdir -p "$MOD/module" "$MOD/include/uapi/linux"
cp -p "$TOP/Kbuild" "$TOP/VERSION" "$MOD/"
rm -f "$MOD"/module/*.[ch]
cp -p "$TOP"/module/Kbuild "$TOP"/module/*.[ch] "$MOD/module/"
rm -f "$MOD"/module/*.mod.c "$MOD"/module/*kunit*
cp -p "$TOP/include/uapi/linux/xfilter.h" "$MOD/include/uapi/linux/"
make -s -C "$BUILD" ARCH=x86_64 M="$MOD" XFILTER_VERSION="$(cat "$TOP/VERSION")" \
	KCOV_INSTRUMENT=y modules > "$OUT/module.log" 2>&1 || { cat "$OUT/module.log" >&2; die "xfilter.ko failed to build"; }
grep -E 'warning' "$OUT/module.log" >&2 && die "xfilter.ko built with warnings"
say "$MOD/module/xfilter.ko built for $(cat "$OUT/kver")"
