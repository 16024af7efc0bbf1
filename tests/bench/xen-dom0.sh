# SPDX-License-Identifier: GPL-2.0
# bench-xen, dom0 side (bash, sourced by the Xen lab's /init with
# scripts/xen-lab/lab.sh and tests/lib/guest.sh once the domUs answer):
# httperf against a web server in the tenant domU, from the client domU
# (BX_CLIENT=domu: only the packets cross dom0) or from dom0 itself
# (BX_CLIENT=dom0), connection time with no xFilter and with xFilter under
# each xfilterd setting, the settings interleaved round by round. Settings
# come from /xflab/bench.conf (tests/bench/xen.sh). Prints "BXRES ..." and
# "BXHIST ..." lines for the host's table, "XFLAB-BENCH ..." progress lines,
# and one XFTEST marker per phase: setup, rate probe, measurement (which
# fails only when a run produced no figures; a slow column is for the host's
# table to report).

. /xflab/bench.conf
BX_KO=/xflab/xfilter.ko
BX_SYS=/sys/kernel/xfilter
BX_CLIENT=${BX_CLIENT:-dom0}
BX_G=tenant
BX_IP=$(lab_ip "$BX_G")
BX_DOM=$(lab_domid "$BX_G")
BX_C=client
[ "$BX_CLIENT" = domu ] && BX_CDOM=$(lab_domid "$BX_C")

bx_say() { echo "XFLAB-BENCH $*"; }

# bx_arrivals RATE: httperf's schedule of new connections at RATE a second
# on average. BX_ARRIVALS=uniform (the default): gaps drawn uniformly from
# 0.75 to 1.25 times the mean gap. With a fixed gap (fixed) the client's
# schedule and the tenant's timer tick (4 ms) keep one phase for a whole run
# under icount, where nothing jitters: which share of the connections meets
# a tick (about 0.1 ms more) is then a property of the run's phase, not of
# what runs in dom0, and the share moved from 16 % to 47 % between runs of
# one column. No gap is shorter than 0.75 of the mean (5 ms at 150/s, far
# above a connection's 0.7 ms): the connections still do not queue.
bx_arrivals() {
	case ${BX_ARRIVALS:-uniform} in
	fixed) echo "--rate $1" ;;
	*) awk -v r="$1" 'BEGIN { printf "--period u%.6f,%.6f\n", 0.75 / r, 1.25 / r }' ;;
	esac
}
bx_die() { t_fail "$@"; exit 1; }

# bx_httperf RATE N OUT: one httperf run against the domU's server; its
# report in OUT, the connection times in OUT.ct. httperf spins on its
# sockets: the preloaded tests/bench/xen-httperf-preload.c makes it wait in
# select() instead and times each connection to the nanosecond (httperf's
# own report has 0.1 ms).
bx_httperf() {
	if [ "$BX_CLIENT" = domu ]; then
		bx_httperf_domu "$@"
		return
	fi
	local rate=$1 n=$2 out=$3
	rm -f "$out.ct"
	# At nice 19 httperf leaves dom0's one vCPU to the packet path
	# (netback, the bridge, xFilter's hooks) and xfilterd whenever they
	# have work (it cannot preempt a walk either).
	XF_CONNTIME=$out.ct LD_PRELOAD=/xflab/httperf-preload.so timeout $((n / rate * 3 + 60)) nice -n 19 \
		httperf --hog --server "$BX_IP" --port "$BX_PORT" --uri / \
		$(bx_arrivals "$rate") --num-conns "$n" --num-calls 1 --timeout 5 -v -v > "$out" 2>&1
}

