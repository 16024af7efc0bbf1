#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs cmocka test binaries and prints "<tier>: N passed, N failed" from
# their own summaries. A binary that dies before its summary (a sanitizer
# report, a crash) counts as one failure; no test at all is a failure too.
# Usage: unit-summary.sh NAME BINARY...
name=$1
shift
passed=0
failed=0
for bin in "$@"; do
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*$/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "$bin: exited with status $rc before its summary"
		failed=$((failed + 1))
	fi
done
echo "$name: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
