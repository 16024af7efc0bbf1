#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Xen lab runner: boots Xen 4.17 under QEMU with a PV dom0 (Debian's kernel,
# initramfs only) carrying the Xen toolstack, xfilter.ko and the tools, starts
# the requested PV/PVH/HVM domUs on bridge xenbr0, runs a test script in dom0
# and judges the run from the console's XFTEST markers.
#
#   scripts/xen-lab.sh [options]
#     --guests "SPEC..."   domUs, each TYPE or NAME:TYPE[:WORKLOAD[+WORKLOAD]]
#                          with TYPE pv|pvh|hvm (default "pv pvh hvm")
#     --test FILE          dom0 test script (sourced with tests/lib/guest.sh and
#                          scripts/xen-lab/lab.sh; default: none, boot only)
#     --tier NAME          name on the closing "NAME: N passed, N failed" line
#     --timeout S          hard limit for the whole QEMU run (default 600)
#     --boot-timeout S     per domU, from xl create to answering (default 900)
#     --test-timeout S     the dom0 test script (default: what is left)
#     --add SRC:DST        extra file into dom0 (repeatable)
#     --pkg-root DIR       dom0 runs the module, tools, configuration file and
#                          unit unpacked from the .debs (scripts/deb-root.sh
#                          DEBDIR DIR), not the build tree's
#     --dom0-cmdline STR   extra dom0 kernel parameters
#     --post CMD           host-side check after the run: CMD OUTDIR prints
#                          more XFTEST marker lines (repeatable)
#     --quiet              host shows only markers and progress (default when
#                          stdout is not a tty: the full console is in the log)
#     --verbose            host shows the whole console
#     --build-only         build the initramfs images and stop
#   Env: XFLAB_ADD ("SRC:DST ..." as --add; a *.ko put under /xflab/preload/
#        is loaded once the toolstack is up, e.g. for fault injection),
#        XFLAB_DOMU_CMDLINE (appended to every domU's kernel command line),
#        XFLAB_OUT (default out/xen-lab), KVER, XFLAB_MEM (MiB, default
#        1024 + 320 per domU + 512), XFLAB_SMP (default 1 + one per domU),
#        XFLAB_ICOUNT (off by default; 1: QEMU runs with -icount
#        shift=0,sleep=off, other words are taken as -icount's options:
#        guest time counts guest instructions, one a nanosecond, and skips
#        idle time, so timings in the guests do not depend on the host's
#        load; one host thread runs every vCPU. The lab's deadline then
#        follows guest time no more: --timeout bounds the run, and
#        XFLAB_STALL (seconds, default 1200, 0: off) stops a lab whose
#        console stays silent that long, a guest spinning in its boot).
#
# Exit: 0 when every marker passed and no kernel splat was seen, 1 otherwise,
# 2 on usage errors. The console log (with host time stamps) is in
# $XFLAB_OUT/console.log; QEMU-start-to-first-ping per guest in
# $XFLAB_OUT/timings.txt.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LABDIR=$TOP/scripts/xen-lab
. "$TOP/tests/lib/tier.sh"

OUT=${XFLAB_OUT:-$TOP/out/xen-lab}
KVER=${KVER:-$(ls /lib/modules | sort -V | tail -n 1)}
XENVER=4.17
XENLIB=/usr/lib/xen-$XENVER
HVM_DM=/usr/libexec/xen-qemu-system-i386	# libxl's default device model

GUESTS="pv pvh hvm"
TEST=
TIER=xen-lab
TIMEOUT=600
BOOT_TIMEOUT=900
TEST_TIMEOUT=
ADDS=()
PKG_ROOT=
POSTS=()
DOM0_EXTRA=
VERBOSE=auto
BUILD_ONLY=0

