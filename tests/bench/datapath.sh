#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-datapath: the module's cost on bridged forwarding over a
# vif-named veth, against the module not loaded, the nftables set-lookup
# reference and per-connection iptables rules, plus the first-packet latency
# a resolved miss adds. One QEMU boot with -icount shift=0,sleep=off.
#   tests/bench/datapath.sh       env: T (s per run, 1), REPS (3), LATN (200),
#                                 TIMEOUT (s for the boot, 5400), STATES (only
#                                 these states, e.g. "xf1 nftboth"), BIND=addr
#                                 (guest servers bound to their address), ICOUNT=
#                                 (empty: real time, to try the scripts), KO_B
#                                 (a second xfilter.ko, e.g. of another commit:
#                                 states xfb1 xfb100 xfb10000 load it, so two
#                                 builds are compared in one boot),
#                                 PROFILE="STATE..." (perf profile of each
#                                 STATE under load instead of the ratios,
#                                 e.g. "xf0 xf1")
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=${T:-1} REPS=${REPS:-3} LATN=${LATN:-200} TIMEOUT=${TIMEOUT:-5400}

make -s -C "$TOP/tests/tools" || exit 1
KO=${KO:-$TOP/module/xfilter.ko}
[ -f "$KO" ] || make -s -C "$TOP" module || exit 1

NAME=bench-datapath${STATES:+-part}${BIND:+-$BIND}${PROFILE:+-profile}
"$TOP/scripts/qemu-run.sh" -q -n "$NAME" ${ICOUNT---icount} -t "$TIMEOUT" -m 1536 \
	--kmod veth --kmod bridge --kmod nf_tables \
	--kmod-later br_netfilter --kmod-later iptable_filter \
	--kmod-later xt_physdev --kmod-later xt_tcpudp \
	--ko "$KO" ${KO_B:+--file "$KO_B:/lib/xfilter/xfilter-b.ko"} \
	--bin "$TOP/tests/tools/build/xfnl" --bin "$TOP/tests/tools/build/xfnet" \
	--bin setpriv --bin iperf3 --bin nft --bin xtables-legacy-multi \
	${PROFILE:+--bin perf} \
	--file /usr/lib/x86_64-linux-gnu/xtables \
	--file /usr/sbin/xtables-legacy-multi:/usr/sbin/iptables-legacy \
	--file /usr/sbin/xtables-legacy-multi:/usr/sbin/iptables-legacy-restore \
	--file /usr/sbin/xtables-legacy-multi:/usr/sbin/iptables-legacy-save \
	"$TOP/tests/bench/datapath-guest.sh" "$T" "$REPS" "$LATN" "${STATES:-}" "${BIND:-any}" \
	"${PROFILE:-}"
rc=$?
LOG=$TOP/out/qemu/$NAME/console.log
if [ -n "${PROFILE:-}" ]; then
	tr -d '\r' < "$LOG" | grep -a -E '^(PROF|BENCH-FAIL)' | tee "$TOP/out/$NAME.txt"
	exit $rc
fi
tr -d '\r' < "$LOG" | grep -a -E '^BENCH-(FAIL|DONE)' || true
python3 "$TOP/tests/bench/ratios.py" "$LOG" | tee "$TOP/out/$NAME.txt"
[ $rc -eq 0 ] && ! grep -q '^BENCH-FAIL' <(tr -d '\r' < "$LOG")
