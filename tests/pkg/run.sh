#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-pkg: the Debian packages. Builds xfilter-dkms and xfilter-tools from
# a copy of the tree, lints them, installs them on this machine (dpkg -i),
# has DKMS build the module against Debian's 6.1 headers, verifies the
# systemd units, the configuration file and that every piece reports the
# same version (VERSION), then boots the installed units under systemd
# (tests/pkg/systemd.sh). Prints "pkg: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
top=$PWD
. tests/lib/tier.sh

# Debian's amd64 kernel whose headers are installed (the newest, as `make` picks)
KVER=${PKG_KVER:-$(ls -d /lib/modules/*-amd64/build 2>/dev/null | sort -V | tail -n 1 |
	xargs -r dirname | xargs -r basename)}
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
ver=$(cat VERSION)
out=$top/out/pkg
log=$out/pkg.log
debs=$out/deb
rm -rf "$out"
mkdir -p "$out"
: > "$log"

pass() { echo "XFTEST PASS $1" | tee -a "$log"; }
fail() { echo "XFTEST FAIL $1 ${2:-}" | tee -a "$log"; }
check() {	# check NAME CMD...: PASS when CMD succeeds
	local name=$1
	shift
	if "$@" >> "$out/$name.out" 2>&1; then pass "$name"; else
		fail "$name" "(see out/pkg/$name.out)"
		tail -n 15 "$out/$name.out" | sed 's/^/    /'
	fi
}
eq() {	# eq NAME GOT WANT
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# ---- build ----
eq changelog-version "$(dpkg-parsechangelog -S Version)" "$ver"
leftovers() {	# what a build in the source tree would leave
	ls -d debian/files debian/.debhelper debian/xfilter-tools debian/xfilter-dkms \
		debian/debhelper-build-stamp debian/*.substvars 2>/dev/null
}
before=$(leftovers)
check build scripts/build-deb.sh "$debs"
dkms_deb=$(ls "$debs"/xfilter-dkms_"$ver"_all.deb 2>/dev/null)
tools_deb=$(ls "$debs"/xfilter-tools_"$ver"_*.deb 2>/dev/null | grep -v dbgsym)
if [ -n "$dkms_deb" ] && [ -n "$tools_deb" ]; then pass debs-exist; else
	fail debs-exist "no xfilter-dkms/xfilter-tools $ver in $debs"; fi
eq source-tree-clean "$(leftovers)" "$before"

# ---- contents ----
c=$(dpkg-deb -c "$tools_deb" 2>/dev/null | awk '{print $6}')
missing=
for f in ./usr/sbin/xfilterd ./usr/sbin/xfilterctl ./usr/share/man/man8/xfilterd.8.gz \
	./usr/share/man/man8/xfilterctl.8.gz ./usr/share/man/man5/xfilterd.conf.5.gz \
	./lib/systemd/system/xfilterd.service ./lib/systemd/system/xfilter-rules.service \
	./etc/xfilter/xfilterd.conf; do
	grep -qxF "$f" <<< "$c" || missing="$missing $f"
done
eq tools-contents "${missing# }" ""
c=$(dpkg-deb -c "$dkms_deb" 2>/dev/null | awk '{print $6}')
missing=
for f in dkms.conf Kbuild VERSION module/Kbuild module/main.c include/uapi/linux/xfilter.h; do
	grep -qxF "./usr/src/xfilter-$ver/$f" <<< "$c" || missing="$missing $f"
done
eq dkms-contents "${missing# }" ""

# ---- lintian: no errors (warnings are listed) ----
lintian --allow-root "$dkms_deb" "$tools_deb" > "$out/lintian.txt" 2>&1
lrc=$?
sed 's/^/    /' "$out/lintian.txt"
if [ $lrc -eq 0 ] && ! grep -q '^E:' "$out/lintian.txt"; then pass lintian; else
	fail lintian "$(grep -c '^E:' "$out/lintian.txt") errors (rc $lrc)"; fi

# ---- install ----
check dpkg-install $SUDO dpkg -i "$dkms_deb" "$tools_deb"
eq dpkg-status "$(dpkg-query -W -f='${db:Status-Abbrev}${Version} ' xfilter-dkms xfilter-tools 2>&1)" \
	"ii $ver ii $ver "
cf=$(dpkg-query -W -f='${Conffiles}' xfilter-tools 2>/dev/null | awk '{print $1}')
eq conffile "$cf" "/etc/xfilter/xfilterd.conf"

# ---- DKMS against Debian's 6.1 headers ----
check dkms-build $SUDO dkms build -m xfilter -v "$ver" -k "$KVER" --force
check dkms-install $SUDO dkms install -m xfilter -v "$ver" -k "$KVER" --force
st=$(dkms status -m xfilter -v "$ver" -k "$KVER" 2>&1)
echo "    $st"
case "$st" in *": installed"*) pass dkms-status ;; *) fail dkms-status "$st" ;; esac
ko=$(modinfo -k "$KVER" -n xfilter 2>/dev/null)
case "$ko" in */updates/dkms/xfilter.ko*) pass modinfo-dkms-path ;;
	*) fail modinfo-dkms-path "modinfo finds '$ko'" ;; esac
