#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the busybox-static initramfs that the QEMU test guests boot: Debian
# kernel modules with their dependencies, real binaries with their shared
# libraries, extra files, and an /init that runs one test script under bash.
#
#   scripts/mkinitramfs.sh -o OUT.cpio.gz [options] SCRIPT [ARGS...]
#     --kver VER          take modules from /lib/modules/VER (default: KVER,
#                         else the newest installed)
#     --moddir DIR        the module tree is DIR/lib/modules/VER (a kernel
#                         built here, installed with INSTALL_MOD_PATH=DIR)
#     --kmod NAME         Debian module, loaded with its dependencies at boot,
#                         in the order given (repeatable)
#     --kmod-later NAME   Debian module with its dependencies, copied but not
#                         loaded: /etc/xf-modules.d/NAME lists them in load
#                         order for the script (repeatable)
#     --ko FILE           out-of-tree module: copied to /lib/xfilter/, NOT
#                         loaded (the test loads it); its Debian dependencies
#                         are loaded at boot (repeatable)
#     --bin FILE          binary (+ shared libraries): a system binary at its
#                         own path, others in /usr/local/bin (repeatable)
#     --file SRC[:DST]    file or directory (dereferenced) at DST, default SRC
#     --marker STRING     printed by /init when the script exits 0
#                         (default XFGUEST-SUCCESS)
#     --tree DIR          build the tree in DIR (kept) instead of a temp dir
#
# Inside the guest: PATH puts the real binaries first and busybox applets
# (in /bb) last, because Debian's busybox sh runs its own applets before PATH
# (its `ip` has no netns or veth); the script therefore runs under bash.
# /xf/lib/guest.sh is tests/lib/guest.sh. /init prints
#   XFGUEST-START ...              after mounting and loading modules
#   XFGUEST-DMESG-BEGIN/-END       the whole kernel log, after the script
#   <marker> | XFGUEST-FAIL rc=N   the script's result
# and powers off.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=
KVER=${KVER:-}
KMODS=() LATER=() KOS=() BINS=() FILES=()
MARKER=XFGUEST-SUCCESS
TREE=
MODDIR=

usage() { awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	-o) OUT=$2; shift 2 ;;
	--kver) KVER=$2; shift 2 ;;
	--moddir) MODDIR=$2; shift 2 ;;
	--kmod) KMODS+=("$2"); shift 2 ;;
	--kmod-later) LATER+=("$2"); shift 2 ;;
	--ko) KOS+=("$2"); shift 2 ;;
	--bin) BINS+=("$2"); shift 2 ;;
	--file) FILES+=("$2"); shift 2 ;;
	--marker) MARKER=$2; shift 2 ;;
	--tree) TREE=$2; shift 2 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "mkinitramfs: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ -n "$OUT" ] && [ $# -ge 1 ] || usage
SCRIPT=$1
shift
[ -f "$SCRIPT" ] || { echo "mkinitramfs: no script $SCRIPT" >&2; exit 1; }
[ -n "$KVER" ] || KVER=$(ls /lib/modules | sort -V | tail -n 1)
[ -d "$MODDIR/lib/modules/$KVER" ] || { echo "mkinitramfs: no $MODDIR/lib/modules/$KVER" >&2; exit 1; }
MODPROBE=(modprobe)
[ -z "$MODDIR" ] || MODPROBE+=(-d "$MODDIR")

if [ -n "$TREE" ]; then
	rm -rf "$TREE"
	mkdir -p "$TREE"
	ROOT=$(cd "$TREE" && pwd)
else
	ROOT=$(mktemp -d /tmp/xf-initramfs.XXXXXX)
	trap 'rm -rf "$ROOT"' EXIT
fi
# the guest's / (mktemp made it 0700: other uids could reach nothing)
chmod 755 "$ROOT"

# Merged /usr, like the host, so that paths printed by ldd resolve.
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,root,var,bb,xf/lib,lib/xfilter}
ln -s usr/bin "$ROOT/bin"
ln -s usr/sbin "$ROOT/sbin"
# /lib already exists for lib/xfilter: move it under usr/ and link.
mv "$ROOT/lib/xfilter" "$ROOT/usr/lib/xfilter"
rmdir "$ROOT/lib"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"
ln -s /run "$ROOT/var/run"
chmod 1777 "$ROOT/tmp"

add_file() {	# add_file SRC [DST]
	local src=$1 dst=${2:-$1}
	mkdir -p "$ROOT$(dirname "$dst")"
	cp -L "$src" "$ROOT$dst"
}

