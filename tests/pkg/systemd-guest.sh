#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the systemd guest (tests/pkg/systemd.sh), run by xftest.service once
# xfilter-rules.service and xfilterd.service have started: the packaged units
# under systemd, with their sandboxing in force. The rules unit restored
# /etc/xfilter/rules at boot, xfilterd's ExecStartPre loaded the DKMS module,
# the sandboxed daemon reads its core (domain 3) and fills the module's owner
# table over netlink, systemd reports the sandbox it set up and the daemon's
# process really runs inside it, the journal shows no denial, and the rules
# survive `systemctl restart` and `stop` of the daemon and come back with
# `systemctl reload xfilter-rules`.
. /var/lib/xftest/guest.sh
VER=$(cat /var/lib/xftest/VERSION)
DOM=3
D=xfilterd.service
R=xfilter-rules.service
export PATH=/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_PAGER='' SYSTEMD_COLORS=0 LC_ALL=C

prop() { systemctl show -P "$2" "$1"; }	# prop UNIT PROPERTY
words() { tr ' ' '\n' | sort | xargs; }	# a list, in order
entries() { xfilterctl -j conns dom $DOM | grep -o "\"dom\":$DOM," | wc -l; }
nrules() { xfilterctl save | grep -c '^rule add'; }
# wait_s SECONDS CMD...: polls CMD until it succeeds, SECONDS of wall time
# at most (each `systemctl show` takes a good fraction of a second here)
wait_s() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}
running() { [ "$(prop $D SubState)" = running ]; }
served() { [ "$(entries)" -eq 22 ]; }
# the rules of /etc/xfilter/rules as `xfilterctl save` prints them (the
# guest's first save, checked against the file's rule count)
SAVED=/run/xftest-saved

t_enabled() {
	# the package enabled both units (deb-systemd-helper)
	t_eq "$D enabled" "$(systemctl is-enabled $D)" enabled
	t_eq "$R enabled" "$(systemctl is-enabled $R)" enabled
	t_eq "packaged unit" "$(prop $D FragmentPath)" /lib/systemd/system/$D
}

t_rules_at_boot() {
	t_eq "$R state" "$(prop $R ActiveState)/$(prop $R Result)" active/success
	xfilterctl save > $SAVED
	t_eq "rules restored" "$(grep -c '^rule add' $SAVED)" \
		"$(grep -c '^rule add' /var/lib/xftest/rules)"
	grep -q 'uid 1001 drop' $SAVED || { cat $SAVED; t_fail "uid 1001 rule missing"; }
	grep -q 'comm nc' $SAVED || { cat $SAVED; t_fail "comm nc rule missing"; }
}

t_daemon_active() {
	wait_s 60 running || t_fail "$D: $(prop $D ActiveState)/$(prop $D SubState)"
	t_eq "$D result" "$(prop $D Result)" success
	t_eq "$D restarts" "$(prop $D NRestarts)" 0
	t_eq "module loaded" "$(cat /sys/module/xfilter/version 2>&1)" "$VER"
	# ExecStartPre ran (the rules unit, ordered first, loaded the module
	# already; pkg-systemd/daemon-loads-module has it load the module itself)
	prop $D ExecStartPre | grep -Eq 'path=/sbin/modprobe .*status=0( |;|/|$)' ||
		t_fail "ExecStartPre: $(prop $D ExecStartPre)"
	case $(modinfo -n xfilter) in */updates/dkms/xfilter.ko*) ;;
		*) t_fail "modprobe finds $(modinfo -n xfilter)" ;; esac
	xfilterctl info | grep -q "$VER" || { xfilterctl info; t_fail "info without $VER"; }
}

# domain 3's vif shows up after the daemon started, as a guest's does when
# xendomains starts it: the module keeps a domain's owners while it has a
# vif, and the daemon's next refresh fills the table
t_daemon_serves() {
	t_cmd ip link add vif$DOM.0 type dummy || t_fail "no vif$DOM.0"
	ip link set vif$DOM.0 up
	wait_s 120 served || t_fail "owner table of dom $DOM: $(entries) entries, want 22"
	xfilterctl -j conns dom $DOM | grep -q '"comm":"alice_srv".*"guest_port":9000' ||
		t_fail "alice_srv's listener missing"
}