vm=$(modinfo -k "$KVER" -F vermagic xfilter 2>/dev/null)
case "$vm" in "$KVER "*) pass module-vermagic ;; *) fail module-vermagic "'$vm'" ;; esac

# ---- one version everywhere ----
eq version-modinfo "$(modinfo -k "$KVER" -F version xfilter 2>/dev/null)" "$ver"
eq version-xfilterd "$(/usr/sbin/xfilterd --version 2>&1)" "xfilterd $ver"
v=$(/usr/sbin/xfilterctl --version 2>&1)
eq version-xfilterctl "${v%% (*}" "xfilterctl $ver"
eq version-dpkg "$(dpkg-query -W -f='${Version}' xfilter-tools)" "$ver"
eq version-dkms-source "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' /usr/src/xfilter-"$ver"/dkms.conf)" "$ver"

# ---- systemd units ----
units="/lib/systemd/system/xfilterd.service /lib/systemd/system/xfilter-rules.service"
systemd-analyze verify $units > "$out/verify.txt" 2>&1
vrc=$?
sed 's/^/    /' "$out/verify.txt"
if [ $vrc -eq 0 ] && [ ! -s "$out/verify.txt" ]; then pass systemd-analyze-verify; else
	fail systemd-analyze-verify "rc $vrc"; fi
for u in $units; do
	n=$(basename "$u" .service)
	systemd-analyze security --offline=yes --threshold=30 "$u" > "$out/security-$n.txt" 2>&1
	src=$?
	echo "    $(tail -n 1 "$out/security-$n.txt")"
	[ $src -eq 0 ] && pass "exposure-$n" || fail "exposure-$n" "exposure above 3.0 (rc $src)"
done
u=/lib/systemd/system/xfilterd.service
ok=1
for k in 'After=.*xen.service' 'After=.*xenstored.service' 'After=.*xen-init-dom0.service' \
	'Before=.*xendomains.service' 'ExecStartPre=+/sbin/modprobe xfilter' \
	'ExecStart=/usr/sbin/xfilterd run --config /etc/xfilter/xfilterd.conf' \
	'RestrictAddressFamilies=AF_NETLINK AF_UNIX' 'DevicePolicy=closed' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict'; do
	grep -q "^$k" "$u" || { echo "    $u: no '$k'"; ok=0; }
done
# rules are the module's: stopping the daemon must not touch them
grep -Eq '^(ExecStop|ExecStopPost)=.*(flush|rule)' "$u" && { echo "    $u flushes rules"; ok=0; }
grep -q '^ExecStart=/usr/sbin/xfilterctl restore /etc/xfilter/rules' \
	/lib/systemd/system/xfilter-rules.service || ok=0
[ $ok = 1 ] && pass unit-contents || fail unit-contents

# ---- configuration file ----
conf_run() {	# conf_run ARGS...: the daemon's dry run against a missing core
	timeout 60 /usr/sbin/xfilterd run --dry-run --once --log-level err \
		--core /nonexistent.core:3 "$@" 2>&1
}
o=$(conf_run --config /etc/xfilter/xfilterd.conf; echo "rc=$?")
eq conf-shipped-parses "$(grep -c '^rc=0' <<< "$o")" 1
printf 'period_ms = 200\nfail_mode = closed\ndom.3.max_entries = 100\n' > "$out/good.conf"
o=$(conf_run --config "$out/good.conf")
eq conf-applied "$(grep '^{' <<< "$o")" '{"domid":3,"fail_mode":2,"max_entries":100}'
o=$(conf_run --config "$out/good.conf" --fail-mode open --max-entries 7)
eq conf-cmdline-overrides "$(grep '^{' <<< "$o")" '{"domid":3,"fail_mode":1,"max_entries":7}'
printf '# ok\nperiod_ms = 200\nfail_mode = ajar\n' > "$out/bad.conf"
o=$(conf_run --config "$out/bad.conf"; echo "rc=$?")
eq conf-bad-line "$(head -n 1 <<< "$o") $(tail -n 1 <<< "$o")" \
	"xfilterd: $out/bad.conf:3: fail_mode must be open or closed rc=2"

# ---- a lab root from the packages ----
check deb-root scripts/deb-root.sh "$debs" "$out/root" "$KVER"
eq deb-root-module "$(modinfo -F version "$out/root/lib/modules/$KVER/updates/dkms/xfilter.ko" 2>&1)" "$ver"
eq deb-root-daemon "$("$out/root/usr/sbin/xfilterd" --version 2>&1)" "xfilterd $ver"

