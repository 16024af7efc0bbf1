#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The daemon against the real module, inside a QEMU guest: xfilterd serves a
# small core of a real Debian 6.1 guest (tools/xfilterd/fuzz/corpus) as
# domain 5, whose "vif" is a veth named vif5.0:
#
#   [ netns guest: eth0 10.0.0.2 ]=veth=[ vif5.0 10.0.0.1 : root ns, module, xfilterd ]
#
# Tests: the table pushed as one generation, a miss answered with the owner
# (dual-stack UDP socket alice_srv uid 1000 on port 5353), misses answered
# "no socket", and a clean exit on SIGTERM.
. /xf/lib/guest.sh
SEED=/xf/seed.core
DOM=5
LOG=/tmp/xfilterd.log

entries() { xfilterctl -j conns dom $DOM | grep -o '"dom":5,' | wc -l; }

t_setup() {
	t_cmd insmod /lib/xfilter/xfilter.ko
	ip netns add guest
	ip link add vif5.0 type veth peer name eth0 netns guest
	ip addr add 10.0.0.1/24 dev vif5.0
	ip link set vif5.0 up
	ip -n guest link set lo up
	ip -n guest addr add 10.0.0.2/24 dev eth0
	ip -n guest link set eth0 up
	ip netns exec guest ping -c 1 -W 3 10.0.0.1 > /dev/null || t_fail "no ping"
}

t_once() {
	t_cmd xfilterd run --core $SEED:$DOM --once --log-level debug
	t_eq "entries after one refresh" "$(entries)" 22
	xfilterctl -j conns dom $DOM | grep -q '"comm":"alice_srv".*"guest_port":9000' ||
		t_fail "alice_srv's listener missing"
	xfilterctl -j conns dom $DOM | grep -q '"shared":true' || t_fail "no shared socket"
}

t_start() {
	rm -f /tmp/xfd.rc
	sh -c "xfilterd run --core $SEED:$DOM --period 60000 --log-level debug 2> $LOG &
		echo \$! > /tmp/xfd.pid; wait \$!; echo \$? > /tmp/xfd.rc" &
	t_wait 5 test -s /tmp/xfd.pid
	t_wait 20 grep -q "generation" $LOG || { cat $LOG; t_fail "no refresh"; }
}

t_miss_owner() {
	# misses are only raised while a rule looks at owners in this domain
	t_cmd xfilterctl rule add dom $DOM uid 1001 drop
	ip netns exec guest xfnet -s 5353 -w 2 send udp 10.0.0.1 7777 1 10 || true
	t_wait 10 grep -q "miss udp 10.0.0.2:5353 -> 10.0.0.1:7777: pid .* uid 1000 comm alice_srv" $LOG ||
		{ cat $LOG; t_fail "miss not answered with alice_srv"; }
	t_wait 5 sh -c "xfilterctl -j conns dom $DOM | grep -q '\"guest_port\":5353,\"peer_addr\":\"10.0.0.1\"'" ||
		{ xfilterctl conns dom $DOM; t_fail "no entry for the missed flow"; }
}

# Misses of four flows with no socket, at once: each answered "no socket"
# (in one MISS_RESOLVE when they share a turn), each held packet decided by
# the answer, none by the hold deadline, and no answer refused.
t_miss_none() {
	local d=/sys/kernel/xfilter/domains/$DOM p r0 t0
	r0=$(cat $d/hold_resolved) t0=$(cat $d/hold_timeouts)
	for p in 40001 40002 40003 40004; do
		ip netns exec guest xfnet -s $p -w 2 send udp 10.0.0.1 7777 1 10 > /dev/null 2>&1 &
	done
	wait
	for p in 40001 40002 40003 40004; do
		t_wait 10 grep -q "miss udp 10.0.0.2:$p -> 10.0.0.1:7777: no socket" $LOG ||
			{ cat $LOG; t_fail "miss from port $p not answered 'no socket'"; }
	done
	[ $(($(cat $d/hold_resolved) - r0)) -ge 4 ] ||
		t_fail "hold_resolved moved by $(($(cat $d/hold_resolved) - r0)), not 4"
	t_eq "hold timeouts" $(($(cat $d/hold_timeouts) - t0)) 0
	! grep -q "MISS_RESOLVE" $LOG || { cat $LOG; t_fail "an answer was refused"; }
}

t_sigterm() {
	kill -TERM "$(cat /tmp/xfd.pid)"
	t_wait 5 test -s /tmp/xfd.rc || t_fail "still running 5 s after SIGTERM"
	t_eq "exit status" "$(cat /tmp/xfd.rc)" 0
	grep -q "exiting" $LOG || t_fail "no exit message"
}

t_run daemon/setup t_setup
t_run daemon/once t_once
t_run daemon/start t_start
t_run daemon/miss-owner t_miss_owner
t_run daemon/miss-none t_miss_none
t_run daemon/sigterm t_sigterm
cat $LOG | tail -n 30
t_done
