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
# Every check goes through xfilterctl's output, human and JSON, and compares
# it with what was sent and with sysfs.
set -u
. /xf/lib/guest.sh

DOM=5
G4=10.0.0.2 P4=10.0.0.3 P6=fd00::3
TCP=8080 UDP=8081
UA=1001 UB=1002
KO=/lib/xfilter/xfilter.ko
SYS=/sys/kernel/xfilter
X=xfilterctl

say() { echo "  $*" >&2; }

as() {	# as UID CMD...: in the guest namespace as that user, no caps
	local uid=$1
	shift
	ip netns exec guest setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$@" || true
}

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

# x ARGS...: runs xfilterctl, shows the command and what it printed
x() {
	local out rc
	echo "  \$ $X $*" >&2
	out=$("$X" "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/    /' >&2
	printf '%s' "$out"
	return $rc
}

# jnum KEY JSON: the first number after "KEY": in JSON
jnum() { echo "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; }

ctr() {
	local f=$SYS/$1
	[ $# -gt 1 ] && f=$SYS/domains/$2/$1
	cat "$f" 2>/dev/null || echo NA
}

expect() {	# expect WHAT TEXT REGEX
	echo "$2" | grep -q -E "$3" && return 0
	t_fail "$1: want /$3/ in: $2"
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

# ---- tests ----------------------------------------------------------------

t_no_module() {
	local out rc=0
	out=$(x info) || rc=$?
	t_eq "exit status" "$rc" 1
	t_eq "message" "$out" "xfilterctl: xfilter module not loaded (modprobe xfilter)"
}

t_info() {
	local out
	t_cmd insmod $KO
	out=$(x info) || t_fail "info failed"
	expect "info" "$out" '^protocol +1 \(module speaks 1-1\)'
	expect "info" "$out" '^features +ipv6 hold reject expiry neg-cache verdict-events'
	out=$(x -j info)
	t_eq "proto_min" "$(jnum proto_min "$out")" 1
	t_eq "rules_gen is a number" "$(jnum rules_gen "$out" | grep -c '^[0-9]')" 1
}

t_domain() {
	local out
	out=$(x domain show) || t_fail "domain show"
	expect "domain show" "$out" "^ +$DOM +on +open +.* vif5\.0$"
	x domain set dom $DOM max-entries 5000 fail closed > /dev/null || t_fail "domain set"
	out=$(x -j domain show dom $DOM)
	expect "json" "$out" "^\[\{\"dom\":$DOM,\"enabled\":true,\"fail_mode\":\"closed\",.*\"max_entries\":5000,.*\"vifs\":\[\"vif5\.0\"\]\}\]$"
	x domain set dom $DOM fail open max-entries 65536 > /dev/null || t_fail "domain set back"
}

# Kernel refusals come back as the kernel's words and the argument at fault.
t_kernel_errors() {
	local out rc=0
	out=$(x domain set dom $DOM max-entries 4000000000) || rc=$?
	t_eq "exit status" "$rc" 1
	expect "extack" "$out" "^xfilterctl: domain set: kernel reports: .+ \(argument 'max-entries 4000000000'\)$"
	rc=0
	out=$(x rule del 999999) || rc=$?
	t_eq "exit status" "$rc" 1
	expect "del" "$out" "kernel reports: no rule with this id"
	rc=0
	out=$(x domain show dom 77) || rc=$?
	t_eq "exit status" "$rc" 1
	expect "show" "$out" "kernel reports: no such domain \(argument 'dom 77'\)"
	# no CAP_NET_ADMIN: refused by the kernel, said plainly
	rc=0
	out=$(setpriv --inh-caps=-all --bounding-set=-all "$X" rule list 2>&1) || rc=$?
	say "unprivileged: $out"
	t_eq "unprivileged exit" "$rc" 1
	expect "unprivileged" "$out" "CAP_NET_ADMIN"
	# refused before the kernel sees anything
	rc=0
	out=$(x rule add comm 0123456789abcdefg drop) || rc=$?
	t_eq "usage exit" "$rc" 2
	t_eq "rules untouched" "$(x rule list)" ""
}

# A uid rule: that uid's traffic is cut, the other's passes; counters agree.
t_rule_uid() {
	local id out r hits j
	id=$(x rule add dom $DOM uid $UA proto tcp peer-port $TCP drop) || t_fail "rule add"
	expect "rule id" "$id" '^[0-9]+$'
	r=$(as $UA xfnet -w 2 send tcp $P4 $TCP 20000); expect "uid $UA" "$r" 'result=timeout'
	r=$(as $UB xfnet -w 2 send tcp $P4 $TCP 20000); expect "uid $UB" "$r" 'result=ok'
	out=$(x rule list)
	expect "list" "$out" "^ +$id +1000 +drop +[1-9][0-9]* +[1-9][0-9]* +- +dom $DOM uid $UA proto tcp peer-port $TCP$"
	j=$(x -j rule list dom $DOM)
	hits=$(jnum hits "$j")
	[ "${hits:-0}" -gt 0 ] || t_fail "no hits in $j"
	expect "json" "$j" "^\[\{\"id\":$id,\"prio\":1000,\"verdict\":\"drop\",\"dom\":$DOM,\"uid\":$UA,"
	# stats -j agrees with sysfs
	j=$(x -j stats dom $DOM)
	t_eq "dropped (netlink vs sysfs)" "$(jnum dropped "$j")" "$(ctr dropped $DOM)"
	j=$(x -j stats)
	expect "stats -j" "$j" "^\{\"global\":\{\"packets\":[0-9]+,.*\"domains\":\[\{\"dom\":$DOM,"
	x rule del "$id" > /dev/null || t_fail "rule del"
	t_eq "rules after del" "$(x rule list)" ""
	r=$(as $UA xfnet -w 2 send tcp $P4 $TCP 20000); expect "uid $UA after del" "$r" 'result=ok'
}

# conns shows what the guest has: owner, addresses, counts.
t_conns() {
	local pid out j
	# The module looks owners up (and counts per owner) only while some
	# rule concerns the domain; one that matches nobody here will do.
	x rule add dom $DOM uid 4242 drop > /dev/null
	ip netns exec guest setpriv --reuid=$UA --regid=$UA --clear-groups \
		--inh-caps=-all --bounding-set=-all -- xfnet stream $P4 $TCP 8 > /tmp/stream.log 2>&1 &
	pid=$!
	t_wait 5 grep -q connected /tmp/stream.log || t_fail "stream did not connect"
	t_cmd xfnl sync guest $DOM 100 > /dev/null
	# the entry counts the stream's packets from now on
	t_wait 5 eval "\"$X\" -j conns pid $pid | grep -q '\"packets\":[1-9]'" ||
		t_fail "no packets counted for the stream"
	j=$(x -j conns dom $DOM uid $UA)
	expect "conns -j" "$j" "\{\"dom\":$DOM,\"pid\":$pid,\"tgid\":$pid,\"uid\":$UA,\"gid\":$UA,[^}]*\"comm\":\"xfnet\",\"family\":\"ipv4\",\"proto\":\"tcp\",\"state\":\"ESTAB\",\"guest_addr\":\"$G4\",\"guest_port\":[0-9]+,\"peer_addr\":\"$P4\",\"peer_port\":$TCP,\"packets\":[1-9]"
	out=$(x conns pid $pid)
	expect "conns" "$out" "^ +$DOM +$pid +$pid +$UA +xfnet +tcp +ESTAB +$G4:[0-9]+ +$P4:$TCP +[1-9][0-9]* +[1-9][0-9]*$"
	t_eq "filter that matches nothing" "$(x conns comm nothere)" ""
	t_eq "empty json" "$(x -j conns uid 4242)" "[]"
	wait $pid || true
	x rule flush > /dev/null
}

# monitor prints the drop as the audit line does, and config changes.
t_monitor() {
	local id mpid cpid opid out
	"$X" monitor > /tmp/mon.log 2>&1 &
	mpid=$!
	"$X" -j monitor config > /tmp/monj.log 2>&1 &
	cpid=$!
	"$X" monitor verdict dom 6 > /tmp/mon6.log 2>&1 &
	opid=$!
	sleep 0.5
	id=$(x rule add dom $DOM uid $UA proto udp drop) || t_fail "rule add"
	as $UA xfnet -w 1 send udp $P4 $UDP 3 100 > /dev/null
	x rule flush > /dev/null
	sleep 0.5
	kill $mpid $cpid $opid
	wait $mpid $cpid $opid 2>/dev/null
	sed 's/^/    mon: /' /tmp/mon.log /tmp/monj.log >&2
	t_eq "drop events" "$(grep -c -E "^verdict=drop dom=$DOM vif=vif5\.0 dir=out pid=[0-9]+ uid=$UA comm=xfnet proto=udp src=$G4:[0-9]+ dst=$P4:$UDP rule=$id reason=rule len=[0-9]+$" /tmp/mon.log)" 3
	expect "rule-new event" "$(cat /tmp/mon.log)" "^config=rule-new id=$id rule=\"dom $DOM uid $UA proto udp drop\"$"
	expect "flush event" "$(cat /tmp/mon.log)" "^config=rule-flush$"
	expect "json config" "$(cat /tmp/monj.log)" "^\{\"event\":\"rule-new\",\"rule\":\{\"id\":$id,"
	! grep -q '"event":"verdict"' /tmp/monj.log || t_fail "verdict event in a config-only monitor"
	t_eq "events of another domain" "$(cat /tmp/mon6.log)" ""
}

# save | restore is the identity, atomic, and a bad file changes nothing.
t_save_restore() {
	local before after rc=0 out
	x rule add dom $DOM uid $UA proto tcp peer-port $TCP drop > /dev/null
	x rule add comm Web\\x20Content peer 2001:db8::/32 guest-port 1000-2000 reject prio 10 > /dev/null
	x rule add owner unknown dir in log prio 2000 > /dev/null
	x rule add family ipv6 proto icmpv6 accept prio 5 > /dev/null
	before=$(x save) || t_fail "save"
	# what the kernel keeps is what was typed (an IPv6 prefix included)
	expect "v6 prefix" "$before" "^rule add comm Web\\\\x20Content peer 2001:db8::/32 guest-port 1000-2000 reject prio 10$"
	echo "$before" > /tmp/saved
	x restore /tmp/saved > /dev/null || t_fail "restore"
	after=$(x save)
	t_eq "save | restore | save" "$after" "$before"
	x save | x restore - > /dev/null || t_fail "restore from stdin"
	t_eq "through a pipe" "$(x save)" "$before"
	out=$(x restore --check /tmp/saved)
	t_eq "check" "$out" "/tmp/saved: 4 rules, syntax ok"
	# a refused file leaves the ruleset alone
	printf 'rule add uid 1 drop\nrule add guest-port 70000 drop\n' > /tmp/bad
	out=$(x restore /tmp/bad) || rc=$?
	t_eq "bad file exit" "$rc" 2
	expect "bad file" "$out" "^xfilterctl: /tmp/bad:2: guest-port: port 70000 is out of range"
	t_eq "untouched" "$(x save)" "$before"
	# an expiring rule is saved with the time it has left
	x rule add uid 7 log timeout 1h > /dev/null
	expect "time left" "$(x save)" "^rule add uid 7 log timeout (1h|3[0-9][0-9][0-9]s)$"
	# an empty file empties the ruleset, atomically
	: > /tmp/empty
	x restore /tmp/empty > /dev/null || t_fail "empty restore"
	t_eq "emptied" "$(x rule list)" ""
}

# One replace carries 64 KiB of rules: up to that it goes through whole,
# beyond it is refused whole, never cut short.
t_restore_large() {
	local out rc=0
	for i in $(seq 1 3000); do echo "rule add uid $i drop"; done > /tmp/big
	"$X" restore /tmp/big || t_fail "3000 rules refused"
	t_eq "rules restored" "$("$X" -j rule list | grep -o '"id":' | wc -l)" 3000
	for i in $(seq 1 3500); do echo "rule add uid $i drop"; done > /tmp/huge
	out=$("$X" restore /tmp/huge 2>&1) || rc=$?
	t_eq "exit" "$rc" 1
	expect "too large" "$out" "3500 rules do not fit in one atomic replace"
	t_eq "rules kept" "$("$X" -j rule list | grep -o '"id":' | wc -l)" 3000
	x rule flush > /dev/null
}

t_replace() {
	local a b out r
	a=$(x rule add dom $DOM uid $UA drop)
	b=$(x rule add dom $DOM uid 4242 log prio 50)
	x rule replace "$a" dom $DOM uid $UB proto tcp drop > /dev/null || t_fail "replace"
	out=$(x rule list)
	expect "replaced" "$out" "drop .* dom $DOM uid $UB proto tcp$"
	! echo "$out" | grep -q "uid $UA" || t_fail "old rule still there"
	expect "other kept" "$out" " 50 +log .* dom $DOM uid 4242$"
	r=$(as $UB xfnet -w 2 send tcp $P4 $TCP 1000); expect "uid $UB now cut" "$r" 'result=timeout'
	r=$(as $UA xfnet -w 2 send tcp $P4 $TCP 1000); expect "uid $UA free" "$r" 'result=ok'
	out=$(x rule replace 999999 drop 2>&1) && t_fail "replace of a missing rule"
	expect "missing" "$out" "no rule with id 999999"
	x rule flush > /dev/null
}

setup
t_run ctl_no_module t_no_module
t_run ctl_info t_info
resolver_start
t_run ctl_domain t_domain
t_run ctl_kernel_errors t_kernel_errors
t_run ctl_rule_uid t_rule_uid
t_run ctl_conns t_conns
t_run ctl_monitor t_monitor
t_run ctl_save_restore t_save_restore
t_run ctl_restore_large t_restore_large
t_run ctl_replace t_replace
x rule flush > /dev/null 2>&1
resolver_stop
sleep 0.5
rmmod xfilter || echo "  FAILED: rmmod" >&2
t_done
[ "$XFT_FAIL" -eq 0 ] && [ "$XFT_PASS" -gt 0 ] && echo XFGUEST-SUCCESS