missing=
for a in $(sed -n 's/^--add \([^:]*\):.*/\1/p' "$out/root/xen-lab.args" 2>/dev/null); do
	[ -f "$a" ] || missing="$missing $a"
done
[ -s "$out/root/xen-lab.args" ] && [ -z "$missing" ] && pass deb-root-lab-args ||
	fail deb-root-lab-args "missing:$missing"

# ---- make dkms-install / dkms-remove from the tree (package out of the way) ----
if $SUDO dpkg -r xfilter-dkms >> "$out/dkms-make.out" 2>&1 &&
   $SUDO make --no-print-directory dkms-install KVER="$KVER" >> "$out/dkms-make.out" 2>&1; then
	st=$(dkms status -m xfilter -v "$ver" -k "$KVER" 2>&1)
	v=$(modinfo -k "$KVER" -F version xfilter 2>&1)
	if [[ $st == *": installed"* ]] && [ "$v" = "$ver" ]; then pass make-dkms-install; else
		fail make-dkms-install "status '$st', modinfo version '$v'"; fi
else
	fail make-dkms-install "(see out/pkg/dkms-make.out)"
fi
$SUDO make --no-print-directory dkms-remove >> "$out/dkms-make.out" 2>&1
st=$(dkms status -m xfilter 2>&1)
if [ -z "$st" ] && [ ! -e "/usr/src/xfilter-$ver" ]; then pass make-dkms-remove; else
	fail make-dkms-remove "left: '$st'"; fi
check dpkg-reinstall $SUDO dpkg -i "$dkms_deb"

# ---- the packaged module and tools at work (QEMU, Debian's 6.1 kernel) ----
r=$out/root
printf '# saved by xfilterctl save\nrule add dom 3 uid 1001 drop\n%s\n%s\n' \
	'rule add dom 3 comm nc proto tcp peer-port 25 reject prio 10' \
	'rule add dom 3 pid 812 log' > "$out/rules"
printf 'period_ms = 500\nfail_mode = closed\ndom.3.max_entries = 1234\n' > "$out/test.conf"
glog=$top/out/qemu/pkg/console.log
if [ -f "$r/usr/sbin/xfilterd" ] && [ -f "$r/lib/modules/$KVER/updates/dkms/xfilter.ko" ]; then
	scripts/qemu-run.sh -q -n pkg -t 600 -m 512 --kver "$KVER" --kmod dummy \
		--ko "$r/lib/modules/$KVER/updates/dkms/xfilter.ko" \
		--bin "$r/usr/sbin/xfilterd" --bin "$r/usr/sbin/xfilterctl" \
		--file "$r/usr/sbin/xfilterd:/usr/sbin/xfilterd" \
		--file "$r/usr/sbin/xfilterctl:/usr/sbin/xfilterctl" \
		--file "$r/lib/systemd/system/xfilterd.service:/lib/systemd/system/xfilterd.service" \
		--file "$r/lib/systemd/system/xfilter-rules.service:/lib/systemd/system/xfilter-rules.service" \
		--file "$r/etc/xfilter/xfilterd.conf:/etc/xfilter/xfilterd.conf" \
		--file "$out/rules:/etc/xfilter/rules" --file "$out/test.conf:/etc/xfilter/test.conf" \
		--file "$top/VERSION:/xf/VERSION" \
		--file "$top/tools/xfilterd/fuzz/corpus/real-6.1-la57:/xf/seed.core" \
		tests/pkg/guest.sh > "$out/qemu.out" 2>&1
	tr -d '\r' < "$glog" | grep -a -E '^XFTEST (PASS|FAIL) ' | tee -a "$log"
	tr -d '\r' < "$glog" | grep -a -q '^XFTEST-DONE' ||
		fail pkg-guest "no XFTEST-DONE (see $glog)"
	splat_check "$glog" > /dev/null || fail pkg-guest-splat "(see $glog)"
else
	fail pkg-guest "no packaged root"
fi

# ---- the installed units under systemd (QEMU: this machine's root, read-only) ----
# the packages installed above (xfilter-tools, xfilter-dkms's module) boot
# under systemd with their sandboxing; see tests/pkg/systemd.sh
if [ -f /lib/systemd/system/xfilterd.service ] && [ -n "$(modinfo -k "$KVER" -n xfilter 2>/dev/null)" ]; then
	t0=$SECONDS
	tests/pkg/systemd.sh "$out/systemd" "$KVER" "$out/rules" 2>&1 | tee -a "$log"
	echo "    pkg-systemd: $((SECONDS - t0)) s"
else
	fail pkg-systemd-guest "xfilter-tools or the DKMS module not installed here"
fi

echo XFTEST-DONE >> "$log"
tier_summary pkg "$log"