usage() { sed -n '3,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--guests) GUESTS=$2; shift ;;
	--test) TEST=$2; shift ;;
	--tier) TIER=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--boot-timeout) BOOT_TIMEOUT=$2; shift ;;
	--test-timeout) TEST_TIMEOUT=$2; shift ;;
	--add) ADDS+=("$2"); shift ;;
	--pkg-root) PKG_ROOT=$2; shift ;;
	--dom0-cmdline) DOM0_EXTRA=$2; shift ;;
	--post) POSTS+=("$2"); shift ;;
	--quiet) VERBOSE=0 ;;
	--verbose) VERBOSE=1 ;;
	--build-only) BUILD_ONLY=1 ;;
	-h|--help) usage ;;
	*) echo "xen-lab: unknown option $1" >&2; usage ;;
	esac
	shift
done
[ "$VERBOSE" = auto ] && { [ -t 1 ] && VERBOSE=1 || VERBOSE=0; }
[ -z "$TEST" ] || [ -r "$TEST" ] || { echo "xen-lab: no test script $TEST" >&2; exit 2; }
[ -z "$PKG_ROOT" ] || [ -s "$PKG_ROOT/xen-lab.args" ] ||
	{ echo "xen-lab: $PKG_ROOT/xen-lab.args missing (scripts/deb-root.sh)" >&2; exit 2; }

log() { echo "[xen-lab $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Guests: "NAME:TYPE:WORKLOADS" triples, validated here so a typo costs no boot.
NG=0
GUEST_LINES=
for spec in $GUESTS; do
	IFS=: read -r g_name g_type g_work <<<"$spec"
	if [ -z "${g_type:-}" ]; then g_type=$g_name; fi
	case $g_type in pv|pvh|hvm) ;; *) echo "xen-lab: bad guest type in '$spec'" >&2; exit 2 ;; esac
	[[ $g_name =~ ^[a-z][a-z0-9-]{0,15}$ ]] || { echo "xen-lab: bad guest name in '$spec'" >&2; exit 2; }
	NG=$((NG + 1))
	[ $NG -le 8 ] || { echo "xen-lab: at most 8 guests" >&2; exit 2; }
	GUEST_LINES+="$g_name $g_type ${g_work:--}"$'\n'
done
MEM=${XFLAB_MEM:-$((1024 + 320 * NG + 512))}
# One emulated CPU for dom0 and one for each domU, so that Xen never
# switches between two guests on one CPU (see dom0-init.sh); idle ones cost
# the host nothing. (dom0 with two pinned vCPUs and 5 CPUs hung at boot.)
SMP=${XFLAB_SMP:-$((NG + 1))}
CPU=${XFLAB_CPU:-max}
ICOUNT=${XFLAB_ICOUNT:-0}
case $ICOUNT in
0|'') ICOUNT= ;;
1) ICOUNT=shift=0,sleep=off ;;
esac
STALL=${XFLAB_STALL:-1200}
[[ $STALL =~ ^[0-9]+$ ]] || { echo "xen-lab: XFLAB_STALL must be a number of seconds" >&2; exit 2; }

