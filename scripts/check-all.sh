#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the given test tiers in order (make check-<tier>), keeps going after a
# failure, and prints one closing line per tier plus a total. Exit 1 if any
# tier failed.
set -u
cd "$(dirname "$0")/.."
declare -A result
failed=0
for t in "$@"; do
	start=$SECONDS
	echo "==== check-$t ===="
	if make --no-print-directory "check-$t"; then
		result[$t]="ok   ($((SECONDS - start)) s)"
	else
		result[$t]="FAIL ($((SECONDS - start)) s)"
		failed=$((failed + 1))
	fi
done
echo "==== summary ===="
for t in "$@"; do printf '  check-%-6s %s\n' "$t" "${result[$t]}"; done
echo "tiers: $(($# - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
