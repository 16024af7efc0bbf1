# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers (sourced by test scripts running inside a QEMU guest or
# Xen dom0; busybox sh or bash). Each test is a shell function run in a
# subshell; it passes when it returns 0. Markers go to stdout, which the
# runner sends to the console.

XFT_PASS=0
XFT_FAIL=0

# Where t_fail leaves its mark. A test body runs as an `if` condition, and
# there the shell ignores `set -e`: a `cond || t_fail ...` in the middle of a
# test would otherwise be forgotten as soon as the next command succeeds.
XFT_FAILED=${TMPDIR:-/tmp}/.xft-failed

# t_run NAME FUNC [ARGS...]: runs one test, prints its marker.
t_run() {
	_name=$1
	shift
	echo "---- test $_name"
	_t0=$(cut -d' ' -f1 /proc/uptime)
	rm -f "$XFT_FAILED"
	if ( set -e; "$@" ) && [ ! -e "$XFT_FAILED" ]; then
		echo "XFTEST PASS $_name ($(awk -v a="$_t0" '{printf "%.1f", $1 - a}' /proc/uptime) s)"
		XFT_PASS=$((XFT_PASS + 1))
	else
		echo "XFTEST FAIL $_name (rc=$?)"
		XFT_FAIL=$((XFT_FAIL + 1))
	fi
}

# t_fail MSG: explains a failure, marks the test failed, returns 1
# (use: cond || t_fail "why")
t_fail() {
	echo "  FAILED: $*" >&2
	: >> "$XFT_FAILED"
	return 1
}

# t_eq WHAT GOT WANT
t_eq() {
	[ "$2" = "$3" ] && return 0
	t_fail "$1: got '$2', want '$3'"
}

# t_cmd CMD...: prints the command, runs it
t_cmd() {
	echo "  + $*" >&2
	"$@"
}

# t_wait SECONDS CMD...: polls CMD every 0.2 s until it succeeds
t_wait() {
	_n=$(($1 * 5))
	shift
	while [ $_n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}

t_done() {
	echo "guest: $XFT_PASS passed, $XFT_FAIL failed"
	echo "XFTEST-DONE"
}
