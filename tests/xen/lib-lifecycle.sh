# SPDX-License-Identifier: GPL-2.0
# Lifecycle tests of the Xen lab (sourced in dom0 by tests/xen/check.sh after
# lib-scenario.sh; bash): the packaged service started the way its systemd
# unit starts it, a domain destroyed and re-created under a rule, and a
# domain destroyed while xfilterd is walking its memory.

LC_UNIT=/lib/systemd/system/xfilterd.service
LC_CONF=/etc/xfilter/xfilterd.conf

# lc_unit KEY: the command of the unit's KEY= line, without its prefixes
lc_unit() { sed -n "s/^$1=[-+@!:]*//p" "$LC_UNIT" | head -n 1; }
lc_dom_json() { xfilterctl -j domain show dom "$1" 2>/dev/null | jq -c '.[0]'; }
lc_has_entries() { [ "$(sc_dom_stat "$1" entries)" -gt 0 ]; }
lc_daemon_log() { grep -a "dom $1:" /tmp/xfilterd.log | sed 's/^/  xfilterd: /'; }
# lc_dom_clean D: domain D has no vif, no owner entry and no held packet:
# its state went with its last vif (no sysfs directory; domain show lists
# it only with the settings an operator made for it)
lc_dom_clean() {
	local js
	[ ! -d "$SC_SYS/domains/$1" ] || return 1
	js=$(lc_dom_json "$1") || js=
	[ -z "$js" ] || [ "$(jq -c '[.vifs, .entries, .held]' <<<"$js")" = '[[],0,0]' ]
}
# no domain is left dying (a dom0 process keeping its memory mapped would
# keep it so)
lc_no_zombie() { ! xl list 2>/dev/null | awk 'NR > 1' | grep -q '(null)\|--d'; }
lc_daemon_stop() {
	local p
	p=$(pgrep -x xfilterd) || return 0
	kill $p
	t_wait 15 sh -c '! pgrep -x xfilterd'
}

