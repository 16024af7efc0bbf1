# SPDX-License-Identifier: GPL-2.0
# The seed scenario and its variants in the Xen lab (sourced in dom0 by
# tests/xen/check.sh and scripts/demo.sh; bash).
#
# A tenant domU runs a mail sender as uid 0 (mailsend, one 2 KiB delivery to
# dom0:25 a second), a web server as uid 33 (webserve, :8090), and an
# attacker logged in as uid 1001 scanning port 25 on four dom0 addresses
# plus ports 22 and 443 (portscan, one connection attempt at a time). The
# mail sender and the scanner are long-lived processes (tests/xen/xfguest.c)
# logging one line per attempt, "<guest uptime> <target> result=...", so a
# test can split the log at the moment of a rule.
# dom0 serves port 25 on 10.99.0.1-4 and logs every delivery it received.

SC_SYS=/sys/kernel/xfilter
SC_ADDRS="10.99.0.1 10.99.0.2 10.99.0.3 10.99.0.4"

sc_die() { t_fail "$@"; exit 1; }	# ends the test at the first failure

# sc_setup: dom0's side, once: addresses, mail server, xfilterd.
sc_setup() {
	local a
	# Under nested emulation xfilterd's answer to a miss can take longer
	# than the 900 ms hold deadline meant for real hosts; a hold that
	# times out takes the fail mode (open by default), which would let an
	# attacker's first SYN through now and then. The scenario is about
	# decisions, not the emulator's speed: give the daemon 5 s.
	echo 5000 > /sys/module/xfilter/parameters/hold_ms
	for a in $SC_ADDRS; do
		[ "$a" = "$LAB_DOM0_IP" ] || ip addr add "$a/24" dev "$LAB_BRIDGE" 2>/dev/null
	done
	pgrep -f 'xfnet serve tcp 0.0.0.0 25' > /dev/null ||
		xfnet serve tcp 0.0.0.0 25 >> /tmp/mail25.log 2>&1 &
	sc_start_daemon
}

# With the packages (check-xen), the daemon runs as xfilterd.service runs
# it, with the packaged configuration file; its log goes where the journal
# would have it.
sc_start_daemon() {
	local cmd
	command -v xfilterd > /dev/null || return 1
	pgrep -x xfilterd > /dev/null && return 0
	if [ "${XFLAB_PKG:-0}" = 1 ]; then
		cmd=$(sed -n 's/^ExecStart=[-+@!:]*//p' /lib/systemd/system/xfilterd.service)
		[ -n "$cmd" ] || return 1
		$cmd >> /tmp/xfilterd.log 2>&1 &
	else
		xfilterd run --period 1000 --log-level info >> /tmp/xfilterd.log 2>&1 &
	fi
	echo $! > /tmp/xfilterd.pid
}

sc_guest_now() { lab_exec "$1" "cut -d' ' -f1 /proc/uptime"; }

# sc_start G: the tenant's three programs (each in its own session)
sc_start() {
	local g=$1
	lab_exec "$g" 'rm -f /tmp/mail.log /tmp/attack.log' > /dev/null
	lab_spawn "$g" root mail /etc/xflab/workloads/mailer.sh > /dev/null || return 1
	lab_spawn "$g" www web 'exec webserve serve tcp 0.0.0.0 8090' > /dev/null || return 1
	lab_spawn "$g" eve attack /etc/xflab/workloads/attacker.sh > /dev/null || return 1
}

# sc_stop G TAG...: ends those programs (their whole session); teardown
# never fails a test by itself
sc_stop() {
	local g=$1 t
	shift
	for t in "$@"; do
		LAB_EXEC_TIMEOUT=20 lab_exec "$g" \
			"p=\$(cat /tmp/$t.pid 2>/dev/null); [ \"\${p:-1}\" -gt 1 ] && kill -TERM -\$p 2>/dev/null; true" \
			> /dev/null || true
	done
}

sc_rules_flush() { xfilterctl rule flush > /dev/null 2>&1; }

# sc_cleanup G [O]: whatever a test left behind when it ended early (each
# test runs in a subshell; its EXIT trap calls this)
sc_cleanup() {
	local g
	for g in "$@"; do
		sc_stop "$g" mail web web2 attack
		LAB_EXEC_TIMEOUT=20 lab_exec "$g" \
			'killall portscan mailsend webserve scanner2 2>/dev/null; true' > /dev/null || true
	done
	sc_rules_flush
}

