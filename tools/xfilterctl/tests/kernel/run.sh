#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs guest.sh in one QEMU boot with xfilter.ko, xfilterctl and the test
# tools, and prints "xfilterctl-kernel: N passed, N failed". Needs the module
# built (make module) and QEMU; not part of `make check` (the netns tier is
# the QEMU tier), run it with `make -C tools/xfilterctl check-kernel`.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
. "$TOP/tests/lib/tier.sh"
NAME=xfilterctl-kernel

fail() {
	echo "$NAME: $*"
	echo "$NAME: 0 passed, 1 failed"
	exit 1
}

make -s -C "$TOP/tests/tools" || fail "building tests/tools failed"
make -s -C "$TOP/tools/xfilterctl" || fail "building xfilterctl failed"
KO=${XFILTER_KO:-$TOP/module/xfilter.ko}	# XFILTER_KO: another build of it
CTL=$TOP/tools/xfilterctl/xfilterctl
TOOLS=$TOP/tests/tools/build
# --bin keeps a binary at its host path (and brings its libraries); --file
# also puts it where the guest's PATH finds it.
[ -f "$KO" ] || make -s -C "$TOP" module || fail "no $KO"

"$TOP/scripts/qemu-run.sh" -q -n "$NAME" -t "${KERNEL_TIMEOUT:-900}" -m 1024 \
	--kmod veth --kmod bridge --ko "$KO" \
	--bin "$CTL" --file "$CTL:/usr/sbin/xfilterctl" \
	--bin "$TOOLS/xfnl" --file "$TOOLS/xfnl:/usr/bin/xfnl" \
	--bin "$TOOLS/xfnet" --file "$TOOLS/xfnet:/usr/bin/xfnet" \
	--bin setpriv --bin timeout \
	--file "$TOP/tools/xfilterctl/tests/kernel/ctl-tests.sh:/xf/ctl-tests.sh" \
	"$TOP/tools/xfilterctl/tests/kernel/guest.sh"
qrc=$?
LOG=$TOP/out/qemu/$NAME/console.log
rc=0
tier_summary "$NAME" "$LOG" || rc=1
splat_check "$LOG" || rc=1
[ "$qrc" -eq 0 ] || rc=1
exit $rc