# The packaged xfilterd.service as systemd runs it: ExecStartPre loads the
# module by name (modprobe finds the DKMS-built one), ExecStart runs the
# daemon with the packaged configuration file, which the lab's admin edited
# for a shorter refresh period. Everything running must be the packaged
# files, not the build tree's.
t_pkg_service() {
	local ver pre cmd pid ko v js g d h_pkg h_tree
	[ "${XFLAB_PKG:-0}" = 1 ] ||
		sc_die "dom0 does not carry the packages (scripts/xen-lab.sh --pkg-root)"
	ver=$(cat /xflab/VERSION)
	[ -r "$LC_UNIT" ] && [ -r "$LC_CONF" ] || sc_die "no packaged unit or configuration file"
	pre=$(lc_unit ExecStartPre)
	cmd=$(lc_unit ExecStart)
	echo "  $LC_UNIT: ExecStartPre=$pre ExecStart=$cmd"
	t_eq "ExecStart" "$cmd" "/usr/sbin/xfilterd run --config $LC_CONF"
	sed -i 's/^#\{0,1\}period_ms = .*/period_ms = 1000/; s/^#\{0,1\}log_level = .*/log_level = info/' \
		"$LC_CONF"
	grep -E '^[a-z]' "$LC_CONF" | sed 's/^/  xfilterd.conf: /'
	lc_daemon_stop
	grep -q '^xfilter ' /proc/modules && { rmmod xfilter || sc_die "rmmod"; }
	depmod -a 2>&1 | grep -v 'modules.builtin' | head -n 3
	t_cmd $pre || sc_die "ExecStartPre ($pre) failed"
	sc_start_daemon || sc_die "cannot start xfilterd"
	pid=$(cat /tmp/xfilterd.pid)
	t_wait 20 grep -q "module $ver," /tmp/xfilterd.log ||
		{ cat /tmp/xfilterd.log; sc_die "xfilterd never reached the module"; }
	# the module: loaded by name from where DKMS installs it, the packaged file
	ko=$(modinfo -n xfilter)
	t_eq "modinfo -n xfilter" "$ko" "/lib/modules/$(uname -r)/updates/dkms/xfilter.ko"
	t_eq "modinfo -F version xfilter" "$(modinfo -F version xfilter)" "$ver"
	t_eq "/sys/module/xfilter/version" "$(cat /sys/module/xfilter/version)" "$ver"
	t_eq "loaded srcversion" "$(cat /sys/module/xfilter/srcversion)" "$(modinfo -F srcversion "$ko")"
	cmp "$ko" /xflab/xfilter.ko || sc_die "/xflab/xfilter.ko is not the packaged module"
	(cd / && sha256sum -c /etc/xfilter/SHA256SUMS) | sed 's/^/  /'
	[ "${PIPESTATUS[0]}" = 0 ] || sc_die "files differ from the unpacked packages'"
	# the daemon: the packaged binary with the unit's command line
	t_eq "xfilterd's executable" "$(readlink "/proc/$pid/exe")" /usr/sbin/xfilterd
	t_eq "xfilterd's command line" "$(tr '\0' ' ' < "/proc/$pid/cmdline" | sed 's/ $//')" "$cmd"
	h_pkg=$(sha256sum /usr/sbin/xfilterd | cut -d' ' -f1)
	h_tree=$(awk '$2 == "tools/xfilterd/xfilterd" {print $1}' /xflab/build-tree.sha256)
	echo "  xfilterd sha256: packaged $h_pkg, build tree ${h_tree:-?}"
	[ -n "$h_tree" ] && [ "$h_pkg" != "$h_tree" ] ||
		sc_die "cannot tell the packaged xfilterd from the build tree's"
	t_eq "xfilterd --version" "$(xfilterd --version)" "xfilterd $ver"
	v=$(xfilterctl --version)
	t_eq "xfilterctl --version" "${v%% (*}" "xfilterctl $ver"
	t_eq "xfilterctl info: module_version" "$(xfilterctl -j info | jq -r .module_version)" "$ver"
	grep -a -m 3 -E 'configuration from|module ' /tmp/xfilterd.log | sed 's/^/  xfilterd: /'
	# it serves every domU on its own: each one's table filled
	for g in $(lab_guests); do
		d=$(lab_domid "$g")
		t_wait 60 lc_has_entries "$d" || sc_die "domain $d ($g): no owner entries"
		echo "  domain $d ($g): $(sc_dom_stat "$d" entries) owner entries"
	done
}

