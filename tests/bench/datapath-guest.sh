#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench-datapath` (run by tests/bench/datapath.sh in a
# QEMU guest with -icount shift=0,sleep=off: guest time counts instructions,
# so alternating runs of one configuration agree to a fraction of a percent).
#
#   netns "guest" (domain 5)          root ns (dom0)                netns "peer"
#   iperf3 -s, xfnet crr-serve  eth0 =veth= vif5.0 --[br0]-- vpeer =veth= eth0  iperf3 -c, xfnet crr
#   10.0.0.2 (servers run as uid 1001)                                   10.0.0.3
#
# Load goes peer -> guest, so every packet of every new connection finds its
# owner (the guest's listening socket, pushed once) in the table: the module
# runs its hit path, which is what the ratios are about. Misses are measured
# apart (first-packet latency).
#
# States, each measured between two runs of its baseline:
#   phase 1 (baseline "base": no xfilter, no nft table)
#     xf1, xf100, xf10000  xfilter.ko loaded, 10,000 owner entries, N rules
#     xfb1, xfb100, xfb10000  the same with the second build (KO_B) of
#                          tests/bench/datapath.sh, to compare two builds
#     nftset               nft netdev ingress chain on vif5.0, one lookup in
#                          a 10,000-element set of (saddr . daddr . sport . dport)
#   phase 2 (baseline "ipt0": br_netfilter loaded, bridge-nf-call-iptables=0)
#     ipt100, ipt10000     one iptables rule per blocked connection in FORWARD
#                          (the 2008 prototype's way), through br_netfilter
# Output: "RES phase=P state=S rep=R metric=M value=V" lines, "LAT ..." lines,
# "INFO ..." lines; tests/bench/ratios.py turns them into the table.
#   datapath-guest.sh SECONDS REPS LAT_CONNECTIONS [STATES [BIND [PROFILE]]]
# PROFILE="STATE...": no measurement; perf samples the whole guest
# (cpu-clock, which under -icount is instruction-proportional) while the UDP
# and the connection load run in each STATE, and prints the top symbols and
# every module symbol as "PROF state=S metric=M ..." lines, with the
# module's total: where its cost goes.
# STATES (e.g. "xf1 nftboth") measures only those, between baseline runs.
# nftboth: the set lookup on the egress hook of vif5.0 too.
set -u
T=${1:-1}
REPS=${2:-2}
LATN=${3:-200}
BIND=${5:-any}
PROFILE=${6:-}
KO=/lib/xfilter/xfilter.ko
DOM=5
G=10.0.0.2 P=10.0.0.3
NRULES="100 10000"

info() { echo "INFO $*"; }
GUEST_A=(ip netns exec guest setpriv --reuid=1001 --regid=1001 --clear-groups --)

setup() {
	sysctl -qw net.core.wmem_max=8388608 net.core.rmem_max=8388608
	ip link add br0 type bridge stp_state 0 forward_delay 0
	ip link set br0 up
	ip netns add guest
	ip netns add peer
	ip link add vif5.0 type veth peer name eth0 netns guest
	ip link add vpeer type veth peer name eth0 netns peer
	ip link set vif5.0 master br0 up
	ip link set vpeer master br0 up
	for ns in guest peer; do
		ip -n $ns link set lo up
		ip -n $ns link set eth0 up
	done
	ip -n guest addr add $G/24 dev eth0
	ip -n peer addr add $P/24 dev eth0
	# BIND=addr (5th argument): servers bound to the guest address instead
	# of any, so the module finds them one lookup earlier
	if [ "${BIND:-any}" = addr ]; then
		"${GUEST_A[@]}" iperf3 -s -D -B $G
		"${GUEST_A[@]}" xfnet crr-serve 7000 $G > /dev/null 2>&1 &
	else
		"${GUEST_A[@]}" iperf3 -s -D
		"${GUEST_A[@]}" xfnet crr-serve 7000 > /dev/null 2>&1 &
	fi
	ip netns exec peer xfnet crr-serve 7001 > /dev/null 2>&1 &
	sleep 1
	ip netns exec peer ping -c 2 -W 2 $G > /dev/null || echo "BENCH-FAIL no ping"
}

