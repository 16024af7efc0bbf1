#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side of the check-xen scan tests: for each domU, the guest's own /proc
# view (XFGT lines) and `xfilterd scan --domain` (XFSCAN lines) from the lab's
# console go to tests/vmi/compare.py, which prints the XFTEST markers.
# Usage: compare-scan.sh LAB_OUT_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
con=$out/console.log
dir=$out/scan
rm -rf "$dir"
mkdir -p "$dir"
sed -E 's/^ *[0-9.]+ //' "$con" | tr -d '\r' > "$dir/console.txt"
for g in $(sed -n 's/^XFSCAN \([^ ]*\) .*/\1/p' "$dir/console.txt" | sort -u); do
	type=$(sed -n "s/^XFLAB-UP name=$g type=\([a-z]*\) .*/\1/p" "$dir/console.txt" | head -n 1)
	sed -n "s/^XFGT $g //p" "$dir/console.txt" > "$dir/gt-$g.txt"
	# the JSON comes in lines of 1,000 bytes (tests/xen/check.sh)
	sed -n "s/^XFSCAN $g //p" "$dir/console.txt" | tr -d '\n' > "$dir/scan-$g.json"
	# only an HVM domU boots through the decompressor that randomizes
	kaslr=off
	[ "$type" = hvm ] && kaslr=on
	python3 "$top/tests/vmi/compare.py" "xen-$g" "$dir/gt-$g.txt" "$dir/scan-$g.json" 4 "$kaslr"
done
