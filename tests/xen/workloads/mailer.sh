#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# domU workload (uid 0): the tenant's mail sender. One 2 KiB delivery to
# port 25 of dom0 a second, one line each: "<uptime> 25 <xfnet result>".
to=${1:-10.99.0.1}
while :; do
	t=$(cut -d' ' -f1 /proc/uptime)
	echo "$t $to:25 $(mailsend -w 5 send tcp "$to" 25 2048)"
	sleep 1
done