# The same from the client domU, where httperf is the only thing running:
# started through the dynamic loader it brought along (the domU has no C
# library of its own), its report and connection times returned through
# the lab agent.
bx_httperf_domu() {
	local rate=$1 n=$2 out=$3 secs
	secs=$((n / rate + 2))
	rm -f "$out.ct"
	bx_cexec $((secs * 3 + 60)) "$secs" "sleep 1.5; cd /tmp/bx && rm -f run.ct &&
		XF_CONNTIME=/tmp/bx/run.ct timeout $((n / rate * 3 + 60)) ./lib/ld-linux-x86-64.so.2 \
		--library-path /tmp/bx/lib --preload /tmp/bx/httperf-preload.so ./httperf \
		--hog --server $BX_IP --port $BX_PORT --uri / $(bx_arrivals "$rate") --num-conns $n \
		--num-calls 1 --timeout 5 -v -v > run.txt 2>&1; cat run.txt; echo @@CT; cat run.ct" > "$out.all"
	sed '/^@@CT$/,$d' "$out.all" > "$out"
	sed '1,/^@@CT$/d' "$out.all" > "$out.ct"
	[ -s "$out.ct" ] || rm -f "$out.ct"
}

# bx_cexec LIMIT QUIET CMD: CMD as root in the client domU, its output on
# stdout, like lab_exec; but dom0 starts no process while CMD runs for the
# first QUIET seconds (lab_exec checks every second, and each check forks
# in dom0, on the packets' path), and gives up after LIMIT seconds.
bx_cexec() {
	local limit=$1 quiet=$2 cmd=$3 p seq got n i end
	p=/local/domain/$BX_CDOM/data/xflab
	seq=$(( $(xenstore-read "$p/seq" 2>/dev/null || echo 0) + 1 ))
	xenstore-write "$p/cmd" "$(printf '%s' "$cmd" | base64 -w 0)" \
		"$p/user" root "$p/bg" "" || return 125
	xenstore-write "$p/seq" "$seq" || return 125
	sleep "$quiet"
	end=$(( $(lab_now) + limit - quiet ))
	while :; do
		got=$(xenstore-read "$p/done" 2>/dev/null) || got=
		[ "$got" = "$seq" ] && break
		[ "$(lab_now)" -lt "$end" ] || { echo "bx: the client did not finish within ${limit}s" >&2; return 124; }
		timeout 1 xenstore-watch -n 2 "$p/done" > /dev/null 2>&1
	done
	n=$(xenstore-read "$p/nout" 2>/dev/null || echo 0)
	i=0
	while [ "$i" -lt "$n" ] && [ "$i" -lt 64 ]; do
		xenstore-read "$p/out/$i" 2>/dev/null | tr -d '\n'
		i=$((i + 1))
	done | base64 -d
}

# bx_fields OUT: "conns= replies= errors= conn_rate= min= avg= max= median=
# stddev= timed= hp_avg= hp_stddev=" from an httperf report; the connection
# times [ms] from the preload's OUT.ct (hp_*: httperf's own, kept for the
# record only: 0.1 ms steps, and stamped before select()'s waits).
# Missing figures are "nan".
bx_fields() {
	awk '
	FILENAME ~ /\.ct$/ && $1 == "ct" {
		for (i = 2; i <= NF; i++) { split($i, p, "="); ct[p[1]] = p[2] }
		next
	}
	/^Total: connections/ { c = $3; r = $7 }
	/^Connection rate:/ { cr = $3 }
	/^Connection time \[ms\]: min/ { av = $7; sd = $13 }
	/^Errors: total/ { e = $3 }
	function v(x) { return x == "" ? "nan" : x }
	END {
		printf "conns=%s replies=%s errors=%s conn_rate=%s min=%s avg=%s max=%s median=%s stddev=%s timed=%s hp_avg=%s hp_stddev=%s\n",
			v(c), v(r), v(e), v(cr), v(ct["min"]), v(ct["avg"]), v(ct["max"]),
			v(ct["median"]), v(ct["stddev"]), v(ct["n"]), v(av), v(sd)
	}' "$1" $([ -s "$1.ct" ] && echo "$1.ct")
}