# sc_log G FILE: a guest log fetched into dom0 as /tmp/G-FILE
sc_log() { lab_exec "$1" "cat /tmp/$2" > "/tmp/$1-$2"; }

# sc_after FILE T: the lines of a guest log that started after guest time T
sc_after() { awk -v t="$2" '$1 + 0 > t + 0' "$1"; }
sc_before() { awk -v t="$2" '$1 + 0 <= t + 0' "$1"; }

sc_conns_has() {	# sc_conns_has DOM UID COMM
	xfilterctl -j conns dom "$1" 2>/dev/null |
		jq -e --argjson u "$2" --arg c "$3" 'any(.[]; .uid == $u and .comm == $c)' > /dev/null
}

sc_dom_stat() { cat "$SC_SYS/domains/$1/$2" 2>/dev/null || echo 0; }

sc_conns_port() {	# sc_conns_port DOM PORT: an entry of that guest port
	xfilterctl -j conns dom "$1" 2>/dev/null |
		jq -e --argjson p "$2" 'any(.[]; .guest_port == $p)' > /dev/null
}
sc_conns_port_gone() { xfilterctl -j conns dom "$1" > /dev/null && ! sc_conns_port "$@"; }
sc_conns_comm_gone() {	# sc_conns_comm_gone DOM COMM
	xfilterctl -j conns dom "$1" 2>/dev/null |
		jq -e --arg c "$2" 'all(.[]; .comm != $c)' > /dev/null
}

# The scenario proper on guest G (uid rule), with a second domU O (may be
# empty) running the same attacker untouched by G's rule.
sc_main() {
	local g=$1 o=${2:-} d ip id t_rule n25 ok drop_before audit hits
	trap "sc_cleanup $g $o" EXIT
	grep -q '^xfilter ' /proc/modules || sc_die "xfilter.ko is not loaded"
	command -v xfilterd > /dev/null || sc_die "xfilterd is not built"
	pgrep -x xfilterd > /dev/null || sc_die "xfilterd is not running"
	d=$(lab_domid "$g")
	ip=$(lab_ip "$g")
	sc_rules_flush
	sc_start "$g" || sc_die "cannot start the tenant's programs"
	[ -n "$o" ] && { lab_exec "$o" 'rm -f /tmp/attack.log' > /dev/null;
		lab_spawn "$o" eve attack /etc/xflab/workloads/attacker.sh > /dev/null; }
	# 1. the operator's view: the scanner beside the mail sender
	t_wait 60 sc_conns_has "$d" 1001 portscan || sc_die "conns never showed uid 1001 portscan"
	t_wait 30 sc_conns_has "$d" 0 mailsend || sc_die "conns never showed uid 0 mailsend"
	echo "  + xfilterctl conns dom $d"
	xfilterctl conns dom "$d" | sed 's/^/    /'
	# 2. the rule
	drop_before=$(sc_dom_stat "$d" dropped)
	id=$(xfilterctl rule add dom "$d" uid 1001 drop) || sc_die "rule add failed: $id"
	echo "  + xfilterctl rule add dom $d uid 1001 drop -> $id"
	t_rule=$(sc_guest_now "$g") || sc_die "no guest time"
	sleep 3
	n25=$(grep -c "from=$ip:.* bytes=64 " /tmp/mail25.log)
	# 3. from then on
	sleep 25
	sc_log "$g" attack.log
	sc_log "$g" mail.log
	echo "  attacker attempts after the rule (guest time > $t_rule):"
	sc_after "/tmp/$g-attack.log" "$t_rule" | tail -n 4 | sed 's/^/    /'
	[ "$(sc_after "/tmp/$g-attack.log" "$t_rule" | wc -l)" -ge 5 ] ||
		sc_die "the attacker made fewer than 5 attempts after the rule"
	! sc_after "/tmp/$g-attack.log" "$t_rule" | grep -v 'result=timeout' ||
		sc_die "an attacker connection after the rule was not dropped"
	[ "$(grep -c "from=$ip:.* bytes=64 " /tmp/mail25.log)" = "$n25" ] ||
		sc_die "dom0 received attacker bytes after the rule"
	sc_before "/tmp/$g-attack.log" "$t_rule" | grep -q 'result=ok' ||
		sc_die "the attacker never got through before the rule (test is blind)"
	# the mail went on without one failed delivery
	ok=$(sc_after "/tmp/$g-mail.log" "$t_rule" | grep -c 'result=ok')
	echo "  mail deliveries after the rule: $ok ok, $(grep -vc 'result=ok' "/tmp/$g-mail.log") failed in all"
	[ "$ok" -ge 10 ] || sc_die "only $ok mail deliveries after the rule"
	! grep -v 'result=ok' "/tmp/$g-mail.log" || sc_die "a mail delivery failed"
	# the web server still answers
	xfnet -w 5 send tcp "$ip" 8090 5000 | sed 's/^/  web: /'
	[ "${PIPESTATUS[0]}" = 0 ] || sc_die "the web server stopped answering"
	# counters, rule hits, audit
	echo "  dropped: $drop_before -> $(sc_dom_stat "$d" dropped)"
	[ "$(sc_dom_stat "$d" dropped)" -gt "$drop_before" ] || sc_die "dropped counter did not move"
	hits=$(xfilterctl -j rule list | jq --argjson i "${id//[^0-9]/}" '.[] | select(.id == $i) | .hits')
	echo "  rule $id hits: $hits"
	[ "${hits:-0}" -gt 0 ] || sc_die "the rule counts no hits"
	audit=$(dmesg | grep "verdict=drop dom=$d " | grep 'uid=1001' | tail -n 2)
	echo "$audit" | sed 's/^/  audit: /'
	[ -n "$audit" ] || sc_die "no audit line for the drops"
	# the other domU's attacker was never touched
	if [ -n "$o" ]; then
		sc_log "$o" attack.log
		sc_after "/tmp/$o-attack.log" "0" | tail -n 2 | sed "s/^/  $o attacker: /"
		grep -q 'result=ok' "/tmp/$o-attack.log" || sc_die "the attacker on $o never got through"
		[ "$(tail -n 5 "/tmp/$o-attack.log" | grep -c 'result=timeout')" = 0 ] ||
			sc_die "the rule of domain $d dropped traffic of $o"
	fi
	sc_stop "$g" mail web attack
	[ -n "$o" ] && sc_stop "$o" attack
	xfilterctl rule del "${id//[^0-9]/}" > /dev/null || sc_die "rule del $id"
}

