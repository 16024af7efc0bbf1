# SPDX-License-Identifier: GPL-2.0
# dom0 side of `make demo` (sourced by the Xen lab in dom0, bash): the seed
# scenario told step by step. Lines for the reader start with "DEMO "; each
# claim the story makes is also checked and marked XFTEST PASS/FAIL, so the
# demo fails instead of pretending.
. /xflab/lib-scenario.sh

say() { echo "DEMO $*"; }
show() {	# show CMD...: runs a command for the reader, output indented
	echo "DEMO \$ $*"
	"$@" 2>&1 | sed 's/^/DEMO |   /'
}
check() {	# check NAME CMD...: a claim of the story, checked
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "XFTEST PASS demo-$name"
	else
		echo "XFTEST FAIL demo-$name"
		say "!! this step did not do what it should: $name ($*)"
		sed 's/^/DEMO !!   /' <<<"$out" | head -n 10
	fi
}

G=$(lab_guests | head -n 1)
D=$(lab_domid "$G")
IP=$(lab_ip "$G")
say ""
say "== 1. The tenant's VM =="
say "Domain '$G' (id $D, $(lab_type "$G"), $IP) is a tenant VM. Nothing of"
say "xFilter runs inside it. It runs a mail sender as root (one delivery to"
say "port 25 a second), a web server as uid 33, and an intruder who got in as"
say "uid 1001 and port-scans port 25 on four addresses and ports 22 and 443."
missing=
grep -q '^xfilter ' /proc/modules || insmod /xflab/xfilter.ko 2>/dev/null ||
	missing+=" xfilter.ko"
command -v xfilterctl > /dev/null || missing+=" xfilterctl"
command -v xfilterd > /dev/null || missing+=" xfilterd"
if [ -n "$missing" ]; then
	say "!! missing in dom0:$missing -- the demo cannot go on"
	echo "XFTEST FAIL demo-pieces-present (missing:$missing)"
	return 0
fi
echo "XFTEST PASS demo-pieces-present"
sc_setup
sc_start "$G" || say "!! could not start the guest's programs"
say "xfilterd (dom0) now reads the guest's kernel memory: no agent, no"
say "symbols, the guest kernel's own BTF gives the layout, KASLR is found."
show xfilterd scan --domain "$D" -q 2>/dev/null | head -n 3

say ""
say "== 2. Who is talking? =="
t_wait 60 sc_conns_has "$D" 1001 portscan
t_wait 30 sc_conns_has "$D" 0 mailsend
show xfilterctl conns dom "$D"
check conns-show-attacker t_wait 20 sc_conns_has "$D" 1001 portscan
check conns-show-mail t_wait 20 sc_conns_has "$D" 0 mailsend
say "The scanner (uid 1001, portscan) sits beside the mail sender (uid 0)."

say ""
say "== 3. Cut the intruder, not the VM =="
show xfilterctl rule add dom "$D" uid 1001 drop
T_RULE=$(sc_guest_now "$G")
sleep 3
N64=$(grep -c "from=$IP:.* bytes=64 " /tmp/mail25.log)
say "Waiting 20 s while the mail goes on and the scan goes on..."
sleep 20

say ""
say "== 4. What happened since =="
sc_log "$G" attack.log
sc_log "$G" mail.log
say "The intruder's last attempts (guest time, target, outcome):"
sc_after "/tmp/$G-attack.log" "$T_RULE" | tail -n 5 | sed 's/^/DEMO |   /'
att=$(sc_after "/tmp/$G-attack.log" "$T_RULE" | wc -l)
att_ok=$(sc_after "/tmp/$G-attack.log" "$T_RULE" | grep -vc 'result=timeout')
say "The mail sender's last deliveries:"
tail -n 3 "/tmp/$G-mail.log" | sed 's/^/DEMO |   /'
mail_ok=$(sc_after "/tmp/$G-mail.log" "$T_RULE" | grep -c 'result=ok')
mail_bad=$(grep -vc 'result=ok' "/tmp/$G-mail.log")
show cat "/sys/kernel/xfilter/domains/$D/dropped"
show xfilterctl stats dom "$D"
show xfilterctl rule list
say "Audit lines (dmesg, rate-limited):"
dmesg > /tmp/dmesg.txt
grep 'verdict=drop' /tmp/dmesg.txt | tail -n 3 | sed 's/^/DEMO |   /'
check attacker-dropped test "$att" -ge 5 -a "$att_ok" = 0 ||
	sc_after "/tmp/$G-attack.log" "$T_RULE" | grep -v 'result=timeout' | sed 's/^/DEMO !!   /'
grep -v 'result=ok' "/tmp/$G-mail.log" | sed 's/^/DEMO !! failed delivery: /'
echo "XFLAB-NOTE rule at guest time $T_RULE; guest logs follow"
sed 's/^/XFLAB-NOTE attack: /' "/tmp/$G-attack.log"
sed 's/^/XFLAB-NOTE mail: /' "/tmp/$G-mail.log"
check dom0-got-nothing-from-attacker test "$(grep -c "from=$IP:.* bytes=64 " /tmp/mail25.log)" = "$N64"
check mail-flowing test "$mail_ok" -ge 10 -a "$mail_bad" = 0
check audit-lines grep -q "verdict=drop dom=$D " /tmp/dmesg.txt
check web-server-up xfnet -w 5 send tcp "$IP" 8090 1000
say ""
say "== Summary =="
say "After the rule: $att attempts by uid 1001, $att_ok of them got through;"
say "$mail_ok mail deliveries, $mail_bad failed in the whole run; the web"
say "server still answers. One user cut, the VM's services untouched."
sc_stop "$G" mail web attack