# Rules and set elements that never match: one per "blocked connection"
# guest:5201 -> peer:(1024+i); the peer's ephemeral ports start at 32768.
gen_reference_rules() {
	{
		echo '*filter'
		echo ':INPUT ACCEPT [0:0]'
		echo ':FORWARD ACCEPT [0:0]'
		echo ':OUTPUT ACCEPT [0:0]'
		for n in $NRULES; do echo ":b$n - [0:0]"; done
		for n in $NRULES; do
			awk -v n="$n" -v g=$G -v p=$P 'BEGIN { for (i = 0; i < n; i++)
				printf "-A b%d -s %s/32 -d %s/32 -p tcp -m physdev --physdev-in vif5.0 -m tcp --sport 5201 --dport %d -j DROP\n", n, g, p, 1024 + i }'
		done
		echo COMMIT
	} > /tmp/ipt.rules
	{
		echo 'table netdev xfb {'
		echo '  set s10000 { type ipv4_addr . ipv4_addr . inet_service . inet_service; elements = {'
		awk -v g=$G -v p=$P 'BEGIN { for (i = 0; i < 10000; i++) printf "    %s . %s . 5201 . %d,\n", g, p, 1024 + i }'
		echo '  } }'
		echo '  chain ing { type filter hook ingress device "vif5.0" priority 0; policy accept;'
		echo '    ip saddr . ip daddr . tcp sport . tcp dport @s10000 drop'
		echo '  }'
		echo '}'
	} > /tmp/nft.rules
	# the same lookup on both hooks, as the module has them: packets to the
	# guest (this benchmark's load) cross the egress hook only
	{
		sed '$d' /tmp/nft.rules
		echo '  chain egr { type filter hook egress device "vif5.0" priority 0; policy accept;'
		echo '    ip daddr . ip saddr . tcp dport . tcp sport @s10000 drop'
		echo '  }'
		echo '}'
	} > /tmp/nft-both.rules
}

xf_load() {	# xf_load NRULES [KO]
	insmod "${2:-$KO}" || echo "BENCH-FAIL insmod"
	# 10,000 owner entries: the guest's real sockets + synthetic ones
	local real
	real=$(xfnl sync guest $DOM 1 --no-commit | sed -n 's/^pushed=\([0-9]*\).*/\1/p')
	xfnl sync guest $DOM 1 --synthetic $((10000 - real)) > /tmp/sync.log || echo "BENCH-FAIL sync"
	xfnl rule-gen "$1" $DOM > /dev/null || echo "BENCH-FAIL rule-gen $1"
	# as in production a resolver runs: sockets the servers open during a
	# run (iperf3's UDP socket) miss once and are then hits
	resolver_start
}

xf_unload() {
	resolver_stop
	rmmod xfilter || echo "BENCH-FAIL rmmod"
}

RES_PID=
resolver_start() {
	rm -f /tmp/res.ready
	xfnl resolve guest --ready /tmp/res.ready >> /tmp/res.log 2>&1 &
	RES_PID=$!
	for _ in $(seq 100); do [ -e /tmp/res.ready ] && return; sleep 0.1; done
	echo "BENCH-FAIL resolver"
}

resolver_stop() {
	[ -n "$RES_PID" ] || return
	kill "$RES_PID"
	wait "$RES_PID" 2>/dev/null
	RES_PID=
}

state_on() {
	case $1 in
	base|ipt0) ;;
	xfb*) xf_load "${1#xfb}" /lib/xfilter/xfilter-b.ko ;;
	xf*) xf_load "${1#xf}" ;;
	nftset) nft -f /tmp/nft.rules || echo "BENCH-FAIL nft" ;;
	nftboth) nft -f /tmp/nft-both.rules || echo "BENCH-FAIL nft" ;;
	ipt*)
		iptables-legacy -F FORWARD
		iptables-legacy -A FORWARD -j "b${1#ipt}"
		echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables ;;
	esac
	# the set-up's deferred work runs before the measurement, not in it:
	# rule-gen replaces the ruleset once per rule, and RCU frees each
	# replaced one later (10,000 arrays of up to 10,000 rules)
	sleep 2
}

