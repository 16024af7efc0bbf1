#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compares `xfilterd scan --json` of a guest's memory dump with the guest's
own /proc view printed on its console ("GT ..." lines). Prints one
"XFTEST PASS|FAIL <case>/<test>" line per test.
usage: compare.py CASE CONSOLE_LOG SCAN_JSON LEVELS KASLR(on|off) [FLOWS LOOKUP_JSON]
       compare.py flows CONSOLE_LOG   (one "INODE FLOW" line per inet socket fd,
                                       for `xfilterd lookup`)"""
import ipaddress
import json
import re
import sys

TCP_STATES = {1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2',
              6: 'TIME_WAIT', 7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN',
              11: 'CLOSING', 12: 'NEW_SYN_RECV'}


def proc_addr(h):
    """/proc/net prints addresses as host-order (little-endian) 32-bit words."""
    b = bytes.fromhex(h)
    b = b''.join(b[i:i + 4][::-1] for i in range(0, len(b), 4))
    return ipaddress.ip_address(b)


def ground_truth(path):
    tasks, fds, net, uname = {}, {}, {}, None
    for raw in open(path, 'rb').read().decode(errors='replace').splitlines():
        line = raw.strip('\r')
        if not line.startswith('GT '):
            continue
        p = line.split()
        if p[1] == 'UNAME':
            uname = p[2]
        elif p[1] == 'TASK' and len(p) >= 7:
            tasks[int(p[2])] = {'kthread': p[3] == 'K', 'tgid': int(p[4]), 'uid': int(p[5]),
                                'gid': int(p[6]), 'comm': ' '.join(p[7:])}
        elif p[1] == 'FD':
            fds[(int(p[2]), int(p[3]))] = int(p[4])
        elif p[1] == 'NET' and len(p) > 13:
            kind = p[2]
            la, lp = p[4].split(':')
            ra, rp = p[5].split(':')
            net[int(p[12])] = {'proto': kind.rstrip('6'), 'family': 'inet6' if kind.endswith('6') else 'inet',
                               'local': proc_addr(la), 'lport': int(lp, 16), 'remote': proc_addr(ra),
                               'rport': int(rp, 16), 'state': TCP_STATES.get(int(p[6], 16), '?'),
                               'uid': int(p[10])}
    return uname, tasks, fds, net


def comm_ok(gt, got):
    # task->comm holds 15 bytes; /proc/PID/comm of a kthread may show more,
    # and a kworker's shows its current workqueue after a '-'
    return gt == got or (gt.startswith(got) and
                         (len(got) == 15 or (got.startswith('kworker/') and gt[len(got)] == '-')))


def endpoint(addr, port):
    return ('[%s]:%d' if addr.version == 6 else '%s:%d') % (addr, port)


def flows(con):
    """A flow per inet socket with an fd: the socket's own 5-tuple when it is
    connected, else a packet from an outside peer to its local address."""
    _, _, fds, net = ground_truth(con)
    done = set()
    for (pid, fd), ino in sorted(fds.items()):
        n = net.get(ino)
        if n is None or ino in done:
            continue
        done.add(ino)
        local = n['local']
        if n['rport']:
            remote, rport = n['remote'], n['rport']
        else:
            if local.is_unspecified:
                local = ipaddress.ip_address('::1' if local.version == 6 else '127.0.0.1')
            remote = ipaddress.ip_address('2001:db8::9' if local.version == 6 else '192.0.2.9')
            rport = 4444
        print('%d %s,%s,%s' % (ino, n['proto'], endpoint(local, n['lport']), endpoint(remote, rport)))
    # a port nobody listens on: the lookup must find nothing
    print('0 tcp,127.0.0.1:1,192.0.2.9:4444')


def check_lookup(con, flows_path, lookup_path, test):
    _, gtasks, fds, net = ground_truth(con)
    owners = {}
    for (pid, fd), ino in fds.items():
        owners.setdefault(ino, set()).add(pid)
    want = [line.split(' ', 1) for line in open(flows_path).read().splitlines() if line]
    probs = []
    try:
        got = json.load(open(lookup_path))
    except (OSError, ValueError) as e:
        got = []
        probs.append('no lookup output: %s' % e)
    if len(got) != len(want):
        probs.append('%d answers for %d flows' % (len(got), len(want)))
    for (ino, flow), g in zip(want, got):
        ino = int(ino)
        if ino == 0:
            if g is not None:
                probs.append('%s: found %r, want nothing' % (flow, g))
            continue
        if g is None:
            probs.append('%s: not found (inode %d)' % (flow, ino))
        elif g['inode'] != ino or g['pid'] not in owners.get(ino, ()) or \
                g['uid'] != gtasks.get(g['pid'], {}).get('uid'):
            probs.append('%s: got %r, want inode %d owned by %r' % (flow, g, ino, owners.get(ino)))
    if len(want) < 15:
        probs.append('only %d flows' % len(want))
    test('lookup', probs)


def live(con, outdir, n):
    """Scans of a guest that kept running (and churning) while it was read:
    no crash, and every complete scan shows the stable workload exactly."""
    _, gtasks, fds, net = ground_truth(con)
    want = {}
    for (pid, fd), ino in fds.items():
        if ino in net:
            want[(pid, fd)] = net[ino]
    crashes, complete, incomplete, restarts, resumes, probs = 0, 0, 0, 0, 0, []
    for i in range(1, n + 1):
        rc = int(open('%s/live.%d.rc' % (outdir, i)).read().strip() or 99)
        err = open('%s/live.%d.err' % (outdir, i)).read()
        m = re.search(r'(\d+) restarts', err)
        restarts += int(m.group(1)) if m else 0
        m = re.search(r'(\d+) resumes', err)
        resumes += int(m.group(1)) if m else 0
        if rc not in (0, 1):
            crashes += 1
            probs.append('scan %d: exit %d: %s' % (i, rc, err.strip()[-200:]))
            continue
        if rc == 1:
            incomplete += 1
            if incomplete <= 3:
                why = [l for l in err.splitlines() if 'warning' in l or 'failed' in l or
                       'restarts' in l or 'resumes' in l] or err.splitlines()[-1:]
                print('  live: scan %d incomplete: %s' % (i, ' / '.join(why)[-400:]))
            continue
        complete += 1
        scan = json.load(open('%s/live.%d.json' % (outdir, i)))
        have = {(s['pid'], s['fd']): s for s in scan['sockets']}
        for key, w in want.items():
            s = have.get(key)
            if s is None or s['lport'] != w['lport'] or s['rport'] != w['rport'] or \
                    s['proto'] != w['proto'] or s['uid'] != gtasks[key[0]]['uid']:
                probs.append('scan %d: socket %r: got %r, want %r' % (i, key, s, w))
        for key, s in have.items():
            if key not in want and s['comm'] not in ('churn', 'churn_child'):
                probs.append('scan %d: unexpected socket %r' % (i, s))
        pids = {t['pid'] for t in scan['tasks']}
        for pid, g in gtasks.items():
            if not g['kthread'] and pid not in pids:
                probs.append('scan %d: task %d %s missing' % (i, pid, g['comm']))
    if complete < n - n // 10:
        probs.append('only %d of %d scans complete' % (complete, n))
    print('  live: %d scans while the guest churned: %d complete, %d incomplete, %d crashed, '
          '%d restarts and %d resumes in all' % (n, complete, incomplete, crashes, restarts,
                                                 resumes))
    for p in probs[:30]:
        print('  live: ' + p)
    print('XFTEST %s live/scans' % ('FAIL' if probs else 'PASS'))


def main():
    if sys.argv[1] == 'flows':
        flows(sys.argv[2])
        return
    if sys.argv[1] == 'live':
        live(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    case, con, scan_path, levels, kaslr = sys.argv[1:6]
    results = []

    def test(name, problems):
        if problems:
            for p in problems[:30]:
                print('  %s: %s' % (name, p))
            results.append('XFTEST FAIL %s/%s (%d problems)' % (case, name, len(problems)))
        else:
            results.append('XFTEST PASS %s/%s' % (case, name))

    uname, gtasks, gfds, gnet = ground_truth(con)
    try:
        scan = json.load(open(scan_path))
    except (OSError, ValueError) as e:
        print('  cannot read scan output: %s' % e)
        for n in ('kernel', 'tasks', 'sockets'):
            results.append('XFTEST FAIL %s/%s (no scan output)' % (case, n))
        print('\n'.join(results))
        return
    if not gtasks or not gnet:
        print('  no ground truth in %s' % con)

    k = scan.get('kernel', {})
    probs = []
    if k.get('release') != uname:
        probs.append('release %r, guest says %r' % (k.get('release'), uname))
    if k.get('paging_levels') != int(levels):
        probs.append('paging_levels %r, want %s' % (k.get('paging_levels'), levels))
    off = k.get('kaslr_offset')
    if not isinstance(off, int) or (kaslr == 'on') != (off != 0) or off % (2 << 20):
        probs.append('kaslr_offset %r with KASLR %s' % (off, kaslr))
    test('kernel', probs)

    probs = []
    got = {t['pid']: t for t in scan.get('tasks', [])}
    for pid, g in sorted(gtasks.items()):
        t = got.get(pid)
        if t is None:
            if not (g['kthread'] and g['comm'].startswith('kworker')):
                probs.append('task %d %r missing' % (pid, g['comm']))
            continue
        if (t['tgid'], t['uid'], t['gid']) != (g['tgid'], g['uid'], g['gid']) or not comm_ok(g['comm'], t['comm']):
            probs.append('task %d: got %r, /proc says %r' % (pid, t, g))
    for pid, t in sorted(got.items()):
        if pid not in gtasks and not t['comm'].startswith('kworker'):
            probs.append('task %d %r not in /proc' % (pid, t['comm']))
    if len(gtasks) < 10:
        probs.append('only %d tasks in the ground truth' % len(gtasks))
    test('tasks', probs)

    probs = []
    want = {}
    for (pid, fd), ino in gfds.items():
        n = gnet.get(ino)
        if n is None:
            continue            # not an inet socket (unix, netlink)
        row = dict(n)
        row['pid'] = pid
        row['uid_task'] = gtasks.get(pid, {}).get('uid')
        row['comm'] = gtasks.get(pid, {}).get('comm')
        want[(pid, fd)] = row
    have = {}
    for s in scan.get('sockets', []):
        key = (s['pid'], s['fd'])
        if key in have:
            probs.append('socket %r listed twice' % (key,))
        have[key] = s
    for key, w in sorted(want.items()):
        s = have.get(key)
        if s is None:
            probs.append('socket pid %d fd %d (%s %s:%d) missing' % (key[0], key[1], w['proto'], w['local'], w['lport']))
            continue
        try:
            same = (s['proto'] == w['proto'] and s['family'] == w['family'] and
                    ipaddress.ip_address(s['local']) == w['local'] and s['lport'] == w['lport'] and
                    ipaddress.ip_address(s['remote']) == w['remote'] and s['rport'] == w['rport'] and
                    s['state'] == w['state'] and s['uid'] == w['uid_task'] and
                    s['tgid'] == gtasks[key[0]]['tgid'] and comm_ok(w['comm'] or '', s['comm']))
        except (KeyError, ValueError) as e:
            same = False
            probs.append('socket %r: bad field %s' % (key, e))
        if not same:
            probs.append('socket pid %d fd %d: got %r, /proc says %r' % (key[0], key[1], s, w))
    for key in sorted(set(have) - set(want)):
        probs.append('spurious socket %r' % (have[key],))
    if len(want) < 15:
        probs.append('only %d inet sockets in the ground truth' % len(want))
    test('sockets', probs)
    print('  %s: %d tasks, %d inet socket fds in the ground truth; scan: %d tasks, %d sockets'
          % (case, len(gtasks), len(want), len(got), len(have)))
    if len(sys.argv) > 7:
        check_lookup(con, sys.argv[6], sys.argv[7], test)
    print('\n'.join(results))


if __name__ == '__main__':
    main()