# t_sandbox_show: systemd set up what the packaged unit asks for (one
# `systemctl show` for all: each call costs a second or two here)
t_sandbox_show() {
	local k want got all
	all=$(systemctl show $D -p ProtectSystem -p ProtectHome -p ProtectProc -p PrivateTmp \
		-p PrivateDevices -p ProtectKernelModules -p ProtectKernelLogs \
		-p ProtectControlGroups -p ProtectClock -p ProtectHostname -p NoNewPrivileges \
		-p RestrictNamespaces -p RestrictRealtime -p RestrictSUIDSGID -p LockPersonality \
		-p MemoryDenyWriteExecute -p DevicePolicy -p UMask -p CapabilityBoundingSet \
		-p RestrictAddressFamilies -p SystemCallArchitectures -p IPAddressDeny \
		-p SystemCallFilter -p SystemCallErrorNumber -p DeviceAllow -p ReadOnlyPaths)
	local -A v
	while IFS='=' read -r k got; do v[$k]=$got; done <<< "$all"
	# lists in sorted order: systemd prints sets in an order of its own
	v[CapabilityBoundingSet]=$(words <<< "${v[CapabilityBoundingSet]-}")
	v[RestrictAddressFamilies]=$(words <<< "${v[RestrictAddressFamilies]-}")
	v[IPAddressDeny]=$(words <<< "${v[IPAddressDeny]-}")
	while read -r k want; do
		t_eq "$k" "${v[$k]-(unset)}" "$want"
	done <<-EOF
	ProtectSystem strict
	ProtectHome yes
	ProtectProc invisible
	PrivateTmp yes
	PrivateDevices no
	ProtectKernelModules yes
	ProtectKernelLogs yes
	ProtectControlGroups yes
	ProtectClock yes
	ProtectHostname yes
	NoNewPrivileges yes
	RestrictNamespaces yes
	RestrictRealtime yes
	RestrictSUIDSGID yes
	LockPersonality yes
	MemoryDenyWriteExecute yes
	DevicePolicy closed
	UMask 0077
	CapabilityBoundingSet cap_ipc_lock cap_net_admin
	RestrictAddressFamilies AF_NETLINK AF_UNIX
	SystemCallArchitectures native
	IPAddressDeny 0.0.0.0/0 ::/0
	SystemCallErrorNumber 1
	EOF
	[[ " ${v[SystemCallFilter]-} " == *" ioctl "* ]] || t_fail "SystemCallFilter: no ioctl"
	[[ ${v[DeviceAllow]-} == *"/dev/xen/privcmd rw"* ]] || t_fail "DeviceAllow=${v[DeviceAllow]-}"
	[[ " ${v[ReadOnlyPaths]-} " == *" /sys "* ]] || t_fail "ReadOnlyPaths=${v[ReadOnlyPaths]-}"
}

# t_sandbox_process: the daemon's process really is inside it
t_sandbox_process() {
	local pid st mi
	pid=$(prop $D MainPID)
	[ "$pid" -gt 0 ] || { t_fail "no MainPID"; return 1; }
	st=/proc/$pid/status
	t_eq "NoNewPrivs" "$(awk '$1 == "NoNewPrivs:" {print $2}' "$st")" 1
	t_eq "Seccomp (filter)" "$(awk '$1 == "Seccomp:" {print $2}' "$st")" 2
	# CAP_NET_ADMIN (12) and CAP_IPC_LOCK (14), nothing else
	t_eq "CapBnd" "$(awk '$1 == "CapBnd:" {print $2}' "$st")" 0000000000005000
	mi=/proc/$pid/mountinfo
	# ProtectSystem=strict: / read-only in the daemon's mount namespace
	awk '$5 == "/" {print $6}' "$mi" | grep -q '^ro' || t_fail "/ writable: $(awk '$5 == "/"' "$mi")"
	awk '$5 == "/sys" {print $6}' "$mi" | grep -q '^ro' || t_fail "/sys writable"
	# PrivateTmp=yes: its /tmp is a private directory
	awk '$5 == "/tmp" {print $4}' "$mi" | grep -q 'systemd-private-.*xfilterd.service' ||
		t_fail "no private /tmp: $(awk '$5 == "/tmp"' "$mi")"
	# ProtectHome=yes: /root hidden (an inaccessible mount)
	awk '$5 == "/root"' "$mi" | grep -q . || t_fail "/root not hidden"
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/1/ns/mnt)" ] || t_fail "no mount namespace"
	# DevicePolicy=closed and IPAddressDeny=any: BPF programs on the unit's
	# cgroup (device access; packets in and out)
	local cg b
	cg=/sys/fs/cgroup$(prop $D ControlGroup)
	b=$(bpftool cgroup show "$cg" 2>&1)
	echo "$b" | sed 's/^/  | /'
	for k in cgroup_device cgroup_inet_ingress cgroup_inet_egress; do
		awk '{print $2}' <<< "$b" | grep -qx "$k" || t_fail "no $k program on $cg"
	done
}

