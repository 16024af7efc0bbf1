#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-unit: every userspace suite (cmocka under ASan+UBSan) and the bounded
# fuzz runs of tools/, then one closing line for the whole tier. Each cmocka
# case and each fuzz target counts as one test.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
log=$TOP/out/unit.log
mkdir -p "$TOP/out"

make --no-print-directory -C "$TOP/tools" check 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# cmocka: "[  PASSED  ] 7 test(s)." and "[  FAILED  ] 1 test(s), listed below:"
# fuzz:   "fuzz: 2 passed, 0 failed (...)", one line per part
read -r passed failed < <(awk '
	/^\[  PASSED  \] [0-9]+ test/ { p += $4 }
	/^\[  FAILED  \] [0-9]+ test/ { f += $4 }
	/^fuzz: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
	END { print p + 0, f + 0 }' "$log")

# make stopped early (build error, crash, fuzz finding) without a cmocka
# failure line: still a failure of the tier
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
echo "unit: $passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
