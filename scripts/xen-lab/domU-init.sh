#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the Xen lab's domU initramfs (busybox sh): brings up eth0 from the
# kernel command line (xflab.ip=, xflab.gw=), starts the workloads named in
# xflab.workload= (a+b+c, scripts in /etc/xflab/workloads), then serves
# commands that dom0 leaves in this domain's xenstore directory data/xflab
# (see scripts/xen-lab/lab.sh in dom0).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
up() { cut -d' ' -f1 /proc/uptime; }
arg() { sed -n "s/.*xflab\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run
mount -t devpts devpts /dev/pts
chmod 1777 /tmp
NAME=$(arg name)
IP=$(arg ip)
GW=$(arg gw)
hostname "${NAME:-domu}"
echo "DOMU-STAGE init name=$NAME uptime=$(up)"

while read -r m; do insmod "$m" || echo "DOMU-NOTE insmod $m failed"; done < /etc/xflab/domU-modules
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
[ -e /sys/class/net/eth0 ] || echo "DOMU-FAIL no eth0 (xen-netfront)"
ip link set lo up
ip addr add "$IP" dev eth0
ip link set eth0 up
[ -n "$GW" ] && ip route add default via "$GW"
echo "DOMU-STAGE eth0-up ip=$IP uptime=$(up)"

W=$(arg workload)
for w in $(echo "$W" | tr '+' ' '); do
	[ "$w" = - ] && continue
	if [ -x "/etc/xflab/workloads/$w.sh" ]; then
		echo "DOMU-STAGE workload $w"
		setsid "/etc/xflab/workloads/$w.sh" > "/tmp/workload-$w.log" 2>&1 &
	else
		echo "DOMU-FAIL no workload $w"
	fi
done

# Command agent. dom0 writes cmd (base64), user, bg, then seq; the agent
# runs it and answers with nout + out/N (base64 chunks), rc, then done=seq.
X=data/xflab
xs_ok=0
for i in $(seq 1 100); do
	xenstore-write "$X/ready" 0 2>/dev/null && { xs_ok=1; break; }
	sleep 0.2
done
[ $xs_ok = 1 ] || echo "DOMU-FAIL cannot write xenstore $X"
xenstore-write "$X/ready" 1
echo "DOMU-STAGE agent-ready uptime=$(up)"
# @snapshot: this domain's own /proc view (tasks, inet sockets, socket fds)
# as "GT ..." lines, for dom0 to compare with what it reads from our memory.
# The listing runs in this shell, with no child of its own alive but the one
# waiting for dom0's "thaw", so the processes dom0 then sees are exactly the
# listed ones (workloads, this shell, the waiter) until it says thaw.
gt_view() {
	echo "GT UNAME $(uname -r)"
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ -r "$d/status" ] || continue
		k=U
		[ -s "$d/cmdline" ] || k=K
		# few processes per task: each fork costs in a nested guest
		awk -v p="$p" -v k="$k" '/^Tgid:/{t=$2} /^Uid:/{u=$2} /^Gid:/{g=$2}
			FILENAME ~ /comm$/ {c=$0}
			END{print "GT TASK " p " " k " " t " " u " " g " " c}' "$d/status" "$d/comm" 2>/dev/null
		ls -l "$d/fd" 2>/dev/null |
			sed -n "s/.* \([0-9][0-9]*\) -> socket:\[\([0-9]*\)\]\$/GT FD $p \1 \2/p"
	done
	for t in tcp tcp6 udp udp6; do
		sed "1d; s/^/GT NET $t /" "/proc/net/$t"
	done
	echo "GT-END"
}

# Idle waits block in xenstore-watch (its first event fires at once, the
# second on a change); the 3 s bound covers a change that lands between the
# read and the watch. Polling instead would cost the nested guests real CPU.
last=
while true; do
	s=$(xenstore-read "$X/seq" 2>/dev/null)
	if [ -z "$s" ] || [ "$s" = "$last" ]; then
		timeout 3 xenstore-watch -n 2 "$X/seq" > /dev/null 2>&1
		continue
	fi
	last=$s
	xenstore-read "$X/cmd" | base64 -d > /tmp/xflab-cmd 2>/dev/null
	user=$(xenstore-read "$X/user" 2>/dev/null)
	bg=$(xenstore-read "$X/bg" 2>/dev/null)
	chmod 644 /tmp/xflab-cmd
	if [ "$(cat /tmp/xflab-cmd)" = @snapshot ]; then
		xenstore-rm "$X/thaw" 2>/dev/null
		timeout 300 xenstore-watch -n 2 "$X/thaw" > /dev/null 2>&1 &
		waiter=$!
		# a busybox timeout's watcher outlives its command by up to a
		# second: let the idle loop's last one go before listing
		sleep 1.5
		gt_view > /tmp/xflab-out 2>&1
		rc=0
	elif [ -n "$bg" ]; then
		cp /tmp/xflab-cmd "/tmp/$bg.cmd"
		chmod 644 "/tmp/$bg.cmd"
		if [ "${user:-root}" = root ]; then
			setsid sh "/tmp/$bg.cmd" > "/tmp/$bg.log" 2>&1 < /dev/null &
		else
			setsid su -s /bin/sh -c "sh /tmp/$bg.cmd" "$user" > "/tmp/$bg.log" 2>&1 < /dev/null &
		fi
		echo $! > "/tmp/$bg.pid"
		echo $! > /tmp/xflab-out
		rc=0
	elif [ "${user:-root}" = root ]; then
		sh /tmp/xflab-cmd > /tmp/xflab-out 2>&1 < /dev/null
		rc=$?
	else
		su -s /bin/sh -c "sh /tmp/xflab-cmd" "$user" > /tmp/xflab-out 2>&1 < /dev/null
		rc=$?
	fi
	# xenstored refuses values over 2048 bytes from a domU: 1500-byte
	# chunks, at most 64 of them (dom0 reads no more)
	head -c 70000 /tmp/xflab-out | base64 -w 0 > /tmp/xflab-out.b64
	size=$(wc -c < /tmp/xflab-out.b64)
	xenstore-rm "$X/out" 2>/dev/null
	k=0
	while [ $((k * 1500)) -lt "$size" ]; do
		xenstore-write "$X/out/$k" "$(dd if=/tmp/xflab-out.b64 bs=1500 skip=$k count=1 2>/dev/null)" ||
			echo "DOMU-NOTE xenstore-write out/$k failed"
		k=$((k + 1))
	done
	xenstore-write "$X/nout" "$k" "$X/rc" "$rc"
	xenstore-write "$X/done" "$s"
	if [ -n "${waiter:-}" ]; then
		wait "$waiter"
		waiter=
	fi
done
