#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# domU workload: processes with known TCP/UDP sockets (IPv4 and IPv6,
# listeners, connected flows, shared fds, threads, a large fd table) under
# several uids, for comparing dom0's introspection with the guest's /proc.
xfwork -u 0 -g 0 -n websrv tl4:8080 tl6:8443 u4:5301 &
xfwork -u 1000 -g 1000 -n alice_srv -f tl4:9000 ua6:5353 u6:6000 &
xfwork -u 1001 -g 1001 -n bob_threads -t 2 -T u4:5400 tl6:9100 &
sleep 1
xfwork -u 1001 -g 1001 -n bob_cli tc4:9000 tc4:8080 tc6:8443 uc4:5301 uc6:6000 tc6:9100 &
xfwork -u 1002 -g 1002 -n many_fds -m 200 u4:5500 hi:tl4:9200 hi:uc4:5353 &
wait
