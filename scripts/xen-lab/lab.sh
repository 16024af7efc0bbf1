# SPDX-License-Identifier: GPL-2.0
# Xen lab helpers for dom0 (sourced by the lab's /init and by test scripts,
# bash): the guest table, running commands inside a domU over xenstore, and
# the domUs' consoles.
#
# Guest table /run/xflab/guests, one line per domU:
#   NAME TYPE WORKLOADS IP MAC
# Commands reach a domU through its own xenstore directory
# /local/domain/<domid>/data/xflab (writable by that domU), not through its
# network, so a test can cut the domU's traffic and still drive it. Command
# and output travel base64-encoded: xenstore-write would otherwise unescape
# backslashes, and output is split in chunks below xenstore's 4 KiB limit.

LAB_BRIDGE=xenbr0
LAB_DOM0_IP=10.99.0.1
LAB_NET=10.99.0
LAB_RUN=/run/xflab
LAB_CONSOLE_DIR=/var/log/xen/console

# bash builtins only where it matters: a process that fails to start must
# not turn into a wrong answer here
lab_uptime() { local u _r; read -r u _r < /proc/uptime; echo "$u"; }
lab_now() { local u _r; read -r u _r < /proc/uptime; echo "${u%%.*}"; }
lab_stage() { echo "XFLAB-STAGE $* uptime=$(lab_uptime)"; }
lab_note() { echo "XFLAB-NOTE $*"; }

lab_guests() { awk '{print $1}' "$LAB_RUN/guests"; }
lab_guests_of() { awk -v t="$1" '$2 == t {print $1}' "$LAB_RUN/guests"; }
lab_field() { awk -v n="$1" -v f="$2" '$1 == n {print $f; exit}' "$LAB_RUN/guests"; }
lab_type() { lab_field "$1" 2; }
lab_ip() { lab_field "$1" 4; }
lab_mac() { lab_field "$1" 5; }
lab_domid() { xl domid "$1" 2>/dev/null; }
lab_vif() {	# lab_vif NAME: the domU's first vif in dom0
	local d
	d=$(lab_domid "$1") || return 1
	echo "vif$d.0"
}
lab_alive() { xl domid "$1" >/dev/null 2>&1; }

# Console of a domU as seen so far (PV/PVH: xenconsoled's log; HVM: the
# emulated serial port, where the kernel console goes).
lab_console_file() {
	if [ "$(lab_type "$1")" = hvm ]; then
		echo "$LAB_CONSOLE_DIR/serial-$1.log"
	else
		echo "$LAB_CONSOLE_DIR/guest-$1.log"
	fi
}
lab_console() {	# lab_console NAME [LINES]
	local f
	f=$(lab_console_file "$1")
	echo "---- console of domU $1 ($f) ----"
	tail -n "${2:-80}" "$f" 2>/dev/null | tr -d '\r' || echo "(no console log)"
	echo "---- end of console of domU $1 ----"
}

# _lab_cmd NAME USER BG CMD: hands CMD to the domU's agent and waits for it.
_lab_cmd() {
	local name=$1 user=$2 bg=$3 cmd=$4 domid p seq n got rc end
	domid=$(lab_domid "$name") || { echo "lab: no domU $name" >&2; return 125; }
	p=/local/domain/$domid/data/xflab
	seq=$(( $(xenstore-read "$p/seq" 2>/dev/null || echo 0) + 1 ))
	xenstore-write "$p/cmd" "$(printf '%s' "$cmd" | base64 -w 0)" \
		"$p/user" "$user" "$p/bg" "$bg" || return 125
	xenstore-write "$p/seq" "$seq" || return 125
	end=$(( $(lab_now) + ${LAB_EXEC_TIMEOUT:-60} ))
	got=
	while :; do
		got=$(xenstore-read "$p/done" 2>/dev/null) || got=
		[ "$got" = "$seq" ] && break
		[ "$(lab_now)" -lt "$end" ] || break
		timeout 1 xenstore-watch -n 2 "$p/done" > /dev/null 2>&1
	done
	if [ "$got" != "$seq" ]; then
		echo "lab: domU $name did not finish command $seq within ${LAB_EXEC_TIMEOUT:-60}s" >&2
		return 124
	fi
	n=$(xenstore-read "$p/nout" 2>/dev/null || echo 0)
	local i=0
	while [ "$i" -lt "$n" ] && [ "$i" -lt 64 ]; do
		xenstore-read "$p/out/$i" 2>/dev/null | tr -d '\n'
		i=$((i + 1))
	done | base64 -d
	rc=$(xenstore-read "$p/rc" 2>/dev/null || echo 125)
	return "$rc"
}

# lab_exec NAME CMD...: runs CMD with /bin/sh as root inside the domU; prints
# its output (stdout+stderr, up to ~70 KB) and returns its exit code; 124
# when the domU did not finish within LAB_EXEC_TIMEOUT seconds (default 60).
lab_exec() { local n=$1; shift; _lab_cmd "$n" root "" "$*"; }

# lab_exec_as NAME USER CMD...: the same as USER (root; user = uid 1000;
# eve = uid 1001; www = uid 33).
lab_exec_as() { local n=$1 u=$2; shift 2; _lab_cmd "$n" "$u" "" "$*"; }

# lab_spawn NAME USER TAG CMD...: starts CMD in the background (own session)
# as USER; output to /tmp/TAG.log in the domU; prints the pid.
lab_spawn() { local n=$1 u=$2 t=$3; shift 3; _lab_cmd "$n" "$u" "$t" "$*"; }

# lab_wait_guest NAME SECONDS: until the domU answers ping and its agent is
# up; fails at once when the domain is gone (crashed or destroyed).
lab_wait_guest() {
	local name=$1 end ip domid
	end=$(( $(lab_now) + $2 ))
	ip=$(lab_ip "$name")
	until ping -c 1 -W 1 "$ip" >/dev/null 2>&1; do
		lab_alive "$name" || { echo "domU $name is gone (crashed or destroyed)"; return 1; }
		[ "$(lab_now)" -lt "$end" ] ||
			{ echo "domU $name did not answer ping within $2 s"; return 1; }
	done
	domid=$(lab_domid "$name")
	echo "XFLAB-UP name=$name type=$(lab_type "$name") domid=$domid ip=$ip uptime=$(lab_uptime)"
	until [ "$(xenstore-read "/local/domain/$domid/data/xflab/ready" 2>/dev/null)" = 1 ]; do
		lab_alive "$name" || { echo "domU $name is gone (crashed or destroyed)"; return 1; }
		[ "$(lab_now)" -lt "$end" ] ||
			{ echo "domU $name answered ping but its agent never came up"; return 1; }
		sleep 0.5
	done
}

# lab_snapshot NAME: the domU prints its own /proc view ("GT ..." lines) and
# then keeps still (no process starts or ends in it) until lab_thaw NAME.
lab_snapshot() { _lab_cmd "$1" root "" @snapshot; }
lab_thaw() {
	local d
	d=$(lab_domid "$1") && xenstore-write "/local/domain/$d/data/xflab/thaw" 1
}
