#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Minimal QMP client for the introspection tier.
usage: qmp.py SOCKET dump FILE   (ELF dump-guest-memory, then quit)
       qmp.py SOCKET quit"""
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
    if verb == 'dump':
        cmd('dump-guest-memory', paging=False, protocol='file:' + sys.argv[3])
    try:
        cmd('quit')
    except (SystemExit, OSError):
        pass


if __name__ == '__main__':
    main()
