#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# domU workload: listeners for dom0's traffic tests (TCP 8000 as root, TCP
# 8001 as uid 1000, UDP echo on 5300). Each TCP server answers "got N".
xfnet serve tcp 0.0.0.0 8000 &
su -s /bin/sh -c 'exec xfnet serve tcp 0.0.0.0 8001' user &
xfnet serve udp 0.0.0.0 5300 &
wait
