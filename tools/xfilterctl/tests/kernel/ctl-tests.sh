#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xfilterctl checks against the loaded xfilter module, to be sourced by a
# guest script that has set up the netns topology: domain $CTL_DOM behind a
# vif-named veth, netns "guest" (uids $CTL_UA, $CTL_UB at $CTL_G4) and
# "peer" ($CTL_P4 with xfnet servers on tcp $CTL_TCP, udp $CTL_UDP), and a
# resolver answering the module's misses (xfnl resolve guest). Used by
# tools/xfilterctl/tests/kernel/guest.sh; tests/netns/netns.sh has the same
# topology and can run them in its own boot with ctl_run_all. Needs
# tests/lib/guest.sh's t_* helpers, xfilterctl, xfnl and xfnet in PATH.
# Every name here starts with ctl_ or CTL_: nothing of the caller's changes.

CTL_DOM=${CTL_DOM:-5}
CTL_G4=${CTL_G4:-10.0.0.2} CTL_P4=${CTL_P4:-10.0.0.3}
CTL_TCP=${CTL_TCP:-8080} CTL_UDP=${CTL_UDP:-8081}
CTL_UA=${CTL_UA:-1001} CTL_UB=${CTL_UB:-1002}
CTL_SYS=/sys/kernel/xfilter
CTL_X=xfilterctl

ctl_as() {	# ctl_as UID CMD...: in the guest namespace as that user, no caps
	local uid=$1
	shift
	ip netns exec guest setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$@" || true
}

