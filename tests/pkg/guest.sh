#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside a QEMU guest (Debian 6.1 kernel): the module DKMS built from
# xfilter-dkms and the tools of xfilter-tools, run the way their systemd
# units run them. The rules of /etc/xfilter/rules are restored by the rules
# unit's ExecStart, xfilterd takes its settings from a configuration file
# (fail mode and table limit reach the module), and the rules and owners
# stay in the module across a daemon stop and restart. xfilterd serves a
# core of a real Debian 6.1 guest as domain 3 (no Xen needed).
. /xf/lib/guest.sh
VER=$(cat /xf/VERSION)
DOM=3
LOG=/tmp/xfilterd.log
PATH=/usr/sbin:$PATH

unit_cmd() {	# unit_cmd UNIT KEY: the command line of KEY= in the packaged unit
	sed -n "s|^$2=[-+@!]*||p" "/lib/systemd/system/$1" | head -n 1
}
entries() { xfilterctl -j conns dom $DOM | grep -o "\"dom\":$DOM," | wc -l; }

t_module() {
	t_cmd insmod /lib/xfilter/xfilter.ko	# the DKMS build from xfilter-dkms
	# domain 3's vif: the module keeps a domain's owners while it has one
	t_cmd ip link add vif$DOM.0 type dummy
	ip link set vif$DOM.0 up
	t_eq "module version" "$(cat /sys/module/xfilter/version)" "$VER"
	xfilterctl info | grep -q "$VER" || { xfilterctl info; t_fail "info without $VER"; }
	t_eq "xfilterctl" "$(xfilterctl --version | cut -d' ' -f1-2)" "xfilterctl $VER"
	t_eq "xfilterd" "$(xfilterd --version)" "xfilterd $VER"
}

t_restore() {
	local cmd
	cmd=$(unit_cmd xfilter-rules.service ExecStart)
	t_eq "rules unit command" "$cmd" "/usr/sbin/xfilterctl restore /etc/xfilter/rules"
	t_cmd $cmd
	xfilterctl save > /tmp/saved.0
	t_eq "rules restored" "$(grep -c '^rule add' /tmp/saved.0)" 3
	grep -q 'uid 1001 drop' /tmp/saved.0 || { cat /tmp/saved.0; t_fail "uid 1001 rule missing"; }
}

start_daemon() {
	rm -f /tmp/xfd.rc /tmp/xfd.pid
	: > $LOG
	# the unit's command line, with a core file as domain 3 instead of Xen
	sh -c "$(unit_cmd xfilterd.service ExecStart | sed 's|/etc/xfilter/xfilterd.conf|/etc/xfilter/test.conf|') \
		--core /xf/seed.core:$DOM --log-level debug 2>> $LOG &
		echo \$! > /tmp/xfd.pid; wait \$!; echo \$? > /tmp/xfd.rc" &
	t_wait 5 test -s /tmp/xfd.pid
	t_wait 30 grep -q "generation" $LOG || { cat $LOG; t_fail "no refresh"; }
}

t_config() {
	start_daemon
	grep -q "configuration from /etc/xfilter/test.conf" $LOG || t_fail "config not read"
	local d
	d=$(xfilterctl -j domain show dom $DOM)
	echo "  $d"
	echo "$d" | grep -q '"fail_mode":"closed"' || t_fail "fail mode not set from the file"
	echo "$d" | grep -q '"max_entries":1234' || t_fail "table limit not set from the file"
	t_eq "owners pushed" "$(entries)" 22
}

t_restart() {
	local pid n0
	pid=$(cat /tmp/xfd.pid)
	n0=$(entries)
	kill -TERM "$pid"
	t_wait 10 test -s /tmp/xfd.rc || t_fail "still running 10 s after SIGTERM"
	t_eq "exit status" "$(cat /tmp/xfd.rc)" 0
	# daemon gone: the module keeps its rules and owners
	xfilterctl save > /tmp/saved.1
	cmp /tmp/saved.0 /tmp/saved.1 || { diff /tmp/saved.0 /tmp/saved.1; t_fail "rules changed on stop"; }
	t_eq "owners while stopped" "$(entries)" "$n0"
	xfilterctl -j domain show dom $DOM | grep -q '"fail_mode":"closed"' || t_fail "fail mode lost"
	start_daemon
	t_wait 10 sh -c "[ \$(grep -c generation $LOG) -ge 2 ]" || true
	xfilterctl save > /tmp/saved.2
	cmp /tmp/saved.0 /tmp/saved.2 || { diff /tmp/saved.0 /tmp/saved.2; t_fail "rules changed on restart"; }
	t_eq "owners after restart" "$(entries)" "$n0"
	kill -TERM "$(cat /tmp/xfd.pid)"
	t_wait 10 test -s /tmp/xfd.rc || t_fail "second daemon did not exit"
}

t_reload() {
	local cmd
	cmd=$(unit_cmd xfilter-rules.service ExecReload)
	xfilterctl rule flush
	t_eq "flushed" "$(xfilterctl save | grep -c '^rule add')" 0
	t_cmd $cmd
	xfilterctl save > /tmp/saved.3
	cmp /tmp/saved.0 /tmp/saved.3 || t_fail "reload did not restore the saved rules"
}

t_run pkg-guest/module t_module
t_run pkg-guest/restore-at-boot t_restore
t_run pkg-guest/daemon-config t_config
t_run pkg-guest/daemon-restart-keeps-rules t_restart
t_run pkg-guest/reload t_reload
tail -n 20 $LOG
t_done
