#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench-storm` (run by tests/bench/storm.sh in a QEMU
# guest). Domain 6 (netns guest2) measures its first-packet latency (every
# connect a miss answered by the resolver) and its bulk TCP throughput in
# three states, runs alternating:
#   base       no storm;
#   storm-raw  domain 5 (netns guest) sends its storm (raw UDP, random
#              ports, no socket behind them) while xfilter does not filter
#              domain 5 (enabled=0): what the storm costs by itself;
#   storm      the same storm with domain 5 filtered: every packet a miss.
# CPUs as on a Xen host, where each domain has its own vCPUs: with 3 CPUs
# the storm's sender runs on CPU 2, the resolver (dom0's daemon) on CPU 1,
# domain 6 and the servers on CPU 0; with 2, the resolver shares CPU 0.
#
#   guest (dom 5) eth0 =veth= vif5.0 --[br0]-- vpeer =veth= eth0 peer (servers)
#   guest2 (dom 6) eth0 =veth= vif6.0 --'
#
# Output: "RES state=base|storm-raw|storm rep=R metric=M value=V" lines and
# "INFO ..." lines, "BENCH-DONE" at the end.
#   storm-guest.sh REPS CONNECTS BYTES PPS PROFILE RATE [RESOLVER ARGS...]
# RATE: domain 6's connects per second, each started on a schedule (0: one
# as soon as the last one ended), kept under the resolver's budget of 20
# turns per 100 ms for a domain, so that what delays a connect is the
# storm, not domain 6's own rate.
# With PROFILE 1, the connects of the storm states run under perf, whose
# report is printed as "PROF ..." lines.
# PPS: the storm's packets per second, held to a schedule so that storm-raw
# and storm get the same packets (0: as fast as the sender goes, which then
# differs between the states with what each packet costs).
set -u
REPS=${1:-3}
N=${2:-200}
BYTES=${3:-20000000}
PPS=${4:-0}
PROFILE=${5:-0}
[ "$PROFILE" = 1 ] || PROFILE=
RATE=${6:-0}
shift $(($# < 6 ? $# : 6))
RESOLVE_ARGS=$*
KO=/lib/xfilter/xfilter.ko
G=10.0.0.2 G2=10.0.0.4 P=10.0.0.3
TCP=8080 CRR=8082

info() { echo "INFO $*"; }
fail() { echo "BENCH-FAIL $*"; exit 1; }

setup() {
	ip link add br0 type bridge stp_state 0 forward_delay 0
	ip link set br0 up
	ip netns add guest
	ip netns add guest2
	ip netns add peer
	ip link add vif5.0 type veth peer name eth0 netns guest
	ip link add vif6.0 type veth peer name eth0 netns guest2
	ip link add vpeer type veth peer name eth0 netns peer
	for l in vif5.0 vif6.0 vpeer; do ip link set $l master br0 up; done
	for ns in guest guest2 peer; do
		ip -n $ns link set lo up
		ip -n $ns link set eth0 up
	done
	ip -n guest addr add $G/24 dev eth0
	ip -n guest2 addr add $G2/24 dev eth0
	ip -n peer addr add $P/24 dev eth0
	ip netns exec peer xfnet serve tcp 0.0.0.0 $TCP > /dev/null 2>&1 &
	ip netns exec peer xfnet crr-serve $CRR > /dev/null 2>&1 &
	sleep 0.5
	ip netns exec guest2 ping -c 1 -W 2 $P > /dev/null || fail "no ping"
	insmod $KO || fail "insmod"
	# a rule on owners: every new connection of either domain misses and
	# waits for the resolver, as with xfilterd
	xfnl rule-add verdict=drop dom=5 uid=4242 > /dev/null || fail "rule"
	xfnl rule-add verdict=drop dom=6 uid=4242 > /dev/null || fail "rule"
	# one resolver for both domains, as xfilterd is one daemon: it answers
	# each domain's misses from that domain's own sockets (the storm's
	# with "no socket"), as xfilterd reads each guest's own memory
	rm -f /tmp/res.ready
	$RESOLVER_CPU xfnl resolve guest2 --ns 5=guest --ns 6=guest2 --ready /tmp/res.ready \
		$RESOLVE_ARGS > /tmp/res.log 2>&1 &
	for _ in $(seq 50); do [ -e /tmp/res.ready ] && break; sleep 0.2; done
	[ -e /tmp/res.ready ] || fail "resolver"
}

measure() {	# measure STATE REP
	local st=$1 rep=$2 out v spid= m0
	m0=$(cat /sys/kernel/xfilter/domains/5/misses)
	case $st in
	storm-raw) xfnl domain-set 5 enabled=0 > /dev/null || fail "disable 5" ;;
	esac
	if [ "$st" != base ]; then
		ip netns exec guest $STORM_CPU xfnet storm $P 600 "$PPS" > /tmp/storm.log 2>&1 &
		spid=$!
		sleep 1
	fi
	if [ -n "${PROFILE:-}" ] && [ "$st" != base ]; then
		# where the CPU goes while domain 6 connects: perf samples the
		# whole guest; the module's symbols are summed apart
		a0=$(grep -c -- '-> none' /tmp/res.log) t0=$(grep -c '^turn dom=5 ' /tmp/res.log)
		w0=$(cut -d" " -f1 /proc/uptime)
		perf record -q -g -e cpu-clock -a -o /tmp/perf.data -- \
			ip netns exec guest2 xfnet -w 3 -r "$RATE" connlat $P $CRR "$N" > /tmp/connlat.out 2>&1 ||
			echo "BENCH-FAIL perf record"
		w1=$(cut -d" " -f1 /proc/uptime)
		out=$(cat /tmp/connlat.out)
		# the resolver's share: its kernel and user functions with what
		# they call (children), and how many "no socket" answers and
		# domain 5 turns it gave meanwhile, so that a share of the
		# window becomes a time per answer
		echo "PROF state=$st window_s=$(awk -v a="$w0" -v b="$w1" "BEGIN { print b - a }")" \
			"answers=$(($(grep -c -- '-> none' /tmp/res.log) - a0))" \
			"turns5=$(($(grep -c '^turn dom=5 ' /tmp/res.log) - t0))" \
			"$(perf report -q -i /tmp/perf.data --stdio --no-children -g none --sort comm \
				--show-nr-samples 2>/dev/null | awk 'NF >= 3 && $1 ~ /%$/ { n += $2
					if ($3 == "xfnl") r += $2 }
				END { printf "samples=%d resolver_samples=%d", n, r }')"
		perf report -q -i /tmp/perf.data --stdio --comms xfnl --children --sort sym -g none 2>/dev/null |
			awk -v s="$st" 'NF && $1 ~ /%$/ && n++ < 70 {
				printf "PROF state=%s resolver children=%s self=%s %s\n", s, $1, $2, $NF }'
		grep '\[xfilter\]' /proc/kallsyms | awk '{ print $3 }' > /tmp/xfsyms
		perf report -q -i /tmp/perf.data --stdio --no-children -g none --sort comm,sym 2>/dev/null |
			awk -v s="$st" 'FILENAME == "/tmp/xfsyms" { xf[$1] = 1; next }
				NF && $1 ~ /%$/ {
					sym = $NF; pct = $1 + 0
					if (sym in xf) { tot += pct; flag = " [xfilter]" } else flag = ""
					if (n++ < 60 || (flag != "" && pct >= 0.05))
						printf "PROF state=%s %6.2f%% %s %s%s\n", s, pct, $2, sym, flag
				}
				END { printf "PROF state=%s %6.2f%% module total\n", s, tot }' /tmp/xfsyms -
		perf report -q -i /tmp/perf.data --stdio --no-children -g none --sort comm 2>/dev/null |
			awk -v s="$st" 'NF && $1 ~ /%$/ { printf "PROF state=%s comm %s %s\n", s, $1, $2 }'
	else
		out=$(ip netns exec guest2 xfnet -w 3 -r "$RATE" connlat $P $CRR "$N" 2> /tmp/slow.txt)
		# when the slow connects started (ms from the first): what they met;
		# and domain 5's resolver turns in that time, from the same clock
		info "$st rep=$rep slow connects at_ms: $(sed -n 's/^slow.* at_ms=\([0-9.]*\).*/\1/p' /tmp/slow.txt | tr '\n' ' ')"
		c0=$(sed -n 's/^connects began at_mono_ms=//p' /tmp/slow.txt)
		[ -z "$c0" ] || info "$st rep=$rep domain 5 turns (at_ms/ms[/of which lookups ms]): $(awk -v c0="$c0" -v n="$N" -v r="$RATE" '
			/^turn dom=5 / { split($0, f, "at_ms="); split(f[2], g, " ms="); t = g[1] - c0
				split(g[2], h, " lookups_ms=")
				if (t >= 0 && (r <= 0 || t <= 1000 * n / r))
					printf "%.0f/%.2f%s ", t, h[1], h[2] != "" ? sprintf("/%.2f", h[2]) : "" }' /tmp/res.log)"
	fi
	info "$st rep=$rep connlat $out"
	v=$(echo "$out" | sed -n 's/.*median_us=\([0-9.]*\).*/\1/p')
	echo "RES state=$st rep=$rep metric=connect_median_us value=${v:-nan}"
	v=$(echo "$out" | sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p')
	echo "RES state=$st rep=$rep metric=connect_p99_us value=${v:-nan}"
	echo "$out" | grep -q 'failed=0 ' || echo "RES state=$st rep=$rep metric=connect_failed value=1"
	out=$(ip netns exec guest2 xfnet -w 10 send tcp $P $TCP "$BYTES")
	info "$st rep=$rep bulk $out"
	v=$(echo "$out" | awk -v b="$BYTES" '/result=ok/ { split($0, f, "ms="); printf "%.2f", b / f[2] / 1000 }')
	echo "RES state=$st rep=$rep metric=throughput_MBps value=${v:-nan}"
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		out=$(cat /tmp/storm.log)
		info "$st rep=$rep domain 5 $out"
		v=$(echo "$out" | sed -n 's/.* pps=\([0-9.]*\).*/\1/p')
		echo "RES state=$st rep=$rep metric=storm_pps value=${v:-nan}"
		xfnl domain-set 5 enabled=1 > /dev/null || fail "enable 5"
		info "$st rep=$rep domain 5 misses +$(($(cat /sys/kernel/xfilter/domains/5/misses) - m0))" \
			"hold_overflows5=$(cat /sys/kernel/xfilter/domains/5/hold_overflows)" \
			"hold_timeouts6=$(cat /sys/kernel/xfilter/domains/6/hold_timeouts)"
		# the storm's holds drain before the next baseline
		sleep 2
	fi
}

STORM_CPU= RESOLVER_CPU= CPUS=$(nproc)
if [ "$CPUS" -ge 2 ]; then
	taskset -p 1 $$ > /dev/null || fail "taskset"
	STORM_CPU="taskset 2"
fi
if [ "$CPUS" -ge 3 ]; then
	STORM_CPU="taskset 4"
	RESOLVER_CPU="taskset 2"
fi
info "cpus=$CPUS storm pps=${PPS} connects/s=${RATE} (0: unpaced) resolver args: ${RESOLVE_ARGS:-none}"
setup
for rep in $(seq "$REPS"); do
	measure base "$rep"
	measure storm-raw "$rep"
	measure storm "$rep"
done
measure base $((REPS + 1))
info "domain 6: $(xfnl stats 6 | tr '\n' ' ')"
echo "BENCH-DONE"