# ctl_x ARGS...: runs xfilterctl, shows the command and what it printed
ctl_x() {
	local out rc
	echo "  \$ $CTL_X $*" >&2
	out=$("$CTL_X" "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/    /' >&2
	printf '%s' "$out"
	return $rc
}

# ctl_jnum KEY JSON: the first number after "KEY": in JSON
ctl_jnum() { echo "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; }

ctl_ctr() {
	local f=$CTL_SYS/$1
	[ $# -gt 1 ] && f=$CTL_SYS/domains/$2/$1
	cat "$f" 2>/dev/null || echo NA
}

ctl_expect() {	# ctl_expect WHAT TEXT REGEX
	echo "$2" | grep -q -E "$3" && return 0
	t_fail "$1: want /$3/ in: $2"
}


ctl_t_info() {
	local out
	out=$(ctl_x info) || t_fail "info failed"
	ctl_expect "info" "$out" '^protocol +1 \(module speaks 1-1\)'
	ctl_expect "info" "$out" '^features +ipv6 hold reject expiry neg-cache verdict-events scan-stamp miss-batch owner-del-batch$'
	out=$(ctl_x -j info)
	t_eq "proto_min" "$(ctl_jnum proto_min "$out")" 1
	t_eq "rules_gen is a number" "$(ctl_jnum rules_gen "$out" | grep -c '^[0-9]')" 1
}

ctl_t_domain() {
	local out
	out=$(ctl_x domain show) || t_fail "domain show"
	ctl_expect "domain show" "$out" "^ +$CTL_DOM +on +open +.* vif5\.0$"
	ctl_x domain set dom $CTL_DOM max-entries 5000 fail closed > /dev/null || t_fail "domain set"
	out=$(ctl_x -j domain show dom $CTL_DOM)
	ctl_expect "json" "$out" "^\[\{\"dom\":$CTL_DOM,\"enabled\":true,\"fail_mode\":\"closed\",.*\"max_entries\":5000,.*\"vifs\":\[\"vif5\.0\"\]\}\]$"
	ctl_x domain set dom $CTL_DOM fail open max-entries 65536 > /dev/null || t_fail "domain set back"
}

# Kernel refusals come back as the kernel's words and the argument at fault.
ctl_t_kernel_errors() {
	local out rc=0
	out=$(ctl_x domain set dom $CTL_DOM max-entries 4000000000) || rc=$?
	t_eq "exit status" "$rc" 1
	ctl_expect "extack" "$out" "^xfilterctl: domain set: kernel reports: .+ \(argument 'max-entries 4000000000'\)$"
	rc=0
	out=$(ctl_x rule del 999999) || rc=$?
	t_eq "exit status" "$rc" 1
	ctl_expect "del" "$out" "kernel reports: no rule with this id"
	rc=0
	out=$(ctl_x domain show dom 77) || rc=$?
	t_eq "exit status" "$rc" 1
	ctl_expect "show" "$out" "kernel reports: no such domain \(argument 'dom 77'\)"
	# no CAP_NET_ADMIN: refused by the kernel, said plainly
	rc=0
	out=$(setpriv --inh-caps=-all --bounding-set=-all "$CTL_X" rule list 2>&1) || rc=$?
	say "unprivileged: $out"
	t_eq "unprivileged exit" "$rc" 1
	ctl_expect "unprivileged" "$out" "CAP_NET_ADMIN"
	# refused before the kernel sees anything
	rc=0
	out=$(ctl_x rule add comm 0123456789abcdefg drop) || rc=$?
	t_eq "usage exit" "$rc" 2
	t_eq "rules untouched" "$(ctl_x rule list)" ""
}

# A uid rule: that uid's traffic is cut, the other's passes; counters agree.
ctl_t_rule_uid() {
	local id out r hits j
	id=$(ctl_x rule add dom $CTL_DOM uid $CTL_UA proto tcp peer-port $CTL_TCP drop) || t_fail "rule add"
	ctl_expect "rule id" "$id" '^[0-9]+$'
	r=$(ctl_as $CTL_UA xfnet -w 2 send tcp $CTL_P4 $CTL_TCP 20000); ctl_expect "uid $CTL_UA" "$r" 'result=timeout'
	r=$(ctl_as $CTL_UB xfnet -w 2 send tcp $CTL_P4 $CTL_TCP 20000); ctl_expect "uid $CTL_UB" "$r" 'result=ok'
	out=$(ctl_x rule list)
	ctl_expect "list" "$out" "^ *$id +1000 +drop +[1-9][0-9]* +[1-9][0-9]* +- +dom $CTL_DOM uid $CTL_UA proto tcp peer-port $CTL_TCP$"
	j=$(ctl_x -j rule list dom $CTL_DOM)
	hits=$(ctl_jnum hits "$j")
	[ "${hits:-0}" -gt 0 ] || t_fail "no hits in $j"
	ctl_expect "json" "$j" "^\[\{\"id\":$id,\"prio\":1000,\"verdict\":\"drop\",\"dom\":$CTL_DOM,\"uid\":$CTL_UA,"
	# stats -j agrees with sysfs
	j=$(ctl_x -j stats dom $CTL_DOM)
	t_eq "dropped (netlink vs sysfs)" "$(ctl_jnum dropped "$j")" "$(ctl_ctr dropped $CTL_DOM)"
	j=$(ctl_x -j stats)
	ctl_expect "stats -j" "$j" "^\{\"global\":\{\"packets\":[0-9]+,.*\"domains\":\[\{\"dom\":$CTL_DOM,"
	ctl_x rule del "$id" > /dev/null || t_fail "rule del"
	t_eq "rules after del" "$(ctl_x rule list)" ""
	r=$(ctl_as $CTL_UA xfnet -w 2 send tcp $CTL_P4 $CTL_TCP 20000); ctl_expect "uid $CTL_UA after del" "$r" 'result=ok'
}

# conns shows what the guest has: owner, addresses, counts.
ctl_t_conns() {
	local pid out j
	# The module looks owners up (and counts per owner) only while some
	# rule concerns the domain; one that matches nobody here will do.
	ctl_x rule add dom $CTL_DOM uid 4242 drop > /dev/null
	ip netns exec guest setpriv --reuid=$CTL_UA --regid=$CTL_UA --clear-groups \
		--inh-caps=-all --bounding-set=-all -- xfnet stream $CTL_P4 $CTL_TCP 8 > /tmp/stream.log 2>&1 &
	pid=$!
	t_wait 5 grep -q connected /tmp/stream.log || t_fail "stream did not connect"
	t_cmd xfnl sync guest $CTL_DOM 100 > /dev/null
	# A miss answer the resolver read before the handshake ended may land
	# after the batch (SYN-SENT): the next batch corrects it, as the
	# daemon's next refresh would.
	t_wait 10 eval "xfnl sync guest $CTL_DOM 100 > /dev/null;" \
		"\"$CTL_X\" -j conns pid $pid | grep -q '\"state\":\"ESTAB\"'" ||
		t_fail "the stream's entry never showed ESTAB"
	# the entry counts the stream's packets from now on
	t_wait 5 eval "\"$CTL_X\" -j conns pid $pid | grep -q '\"packets\":[1-9]'" ||
		t_fail "no packets counted for the stream"
	j=$(ctl_x -j conns dom $CTL_DOM uid $CTL_UA)
	ctl_expect "conns -j" "$j" "\{\"dom\":$CTL_DOM,\"pid\":$pid,\"tgid\":$pid,\"uid\":$CTL_UA,\"gid\":$CTL_UA,[^}]*\"comm\":\"xfnet\",\"family\":\"ipv4\",\"proto\":\"tcp\",\"state\":\"ESTAB\",\"guest_addr\":\"$CTL_G4\",\"guest_port\":[0-9]+,\"peer_addr\":\"$CTL_P4\",\"peer_port\":$CTL_TCP,\"packets\":[1-9]"
	out=$(ctl_x conns pid $pid)
	ctl_expect "conns" "$out" "^ +$CTL_DOM +$pid +$pid +$CTL_UA +xfnet +tcp +ESTAB +$CTL_G4:[0-9]+ +$CTL_P4:$CTL_TCP +[1-9][0-9]* +[1-9][0-9]*$"
	t_eq "filter that matches nothing" "$(ctl_x conns comm nothere)" ""
	t_eq "empty json" "$(ctl_x -j conns uid 4242)" "[]"
	wait $pid || true
	ctl_x rule flush > /dev/null
}

# monitor prints the drop as the audit line does, and config changes.
ctl_t_monitor() {
	local id mpid cpid opid out
	"$CTL_X" monitor > /tmp/mon.log 2>&1 &
	mpid=$!
	"$CTL_X" -j monitor config > /tmp/monj.log 2>&1 &
	cpid=$!
	"$CTL_X" monitor verdict dom 6 > /tmp/mon6.log 2>&1 &
	opid=$!
	sleep 0.5
	id=$(ctl_x rule add dom $CTL_DOM uid $CTL_UA proto udp drop) || t_fail "rule add"
	ctl_as $CTL_UA xfnet -w 1 send udp $CTL_P4 $CTL_UDP 3 100 > /dev/null
	ctl_x rule flush > /dev/null
	sleep 0.5
	kill $mpid $cpid $opid
	wait $mpid $cpid $opid 2>/dev/null
	sed 's/^/    mon: /' /tmp/mon.log /tmp/monj.log >&2
	t_eq "drop events" "$(grep -c -E "^verdict=drop dom=$CTL_DOM vif=vif5\.0 dir=out pid=[0-9]+ uid=$CTL_UA comm=xfnet proto=udp src=$CTL_G4:[0-9]+ dst=$CTL_P4:$CTL_UDP rule=$id reason=rule len=[0-9]+$" /tmp/mon.log)" 3
	ctl_expect "rule-new event" "$(cat /tmp/mon.log)" "^config=rule-new id=$id rule=\"dom $CTL_DOM uid $CTL_UA proto udp drop\"$"
	ctl_expect "flush event" "$(cat /tmp/mon.log)" "^config=rule-flush$"
	ctl_expect "json config" "$(cat /tmp/monj.log)" "^\{\"event\":\"rule-new\",\"rule\":\{\"id\":$id,"
	! grep -q '"event":"verdict"' /tmp/monj.log || t_fail "verdict event in a config-only monitor"
	t_eq "events of another domain" "$(cat /tmp/mon6.log)" ""
}

# save | restore is the identity, atomic, and a bad file changes nothing.
ctl_t_save_restore() {
	local before after rc=0 out
	ctl_x rule add dom $CTL_DOM uid $CTL_UA proto tcp peer-port $CTL_TCP drop > /dev/null
	ctl_x rule add comm Web\\x20Content peer 2001:db8::/32 guest-port 1000-2000 reject prio 10 > /dev/null
	ctl_x rule add owner unknown dir in log prio 2000 > /dev/null
	ctl_x rule add family ipv6 proto icmpv6 accept prio 5 > /dev/null
	before=$(ctl_x save) || t_fail "save"
	# what the kernel keeps is what was typed (an IPv6 prefix included)
	ctl_expect "v6 prefix" "$before" "^rule add comm Web\\\\x20Content peer 2001:db8::/32 guest-port 1000-2000 reject prio 10$"
	echo "$before" > /tmp/saved
	ctl_x restore /tmp/saved > /dev/null || t_fail "restore"
	after=$(ctl_x save)
	t_eq "save | restore | save" "$after" "$before"
	ctl_x save | ctl_x restore - > /dev/null || t_fail "restore from stdin"
	t_eq "through a pipe" "$(ctl_x save)" "$before"
	out=$(ctl_x restore --check /tmp/saved)
	t_eq "check" "$out" "/tmp/saved: 4 rules, syntax ok"
	# a refused file leaves the ruleset alone
	printf 'rule add uid 1 drop\nrule add guest-port 70000 drop\n' > /tmp/bad
	out=$(ctl_x restore /tmp/bad) || rc=$?
	t_eq "bad file exit" "$rc" 2
	ctl_expect "bad file" "$out" "^xfilterctl: /tmp/bad:2: guest-port: port 70000 is out of range"
	t_eq "untouched" "$(ctl_x save)" "$before"
	# an expiring rule is saved with the time it has left
	ctl_x rule add uid 7 log timeout 1h > /dev/null
	ctl_expect "time left" "$(ctl_x save)" "^rule add uid 7 log timeout (1h|3[0-9][0-9][0-9]s)$"
	# an empty file empties the ruleset, atomically
	: > /tmp/empty
	ctl_x restore /tmp/empty > /dev/null || t_fail "empty restore"
	t_eq "emptied" "$(ctl_x rule list)" ""
}

# One replace carries 64 KiB of rules: up to that it goes through whole,
# beyond it is refused whole, never cut short.
ctl_t_restore_large() {
	local out rc=0
	for i in $(seq 1 3000); do echo "rule add uid $i drop"; done > /tmp/big
	"$CTL_X" restore /tmp/big || t_fail "3000 rules refused"
	t_eq "rules restored" "$("$CTL_X" -j rule list | grep -o '"id":' | wc -l)" 3000
	for i in $(seq 1 3500); do echo "rule add uid $i drop"; done > /tmp/huge
	out=$("$CTL_X" restore /tmp/huge 2>&1) || rc=$?
	t_eq "exit" "$rc" 1
	ctl_expect "too large" "$out" "3500 rules do not fit in one atomic replace"
	t_eq "rules kept" "$("$CTL_X" -j rule list | grep -o '"id":' | wc -l)" 3000
	ctl_x rule flush > /dev/null
}

ctl_t_replace() {
	local a b out r
	a=$(ctl_x rule add dom $CTL_DOM uid $CTL_UA drop)
	b=$(ctl_x rule add dom $CTL_DOM uid 4242 log prio 50)
	ctl_x rule replace "$a" dom $CTL_DOM uid $CTL_UB proto tcp drop > /dev/null || t_fail "replace"
	out=$(ctl_x rule list)
	ctl_expect "replaced" "$out" "drop .* dom $CTL_DOM uid $CTL_UB proto tcp$"
	! echo "$out" | grep -q "uid $CTL_UA" || t_fail "old rule still there"
	ctl_expect "other kept" "$out" " 50 +log .* dom $CTL_DOM uid 4242$"
	r=$(ctl_as $CTL_UB xfnet -w 2 send tcp $CTL_P4 $CTL_TCP 1000); ctl_expect "uid $CTL_UB now cut" "$r" 'result=timeout'
	r=$(ctl_as $CTL_UA xfnet -w 2 send tcp $CTL_P4 $CTL_TCP 1000); ctl_expect "uid $CTL_UA free" "$r" 'result=ok'
	out=$(ctl_x rule replace 999999 drop 2>&1) && t_fail "replace of a missing rule"
	ctl_expect "missing" "$out" "no rule with id 999999"
	ctl_x rule flush > /dev/null
}

# Every check, each leaving no rule behind. The module must be loaded and a
# resolver running.
ctl_run_all() {
	t_run ctl_info ctl_t_info
	t_run ctl_domain ctl_t_domain
	t_run ctl_kernel_errors ctl_t_kernel_errors
	t_run ctl_rule_uid ctl_t_rule_uid
	t_run ctl_conns ctl_t_conns
	t_run ctl_monitor ctl_t_monitor
	t_run ctl_save_restore ctl_t_save_restore
	t_run ctl_restore_large ctl_t_restore_large
	t_run ctl_replace ctl_t_replace
	"$CTL_X" rule flush > /dev/null 2>&1
}