# --- initramfs helpers ------------------------------------------------------
ROOT=
put() {	# put SRC [DST]: file into $ROOT (symlinks followed)
	local src=$1 dst=${2:-$1}
	mkdir -p "$ROOT$(dirname "$dst")"
	cp -L "$src" "$ROOT$dst"
}
put_libs() {	# put_libs BIN...: the shared libraries they need
	local b l
	for b in "$@"; do
		for l in $(ldd "$b" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
			[ -e "$ROOT$l" ] || put "$l"
		done
	done
}
put_bin() {	# put_bin BIN...: binaries at the same path, with libraries
	local b
	for b in "$@"; do put "$b"; put_libs "$b"; done
}
put_modules() {	# put_modules LIST MOD...: modules + dependencies, load order in LIST
	local list=$1 m
	shift
	for m in "$@"; do
		modprobe -S "$KVER" --show-depends "$m" | awk '$1=="insmod"{print $2}'
	done | awk '!seen[$0]++' >> "$ROOT$list"
	while read -r m; do [ -e "$ROOT$m" ] || put "$m"; done < "$ROOT$list"
}
new_root() {	# merged-/usr skeleton
	ROOT=$1
	rm -rf "$ROOT"
	mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,root,var/lib,var/log}
	ln -s usr/bin "$ROOT/bin"
	ln -s usr/sbin "$ROOT/sbin"
	ln -s usr/lib "$ROOT/lib"
	ln -s usr/lib64 "$ROOT/lib64"
	ln -s /run "$ROOT/var/run"
}
busybox_links() {	# applets where no real binary was put
	local a
	put /bin/busybox /usr/bin/busybox
	for a in $(/bin/busybox --list-full); do
		[ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /usr/bin/busybox "$ROOT/$a"
	done
}
mkcpio() {	# mkcpio DIR OUT [gzip]
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) > "$2.tmp"
	if [ "${3:-}" = gzip ]; then
		gzip -1 -n -c "$2.tmp" > "$2"
		rm -f "$2.tmp"
	else
		mv "$2.tmp" "$2"
	fi
}

# --- base image: Xen, kernels, toolstack (cached) ---------------------------
# Rebuilt when the installed packages, the kernel or this runner change.
BASE_PKGS="xen-hypervisor-$XENVER-amd64 xen-utils-$XENVER xenstore-utils qemu-system-xen
	seabios busybox-static bash iproute2 bridge-utils socat jq procps linux-image-$KVER"

base_key() {
	{
		# shellcheck disable=SC2086
		dpkg-query -W -f='${Package} ${Version}\n' $BASE_PKGS 2>&1
		echo "$KVER"
		sed -n '/^# --- base image/,/^# --- end base image/p' "$0"
	} | sha256sum | cut -c1-16
}