state_off() {
	case $1 in
	base|ipt0) ;;
	xf*)
		info "state=$1 resolver_answers=$(grep -c '^miss' /tmp/res.log)" \
			"entries=$(cat /sys/kernel/xfilter/domains/$DOM/entries 2>/dev/null)" \
			"hits=$(cat /sys/kernel/xfilter/domains/$DOM/hits 2>/dev/null)" \
			"misses=$(cat /sys/kernel/xfilter/domains/$DOM/misses 2>/dev/null)" \
			"rules=$(xfnl rules | grep -c '^id=')"
		xf_unload
		: > /tmp/res.log ;;
	nftset|nftboth) nft delete table netdev xfb ;;
	ipt*)
		echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables
		iptables-legacy -F FORWARD ;;
	esac
}

measure() {	# measure PHASE STATE REP
	local m v
	for m in tcp udp cr; do
		case $m in
		tcp) v=$(ip netns exec peer iperf3 -c $G -t "$T" -f k 2>&1 |
			awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Kbits/sec") print $(i - 1) }') ;;
		udp) v=$(ip netns exec peer iperf3 -c $G -u -l 64 -b 0 -t "$T" 2>&1 |
			awk '/receiver/ { split($3, d, "-"); for (i = 1; i <= NF; i++)
				if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); printf "%.1f\n", (a[2] - a[1]) / d[2] } }') ;;
		cr) v=$(ip netns exec peer xfnet -w 1 crr $G 7000 "$T" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p') ;;
		esac
		echo "RES phase=$1 state=$2 rep=$3 metric=$m value=${v:-NA}"
	done
}

# First-packet latency: connect() time from the guest with no module, with
# the module and every connection a hit (entries pushed before), and with
# every connection a miss answered by the test resolver.
latency() {
	local specs i
	echo "LAT state=nomod $(ip netns exec guest xfnet connlat $P 7001 "$LATN")"
	insmod $KO || echo "BENCH-FAIL insmod"
	xfnl sync guest $DOM 1 > /dev/null
	# a rule that looks at owners (and matches nobody): misses are held
	xfnl rule-add verdict=drop dom=$DOM uid=4242 > /dev/null
	specs=()
	for i in $(seq 0 $((LATN - 1))); do
		specs+=("proto=tcp,g=$G:$((40000 + i)),p=$P:7001,pid=1,tgid=1,uid=0,gid=0,comm=xfnet")
	done
	xfnl owner-add $DOM 1 "${specs[@]}" > /dev/null || echo "BENCH-FAIL owner-add"
	echo "LAT state=hit $(ip netns exec guest xfnet -s 40000 connlat $P 7001 "$LATN")"
	: > /tmp/res.log
	resolver_start
	echo "LAT state=miss $(ip netns exec guest xfnet connlat $P 7001 "$LATN")"
	resolver_stop
	info "resolver answered $(grep -c '^miss .* -> exact' /tmp/res.log) misses" \
		"held=$(cat /sys/kernel/xfilter/domains/$DOM/held 2>/dev/null)" \
		"hold_resolved=$(cat /sys/kernel/xfilter/domains/$DOM/hold_resolved 2>/dev/null)" \
		"fail_open=$(cat /sys/kernel/xfilter/domains/$DOM/fail_open 2>/dev/null)"
	rmmod xfilter
	: > /tmp/res.log
}

