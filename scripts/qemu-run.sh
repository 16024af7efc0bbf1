#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boots Debian's kernel under QEMU (software emulation) with a busybox
# initramfs that runs one test script, and passes only when the guest printed
# the explicit success marker and the console shows no kernel splat.
#
#   scripts/qemu-run.sh [options] SCRIPT [ARGS...]
#     -n, --name NAME      artifacts in out/qemu/NAME/ (default: SCRIPT's name)
#     -t, --timeout SEC    hard limit for the whole boot (default 900)
#     -m, --mem MIB        guest memory (default 1024)
#         --smp N          vCPUs (default 1)
#         --icount         -icount shift=0,sleep=off: guest time counts
#                          instructions (benchmarks: runs become repeatable)
#     -k, --kernel FILE    kernel image (default /boot/vmlinuz-KVER)
#         --kver VER       module tree /lib/modules/VER (default: KVER, else
#                          the newest installed)
#         --append ARGS    extra kernel command line
#         --marker STRING  success marker (default XFGUEST-SUCCESS)
#         --kmod, --kmod-later, --ko, --bin, --file, --moddir
#                          passed to scripts/mkinitramfs.sh
#     -q, --quiet          do not copy the console to stdout
#
# The console log is out/qemu/NAME/console.log. Exit 0 on success, 1 when the
# guest failed (no marker: never booted, panicked, timed out, script failed;
# or a splat), 2 on usage errors. The kernel runs with panic_on_warn=1
# oops=panic panic=-1 and QEMU with -no-reboot, so a WARN ends the boot at
# once without the marker.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TOP/tests/lib/tier.sh"

NAME= TIMEOUT=900 MEM=1024 SMP=1 ICOUNT=0 KERNEL= APPEND= QUIET=0
MARKER=XFGUEST-SUCCESS
KVER=${KVER:-}
MKARGS=()

usage() { awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	-n|--name) NAME=$2; shift 2 ;;
	-t|--timeout) TIMEOUT=$2; shift 2 ;;
	-m|--mem) MEM=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--icount) ICOUNT=1; shift ;;
	-k|--kernel) KERNEL=$2; shift 2 ;;
	--kver) KVER=$2; shift 2 ;;
	--append) APPEND="$APPEND $2"; shift 2 ;;
	--marker) MARKER=$2; shift 2 ;;
	--kmod|--kmod-later|--ko|--bin|--file|--moddir) MKARGS+=("$1" "$2"); shift 2 ;;
	-q|--quiet) QUIET=1; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "qemu-run: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
SCRIPT=$1
shift
[ -n "$KVER" ] || KVER=$(ls /lib/modules | sort -V | tail -n 1)
[ -n "$KERNEL" ] || KERNEL=/boot/vmlinuz-$KVER
[ -n "$NAME" ] || NAME=$(basename "$SCRIPT" .sh)
[ -r "$KERNEL" ] || { echo "qemu-run: cannot read kernel $KERNEL" >&2; exit 1; }

DIR=$TOP/out/qemu/$NAME
mkdir -p "$DIR"
LOG=$DIR/console.log
INITRD=$DIR/initramfs.cpio.gz
rm -f "$LOG"

t0=$SECONDS
if ! "$TOP/scripts/mkinitramfs.sh" -o "$INITRD" --kver "$KVER" --marker "$MARKER" \
		"${MKARGS[@]+"${MKARGS[@]}"}" -- "$SCRIPT" "$@"; then
	echo "qemu-run: $NAME: initramfs build failed" >&2
	exit 1
fi

accel=(-accel tcg -cpu max)
[ "$ICOUNT" = 1 ] && accel+=(-icount shift=0,sleep=off)
cmdline="console=ttyS0 loglevel=5 panic_on_warn=1 oops=panic panic=-1 net.ifnames=0 rdinit=/init$APPEND"

echo "qemu-run: $NAME: booting $(basename "$KERNEL") (timeout ${TIMEOUT}s, ${MEM} MiB, icount=$ICOUNT)"
# -bios qboot: boots straight into the kernel (seconds saved under TCG).
# -no-reboot: a panic (panic=-1 reboots at once) ends QEMU instead.
qemu=(timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 "${accel[@]}" -M pc
	-bios /usr/share/qemu/qboot.rom -m "$MEM" -smp "$SMP"
	-nographic -no-reboot -monitor none -serial stdio -nic none
	-kernel "$KERNEL" -initrd "$INITRD" -append "$cmdline")
if [ "$QUIET" = 1 ]; then
	"${qemu[@]}" < /dev/null > "$LOG" 2>&1
	rc=$?
else
	"${qemu[@]}" < /dev/null 2>&1 | tee "$LOG"
	rc=${PIPESTATUS[0]}
fi
dt=$((SECONDS - t0))

why=
clean=$(tr -d '\r' < "$LOG")
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	why="timed out after ${TIMEOUT}s"
elif ! grep -q '^XFGUEST-START' <<< "$clean"; then
	why="guest never reached /init (qemu rc=$rc)"
elif grep -q 'Kernel panic' <<< "$clean"; then
	why="kernel panic"
elif grep -q '^XFGUEST-FAIL' <<< "$clean"; then
	why="$(grep -m1 '^XFGUEST-FAIL' <<< "$clean")"
elif ! grep -qxF "$MARKER" <<< "$clean"; then
	why="no success marker (qemu rc=$rc)"
fi
if [ -z "$why" ] && ! splat_check "$LOG"; then
	why="kernel splat"
fi
if [ -n "$why" ]; then
	echo "qemu-run: $NAME: FAILED: $why (${dt}s; log $LOG)"
	exit 1
fi
echo "qemu-run: $NAME: passed (${dt}s; log $LOG)"
exit 0
