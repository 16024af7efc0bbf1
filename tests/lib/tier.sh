# SPDX-License-Identifier: GPL-2.0
# Host-side helpers shared by the test tiers (sourced, bash).
#
# Tests inside a QEMU guest or Xen dom0 print one marker line each:
#   XFTEST PASS <name>      XFTEST FAIL <name> <reason>
# and the guest's last words are "XFTEST-DONE" (a guest that dies before that
# fails the tier). tier_summary counts the markers in a console log, prints
# "<tier>: N passed, N failed" and returns non-zero when a test failed,
# nothing ran, or the done marker is missing.

tier_summary() {	# tier_summary TIER LOG
	local tier=$1 log=$2 pass fail done
	pass=$(tr -d '\r' < "$log" | grep -a -c '^XFTEST PASS ' || true)
	fail=$(tr -d '\r' < "$log" | grep -a -c '^XFTEST FAIL ' || true)
	done=$(tr -d '\r' < "$log" | grep -a -c '^XFTEST-DONE' || true)
	tr -d '\r' < "$log" | grep -a '^XFTEST FAIL ' | sed 's/^/  /' || true
	if [ "$done" -eq 0 ]; then
		echo "$tier: guest did not finish (no XFTEST-DONE; see $log)"
		fail=$((fail + 1))
	fi
	echo "$tier: $pass passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}

# Kernel splats that fail a run even when every test said PASS.
SPLAT_RE='(BUG: |WARNING: |UBSAN: |Kernel panic|general protection fault|possible recursive locking|circular locking dependency|suspicious RCU usage|inconsistent lock state|scheduling while atomic|sleeping function called from invalid context|kmemleak: .* new suspected|Oops: )'

splat_check() {	# splat_check LOG: prints splats, returns 1 if any
	local n
	n=$(tr -d '\r' < "$1" | grep -a -c -E "$SPLAT_RE" || true)
	if [ "$n" -gt 0 ]; then
		echo "kernel splats in $1:"
		tr -d '\r' < "$1" | grep -a -E "$SPLAT_RE" | head -n 20 | sed 's/^/  /'
		return 1
	fi
	return 0
}
