#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# /init of the Xen lab's dom0: brings up the toolstack and bridge xenbr0,
# starts the domUs listed in /etc/xflab/lab.conf, waits until each answers,
# runs the test script /xflab/test.sh and powers the machine off. Every domU's
# console is copied to dom0's console as "[name] ..." lines while it runs.
# bash, not busybox sh: busybox sh prefers its own applets to PATH, which
# would shadow the real ip/brctl that Xen's hotplug scripts need.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
export HOME=/root
. /etc/xflab/lab.conf
. /xflab/lab.sh

finish() {	# finish: consoles' tails for the record, then power off
	local g
	echo "XFLAB-STAGE finish uptime=$(lab_uptime)"
	for g in $(lab_guests 2>/dev/null); do
		lab_alive "$g" && xl destroy "$g" >/dev/null 2>&1
	done
	sync
	sleep 0.5
	# Xen reboots when dom0 does; QEMU runs with -no-reboot and exits.
	reboot -f
	echo b > /proc/sysrq-trigger
	sleep 1000
}
lab_fatal() {	# lab_fatal MSG: the lab itself failed; diagnostics, then stop
	echo "XFTEST FAIL lab-setup ($*)"
	echo "---- diagnostics ----"
	xl list 2>&1
	xl dmesg 2>&1 | tail -n 30
	dmesg | tail -n 30
	tail -n 20 /var/log/xen/xen-hotplug.log 2>/dev/null
	echo "XFTEST-DONE"
	finish
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/lock /run/xen /run/xenstored /var/lib/xen /var/log/xen/console "$LAB_RUN"
echo "XFLAB-STAGE dom0-init build=[$XFLAB_BUILD_ID] carries=[$XFLAB_HAVE] uptime=$(lab_uptime)"

while read -r m; do
	insmod "$m" || echo "XFLAB-NOTE insmod $m failed"
done < /etc/xflab/dom0-modules
# dependencies of xfilter.ko (it is loaded by the tests themselves)
while read -r m; do
	grep -q "^$(basename "$m" .ko | tr - _) " /proc/modules || insmod "$m" ||
		echo "XFLAB-NOTE insmod $m failed"
done < /etc/xflab/extra-modules

mkdir -p /proc/xen
mount -t xenfs xenfs /proc/xen || lab_fatal "mount xenfs"
grep -q control_d /proc/xen/capabilities || lab_fatal "not a control domain"
XENSTORED_ROOTDIR=/run/xenstored xenstored --pid-file /run/xenstore.pid || lab_fatal "xenstored"
n=0
until xenstore-read -s / >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 150 ] || lab_fatal "xenstored not answering"
	sleep 0.2
done
xen-init-dom0 >/dev/null || lab_fatal "xen-init-dom0"
xenconsoled --pid-file /run/xenconsoled.pid --log=guest \
	--log-dir="$LAB_CONSOLE_DIR" || lab_fatal "xenconsoled"
