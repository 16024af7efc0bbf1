#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-storm: what a miss storm from domain 5 costs domain 6 through
# xfilter. Domain 6 measures its first-packet latency (median and p99 of
# connects that each miss and wait for the resolver) and its bulk TCP
# throughput in three states (tests/bench/storm-guest.sh):
#   base       no storm
#   storm-raw  domain 5 floods while xfilter does not filter it
#   storm      the same flood, domain 5 filtered: every packet a miss
# and prints, per metric, three ratios (worse/better, so > 1 is a cost):
#   raw      storm / base: everything the storm costs domain 6 here;
#   cpu      storm-raw / base: the flood's own cost (its sender and its
#            packets share this one emulated machine, and its memory and
#            host CPU time, with domain 6);
#   xfilter  storm / storm-raw: what xfilter adds because domain 5's
#            packets miss (hold queue, miss events, the resolver's time).
# Each ratio is taken within a repetition (the three states run back to
# back) and the median over repetitions is printed, so that what drifts
# from one repetition to the next cancels out. The target (within 1.1x)
# applies to the xfilter ratio; a figure over it is printed as such, the
# exit code stays 0 (a measurement; the netns tier asserts the behaviour).
# One QEMU boot, by default under -icount shift=0,sleep=off with one vCPU:
# guest time counts instructions, so the figures do not follow the host's
# load. One vCPU is harsher than a Xen host, where each domain has its own
# vCPUs: here domain 6, the storm's sender and the resolver share it, which
# is what the cpu column shows. (This QEMU does not bring up a second vCPU
# under -icount.)
#   tests/bench/storm.sh     env: REPS (5), N (connects per run, 400),
#                            BYTES (bulk run, 10000000), TIMEOUT (s, 3600),
#                            ICOUNT (1; empty: real time), SMP (guest CPUs,
#                            1; with ICOUNT= and 3: domain 6 on CPU 0, the
#                            resolver on CPU 1, the storm's sender on CPU 2,
#                            as each Xen domain has its own vCPUs),
#                            RESOLVE (`xfnl resolve` options; default
#                            "--diag": each miss looked up by the kernel's
#                            own socket lookup, as xfilterd looks a flow up
#                            in the guest's hash tables; empty: each turn
#                            reads the namespace's whole socket tables;
#                            "--diag --fifo": the unfair arrival-order one),
#                            PPS (the storm's packets per second, 25000;
#                            0: as fast as its sender goes), RATE (domain
#                            6's connects per second, 100; 0: back to
#                            back), PROFILE (1:
#                            perf profiles of the storm states' connects,
#                            in out/bench-storm-profile.txt; perturbs the
#                            figures)
# The storm is held to PPS so that storm-raw and storm carry the same
# packets: a sender that goes as fast as it can sends fewer when each packet
# costs more, and more when the resolver leaves it more of the CPU, which
# would change the storm between the states being compared. Its achieved
# rate in both states is printed; a storm that fell behind its schedule is
# reported as such.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPS=${REPS:-5} N=${N:-400} BYTES=${BYTES:-10000000} TIMEOUT=${TIMEOUT:-3600}
SMP=${SMP:-1} ICOUNT=${ICOUNT-1} RESOLVE=${RESOLVE---diag} PPS=${PPS:-25000} RATE=${RATE:-100}

make -s -C "$TOP/tests/tools" || exit 1
KO=$TOP/module/xfilter.ko
[ -f "$KO" ] || make -s -C "$TOP" module || exit 1

NAME=bench-storm${PROFILE:+-profile}
# shellcheck disable=SC2086 # RESOLVE is a word list
"$TOP/scripts/qemu-run.sh" -q -n "$NAME" ${ICOUNT:+--icount} --smp "$SMP" -t "$TIMEOUT" -m 1024 \
	--kmod veth --kmod bridge --kmod inet_diag --kmod tcp_diag --kmod udp_diag --ko "$KO" \
	--bin "$TOP/tests/tools/build/xfnl" --bin "$TOP/tests/tools/build/xfnet" ${PROFILE:+--bin perf} \
	"$TOP/tests/bench/storm-guest.sh" "$REPS" "$N" "$BYTES" "$PPS" "${PROFILE:+1}" "$RATE" $RESOLVE
rc=$?
LOG=$TOP/out/qemu/$NAME/console.log
tr -d '\r' < "$LOG" | grep -a -E '^(INFO|BENCH-FAIL|BENCH-DONE|PROF)' || true
tr -d '\r' < "$LOG" | python3 -c '
import re, statistics, sys
v = {}
for line in sys.stdin:
    m = re.match(r"RES state=(\S+) rep=(\S+) metric=(\S+) value=(\S+)", line)
    if m:
        v.setdefault((m[3], m[1]), {})[int(m[2])] = float(m[4])
bad = 0
print("domain 6 during a miss storm from domain 5 (medians over repetitions; each ratio worse/better,")
print("taken within a repetition; the target, within 1.1x, is for the xfilter ratio = storm / storm-raw)")
print("%-18s %9s %10s %9s   raw    cpu  xfilter [min-max]" % ("metric", "base", "storm-raw", "storm"))
for metric, worse in (("connect_median_us", "up"), ("connect_p99_us", "up"), ("throughput_MBps", "down")):
    b, c, s = (v.get((metric, st), {}) for st in ("base", "storm-raw", "storm"))
    reps = sorted(set(b) & set(c) & set(s))
    if not reps:
        print(f"{metric}: no data"); bad = 1; continue
    r = (lambda x, y: x / y) if worse == "up" else (lambda x, y: y / x)
    raw = statistics.median(r(s[i], b[i]) for i in reps)
    cpu = statistics.median(r(c[i], b[i]) for i in reps)
    xfs = [r(s[i], c[i]) for i in reps]
    xf = statistics.median(xfs)
    verdict = "ok" if xf <= 1.1 else "over 1.1x"
    med = lambda d: statistics.median(d[i] for i in reps)
    print(f"{metric:18s} {med(b):9.1f} {med(c):10.1f} {med(s):9.1f} {raw:5.2f}x {cpu:5.2f}x "
          f"{xf:5.2f}x [{min(xfs):.2f}-{max(xfs):.2f}] {verdict}")
pps = float(sys.argv[1])
c, s = v.get(("storm_pps", "storm-raw"), {}), v.get(("storm_pps", "storm"), {})
reps = sorted(set(c) & set(s))
if reps:
    lo = min(min(c[i], s[i]) for i in reps)
    behind = pps > 0 and lo < 0.98 * pps
    print("domain 5 storm, packets/s (median): storm-raw %.0f, storm %.0f (%s)" %
          (statistics.median(c[i] for i in reps), statistics.median(s[i] for i in reps),
           "unpaced" if pps <= 0 else
           "fell behind its schedule of %.0f, min %.0f: not the same storm in both states" % (pps, lo)
           if behind else "on its schedule of %.0f in every run" % pps))
if any(v.get(("connect_failed", st)) for st in ("base", "storm-raw", "storm")):
    print("some connects failed"); bad = 1
sys.exit(bad)
' "$PPS" | tee "$TOP/out/$NAME.txt"
prc=${PIPESTATUS[1]}
[ $rc -eq 0 ] && [ "$prc" -eq 0 ] && ! grep -q '^BENCH-FAIL' <(tr -d '\r' < "$LOG")
