#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs every Debian 12 package that building, testing and the demo need.
# Idempotent: packages already installed are left alone; apt runs only when
# something is missing. Usage: scripts/install-deps.sh [--print]
set -euo pipefail

PKGS=(
	# build
	build-essential make gcc clang llvm pkg-config git bc flex bison rsync cpio kmod
	libelf-dev libssl-dev dwarves
	linux-headers-amd64 linux-image-amd64 linux-source-6.1
	# userspace libraries
	libnl-3-dev libnl-genl-3-dev libbpf-dev libcmocka-dev libxen-dev zlib1g-dev
	libclang-rt-14-dev
	# QEMU and Xen labs
	qemu-system-x86 qemu-system-xen qemu-utils seabios busybox-static
	xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils
	# networking tools used inside the test guests
	iproute2 bridge-utils iptables nftables iperf3 httperf socat
	# scripting
	python3 perl-base gzip xz-utils util-linux coreutils procps
	valgrind linux-perf
	# packaging (check-pkg): .debs, DKMS, lintian, systemd-analyze; the units
	# under systemd in a guest: bpftool shows their cgroup programs
	dkms dh-dkms debhelper dpkg-dev fakeroot lintian systemd bpftool
)

if [ "${1:-}" = --print ]; then
	printf '%s\n' "${PKGS[@]}"
	exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -o DPkg::Lock::Timeout=900
$SUDO apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=900 "${missing[@]}"
echo "install-deps: done"
