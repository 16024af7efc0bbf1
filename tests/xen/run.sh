#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-xen: one boot of the Xen lab (Xen 4.17 under QEMU, PV dom0 with
# xfilter.ko, xfilterd and xfilterctl; a PV, a PVH and an HVM domU) running
# tests/xen/check.sh in dom0, then the host-side scan comparison. Prints
# "xen: N passed, N failed"; fails when a test failed, nothing ran, a kernel
# splatted, or the lab did not finish within XEN_TIMEOUT seconds (1800).
# XEN_GUESTS overrides the domUs (scripts/xen-lab.sh --guests syntax).
set -u
cd "$(dirname "$0")/../.."
exec scripts/xen-lab.sh --tier xen --quiet \
	--guests "${XEN_GUESTS:-pv:pv:serve+procview pvh:pvh:serve+procview hvm:hvm:serve+procview}" \
	--test tests/xen/check.sh --post tests/xen/compare-scan.sh \
	--timeout "${XEN_TIMEOUT:-1800}" "$@"