# bx_hist OUT: the connection times in 1 us bins from OUT.ct, "bin:count"
# words (the bin's centre in ms), 20 a line
bx_hist() {
	awk '$1 == "hist" { s = ""
		for (i = 2; i <= NF; i++) { split($i, p, ":"); s = s sprintf("%s%.4f:%s", s == "" ? "" : " ", (p[1] + 0.5) / 1000, p[2]) }
		print s }' "$1.ct" 2>/dev/null
}

# bx_sustained RATE N OUT IDLE_MS: every connection answered, at the rate, and
# without queueing: the mean connection time stays within twice the mean at
# an idle rate (a server that falls behind answers everything, late)
bx_sustained() {
	local f
	f=$(bx_fields "$3")
	awk -v r="$1" -v n="$2" -v f="$f" -v idle="$4" 'BEGIN {
		split(f, kv, " "); for (i in kv) { split(kv[i], p, "="); v[p[1]] = p[2] }
		exit !(v["conns"] == n && v["replies"] == n && v["errors"] == 0 &&
		       v["conn_rate"] + 0 >= 0.95 * r && v["avg"] + 0 <= 2 * idle + 1)
	}'
}

bx_daemon_stop() {
	local p
	p=$(cat /tmp/bx-xfd.pid 2>/dev/null) || return 0
	rm -f /tmp/bx-xfd.pid
	[ "${p:-0}" -gt 1 ] || return 0
	kill -TERM "$p" 2>/dev/null
	t_wait 10 bash -c "! kill -0 $p" || kill -KILL "$p" 2>/dev/null
}

bx_stat() { cat "$BX_SYS/$1" 2>/dev/null || echo 0; }
bx_counters() {	# global counters of the module (zeros when not loaded)
	local k
	for k in packets misses held hold_timeouts fail_open; do
		printf '%s=%s ' "$k" "$(bx_stat "$k")"
	done
}

# bx_state CFG ROUND: the module and the daemon as CFG wants them
bx_state() {
	local cfg=$1 args d
	bx_daemon_stop
	if [ "$cfg" = base ]; then
		if grep -q '^xfilter ' /proc/modules; then
			rmmod xfilter || bx_die "rmmod xfilter"
		fi
		return 0
	fi
	if ! grep -q '^xfilter ' /proc/modules; then
		insmod "$BX_KO" || bx_die "insmod $BX_KO"
		# the scenario's rule: with a rule on the owner in force every
		# packet of the domain is decided by its owner entry
		xfilterctl rule add dom "$BX_DOM" uid 1001 drop > /dev/null ||
			bx_die "xfilterctl rule add"
	fi
	case $cfg in
	xf5) args="--period 5000" ;;
	xf3) args="--period 3000" ;;
	xf2) args="--period 2000" ;;
	xf1) args="--period 1000" ;;
	xf1full) args="--period 1000 --full-push" ;;	# every walk pushed whole, as before
	miss) args="--period 3600000" ;;	# one walk at start, then misses only
	pause) args="--period 1000 --pause-during-walk" ;;
	*) bx_die "unknown configuration $cfg" ;;
	esac
	# shellcheck disable=SC2086
	nice -n "${BX_XFD_NICE:-0}" xfilterd run $args --log-level debug > "/tmp/bx-xfd-$cfg-$2.log" 2>&1 &
	echo $! > /tmp/bx-xfd.pid
	# its first walk of each domU is done and in the table before the run
	# starts. A domain's first walk attaches to it (the kernel's profile,
	# every frame mapped anew: tens of ms of dom0 time), which happens once
	# in a domain's life, not once a run; the client's came 20 ms after the
	# tenant's, inside the run, beside the connections it was to measure.
	for d in "$BX_DOM" ${BX_CDOM:+"$BX_CDOM"}; do
		t_wait 60 grep -q "dom $d: .* generation " "/tmp/bx-xfd-$cfg-$2.log" ||
			{ tail -n 5 "/tmp/bx-xfd-$cfg-$2.log"; bx_die "xfilterd ($cfg) never walked domain $d"; }
	done
	[ "$(bx_stat "domains/$BX_DOM/entries")" -gt 0 ] ||
		bx_die "no owner entries for domain $BX_DOM"
}

