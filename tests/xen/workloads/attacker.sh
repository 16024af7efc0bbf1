#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# domU workload (run as uid 1001): the intruder's port scanner, one
# long-lived process. Port 25 on four addresses, then ports 22 and 443, one
# attempt at a time, each open connection held 1.5 s; one line per attempt:
# "<uptime> <addr>:<port> result=...".
exec portscan scan -w 2 -k 1500 10.99.0.1:25 10.99.0.2:25 10.99.0.3:25 \
	10.99.0.4:25 10.99.0.1:22 10.99.0.1:443
