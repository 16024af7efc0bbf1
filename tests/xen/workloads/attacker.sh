#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# domU workload (run as uid 1001): the intruder's port scan. Port 25 on four
# addresses, then ports 22 and 443, one attempt at a time, forever; one line
# per attempt: "<uptime> <addr>:<port> <xfnet result>".
while :; do
	for target in 10.99.0.1:25 10.99.0.2:25 10.99.0.3:25 10.99.0.4:25 \
		      10.99.0.1:22 10.99.0.1:443; do
		t=$(cut -d' ' -f1 /proc/uptime)
		echo "$t $target $(portscan -w 2 send tcp "${target%:*}" "${target#*:}" 64)"
	done
done
