#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Minimal QMP client for the introspection tier.
usage: qmp.py SOCKET dump FILE   (ELF dump-guest-memory, then quit)
       qmp.py SOCKET regs        (vCPU 0's registers as xfilterd --regs;
                                  the guest keeps running)
       qmp.py SOCKET quit"""
import re
import json
import socket
import sys


def main():
    path, verb = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(300)
    s.connect(path)
    f = s.makefile('rwb')

    def cmd(name, **args):
        f.write(json.dumps({'execute': name, 'arguments': args}).encode() + b'\n')
        f.flush()
        while True:
            line = f.readline()
            if not line:
                raise SystemExit('qmp: connection closed')
            r = json.loads(line)
            if 'return' in r:
                return r['return']
            if 'error' in r:
                raise SystemExit('qmp: %s failed: %s' % (name, r['error']))

    f.readline()
    cmd('qmp_capabilities')
    if verb == 'regs':
        txt = cmd('human-monitor-command', **{'command-line': 'info registers'})
        val = lambda k: int(re.search(k + r'=\s*([0-9a-f]+)', txt).group(1), 16)
        gs = int(re.search(r'GS =\w+ ([0-9a-f]+)', txt).group(1), 16)
        print('cr3=%#x,cr4=%#x,gs=%#x,cpl=%d' % (val('CR3'), val('CR4'), gs,
                                                int(re.search(r'CPL=(\d)', txt).group(1))))
        return
    if verb == 'dump':
        cmd('dump-guest-memory', paging=False, protocol='file:' + sys.argv[3])
    try:
        cmd('quit')
    except (SystemExit, OSError):
        pass


if __name__ == '__main__':
    main()
