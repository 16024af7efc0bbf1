#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Ratios of `make bench-datapath`: reads the RES/LAT/INFO lines of a console
log (tests/bench/datapath-guest.sh) and prints, per state and metric, the
median over repetitions of value / mean(neighbouring baseline runs)."""
import re
import statistics as st
import sys
from collections import defaultdict

BASE = {'1': 'base', '2': 'ipt0'}
METRICS = [('tcp', 'TCP throughput'), ('udp', 'UDP 64 B pps'), ('cr', 'TCP conn/s')]
LABEL = {
    'xf0': 'xfilter, 10k entries, no rule (hooks only)',
    'xf1': 'xfilter, 10k entries, 1 rule',
    'xf100': 'xfilter, 10k entries, 100 rules',
    'xf10000': 'xfilter, 10k entries, 10,000 rules',
    'xfb1': 'xfilter (KO_B), 10k entries, 1 rule',
    'xfb100': 'xfilter (KO_B), 100 rules',
    'xfb10000': 'xfilter (KO_B), 10,000 rules',
    'nftset': 'nft ingress, 10k-element set lookup',
    'nftboth': 'nft ingress+egress, 10k-element set',
    'ipt100': 'iptables, 100 rules (per connection)',
    'ipt10000': 'iptables, 10,000 rules (per connection)',
}
ORDER = ['xf0', 'xf1', 'xf100', 'xf10000', 'xfb1', 'xfb100', 'xfb10000', 'nftset', 'nftboth', 'ipt100', 'ipt10000']


def main(path):
    seq = defaultdict(list)     # (phase, metric) -> [(state, value)] in run order
    lat, info = [], []
    for raw in open(path, errors='replace'):
        line = raw.strip().replace('\r', '')
        m = re.match(r'RES phase=(\S+) state=(\S+) rep=(\d+) metric=(\S+) value=(\S+)', line)
        if m:
            if m.group(5) != 'NA':
                seq[(m.group(1), m.group(4))].append((m.group(2), float(m.group(5))))
            continue
        if line.startswith('LAT ') or line.startswith('INFO '):
            (lat if line.startswith('LAT') else info).append(line)
    ratios = defaultdict(list)
    bases = defaultdict(list)
    for (phase, metric), runs in seq.items():
        base = BASE[phase]
        for i, (state, v) in enumerate(runs):
            if state == base:
                bases[(phase, metric)].append(v)
                continue
            nb = [runs[j][1] for j in (i - 1, i + 1)
                  if 0 <= j < len(runs) and runs[j][0] == base]
            if nb:
                ratios[(state, metric)].append(v / st.mean(nb))
    if not ratios:
        print('datapath: no results')
        return 1
    print('%-42s %18s %18s %18s' % ('ratio to module not loaded (median [min-max])',
                                     *[m[1] for m in METRICS]))
    for state in ORDER:
        cells = []
        if not any((state, m) in ratios for m, _ in METRICS):
            continue
        for metric, _ in METRICS:
            r = ratios.get((state, metric))
            cells.append('%.3f [%.3f-%.3f]' % (st.median(r), min(r), max(r)) if r else 'n/a')
        print('%-42s %18s %18s %18s' % (LABEL[state], *cells))
    print()
    for (phase, metric), b in sorted(bases.items()):
        cv = 100 * st.pstdev(b) / st.mean(b) if len(b) > 1 else 0
        print('baseline phase %s (%s) %-4s median %.6g (n=%d, CV %.2f %%)' %
              (phase, BASE[phase], metric, st.median(b), len(b), cv))
    print()
    nomod = None
    for line in lat:
        m = re.search(r'state=(\S+) .*median_us=([0-9.]+) p99_us=([0-9.]+)', line)
        if not m:
            print(line)
            continue
        med, p99 = float(m.group(2)), float(m.group(3))
        if m.group(1) == 'nomod':
            nomod = (med, p99)
        extra = ''
        if nomod and m.group(1) != 'nomod':
            extra = '  added: median %+.0f us, p99 %+.0f us' % (med - nomod[0], p99 - nomod[1])
        print('first-packet latency (connect) %-6s median %8.0f us  p99 %8.0f us%s' %
              (m.group(1), med, p99, extra))
    print()
    for line in info:
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
