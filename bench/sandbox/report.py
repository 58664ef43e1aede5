#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/sandbox's page: bench/results/sandbox.md and sandbox.png from the raw data that
bench/sandbox/run leaves in bench/results/raw/ (sandbox-*).

usage: report.py RAW RESULTS

Every timed request is one line of raw/sandbox-samples.txt, "rR MODE SERVICE RUN NS BYTES FNV":
the report checks that every request of a service returned the same bytes as the native run,
then gives medians, spread (IQR and p10-p90), and ratios of medians with the range of the
per-round ratios (both modes of a ratio ran in every round, next to each other in time).
The formatting helpers come from bench/stats.py (shared by every benchmark page).
"""
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stats as S  # noqa: E402  bench/stats.py

MODES = ["native", "native-warm", "bwrap", "ward-run", "ward-call", "ward-proto"]
MODE_WHAT = {
    "native": "fork + exec of the service's argv by sbclient (input on a pipe, output read to EOF, waitpid)",
    "native-warm": "the same process started untimed; timed from its first input byte, once it waits "
                   "on fd 0, to its exit: start-up hidden",
    "bwrap": "fork + exec of `bwrap --unshare-all ... -- argv`",
    "ward-run": "fork + exec of `ward sandbox run --manifest M` (one-shot: build, warm up, run, tear down)",
    "ward-call": "fork + exec of `ward sandbox call NAME` (the CLI) to wardd's warm pool",
    "ward-proto": "sbclient speaks service-proto.h to wardd's warm pool itself (no exec on the client side)",
}
COMPUTE = ["gzip", "sqlite", "resize", "ocr"]
SVC_WHAT = {
    "upper": "tr a-z A-Z, 4 KiB of text",
    "gzip": "gzip -c -n, 64 MiB of text",
    "sqlite": "sqlite3, 2 aggregate queries over a 17 MB db",
    "resize": "convert -resize 50%, 2400x1600 PNG",
    "ocr": "tesseract stdin stdout, one page",
}
WAITS = {"poll", "ppoll", "wait4", "waitid", "read", "readv", "recvmsg", "recvfrom", "epoll_wait",
         "epoll_pwait", "select", "pselect6", "futex", "nanosleep", "clock_nanosleep",
         "restart_syscall", "rt_sigtimedwait", "rt_sigsuspend", "pause", "accept4", "accept"}


def quantile(xs, p):
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p
    f = math.floor(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def summ(xs):
    s = S.summary(xs)
    s["p10"], s["p90"] = quantile(xs, 0.1), quantile(xs, 0.9)
    return s


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def ms(x):
    return S.ms(x)


def pct_signed(r):
    return "%+.1f%%" % (100 * (r - 1))


def load_samples(path):
    """(mode, service) -> {round: [seconds]}, and the (bytes, fnv) of each request."""
    data, outs, cpu = {}, {}, {}
    for line in open(path):
        f = line.split()
        if len(f) not in (7, 8, 9) or not f[0].startswith("r") or f[3].startswith("w"):
            continue
        r, mode, svc = int(f[0][1:]), f[1], f[2]
        data.setdefault((mode, svc), {}).setdefault(r, []).append(int(f[4]) / 1e9)
        if len(f) >= 8 and int(f[7]) >= 0:
            cpu.setdefault((mode, svc), []).append(int(f[7]) / 1e9)
        if len(f) >= 9:
            cpu.setdefault(("wait", mode, svc), []).append(int(f[8]) / 1e9)
        outs.setdefault(svc, {}).setdefault((f[5], f[6]), 0)
        outs[svc][(f[5], f[6])] += 1
    return data, outs, cpu


def parse_perf(path):
    """perf trace --duration lines: (comm, pid, syscall, args, ms)."""
    pat = re.compile(r"^\s*[\d.]+ \(\s*([\d.]+) ms\): (.+?)/(\d+) (\w+)\((.*)\)\s+= ")
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path, errors="replace"):
        m = pat.match(line)
        if m:
            d = float(m.group(1))
            if d > 1e6:  # perf's wrap-around for a call that began before tracing
                continue
            out.append((m.group(2), int(m.group(3)), m.group(4), m.group(5), d))
    return out


def diag_kind(comm, sc, args):
    if sc in WAITS:
        return None
    if sc == "write" and "cgroup.procs" in args:
        h = re.search(r"/sys/fs/cgroup/([^/]+)/", args)
        return "write cgroup.procs (%s): join the sandbox's cgroup" % (h.group(1) if h else "?")
    if sc == "close" and "fanotify" in args:
        return "close the guard's fanotify group (teardown)"
    if sc == "unlinkat":
        return "unlinkat (rmdir of the sandbox's cgroups, uid lock)"
    if sc == "execve":
        return "execve"
    if sc in ("openat", "open", "openat2"):
        return "openat"
    return sc


NOT_OURS = {"sbclient", "timeout", "perf", "perf-exec"}


def diag_table(raw, name, nreq):
    """The calls of every process perf followed (the command and all it forked), but the
    client, timeout and perf themselves."""
    calls = [c for c in parse_perf(os.path.join(raw, "sandbox-diag-%s.txt" % name))
             if c[0] not in NOT_OURS]
    kinds = {}
    for comm, pid, sc, args, d in calls:
        k = diag_kind(comm, sc, args)
        if k is None:
            continue
        kinds.setdefault(k, []).append(d)
    rows = []
    ordered = sorted(kinds.items(), key=lambda kv: -sum(kv[1]))
    for k, ds in ordered[:12]:
        rows.append([k, len(ds), "%.2f" % (sum(ds) / nreq), "%.2f" % statistics.median(ds),
                     "%.2f" % max(ds)])
    rest = [d for _, ds in ordered[12:] for d in ds]
    if rest:
        rows.append(["%d other kinds" % (len(ordered) - 12), len(rest), "%.2f" % (sum(rest) / nreq),
                     "%.2f" % statistics.median(rest), "%.2f" % max(rest)])
    if ordered:
        alls = [d for _, ds in ordered for d in ds]
        rows.append(["**all of them**", len(alls), "**%.2f**" % (sum(alls) / nreq), "", ""])
    return rows, kinds


def proto_requests(raw):
    """From the recvmsg,write,close trace of a wardd serving 20 ward-proto requests, per request
    in order: (request s, the monitor's REQUEST -> answer s, close(fd 12) s, close began before
    the answer?). Each request is served by a monitor of its own, which receives it (the last
    16-byte recvmsg on its channel, fd 3, before it answers), writes a 40-byte response header,
    and closes the guard's fanotify group (fd 12) once, at teardown."""
    p = os.path.join(raw, "sandbox-diag-ward-proto-close.txt")
    ps = os.path.join(raw, "sandbox-diag-ward-proto-close.samples")
    if not os.path.exists(p) or not os.path.exists(ps):
        return []
    pat = re.compile(r"^\s*([\d.]+) \(\s*([\d.]*)\s*(?:ms)?\s*\): (.+?)/(\d+) (.*)$")
    close12, start12, answer, got, pending = {}, {}, {}, {}, {}
    for line in open(p, errors="replace"):
        m = pat.match(line)
        if not m or m.group(3) != "ward-sandbox":
            continue
        t, d, pid, rest = float(m.group(1)), m.group(2), m.group(4), m.group(5).strip()
        if rest.startswith("close(fd: 12"):
            start12[pid] = t
            if d:
                close12[pid] = float(d) / 1e3
            else:
                pending[pid] = "close"
        elif rest.startswith("recvmsg(fd: 3") and pid not in answer:
            if rest.endswith("= 16"):
                got[pid] = t + (float(d) if d else 0.0)
            elif not d:
                pending[pid] = "recvmsg"
        elif rest.startswith("... [continued]:") and pid in pending and d:
            kind = pending.pop(pid)
            if kind == "close" and "close()" in rest:
                close12[pid] = float(d) / 1e3
            elif kind == "recvmsg" and "recvmsg()" in rest and rest.endswith("= 16") and pid not in answer:
                got[pid] = t + float(d)
        elif rest.startswith("write(") and "count: 40)" in rest and pid not in answer:
            answer[pid] = t
    lat = [int(l.split()[4]) / 1e9 for l in open(ps) if len(l.split()) in (7, 8, 9)]
    served = sorted(answer, key=lambda q: answer[q])
    out = []
    for i, L in enumerate(lat):
        pid = served[i] if i < len(served) else None
        dt = (answer[pid] - got[pid]) / 1e3 if pid in got else None
        before = (start12[pid] < answer[pid]) if pid in start12 else None
        out.append((L, dt, close12.get(pid) if pid else None, before))
    return out