ip link set lo up
ip link add name "$LAB_BRIDGE" type bridge stp_state 0 forward_delay 0 || lab_fatal "bridge"
ip addr add "$LAB_DOM0_IP/24" dev "$LAB_BRIDGE"
ip link set "$LAB_BRIDGE" up
xl info | grep -E '^(xen_version|nr_cpus|total_memory|free_memory|xen_commandline)'
lab_stage toolstack-up
for m in /xflab/preload/*.ko; do
	[ -e "$m" ] || continue
	echo "XFLAB-NOTE loading $m"
	insmod "$m" || echo "XFLAB-NOTE insmod $m: rc=$?"
done

# Guest table and xl configs. Guest i gets 10.99.0.(10+i).
i=0
echo "$XFLAB_GUESTS" | tr ';' '\n' | while read -r name type work; do
	[ -n "$name" ] || continue
	i=$((i + 1))
	printf '%s %s %s %s.%d 00:16:3e:00:00:%02x\n' "$name" "$type" "$work" \
		"$LAB_NET" $((10 + i)) $((10 + i))
done > "$LAB_RUN/guests"

lab_write_cfg() {	# lab_write_cfg NAME: /etc/xen/NAME.cfg from the table
	local name=$1 type ip mac work cons extra
	type=$(lab_type "$name")
	ip=$(lab_ip "$name")
	mac=$(lab_mac "$name")
	work=$(lab_field "$name" 3)
	cons=hvc0
	[ "$type" = hvm ] && cons=ttyS0
	extra="console=$cons rdinit=/init loglevel=4 xflab.name=$name xflab.ip=$ip/24 xflab.gw=$LAB_DOM0_IP xflab.workload=$work ${XFLAB_DOMU_CMDLINE:-}"
	{
		echo "name = \"$name\""
		echo "type = \"$type\""
		echo "memory = 256"
		echo "vcpus = 1"
		# Xen has a CPU per guest (dom0's vCPU pinned on CPU 0, domU i
		# on CPU i): under QEMU's emulation, a process of a guest that
		# shares a CPU with another guest now and then dies with a
		# corrupted FS base (GPF on its first TLS access).
		case ${XFLAB_DOMU_CPUS:-} in
		own) echo "cpus = \"$(awk -v n="$name" '$1 == n {print NR; exit}' "$LAB_RUN/guests")\"" ;;
		'') ;;
		*) echo "cpus = \"$XFLAB_DOMU_CPUS\"" ;;
		esac
		echo "ramdisk = \"/boot/domU.cpio.gz\""
		echo "extra = \"$extra\""
		# the domU disappears when it crashes or reboots: the lab sees
		# that at once instead of waiting for its timeout
		echo "on_crash = \"destroy\""
		echo "on_reboot = \"destroy\""
		case $type in
		pv)
			echo "kernel = \"/boot/vmlinux-domU\""
			echo "vif = [ 'bridge=$LAB_BRIDGE,mac=$mac' ]"
			;;
		pvh)
			echo "kernel = \"/boot/vmlinux-domU\""
			# Xen would emulate RDTSCP for it; QEMU's TCG reports an
			# intercepted RDTSCP as RDTSC and the guest dies
			echo "tsc_mode = \"native\""
			echo "vif = [ 'bridge=$LAB_BRIDGE,mac=$mac' ]"
			;;
		hvm)
			# direct boot of the bzImage through hvmloader + SeaBIOS:
			# its decompressor runs, so this guest has KASLR
			echo "kernel = \"/boot/bzImage-domU\""
			echo "tsc_mode = \"native\""
			echo "serial = \"file:$LAB_CONSOLE_DIR/serial-$name.log\""
			echo "vga = \"none\""
			echo "vnc = 0"
			echo "sdl = 0"
			# PV NIC only: no emulated NIC, no tap device in dom0
			echo "vif = [ 'bridge=$LAB_BRIDGE,mac=$mac,type=vif' ]"
			;;
		esac
	} > "/etc/xen/$name.cfg"
}

lab_stream_console() {	# copies a domU's console to ours, prefixed
	local name=$1 f
	f=$(lab_console_file "$name")
	touch "$f"
	tail -n +1 -F "$f" 2>/dev/null | while IFS= read -r l; do
		printf '[%s] %s\n' "$name" "${l%$'\r'}"
	done &
}

# HVM guests boot slowest (firmware, then the kernel through fw_cfg): start
# them first.
ok=1
for g in $(lab_guests_of hvm) $(lab_guests_of pvh) $(lab_guests_of pv); do
	lab_write_cfg "$g"
	lab_stream_console "$g"
	lab_stage "xl-create $g ($(lab_type "$g"))"
	if ! xl create "/etc/xen/$g.cfg" > "$LAB_RUN/create-$g.log" 2>&1; then
		cat "$LAB_RUN/create-$g.log"
		tail -n 30 "/var/log/xen/xl-$g.log" 2>/dev/null
		tail -n 30 "/var/log/xen/qemu-dm-$g.log" 2>/dev/null
		echo "XFTEST FAIL lab-boot-$g (xl create failed)"
		ok=0
	fi
done
lab_stage xl-create-done
xl list

# Wait for every domU at once; each waiter records its verdict.
for g in $(lab_guests); do
	lab_alive "$g" || continue
	( if lab_wait_guest "$g" "$XFLAB_BOOT_TIMEOUT"; then
		echo ok > "$LAB_RUN/up-$g"
	  else
		echo fail > "$LAB_RUN/up-$g"
	  fi ) &
done
for g in $(lab_guests); do
	while lab_alive "$g" && [ ! -e "$LAB_RUN/up-$g" ]; do sleep 0.5; done
	if [ "$(cat "$LAB_RUN/up-$g" 2>/dev/null)" = ok ]; then
		echo "XFTEST PASS lab-boot-$g"
	else
		sleep 1
		echo "XFTEST FAIL lab-boot-$g (did not come up; console follows)"
		lab_console "$g" 60
		xl dmesg | grep -a -E "\(d$(lab_domid "$g" 2>/dev/null || echo x)\)" | tail -n 20
		tail -n 20 "/var/log/xen/qemu-dm-$g.log" 2>/dev/null
		ok=0
	fi
done
lab_stage domUs-up
xl list

if [ $ok = 0 ]; then
	echo "XFLAB-NOTE a domU did not come up: the test script is not run"
	echo "XFTEST-DONE"
	finish
fi

if [ -e /xflab/test.sh ]; then
	left=$(( XFLAB_DEADLINE - $(lab_now) ))
	[ "$left" -gt "$XFLAB_TEST_TIMEOUT" ] && left=$XFLAB_TEST_TIMEOUT
	[ "$left" -gt 10 ] || left=10
	lab_stage "test start (limit ${left}s)"
	timeout -k 5 "$left" bash -c '
		cd /xflab
		. /etc/xflab/lab.conf
		. /xflab/lab.sh
		. /xflab/guest.sh
		. /xflab/test.sh
		t_done' < /dev/null
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "XFTEST FAIL test-script-timeout (${left}s)"
		echo "XFTEST-DONE"
	fi
	lab_stage "test end rc=$rc"
else
	echo "XFTEST-DONE"
fi
finish
