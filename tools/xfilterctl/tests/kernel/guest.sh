#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xfilterctl against the real xfilter.ko, inside the QEMU guest started by
# run.sh (one boot). The guest's root namespace plays dom0; "guest" is
# domain 5 behind a veth named vif5.0, "peer" the world:
#
#   netns guest (dom 5)           root ns (dom0)                 netns peer
#   uid 1001/1002 clients  eth0 ==== vif5.0 --[ br0 ]-- vpeer ==== eth0 servers
#   10.0.0.2, fd00::2                 xfilterctl, xfnl           10.0.0.3, fd00::3
#
# The checks are in ctl-tests.sh (sourceable by the netns tier too); every
# one goes through xfilterctl's output, human and JSON, and compares it with
# what was sent and with sysfs.
set -u
. /xf/lib/guest.sh

DOM=5
G4=10.0.0.2 P4=10.0.0.3 P6=fd00::3
TCP=8080 UDP=8081
KO=/lib/xfilter/xfilter.ko

say() { echo "  $*" >&2; }

# The daemon's part: answers the module's misses from the guest's /proc,
# so that flows get their owner (without it: no daemon, fail mode).
resolver_start() {
	rm -f /tmp/res.ready
	xfnl resolve guest --ready /tmp/res.ready >> /tmp/resolver.log 2>&1 &
	echo $! > /tmp/res.pid
	t_wait 10 test -e /tmp/res.ready || echo "  FAILED: resolver did not start" >&2
}

resolver_stop() {
	[ -s /tmp/res.pid ] && kill "$(cat /tmp/res.pid)" 2>/dev/null
	rm -f /tmp/res.pid
}

setup() {
	sysctl -qw net.core.message_cost=0
	ip netns add guest
	ip netns add peer
	ip link add br0 type bridge stp_state 0 forward_delay 0
	ip link set br0 up
	ip link add vif5.0 type veth peer name eth0 netns guest
	ip link add vpeer type veth peer name eth0 netns peer
	ip link set vif5.0 master br0 up
	ip link set vpeer master br0 up
	for ns in guest peer; do
		ip -n $ns link set lo up
		ip -n $ns link set eth0 up
	done
	ip -n guest addr add $G4/24 dev eth0
	ip -n guest addr add fd00::2/64 dev eth0 nodad
	ip -n peer addr add $P4/24 dev eth0
	ip -n peer addr add $P6/64 dev eth0 nodad
	ip netns exec peer xfnet serve tcp 0.0.0.0 $TCP > /dev/null 2>&1 &
	ip netns exec peer xfnet serve udp 0.0.0.0 $UDP > /dev/null 2>&1 &
	sleep 0.5
	ip netns exec guest ping -c 1 -W 2 $P4 > /dev/null || say "setup: no ping"
}

. /xf/ctl-tests.sh

t_no_module() {
	local out rc=0
	out=$(ctl_x info) || rc=$?
	t_eq "exit status" "$rc" 1
	t_eq "message" "$out" "xfilterctl: xfilter module not loaded (modprobe xfilter)"
}

setup
t_run ctl_no_module t_no_module
insmod $KO || echo "  FAILED: insmod" >&2
resolver_start
ctl_run_all
resolver_stop
sleep 0.5
rmmod xfilter || echo "  FAILED: rmmod" >&2
t_done
[ "$XFT_FAIL" -eq 0 ] && [ "$XFT_PASS" -gt 0 ] && echo XFGUEST-SUCCESS