def diag_latency(raw, name):
    p = os.path.join(raw, "sandbox-diag-%s.samples" % name)
    if not os.path.exists(p):
        return None
    v = [int(l.split()[4]) / 1e9 for l in open(p) if len(l.split()) in (7, 8, 9)]
    return summ(v) if v else None


def main(raw, results):
    facts = S.bench_facts(raw, "sandbox")
    meta = S.load(os.path.join(raw, "sandbox-meta.json"))
    data, outs, cpu = load_samples(os.path.join(raw, "sandbox-samples.txt"))
    services = meta["services"]
    rounds = meta["rounds"]

    # every request of a service returned the same bytes (the sanity pass checked these
    # against the native result's content)
    sanity = {}
    for line in open(os.path.join(raw, "sandbox-sanity.txt")):
        f = line.split()
        if f[1] == "native":
            sanity[f[2]] = (f[5], f[6])
    for svc, seen in outs.items():
        if set(seen) != {sanity[svc]}:
            raise SystemExit("%s: requests returned different bytes: %s (native: %s)"
                             % (svc, seen, sanity[svc]))

    def vals(mode, svc):
        e = data.get((mode, svc), {})
        return [v for r in sorted(e) for v in e[r]]

    def med(mode, svc):
        return statistics.median(vals(mode, svc))

    def rmed(mode, svc):
        return {r: statistics.median(v) for r, v in data.get((mode, svc), {}).items()}

    def ratio(a, b, svc):
        ra, rb = rmed(a, svc), rmed(b, svc)
        per = [ra[r] / rb[r] for r in sorted(ra) if r in rb]
        return {"pooled": med(a, svc) / med(b, svc), "lo": min(per), "hi": max(per), "per": per}

    def diff(a, b, svc):
        ra, rb = rmed(a, svc), rmed(b, svc)
        per = [ra[r] - rb[r] for r in sorted(ra) if r in rb]
        return {"pooled": med(a, svc) - med(b, svc), "lo": min(per), "hi": max(per)}

    def rcell(x, bold=False):
        s = "%.3f" % x["pooled"]
        if rounds > 1:
            s += " (%.3f–%.3f)" % (x["lo"], x["hi"])
        return "**%s**" % s if bold else s

    stat = {(m, s): summ(vals(m, s)) for m in MODES for s in services if vals(m, s)}

    # ---------------------------------------------------------------- goals
    steady = {s: ratio("ward-proto", "native-warm", s) for s in COMPUTE}
    e2e_run = {s: ratio("ward-run", "native", s) for s in COMPUTE}
    e2e_proto = {s: ratio("ward-proto", "native", s) for s in COMPUTE}
    e2e_call = {s: ratio("ward-call", "native", s) for s in COMPUTE}
    bw = {s: ratio("bwrap", "native", s) for s in COMPUTE}
    g_steady = geomean([steady[s]["pooled"] for s in COMPUTE])
    g_run = geomean([e2e_run[s]["pooled"] for s in COMPUTE])
    g_proto = geomean([e2e_proto[s]["pooled"] for s in COMPUTE])
    g_call = geomean([e2e_call[s]["pooled"] for s in COMPUTE])
    g_bw = geomean([bw[s]["pooled"] for s in COMPUTE])
    added = diff("ward-proto", "native", "upper")
    added_warm = diff("ward-proto", "native-warm", "upper")
    added_cli = diff("ward-call", "native", "upper")
    run_vs_bw = ratio("ward-run", "bwrap", "upper")
    sb_cpu = {}
    pc = os.path.join(raw, "sandbox-diag-cpu.txt")
    if os.path.exists(pc):
        for line in open(pc):
            f = line.split()
            if len(f) == 3:
                sb_cpu.setdefault(f[0], []).append(float(f[2]) / 1e3)
    cpu_ratio = {svc: statistics.median(sb_cpu[svc]) / statistics.median(cpu[("native-warm", svc)])
                 for svc in COMPUTE if sb_cpu.get(svc) and cpu.get(("native-warm", svc))}
    g_cpu = geomean(list(cpu_ratio.values())) if len(cpu_ratio) == len(COMPUTE) else None
    g1 = g_steady <= 1.02
    g2 = added["pooled"] < 1e-3
    g3 = run_vs_bw["pooled"] < 1

    title = "Confidential sandboxes: per-request latency and runtime overhead (ward vs native vs bubblewrap)"
    md = S.header(title, facts, "bench/sandbox/run")
    md += ("**Under test:** ward sha256 %s… and wardd sha256 %s… (copies of build/ward and "
           "build/wardd taken at the start), built from git %s%s.\n\n"
           % (facts["ward_sha256"][:16], meta["wardd_sha256"][:16], facts["git_commit"][:12],
              " with uncommitted changes in src/" if facts.get("git_dirty_src") else ""))
    md += S.load_note(raw, "sandbox")
    rl = meta.get("rounds_log", [])
    if rl:
        md += ("**Before each round** the script waited (up to %s s) until other work used under "
               "0.3 CPUs: %s. The machine has %s CPUs.\n\n"
               % (os.environ.get("SANDBOX_WAIT_IDLE_S", "180"),
                  "; ".join("round %s: others %s CPUs after %s s, load %s" % tuple(
                      [l.split()[0]] + [kv.split("=")[1] for kv in l.split()[1:]]) for l in rl),
                  facts["nproc"]))
    md += ("%d round(s); in each, every service ran in every mode back to back, the order of the "
           "modes rotating from block to block; requests per block: %s; a %d ms untimed pause "
           "before every request (and, for requests to wardd, an untimed wait until the pool is ready: "
           "see *The pool between requests*). Timed by `bench/sandbox/sbclient.c` "
           "(CLOCK_MONOTONIC around one request). Rounds took %d s.\n\n"
           % (rounds, ", ".join("%s %d" % (s, meta["k"][s]) for s in services), meta["gap_ms"],
              meta["rounds_s"]))

    md += "## Goals\n\n"
    md += S.table(["goal (from the issue)", "measured (medians)", "met?"], [
        ["geomean runtime overhead ≤ 2% (Erebor reports about 8%)",
         "steady compute, ward-proto vs native-warm (start-up hidden on both sides): **%s** "
         "(gzip %s, sqlite %s, resize %s, ocr %s). End to end, one request from a cold start: "
         "one-shot `ward sandbox run` vs native %s; through the warm pool (sbclient) vs native "
         "fork+exec %s; `ward sandbox call` CLI vs native %s; bwrap vs native %s"
         % (pct_signed(g_steady), *[pct_signed(steady[s]["pooled"]) for s in COMPUTE],
            pct_signed(g_run), pct_signed(g_proto), pct_signed(g_call), pct_signed(g_bw)),
         ("**yes**" if g1 else "**no**: by %.1f points" % (100 * (g_steady - 1.02))) +
         ("; the service's own CPU time in the sandbox vs natively: geomean %s (see below)"
          % pct_signed(g_cpu) if g_cpu else "")],
        ["warm-pool added latency < 1 ms",
         "latency filter `upper`: ward-proto %s ms − native fork+exec %s ms = **%s ms** "
         "(per-round %s to %s ms); vs native-warm (no start-up at all) %s ms; with the CLI "
         "(`ward sandbox call`, an exec of ward on the client side) − native: %s ms"
         % (ms(med("ward-proto", "upper")), ms(med("native", "upper")), ms(added["pooled"]),
            ms(added["lo"]), ms(added["hi"]), ms(added_warm["pooled"]), ms(added_cli["pooled"])),
         "**yes**" if g2 else "**no**: by %s ms" % ms(added["pooled"] - 1e-3)],
        ["one-shot start faster than bubblewrap",
         "`upper`: ward sandbox run %s ms vs bwrap %s ms: **%.2f×** (per-round %.2f–%.2f×)"
         % (ms(med("ward-run", "upper")), ms(med("bwrap", "upper")), run_vs_bw["pooled"],
            run_vs_bw["lo"], run_vs_bw["hi"]),
         "**yes**" if g3 else "**no**: %.1f× slower (+%s ms)" % (
             run_vs_bw["pooled"], ms(med("ward-run", "upper") - med("bwrap", "upper")))],
    ])

    # ---------------------------------------------------------------- latency
    md += "\n## Per-request latency of one filter (`upper`: %s)\n\n" % SVC_WHAT["upper"]
    rows = []
    for m in MODES:
        s = stat[(m, "upper")]
        rows.append([m, MODE_WHAT[m], s["n"], "**%s**" % ms(s["median"]),
                     "%s–%s" % (ms(s["q1"]), ms(s["q3"])), "%s–%s" % (ms(s["p10"]), ms(s["p90"])),
                     ms(s["min"]), ms(s["max"]),
                     rcell(ratio(m, "native", "upper")), rcell(ratio(m, "bwrap", "upper"))])
    md += S.table(["mode", "what is timed", "n", "median ms", "IQR ms", "p10–p90 ms", "min ms",
                   "max ms", "× native (per-round range)", "× bwrap"], rows)
    md += ("\nDifferences of medians (per-round range): ward-proto − native **%s ms** (%s to %s); "
           "ward-proto − native-warm %s ms; ward-call − native %s ms; ward-call − ward-proto "
           "(the CLI's own exec and start-up) %s ms; ward-run − bwrap %s ms.\n"
           % (ms(added["pooled"]), ms(added["lo"]), ms(added["hi"]), ms(added_warm["pooled"]),
              ms(added_cli["pooled"]), ms(diff("ward-call", "ward-proto", "upper")["pooled"]),
              ms(diff("ward-run", "bwrap", "upper")["pooled"])))
    pv = vals("ward-proto", "upper")
    fast = min(pv)
    slow = [v for v in pv if v > fast + 5e-3]
    if slow:
        md += ("\nThe warm-pool latency is bimodal: %d of %d ward-proto requests took more than "
               "5 ms above the fastest (%s ms); the fast ones have a median of %s ms, the slow "
               "ones %s ms. See *What the time goes to*.\n"
               % (len(slow), len(pv), ms(fast),
                  ms(statistics.median([v for v in pv if v <= fast + 5e-3])),
                  ms(statistics.median(slow))))
    else:
        md += ("\nNo ward-proto request took more than 5 ms above the fastest (%s ms).\n"
               % ms(fast))

    # ---------------------------------------------------------------- compute
    md += "\n## Runtime overhead on compute services\n\n"
    rows = []
    for svc in COMPUTE:
        for m in MODES:
            s = stat[(m, svc)]
            rows.append([svc if m == "native" else "", m, s["n"], "**%s**" % ms(s["median"]),
                         "%s–%s" % (ms(s["q1"]), ms(s["q3"])),
                         "%s–%s" % (ms(s["p10"]), ms(s["p90"])),
                         rcell(ratio(m, "native", svc)) if m != "native" else "1",
                         rcell(ratio(m, "bwrap", svc)) if m.startswith("ward") else "",
                         rcell(ratio(m, "native-warm", svc)) if m == "ward-proto" else ""])
    md += S.table(["service", "mode", "n", "median ms", "IQR ms", "p10–p90 ms",
                   "× native (per-round range)", "× bwrap", "× native-warm"], rows)
    md += "\nRatios of medians, per service, and their geometric mean:\n\n"
    rows = []
    for svc in COMPUTE:
        rows.append([svc, SVC_WHAT[svc], rcell(bw[svc]), rcell(e2e_run[svc]), rcell(e2e_call[svc]),
                     rcell(e2e_proto[svc]), rcell(steady[svc], bold=True)])
    rows.append(["**geomean**", "", "%.3f" % g_bw, "%.3f" % g_run, "%.3f" % g_call,
                 "%.3f" % g_proto, "**%.3f**" % g_steady])
    md += S.table(["service", "workload", "bwrap / native", "ward-run / native (one-shot, end to end)",
                   "ward-call / native", "ward-proto / native (warm pool, end to end)",
                   "ward-proto / native-warm (steady compute)"], rows)
    md += ("\nThe steady-compute ratio compares the same request with the start-up hidden on both "
           "sides: native-warm times a native process from its first input byte (it already waits "
           "on fd 0), ward-proto a warm sandbox from the client's connect(). What remains is the "
           "sandbox itself (seccomp, Landlock, cgroup limits, the fanotify guard on each open "
           "after activation) and the data path (client → socket → monitor → pipe → service, and "
           "back).\n")

    wrows = []
    for svc in services:
        for m in ("ward-call", "ward-proto"):
            w = cpu.get(("wait", m, svc), [])
            if w:
                late = [x for x in w if x > 0.002]
                wrows.append([svc, m, len(w), len(late),
                              ms(statistics.median(late)) if late else "—",
                              ms(max(w))])
    if wrows:
        md += ("\n**The pool between requests.** wardd refills a service's pool after a request; "
               "before each ward-call and ward-proto request sbclient waited, untimed, after its "
               "%d ms pause, until the pool held a sandbox of the service waiting on fd 0. How "
               "often the pool was not ready yet, and how much longer it took:\n\n"
               % meta["gap_ms"])
        md += S.table(["service", "mode", "requests", "pool not ready after the pause",
                       "extra wait ms (median of those)", "max extra wait ms"], wrows)
    if sb_cpu:
        md += ("\n**The service's own CPU time per request** (untimed runs after the rounds): "
               "inside a warm sandbox, `perf stat -e task-clock -p PID` attached to the "
               "sandboxed process while it waits on fd 0, over one ward-proto request (%d "
               "requests per service, after the rounds: fewer and noisier than the timed ones); natively, the native-warm requests' CPU time from "
               "sbclient (wait4's rusage less the run time before the first input byte). "
               "Where the CPU ratio is near 1 and the wall-time ratio is not, the request "
               "waited (for a CPU, for the monitor's copies of the data) rather than "
               "computed more slowly.\n\n" % max(len(v) for v in sb_cpu.values()))
        rows = []
        for svc in COMPUTE:
            if svc not in sb_cpu or not cpu.get(("native-warm", svc)):
                continue
            a, b = statistics.median(sb_cpu[svc]), statistics.median(cpu[("native-warm", svc)])
            rows.append([svc, len(cpu[("native-warm", svc)]), ms(b), len(sb_cpu[svc]), ms(a),
                         "**%.3f**" % (a / b), "%.3f" % steady[svc]["pooled"],
                         ms(med("native-warm", svc)), ms(med("ward-proto", svc))])
        if g_cpu:
            rows.append(["**geomean**", "", "", "", "", "**%.3f**" % g_cpu, "%.3f" % g_steady, "", ""])
        md += S.table(["service", "n native-warm", "CPU ms native-warm (median)",
                       "n sandbox", "CPU ms in the sandbox (median)", "CPU ratio",
                       "wall ratio ward-proto / native-warm", "wall ms native-warm",
                       "wall ms ward-proto"], rows)
    md += "\n![per-request latency by mode, and runtime ratio by service](sandbox.png)\n"

    # ---------------------------------------------------------------- diagnosis
    md += "\n## What the time goes to\n\n"
    if meta.get("diag_ok"):
        md += ("After the rounds, untimed: `perf trace --duration 0.1` over 10 requests of "
               "`upper` in three modes; every system call of the processes involved that took "
               "≥ 0.1 ms, by kind (the 12 largest), except waits (poll, wait4, read, recvmsg, ...). perf slows what "
               "it traces (the requests' medians under it are given for scale); these explain "
               "the medians above, they are not timings. Raw: `raw/sandbox-diag-*.txt`.\n\n")
        for name, what in (
                ("ward-run", "one-shot `ward sandbox run`: `perf trace --duration 0.1 -- sbclient "
                 "... ward sandbox run`, every process of it but sbclient"),
                ("bwrap", "bwrap: the same with `bwrap ... tr`"),
                ("ward-proto", "warm pool: a wardd serving only `upper` started by `perf trace "
                 "--duration 0.1`, so every process it forks is traced (wardd, the monitors, "
                 "keepers, sandboxes: their builds, warm-ups and teardowns included, i.e. 12 "
                 "sandboxes for 10 requests), the client not")):
            rows, kinds = diag_table(raw, name, 10)
            lat = diag_latency(raw, name)
            procs = sorted({c[0] if not c[0].startswith(":") else "forks perf saw unnamed"
                            for c in parse_perf(os.path.join(raw, "sandbox-diag-%s.txt" % name))
                            if c[0] not in NOT_OURS})
            md += "**%s** (processes seen: %s; median request under perf %s ms):\n\n" % (
                what, ", ".join(procs) or "—", ms(lat["median"]) if lat else "?")
            md += S.table(["kind", "calls ≥ 0.1 ms", "ms per request (sum / 10)", "median ms",
                           "max ms"], rows or [["none", 0, "0", "—", "—"]]) + "\n"
        per_req = proto_requests(raw)
        n_before = sum(1 for r in per_req if r[3])
        n_after = sum(1 for r in per_req if r[3] is False)
        if per_req:
            fast_cut = min(r[0] for r in per_req) + 5e-3
            slow = [r for r in per_req if r[0] > fast_cut]
            fastr = [r for r in per_req if r[0] <= fast_cut]
            f1 = lambda x: "%.1f" % (x * 1e3) if x is not None else "—"
            rows = [[f1(L), f1(dt), f1(c), "—" if b is None else ("before" if b else "after")]
                    for L, dt, c, b in per_req]
            md += ("**warm pool, request by request** (a wardd serving `upper` started by `perf "
                   "trace -e recvmsg,write,close`, 20 requests; tracing three system calls slows "
                   "little else). For each request, in order: its time in sbclient; in the "
                   "monitor that served it, from receiving the request (its last 16-byte "
                   "`recvmsg` on wardd's channel) to writing the 40-byte response header; that "
                   "monitor's `close(fd: 12)`, the guard's fanotify group (`close(fd: "
                   "12<anon_inode:[fanotify]>)` in the traces above; a monitor closes it once, "
                   "at teardown); and whether that close began before or after the answer. A "
                   "dash: not in the trace.\n\n")
            md += S.table(["request ms", "monitor: request → answer ms", "close(fanotify) ms",
                           "close began … the answer"], rows)

            def mc(xs):
                xs = [x for x in xs if x is not None]
                return "%.1f" % (statistics.median(xs) * 1e3) if xs else "—"
            md += ("\nThe monitor closed the fanotify group before answering in %d of %d requests "
                   "and after it in %d. %d of %d requests were slow (over the fastest + 5 ms); "
                   "fanotify close, median: slow requests %s ms, fast ones %s ms.\n\n"
                   % (n_before, len(per_req), n_after, len(slow), len(per_req),
                      mc([r[2] for r in slow]), mc([r[2] for r in fastr])))
        run_rows, run_kinds = diag_table(raw, "ward-run", 10)
        run_lat = diag_latency(raw, "ward-run")
        cg = sorted({k.split("(")[1].split(")")[0] for k in run_kinds
                     if k.startswith("write cgroup.procs")})
        guard = sum(sum(v) for k, v in run_kinds.items()
                    if k.startswith("execve") or k.startswith("openat")) / 10
        fclose = sum(sum(v) for k, v in run_kinds.items() if k.startswith("close the guard")) / 10
        total = sum(sum(v) for v in run_kinds.values()) / 10
        parts = []
        if cg:
            parts.append("joining the sandbox's cgroups by a `write` to `cgroup.procs` (%s): the "
                         "kernel takes its cgroup threadgroup rwsem for writing, which waits for "
                         "an RCU grace period (several ms on this VM)" % ", ".join(cg))
        if guard:
            parts.append("the guard: the service's execve and its opens of code-mount files wait "
                         "for the monitor's decision (measure the file, record it%s), %.1f ms per "
                         "request under perf" % (
                             ": the fdatasync/fsync rows are the log's appends"
                             if any(k in ("fdatasync", "fsync") for k in run_kinds) else "", guard))
        if fclose:
            parts.append("teardown: closing the guard's fanotify group waits for the fsnotify mark "
                         "reaper and an SRCU grace period (up to ~20 ms; %.1f ms per request on "
                         "average here)" % fclose)
        md += ("Reading (an interpretation of the tables, not a measurement). One-shot: the "
               "calls of 0.1 ms or more (waits aside) add up to %.1f ms of the %s ms a request "
               "took under perf; the rest is in shorter calls (namespaces, mounts, Landlock, seccomp, "
               "cgroups, the copies in and out). The long ones are waits that bwrap never makes"
               "%s. "
               % (total, ms(run_lat["median"]) if run_lat else "?",
                  (": " + "; ".join("(%d) %s" % (n + 1, t) for n, t in enumerate(parts)))
                  if parts else ""))
        md += ("In the warm pool, the build and the guard's start-up measurements are paid by the "
               "pool's refill, off the request's path. ")
        if per_req and n_before > n_after:
            md += ("The fanotify close is on the request's path: the monitor answers the client only after "
                   "the teardown (src/daemon/wardd.c sandbox_child() answers after "
                   "sandbox_run() returned): when the close is quick a request takes a few ms, "
                   "when it is not, 15 ms or more.\n")
        elif per_req:
            md += ("The fanotify close is off the request's path in this build: the monitor answers first and "
                   "tears down afterwards (the close began after the answer in %d of %d "
                   "requests). What is left of the warm pool's added latency is the request's "
                   "own path: wardd's dispatch, the monitor's copies in and out, the activation, "
                   "and waiting for the service's exit.\n" % (n_after, len(per_req)))
    else:
        md += "perf was not available: no diagnosis.\n"

    # ---------------------------------------------------------------- odd
    md += "\n## Anything odd\n\n"
    odd = []
    for svc in COMPUTE:
        su = med("native", svc) - med("native-warm", svc)
        if su > 0.02 * med("native", svc):
            odd.append("%s: a native fork+exec takes %s ms longer than the same request to a "
                       "process already waiting on fd 0 (its start-up: loading libraries and "
                       "data before it reads), so the warm pool hides that and ward-proto / "
                       "native is %.3f." % (svc, ms(su), ratio("ward-proto", "native", svc)["pooled"]))
    tails = [(m, svc, stat[(m, svc)]["p90"] / stat[(m, svc)]["median"]) for m in MODES
             for svc in services if (m, svc) in stat]
    tails = [t for t in tails if t[2] > 1.25]
    if tails:
        odd.append("Long tails (p90 over 1.25× the median): %s. The machine is shared; the "
                   "load paragraph at the top says how busy it was."
                   % ", ".join("%s %s %.2f×" % t for t in tails))
    odd.append("The one-shot log grows with every request (%.1f records per `ward sandbox run`, "
               "see the next section): each run registers its service again, with its ward-service "
               "record and its `measure` paths (all of ImageMagick's modules for resize), made "
               "durable before the service starts; part of ward-run's cost for resize and ocr."
               % (meta["run_log"]["records"] / max(1, sum(len(vals("ward-run", s_)) for s_ in services)
                                                 + len(services) + (10 if meta.get("diag_ok") else 0))))
    odd.append("wardd refuses to serve from a host whose /proc shows every process to every "
               "user; like the tests, the benchmark runs (every mode alike) in a mount namespace "
               "of its own with a `hidepid=invisible` /proc; the host's /proc is untouched.")
    odd.append("`convert` on this machine's PATH is /usr/local/bin/convert, a Python stand-in; "
               "the benchmark names ImageMagick's real binary, /usr/bin/convert-im6.q16, "
               "everywhere (the manifest's argv[0] and the input generation).")
    md += "".join("- %s\n" % o for o in odd)

    # ---------------------------------------------------------------- log
    rl_, wl = meta["run_log"], meta["wardd_log"]
    n_diag = 10 if meta.get("diag_ok") else 0
    n_run = sum(len(vals("ward-run", s)) for s in services) + len(services) + n_diag
    n_wd = (sum(len(vals("ward-call", s)) + len(vals("ward-proto", s)) for s in services)
            + 2 * len(services) + n_diag)
    md += "\n## Measurement log\n\n"
    md += S.table(["path", "requests (incl. the sanity pass and the perf runs)", "records in the log",
                   "of which ward-service", "log bytes"], [
        ["one-shot (`ward sandbox run`, one state dir)", n_run, rl_["records"], rl_["service"],
         "{:,}".format(rl_["bytes"])],
        ["wardd (ward-call + ward-proto)", n_wd, wl["records"], wl["service"],
         "{:,}".format(wl["bytes"])],
    ])
    md += ("\nwardd records each service once (%d ward-service records for %d services). Every "
           "one-shot run registers its service again and appends its records again: %.1f records "
           "per one-shot request on average, each batch made durable before the request runs.\n"
           % (wl["service"], len(services), rl_["records"] / max(1, n_run)))

    # ---------------------------------------------------------------- setup
    md += "\n## Services and checks\n\n"
    rows = []
    for s in services:
        m = meta["manifests"][s]
        rows.append([s, SVC_WHAT[s], S.code(" ".join(m["manifest"]["argv"])),
                     "[manifests/%s.json](../sandbox/manifests/%s.json)" % (s, s),
                     m["sha256"][:16] + "…",
                     ", ".join("%s %s" % (k, m["manifest"][k]) for k in
                               ("memory_mb", "threads", "scratch_mb", "max_input_bytes",
                                "max_output_bytes", "pool") if k in m["manifest"])])
    md += S.table(["service", "workload", "argv", "manifest (template)", "sha256 as served",
                   "limits set"], rows)
    md += ("\nTools: %s; %s; %s; sqlite %s; %s. wardd binary sha256 %s (a copy of build/wardd "
           "taken at the start).\n\n" % (meta["bwrap"], meta["imagemagick"], meta["tesseract"],
                                         meta["sqlite"], meta["gzip"], meta["wardd_sha256"]))
    md += "".join("- %s\n" % c for c in meta["checks"])
    md += ("- Every timed request returned the same bytes as the native run (the report checked "
           "the length and FNV-1a 64 of all %d results).\n"
           % sum(sum(v.values()) for v in outs.values()))
    md += ("- native and bwrap get exactly the sandbox's environment (PATH=/usr/local/bin:/usr/bin:/bin "
           "HOME=/tmp TMPDIR=/tmp plus the manifest's env, e.g. OMP_THREAD_LIMIT=1 for convert and "
           "tesseract) and cwd /tmp; bwrap is the issue's command plus `--chdir /tmp` and a "
           "read-only bind of the manifest's `files`.\n")
    md += S.commands_block(meta["commands"])
    S.write(os.path.join(results, "sandbox.md"), md)

    plot(results, services, vals, ratio, bw, e2e_run, e2e_proto, steady, rounds)

    head = ("steady compute overhead (warm pool vs native, start-up hidden) geomean %s (goal ≤2%%: %s); "
            "end to end one-shot %s, warm pool %s; warm-pool added latency %s ms (goal <1 ms: %s); "
            "one-shot start %s ms vs bwrap %s ms (goal faster: %s)"
            % (pct_signed(g_steady), "met" if g1 else "missed", pct_signed(g_run),
               pct_signed(g_proto), ms(added["pooled"]), "met" if g2 else "missed",
               ms(med("ward-run", "upper")), ms(med("bwrap", "upper")), "met" if g3 else "missed"))
    cmds = [c for c in meta["commands"] if "'r1 ward-proto upper'" in c or "'r1 native upper'" in c
            or "'r1 ward-run upper'" in c][:3]
    S.save_summary(raw, "sandbox", {"title": "Confidential sandboxes (latency, runtime overhead)",
                                    "file": "sandbox.md", "date": facts["date"], "headline": head,
                                    "commands": cmds})
    print(head)


