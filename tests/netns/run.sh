#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# netns tier (make check-netns): boots one QEMU guest with xfilter.ko, the
# test tools and iproute2, runs every test of tests/netns/netns.sh in it, and
# prints "netns: N passed, N failed". Fails when a test failed, nothing ran,
# the guest died, or the console shows a kernel splat.
#   tests/netns/run.sh [--debug-kernel] [-k KERNEL] [--kver VER] [TEST...]
# TEST names run only those tests (default: all).
#
# --debug-kernel (make check-debug, make fuzz): the same tests on the kernel
# of scripts/build-debug-kernel.sh (KASAN, KMEMLEAK, lockdep, PROVE_RCU)
# with the xfilter.ko built against it, plus the netlink fuzzer for
# FUZZ_SECONDS (default 90) and a kmemleak scan after the unload; prints
# "netns-debug: N passed, N failed". The fuzzer's mutator runs on the host
# under ASan+UBSan first.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib/tier.sh"

KOPTS=()
NAME=netns
DEBUG=0
KO=$TOP/module/xfilter.ko
while [ $# -gt 0 ]; do
	case $1 in
	--debug-kernel)
		# built by scripts/ for check-debug (KASAN, KMEMLEAK, PROVE_RCU)
		dbg=$TOP/out/debug-kernel
		if [ ! -r "$dbg/bzImage" ]; then
			echo "netns: no debug kernel in $dbg (build it first)"
			echo "netns: 0 passed, 1 failed"
			exit 1
		fi
		KOPTS+=(-k "$dbg/bzImage" --kver "$(cat "$dbg/kver")" --moddir "$dbg/root"
			--append "XF_TIER=debug XF_FUZZ_SECONDS=${FUZZ_SECONDS:-90}")
		KO=$dbg/xfilter/module/xfilter.ko
		NAME=netns-debug
		DEBUG=1
		shift ;;
	-k|--kver) KOPTS+=("$1" "$2"); shift 2 ;;
	*) break ;;
	esac
done

fail() {
	echo "$NAME: $*"
	echo "$NAME: 0 passed, 1 failed"
	exit 1
}

make -s -C "$TOP/tests/tools" || fail "building tests/tools failed"
if [ "$DEBUG" = 1 ]; then
	[ -f "$KO" ] || fail "no $KO (scripts/build-debug-kernel.sh builds it)"
	make -s -C "$TOP/tests/tools" build/xfnlfuzz-san || fail "building xfnlfuzz-san failed"
	"$TOP/tests/tools/build/xfnlfuzz-san" mutate 20000 -c "$TOP/tests/fuzz/netlink-corpus" ||
		fail "the fuzzer's mutator failed under ASan+UBSan"
else
	[ -f "$KO" ] || make -s -C "$TOP" module || fail "no $KO (make module failed)"
fi

bins=(--bin "$TOP/tests/tools/build/xfnl" --bin "$TOP/tests/tools/build/xfnet"
	--bin setpriv --bin timeout)
CTL=$TOP/tools/xfilterctl/xfilterctl
[ -x "$CTL" ] || make -s -C "$TOP/tools" || fail "building the tools failed"
bins+=(--bin "$CTL" --file "$TOP/tools/xfilterctl/tests/kernel/ctl-tests.sh:/xf/ctl-tests.sh")
[ "$DEBUG" = 0 ] || bins+=(--bin "$TOP/tests/tools/build/xfnlfuzz"
	--file "$TOP/tests/fuzz/netlink-corpus:/xf/corpus")
timeout=${NETNS_TIMEOUT:-900}
# everything runs several times slower under KASAN and lockdep
[ "$DEBUG" = 0 ] || timeout=${NETNS_TIMEOUT:-$((2400 + ${FUZZ_SECONDS:-90}))}

"$TOP/scripts/qemu-run.sh" -q -n "$NAME" -t "$timeout" -m 1024 \
	"${KOPTS[@]+"${KOPTS[@]}"}" \
	--kmod veth --kmod bridge --ko "$KO" "${bins[@]}" \
	"$TOP/tests/netns/netns.sh" "$@"
qrc=$?
LOG=$TOP/out/qemu/$NAME/console.log
tr -d '\r' < "$LOG" | grep -a -E '^(XFTEST|  FAILED|  \+ |---- test)' | tail -n 400 > "$TOP/out/qemu/$NAME/tests.txt"
rc=0
tier_summary "$NAME" "$LOG" || rc=1
splat_check "$LOG" || rc=1
[ "$qrc" -eq 0 ] || rc=1
exit $rc
