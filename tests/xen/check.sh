# SPDX-License-Identifier: GPL-2.0
# check-xen tests, run in the Xen lab's dom0 once every domU answers (bash,
# sourced with scripts/xen-lab/lab.sh and tests/lib/guest.sh). The domUs run
# the serve and procview workloads. Order: the module is loaded onto the
# running vifs, traffic of every kind crosses every vif and is seen by the
# hooks of the right domain, the domid comes from the netback device and not
# the name, xfilterd's view of each guest matches the guest's own, then the
# scenario (lib-scenario.sh), then the lifecycle tests (lib-lifecycle.sh:
# the packaged service, a domain destroyed and re-created, a domain destroyed
# while xfilterd walks it), then the module unloads cleanly. With the
# packages (XFLAB_PKG=1, as check-xen runs), /xflab/xfilter.ko and the tools
# are the packaged ones and the module is loaded as the unit loads it.

KO=/xflab/xfilter.ko
SYS=/sys/kernel/xfilter
. /xflab/lib-scenario.sh
. /xflab/lib-lifecycle.sh

# Listener in dom0 for the guests' TCP: answers "got N", logs each transfer.
xfnet serve tcp 0.0.0.0 7000 > /tmp/serve7000.log 2>&1 &

tf() { t_fail "$@"; exit 1; }	# ends the test at its first failure
dom_packets() { cat "$SYS/domains/$1/packets" 2>/dev/null || echo 0; }

t_module_load() {
	[ -e "$KO" ] || tf "module/xfilter.ko is not built (make module)"
	if [ "${XFLAB_PKG:-0}" = 1 ]; then
		depmod -a 2>&1 | grep -v modules.builtin | head -n 3
		t_cmd $(lc_unit ExecStartPre) || tf "the unit's ExecStartPre failed"
	else
		t_cmd insmod "$KO" || tf "insmod failed"
	fi
	[ -r "$SYS/packets" ] || tf "no $SYS/packets"
	dmesg | grep -i xfilter | tail -n 5
	! dmesg | grep -E -q 'WARNING:|BUG:' || tf "kernel splat after insmod"
}

# tcp_out G USER: the guest sends 100000 bytes to dom0 as USER
tcp_out() {
	local out
	out=$(lab_exec_as "$1" "$2" "xfnet -w 10 send tcp $LAB_DOM0_IP 7000 100000") ||
		tf "$1 as $2 -> dom0: $out"
	echo "  $1 as $2 -> dom0: $out"
	grep -q 'result=ok' <<<"$out" || tf "no result=ok"
	grep -q "from=$(lab_ip "$1"):.* bytes=100000" /tmp/serve7000.log ||
		tf "dom0 did not log 100000 bytes from $(lab_ip "$1")"
}

t_traffic() {	# t_traffic G: ping both ways, TCP both ways as 0 and 1000, UDP
	local g=$1 ip out before after d
	ip=$(lab_ip "$g")
	d=$(lab_domid "$g")
	before=$(dom_packets "$d")
	t_cmd ping -c 3 -W 2 "$ip" > /dev/null || tf "dom0 -> $g ping"
	out=$(lab_exec "$g" "ping -c 3 -W 2 $LAB_DOM0_IP") || tf "$g -> dom0 ping: $out"
	tcp_out "$g" root
	tcp_out "$g" user
	out=$(xfnet -w 10 send tcp "$ip" 8000 100000) || tf "dom0 -> $g:8000 (root): $out"
	echo "  dom0 -> $g:8000 (server uid 0): $out"
	out=$(xfnet -w 10 send tcp "$ip" 8001 100000) || {
		lab_exec "$g" "cat /tmp/workload-serve.log; netstat -ltnp"
		tf "dom0 -> $g:8001 (uid 1000): $out"; }
	echo "  dom0 -> $g:8001 (server uid 1000): $out"
	out=$(xfnet -w 5 send udp "$ip" 5300 20 200) || tf "dom0 -> $g udp: $out"
	echo "  dom0 -> $g udp: $out"
	after=$(dom_packets "$d")
	echo "$before $after" > "/tmp/packets-$g"
}

# t_hooks G: the guest's real vif is attached under its domid and its hooks
# counted the traffic of t_traffic
t_hooks() {
	local g=$1 d js before after
	d=$(lab_domid "$g")
	grep -q '^xfilter ' /proc/modules || tf "module not loaded"
	read -r before after < "/tmp/packets-$g" || tf "no traffic test ran"
	echo "  hooks of domain $d: $before -> $after packets"
	[ "$after" -gt $((before + 100)) ] || tf "domain $d counted $before -> $after packets"
	js=$(xfilterctl -j domain show dom "$d") || tf "xfilterctl domain show dom $d"
	echo "  $js"
	t_eq "vifs of domain $d" "$(jq -c '.[0].vifs' <<<"$js")" "[\"vif$d.0\"]"
	[ -d "$SYS/domains/$d" ] || tf "no $SYS/domains/$d"
}

