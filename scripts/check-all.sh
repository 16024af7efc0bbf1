#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the given test tiers (make check-<tier>), keeps going after a failure,
# and prints one closing line per tier plus a total. Exit 1 if any tier
# failed.
#
# The debug tier runs beside the others: its kernel build (several minutes)
# and its one-vCPU QEMU fill the core the other tiers mostly leave idle,
# which takes several minutes off the whole run on two cores. What the
# tiers share is built first, so that the two lanes never build in the same
# directory at once. Its output is kept in out/check-debug.log and printed
# whole when it ends. XF_CHECK_SERIAL=1 runs every tier in order instead.
set -u
cd "$(dirname "$0")/.."
declare -A result
failed=0
t0=$SECONDS
lane=()
bg=
bglog=out/check-debug.log

run_tier() {
	local t=$1 start=$SECONDS

	echo "==== check-$t ===="
	if make --no-print-directory "check-$t"; then
		result[$t]="ok   ($((SECONDS - start)) s)"
	else
		result[$t]="FAIL ($((SECONDS - start)) s)"
		failed=$((failed + 1))
	fi
}

# what the netns and debug tiers both use, built once before they run apart
prebuild() {
	make --no-print-directory all &&
		make -s -C tests/tools &&
		make -s -C tests/tools build/xfnlfuzz-san
}

for t in "$@"; do
	if [ "$t" = debug ] && [ "${XF_CHECK_SERIAL:-0}" != 1 ] && [ $# -gt 1 ] && [ -z "$bg" ]; then
		bg=pending
	else
		lane+=("$t")
	fi
done

if [ "$bg" = pending ]; then
	echo "==== building what the tiers share ===="
	if prebuild; then
		mkdir -p out
		echo "==== check-debug: started beside the other tiers (output: $bglog, printed when it ends) ===="
		trap 'trap - INT TERM; kill 0; exit 130' INT TERM
		(
			start=$SECONDS
			# not niced: a niced build would starve beside the Xen
			# tier and start the tests late, beside it instead of
			# beside the one-vCPU tiers
			if scripts/build-debug-kernel.sh; then
				# -o all: built above; the other lane may be running Kbuild
				make --no-print-directory -o all check-debug
				rc=$?
			else
				echo "netns-debug: 0 passed, 1 failed"
				rc=1
			fi
			echo "check-debug: exit $rc after $((SECONDS - start)) s"
			exit $rc
		) > "$bglog" 2>&1 &
		bg=$!
		bgstart=$SECONDS
	else
		echo "building what the tiers share failed: the debug tier runs after the others"
		bg=
		lane+=(debug)
	fi
fi

for t in "${lane[@]}"; do
	run_tier "$t"
done

if [ -n "$bg" ]; then
	while kill -0 "$bg" 2>/dev/null; do
		echo "==== check-debug: still running ($((SECONDS - bgstart)) s): $(tail -n 1 "$bglog" | cut -c1-100)"
		for _ in $(seq 60); do
			kill -0 "$bg" 2>/dev/null || break
			sleep 1
		done
	done
	wait "$bg"
	rc=$?
	echo "==== check-debug (ran beside the other tiers) ===="
	cat "$bglog"
	if [ "$rc" -eq 0 ]; then
		result[debug]="ok   ($((SECONDS - bgstart)) s, beside the others)"
	else
		result[debug]="FAIL ($((SECONDS - bgstart)) s, beside the others)"
		failed=$((failed + 1))
	fi
fi

echo "==== summary ===="
for t in "$@"; do printf '  check-%-6s %s\n' "$t" "${result[$t]:-not run}"; done
echo "tiers: $(($# - failed)) passed, $failed failed ($((SECONDS - t0)) s)"
[ "$failed" -eq 0 ]