# bx_walks LOG FROM: the tenant's walks logged after line FROM: "walks=N
# walk_ms_avg= walk_ms_max= paused=N" (the daemon's pause count is
# cumulative), then the other domains' (the client's) as "other_walks=N",
# then how a refresh's time splits, the tenant's and the client's (means,
# ms): the walk itself (xf_guest_walk: reading guest memory, including the
# frames mapped and the vCPU registers read from Xen), the calls into Xen
# alone, the push (netlink and the module's work), owners sent and deleted
# per walk, requests per push, full pushes, and the last walk's tasks and
# sockets
bx_walks() {
	awk -v from="$2" -v dom="dom $BX_DOM:" '
	function part(name,   v) {
		v = 0
		if (match($0, name " [0-9.]+ ms")) { v = substr($0, RSTART + length(name) + 1); v = v + 0 }
		return v
	}
	function cnt(re,   v) {
		v = 0
		if (match($0, "[0-9]+ " re)) v = substr($0, RSTART) + 0
		return v
	}
	function costs(k) {
		cw[k] += part("walk"); cp[k] += part("push"); cn[k]++
		cx[k] += xen(); ca[k] += cnt("added"); cd[k] += cnt("deleted"); cr[k] += cnt("requests")
		cf[k] += index($0, "push ") && match($0, /ms: full,/) ? 1 : 0
		if (match($0, /: [0-9]+ tasks, [0-9]+ sockets/)) {
			split(substr($0, RSTART + 2, RLENGTH - 2), ts, " ")
			ct[k] = ts[1] + 0; cs[k] = ts[3] + 0
		}
	}
	function xen(   a, b) {
		a = 0; b = 0
		if (match($0, /frames mapped \([0-9.]+ ms/)) a = substr($0, RSTART + 15) + 0
		if (match($0, /Xen calls \([0-9.]+ ms/)) b = substr($0, RSTART + 11) + 0
		return a + b
	}
	/ generation .* in [0-9.]+ ms/ && index($0, dom) == 0 { if (NR > from) { o++; costs("c") } next }
	/ generation .* in [0-9.]+ ms/ {
		p = 0
		if (match($0, /[0-9]+ paused/)) p = substr($0, RSTART, RLENGTH - 7) + 0
		if (NR <= from) { p0 = p; next }
		for (i = 1; i < NF; i++) if ($i == "in" && $(i + 2) == "ms") t = $(i + 1)
		n++; s += t; if (t > mx) mx = t; p1 = p
		costs("t")
	}
	function avg(a, k) { return cn[k] ? a[k] / cn[k] : 0 }
	END { printf "walks=%d walk_ms_avg=%.3f walk_ms_max=%.3f paused=%d other_walks=%d", n, n ? s / n : 0, mx, n ? p1 - p0 : 0, o
		for (k in cn) printf " %s_walk_ms=%.3f %s_xen_ms=%.3f %s_push_ms=%.3f %s_added=%.1f %s_deleted=%.1f %s_requests=%.1f %s_full=%d %s_tasks=%d %s_socks=%d",
			k, avg(cw, k), k, avg(cx, k), k, avg(cp, k), k, avg(ca, k), k, avg(cd, k), k, avg(cr, k), k, cf[k], k, ct[k], k, cs[k]
		printf "\n" }' "$1" 2>/dev/null
}

t_bench_setup() {
	command -v httperf > /dev/null || bx_die "httperf is not in dom0"
	nice -n 19 true || bx_die "no nice in dom0"
	[ -e /xflab/httperf-preload.so ] || bx_die "no /xflab/httperf-preload.so"
	[ -e /xflab/www/xfhttpd ] || bx_die "no /xflab/www/xfhttpd"
	[ -e "$BX_KO" ] || bx_die "module/xfilter.ko is not built"
	command -v xfilterd > /dev/null || bx_die "xfilterd is not built"
	bx_say "tenant $BX_G ($(lab_type "$BX_G"), domain $BX_DOM, $BX_IP): fetching the web server"
	# the server travels over the lab's own network: dom0 serves it once
	busybox httpd -f -p "$LAB_DOM0_IP:8088" -h /xflab/www &
	local hp=$! out
	sleep 0.5
	out=$(LAB_EXEC_TIMEOUT=120 lab_exec "$BX_G" \
		"wget -q -O /tmp/xfhttpd http://$LAB_DOM0_IP:8088/xfhttpd && chmod 755 /tmp/xfhttpd && echo fetched")
	grep -q fetched <<<"$out" || { kill "$hp" 2>/dev/null; bx_die "domU could not fetch the server: $out"; }
	if [ "$BX_CLIENT" = domu ]; then
		bx_say "client $BX_C ($(lab_type "$BX_C"), domain $BX_CDOM): fetching httperf"
		out=$(LAB_EXEC_TIMEOUT=180 lab_exec "$BX_C" \
			"mkdir -p /tmp/bx && cd /tmp/bx && wget -q -O - http://$LAB_DOM0_IP:8088/client.tgz | tar -xzf - &&
			 ./lib/ld-linux-x86-64.so.2 --library-path /tmp/bx/lib ./httperf --version 2>&1 | head -n 1 && echo fetched")
		grep -q fetched <<<"$out" || { kill "$hp" 2>/dev/null; bx_die "the client could not fetch httperf: $out"; }
		bx_say "client: $(head -n 1 <<<"$out")"
	fi
	kill "$hp" 2>/dev/null || true
	# as the web server's user (www, uid 33), like the scenario's
	lab_spawn "$BX_G" www web "exec /tmp/xfhttpd $BX_PORT" > /dev/null || bx_die "cannot start xfhttpd"
	t_wait 30 bash -c "httperf --server $BX_IP --port $BX_PORT --uri / --num-conns 1 --timeout 5 2>&1 |
		grep -q '^Reply status: .* 2xx=1 '" || bx_die "the web server does not answer"
	bx_say "web server up in $BX_G:$BX_PORT; warm-up, then the idle connection time (5/s)"
	bx_httperf 10 100 /tmp/bx-warm.txt || true
	sleep 3
	bx_httperf 5 50 /tmp/bx-idle.txt || true
	bx_say "idle: $(bx_fields /tmp/bx-idle.txt)"
	echo "BXPROBE rate=5 idle=1 $(bx_fields /tmp/bx-idle.txt)"
	bx_fields /tmp/bx-idle.txt | sed -n 's/.* avg=\([0-9.]*\) .*/\1/p' > /tmp/bx-idle-ms
	[ -s /tmp/bx-idle-ms ] || bx_die "no connection time at 5/s"
}

# The highest rate of the ladder at which the domU answers every connection
# with no xFilter: the one every column is then measured at.
t_bench_probe() {
	local r n idle
	idle=$(cat /tmp/bx-idle-ms) || bx_die "no idle connection time"
	bx_state base 0
	for r in $BX_LADDER; do
		n=$((r * BX_PROBE_S))
		[ "$n" -ge 150 ] || n=150
		bx_say "probe: $n connections at $r/s, no xFilter"
		bx_httperf "$r" "$n" "/tmp/bx-probe-$r.txt" || true
		bx_say "probe $r/s: $(bx_fields "/tmp/bx-probe-$r.txt")"
		echo "BXPROBE rate=$r $(bx_fields "/tmp/bx-probe-$r.txt")"
		if bx_sustained "$r" "$n" "/tmp/bx-probe-$r.txt" "$idle"; then
			echo "$r" > /tmp/bx-rate
			echo "BXINFO rate=$r guest=$(lab_type "$BX_G") domid=$BX_DOM"
			bx_say "rate: $r connections/s (sustained without an error)"
			return 0
		fi
		sleep 10	# what the domU still owes the last rate
	done
	bx_die "no rate of [$BX_LADDER] sustained without errors"
}

t_bench_runs() {
	local rate round cfg i n cfgs per from before after f total nr quiet
	rate=$(cat /tmp/bx-rate) || bx_die "no rate from the probe"
	per=$(( (BX_CONNS + BX_ROUNDS - 1) / BX_ROUNDS ))
	read -r -a cfgs <<<"$BX_CONFIGS"
	n=${#cfgs[@]}
	total=$((n * BX_ROUNDS))
	nr=0
	bx_say "measuring: ${cfgs[*]}; $BX_ROUNDS rounds of $per connections at $rate/s each (~$((total * per / rate / 60 + 1)) min of runs)"
	for round in $(seq 1 "$BX_ROUNDS"); do
		# each round starts one configuration later: drift lands on all
		for i in $(seq 0 $((n - 1))); do
			cfg=${cfgs[$(( (i + round - 1) % n ))]}
			nr=$((nr + 1))
			bx_state "$cfg" "$round"
			sleep 3
			# the domU keeps still during the run: its lab agent would
			# otherwise start a process every 3 s (a 2-3 ms stall of
			# the server, once in every ~500 connections at 150/s)
			quiet=1
			lab_snapshot "$BX_G" > /dev/null 2>&1 || quiet=0
			from=$(wc -l < "/tmp/bx-xfd-$cfg-$round.log" 2>/dev/null || echo 0)
			before=$(bx_counters)
			bx_httperf "$rate" "$per" "/tmp/bx-$cfg-$round.txt" || true
			after=$(bx_counters)
			[ "$quiet" = 0 ] || lab_thaw "$BX_G"
			f=$(bx_fields "/tmp/bx-$cfg-$round.txt")
			echo "BXRES cfg=$cfg round=$round rate=$rate quiet=$quiet $f $(bx_walks "/tmp/bx-xfd-$cfg-$round.log" "$from")"
			echo "BXCNT cfg=$cfg round=$round before: $before"
			echo "BXCNT cfg=$cfg round=$round after:  $after"
			bx_hist "/tmp/bx-$cfg-$round.txt" | sed "s/^/BXHIST cfg=$cfg round=$round /"
			sed -n "s/^slow/BXSLOW cfg=$cfg round=$round/p" "/tmp/bx-$cfg-$round.txt.ct" 2>/dev/null
			bx_say "run $nr/$total round $round $cfg: $(awk '{print $1, $2, $3, $5, $6, $7, $8, $9}' <<<"$f")"
			grep -q '^Total: connections' "/tmp/bx-$cfg-$round.txt" ||
				{ cat "/tmp/bx-$cfg-$round.txt" | tail -n 5; t_fail "$cfg round $round: no httperf report"; }
		done
	done
	bx_state base 0
	grep -h -E ' (warn|err): ' /tmp/bx-xfd-*.log 2>/dev/null | sed 's/^[0-9.]* //' | sort |
		uniq -c | sort -rn | head -n 5 | sed 's/^/  xfilterd: /'
	true
}

t_run bench-setup t_bench_setup
t_run bench-probe t_bench_probe
if [ -e /tmp/bx-rate ]; then
	t_run bench-runs t_bench_runs
else
	echo "XFTEST FAIL bench-runs (no rate: setup or probe failed)"
fi
bx_daemon_stop
LAB_EXEC_TIMEOUT=20 lab_exec "$BX_G" \
	'p=$(cat /tmp/web.pid 2>/dev/null); [ "${p:-1}" -gt 1 ] && kill -TERM -$p 2>/dev/null; true' > /dev/null
true