build_base() {
	local key t0=$SECONDS
	key=$(base_key)
	if [ -e "$OUT/base/key" ] && [ "$(cat "$OUT/base/key")" = "$key" ] &&
	   [ -e "$OUT/base/dom0-base.cpio" ]; then
		return 0
	fi
	log "building the base image (Xen, kernels, toolstack); cached in $OUT/base"
	[ -e "/boot/vmlinuz-$KVER" ] || die "/boot/vmlinuz-$KVER missing (linux-image-amd64)"
	[ -e "/boot/xen-$XENVER-amd64.gz" ] || die "Xen $XENVER missing (scripts/install-deps.sh)"
	[ -x "$HVM_DM" ] || die "$HVM_DM missing (qemu-system-xen)"
	rm -rf "$OUT/base"
	mkdir -p "$OUT/base"
	# QEMU's multiboot loader wants the plain ELF
	zcat "/boot/xen-$XENVER-amd64.gz" > "$OUT/base/xen"
	# Uncompressed vmlinux for dom0 and PV/PVH domUs: spares the xz
	# decompression in Xen and in libxenguest (inside emulated dom0).
	local off
	off=$(perl -0777 -ne 'print index($_, "\xfd7zXZ\x00")' "/boot/vmlinuz-$KVER")
	[ "$off" -gt 0 ] || die "no xz payload in /boot/vmlinuz-$KVER"
	# (tail may die of SIGPIPE once xz has its stream: judge the result)
	tail -c +$((off + 1)) "/boot/vmlinuz-$KVER" | xz -dc --single-stream > "$OUT/base/vmlinux" || true
	[ "$(head -c 4 "$OUT/base/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
		die "could not unpack vmlinux from /boot/vmlinuz-$KVER"

	new_root "$OUT/base/root"
	mkdir -p "$ROOT/etc/xflab"
	: > "$ROOT/etc/xflab/dom0-modules"
	put_modules /etc/xflab/dom0-modules xen-evtchn xen-gntdev xen-gntalloc xen-privcmd \
		xenfs xen-netback bridge
	put_bin "$XENLIB"/bin/{xl,xenstored,xenconsoled,xenconsole,xen-init-dom0,libxl-save-helper}
	put_bin /usr/bin/xenstore
	local x
	for x in read write rm exists list ls chmod watch; do
		ln -s xenstore "$ROOT/usr/bin/xenstore-$x"
	done
	for x in xl xenstored xenconsoled; do
		ln -s "../lib/xen-$XENVER/bin/$x" "$ROOT/usr/sbin/$x"
	done
	# hotplug scripts and tests want bash and the real network tools
	put_bin /bin/bash "$(command -v ip)" "$(command -v bridge)" "$(command -v brctl)" \
		/usr/bin/flock /usr/bin/stat /usr/bin/socat /usr/bin/jq /usr/bin/timeout \
		/usr/bin/setsid /usr/bin/pgrep /usr/bin/pkill /usr/bin/ps /usr/bin/ss
	put /lib/x86_64-linux-gnu/libgcc_s.so.1	# dlopen()ed by glibc (pthread_cancel)
	cp -a /etc/xen "$ROOT/etc/"
	# domU kernels: vmlinux for PV/PVH, bzImage for HVM (its decompressor
	# picks the KASLR offsets)
	put "$OUT/base/vmlinux" /boot/vmlinux-domU
	put "/boot/vmlinuz-$KVER" /boot/bzImage-domU
	# HVM: device model, hvmloader, SeaBIOS, option ROMs, keymaps (loaded
	# even with -vnc none)
	put_bin "$HVM_DM"
	put "$XENLIB/boot/hvmloader"
	local f
	for f in /usr/share/seabios/* /usr/share/qemu/linuxboot.bin /usr/share/qemu/linuxboot_dma.bin \
		 /usr/share/qemu/kvmvapic.bin /usr/share/qemu/keymaps/*; do
		[ -f "$f" ] && put "$f"
	done
	busybox_links
	mkcpio "$ROOT" "$OUT/base/dom0-base.cpio"
	rm -rf "$OUT/base/root"
	echo "$key" > "$OUT/base/key"
	log "base image built in $((SECONDS - t0)) s ($(du -h "$OUT/base/dom0-base.cpio" | cut -f1))"
}
# --- end base image ----------------------------------------------------------

# --- test programs, static so that they run in dom0 and the domUs alike ----
# xfnet: traffic with exact outcomes; xfwork: processes holding known sockets
# under chosen uids and comms; xfguest: the scenario's long-lived mail sender
# and port scanner. The domU names its copies after the roles of
# the scenario, since a task's comm is the name it was started under.
build_progs() {
	mkdir -p "$OUT/bin"
	local src dst pair
	for pair in tests/tools/xfnet.c:xfnet tests/vmi/workload.c:xfwork tests/xen/xfguest.c:xfguest; do
		src=${pair%%:*}
		dst=$OUT/bin/${pair#*:}
		[ -e "$TOP/$src" ] || die "$src missing"
		if [ ! -e "$dst" ] || [ "$TOP/$src" -nt "$dst" ]; then
			# (the linker's note on getaddrinfo in static programs does
			# not apply: the lab uses numeric addresses only)
			gcc -O2 -static -pthread -Wall -Wextra -Werror -o "$dst" "$TOP/$src" \
				2> "$dst.log" || { cat "$dst.log" >&2; die "cannot build $src"; }
		fi
	done
}

# --- domU initramfs: busybox, netfront, xenstore client, workloads -----------
build_domu() {
	new_root "$OUT/domU-root"
	put "$OUT/bin/xfnet" /usr/bin/xfnet
	put "$OUT/bin/xfwork" /usr/bin/xfwork
	put "$OUT/bin/xfguest" /usr/bin/xfguest
	local r
	for r in webserve scanner2; do
		ln -s xfnet "$ROOT/usr/bin/$r"
	done
	for r in mailsend portscan; do
		ln -s xfguest "$ROOT/usr/bin/$r"
	done
	mkdir -p "$ROOT/etc/xflab/workloads"
	: > "$ROOT/etc/xflab/domU-modules"
	put_modules /etc/xflab/domU-modules xen-netfront
	put_bin /usr/bin/xenstore
	# dlopen()ed by glibc when xs_close() cancels its reader thread: without
	# it every xenstore-watch that ends aborts (the agent's idle waits)
	put /lib/x86_64-linux-gnu/libgcc_s.so.1
	local x
	for x in read write rm exists list ls chmod watch; do
		ln -s xenstore "$ROOT/usr/bin/xenstore-$x"
	done
	install -m 755 "$LABDIR/domU-init.sh" "$ROOT/init"
	if [ -d "$TOP/tests/xen/workloads" ]; then
		cp "$TOP"/tests/xen/workloads/*.sh "$ROOT/etc/xflab/workloads/" 2>/dev/null || true
		chmod 755 "$ROOT"/etc/xflab/workloads/* 2>/dev/null || true
	fi
	# uid 1000 is an ordinary user, uid 1001 the one the scenario's
	# attacker logged in as
	cat > "$ROOT/etc/passwd" <<-EOF
	root:x:0:0:root:/root:/bin/sh
	user:x:1000:1000:user:/tmp:/bin/sh
	eve:x:1001:1001:eve:/tmp:/bin/sh
	www:x:33:33:www:/tmp:/bin/sh
	EOF
	printf 'root:x:0:\nuser:x:1000:\neve:x:1001:\nwww:x:33:\n' > "$ROOT/etc/group"
	busybox_links
	mkcpio "$ROOT" "$OUT/domU.cpio.gz" gzip
	rm -rf "$OUT/domU-root"
}

# --- per-run overlay: our module and tools, lab scripts, test, config -------
build_overlay() {
	new_root "$OUT/overlay"
	mkdir -p "$ROOT/xflab" "$ROOT/etc/xflab"
	install -m 755 "$LABDIR/dom0-init.sh" "$ROOT/init"
	install -m 644 "$LABDIR/lab.sh" "$ROOT/xflab/lab.sh"
	install -m 644 "$TOP/tests/lib/guest.sh" "$ROOT/xflab/guest.sh"
	put "$OUT/domU.cpio.gz" /boot/domU.cpio.gz
	put "$OUT/bin/xfnet" /usr/bin/xfnet
	if [ -n "$TEST" ]; then
		install -m 644 "$TEST" "$ROOT/xflab/test.sh"
		# helpers next to the test script travel with it
		local d f
		d=$(dirname "$TEST")
		for f in "$d"/lib-*.sh; do
			[ -e "$f" ] && install -m 644 "$f" "$ROOT/xflab/$(basename "$f")"
		done
	fi
	: > "$ROOT/etc/xflab/extra-modules"
	local have=
	if [ -n "$PKG_ROOT" ]; then
		put_pkg
	elif [ -e "$TOP/module/xfilter.ko" ]; then
		put "$TOP/module/xfilter.ko" /xflab/xfilter.ko
		local deps
		deps=$(modinfo -F depends "$TOP/module/xfilter.ko" | tr ',' ' ')
		# shellcheck disable=SC2086
		[ -n "$deps" ] && put_modules /etc/xflab/extra-modules $deps
		have+=" xfilter.ko"
	fi
	local t
	for t in xfilterctl xfilterd; do
		if [ -z "$PKG_ROOT" ] && [ -x "$TOP/tools/$t/$t" ]; then
			put "$TOP/tools/$t/$t" "/usr/sbin/$t"
			put_libs "$TOP/tools/$t/$t"
			have+=" $t"
		fi
	done
	local a
	# shellcheck disable=SC2206
	[ -n "${XFLAB_ADD:-}" ] && ADDS+=($XFLAB_ADD)
	for a in "${ADDS[@]+"${ADDS[@]}"}"; do
		put "${a%%:*}" "${a#*:}"
	done
	{
		echo "XFLAB_GUESTS='$(echo "$GUEST_LINES" | sed '/^$/d' | tr '\n' ';')'"
		echo "XFLAB_BOOT_TIMEOUT=$BOOT_TIMEOUT"
		echo "XFLAB_TEST_TIMEOUT=${TEST_TIMEOUT:-$TIMEOUT}"
		# dom0's uptime trails QEMU's start by Xen's boot: leave a margin so
		# the test's own timeout fires before the host kills QEMU
		# (under icount guest time is instructions, not host time: the host's
		# timeout alone bounds the run)
		echo "XFLAB_DEADLINE=$([ -n "$ICOUNT" ] && echo $((TIMEOUT * 100)) || echo $((TIMEOUT - 45)))"
		echo "XFLAB_HAVE='${have# }'"
		echo "XFLAB_PKG=$([ -n "$PKG_ROOT" ] && echo 1 || echo 0)"
		echo "XFLAB_DOMU_CPUS='${XFLAB_DOMU_CPUS-own}'"
		echo "XFLAB_DOMU_CMDLINE='${XFLAB_DOMU_CMDLINE:-}'"
		echo "XFLAB_BUILD_ID='$(date -u +%Y%m%dT%H%M%SZ) $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)'"
	} > "$ROOT/etc/xflab/lab.conf"
	mkcpio "$ROOT" "$OUT/overlay.cpio"
	rm -rf "$OUT/overlay"
	log "dom0 carries:${have:- (no xfilter.ko, no tools)}"
}

# The packaged pieces where the packages put them (and the module also as
# /xflab/xfilter.ko, where the tests load it from), the module's
# dependencies, kmod for modprobe/depmod/modinfo, and for the tests: the
# SHA256SUMS of what was unpacked, VERSION, and the build tree's own hashes
# (so that a test can tell the two apart).
put_pkg() {
	local r=$PKG_ROOT a ko deps
	ko=$r/lib/modules/$KVER/updates/dkms/xfilter.ko
	[ -f "$ko" ] || die "$ko missing: the packages were unpacked for another kernel"
	while read -r a; do
		a=${a#--add }
		put "${a%%:*}" "${a#*:}"
	done < <(grep '^--add ' "$r/xen-lab.args")
	put "$ko" "/lib/modules/$KVER/updates/dkms/xfilter.ko"
	put "$r/lib/systemd/system/xfilterd.service" /lib/systemd/system/xfilterd.service
	put_libs "$r/usr/sbin/xfilterd" "$r/usr/sbin/xfilterctl"
	deps=$(modinfo -F depends "$ko" | tr ',' ' ')
	# shellcheck disable=SC2086
	[ -n "$deps" ] && put_modules /etc/xflab/extra-modules $deps
	put_bin /usr/bin/kmod
	for a in modules.builtin modules.builtin.modinfo modules.order; do
		[ -e "/lib/modules/$KVER/$a" ] && put "/lib/modules/$KVER/$a"
	done
	for a in modprobe depmod modinfo rmmod insmod lsmod; do
		ln -sf ../bin/kmod "$ROOT/usr/sbin/$a"
	done
	put "$TOP/VERSION" /xflab/VERSION
	(cd "$TOP" && sha256sum module/xfilter.ko tools/xfilterd/xfilterd tools/xfilterctl/xfilterctl \
		2>/dev/null) > "$ROOT/xflab/build-tree.sha256" || true
	have+=" xfilter.ko xfilterctl xfilterd (packaged, $(modinfo -F version "$ko"))"
}

build() {
	mkdir -p "$OUT"
	build_base
	build_progs
	build_domu
	build_overlay
	# Linux unpacks concatenated cpio archives in order; later files win.
	cat "$OUT/base/dom0-base.cpio" "$OUT/overlay.cpio" > "$OUT/dom0.cpio"
}

# --- boot --------------------------------------------------------------------
boot() {
	# smap=0: with SMAP, the PV dom0 dies on its first exception under QEMU
	# TCG (#PF in Xen's create_bounce_frame writing the guest stack).
	local xen_cmd="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 dom0_vcpus_pin smap=0 loglvl=all guest_loglvl=all"
	local dom0_cmd="console=hvc0 earlyprintk=xen rdinit=/init oops=panic panic=5 $DOM0_EXTRA"
	# icount needs single-threaded TCG: one host thread runs the vCPUs in turn
	local accel=(-accel tcg,thread=multi)
	[ -z "$ICOUNT" ] || accel=(-accel tcg,thread=single -icount "$ICOUNT")
	local qemu=(qemu-system-x86_64 -machine pc "${accel[@]}" -cpu "$CPU" -smp "$SMP"
		-m "$MEM" -display none -monitor none -serial stdio -nic none -no-reboot
		-kernel "$OUT/base/xen" -append "$xen_cmd"
		-initrd "$OUT/base/vmlinux $dom0_cmd,$OUT/dom0.cpio")
	local rc=0
	rm -f "$OUT/console.log" "$OUT/console-raw.log"
	log "booting: ${NG} domU(s) [$(echo "$GUEST_LINES" | awk 'NF{printf "%s%s:%s", s, $1, $2; s=" "}')], QEMU -m $MEM -smp $SMP${ICOUNT:+ -icount $ICOUNT}, timeout ${TIMEOUT}s"
	log "console: $OUT/console.log"
	# Under icount guest time is instructions, so a guest that spins (an
	# HVM boot was once seen looping before its kernel's first line) never
	# reaches a guest-side deadline: the host stops a lab whose console
	# stayed silent for XFLAB_STALL seconds instead of waiting out --timeout.
	local wd=
	rm -f "$OUT/stalled"
	if [ -n "$ICOUNT" ] && [ "$STALL" -gt 0 ]; then
		stall_watch "$STALL" "$OUT/base/vmlinux" &
		wd=$!
	fi
	# Each console line gets the host's seconds since QEMU start; progress
	# lines (lab stages, markers, guest ups, panics) are shown as they come.
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | perl -MTime::HiRes=time -e '
		my ($raw, $ts, $verbose) = @ARGV; my $t0 = time; $| = 1;
		open(my $r, ">", $raw) or die; open(my $t, ">", $ts) or die;
		$r->autoflush(1); $t->autoflush(1);
		while (my $l = <STDIN>) {
			print $r $l; $l =~ s/\r//g;
			my $s = sprintf("%7.2f %s", time - $t0, $l); print $t $s;
			print $s if $verbose || $l =~ /^(XFLAB|XFTEST|DEMO|  FAILED)|Kernel panic|\(XEN\) .*(Panic|FATAL)|^\[[a-z0-9-]+\] .*(XFTEST|DOMU-FAIL|Kernel panic)/;
		}' "$OUT/console-raw.log" "$OUT/console.log" "$VERBOSE" || rc=$?
	[ -z "$wd" ] || kill "$wd" 2>/dev/null || true
	[ -z "$wd" ] || wait "$wd" 2>/dev/null || true
	[ "$rc" -eq 0 ] || log "QEMU pipeline rc=$rc (124: the ${TIMEOUT}s limit hit)"
	RUN_RC=$rc
}

# stall_watch SECONDS KERNEL: stops the QEMU whose -initrd starts with
# KERNEL (this lab's dom0 kernel) once the console log has not grown for
# SECONDS (checked every 15 s)
stall_watch() {
	local limit=$1 re age
	re=$(printf '%s' "$2" | sed 's/[][\.*^$+?(){}|]/\\&/g')
	while sleep 15; do
		[ -f "$OUT/console-raw.log" ] || continue
		age=$(( $(date +%s) - $(stat -c %Y "$OUT/console-raw.log") ))
		[ "$age" -ge "$limit" ] || continue
		echo "$age" > "$OUT/stalled"
		log "the lab's console has been silent for ${age}s (XFLAB_STALL=$limit): stopping QEMU"
		pkill -TERM -f -- "^qemu-system-x86_64 .* -initrd $re " || true
		return 0
	done
}

# Host-side verdicts, added as markers to what tier_summary counts.
judge() {
	local res=$OUT/host-results.log log=$OUT/console.log
	: > "$res"
	if [ -f "$OUT/stalled" ]; then
		echo "XFTEST FAIL host-run-stalled (QEMU stopped: console silent for $(cat "$OUT/stalled")s)" >> "$res"
	elif [ "${RUN_RC:-0}" = 124 ] || [ "${RUN_RC:-0}" = 137 ]; then
		echo "XFTEST FAIL host-run-timeout (QEMU killed after ${TIMEOUT}s)" >> "$res"
	fi
	# Xen's own log lines are not kernel splats (Xen prints "WARNING:" for
	# benign boot notes); Xen crashes are caught separately.
	sed -E 's/^ *[0-9.]+ //' "$log" | grep -a -v '^(XEN) ' > "$OUT/kernels.log" || true
	if splat_check "$OUT/kernels.log" > "$OUT/splats.txt"; then
		echo "XFTEST PASS host-no-kernel-splat" >> "$res"
	else
		cat "$OUT/splats.txt" >&2
		echo "XFTEST FAIL host-no-kernel-splat (see $OUT/splats.txt)" >> "$res"
	fi
	if grep -a -q -E '\(XEN\) .*(Panic on CPU|FATAL TRAP|Assertion .* failed)' "$log"; then
		grep -a -E '\(XEN\) .*(Panic on CPU|FATAL TRAP|Assertion)' "$log" | head -n 5 >&2
		echo "XFTEST FAIL host-xen-no-crash" >> "$res"
	fi
	timings
	local p
	for p in "${POSTS[@]+"${POSTS[@]}"}"; do
		$p "$OUT" > "$OUT/post.log" 2>&1 || true
		grep -v '^XFTEST' "$OUT/post.log" >&2 || true
		grep -a -E '^XFTEST (PASS|FAIL) ' "$OUT/post.log" | tee -a "$res" >&2 || true
	done
	sed -E 's/^ *[0-9.]+ //' "$log" > "$OUT/markers.log"
	cat "$res" >> "$OUT/markers.log"
	tier_summary "$TIER" "$OUT/markers.log"
}

# QEMU start to first ping answered, per guest, from the host's time stamps.
timings() {
	local f=$OUT/timings.txt line
	grep -a -E '^ *[0-9.]+ XFLAB-UP ' "$OUT/console.log" > "$OUT/ups.txt" || true
	[ -s "$OUT/ups.txt" ] || return 0
	echo "time from QEMU start to first ping answered (host seconds):" >&2
	while read -r line; do
		set -- $line
		local t=$1 name type
		name=$(sed -n 's/.* name=\([^ ]*\).*/\1/p' <<<"$line")
		type=$(sed -n 's/.* type=\([^ ]*\).*/\1/p' <<<"$line")
		printf '  %-10s %-4s %7.1f s\n' "$name" "$type" "$t" >&2
		printf '%s %s %s %s %.1f\n' "$(date -u +%FT%TZ)" "$TIER" "$name" "$type" "$t" >> "$f"
	done < "$OUT/ups.txt"
}

main() {
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 missing: run scripts/install-deps.sh"
	local t0=$SECONDS rc=0
	build
	[ "$BUILD_ONLY" = 1 ] && { log "built $OUT/dom0.cpio"; return 0; }
	RUN_RC=0
	boot
	judge || rc=1
	log "wall time $((SECONDS - t0)) s"
	return $rc
}
# One line, read whole before it runs: editing this file during a run is safe.
main; exit $?
