#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-xen's table: combines the rounds of each configuration (the BXRES and
BXHIST lines of tests/bench/xen-dom0.sh) into min / mean / max / median /
std-dev of the connection time of httperf's connections (timed to the
nanosecond by tests/bench/xen-httperf-preload.c: httperf's own report has
0.1 ms steps and, once it waits in select(), reads its clock only once per
turn of its event loop), prints them beside the original design's published figures with
each column's ratio to no xFilter, how much no xFilter itself moves from
round to round, and one PASS/MISS/UNDECIDED line per column against the
goal (mean and std-dev within 1.05x), judged only as far as the rounds
allow: a ratio's uncertainty is the 95 % confidence half-width of the mean
of its per-round ratios (each round holds every column, run back to back),
so it narrows as rounds are added, where no xFilter's own max / min over
its rounds only widens.

Exit: 0 when every column has figures (a MISS is a finding, not an error),
1 when a column has none or a run lost connections, 2 on usage errors."""
import argparse
import datetime
import math
import re
import statistics
import sys

GOAL = 1.05
NAMES = {"base": "no xFilter", "xf5": "5 s", "xf3": "3 s", "xf2": "2 s", "xf1": "1 s",
         "miss": "on miss", "pause": "1 s, paused", "xf1full": "1 s, full push"}
# how a refresh's time splits (xen-dom0.sh's bx_walks), per domain: t the
# tenant, c the client; means over its walks
SPLIT = ("walk_ms", "xen_ms", "push_ms", "added", "deleted", "requests")
# The original design's figures (httperf at 150 connections/s, polling from
# dom0 with the guest paused during each walk): mean, max, std-dev in ms.
PAPER = {"base": (0.4, 31.0, 1.0), "xf5": (0.4, 31.2, 1.4), "xf3": (0.5, 33.4, 1.7),
         "xf2": (0.5, 31.0, 1.9), "xf1": (0.7, 39.1, 2.5)}


def kv(line):
    return dict(m.groups() for m in re.finditer(r"(\w+)=(\S+)", line))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def combine(runs, hist):
    """Pooled figures of the runs of one configuration; the median as
    httperf computes it, the centre of the 1 ms bin holding the middle."""
    n_tot = sum(r["n"] for r in runs)
    if n_tot == 0:
        return None
    mean = sum(r["n"] * r["avg"] for r in runs) / n_tot
    ss = sum((r["n"] - 1) * r["sd"] ** 2 + r["n"] * r["avg"] ** 2 for r in runs if r["n"])
    sd = math.sqrt(max(ss - n_tot * mean ** 2, 0.0) / (n_tot - 1)) if n_tot > 1 else 0.0
    median = math.nan
    if hist:
        acc = 0
        for b in sorted(hist):
            acc += hist[b]
            if acc >= 0.5 * sum(hist.values()):
                median = b
                break
    return {
        "n": n_tot, "mean": mean, "sd": sd, "median": median,
        "min": min(r["min"] for r in runs), "max": max(r["max"] for r in runs),
        "conns": sum(r["conns"] for r in runs), "replies": sum(r["replies"] for r in runs),
        "errors": sum(r["errors"] for r in runs), "rounds": len(runs),
        "walks": sum(r["walks"] for r in runs),
        "walk_ms": (sum(r["walks"] * r["walk_ms"] for r in runs) /
                    max(sum(r["walks"] for r in runs), 1)),
        "walk_max": max(r["walk_max"] for r in runs),
        "paused": sum(r["paused"] for r in runs),
        "other_walks": sum(r["other_walks"] for r in runs),
        "split": {k: {f: (sum(r["split"][k][0] * r["split"][k][1][f] for r in runs if k in r["split"]) /
                          max(sum(r["split"][k][0] for r in runs if k in r["split"]), 1))
                      for f in SPLIT} | {"full": sum(r["split"][k][1]["full"] for r in runs
                                                     if k in r["split"]),
                                          "tasks": max(r["split"][k][1]["tasks"] for r in runs
                                                       if k in r["split"]),
                                          "socks": max(r["split"][k][1]["socks"] for r in runs
                                                       if k in r["split"])}
                  for k in ("t", "c") if any(k in r["split"] for r in runs)},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--guest", default="?")
    ap.add_argument("--client", default="dom0")
    ap.add_argument("--xfd-nice", default="0")
    ap.add_argument("--requested-rate", default="150")
    ap.add_argument("--configs", default="base xf5 xf3 xf2 xf1 miss pause")
    ap.add_argument("--md")
    ap.add_argument("--icount", default="0")
    ap.add_argument("--arrivals", default="fixed")
    a = ap.parse_args()
    cfgs = a.configs.split()
    runs, hists, info, probes = {}, {}, {}, []
    with open(a.results, errors="replace") as f:
        for line in f:
            line = line.strip()
            d = kv(line)
            if line.startswith("BXRES "):
                n = 0
                runs.setdefault(d["cfg"], []).append({
                    "round": int(d["round"]), "rate": d.get("rate"),
                    "conns": int(num(d.get("conns")) if not math.isnan(num(d.get("conns"))) else 0),
                    "replies": int(num(d.get("replies")) if not math.isnan(num(d.get("replies"))) else 0),
                    "errors": int(num(d.get("errors")) if not math.isnan(num(d.get("errors"))) else 0),
                    "n": n, "avg": num(d.get("avg")), "sd": num(d.get("stddev")),
                    "min": num(d.get("min")), "max": num(d.get("max")), "median": num(d.get("median")),
                    "walks": int(num(d.get("walks", 0))), "walk_ms": num(d.get("walk_ms_avg", 0)),
                    "walk_max": num(d.get("walk_ms_max", 0)), "paused": int(num(d.get("paused", 0))),
                    "other_walks": int(num(d.get("other_walks", 0))),
                    "split": {k: (int(num(d.get("walks" if k == "t" else "other_walks", 0))),
                                  {f: num(d.get(f"{k}_{f}")) for f in SPLIT + ("full", "tasks", "socks")})
                              for k in ("t", "c") if f"{k}_walk_ms" in d},
                    "quiet": d.get("quiet")})
            elif line.startswith("BXHIST "):
                h = hists.setdefault((d["cfg"], int(d["round"])), {})
                for b, c in re.findall(r"(\d+\.\d+):(\d+)", line):
                    h[float(b)] = h.get(float(b), 0) + int(c)
            elif line.startswith("BXINFO "):
                info = d
            elif line.startswith("BXPROBE "):
                probes.append(d)
    # each run's count of timed connections is its histogram's
    for cfg, rs in runs.items():
        for r in rs:
            h = hists.get((cfg, r["round"]), {})
            r["n"] = sum(h.values()) if h else (r["replies"] if not math.isnan(r["avg"]) else 0)
    res, bad = {}, 0
    for cfg in cfgs:
        rs = [r for r in runs.get(cfg, []) if r["n"] and not math.isnan(r["avg"])]
        hist = {}
        for r in rs:
            for b, c in hists.get((cfg, r["round"]), {}).items():
                hist[b] = hist.get(b, 0) + c
        res[cfg] = combine(rs, hist) if rs else None
        if res[cfg] is None:
            bad = 1
    rate = info.get("rate", "?")
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    base = res.get("base")

    def ratio(cfg, key):
        if not base or not res.get(cfg) or not base[key]:
            return math.nan
        return res[cfg][key] / base[key]

    def round_ratios(cfg, key="avg"):
        """A figure's ratio to no xFilter within each round (same minutes)."""
        b = {r["round"]: r[key] for r in runs.get("base", []) if r["n"]}
        out = [r[key] / b[r["round"]] for r in runs.get(cfg, [])
               if r["n"] and r["round"] in b and b[r["round"]]]
        return out

    def f(v, p=1):
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{p}f}"

    cols = [c for c in cfgs]
    head = ["connection time [ms]"] + [NAMES.get(c, c) for c in cols]
    rows = []

    def row(label, fn):
        rows.append([label] + [fn(c) for c in cols])

    row("connections (timed / errors)", lambda c: f"{res[c]['n']} / {res[c]['errors']}" if res[c] else "-")
    for key, label in (("min", "min"), ("mean", "mean"), ("max", "max"),
                       ("median", "median (1 us bins)"), ("sd", "std-dev")):
        row(label, lambda c, k=key: f(res[c][k], 3) if res[c] else "-")
    # Connections well beyond every connection of no xFilter (1.25 times its
    # max): the ones that met something no xFilter's runs never did (a walk,
    # for instance), past the lab's own scatter.
    def late(c):
        if not base or not res.get(c):
            return "-"
        h = {}
        for r in runs.get(c, []):
            for b, k in hists.get((c, r["round"]), {}).items():
                h[b] = h.get(b, 0) + k
        n = sum(k for b, k in h.items() if b > 1.25 * base["max"] + 0.0005)
        return f"{n} ({100.0 * n / res[c]['n']:.2f} %)" if res[c]["n"] else "-"

    row(f"over 1.25x no xFilter's max (> {1.25 * base['max']:.3f} ms)" if base
        else "over 1.25x no xFilter's max",
        late)
    row("mean / no xFilter", lambda c: f(ratio(c, "mean"), 3) + "x")
    row("std-dev / no xFilter", lambda c: f(ratio(c, "sd"), 3) + "x")
    row("median / no xFilter", lambda c: f(ratio(c, "median"), 3) + "x")
    row("mean / no xFilter, per round: range (median)", lambda c: "-" if c == "base" or not round_ratios(c)
        else f"{min(round_ratios(c)):.3f}-{max(round_ratios(c)):.3f}x "
             f"({statistics.median(round_ratios(c)):.3f}x)")
    row("median / no xFilter, per round: range (median)", lambda c: "-" if c == "base"
        or not round_ratios(c, "median")
        else f"{min(round_ratios(c, 'median')):.3f}-{max(round_ratios(c, 'median')):.3f}x "
             f"({statistics.median(round_ratios(c, 'median')):.3f}x)")
    row("std-dev / no xFilter, per round: range (median)", lambda c: "-" if c == "base"
        or not round_ratios(c, "sd")
        else f"{min(round_ratios(c, 'sd')):.3f}-{max(round_ratios(c, 'sd')):.3f}x "
             f"({statistics.median(round_ratios(c, 'sd')):.3f}x)")
    row("tenant's walks during the runs (mean ms, paused)", lambda c: "-" if c == "base" or not res[c] else
        "0" if not res[c]["walks"] else
        f"{res[c]['walks']} ({res[c]['walk_ms']:.2f} ms, {res[c]['paused']} paused)")
    if any(res[c] and res[c]["other_walks"] for c in cols):
        row("client's walks during the runs", lambda c: "-" if c == "base" or not res[c] else
            str(res[c]["other_walks"]))
    for k, who in (("t", "tenant"), ("c", "client")):
        if not any(res[c] and k in res[c]["split"] for c in cols):
            continue
        row(f"{who}: tasks, sockets (most seen by a walk)", lambda c: "-" if not res[c] or
            k not in res[c]["split"] or math.isnan(res[c]["split"][k]["tasks"]) else
            f"{res[c]['split'][k]['tasks']:.0f}, {res[c]['split'][k]['socks']:.0f}")
        row(f"{who}'s refresh: walk (Xen calls) / push [ms]", lambda c: "-" if not res[c] or
            k not in res[c]["split"] else
            f"{res[c]['split'][k]['walk_ms']:.3f} ({res[c]['split'][k]['xen_ms']:.3f}) / "
            f"{res[c]['split'][k]['push_ms']:.3f}")
        row(f"{who}'s push: owners sent / deleted / requests per walk (full pushes)",
            lambda c: "-" if not res[c] or k not in res[c]["split"] else
            f"{res[c]['split'][k]['added']:.1f} / {res[c]['split'][k]['deleted']:.1f} / "
            f"{res[c]['split'][k]['requests']:.1f} ({res[c]['split'][k]['full']:.0f})")
    row("original design: mean / max / std-dev [ms]", lambda c: "/".join(
        f"{v:g}" for v in PAPER[c]) if c in PAPER else "-")
    row("original design: mean, std-dev / none", lambda c: (
        f"{PAPER[c][0] / PAPER['base'][0]:.2f}x, {PAPER[c][2] / PAPER['base'][2]:.2f}x")
        if c in PAPER else "-")

    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    where = ("a PV client domU (its own CPU; only the packets cross dom0)" if a.client == "domu"
             else "dom0 (at nice 19, on dom0's one vCPU beside xfilterd)")
    lines = [f"bench-xen {date}: httperf in {where} -> web server in an {a.guest.upper()} tenant domU "
             f"(1 KiB page, one request per connection), {rate} connections/s"
             + (" (gaps uniform in 0.75-1.25x the mean)" if a.arrivals == "uniform" else
                " (fixed gaps)")
             + ("" if a.xfd_nice in ("0", "") else f"; xfilterd at nice {a.xfd_nice}")
             + ("" if rate == a.requested_rate else
                f" (the highest the lab sustained with no xFilter; {a.requested_rate}/s was asked)")
             + ("; guest time counted in instructions (QEMU -icount: 1 ns each, idle skipped)"
                if a.icount not in ("0", "") else "; real-time TCG"),
             "  ".join(h.ljust(w) for h, w in zip(head, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in rows]
    lines.append("")
    lines.append("rate probe, no xFilter (sustained: no error, >= 0.95 of the rate, mean within 2x"
                 " the idle mean): " + "; ".join(
        f"{'idle ' if p.get('idle') else ''}{p.get('rate')}/s: {p.get('replies')}/{p.get('conns')}"
        f" replies, {p.get('errors')} errors, {p.get('conn_rate')} conn/s, mean {p.get('avg')} ms"
        for p in probes))
    allruns = [r for rs in runs.values() for r in rs]
    loud = [r for r in allruns if r["quiet"] == "0"]
    if any(r["quiet"] is not None for r in allruns):
        lines.append(f"the domU's lab agent kept still during {len(allruns) - len(loud)} of "
                     f"{len(allruns)} runs" + (" (in the others it starts a process every 3 s)"
                                               if loud else ""))
    lines.append("")
    # How sure a ratio is: within each round every column ran back to back,
    # so each round gives one ratio per column (drift of the host or the lab
    # lands on both sides of it); the pooled ratio is judged against the goal
    # with the 95 % confidence half-width of the mean of those per-round
    # ratios (Student's t). It narrows as rounds are added. No xFilter's own
    # spread (max / min of its rounds) is printed for scale: it widens with
    # more rounds, so it judges nothing.
    def spread(key):
        v = [r[key] for r in runs.get("base", []) if r["n"] and not math.isnan(r[key])]
        return (max(v) / min(v)) if len(v) > 1 and min(v) > 0 else math.nan

    def t975(df):
        t = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
             2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086]
        return t[df - 1] if df <= len(t) else 1.96 + 2.4 / df

    def half(cfg, key):
        v = round_ratios(cfg, key)
        if len(v) < 2:
            return math.nan
        return t975(len(v) - 1) * statistics.stdev(v) / math.sqrt(len(v))

    def base_se(key):
        """no xFilter's pooled figure, relative 95 % half-width from its rounds"""
        v = [r[key] for r in runs.get("base", []) if r["n"] and not math.isnan(r[key])]
        if len(v) < 2 or not statistics.mean(v):
            return math.nan
        return t975(len(v) - 1) * statistics.stdev(v) / math.sqrt(len(v)) / statistics.mean(v)

    sp = {"mean": spread("avg"), "sd": spread("sd")}
    base_lost = (base["conns"] - base["n"]) if base else 0
    nb = len(runs.get("base", []))
    verdicts = [f"noise: no xFilter's own {nb} rounds span {sp['mean']:.3f}x in mean and "
                f"{sp['sd']:.3f}x in std-dev (max / min); its pooled mean is known to "
                f"+-{100 * base_se('avg'):.1f} %, its std-dev to +-{100 * base_se('sd'):.1f} % (95 %)"
                + (f"; it lost {base_lost} connections" if base_lost else "")
                + f". A ratio is judged against {GOAL}x with the 95 % half-width of its"
                  " per-round ratios (+-h): PASS when ratio + h <= goal, MISS when ratio - h >= goal"]

    def judge(r, h):
        if math.isnan(h) or base_lost:
            return "unjudged"
        if r + h <= GOAL:
            return "pass"
        if r - h >= GOAL:
            return "miss"
        return "undecided"

    for c in cols:
        if c == "base":
            continue
        rm, rs = ratio(c, "mean"), ratio(c, "sd")
        if math.isnan(rm) or math.isnan(rs):
            verdicts.append(f"MISS {NAMES.get(c, c)}: no figures")
            continue
        hm, hs = half(c, "avg"), half(c, "sd")
        jm, js = judge(rm, hm), judge(rs, hs)
        word = ("PASS" if jm == js == "pass" else
                "MISS" if "miss" in (jm, js) else "UNDECIDED")
        verdicts.append(f"{word:9s} {NAMES.get(c, c):12s} mean {rm:.3f}x +-{hm:.3f} ({jm}), "
                        f"std-dev {rs:.3f}x +-{hs:.3f} ({js}) (goal <= {GOAL}x both)"
                        + (": the original design's pausing, shown for what it costs"
                           if c == "pause" else ""))
    lines += verdicts
    lines.append("original design, 1 s column: mean 1.75x, std-dev 2.50x "
                 "(its guest was paused during each walk)")
    lost = sum(r["conns"] - r["replies"] for rs in runs.values() for r in rs)
    errs = sum(r["errors"] for rs in runs.values() for r in rs)
    lines.append(f"connections without a reply: {lost}; httperf errors: {errs}"
                 " (a MISS is reported, not an exit status)")
    if lost or errs:
        bad = 1
    print("\n".join(lines))
    if a.md:
        with open(a.md, "w") as m:
            m.write("| " + " | ".join(head) + " |\n")
            m.write("|" + "---|" * len(head) + "\n")
            for r in rows:
                m.write("| " + " | ".join(str(v) for v in r) + " |\n")
            m.write("\n" + "\n".join(verdicts) + "\n")
    return bad


if __name__ == "__main__":
    sys.exit(main())
