#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit tier: the module's xfilter_* suites, built into a User Mode Linux
# kernel from the linux-source-6.1 tarball with KASAN, lockdep and
# PROVE_RCU, and run by the kernel's own tools/testing/kunit/kunit.py.
# A kernel splat (KASAN, lockdep, RCU, WARN, BUG) after the tests start
# fails the run even when KTAP says ok.
#
#   tests/kunit/run.sh [extra kunit.py run arguments]
#
# The source tree and the build stay under out/kunit (the first run builds
# the kernel, ~7 min on 2 cores; later runs rebuild what changed).
# Prints "kunit: N passed, N failed" and exits 0 only if tests ran and none
# failed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OUT=${KUNIT_OUT:-$TOP/out/kunit}
TARBALL=/usr/src/linux-source-6.1.tar.xz
KSRC=$OUT/linux-source-6.1
BUILD=$OUT/build
LOG=$OUT/kunit.log
JSON=$OUT/results.json

fail() {
	echo "kunit: $*" >&2
	echo "kunit: 0 passed, 1 failed"
	exit 1
}

mkdir -p "$OUT"
[ -f "$TARBALL" ] || fail "$TARBALL missing (scripts/install-deps.sh installs linux-source-6.1)"
if [ ! -f "$KSRC/Makefile" ]; then
	echo "kunit: extracting $(basename "$TARBALL")"
	tar -C "$OUT" -xf "$TARBALL"
fi

# Our sources appear in the tree as drivers/xfilter, a directory of links
# (module/ plus the tests), and the UAPI header as <linux/xfilter.h>.
DRV=$KSRC/drivers/xfilter
rm -rf "$DRV"
mkdir -p "$DRV"
for f in "$TOP"/module/*.[ch] "$TOP"/module/Kbuild "$HERE"/Kconfig "$HERE"/*.c; do
	ln -s "$f" "$DRV/$(basename "$f")"
done
ln -sfn "$TOP/include/uapi/linux/xfilter.h" "$KSRC/include/uapi/linux/xfilter.h"
grep -q 'drivers/xfilter/Kconfig' "$KSRC/drivers/Kconfig" ||
	sed -i 's|^endmenu$|source "drivers/xfilter/Kconfig"\n\nendmenu|' "$KSRC/drivers/Kconfig"
grep -q 'CONFIG_XFILTER' "$KSRC/drivers/Makefile" ||
	echo 'obj-$(CONFIG_XFILTER) += xfilter/' >> "$KSRC/drivers/Makefile"

cd "$KSRC"
rm -f "$JSON" "$LOG" "$BUILD/test.log"
rc=0
python3 tools/testing/kunit/kunit.py run --arch=um --build_dir="$BUILD" \
	--kunitconfig="$HERE/.kunitconfig" --jobs="$(nproc)" --timeout=600 \
	--json="$JSON" "$@" > "$LOG" 2>&1 || rc=$?

# kunit.py's own summary and any failure details, for the CI log.
grep -E '^\[..:..:..\] (Testing complete|.*FAILED|.*CRASHED)|Error|error:' "$LOG" | tail -40 || true

python3 - "$JSON" "$BUILD/test.log" "$rc" <<'PY'
import json, re, sys

SPLAT = re.compile(r'(BUG: |WARNING: |UBSAN: |Kernel panic|general protection fault|'
                   r'possible recursive locking|circular locking dependency|'
                   r'suspicious RCU usage|inconsistent lock state|scheduling while atomic|'
                   r'sleeping function called from invalid context|'
                   r'Call Trace:|kmemleak: .* new suspected)')
counts = {}

def walk(group):
    for case in group.get("test_cases", []):
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    for sub in group.get("sub_groups", []):
        walk(sub)

try:
    walk(json.load(open(sys.argv[1])))
except (OSError, ValueError) as e:
    print(f"kunit: no results ({e})")

splats, started = [], False
try:
    for line in open(sys.argv[2], errors="replace"):
        started = started or "KTAP version" in line or "TAP version" in line
        if started and SPLAT.search(line):
            splats.append(line.rstrip())
except OSError:
    pass
for s in splats[:40]:
    print(f"kunit: kernel splat: {s}")

passed = counts.get("PASS", 0)
failed = counts.get("FAIL", 0) + counts.get("ERROR", 0) + (1 if splats else 0)
if int(sys.argv[3]) and not failed:
    failed = 1          # kunit.py failed (build error, crash, timeout)
print(f"kunit: {passed} passed, {failed} failed")
sys.exit(0 if passed and not failed else 1)
PY