t_journal_clean() {
	local j
	j=$(journalctl -b -o cat --no-pager -u $D -u $R 2>&1)
	# what the sandbox answers when it refuses (EPERM from the syscall
	# filter, EAFNOSUPPORT from the address families, EROFS, EACCES), and
	# the daemon failing or being killed
	if grep -E -i 'EPERM|EACCES|EROFS|EAFNOSUPPORT|Operation not permitted|Permission denied|Read-only file system|Address family not supported|seccomp|SIGSYS|Bad system call|core-dump|dumped core|Failed with result|Main process exited' \
			<<< "$j"; then
		t_fail "denials or failures in the journal"
	fi
	journalctl -b -k -o cat --no-pager 2>&1 | grep -E 'audit.*(seccomp|SECCOMP)|apparmor="DENIED"' &&
		t_fail "kernel audit denials"
	echo "$j" | tail -n 8 | sed 's/^/  | /'
	return 0
}

t_restart_keeps_rules() {
	local pid0 pid1
	pid0=$(prop $D MainPID)
	t_cmd systemctl restart $D || t_fail "systemctl restart $D"
	wait_s 60 running || t_fail "not running after restart"
	pid1=$(prop $D MainPID)
	if [ "$pid1" = "$pid0" ] || [ "$pid1" -le 0 ]; then t_fail "MainPID $pid0 -> $pid1"; fi
	xfilterctl save > /run/xftest-saved.1
	cmp $SAVED /run/xftest-saved.1 || { diff $SAVED /run/xftest-saved.1; t_fail "rules changed on restart"; }
	wait_s 120 served || t_fail "owner table after restart: $(entries)"
	t_eq "$D restarts" "$(prop $D NRestarts)" 0
}

t_stop_keeps_rules() {
	t_cmd systemctl stop $D || t_fail "systemctl stop $D"
	t_eq "stopped" "$(prop $D ActiveState)" inactive
	t_eq "clean stop" "$(prop $D Result)" success
	xfilterctl save > /run/xftest-saved.2
	cmp $SAVED /run/xftest-saved.2 || t_fail "rules changed on stop"
	t_cmd systemctl start $D || t_fail "systemctl start $D"
	wait_s 60 running || t_fail "not running after start"
}

t_reload_rules() {
	xfilterctl rule flush
	t_eq "flushed" "$(nrules)" 0
	t_cmd systemctl reload $R || t_fail "systemctl reload $R"
	xfilterctl save > /run/xftest-saved.3
	cmp $SAVED /run/xftest-saved.3 || t_fail "reload did not restore the saved rules"
	t_eq "$R after reload" "$(prop $R ActiveState)/$(prop $R Result)" active/success
}

# ExecStartPre=+/sbin/modprobe: the daemon's own unit loads the module, with
# full privileges despite ProtectKernelModules=yes (the module unloaded
# takes its rules along; the rules unit's reload puts them back)
t_daemon_loads_module() {
	t_cmd systemctl stop $D || t_fail "systemctl stop $D"
	t_cmd rmmod xfilter || t_fail "rmmod xfilter"
	[ ! -e /sys/module/xfilter ] || t_fail "module still loaded"
	t_cmd systemctl start $D || t_fail "systemctl start $D"
	wait_s 60 running || t_fail "not running: $(prop $D SubState)"
	t_eq "module loaded" "$(cat /sys/module/xfilter/version 2>&1)" "$VER"
	wait_s 120 served || t_fail "owner table: $(entries)"
	t_cmd systemctl reload $R || t_fail "systemctl reload $R"
	xfilterctl save > /run/xftest-saved.4
	cmp $SAVED /run/xftest-saved.4 || t_fail "rules not back"
}

echo "XFTEST-INFO systemd $(systemctl --version | head -n 1) in $(systemctl is-system-running 2>&1)"
t_run pkg-systemd/units-enabled t_enabled
t_run pkg-systemd/rules-restored-at-boot t_rules_at_boot
t_run pkg-systemd/daemon-active t_daemon_active
t_run pkg-systemd/daemon-serves-domain t_daemon_serves
t_run pkg-systemd/sandbox-properties t_sandbox_show
t_run pkg-systemd/sandbox-process t_sandbox_process
t_run pkg-systemd/journal-clean t_journal_clean
t_run pkg-systemd/restart-keeps-rules t_restart_keeps_rules
t_run pkg-systemd/stop-start-keeps-rules t_stop_keeps_rules
t_run pkg-systemd/reload-restores-rules t_reload_rules
t_run pkg-systemd/daemon-loads-module t_daemon_loads_module
t_run pkg-systemd/journal-clean-after t_journal_clean
if [ "$XFT_FAIL" -gt 0 ]; then
	systemctl status --no-pager -l $D $R 2>&1 | sed 's/^/  | /'
	journalctl -b -o short-monotonic --no-pager -u $D -u $R 2>&1 | tail -n 40 | sed 's/^/  | /'
fi
t_done