# Issue scenario variant: a domain destroyed and re-created (same config and
# name, new domid and vif) under a rule against uid 1001 in every domain,
# with xfilterd running throughout.
t_recreate() {
	local g=$1 d0 d1 pid ip id js n64 att mail hits audit out t_seen
	trap "sc_cleanup $g" EXIT
	pid=$(pgrep -x xfilterd) || sc_die "xfilterd is not running"
	d0=$(lab_domid "$g")
	ip=$(lab_ip "$g")
	sc_rules_flush
	id=$(xfilterctl rule add uid 1001 drop) || sc_die "rule add: $id"
	id=${id//[^0-9]/}
	echo "  + xfilterctl rule add uid 1001 drop -> $id (every domain)"
	t_wait 30 lc_has_entries "$d0" || sc_die "domain $d0 has no owner entries to begin with"
	echo "  domain $d0 before: $(lc_dom_json "$d0")"
	echo "  + xl destroy $g (domain $d0)"
	timeout 120 xl destroy "$g" || sc_die "xl destroy $g"
	# the module: hooks gone with the vif, the table and held packets with it
	t_wait 30 lc_dom_clean "$d0" || sc_die "domain $d0 not cleaned: $(lc_dom_json "$d0")"
	echo "  domain $d0 after:  $(lc_dom_json "$d0")"
	t_eq "sysfs domains/$d0/entries" "$(sc_dom_stat "$d0" entries)" 0
	t_eq "conns dom $d0" "$(xfilterctl -j conns dom "$d0" | jq length)" 0
	! ip link show "vif$d0.0" > /dev/null 2>&1 || sc_die "vif$d0.0 is still there"
	# the daemon: followed the stop by itself, let go of the guest's memory
	t_wait 30 grep -q "dom $d0: gone" /tmp/xfilterd.log ||
		sc_die "xfilterd did not notice domain $d0 stopping"
	lc_daemon_log "$d0" | tail -n 2
	t_wait 60 lc_no_zombie || { xl list; sc_die "domain $d0 lingers, dying"; }
	echo "  + xl create /etc/xen/$g.cfg"
	xl create "/etc/xen/$g.cfg" > "/tmp/create-$g.log" 2>&1 ||
		{ cat "/tmp/create-$g.log"; sc_die "xl create $g"; }
	lab_wait_guest "$g" 600 || sc_die "$g did not come back"
	d1=$(lab_domid "$g")
	[ "$d1" != "$d0" ] || sc_die "the new domain has the old domid $d0"
	js=$(lc_dom_json "$d1") || sc_die "domain show dom $d1"
	echo "  domain $d1 (re-created $g): $js"
	t_eq "vifs of domain $d1" "$(jq -c .vifs <<<"$js")" "[\"vif$d1.0\"]"
	t_eq "domain $d0 has no state" "$(lc_dom_clean "$d0" && echo yes)" yes
	# the daemon: the same process found the new domain and filled its table
	t_wait 60 lc_has_entries "$d1" || sc_die "domain $d1: no owner entries"
	t_eq "xfilterd pid" "$(pgrep -x xfilterd)" "$pid"
	lc_daemon_log "$d1" | head -n 3
	# the rule applies at once: the attacker, started now, never gets
	# through; the mail sender and the web server work
	sc_start "$g" || sc_die "cannot start the tenant's programs"
	t_wait 60 sc_conns_has "$d1" 0 mailsend || sc_die "conns never showed mailsend in domain $d1"
	t_wait 60 sc_conns_has "$d1" 1001 portscan || sc_die "conns never showed portscan in domain $d1"
	t_seen=$(sc_guest_now "$g") || sc_die "no guest time"
	xfilterctl conns dom "$d1" uid 1001 | sed 's/^/    /'
	sleep 15
	sc_log "$g" attack.log
	sc_log "$g" mail.log
	# Every attempt is asserted, the first ones too: the scanner started
	# after the rule, so its first SYN comes from a socket no walk has seen
	# yet, and is held until a walk begun after it says whose it is.
	sc_before "/tmp/$g-attack.log" "$t_seen" | sed 's/^/  attacker before conns showed it: /'
	att=$(grep -c 'result=' "/tmp/$g-attack.log")
	mail=$(grep -c 'result=ok' "/tmp/$g-mail.log")
	tail -n 2 "/tmp/$g-attack.log" | sed 's/^/  attacker: /'
	echo "  mail deliveries: $mail ok, $(grep -vc 'result=ok' "/tmp/$g-mail.log") failed"
	[ "$att" -ge 3 ] || sc_die "the attacker made only $att attempts"
	! grep 'result=' "/tmp/$g-attack.log" | grep -v 'result=timeout' ||
		sc_die "an attacker connection was not dropped"
	n64=$(grep -c "from=$ip:.* bytes=64 " /tmp/mail25.log)
	sleep 4
	t_eq "attacker bytes received by dom0 lately" "$(grep -c "from=$ip:.* bytes=64 " /tmp/mail25.log)" "$n64"
	[ "$mail" -ge 5 ] || sc_die "only $mail mail deliveries"
	! grep -v 'result=ok' "/tmp/$g-mail.log" || sc_die "a mail delivery failed"
	out=$(xfnet -w 5 send tcp "$ip" 8090 5000) || sc_die "the web server does not answer: $out"
	echo "  web: $out"
	hits=$(xfilterctl -j rule list | jq --argjson i "$id" '.[] | select(.id == $i) | .hits')
	echo "  rule $id hits: $hits; domain $d1 dropped: $(sc_dom_stat "$d1" dropped)"
	[ "$(sc_dom_stat "$d1" dropped)" -gt 0 ] || sc_die "domain $d1 counts no drop"
	audit=$(dmesg | grep "verdict=drop dom=$d1 " | grep 'uid=1001' | tail -n 1)
	echo "  audit: $audit"
	[ -n "$audit" ] || sc_die "no audit line for domain $d1"
	# the rule is what stops it (the test is not blind)
	sc_stop "$g" attack
	xfilterctl rule del "$id" > /dev/null || sc_die "rule del $id"
	out=$(lab_exec_as "$g" eve "portscan scan -c 1 -w 5 -k 0 $LAB_DOM0_IP:25")
	echo "  attacker without the rule: $out"
	grep -q 'result=ok' <<<"$out" || sc_die "the attacker does not get through without the rule"
	sc_stop "$g" mail web
}

# lc_crowd_walked D: two walks of domain D saw the crowd (its 2000 sockets, give or take)
lc_crowd_walked() {
	sed -n "s/.*dom $1: [0-9]* tasks, \([0-9]*\) sockets.*/\1/p" /tmp/xfilterd.log |
		awk '$1 >= 1000 {n++} END {exit !(n >= 2)}'
}

# lc_stop_busy PID: stops the daemon (SIGSTOP) at a moment it is not
# waiting in poll(2), i.e. walking a guest or pushing a table; prints the
# system call it was in ("running" or a number). Gives up after 80 tries.
lc_stop_busy() {
	local p=$1 i s
	for i in $(seq 1 80); do
		kill -STOP "$p" || return 1
		t_wait 5 grep -q '^State:.*T' "/proc/$p/status"
		s=$(cut -d' ' -f1 "/proc/$p/syscall" 2>/dev/null)
		case $s in
		7|271|'') ;;		# poll, ppoll: idle
		*) echo "$s"; return 0 ;;
		esac
		kill -CONT "$p"
		sleep "0.$((RANDOM % 10))"
	done
	return 1
}