def plot(results, services, vals, ratio, bw, e2e_run, e2e_proto, steady, rounds):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.1, 1]})
    d = [[v * 1e3 for v in vals(m, "upper")] for m in MODES]
    a.boxplot(d, labels=MODES, whis=(10, 90), showfliers=False)
    for i, xs in enumerate(d):
        a.scatter([i + 1 + 0.18 * ((j % 7) - 3) / 3 for j in range(len(xs))], xs, s=8, alpha=0.5)
    a.set_yscale("log")
    a.set_ylabel("ms per request (log scale)")
    a.set_title("per-request latency, tr a-z A-Z on 4 KiB\n(box: IQR, whiskers p10–p90, dots: every request)")
    a.tick_params(axis="x", rotation=20)
    a.grid(axis="y", which="both", alpha=0.3)

    series = [("bwrap / native", bw), ("ward-run / native (one-shot)", e2e_run),
              ("ward-proto / native (warm pool)", e2e_proto),
              ("ward-proto / native-warm (steady)", steady)]
    w = 0.2
    for i, (label, r) in enumerate(series):
        xs = [k + (i - 1.5) * w for k in range(len(COMPUTE))]
        ys = [r[s]["pooled"] for s in COMPUTE]
        err = [[r[s]["pooled"] - r[s]["lo"] for s in COMPUTE], [r[s]["hi"] - r[s]["pooled"] for s in COMPUTE]]
        b.bar(xs, ys, w, label=label, yerr=err if rounds > 1 else None, capsize=2)
    b.axhline(1.0, color="black", lw=0.8)
    b.axhline(1.02, color="red", lw=0.8, ls="--", label="goal: 1.02")
    b.set_xticks(range(len(COMPUTE)))
    b.set_xticklabels(COMPUTE)
    lo = min(min(r[s]["lo"] for s in COMPUTE) for _, r in series)
    hi = max(max(r[s]["hi"] for s in COMPUTE) for _, r in series)
    b.set_ylim(max(0, min(0.9, lo - 0.02)), hi + 0.05)
    b.set_ylabel("ratio of median request times")
    b.set_title("runtime ratio by service\n(bars: pooled medians, whiskers: per-round range)")
    b.legend(fontsize=8, loc="upper left")
    b.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(results, "sandbox.png"), dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
