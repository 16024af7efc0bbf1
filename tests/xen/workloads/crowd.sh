#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# domU workload: 100 processes holding 20 sockets each (TCP and UDP, IPv4
# and IPv6), so that a walk of this guest's memory takes a while.
exec xfwork bench 100 20
