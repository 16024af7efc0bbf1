#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# domU workload (uid 0): the tenant's mail sender, one long-lived process.
# One 2 KiB delivery to port 25 of dom0 a second, one line each:
# "<uptime> <addr>:25 result=...".
exec mailsend mail -w 5 -k 300 -i 1000 "${1:-10.99.0.1}:25" 2048