# reject: the attacker sees its connection refused at once
sc_reject() {
	local g=$1 d id t_rule out
	trap "sc_cleanup $g" EXIT
	d=$(lab_domid "$g")
	sc_rules_flush
	id=$(xfilterctl rule add dom "$d" uid 1001 reject) || sc_die "rule add: $id"
	out=$(lab_exec_as "$g" eve "portscan scan -c 1 -w 5 -k 0 $LAB_DOM0_IP:25")
	echo "  attacker: $out"
	grep -q 'result=reset\|result=refused' <<<"$out" || sc_die "no RST for the attacker"
	awk -F'ms=' '{exit !($2 + 0 < 1500)}' <<<"$out" || sc_die "the RST took too long"
	out=$(lab_exec "$g" "mailsend mail -c 1 -w 5 -k 0 $LAB_DOM0_IP:25 2048")
	echo "  mail: $out"
	grep -q 'result=ok' <<<"$out" || sc_die "mail failed under a reject rule for uid 1001"
	sc_rules_flush
}

# pid rule: the scanner process is cut, another process of the same user
# (uid 1001) keeps working
sc_pid() {
	local g=$1 d pid id out t_rule
	trap "sc_cleanup $g" EXIT
	d=$(lab_domid "$g")
	sc_rules_flush
	lab_exec "$g" 'rm -f /tmp/attack.log' > /dev/null
	lab_spawn "$g" eve attack /etc/xflab/workloads/attacker.sh > /dev/null
	t_wait 20 lab_exec "$g" "pidof portscan" || sc_die "the scanner did not start"
	pid=$(lab_exec "$g" "pidof portscan")
	[ "$(wc -w <<<"$pid")" = 1 ] || sc_die "not one scanner process: $pid"
	t_wait 30 sc_conns_has "$d" 1001 portscan || sc_die "conns never showed the scanner"
	id=$(xfilterctl rule add dom "$d" pid "$pid" drop) || sc_die "rule add: $id"
	echo "  + xfilterctl rule add dom $d pid $pid drop -> $id"
	t_rule=$(sc_guest_now "$g")
	out=$(lab_exec_as "$g" eve "scanner2 -w 5 send tcp $LAB_DOM0_IP 25 64")
	echo "  another process of uid 1001: $out"
	grep -q 'result=ok' <<<"$out" || sc_die "the other process of uid 1001 was cut too"
	sleep 8
	sc_log "$g" attack.log
	sc_after "/tmp/$g-attack.log" "$t_rule" | tail -n 2 | sed "s/^/  scanner pid $pid: /"
	[ "$(sc_after "/tmp/$g-attack.log" "$t_rule" | wc -l)" -ge 2 ] || sc_die "the scanner made no attempts"
	! sc_after "/tmp/$g-attack.log" "$t_rule" | grep -v 'result=timeout' ||
		sc_die "the scanner got through a pid rule"
	sc_stop "$g" attack
	sc_rules_flush
}

