#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Statistics and markdown for bench/: turns hyperfine's JSON exports and the benchmarks' own
measurements (bench/results/raw/) into the tables in bench/results/.

Every number in a table is traceable: each row names the exact command, and the raw per-run
times stay in bench/results/raw/. Medians, not means: a VM's scheduler hiccups land in the
tail, and the spread columns (min/max, IQR) show how large that tail was.

usage:
  stats.py facts WARD ROOT WORK          machine facts as JSON on stdout
  stats.py meta OUT KEY=STR|KEY:=JSON|KEY@=FILE...
                                         write a small JSON object (for the shell scripts);
                                         KEY@=FILE is the list of FILE's lines
  stats.py load OUT [OWN_CPU_SECONDS]    snapshot of what runs on the machine (CPU ticks, PSI)
  stats.py digest|replay|append|exec RAW RESULTS
  stats.py index RAW RESULTS             results/README.md from the per-benchmark summaries
"""
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

MB = 1e6  # MB/s means 10^6 bytes per second, the unit of openssl speed ("1000s of bytes")


# ---------------------------------------------------------------- statistics and formatting

def summary(xs):
    xs = sorted(xs)
    if len(xs) >= 2:
        q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    else:
        q1 = q3 = xs[0]
    return {"n": len(xs), "median": statistics.median(xs), "min": xs[0], "max": xs[-1],
            "q1": q1, "q3": q3, "mean": statistics.fmean(xs)}


def sig(x, digits=4):
    """x with `digits` significant digits, without scientific notation."""
    if x == 0:
        return "0"
    mag = len(str(int(abs(x)))) if abs(x) >= 1 else 0
    if abs(x) < 1:
        s = "%.*g" % (digits, x)
        return s if "e" not in s else "%.*f" % (digits + 3, x)
    return "{:,.{p}f}".format(x, p=max(0, digits - mag))


def ms(seconds):
    return sig(seconds * 1e3)


def human(n):
    for unit, k in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << k and n % (1 << k) == 0:
            return "%d %s" % (n >> k, unit)
    return "%d bytes" % n


def pct(r):
    return "%.1f%%" % (100 * r)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def abbrev(cmd):
    """A run of numbered file arguments (DIR/f0000 DIR/f0001 ...) shown as its first and last;
    the full command stays in raw/*-commands.txt and the hyperfine export."""
    def repl(m):
        names = m.group(0).split()
        return "%s … %s (%d files)" % (names[0], names[-1], len(names))
    return re.sub(r"(?:\S+/f\d{4} ){2,}\S+/f\d{4}", repl, cmd)


def code(s):
    return "`" + abbrev(s).replace("|", "\\|") + "`"


def commands_block(cmds):
    return "\n## Exact commands\n\n```\n" + "\n".join(abbrev(c) for c in cmds) + "\n```\n"


def load(path):
    with open(path) as f:
        return json.load(f)


def hf(raw, name):
    """hyperfine export(s) of NAME: NAME.json, or the rounds NAME-r1.json, NAME-r2.json, ...
    pooled command by command (the same commands in the same order in every round). Each
    result gets its summary under 's' and, for rounds, the per-round summaries under
    'rounds'."""
    paths = sorted(glob.glob(os.path.join(raw, name + "-r*.json")),
                   key=lambda p: int(re.search(r"-r(\d+)\.json$", p).group(1)))
    if not paths:
        paths = [os.path.join(raw, name + ".json")]
    per = [load(p)["results"] for p in paths]
    out = []
    for i, first in enumerate(per[0]):
        rs = [res[i] for res in per]
        for r in rs:
            if r["command"] != first["command"]:
                raise SystemExit("%s: rounds ran different commands" % name)
            if any(c != 0 for c in r.get("exit_codes", [])):
                raise SystemExit("%s: %s exited non-zero" % (name, r["command"]))
        times = [t for r in rs for t in r["times"]]
        n = len(times)
        out.append({"command": first["command"], "times": times, "s": summary(times),
                    "user": sum(r["user"] * len(r["times"]) for r in rs) / n,
                    "system": sum(r["system"] * len(r["times"]) for r in rs) / n,
                    "rounds": [summary(r["times"]) for r in rs]})
    return out


def timing_cells(s):
    """median, min, max, IQR (all in ms)."""
    return [ms(s["median"]), ms(s["min"]), ms(s["max"]), "%s–%s" % (ms(s["q1"]), ms(s["q3"]))]


def rel(path, root):
    return os.path.relpath(path, root) if path.startswith(root + "/") else path


def header(title, facts, what):
    return ("# %s\n\n" % title +
            "Generated %s by %s on %s, %s CPUs (%s guest), kernel %s, %s; every command ran "
            "at nice %d. Machine details: [README.md](README.md). Raw per-run data: `raw/`.\n\n"
            % (facts["date"], code(what), facts["cpu_model"], facts["nproc"],
               facts["hypervisor"], facts["kernel"], facts["openssl"], facts.get("nice", 0)))


def bench_facts(raw, name):
    """The machine facts taken when benchmark NAME started (facts.json: the latest run's)."""
    p = os.path.join(raw, name + "-facts.json")
    return load(p if os.path.exists(p) else os.path.join(raw, "facts.json"))


def save_summary(raw, name, s):
    with open(os.path.join(raw, name + "-summary.json"), "w") as f:
        json.dump(s, f, indent=1)
        f.write("\n")


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------- facts and meta

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def cmd_facts(ward, root, work):
    cpu = ""
    for line in sh("lscpu").splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    hv = ""
    for line in sh("lscpu").splitlines():
        if line.startswith("Hypervisor vendor:"):
            hv = line.split(":", 1)[1].strip()
    flags = open("/proc/cpuinfo").read()
    mem = [l for l in open("/proc/meminfo") if l.startswith("MemTotal")]
    with open(ward, "rb") as f:
        ward_sha = hashlib.sha256(f.read()).hexdigest()
    dirty = sh("git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", "src",
               "include", "meson.build")
    facts = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": sh("nproc"),
        "cpu_model": cpu or platform.processor(),
        "cpu_sha_ni": " sha_ni " in flags or " sha_ni\n" in flags,
        "cpu_avx512f": " avx512f " in flags,
        "hypervisor": hv or "none",
        "mem_total": mem[0].split(":", 1)[1].strip() if mem else "",
        "kernel": sh("uname", "-r"),
        "openssl": sh("openssl", "version"),
        "hyperfine": sh("hyperfine", "--version"),
        "evmctl": sh("evmctl", "--version"),
        "coreutils": sh("sha256sum", "--version").splitlines()[0] if sh("sha256sum", "--version") else "",
        "python": platform.python_version(),
        "nice": os.nice(0),
        "ward": sh(ward, "--version"),
        "ward_binary": ward,
        "ward_sha256": ward_sha,
        "git_commit": sh("git", "-C", root, "rev-parse", "HEAD"),
        "git_dirty_src": bool(dirty),
        "work_fs": sh("findmnt", "-no", "FSTYPE,SOURCE,OPTIONS", "-T", work),
    }
    json.dump(facts, sys.stdout, indent=1)
    sys.stdout.write("\n")


def cmd_load(out, own_cpu=None):
    """A snapshot of how busy the machine is: the CPU pressure counter, the load average,
    the machine's busy and steal time, and every process's CPU ticks, to tell afterwards what
    else ran during a benchmark. OWN_CPU: CPU seconds used so far by the benchmark script's
    children (bash `times`), to subtract our own share from the machine's."""
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]
    steal = cpu[7] if len(cpu) > 7 else 0
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rindex(")") + 2:].split()
        procs[d] = [comm, int(fields[11]) + int(fields[12]), int(fields[1])]  # utime+stime, ppid
    psi = None
    try:
        with open("/proc/pressure/cpu") as f:
            psi = int(re.search(r"^some .*total=(\d+)", f.read(), re.M).group(1))
    except (OSError, AttributeError):
        pass
    with open("/proc/loadavg") as f:
        loadavg = f.read().split()[:3]
    with open(out, "w") as f:
        json.dump({"t": time.time(), "psi_some_us": psi, "loadavg": loadavg, "procs": procs,
                   "busy_ticks": busy, "steal_ticks": steal,
                   "own_cpu": float(own_cpu) if own_cpu is not None else None,
                   "self": os.getppid(), "clk_tck": os.sysconf("SC_CLK_TCK")}, f)


def load_note(raw, name):
    """One sentence: how much CPU others used while benchmark NAME ran."""
    try:
        a = load(os.path.join(raw, name + "-load-begin.json"))
        b = load(os.path.join(raw, name + "-load-end.json"))
    except OSError:
        return ""
    wall = b["t"] - a["t"]
    # Our own long-lived processes: the benchmark script and its ancestors.
    ours, pid = set(), str(a["self"])
    while pid in a["procs"] and pid not in ours and pid != "0":
        ours.add(pid)
        pid = str(a["procs"][pid][2])
    busy = []
    for pid, (comm, ticks, _) in b["procs"].items():
        if pid in a["procs"] and pid not in ours and a["procs"][pid][0] == comm:
            cpu = (ticks - a["procs"][pid][1]) / b["clk_tck"] / wall
            if cpu >= 0.05:
                busy.append((cpu, comm, pid))
    busy.sort(reverse=True)
    psi = ""
    if a["psi_some_us"] is not None and b["psi_some_us"] is not None:
        psi = ("CPU pressure (some) %.0f%% of the %.0f s: a runnable task waited for a CPU that "
               "long. " % (100 * (b["psi_some_us"] - a["psi_some_us"]) / 1e6 / wall, wall))
    others = ", ".join("%s (pid %s, %.0f%% of a CPU)" % (c, p, 100 * u) for u, c, p in busy[:5])
    tck = b["clk_tck"]
    machine = (b["busy_ticks"] - a["busy_ticks"]) / tck
    steal = (b["steal_ticks"] - a["steal_ticks"]) / tck
    acct = ""
    if a.get("own_cpu") is not None and b.get("own_cpu") is not None:
        own = b["own_cpu"] - a["own_cpu"]
        acct = ("All CPUs together were busy %.0f CPU-s, of which this benchmark used %.0f: "
                "%.0f CPU-s (%.0f%% of one CPU on average) went to other work. "
                % (machine, own, max(0.0, machine - own), 100 * max(0.0, machine - own) / wall))
    if steal > 0.01 * wall:
        acct += "The hypervisor stole %.1f CPU-s. " % steal
    return ("**Machine load while this ran:** %s%sProcesses alive throughout that used ≥5%% "
            "of a CPU: %s. Load average at the end: %s.\n\n"
            % (psi, acct, others or "none", " ".join(b["loadavg"])))


def cmd_meta(out, pairs):
    d = {}
    for p in pairs:
        if "@=" in p:
            k, v = p.split("@=", 1)
            with open(v) as f:
                d[k] = [l.rstrip("\n") for l in f if l.strip()]
        elif ":=" in p:
            k, v = p.split(":=", 1)
            d[k] = json.loads(v)
        else:
            k, v = p.split("=", 1)
            d[k] = v
    with open(out, "w") as f:
        json.dump(d, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- digest

DIGEST_TOOLS = [
    # (raw name, label, input: "big" file or the "small" files, what it does)
    ("digest-ward-scan", "ward policy scan", "big",
     "ward's measure_fd(): pread() 128 KiB chunks + EVP_DigestUpdate() on one thread; "
     "writes a 1-entry policy to stdout"),
    ("digest-ward-measure", "ward measure", "big",
     "the same measure_fd() + one ima-ng record appended to a state dir (one fdatasync)"),
    ("digest-openssl-dgst", "openssl dgst -sha256", "big",
     "the same libcrypto, openssl's own BIO read loop (one thread)"),
    ("digest-sha256sum", "sha256sum", "big",
     "GNU coreutils' own C SHA-256 (not linked to libcrypto: no SHA-NI)"),
    ("digest-ward-scan-small", "ward policy scan, small files", "small",
     "measure_fd() on many 2 MiB files: pread() 128 KiB + EVP_DigestUpdate(), "
     "one file after the other"),
    ("digest-openssl-dgst-small", "openssl dgst -sha256, small files", "small",
     "the same files, one openssl process"),
]


def openssl_speed(raw, block):
    vals, cmds = [], set()
    for p in sorted(glob.glob(os.path.join(raw, "openssl-speed-%d-*.txt" % block))):
        text = open(p).read()
        m = re.search(r"^\+F:\d+:sha256:([0-9.]+)", text, re.M)
        if not m:
            raise SystemExit("%s: no '+F:...:sha256:' line" % p)
        vals.append(float(m.group(1)) / MB)
        c = re.search(r"^# command: (.*)$", text, re.M)
        if c:
            cmds.add(c.group(1))
    if not vals:
        raise SystemExit("no openssl speed output for %d-byte blocks in %s" % (block, raw))
    return summary(vals), sorted(cmds), vals


def cmd_digest(raw, results):
    facts = bench_facts(raw, "digest")
    meta = load(os.path.join(raw, "digest-meta.json"))
    root = meta["root"]
    sizes = {"big": meta["size"], "small": meta["small_n"] * meta["small_size"]}
    inputs = {"big": "1 file of %s" % meta["size_human"],
              "small": "%d files of %s" % (meta["small_n"], human(meta["small_size"]))}
    tiny = meta["tiny_size"]
    sp128, sp128_cmds, sp128_rounds = openssl_speed(raw, 131072)
    sp16, sp16_cmds, _ = openssl_speed(raw, 16384)
    ref = sp128["median"]

    rows, per_tool = [], {}
    for name, label, which, what in DIGEST_TOOLS:
        size = sizes[which]
        big, small = hf(raw, name)
        b, t = big["s"], small["s"]
        raw_rate = size / b["median"] / MB
        corr = size / (b["median"] - t["median"]) / MB
        per_tool[name] = {"label": label, "big": big, "tiny": small, "rate": raw_rate,
                          "rate_corrected": corr, "size": size}
        rows.append([label, inputs[which], code(rel(big["command"], root)), b["n"]] +
                    timing_cells(b) +
                    [ms(t["median"]), sig(raw_rate), "%s–%s" % (sig(size / b["max"] / MB),
                                                                 sig(size / b["min"] / MB)),
                     "**%s**" % sig(corr) if name == "digest-ward-scan" else sig(corr),
                     pct(corr / ref)])
    ddr = hf(raw, "digest-dd")[0]
    size = sizes["big"]
    dd_rate = size / ddr["s"]["median"] / MB

    ws = per_tool["digest-ward-scan"]
    od = per_tool["digest-openssl-dgst"]
    wsm = per_tool["digest-ward-scan-small"]
    odm = per_tool["digest-openssl-dgst-small"]
    ratio_corr = ws["rate_corrected"] / ref
    # Bounds of the ratio from the extremes of both sides (ward's fastest/slowest run against
    # openssl's slowest/fastest), start-corrected with the tiny file's median.
    t_med = ws["tiny"]["s"]["median"]
    lo = size / (ws["big"]["s"]["max"] - t_med) / MB / sp128["max"]
    hi = size / (ws["big"]["s"]["min"] - t_med) / MB / sp128["min"]
    goal = 0.90
    met = ratio_corr >= goal

    md = header("Digest throughput: ward vs openssl speed", facts, "bench/digest")
    md += load_note(raw, "digest")
    md += ("**Goal: ward ≥ 90%% of `openssl speed -evp sha256` (128 KiB blocks).** "
           "Result: ward hashes a page-cached %s file at **%s MB/s** start-corrected "
           "(%s MB/s raw), **%s** of openssl speed's %s MB/s (ratio range over all runs %s–%s). "
           "Goal %s%s. Against the like-for-like peer, `openssl dgst -sha256` on the same file "
           "(%s MB/s), ward is at **%s**. On %s ward "
           "reaches %s MB/s, %s of openssl speed and %s of openssl dgst on the same files.\n\n"
           % (meta["size_human"], sig(ws["rate_corrected"]), sig(ws["rate"]), pct(ratio_corr),
              sig(ref), pct(lo), pct(hi), "**met**" if met else "**missed**",
              "" if met else " by %.1f percentage points" % (100 * (goal - ratio_corr)),
              sig(od["rate_corrected"]), pct(ws["rate_corrected"] / od["rate_corrected"]),
              inputs["small"], sig(wsm["rate_corrected"]), pct(wsm["rate_corrected"] / ref),
              pct(wsm["rate_corrected"] / odm["rate_corrected"])))
    md += ("MB = 10^6 bytes (openssl speed's unit). MB/s = bytes hashed / median wall time of "
           "the whole command; *start-corrected* subtracts the median wall time of the same "
           "command on one %d-byte file (process start, OpenSSL init, output). Spread: min/max "
           "and IQR of the wall times; the MB/s range is bytes/max..bytes/min.\n\n" % tiny)
    md += "## Whole-command timings (hyperfine, files in page cache)\n\n"
    md += table(["tool", "input", "command", "runs", "median ms", "min ms", "max ms", "IQR ms",
                 "tiny-file median ms", "MB/s raw", "MB/s range", "MB/s start-corrected",
                 "÷ openssl speed 128 KiB"], rows)
    md += "\n" + "\n".join("* **%s**: %s." % (label, what) for _, label, _, what in DIGEST_TOOLS)
    md += "\n\n## openssl speed (no I/O: one buffer hashed over and over)\n\n"
    md += table(["block", "command", "runs", "median MB/s", "min MB/s", "max MB/s"],
                [["128 KiB", code(sp128_cmds[0] if sp128_cmds else "?"), sp128["n"],
                  sig(sp128["median"]), sig(sp128["min"]), sig(sp128["max"])],
                 ["16 KiB", code(sp16_cmds[0] if sp16_cmds else "?"), sp16["n"],
                  sig(sp16["median"]), sig(sp16["min"]), sig(sp16["max"])]])
    md += "\n## Round by round\n\n"
    rrows = []

    def corr_round(t, i):
        return t["size"] / (t["big"]["rounds"][i]["median"] - t["tiny"]["rounds"][i]["median"]) / MB

    for i, sp in enumerate(sp128_rounds):
        wr, orr, wsr = corr_round(ws, i), corr_round(od, i), corr_round(wsm, i)
        rrows.append([i + 1, sig(sp), sig(wr), pct(wr / sp), sig(orr), pct(orr / sp), sig(wsr),
                      pct(wsr / sp)])
    md += table(["round", "openssl speed 128 KiB MB/s", "ward, big file MB/s",
                 "÷ openssl speed", "openssl dgst, big file MB/s", "÷ openssl speed",
                 "ward, small files MB/s", "÷ openssl speed"], rrows)
    md += ("\nMB/s start-corrected. Each round runs every tool (%d rounds, in the order of the "
           "first table, then openssl speed); the tables above pool all rounds.\n"
           % meta["rounds"])

    # Where the time goes: hyperfine's mean user and system CPU time (all threads) of the
    # big-file run minus the tiny-file run: the hashing, and the page-cache copies.
    md += "\n## Where ward's time goes\n\n"
    trows = []
    for t, note in ((ws, "one big file"), (wsm, "many 2 MiB files")):
        user = t["big"]["user"] - t["tiny"]["user"]
        system = t["big"]["system"] - t["tiny"]["system"]
        wall = t["big"]["s"]["median"] - t["tiny"]["s"]["median"]
        trows.append([note, ms(wall), ms(user), ms(system), "%.2f" % ((user + system) / wall),
                      "%s MB/s (%s)" % (sig(t["size"] / user / MB), pct(t["size"] / user / MB / ref))])
    md += table(["ward policy scan", "wall ms (− tiny)", "user CPU ms", "system CPU ms",
                 "CPUs busy (user+sys)/wall", "bytes / user CPU (÷ openssl speed)"], trows)
    serial_model = 1 / (1 / ref + 1 / dd_rate)
    md += "\n"
    md += table(["reference", "MB/s", "from"], [
        ["page-cache read alone, 128 KiB reads, no hashing", sig(dd_rate),
         code(rel(ddr["command"], root))],
        ["copy, then hash, one thread, no overlap", "%s (%s of openssl speed)"
         % (sig(serial_model), pct(serial_model / ref)), "1 / (1/openssl speed + 1/dd read rate)"],
    ])
    md += ("\nCPU times are hyperfine's means over all threads (the kernel's accounting is "
           "coarser than wall time: ±a few %%). Every byte is copied by the kernel out of the "
           "page cache (pread) and then hashed from L2: the two add up. (A reader thread "
           "overlapping them was tried: on this %s-CPU machine it was no faster idle and slower "
           "under load, so ward keeps one thread.) openssl speed hashes one buffer that never leaves L1/L2 and does no I/O: it is the "
           "ceiling, not a like-for-like peer; `openssl dgst` is the like-for-like one (same "
           "libcrypto, same files, its own single-threaded read loop).\n" % facts["nproc"])
    md += "\n## Inputs checked\n\n"
    md += ("* Big file: `%s`, %d bytes of /dev/urandom, page-cache residency before the timed "
           "runs: %s, after: %s (`fincore`).\n" % (rel(meta["big"], root), size,
                                                   meta["fincore_before"], meta["fincore_after"]))
    md += ("* All four tools print the same SHA-256 for it: `%s` (ward policy scan, ward measure, "
           "openssl dgst, sha256sum: %s).\n" % (meta["sha256"], meta["digests_agree"]))
    md += ("* Small files: %s of /dev/urandom; ward policy scan's %d digests equal sha256sum's.\n"
           % (inputs["small"], meta["small_n"]))
    md += "* ward binary: `%s` (sha256 %s…), a copy of build/ward at git %s.\n" % (
        rel(facts["ward_binary"], root), facts["ward_sha256"][:16], facts["git_commit"][:12])
    md += commands_block(meta["commands"])
    write(os.path.join(results, "digest.md"), md)
    save_summary(raw, "digest", {
        "title": "Digest throughput (SHA-256, page-cached files)",
        "file": "digest.md", "date": facts["date"],
        "headline": "ward %s MB/s start-corrected (%s raw) on a %s file vs openssl speed 128 KiB "
                    "%s MB/s: **%s** (goal 90%%: %s); ward = %s of openssl dgst (%s MB/s); "
                    "small files (inline path) %s MB/s = %s of openssl speed; sha256sum %s MB/s"
                    % (sig(ws["rate_corrected"]), sig(ws["rate"]), meta["size_human"], sig(ref),
                       pct(ratio_corr), "met" if met else "missed",
                       pct(ws["rate_corrected"] / od["rate_corrected"]), sig(od["rate_corrected"]),
                       sig(wsm["rate_corrected"]), pct(wsm["rate_corrected"] / ref),
                       sig(per_tool["digest-sha256sum"]["rate_corrected"])),
        "commands": [ws["big"]["command"], ws["tiny"]["command"]] + sp128_cmds,
    })


# ---------------------------------------------------------------- replay

REPLAY_TOOLS = [
    # (label, work per record, is the peer)
    ("ward, SHA-1 bank", "3 SHA-1 (check template digest; replay: template digest + extend)", False),
    ("ward, SHA-256 bank", "1 SHA-1 (check) + 2 SHA-256 (template digest + extend)", False),
    ("ward --json, all 4 banks", "1 SHA-1 (check) + 4 × (template digest + extend) in "
     "SHA-1/256/384/512", False),
    ("evmctl, verifying against --pcrs", "4 SHA-1 + 3 SHA-256 (check; per bank: template digest, "
     "extend, extend of the zero-padded SHA-1 digest) + compare with the given PCRs; stat() of "
     "the file of every signed record", True),
    ("evmctl, no PCR source", "the same replay; nothing to compare against (prints "
     "'Failed to read any TPM PCRs', exit 0)", False),
]


def cmd_replay(raw, results):
    facts = bench_facts(raw, "replay")
    meta = load(os.path.join(raw, "replay-meta.json"))
    exp = load(meta["expected_json"])
    root = meta["root"]
    big, small = hf(raw, "replay-big"), hf(raw, "replay-small")
    if len(big) != len(REPLAY_TOOLS) or len(small) != len(REPLAY_TOOLS):
        raise SystemExit("replay: expected %d commands" % len(REPLAY_TOOLS))
    n_big, n_small = exp["records"], exp["source_records"]
    peer = next(i for i, t in enumerate(REPLAY_TOOLS) if t[2])
    rates = []
    for b, s in zip(big, small):
        rates.append((n_big / b["s"]["median"],
                      (n_big - n_small) / (b["s"]["median"] - s["s"]["median"])))
    rows = []
    for (label, work, _), b, s, (r_raw, r_corr) in zip(REPLAY_TOOLS, big, small, rates):
        rows.append([label, code(rel(b["command"], root)), b["s"]["n"]] + timing_cells(b["s"]) +
                    [ms(s["s"]["median"]), sig(r_raw, 3), "%s–%s" % (sig(n_big / b["s"]["max"], 3),
                                                                  sig(n_big / b["s"]["min"], 3)),
                     sig(r_corr, 3), "%.2f×" % (r_raw / rates[peer][0]),
                     "%.2f×" % (r_corr / rates[peer][1])])
    ward1 = rates[0]
    ev = rates[peer]
    md = header("Log replay rate: ward vs evmctl ima_measurement", facts, "bench/replay")
    md += load_note(raw, "replay")
    md += ("**Goal: ward faster than evmctl on the same log.** On %s records (%s × the %d-record "
           "ibmtss vTPM boot list, %.1f MB), ward replays the SHA-1 bank at **%s records/s** "
           "vs evmctl's %s records/s (verifying): **%.2f×** (start-corrected %.2f×). "
           "evmctl always replays two banks (SHA-1 and SHA-256); ward with all four banks "
           "(`--json`) is %.2f× evmctl.\n\n"
           % ("{:,}".format(n_big), exp["copies"], n_small, exp["bytes"] / MB, sig(ward1[0], 3),
              sig(ev[0], 3), ward1[0] / ev[0], ward1[1] / ev[1], rates[2][0] / ev[0]))
    md += ("records/s = records / median wall time of the whole command; *start-corrected* = "
           "(records_big − records_small) / (median_big − median_small), with the one-copy "
           "(%d-record) list as the small input. Ratios are against evmctl verifying against "
           "--pcrs.\n\n" % n_small)
    md += "## Timings (hyperfine, list in page cache)\n\n"
    md += table(["tool", "command", "runs", "median ms", "min ms", "max ms", "IQR ms",
                 "1-copy median ms", "records/s", "records/s range", "records/s start-corrected",
                 "÷ evmctl", "÷ evmctl, corrected"], rows)
    md += "\n## Round by round (records/s, raw)\n\n"
    rrows = []
    for i in range(len(big[0]["rounds"])):
        rr = [n_big / b["rounds"][i]["median"] for b in big]
        rrows.append([i + 1] + [sig(x, 3) for x in rr] +
                     ["%.2f×" % (rr[0] / rr[peer]), "%.2f×" % (rr[2] / rr[peer])])
    md += table(["round"] + [t[0] for t in REPLAY_TOOLS] +
                ["ward SHA-1 ÷ evmctl", "ward 4 banks ÷ evmctl"], rrows)
    md += "\n## Work per record\n\n"
    md += table(["tool", "hash operations per record (from the sources)"],
                [[t[0], t[1]] for t in REPLAY_TOOLS])
    md += ("\nevmctl (ima-evm-utils %s) has no replay-only switch: `ima_measurement` always "
           "replays the sha1 and sha256 banks, then compares them with PCRs it reads from "
           "`--pcrs` files, else sysfs, else a TPM. With `--pcrs` it compares after every "
           "record and **stops at the first record where all given banks match**, so the "
           "files must hold the value of the *whole* list (computed independently by "
           "bench/imalog.py). Without any PCR source it replays everything, compares nothing "
           "and exits 0. For every ima-sig record that carries a signature it also looks the "
           "file up on this machine (`Failed to stat:` on stderr, discarded) and hashes it if it "
           "exists, even without `--verify-sig`: %d signed records per copy; present here: %s.\n"
           % (facts["evmctl"].split()[-1], exp["signed_records_per_copy"],
              ", ".join("`%s`" % p for p in exp["signed_paths_present_here"]) or "none"))
    md += "\n## Inputs checked\n\n"
    md += ("* Log `%s`: `%s` (sha256 %s…) concatenated %d times = %s records, %d bytes; "
           "templates %s, all PCR 10. bench/imalog.py recomputed all %s template digests "
           "(SHA-1) and replayed all four banks itself; its one-copy values equal upstream's "
           "known-good PCR 10 (`%s`).\n"
           % (rel(meta["log"], root), exp["source"], exp["source_sha256"][:16], exp["copies"],
              "{:,}".format(exp["records"]), exp["bytes"], ", ".join(exp["templates"]),
              "{:,}".format(exp["template_digests_checked"]), exp["expected_1copy_matches"]))
    md += "* Expected PCR 10 of the whole list:\n"
    for b in ("sha1", "sha256", "sha384", "sha512"):
        md += "  * %s `%s`\n" % (b, exp["expected"][b])
    for line in meta["checks"]:
        md += "* %s\n" % line
    md += commands_block(meta["commands"])
    write(os.path.join(results, "replay.md"), md)
    save_summary(raw, "replay", {
        "title": "IMA log replay (%s records)" % "{:,}".format(n_big),
        "file": "replay.md", "date": facts["date"],
        "headline": "ward SHA-1 bank %s records/s vs evmctl %s records/s: **%.2f×** "
                    "(start-corrected %.2f×); ward SHA-256 bank %.2f×, ward all 4 banks %.2f×"
                    % (sig(ward1[0], 3), sig(ev[0], 3), ward1[0] / ev[0], ward1[1] / ev[1],
                       rates[1][0] / ev[0], rates[2][0] / ev[0]),
        "commands": [big[0]["command"], big[peer]["command"]],
    })


# ---------------------------------------------------------------- append

def cmd_append(raw, results):
    facts = bench_facts(raw, "append")
    meta = load(os.path.join(raw, "append-meta.json"))
    root = meta["root"]
    start, shown, opened = hf(raw, "append-start")
    batch = hf(raw, "append-batch")
    dd = hf(raw, "append-dd")[0]
    nr = meta["rounds"]
    rounds = []
    for r in range(1, nr + 1):
        w = hf(raw, "append-1-r%d" % r)[0]
        f = load(os.path.join(raw, "append-floor-r%d.json" % r))
        rounds.append((w, f, summary(f["times"])))
    # All rounds pooled for the headline; per-round ratios show whether the disk moved.
    one = dict(rounds[0][0], command=rounds[0][0]["command"],
               s=summary([t for w, _, _ in rounds for t in w["times"]]))
    floor = rounds[0][1]
    fl = summary([t for _, f, _ in rounds for t in f["times"]])
    floor_rate = 1 / fl["median"]
    dd_ops = meta["dd_ops"]
    dd_rate = dd_ops / dd["s"]["median"]
    per_round = [(1 / w["s"]["median"]) / (1 / fs["median"]) for w, _, fs in rounds]

    rows = [["ward start floor (`--version`: no state dir, no record)",
             code(rel(start["command"], root)), "0", start["s"]["n"]] + timing_cells(start["s"]) +
            ["—", "—", "—"],
            ["ward start + state dir open, read-only (`log show`, no record)",
             code(rel(shown["command"], root)), "0", shown["s"]["n"]] + timing_cells(shown["s"]) +
            ["—", "—", "—"],
            ["ward start + state dir open with the attester key (`attester pubkey`, no record)",
             code(rel(opened["command"], root)), "0", opened["s"]["n"]] + timing_cells(opened["s"]) +
            ["—", "—", "—"]]

    def ward_row(label, cmd, s, k):
        rate = k / s["median"]
        rows.append([label, code(rel(cmd, root)), k, s["n"]] + timing_cells(s) +
                    [sig(s["median"] / k * 1e6), sig(rate, 3), pct(rate / floor_rate)])
        return rate

    r1 = ward_row("(a) one record per call, %d rounds pooled" % nr, one["command"], one["s"], 1)
    brates = {}
    for r, k in zip(batch, meta["batch_sizes"]):
        brates[k] = ward_row("(b) %d records in one call" % k, r["command"], r["s"], k)
    rows.append(["(c) fsync floor: pwrite + fdatasync in a running process, %d rounds pooled" % nr,
                 code(floor["command"]), 1, fl["n"]] + timing_cells(fl) +
                [sig(fl["median"] * 1e6), sig(floor_rate, 3), "100%"])
    rows.append(["(c) fsync floor: dd, O_DSYNC writes", code(rel(dd["command"], root)), dd_ops,
                 dd["s"]["n"]] + timing_cells(dd["s"]) +
                [sig(dd["s"]["median"] / dd_ops * 1e6), sig(dd_rate, 3), pct(dd_rate / floor_rate)])
    kmax = max(meta["batch_sizes"])
    start_ms = start["s"]["median"]
    md = header("Durable append rate: ward measure vs the fsync floor", facts, "bench/append")
    md += load_note(raw, "append")
    md += ("One record per `ward measure` call: **%s records/s** (median %s ms per call, "
           "including process start, state dir open and one fdatasync), **%s** of the "
           "in-process pwrite+fdatasync rate measured alongside it (%s ops/s; per round %s–%s). "
           "%d files in one call: **%s records/s**, %.0f× the one-per-call rate (group commit: "
           "one write and one fdatasync for the whole batch).\n\n"
           % (sig(r1, 3), ms(one["s"]["median"]), pct(r1 / floor_rate), sig(floor_rate, 3),
              pct(min(per_round)), pct(max(per_round)), kmax, sig(brates[kmax], 3),
              brates[kmax] / r1))
    md += ("State dir filesystem: `stat -f -c %%T` → `%s` (stat's name for the ext2/3/4 magic); "
           "`findmnt -T` → `%s`. A virtio disk in a %s guest: what fdatasync costs depends on "
           "the host, and it moved during these runs (see the rounds), so compare ratios, not "
           "absolute numbers, across machines.\n\n"
           % (meta["stat_f"], meta["findmnt"], facts["hypervisor"]))
    md += "## Timings (hyperfine; the floor loop times each operation itself)\n\n"
    md += table(["case", "command", "records per call", "runs", "median ms", "min ms", "max ms",
                 "IQR ms", "µs per record", "records/s", "÷ fsync floor"], rows)
    md += ("\nrecords/s = records per call / median wall time per call. ÷ fsync floor compares "
           "with (c): one %d-byte pwrite + fdatasync (the size of one record here) in an "
           "already running process, on the same filesystem, which is the most any "
           "one-record-per-call writer could reach. The (b) runs start from a fresh copy of a "
           "state dir holding one record (hyperfine --prepare, not timed, ends with `sync`); "
           "(a) appends to a log that grows by one record per call.\n"
           % meta["record_bytes"])
    op = opened["s"]["median"]
    a_ms = one["s"]["median"]
    md += "\n## Where a one-record call's time goes (medians)\n\n"
    md += table(["part", "ms", "share", "from"], [
        ["process start, dynamic linking, exit", ms(start_ms), pct(start_ms / a_ms), "`--version`"],
        ["opening the state dir: lock, state.json, reading and checking the log (OpenSSL's "
         "first digest fetch initialises its providers)", ms(shown["s"]["median"] - start_ms),
         pct((shown["s"]["median"] - start_ms) / a_ms), "`log show` − `--version`"],
        ["loading the soft attester's private key (PEM decode) and printing the public key",
         ms(op - shown["s"]["median"]), pct((op - shown["s"]["median"]) / a_ms),
         "`attester pubkey` − `log show`"],
        ["the rest: measuring the file, the durable append, extending the register",
         ms(a_ms - op), pct((a_ms - op) / a_ms),
         "(a) − `attester pubkey`; understated by the public-key PEM encoding that `attester "
         "pubkey` does and `measure` does not"],
    ])
    md += ("\nFor scale: the bare pwrite + fdatasync of one record costs %s ms in the floor loop "
           "(c). It hides in the last, small remainder: a one-record call's cost is set by "
           "process start, OpenSSL's initialisation and the decoding of the attester's PEM key, "
           "which is why batching (b) pays off long before the disk does.\n" % ms(fl["median"]))
    md += "\n## (a) and the floor, round by round\n\n"
    md += table(["round", "floor median ms (IQR)", "ward (a) median ms (IQR)",
                 "ward records/s ÷ floor ops/s"],
                [[i + 1, "%s (%s–%s)" % (ms(fs["median"]), ms(fs["q1"]), ms(fs["q3"])),
                  "%s (%s–%s)" % (ms(w["s"]["median"]), ms(w["s"]["q1"]), ms(w["s"]["q3"])),
                  pct(pr)] for i, ((w, _, fs), pr) in enumerate(zip(rounds, per_round))])
    md += "\n## Inputs checked\n\n"
    for line in meta["checks"]:
        md += "* %s\n" % line
    md += commands_block(meta["commands"])
    write(os.path.join(results, "append.md"), md)
    save_summary(raw, "append", {
        "title": "Durable append (ward measure)",
        "file": "append.md", "date": facts["date"],
        "headline": "1 record/call %s records/s = %s of the %s ops/s pwrite+fdatasync floor "
                    "measured alongside; %d records/call %s records/s; fs %s"
                    % (sig(r1, 3), pct(r1 / floor_rate), sig(floor_rate, 3), kmax,
                       sig(brates[kmax], 3), meta["findmnt"].split()[0]),
        "commands": [one["command"], floor["command"]],
    })


# ---------------------------------------------------------------- exec

EXEC_WORKLOADS = [
    # (name, label, unit)
    ("spawn", "spawn: 2000 × fork + execv + waitpid of /usr/bin/true (dynamic)", "µs/exec"),
    ("shell", "shell: a dash script running 500 coreutils commands", "ms/run"),
    ("python", "python3 -c 'import json, ssl, sqlite3'", "ms/run"),
    ("gcc", "gcc: clean build of a 21-file C project, make -j2", "ms/run"),
]
EXEC_CONFIGS = [
    # (name, label)
    ("unconfined", "(a) unconfined: the host, /usr on ext4 (page cache hot)"),
    ("ward-cold", "(b) ward, cold: a fresh `ward run` per run; time inside the domain"),
    ("ward-cold-wall", "(b) ward, cold: wall time of the whole `ward run` (domain set-up and "
                       "teardown included)"),
    ("ward-warm", "(c) ward, warm: the same domain after an untimed pass"),
    ("fapolicyd", "(d) fapolicyd 1.1.7, integrity = sha256, after an untimed pass"),
    ("unconfined-ramfs", "(d₀) unconfined in fapolicyd's namespace (its /usr on ramfs), "
                         "fapolicyd not running"),
    ("ward-warm-ramfs", "(c′) ward, warm, run in fapolicyd's namespace: the same ramfs /usr "
                        "copy as (d), where every file has one name"),
]
# the baseline each configuration is compared with on the same /usr
EXEC_BASE = {"fapolicyd": "unconfined-ramfs", "ward-warm-ramfs": "unconfined-ramfs"}


def exec_samples(raw, meta):
    """(config, workload) -> {"runs": {round: [values]}, "first": {round: [values]}}, values in
    the workload's unit (µs per exec for spawn, ms per run otherwise)."""
    d = {}
    for line in open(os.path.join(raw, "exec-samples.txt")):
        f = line.split()
        if len(f) != 5 or not f[0].startswith("r"):
            raise SystemExit("exec-samples.txt: malformed line %r" % line)
        rnd, cfg, w, idx, ns = int(f[0][1:]), f[1], f[2], f[3], int(f[4])
        n = meta["warm"][w] if idx == "w" else meta["n"][w]
        v = ns / n / (1e3 if w == "spawn" else 1e6)
        e = d.setdefault((cfg, w), {"runs": {}, "first": {}})
        e["first" if idx == "w" else "runs"].setdefault(rnd, []).append(v)
    return d


def exec_cold_files(path, root_check=True):
    """Files recorded with a digest in a cold run's log (ward log show --json): count, bytes
    (sizes of the same paths on the host) and the paths."""
    log = load(path)
    files = {}
    for e in log.get("entries", []):
        p = e.get("path") or e.get("filename") or ""
        if not p.startswith("/") or not (e.get("digest") or e.get("filedata_hash")):
            continue
        try:
            files[p] = os.stat(p).st_size
        except OSError:
            files[p] = 0
    return {"files": len(files), "bytes": sum(files.values()), "records": log.get("records"),
            "paths": sorted(files)}


def cmd_exec(raw, results):
    facts = bench_facts(raw, "exec")
    meta = load(os.path.join(raw, "exec-meta.json"))
    root = meta["root"]
    data = exec_samples(raw, meta)
    ward_ok = bool(meta["ward_ok"])
    rounds = meta["rounds"]
    unit = {w: u for w, _, u in EXEC_WORKLOADS}
    label = {w: l for w, l, _ in EXEC_WORKLOADS}

    def vals(cfg, w, key="runs"):
        e = data.get((cfg, w))
        return [v for r in sorted(e[key]) for v in e[key][r]] if e else []

    def med(cfg, w, key="runs"):
        v = vals(cfg, w, key)
        return statistics.median(v) if v else None

    def round_meds(cfg, w):
        e = data.get((cfg, w))
        return {r: statistics.median(v) for r, v in e["runs"].items()} if e else {}

    def ratio(cfg, base, w):
        """overhead of cfg over base: pooled medians, and the range of the per-round ratios
        (both configurations ran in every round, next to each other in time)."""
        a, b = med(cfg, w), med(base, w)
        if a is None or b is None:
            return None
        ra, rb = round_meds(cfg, w), round_meds(base, w)
        per = [ra[r] / rb[r] - 1 for r in ra if r in rb]
        return {"pooled": a / b - 1, "lo": min(per), "hi": max(per), "per": per}

    def pct_signed(x):
        return "%+.1f%%" % (100 * x)

    def ratio_cell(rt):
        if rt is None:
            return "—"
        if len(rt["per"]) > 1:
            return "%s (rounds %s … %s)" % (pct_signed(rt["pooled"]), pct_signed(rt["lo"]),
                                            pct_signed(rt["hi"]))
        return pct_signed(rt["pooled"])

    def num(x):
        return sig(x, 4) if x is not None else "—"

    md = header("Exec-heavy workloads: ward domain vs fapolicyd vs unconfined", facts,
                "bench/exec")
    md += load_note(raw, "exec")
    if meta.get("quick"):
        md += ("**BENCH_QUICK=1: a smoke run (1 round, few runs); the numbers are not for "
               "comparison.**\n\n")
    if not ward_ok:
        md += ("**ward configurations (b) and (c) not measured:** %s. Only (a), (d) and (d₀) "
               "ran; the script exits with status 3.\n\n" % meta["ward_why"])

    # ---- goals
    goal_rows = []
    goals_met = {"warm": [], "fapo": []}
    for w, _, _ in EXEC_WORKLOADS:
        wr = ratio("ward-warm", "unconfined", w) if ward_ok else None
        wrr = ratio("ward-warm-ramfs", "unconfined-ramfs", w) if ward_ok else None
        fr = ratio("fapolicyd", "unconfined-ramfs", w)
        fa = ratio("fapolicyd", "unconfined", w)
        if wr is None:
            g1 = "not measured"
            g2 = "not measured"
            g3 = "not measured"
        else:
            ok3 = wrr is not None and med("ward-warm-ramfs", w) < med("fapolicyd", w)
            g3 = "%s; %s vs fapolicyd %s %s" % (
                ratio_cell(wrr), num(med("ward-warm-ramfs", w)), num(med("fapolicyd", w)), unit[w]) \
                if wrr else "—"
            if wrr:
                g3 = ("%s: " % ("faster" if ok3 else "slower")) + g3
            ok1 = wr["pooled"] <= 0.03
            goals_met["warm"].append(ok1)
            g1 = "%s: **%+.2f%%**%s" % ("met" if ok1 else "missed", 100 * wr["pooled"],
                                        " (rounds %s … %s)" % (pct_signed(wr["lo"]), pct_signed(wr["hi"]))
                                        if len(wr["per"]) > 1 else "")
            ww, ff = med("ward-warm", w), med("fapolicyd", w)
            ok2 = ww < ff and wr["pooled"] < fr["pooled"]
            goals_met["fapo"].append(ok2)
            g2 = "%s: ward %s vs fapolicyd %s %s (overhead %s vs %s)" % (
                "met" if ok2 else "missed", num(ww), num(ff), unit[w], pct_signed(wr["pooled"]),
                pct_signed(fr["pooled"]))
        goal_rows.append([w, g1, g2, ratio_cell(fr), ratio_cell(fa), g3])
    md += "## Goals\n\n"
    md += table(["workload", "ward warm overhead vs unconfined ≤ 3%",
                 "ward (warm) faster than fapolicyd",
                 "fapolicyd overhead vs its own baseline (d₀)",
                 "fapolicyd vs unconfined (a)",
                 "same /usr as fapolicyd: ward warm (c′) overhead vs (d₀); median vs fapolicyd"],
                goal_rows)
    md += ("\nOverheads are ratios of pooled medians − 1; in brackets the range of the "
           "per-round ratios (in every round each workload ran in every configuration back to "
           "back, in rotating order, so the ratio of a round compares runs seconds apart). "
           "\"Faster\" needs both: a "
           "lower median than fapolicyd's, and a lower overhead over its own baseline (ward: "
           "(a), host /usr on ext4; fapolicyd: (d₀), the same files on its ramfs copy).\n\n")

    # ---- per workload tables
    md += "## Timings per workload\n\n"
    md += ("Every value is one timed run of `xrun` (bench/xrun.c): CLOCK_MONOTONIC around "
           "the run, measured in the same namespace as the workload (inside the domain for "
           "ward). spawn is in µs per exec (a run is 2000 execs), the others in ms per run. "
           "\"first pass\" is the untimed warm-up before the timed runs of the same process "
           "(for ward-warm: the domain's first, cold pass; for fapolicyd: the first pass "
           "after the daemon started; spawn: the mean of its 200 warm-up execs).\n\n")
    for w, lab, u in EXEC_WORKLOADS:
        rows = []
        for cfg, clab in EXEC_CONFIGS:
            v = vals(cfg, w)
            if not v:
                if cfg.startswith("ward") and not ward_ok:
                    rows.append([clab, "not run"] + ["—"] * 6)
                continue
            s = summary(v)
            f = vals(cfg, w, "first")
            rows.append([clab, s["n"], "**%s**" % sig(s["median"]),
                         "%s–%s" % (sig(s["min"]), sig(s["max"])),
                         "%s–%s" % (sig(s["q1"]), sig(s["q3"])),
                         ratio_cell(ratio(cfg, "unconfined", w)) if cfg != "unconfined" else "—",
                         ratio_cell(ratio(cfg, EXEC_BASE[cfg], w)) if cfg in EXEC_BASE else "—",
                         sig(statistics.median(f)) if f else "—"])
        md += "### %s (%s)\n\n" % (lab, u)
        md += table(["configuration", "runs", "median", "min–max", "IQR", "vs (a) unconfined",
                     "vs (d₀)", "first pass (median over rounds)"], rows)
        md += "\n"

    # ---- cold cost against hashing
    speed = meta["sha256_speed"]
    opened = load(os.path.join(raw, "exec-opened.json"))
    cold_logs = {}
    for line in meta.get("cold_logs", []):
        w, p = line.split(None, 1)
        if os.path.exists(p):
            cold_logs[w] = exec_cold_files(p)
    md += "## Cold cost against hashing speed\n\n"
    if ward_ok:
        rows = []
        for w, _, u in EXEC_WORKLOADS:
            scale = meta["n"][w] / 1e3 if w == "spawn" else 1.0  # -> ms per whole run
            a, c, cw = med("unconfined", w), med("ward-cold", w), med("ward-cold-wall", w)
            if None in (a, c, cw):
                continue
            cl = cold_logs.get(w)
            op = opened.get(w, {})
            nbytes = cl["bytes"] if cl else op.get("bytes", 0)
            cs = [int(x.split("hashed=")[1].split()[0]) for x in meta.get("ward_stats", [])
                  if x.split()[1:3] == ["ward-cold", w]]
            if cs:
                nbytes = statistics.median(cs)
            hash_ms = nbytes / speed * 1e3
            extra_in = (c - a) * scale
            extra_wall = (cw - a) * scale
            rows.append([w, ("%s / %s" % (cl["files"], sig(cl["bytes"] / MB)) if cl else "—") +
                         ("; --stats: %s MB" % sig(nbytes / MB) if cs else ""),
                         "%d / %s" % (op.get("files", 0), sig(op.get("bytes", 0) / MB)),
                         sig(hash_ms), sig(extra_in), "%.1f×" % (extra_in / hash_ms) if hash_ms else "—",
                         sig(extra_wall), "%.1f×" % (extra_wall / hash_ms) if hash_ms else "—",
                         sig((cw - c) * scale)])
        md += table(["workload", "files / MB hashed (ward's log of a cold run)",
                     "files / MB opened from /usr and the code dir (strace, unconfined)",
                     "hashing time at openssl speed, ms", "cold − unconfined, inside the domain, ms",
                     "÷ hashing time", "cold `ward run` wall − unconfined, ms", "÷ hashing time",
                     "domain set-up + teardown (wall − inside), ms"], rows)
        md += ("\nHashing time = bytes hashed / `openssl speed -evp sha256 -bytes 131072` "
               "(%s MB/s, measured in this run): the floor for verifying every byte once. "
               "Bytes hashed = the median of `ward run --stats` over the cold runs where "
               "available, else the sizes of the distinct files with a digest in the state "
               "dir's log after the first cold run of round 1. A ratio well above 1× means the "
               "cold cost is not the hashing but the per-file work (events, ELF inspection, "
               "log records, fsync) or the domain's set-up.\n\n" % sig(speed / MB))
    else:
        md += "Not measured (ward run not available). Bytes a monitor would hash on first sight " \
              "(strace, unconfined): %s.\n\n" % ", ".join(
                  "%s %d files / %s MB = %s ms at %s MB/s" % (w, v["files"], sig(v["bytes"] / MB),
                                                             sig(v["bytes"] / speed * 1e3),
                                                             sig(speed / MB))
                  for w, v in opened.items())

    # ---- what ward's monitor did
    wst = {}
    for line in meta.get("ward_stats", []):
        f = line.split()
        kv = {k: int(v) for k, v in (x.split("=", 1) for x in f[3:])}
        wst.setdefault((f[1], f[2]), []).append(kv)
    if wst:
        md += "## What ward's monitor did (`ward run --stats`)\n\n"
        rows = []
        for cfg in ("ward-cold", "ward-warm", "ward-warm-ramfs"):
            for w, _, _ in EXEC_WORKLOADS:
                b = wst.get((cfg, w))
                if not b:
                    continue
                execs = (meta["n"][w] if cfg == "ward-cold" else
                         meta["warm"][w] + meta["runs"][w] * meta["n"][w])

                def m(k):
                    return statistics.median(x[k] for x in b)
                rows.append([cfg, w, len(b), execs, sig(m("events")), sig(m("cached")),
                             sig(m("reused")) if "reused" in b[0] else "—",
                             sig(m("hashed") / MB), sig(m("events") / execs),
                             sum(x["denied"] for x in b), sum(x["lease_breaks"] for x in b)])
        md += table(["configuration", "workload", "`ward run`s", "workload execs per `ward run`",
                     "permission events (median)", "grants cached in the kernel",
                     "measurements reused (same inode, concurrent first opens)", "MB hashed", "events per workload exec", "denied (all runs)",
                     "lease breaks (all runs)"], rows)
        md += ("\nA warm domain that caches every grant answers one event per file and then "
               "none: its events do not grow with the number of execs.")
        cl_all = {}
        for line in meta.get("cold_logs", []):
            w, p = line.split(None, 1)
            if os.path.exists(p):
                cl_all[w] = exec_cold_files(p)
        over = []
        for (cfg, w), b in sorted(wst.items()):
            if w in cl_all and cl_all[w]["bytes"]:
                mx = max(x["hashed"] for x in b)
                if mx > 1.05 * cl_all[w]["bytes"]:
                    over.append("%s %s up to %s MB" % (cfg, w, sig(mx / MB)))
        if over:
            md += (" Runs that hashed more than the distinct files' %s: %s. The same file "
                   "was hashed more than once, most likely by concurrent first opens of one inode (make -j2 "
                   "starting two cc1 at once) each raise an event before the first answer adds "
                   "the ignore mark, and each is measured."
                   % ("sizes (ward's log of a cold run)", "; ".join(over)))
        md += "\n\n"

    # ---- files with several names
    nl_path = os.path.join(raw, "exec-nlink.json")
    nlink = load(nl_path) if os.path.exists(nl_path) else {}
    md += "## Files with several names\n\n"
    md += ("A file with several names (hard links) can be written through a name the domain "
           "does not see. ward builds before git 3e8619c therefore cached no grant for such "
           "files and hashed them again on every open; later builds cache them under the read "
           "lease. The `--stats` table above says what this build did (grants cached against "
           "events), and (c) against (c′) what it cost: (c′) runs on fapolicyd's ramfs copy of "
           "/usr (made with tar), where these files have one name. Of the files the workloads "
           "open (strace), these have several names on this host:\n\n")
    if nlink:
        md += table(["file", "size MB", "links", "opened by", "its names (find / -xdev -inum)"],
                    [[code(p), sig(m["size"] / MB), m["nlink"], ", ".join(m["workloads"]),
                      "<br>".join(code(n) for n in m["names"])]
                     for p, m in sorted(nlink.items())])
        md += ("\nWere they verified on every open, every exec of a dynamic program would "
               "hash ld.so and libc again: %s MB, about %s ms per exec at openssl speed.\n\n"
               % (sig(sum(m["size"] for m in nlink.values() if "spawn" in m["workloads"]) / MB),
                  sig(sum(m["size"] for m in nlink.values() if "spawn" in m["workloads"]) /
                      meta["sha256_speed"] * 1e3)))
    else:
        md += "none.\n\n"

    # ---- ward run start-up
    st_path = os.path.join(raw, "exec-start.json")
    if ward_ok and os.path.exists(st_path):
        res = hf(raw, "exec-start")
        small, full = res[0], res[1]
        rows = [["%d entries" % meta["policy_small_n"], code(small["command"]),
                 small["s"]["n"]] + timing_cells(small["s"]),
                ["%s entries (/usr and the code dir), index in the state dir" %
                 "{:,}".format(meta["policy_n"]), code(full["command"]),
                 full["s"]["n"]] + timing_cells(full["s"])]
        if len(res) > 2:
            first = res[2]
            rows.append(["%s entries, first use by this state dir (JSON parsed, index "
                         "written)" % "{:,}".format(meta["policy_n"]), code(first["command"]),
                         first["s"]["n"]] + timing_cells(first["s"]))
        md += "## `ward run` start-up against policy size (hyperfine)\n\n"
        md += table(["policy", "command", "runs", "median ms", "min ms", "max ms", "IQR ms"],
                    rows)
        md += ("\nA domain running /usr/bin/true, from a fresh copy of the pristine state dir "
               "(hyperfine --prepare, not timed). With the policy's index in the state dir, "
               "the large policy costs %s ms more than the small one" %
               ms(full["s"]["median"] - small["s"]["median"]))
        if len(res) > 2:
            md += ("; the first `ward run` of a state dir with that policy parses its JSON "
                   "and writes the index: %s ms more" % ms(res[2]["s"]["median"] -
                                                          small["s"]["median"]))
        md += ".\n\n"

    # ---- round by round
    md += "## Round by round (medians of each block)\n\n"
    md += ("A block is one configuration running one workload (its warm-up, then its timed "
           "runs). Within a round, each workload runs in every configuration back to back, in "
           "the order shown (rotated from block to block), so a round's ratios compare runs "
           "seconds apart.\n\n")
    cfg_cols = [c for c, _ in EXEC_CONFIGS if c in meta["configs"] or
                (c == "ward-cold-wall" and "ward-cold" in meta["configs"])]
    rows = []
    for line in meta.get("orders", []):
        f = line.split()
        rnd, w, order = int(f[0]), f[1], f[2:]
        cells = []
        for c in cfg_cols:
            m = round_meds(c, w).get(rnd)
            cells.append(sig(m) if m is not None else "—")
        rows.append([rnd, "%s (%s)" % (w, unit[w]), " → ".join(order)] + cells)
    md += table(["round", "workload", "order"] + cfg_cols, rows)

    # ---- fapolicyd per block
    md += "\n## fapolicyd's own cost\n\n"
    fb = {}
    for line in meta.get("fapolicyd_rounds", []):
        f = line.split()
        kv = dict(x.split("=", 1) for x in f[1:])
        fb.setdefault(kv["workload"], []).append(kv)
    tck = os.sysconf("SC_CLK_TCK")
    frows = []
    for w, _, _ in EXEC_WORKLOADS:
        if w not in fb:
            continue
        b = fb[w]
        cpu = [int(x["cpu_ticks"]) / tck for x in b]
        allowed = [int(x["allowed"]) for x in b if x["allowed"].isdigit()]
        execs = meta["warm"][w] + meta["runs"][w] * meta["n"][w]
        frows.append([w, len(b), sig(statistics.median(int(x["start_ms"]) for x in b)),
                      "%s (%s–%s)" % (sig(statistics.median(cpu)), sig(min(cpu)), sig(max(cpu))),
                      "{:,}".format(int(statistics.median(allowed))) if allowed else "?",
                      sig(statistics.median(cpu) / statistics.median(allowed) * 1e6)
                      if allowed else "?",
                      sum(int(x["denied"]) for x in b if x["denied"].isdigit()),
                      ",".join(sorted(set(x["rc"] for x in b)))])
    md += table(["workload", "daemon starts", "start-up ms (median; launch → \"Starting to "
                 "listen for events\")", "daemon CPU s per block (median, min–max)",
                 "allowed accesses per block", "daemon CPU µs per access", "denied",
                 "exit status"], frows)
    md += ("\nA fresh fapolicyd per block: the trust database (%s entries) is imported at "
           "start-up; the object cache starts empty, so the warm-up pass hashes every file it "
           "sees (integrity = sha256) and the timed runs mostly hit the cache. A block is the "
           "warm-up and the timed runs (spawn: %d execs of true). CPU from /proc/PID/stat "
           "(utime + stime, all threads, %d ticks/s) between \"listening\" and SIGTERM.\n\n"
           % ("{:,}".format(meta["trust_n"]), meta["warm"]["spawn"] +
              meta["runs"]["spawn"] * meta["n"]["spawn"], tck))

    # ---- set-up
    md += "## Set-up (not timed)\n\n"
    srows = []
    if ward_ok:
        srows.append(["ward policy: `ward policy scan /usr %s`" % rel(meta["code"], root),
                      "%s s" % meta["policy_s"]])
    srows += [["fapolicyd ramfs copy of /usr (%s files, %s MB) and of the code dir"
               % ("{:,}".format(meta["ramfs_files"]), sig(meta["ramfs_bytes"] / MB)),
               "%s s" % meta["copy_s"]],
              ["fapolicyd trust file: `fapolicyd-cli --file add` over the copy (%s entries)"
               % "{:,}".format(meta["trust_n"]), "%s s" % meta["trust_s"]],
              ["rounds (all configurations)", "%d s" % meta["rounds_s"]]]
    md += table(["step", "time"], srows)
    md += ("\nPer round and workload: %s. ward-cold: %s fresh `ward run`s per round. "
           "Rounds: %d. /usr on the host: %s.\n"
           % ("; ".join("%s %d untimed exec(s) then %d runs of %d exec(s)"
                        % (w, meta["warm"][w], meta["runs"][w], meta["n"][w])
                        for w, _, _ in EXEC_WORKLOADS),
              ", ".join("%s %d" % (w, meta["cold"][w]) for w, _, _ in EXEC_WORKLOADS),
              rounds, meta["usr_fs"]))

    md += "\n## Inputs checked\n\n"
    for line in meta["checks"]:
        md += "* %s\n" % line
    md += commands_block(meta["commands"])
    write(os.path.join(results, "exec.md"), md)

    if ward_ok:
        head = "ward warm overhead %s (goal ≤3%%: %s); fapolicyd %s over its baseline; " \
               "ward faster than fapolicyd on %d of %d" % (
                   ", ".join("%s %+.2f%%" % (w, 100 * ratio("ward-warm", "unconfined", w)["pooled"])
                             for w, _, _ in EXEC_WORKLOADS),
                   "met" if all(goals_met["warm"]) else "missed",
                   ", ".join("%s %s" % (w, pct_signed(ratio("fapolicyd", "unconfined-ramfs", w)["pooled"]))
                             for w, _, _ in EXEC_WORKLOADS),
                   sum(goals_met["fapo"]), len(goals_met["fapo"]))
        if data.get(("ward-warm-ramfs", "spawn")):
            head += "; on fapolicyd's own /usr copy, against the same baseline, ward warm %s" % ", ".join(
                "%s %s" % (w, pct_signed(ratio("ward-warm-ramfs", "unconfined-ramfs", w)["pooled"]))
                for w, _, _ in EXEC_WORKLOADS)
    else:
        head = "ward not measured (%s); fapolicyd %s over its baseline" % (
            meta["ward_why"], ", ".join(
                "%s %s" % (w, pct_signed(ratio("fapolicyd", "unconfined-ramfs", w)["pooled"]))
                for w, _, _ in EXEC_WORKLOADS))
    cmds = [c for tag in ("'r1 ward-warm spawn'", "'r1 fapolicyd spawn'", "'r1 unconfined spawn'")
            for c in meta["commands"][:] if tag in c and not c.startswith("#")][:3]
    save_summary(raw, "exec", {
        "title": "Exec-heavy workloads (ward run vs fapolicyd)", "file": "exec.md",
        "date": facts["date"], "headline": head, "commands": cmds,
    })


# ---------------------------------------------------------------- index

BENCHMARKS = ("digest", "replay", "append", "exec", "sandbox", "policy", "reports", "channel")


def cmd_index(raw, results):
    facts = load(os.path.join(raw, "facts.json"))
    md = "# ward benchmarks\n\n"
    md += ("Produced by `bench/run-all` (or one of `bench/digest`, `bench/replay`, "
           "`bench/append`, `bench/exec`, `bench/sandbox/run`, `bench/policy/run`, "
           "`bench/reports/run`, `bench/attest/run`, `bench/channel/run` alone; each rewrites "
           "its own table and this index). Benchmarks "
           "compare side by side in one run and report medians with spread; nothing here is a "
           "pass/fail test. Raw hyperfine exports and per-run times: `raw/`.\n\n")
    md += "## Results\n\n"
    rows = []
    for name in BENCHMARKS:
        p = os.path.join(raw, name + "-summary.json")
        if not os.path.exists(p):
            rows.append(["%s (not run)" % name, "—", "—", "—"])
            continue
        s = load(p)
        rows.append(["[%s](%s)" % (s["title"], s["file"]), s["headline"],
                     "<br>".join(code(c) for c in s["commands"]), s["date"]])
    md += table(["benchmark", "headline (medians)", "commands behind the headline", "run"], rows)
    md += "\nEach linked page lists every command it ran, verbatim, and how its inputs were checked.\n"
    ra = os.path.join(raw, "run-all.json")
    if os.path.exists(ra):
        r = load(ra)
        if all(os.path.exists(os.path.join(raw, n + "-summary.json")) and
               r["started"] <= load(os.path.join(raw, n + "-summary.json"))["date"] <= r.get("finished", "")
               for n in BENCHMARKS):
            md += ("\nAll of them come from one `%s` started %s, which took %d s, on one ward "
                   "binary (sha256 %s…).\n" % (r["command"], r["started"], r["seconds"],
                                                 r["ward_sha256"][:16]))
    md += "\n## Machine (last run: %s)\n\n" % facts["date"]
    md += table(["fact", "value", "from"], [
        ["CPUs", facts["nproc"], "`nproc`"],
        ["CPU model", "%s (SHA-NI: %s, AVX-512: %s)" % (facts["cpu_model"],
                                                        "yes" if facts["cpu_sha_ni"] else "no",
                                                        "yes" if facts["cpu_avx512f"] else "no"),
         "`lscpu`, /proc/cpuinfo flags"],
        ["hypervisor", facts["hypervisor"], "`lscpu`"],
        ["memory", facts["mem_total"], "/proc/meminfo"],
        ["kernel", facts["kernel"], "`uname -r`"],
        ["OpenSSL", facts["openssl"], "`openssl version` (ward links the same libcrypto.so.3)"],
        ["hyperfine", facts["hyperfine"], "`hyperfine --version`"],
        ["evmctl", facts["evmctl"], "`evmctl --version`"],
        ["coreutils", facts["coreutils"], "`sha256sum --version`"],
        ["python", facts["python"], "`python3`"],
        ["ward", "%s, git %s%s" % (facts["ward"], facts["git_commit"][:12],
                                    " (src/ had uncommitted changes)" if facts["git_dirty_src"] else ""),
         "`ward --version`, `git rev-parse HEAD`"],
        ["ward binary", "sha256 %s" % facts["ward_sha256"], "copy of build/ward taken at the start of the run"],
        ["bench/work filesystem", facts["work_fs"], "`findmnt -T bench/work`"],
        ["scheduling", "nice %d (the benchmark shell reniced itself; its children inherit it)"
         % facts["nice"] if facts.get("nice", 0) else "nice 0", "`renice -n -10` in bench/lib.sh, as root"],
        ["date", facts["date"], "`date -u`"],
    ])
    md += ("\n## Running\n\n```\nninja -C build && bench/run-all     # every one, about 40 minutes\n"
           "bench/digest | bench/replay | bench/append | bench/exec | bench/sandbox/run | "
           "bench/policy/run | bench/reports/run | bench/attest/run | bench/channel/run   # one\n```\n"
           "Inputs are generated under bench/work/ (git-ignored; the digest file is 1 GiB, "
           "`DIGEST_MB=` changes it). `WARD=path` benchmarks another ward binary; "
           "`WARD_BENCH_WORK=` and `WARD_BENCH_RESULTS=` move the inputs and the results "
           "(bench/exec's code dir must stay under root-owned directories that no group or "
           "other may write); `BENCH_NICE=0` keeps the default priority; `BENCH_QUICK=1` makes "
           "bench/exec a one-round smoke run; `EXEC_ROUNDS=` sets its rounds. bench/exec "
           "installs fapolicyd if missing and runs it only inside a private mount namespace "
           "(see its page).\n")
    write(os.path.join(results, "README.md"), md)


def main():
    a = sys.argv[1:]
    if not a:
        raise SystemExit(__doc__)
    if a[0] == "facts" and len(a) == 4:
        return cmd_facts(*a[1:])
    if a[0] == "load" and len(a) in (2, 3):
        return cmd_load(*a[1:])
    if a[0] == "meta" and len(a) >= 2:
        return cmd_meta(a[1], a[2:])
    cmds = {"digest": cmd_digest, "replay": cmd_replay, "append": cmd_append, "exec": cmd_exec,
            "index": cmd_index}
    if a[0] in cmds and len(a) == 3:
        return cmds[a[0]](a[1], a[2])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