# A rule that matches must really cut the measured traffic.
sanity() {
	xf_load 10000
	xfnl rule-add verdict=drop dom=$DOM uid=1001 > /dev/null
	info "sanity xfilter crr-with-matching-rule: $(ip netns exec peer xfnet -w 1 crr $G 7000 1) (expect conns=0)"
	info "sanity resolver: $(grep -c '^miss' /tmp/res.log) misses answered"
	xf_unload
	nft -f /tmp/nft.rules
	nft insert rule netdev xfb ing ip saddr $G tcp sport 7000 drop
	info "sanity nft crr-with-matching-rule: $(ip netns exec peer xfnet -w 1 crr $G 7000 1) (expect conns=0)"
	nft delete table netdev xfb
}

echo "BENCH-START t=$T reps=$REPS latn=$LATN kernel=$(uname -r) $(grep -o 'icount' /proc/cmdline || true)"
t0=$(cut -d' ' -f1 /proc/uptime)
setup
gen_reference_rules
for P in $PROFILE; do
	state_on "$P"
	grep '\[xfilter\]' /proc/kallsyms | awk '{ print $3 }' > /tmp/xfsyms
	for m in udp cr; do
		case $m in
		udp) load=(ip netns exec peer iperf3 -c $G -u -l 64 -b 0 -t "$T") ;;
		cr) load=(ip netns exec peer xfnet -w 1 crr $G 7000 "$T") ;;
		esac
		perf record -q -e cpu-clock -a -o /tmp/perf.data -- "${load[@]}" > /dev/null 2>&1 ||
			echo "BENCH-FAIL perf record $m"
		# the module's symbols are in kallsyms, not a DSO of their own:
		# they are summed apart ("module total")
		perf report -q -i /tmp/perf.data --stdio --sort sym 2>/dev/null |
			awk -v m=$m -v s=$P 'FILENAME == "/tmp/xfsyms" { xf[$1] = 1; next }
				NF && $1 ~ /%$/ {
					sym = $NF; pct = $1 + 0
					if (sym in xf) { tot += pct; flag = " [xfilter]" } else flag = ""
					if (n++ < 40 || (flag != "" && pct >= 0.02))
						printf "PROF state=%s metric=%s %6.2f%% %s%s\n", s, m, pct, sym, flag
				}
				END { printf "PROF state=%s metric=%s %6.2f%% module total\n", s, m, tot }' \
				/tmp/xfsyms -
	done
	state_off "$P"
done
if [ -n "$PROFILE" ]; then
	echo "BENCH-DONE virtual_s=$(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime)"
	exit 0
fi
# STATES (4th argument): only these phase-1 states, each between baselines
if [ -n "${4:-}" ]; then
	for R in $(seq 1 "$REPS"); do
		S=base; measure 1 $S "$R"
		for S in $4; do
			state_on $S; measure 1 $S "$R"; state_off $S
			S=base; measure 1 $S "$R"
		done
	done
	echo "BENCH-DONE virtual_s=$(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime)"
	exit 0
fi
sanity
latency
for R in $(seq 1 "$REPS"); do
	for S in base xf1 base xf100 base xf10000 base nftset base; do
		state_on $S
		measure 1 $S "$R"
		state_off $S
	done
done
for m in $(cat /etc/xf-modules.d/br_netfilter /etc/xf-modules.d/iptable_filter \
		/etc/xf-modules.d/xt_physdev /etc/xf-modules.d/xt_tcpudp); do
	insmod "$m" 2>/dev/null
done
echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables
iptables-legacy-restore < /tmp/ipt.rules || echo "BENCH-FAIL iptables-restore"
info "iptables rules loaded: $(iptables-legacy-save | grep -c '^-A')"
for R in $(seq 1 "$REPS"); do
	for S in ipt0 ipt100 ipt0 ipt10000 ipt0; do
		state_on $S
		measure 2 $S "$R"
		state_off $S
	done
done
state_on ipt10000
iptables-legacy -I FORWARD -m physdev --physdev-in vif5.0 -p tcp --sport 7000 -j DROP
info "sanity ipt crr-with-matching-rule: $(ip netns exec peer xfnet -w 1 crr $G 7000 1) (expect conns=0)"
state_off ipt10000
echo "BENCH-DONE virtual_s=$(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime)"