# comm rule: only processes of that name are cut
sc_comm() {
	local g=$1 d id out
	trap "sc_cleanup $g" EXIT
	d=$(lab_domid "$g")
	sc_rules_flush
	id=$(xfilterctl rule add dom "$d" comm portscan drop) || sc_die "rule add: $id"
	out=$(lab_exec_as "$g" eve "portscan scan -c 1 -w 3 -k 0 $LAB_DOM0_IP:25")
	echo "  portscan: $out"
	grep -q 'result=timeout' <<<"$out" || sc_die "portscan was not dropped"
	out=$(lab_exec_as "$g" eve "scanner2 -w 5 send tcp $LAB_DOM0_IP 25 64")
	echo "  scanner2 (same uid): $out"
	grep -q 'result=ok' <<<"$out" || sc_die "scanner2 was cut by a comm rule for portscan"
	sc_rules_flush
}

# inbound rule on a guest listener: dom0 cannot reach the web server (uid
# 33), the root listener on the same guest still answers
sc_inbound() {
	local g=$1 d ip id out
	trap "sc_cleanup $g" EXIT
	d=$(lab_domid "$g")
	ip=$(lab_ip "$g")
	sc_rules_flush
	lab_spawn "$g" www web2 'exec webserve serve tcp 0.0.0.0 8090' > /dev/null
	t_wait 20 sc_conns_has "$d" 33 webserve || sc_die "conns never showed webserve"
	id=$(xfilterctl rule add dom "$d" uid 33 dir in drop) || sc_die "rule add: $id"
	out=$(xfnet -w 3 send tcp "$ip" 8090 1000)
	echo "  dom0 -> $g:8090 (uid 33): $out"
	grep -q 'result=timeout' <<<"$out" || sc_die "the web server was still reachable"
	out=$(xfnet -w 5 send tcp "$ip" 8000 1000)
	echo "  dom0 -> $g:8000 (uid 0): $out"
	grep -q 'result=ok' <<<"$out" || sc_die "the root listener was cut too"
	sc_stop "$g" web2
	sc_rules_flush
}

# Entries go when their sockets do: a listener stopped, and a connection
# answered on a miss (its entry keyed by the held packet's flow) and closed
# since, leave conns within a few walks. The walks push only what changed;
# this is what would show one that lost a removal.
sc_vanish() {
	local g=$1 d out
	trap "sc_cleanup $g" EXIT
	d=$(lab_domid "$g")
	sc_rules_flush
	# a rule on owners: the delivery's first SYN is held and its owner asked for
	xfilterctl rule add dom "$d" uid 1001 drop > /dev/null || sc_die "rule add failed"
	lab_spawn "$g" www web3 'exec webserve serve tcp 0.0.0.0 8091' > /dev/null
	t_wait 30 sc_conns_port "$d" 8091 || sc_die "conns never showed the listener on :8091"
	out=$(lab_exec "$g" "mailsend mail -c 1 -w 5 -k 0 $LAB_DOM0_IP:25 100")
	echo "  one delivery: $out"
	grep -q 'result=ok' <<<"$out" || sc_die "the delivery failed"
	sc_stop "$g" web3
	t_wait 30 sc_conns_port_gone "$d" 8091 ||
		sc_die "the stopped listener's entry is still in conns: $(xfilterctl conns dom "$d" | grep 8091)"
	t_wait 30 sc_conns_comm_gone "$d" mailsend ||
		sc_die "the closed delivery's entry is still in conns: $(xfilterctl conns dom "$d" | grep mailsend)"
	echo "  both gone from conns ($(sc_dom_stat "$d" entries) entries left)"
	sc_rules_flush
}