# The netback device, not the name, gives the domid: with the module out,
# rename the PV guest's vif, load the module, and the renamed device must be
# attached to the right domain and count its traffic.
t_domid_backend() {
	local g=$1 d v js before after
	d=$(lab_domid "$g")
	v=$(lab_vif "$g")
	[ -e "$KO" ] || tf "module/xfilter.ko is not built"
	t_cmd rmmod xfilter || tf "rmmod"
	ip link set "$v" down
	ip link set "$v" name "xg$g" || tf "rename $v"
	ip link set "xg$g" up
	t_cmd insmod "$KO" || tf "insmod"
	js=$(xfilterctl -j domain show dom "$d") || tf "domain show dom $d"
	echo "  $js"
	t_eq "vifs of domain $d" "$(jq -c '.[0].vifs' <<<"$js")" "[\"xg$g\"]"
	before=$(dom_packets "$d")
	lab_exec "$g" "ping -c 3 -W 2 $LAB_DOM0_IP" > /dev/null || tf "$g ping after the rename"
	after=$(dom_packets "$d")
	[ "$after" -gt "$before" ] || tf "domain $d counted nothing on xg$g"
	ip link set "xg$g" down
	ip link set "xg$g" name "$v"
	ip link set "$v" up
	t_wait 10 lab_exec "$g" "ping -c 1 -W 1 $LAB_DOM0_IP" || tf "$g ping after renaming back"
	js=$(xfilterctl -j domain show dom "$d")
	t_eq "vifs of domain $d after renaming back" "$(jq -c '.[0].vifs' <<<"$js")" "[\"$v\"]"
}

# xfilterd's scan of a running guest against the guest's /proc, taken while
# the guest keeps still. The comparison runs on the host (tests/xen/run.sh)
# from the XFGT / XFSCAN lines printed here.
t_scan() {
	local g=$1 d gt
	d=$(lab_domid "$g")
	command -v xfilterd > /dev/null || tf "xfilterd not built"
	gt=$(LAB_EXEC_TIMEOUT=120 lab_snapshot "$g") || { lab_thaw "$g"; tf "snapshot of $g"; }
	timeout 120 xfilterd scan --domain "$d" --json -q > "/tmp/scan-$g.json" 2> "/tmp/scan-$g.err"
	local rc=$?
	# Printed while the guest still keeps still, one write per line and
	# the JSON in 1,000-byte lines: the guest's console shares the serial
	# line, and what it prints when it thaws once landed inside a long line.
	local l
	while IFS= read -r l; do echo "XFGT $g $l"; done <<<"$gt"
	tr -d '\n' < "/tmp/scan-$g.json" | fold -b -w 1000 |
		while IFS= read -r l || [ -n "$l" ]; do echo "XFSCAN $g $l"; done
	lab_thaw "$g"
	tail -n 5 "/tmp/scan-$g.err"
	[ $rc = 0 ] || tf "xfilterd scan --domain $d: rc=$rc"
	jq -e '.tasks | length > 10' "/tmp/scan-$g.json" > /dev/null || tf "scan lists few tasks"
	echo "  $g: $(jq -c '.kernel' "/tmp/scan-$g.json")"
}

t_module_unload() {
	t_cmd rmmod xfilter || tf "rmmod failed"
	[ ! -e "$SYS" ] || tf "$SYS still there"
	! dmesg | grep -E -q 'WARNING:|BUG:|leak' || tf "kernel splat"
}

t_run module-load t_module_load
for g in $(lab_guests); do
	t_run "traffic-$g" t_traffic "$g"
	t_run "hooks-$g" t_hooks "$g"
done
for g in $(lab_guests_of pv | head -n 1); do
	t_run "domid-from-netback-$g" t_domid_backend "$g"
done
for g in $(lab_guests); do
	t_run "scan-$g" t_scan "$g"
done
t_run pkg-service t_pkg_service
scenario_all
# a domain destroyed and re-created, one destroyed mid-walk: the PV guest
# (the quickest to boot again) beside an untouched one
lc_g=$(lab_guests_of pv | head -n 1)
lc_o=$(lab_guests | grep -v -x "$lc_g" | head -n 1)
if [ -n "$lc_g" ] && [ -n "$lc_o" ]; then
	t_run "domain-recreate-$lc_g" t_recreate "$lc_g"
	t_run "destroy-mid-walk-$lc_g" t_midwalk "$lc_g" "$lc_o"
fi
t_run module-unload t_module_unload
