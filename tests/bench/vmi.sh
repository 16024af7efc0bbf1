#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-vmi: a Debian 6.1 guest with >= 1,000 processes and >= 10,000
# sockets under QEMU (TCG), dumped once; then instructions per full walk and
# per targeted lookup (valgrind callgrind, counting only inside the walk or
# lookup function), pages touched, and wall-clock times.
# Goals: <= 30 M instructions per full walk, <= 50 k per targeted lookup.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/out/bench-vmi
mkdir -p "$out"
xfd=$top/tools/xfilterd
make -s -C "$xfd" xfilterd build/xfbench || exit 1
"$top/tests/vmi/mkinitramfs.sh" "$out" || exit 1
kernel=$(ls /boot/vmlinuz-6.1.*-amd64 | sort -V | tail -n 1)
con=$out/console.log qmp=$out/qmp core=$out/bench.core
WALKS=${WALKS:-5} LOOKUPS=${LOOKUPS:-2000}

if [ ! -s "$core" ] || [ "${REDUMP:-0}" = 1 ]; then
	rm -f "$con" "$qmp" "$core"
	timeout 900 qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -cpu max,la57=off \
		-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=1 xfbench" \
		-display none -serial "file:$con" -qmp "unix:$qmp,server,nowait" \
		-no-reboot -nic none &
	pid=$!
	waited=0
	until grep -aq '^BENCH-READY' "$con" 2>/dev/null; do
		if ! kill -0 $pid 2>/dev/null || [ $waited -ge 800 ]; then
			echo "bench-vmi: guest not ready (see $con)"
			kill $pid 2>/dev/null
			exit 1
		fi
		sleep 5
		waited=$((waited + 5))
	done
	grep -a '^BENCH-READY' "$con"
	sleep 2
	timeout 600 python3 "$top/tests/vmi/qmp.py" "$qmp" dump "$core" || exit 1
	wait $pid
fi

echo "== wall clock (native build, -O2)"
"$xfd/build/xfbench" "$core" "$WALKS" "$LOOKUPS" | tee "$out/native.txt"
"$xfd/build/xfbench" "$core" 0 "$LOOKUPS" hash | grep targeted | tee -a "$out/native.txt"

count() {	# count FUNCTION WALKS LOOKUPS CALLS [hash]: instructions per call
	local f=$out/callgrind.$1${5:-}
	valgrind --tool=callgrind --toggle-collect="$1" --callgrind-out-file="$f" \
		"$xfd/build/xfbench" "$core" "$2" "$3" ${5:-} > /dev/null 2>&1 || return 1
	awk -v n="$4" '/^(summary|totals):/ { printf "%.0f\n", $2 / n; exit }' "$f"
}
echo "== instructions (valgrind callgrind)"
walk_ir=$(count bench_walk_once 3 0 3)
lookup_ir=$(count bench_lookup_once 0 500 500)
hash_ir=$(count bench_lookup_once 0 500 500 hash)
echo "full walk: $walk_ir instructions (goal <= 30000000)"
echo "targeted lookup: $lookup_ir instructions (goal <= 50000)"
echo "targeted lookup through the guest's hash tables only (a flow newer than the last walk): $hash_ir instructions"
ok=0
[ -n "$walk_ir" ] && [ "$walk_ir" -le 30000000 ] && ok=$((ok + 1))
[ -n "$lookup_ir" ] && [ "$lookup_ir" -le 50000 ] && ok=$((ok + 1))
echo "bench-vmi: $ok passed, $((2 - ok)) failed"
[ $ok = 2 ]