# expiring rule: traffic resumes when it ends
sc_expiry() {
	local g=$1 d id out
	trap "sc_cleanup $g" EXIT
	d=$(lab_domid "$g")
	sc_rules_flush
	id=$(xfilterctl rule add dom "$d" uid 1001 drop timeout 8) || sc_die "rule add: $id"
	out=$(lab_exec_as "$g" eve "portscan scan -c 1 -w 2 -k 0 $LAB_DOM0_IP:25")
	echo "  during the rule: $out"
	grep -q 'result=timeout' <<<"$out" || sc_die "not dropped while the rule lived"
	sleep 9
	[ "$(xfilterctl -j rule list | jq length)" = 0 ] || sc_die "the rule is still listed"
	out=$(lab_exec_as "$g" eve "portscan scan -c 1 -w 5 -k 0 $LAB_DOM0_IP:25")
	echo "  after it expired: $out"
	grep -q 'result=ok' <<<"$out" || sc_die "traffic did not resume"
}

# fail-closed vs fail-open with xfilterd killed: new flows of a guest whose
# owners nobody can resolve are dropped, or passed. A rule on the owner that
# the mail sender does not match must be in force: without any rule that
# looks at owners, no packet needs its owner and the fail mode never applies.
sc_failmode() {
	local g=$1 d out
	d=$(lab_domid "$g")
	sc_rules_flush
	xfilterctl rule add dom "$d" uid 1001 drop > /dev/null || sc_die "rule add failed"
	kill "$(cat /tmp/xfilterd.pid)" 2>/dev/null
	t_wait 10 sh -c '! pgrep -x xfilterd' || sc_die "xfilterd did not stop"
	xfilterctl domain set dom "$d" fail closed || sc_die "domain set fail closed"
	echo "  $(xfilterctl -j domain show dom "$d")"
	out=$(lab_exec "$g" "mailsend mail -c 1 -w 3 -k 0 $LAB_DOM0_IP:25 100")
	echo "  fail closed, no daemon: $out"
	echo "  $(xfilterctl -j stats dom "$d" | jq -c '.' | cut -c1-600)"
	grep -q 'result=timeout' <<<"$out" || sc_die "a new flow passed with fail closed"
	xfilterctl domain set dom "$d" fail open || sc_die "domain set fail open"
	out=$(lab_exec "$g" "mailsend mail -c 1 -w 5 -k 0 $LAB_DOM0_IP:25 100")
	echo "  fail open, no daemon: $out"
	grep -q 'result=ok' <<<"$out" || sc_die "a new flow was dropped with fail open"
	sc_rules_flush
	sc_start_daemon
}

scenario_all() {
	local main o g
	main=$(lab_guests_of hvm | head -n 1)
	[ -n "$main" ] || main=$(lab_guests | head -n 1)
	# a second domU runs the same attacker, untouched by main's rule
	o=$( (lab_guests_of pv; lab_guests) | grep -v -x "$main" | head -n 1)
	sc_setup
	t_run "scenario-$main" sc_main "$main" "$o"
	for g in $(lab_guests_of pvh | head -n 1) $(lab_guests_of pv | head -n 1); do
		[ "$g" = "$main" ] || t_run "scenario-$g" sc_main "$g"
	done
	t_run "scenario-reject-$main" sc_reject "$main"
	t_run "scenario-pid-$main" sc_pid "$main"
	t_run "scenario-comm-$main" sc_comm "$main"
	t_run "scenario-inbound-$main" sc_inbound "$main"
	t_run "scenario-vanish-$main" sc_vanish "$main"
	t_run "scenario-expiry-$main" sc_expiry "$main"
	t_run "scenario-failmode-$main" sc_failmode "$main"
	sc_rules_flush
}