add_libs() {	# add_libs ELF...: every shared library ldd names
	local b l
	for b in "$@"; do
		for l in $(ldd "$b" 2>/dev/null |
			awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
			[ -e "$ROOT$l" ] || add_file "$l"
		done
	done
}

# add_bin FILE|NAME: system binaries keep their path, others (our own
# tools) go to /usr/local/bin
add_bin() {
	local b=$1
	[ -x "$b" ] || b=$(command -v "$1" || true)
	[ -n "$b" ] && [ -x "$b" ] || { echo "mkinitramfs: no binary $1" >&2; exit 1; }
	case $b in
	/usr/*|/bin/*|/sbin/*) add_file "$b" ;;
	*) add_file "$b" "/usr/local/bin/$(basename "$b")" ;;
	esac
	add_libs "$b"
}

# Debian modules in load order, each once.
modlist=$ROOT/etc/xf-modules
: > "$modlist"
add_kmod() {	# add_kmod NAME
	local ko
	for ko in $("${MODPROBE[@]}" -S "$KVER" --show-depends "$1" | awk '$1 == "insmod" {print $2}'); do
		grep -qxF "$ko" "$modlist" && continue
		add_file "$ko"
		echo "$ko" >> "$modlist"
	done
}
for m in "${KMODS[@]+"${KMODS[@]}"}"; do add_kmod "$m"; done
mkdir -p "$ROOT/etc/xf-modules.d"
for m in "${LATER[@]+"${LATER[@]}"}"; do
	for ko in $("${MODPROBE[@]}" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'); do
		[ -e "$ROOT$ko" ] || add_file "$ko"
		grep -qxF "$ko" "$modlist" || echo "$ko" >> "$ROOT/etc/xf-modules.d/$m"
	done
done
for ko in "${KOS[@]+"${KOS[@]}"}"; do
	[ -f "$ko" ] || { echo "mkinitramfs: no module $ko" >&2; exit 1; }
	cp "$ko" "$ROOT/usr/lib/xfilter/"
	for d in $(modinfo -F depends "$ko" | tr , ' '); do add_kmod "$d"; done
done

# Always: bash for the scripts, iproute2 for namespaces.
for b in bash ip "${BINS[@]+"${BINS[@]}"}"; do add_bin "$b"; done

for f in "${FILES[@]+"${FILES[@]}"}"; do
	src=${f%%:*}
	dst=${f#*:}
	[ "$dst" = "$f" ] && dst=$src
	if [ -d "$src" ]; then
		mkdir -p "$ROOT$dst"
		cp -rL "$src/." "$ROOT$dst/"
		# shared objects inside (iptables extensions) need their libraries
		find "$ROOT$dst" -name '*.so*' -type f | while read -r so; do add_libs "$so"; done
	else
		add_file "$src" "$dst"
	fi
done

for f in /etc/protocols /etc/services; do [ -e "$f" ] && add_file "$f"; done
printf 'root:x:0:0:root:/root:/bin/bash\nxfa:x:1001:1001::/tmp:/bin/sh\nxfb:x:1002:1002::/tmp:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n' \
	> "$ROOT/etc/passwd"
printf 'root:x:0:\nxfa:x:1001:\nxfb:x:1002:\nnogroup:x:65534:\n' > "$ROOT/etc/group"
echo 'hosts: files' > "$ROOT/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$ROOT/etc/hosts"

cp /bin/busybox "$ROOT/bb/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$ROOT/bb/$a"
done
ln -s /bb/busybox "$ROOT/usr/bin/sh"

cp "$TOP/tests/lib/guest.sh" "$ROOT/xf/lib/guest.sh"
install -m 755 "$SCRIPT" "$ROOT/xf/test"
{
	printf 'XF_ARGS=('
	for a in "$@"; do printf '%q ' "$a"; done
	printf ')\n'
} > "$ROOT/xf/args"

cat > "$ROOT/init" <<EOF
#!/bin/sh
# /init of a QEMU test guest (generated by scripts/mkinitramfs.sh).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/bb
export HOME=/root TERM=dumb
/bb/mount -t proc proc /proc
/bb/mount -t sysfs sys /sys
/bb/mount -t devtmpfs dev /dev
/bb/mkdir -p /dev/pts /dev/shm
/bb/mount -t devpts devpts /dev/pts
/bb/mount -t tmpfs tmp /run
/bb/mount -t tmpfs -o mode=1777 tmp /tmp
/bb/mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -e /dev/fd ] || /bb/ln -s /proc/self/fd /dev/fd
/bb/hostname xfguest
ip link set lo up
for m in \$(/bb/cat /etc/xf-modules); do
	/bb/insmod "\$m" || echo "XFGUEST-FAIL insmod \$m"
done
echo "XFGUEST-START kernel=\$(/bb/uname -r) \$(/bb/cat /proc/cmdline)"
cd /xf
/usr/bin/bash -c '. /xf/args; exec /usr/bin/bash /xf/test "\${XF_ARGS[@]}"' < /dev/null
rc=\$?
echo "XFGUEST-DMESG-BEGIN"
/bb/dmesg
echo "XFGUEST-DMESG-END"
if [ \$rc -eq 0 ]; then echo "$MARKER"; else echo "XFGUEST-FAIL rc=\$rc"; fi
/bb/sync
/bb/poweroff -f
EOF
chmod 755 "$ROOT/init"

mkdir -p "$(dirname "$OUT")"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) |
	gzip -1 -n > "$OUT"
