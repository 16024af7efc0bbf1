#!/bb/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the systemd guest (tests/pkg/systemd.sh): mounts the host's root
# file system (virtio-9p, read-only) under a tmpfs overlay, copies the test's
# files (/xf/root) into it and hands PID 1 over to the host's systemd, so the
# installed xfilter packages boot the way they would on a real machine.
# shellcheck disable=SC2123
PATH=/bb
fail() {
	echo "XFGUEST-FAIL init: $*"
	poweroff -f
}
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /etc/xf-modules); do
	insmod "$m" || fail "insmod $m"
done
echo "XFGUEST-START kernel=$(uname -r) $(cat /proc/cmdline)"
mkdir -p /lower /rw /newroot
# cache=loose: the host's root does not change under the guest
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hostroot /lower ||
	fail "mount 9p hostroot"
mount -t tmpfs -o mode=755,size=256m rw /rw || fail "mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work root /newroot ||
	fail "mount overlay"
[ -x /newroot/lib/systemd/systemd ] || fail "no /lib/systemd/systemd on the host"
cp -a /xf/root/. /newroot/ || fail "copy the test files"
# a container's marks would make systemd believe it runs in one (and ignore
# the kernel command line): this guest is a virtual machine
rm -f /newroot/.dockerenv /newroot/run/.containerenv /newroot/run/systemd/container
umount /proc /sys /dev
# switch_root only returns when it failed
# shellcheck disable=SC2093
exec switch_root /newroot /lib/systemd/systemd
fail "switch_root"