# xfilterd walking a guest when it is destroyed: a crowded guest (100
# processes with 20 sockets each) walked every 100 ms; the daemon is stopped
# in the middle of its work, the guest destroyed, the daemon let go on. Twice,
# the guest re-created in between. The daemon must keep running (same pid),
# say that the domain is gone, release its memory (no dying domain left),
# and keep serving the other domain: its table refreshed, the new flows of
# its scanner resolved and dropped, its mail delivered.
t_midwalk() {
	local g=$1 o=$2 pid od d i sc gen0 rid out walks drops t0 cfg=/tmp/$g-crowd.cfg
	trap "kill -CONT \$(pgrep -x xfilterd) 2>/dev/null; sc_cleanup $o; sc_rules_flush" EXIT
	od=$(lab_domid "$o")
	lc_daemon_stop || sc_die "xfilterd did not stop"
	xfilterd run --config "$LC_CONF" --period 100 --log-level debug >> /tmp/xfilterd.log 2>&1 &
	pid=$!
	echo "$pid" > /tmp/xfilterd.pid
	echo "  + xfilterd run --config $LC_CONF --period 100 --log-level debug (pid $pid)"
	sc_rules_flush
	rid=$(xfilterctl rule add dom "$od" uid 1001 drop) || sc_die "rule add: $rid"
	lab_exec "$o" 'rm -f /tmp/attack.log' > /dev/null
	lab_spawn "$o" eve attack /etc/xflab/workloads/attacker.sh > /dev/null
	sed 's/\(xflab\.workload=[^ ]*\)/\1+crowd/' "/etc/xen/$g.cfg" > "$cfg"
	lab_spawn "$g" root crowd 'exec /etc/xflab/workloads/crowd.sh' > /dev/null
	for i in 1 2; do
		d=$(lab_domid "$g") || sc_die "no domain $g"
		t_wait 180 lc_crowd_walked "$d" ||
			{ lc_daemon_log "$d" | tail -n 5; sc_die "domain $d: no walk of the crowd"; }
		walks=$(grep -a "dom $d: [0-9]* tasks, [0-9]* sockets" /tmp/xfilterd.log | tail -n 1)
		echo "  round $i, domain $d: ${walks#*: }"
		gen0=$(lc_dom_json "$od" | jq .generation)
		sc=$(lc_stop_busy "$pid") || sc_die "xfilterd was never caught at work"
		echo "  xfilterd stopped at work (system call: $sc); + xl destroy $g (domain $d)"
		timeout 120 xl destroy "$g" || { kill -CONT "$pid"; sc_die "xl destroy $g"; }
		kill -CONT "$pid"
		t_wait 30 grep -q "dom $d: gone" /tmp/xfilterd.log ||
			sc_die "xfilterd did not notice domain $d stopping"
		lc_daemon_log "$d" | grep -a -v ' tasks, ' | tail -n 3
		kill -0 "$pid" 2>/dev/null || sc_die "xfilterd died"
		t_eq "xfilterd pid" "$(pgrep -x xfilterd)" "$pid"
		t_wait 60 lc_no_zombie || { xl list; sc_die "domain $d lingers, dying"; }
		t_wait 30 lc_dom_clean "$d" || sc_die "domain $d not cleaned: $(lc_dom_json "$d")"
		# the other domain is still served: its table refreshed, each new
		# connection of its scanner a miss resolved and dropped
		t_wait 10 sh -c "[ \"\$(xfilterctl -j domain show dom $od | jq '.[0].generation')\" != '$gen0' ]" ||
			sc_die "domain $od's table is no longer refreshed"
		drops=$(sc_dom_stat "$od" dropped)
		t0=$(sc_guest_now "$o") || sc_die "no guest time on $o"
		sleep 8
		sc_log "$o" attack.log
		sc_after "/tmp/$o-attack.log" "$t0" | tail -n 2 | sed "s/^/  $o attacker (rule on domain $od): /"
		[ "$(sc_after "/tmp/$o-attack.log" "$t0" | wc -l)" -ge 2 ] || sc_die "$o's scanner made no attempts"
		! sc_after "/tmp/$o-attack.log" "$t0" | grep -v 'result=timeout' ||
			sc_die "a new flow of domain $od was not dropped"
		[ "$(sc_dom_stat "$od" dropped)" -gt "$drops" ] || sc_die "domain $od counted no drop"
		out=$(lab_exec "$o" "mailsend mail -c 1 -w 5 -k 0 $LAB_DOM0_IP:25 100")
		echo "  $o mail: $out"
		grep -q 'result=ok' <<<"$out" || sc_die "mail from $o failed"
		# re-created: crowded for the next round, as configured after the last
		[ "$i" = 2 ] && cfg=/etc/xen/$g.cfg
		xl create "$cfg" > "/tmp/create-$g.log" 2>&1 ||
			{ cat "/tmp/create-$g.log"; sc_die "xl create $g"; }
		lab_wait_guest "$g" 600 || sc_die "$g did not come back"
	done
	grep -a -c 'walk failed\|walk incomplete' /tmp/xfilterd.log | sed 's/^/  walks that failed or were incomplete so far: /'
	! dmesg | grep -E -q 'WARNING:|BUG:' || sc_die "kernel splat"
	kill -0 "$pid" || sc_die "xfilterd died"
	lc_daemon_stop
	sc_start_daemon
}
