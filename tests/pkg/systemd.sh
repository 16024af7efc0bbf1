#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The installed packages under a real systemd: boots Debian's kernel in QEMU
# with this machine's root file system shared read-only (virtio-9p, a tmpfs
# overlay on top for writes) and this machine's systemd as PID 1, so that
# xfilterd.service and xfilter-rules.service run exactly as xfilter-tools
# installed them, every sandboxing option in force, with the module DKMS
# built from xfilter-dkms. Run by tests/pkg/run.sh after the packages are
# installed here.
#
#   tests/pkg/systemd.sh OUTDIR KVER RULES
#
# Two drop-ins adapt the units to a machine without Xen, and touch no
# sandboxing option: their conditions on /proc/xen are reset, and xfilterd
# serves a core of a real Debian 6.1 guest as domain 3 (--core) besides its
# packaged command line. /etc/xfilter/rules is RULES. The guest's tests
# (tests/pkg/systemd-guest.sh, run by a unit after both) print XFTEST markers
# on the serial console; this script prints them, and an XFTEST FAIL
# pkg-systemd-guest when the guest did not finish (hung, panicked, never got
# to the tests) or the kernel log shows a splat. Exit 0 when every test
# passed, 1 otherwise. PKG_SYSTEMD_DROPIN adds lines to xfilterd's
# drop-in, to watch the tests fail under a sandbox that is too tight (e.g.
# "RestrictAddressFamilies=AF_UNIX").
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tier.sh

[ $# -eq 3 ] || { echo "usage: $0 OUTDIR KVER RULES" >&2; exit 2; }
out=$1 kver=$2 rules=$3
timeout=${PKG_SYSTEMD_TIMEOUT:-900}
tree=$out/initramfs
initrd=$out/initramfs.cpio.gz
log=$out/console.log
rm -rf "$tree" "$initrd" "$log"
mkdir -p "$tree"/{bb,etc,proc,sys,dev,xf/root}

fail() { echo "XFTEST FAIL pkg-systemd-guest $*"; exit 1; }

# ---- initramfs: busybox, virtio-9p and overlayfs, /init ----
cp /bin/busybox "$tree/bb/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$tree/bb/$a"
done
: > "$tree/etc/xf-modules"
for m in virtio_pci 9pnet_virtio 9p overlay; do
	for ko in $(modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'); do
		grep -qxF "$ko" "$tree/etc/xf-modules" && continue
		mkdir -p "$tree$(dirname "$ko")"
		cp "$ko" "$tree$ko" || fail "no module $ko"
		echo "$ko" >> "$tree/etc/xf-modules"
	done
done
install -m 755 tests/pkg/systemd-init.sh "$tree/init"

# ---- what the init copies over the host's root (/xf/root) ----
r=$tree/xf/root
mkdir -p "$r"/etc/xfilter "$r"/etc/systemd/system/xfilterd.service.d \
	"$r"/etc/systemd/system/xfilter-rules.service.d "$r"/var/lib/xftest
cp "$rules" "$r/etc/xfilter/rules"
cp tools/xfilterd/fuzz/corpus/real-6.1-la57 "$r/var/lib/xftest/seed.core"
cp tests/lib/guest.sh "$r/var/lib/xftest/guest.sh"
install -m 755 tests/pkg/systemd-guest.sh "$r/var/lib/xftest/test"
cp VERSION "$r/var/lib/xftest/VERSION"
cp "$rules" "$r/var/lib/xftest/rules"
# the host's mounts, machine id and enabled services are not the guest's
: > "$r/etc/fstab"
echo 3f1e2d4c5b6a79881726354453627180 > "$r/etc/machine-id"
echo xfguest > "$r/etc/hostname"
# No Xen here: the units' conditions on it are reset (an empty
# ConditionPathExists= drops the earlier ones), and xfilterd reads a core as
# domain 3 on top of its packaged command line. Nothing else changes.
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/xfilterd.service | head -n 1)
[ -n "$exec_start" ] || fail "no ExecStart= in /lib/systemd/system/xfilterd.service"
cat > "$r/etc/systemd/system/xfilterd.service.d/xftest.conf" <<EOF
[Unit]
ConditionPathExists=
[Service]
ExecStart=
ExecStart=$exec_start --core /var/lib/xftest/seed.core:3
${PKG_SYSTEMD_DROPIN:-}
EOF
cat > "$r/etc/systemd/system/xfilter-rules.service.d/xftest.conf" <<EOF
[Unit]
ConditionPathExists=
ConditionPathExists=/etc/xfilter/rules
EOF
cat > "$r/etc/systemd/system/xftest.target" <<EOF
[Unit]
Description=xFilter packages under systemd (test)
Wants=xfilter-rules.service xfilterd.service xftest.service
AllowIsolate=yes
EOF
# the tests write to the serial console; a test run that never ends powers
# the guest off (the host's timeout is the last resort)
cat > "$r/etc/systemd/system/xftest.service" <<EOF
[Unit]
Description=xFilter packages under systemd: tests
After=xfilter-rules.service xfilterd.service
[Service]
Type=oneshot
ExecStart=/bin/bash /var/lib/xftest/test
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=600
ExecStopPost=/bin/systemctl --force --force poweroff
EOF

mkdir -p "$(dirname "$initrd")"
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) |
	gzip -1 -n > "$initrd" || fail "initramfs"

# ---- boot ----
# readonly: the guest cannot write to this machine; multidevs=remap: / spans
# several file systems here, their inode numbers must not collide
cmdline="console=ttyS0 loglevel=5 panic_on_warn=1 oops=panic panic=-1 rdinit=/init"
cmdline="$cmdline systemd.unit=xftest.target systemd.show_status=0 systemd.journald.forward_to_console=0"
t0=$SECONDS
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 -accel tcg -cpu max -M pc \
	-bios /usr/share/qemu/qboot.rom -m 1024 -smp 1 \
	-nographic -no-reboot -monitor none -serial stdio -nic none \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" -append "$cmdline" \
	< /dev/null > "$log" 2>&1
rc=$?
echo "    pkg-systemd: guest ran $((SECONDS - t0)) s (qemu rc $rc; console $log)"

clean=$(tr -d '\r' < "$log")
grep -a -E '^XFTEST (PASS|FAIL) ' <<< "$clean"
if [ $rc = 124 ] || [ $rc = 137 ]; then
	fail "timed out after ${timeout}s (see $log)"
elif ! grep -a -q '^XFGUEST-START' <<< "$clean"; then
	fail "the initramfs never ran (qemu rc $rc; see $log)"
elif grep -a -q '^XFGUEST-FAIL' <<< "$clean"; then
	fail "$(grep -a -m 1 '^XFGUEST-FAIL' <<< "$clean")"
elif ! grep -a -q '^XFTEST-DONE' <<< "$clean"; then
	fail "no XFTEST-DONE (see $log)"
fi
splat_check "$log" > /dev/null || fail "kernel splat (see $log)"
! grep -a -q '^XFTEST FAIL ' <<< "$clean"
