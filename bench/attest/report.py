#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/attest's sections of bench/results/reports.md (4-6), from what bench/attest/run leaves
in bench/results/raw/ (attest-*). bench/reports/report.py renders the page and calls
sections() when attest-meta.json exists; run that (`report.py RAW RESULTS`) to rewrite it.

Medians with their spread (min-max, IQR) pooled over the rounds; ratios are ratios of medians
with the range of the per-round ratios. Every hyperfine run's exit code is checked against the
expected one (attest-meta.json "expected"): a run that exited otherwise stops the page.
"""
import collections
import glob
import json
import os
import re

import stats as S  # bench/stats.py (bench/reports/report.py puts bench/ on the path)

SIZES = (10, 1000, 10000)


def load(p):
    with open(p) as f:
        return json.load(f)


def pooled(raw, group, expected):
    paths = sorted(glob.glob(os.path.join(raw, "attest-%s-r*.json" % group)),
                   key=lambda p: int(re.search(r"-r(\d+)\.json$", p).group(1)))
    out = collections.OrderedDict()
    for p in paths:
        for res in load(p)["results"]:
            name = res["command"]
            want = int(expected[name])
            bad = [c for c in res.get("exit_codes", []) if c != want]
            if bad or len(res.get("exit_codes", [])) != len(res["times"]):
                raise SystemExit("%s: %s exited %s (want %d)" % (p, name, bad, want))
            e = out.setdefault(name, {"times": [], "rounds": []})
            e["times"] += res["times"]
            e["rounds"].append(S.summary(res["times"]))
    for e in out.values():
        e["s"] = S.summary(e["times"])
    return out


def cells(s, f=S.ms):
    return ["**%s**" % f(s["median"]), "%s–%s" % (f(s["min"]), f(s["max"])),
            "%s–%s" % (f(s["q1"]), f(s["q3"])), s["n"]]


def ratio(a, b):
    rr = [x["median"] / y["median"] for x, y in zip(a["rounds"], b["rounds"])]
    return a["s"]["median"] / b["s"]["median"], min(rr), max(rr)


def fmt_ratio(t):
    m, lo, hi = t
    return "**%s×** (rounds %s … %s)" % (S.sig(m, 3), S.sig(lo, 3), S.sig(hi, 3))


def diff_per(a, b, n):
    """(median(a) - median(b)) / n and its per-round range, in seconds."""
    rr = [(x["median"] - y["median"]) / n for x, y in zip(a["rounds"], b["rounds"])]
    return (a["s"]["median"] - b["s"]["median"]) / n, min(rr), max(rr)


def fmt_us(t):
    m, lo, hi = t
    return "**%s µs** (rounds %s … %s)" % (S.sig(m * 1e6), S.sig(lo * 1e6), S.sig(hi * 1e6))


def kib(n):
    return "%s KiB" % S.sig(n / 1024, 4)


def sections(raw):
    """(markdown of sections 4-6, one headline sentence, the headline's commands)."""
    meta = load(os.path.join(raw, "attest-meta.json"))
    facts = S.bench_facts(raw, "attest")
    expected = dict(x.split("|") for x in meta["expected"])
    V = pooled(raw, "verify", expected)
    Q = pooled(raw, "quote", expected)
    X = pooled(raw, "mirror", expected)
    hfcmd = {}
    for line in meta["commands"]:
        if line.startswith("hyperfine "):
            for m in re.finditer(r"-n ([A-Za-z0-9_.-]+) ('(?:[^']|'\\'')*'|\S+)", line):
                v = m.group(2)
                if v.startswith("'") and v.endswith("'"):
                    v = v[1:-1].replace("'\\''", "'")
                hfcmd[m.group(1)] = v
    root = meta["root"] + "/"

    def cmd(name):
        return S.code(hfcmd.get(name, name).replace(root, ""))

    def med(d, name):
        return d[name]["s"]["median"]

    evb, evs = meta["ev_tpm_bytes"], meta["ev_soft_bytes"]
    rounds = meta["rounds"]
    md = "\n---\n\n# Attested evidence: bundle verification, quotes and the cost of mirroring\n\n"
    md += ("Sections 4–6 were generated %s by %s (%s, git %s%s, binary sha256 %s…) on %s, "
           "%s CPUs (%s guest); every command ran at nice %d. Every number is a median over %d "
           "round(s) with its spread; the groups (verify, quote, mirror) alternated within each "
           "round (order in `raw/attest-orders.txt`).\n\n"
           % (facts["date"], S.code("bench/attest/run"), facts["ward"].split(" (")[0],
              facts["git_commit"][:12], " + uncommitted src/" if facts["git_dirty_src"] else "",
              facts["ward_sha256"][:16], facts["cpu_model"], facts["nproc"], facts["hypervisor"],
              facts.get("nice", 0), rounds))
    md += S.load_note(raw, "attest")
    md += "`uptime` around each round (`raw/attest-uptime.txt`):\n\n```\n"
    md += "\n".join(meta["uptime"]) + "\n```\n\n"

    # ------------------------------------------------------------ what it means
    v10k_s, v10k_t = med(V, "verify-soft-10000"), med(V, "verify-tpm-10000")
    qw, qc, qcp = med(V, "quote-ward"), med(V, "quote-checkquote"), med(V, "quote-checkquote-pcrs")
    et10, es10 = med(Q, "evidence-tpm-10"), med(Q, "evidence-soft-10")
    t2p, t2s = med(Q, "tpm2-quote-persistent"), med(Q, "tpm2-tools-same-work")
    m200s, m200t = med(X, "measure200-soft"), med(X, "measure200-tpm")
    m1s, m1t, rep = med(X, "measure1-soft-10000"), med(X, "measure1-tpm-10000"), \
        med(X, "repair-tpm-10000")
    ext = med(X, "tpm2-pcrextend")
    per_mirror = diff_per(X["measure200-tpm"], X["measure200-soft"], 200)
    per_repair = diff_per(X["repair-tpm-10000"], X["measure1-tpm-10000"], 10000)
    md += "## What sections 4–6 mean\n\n"
    md += ("* **`ward verify` of a bundle** takes %s ms (soft) and %s ms (tpm) at 10 records, "
           "%s / %s ms at 1000 and %s / %s ms at 10000: the log dominates from about a thousand "
           "records on (every record's template digest checked, then replayed into each bank). "
           "The tpm bundle's log is replayed into 4 banks (the swtpm's active ones: %s), the "
           "soft one's into 2 (sha1 sha256, the soft attester's registers): that, not the "
           "quote, is most of the tpm bundle's extra %s ms at 10000 records (the quote's own check "
           "is about 0.1 ms in-process: section 1, TPM swtpm row).\n"
           % (S.ms(med(V, "verify-soft-10")), S.ms(med(V, "verify-tpm-10")),
              S.ms(med(V, "verify-soft-1000")), S.ms(med(V, "verify-tpm-1000")),
              S.ms(v10k_s), S.ms(v10k_t), meta["banks"], S.ms(v10k_t - v10k_s)))
    md += ("* **The quote alone** (the tpm bundle's TPMS_ATTEST, TPMT_SIGNATURE and AK; "
           "qualification SHA-256 of quote.message): `ward report verify --type tpm` %s ms "
           "against `tpm2_checkquote` (tpm2-tools %s) %s ms without and %s ms with the PCR "
           "values: ward ÷ tpm2_checkquote %s.\n"
           % (S.ms(qw), meta["tpm2_tools_version"], S.ms(qc), S.ms(qcp),
              fmt_ratio(ratio(V["quote-ward"], V["quote-checkquote-pcrs"]))))
    md += ("* **A quote on a swtpm**: `ward evidence` (tpm, 10 records) %s ms against "
           "`tpm2_quote` with a persistent AK %s ms (%s) and tpm2-tools doing ward's TPM work "
           "(createprimary, load, quote) %s ms (%s); soft `ward evidence` %s ms, so the TPM's "
           "part of a tpm bundle is about %s ms on a swtpm. At 10000 records: %s ms tpm, %s ms "
           "soft (the tpm state dir's catch-up replay, below, again).\n"
           % (S.ms(et10), S.ms(t2p), fmt_ratio(ratio(Q["evidence-tpm-10"],
                                                    Q["tpm2-quote-persistent"])),
              S.ms(t2s), fmt_ratio(ratio(Q["evidence-tpm-10"], Q["tpm2-tools-same-work"])),
              S.ms(es10), S.ms(et10 - es10), S.ms(med(Q, "evidence-tpm-10000")),
              S.ms(med(Q, "evidence-soft-10000"))))
    md += ("* **Mirroring every record into PCR 10** costs %s per record on top of the soft "
           "attester (`ward measure` of 200 files: %s ms soft, %s ms tpm, %s; the TPM connection "
           "and PCR reads once per call are in it, spread over the 200). One "
           "`ward measure` into a 10000-record tpm log costs %s ms against %s ms soft with the PCR "
           "up to date: opening a state dir replays its log into the state dir's banks (4 for "
           "the tpm dir, the swtpm's active ones; 2 for soft), and the tpm one then reads PCR "
           "10 once and finds it equal to those registers (src/attest/tpm-attester.c), so it "
           "extends nothing but the new record. **After a TPM reset "
           "(a reboot) the first `ward measure` extends the 10000 records again: %s ms** "
           "(%s per record more than with the PCR up to date; one real swtpm stop/start: "
           "%s ms, a single run). A tpm2-tools script doing the same would start one "
           "`tpm2_pcrextend` per record: %s ms each.\n\n"
           % (fmt_us(per_mirror), S.ms(m200s), S.ms(m200t),
              fmt_ratio(ratio(X["measure200-tpm"], X["measure200-soft"])),
              S.ms(m1t), S.ms(m1s), S.ms(rep), fmt_us(per_repair),
              S.sig(meta["restart_ms"]), S.ms(ext)))

    # ------------------------------------------------------------ 4. verify
    md += "## 4. `ward verify` of an evidence bundle: soft and tpm, by log size\n\n"
    rows = []
    for n in SIZES:
        for kind, b in (("soft", evs), ("tpm", evb)):
            name = "verify-%s-%d" % (kind, n)
            rows.append(["%s bundle, %d records (%s)" % (kind, n, kib(b[str(n)])), cmd(name)] +
                        cells(V[name]["s"]))
    rows.append(["a process doing nothing", cmd("true")] + cells(V["true"]["s"]))
    md += S.table(["what", "command", "median ms", "min–max ms", "IQR ms", "runs"], rows)
    md += "\n"
    rows = [["%d records: tpm ÷ soft" % n,
             fmt_ratio(ratio(V["verify-tpm-%d" % n], V["verify-soft-%d" % n])),
             "%s ms" % S.ms(med(V, "verify-tpm-%d" % n) - med(V, "verify-soft-%d" % n))]
            for n in SIZES]
    md += S.table(["comparison", "ratio of medians", "difference of medians"], rows)
    md += ("\nThe logs: `ward measure` over the %d regular files of /usr/bin (sorted, taken "
           "cyclically, 1000 per call), the same files in the same order into a soft and a tpm "
           "state dir, whose logs are byte-identical (checked with cmp). Each tpm state dir has "
           "a swtpm of its own (a tpm state dir owns its PCR). One bundle per state dir, over "
           "one nonce; both verified with the key pinned (`--soft-key`, `--ak-key` from "
           "`ward attester pubkey`). Command: `hyperfine -N -i --warmup %d --runs %d` per round "
           "(`raw/attest-verify-r*.json`).\n\n"
           % (meta["nfiles"], meta["v_warm"], meta["v_runs"]))
    md += "### The quote part alone, against tpm2_checkquote\n\n"
    rows = []
    for label, name in [("ward report verify --type tpm (signature, nonce, AK attributes)",
                         "quote-ward"),
                        ("tpm2_checkquote, same quote, without PCR values", "quote-checkquote"),
                        ("tpm2_checkquote, same quote, with the PCR values (-f -l)",
                         "quote-checkquote-pcrs")]:
        rows.append([label, cmd(name)] + cells(V[name]["s"]))
    md += S.table(["what", "command", "median ms", "min–max ms", "IQR ms", "runs"], rows)
    md += "\n"
    md += S.table(["comparison", "ratio of medians (ward ÷ peer)"], [
        ["ward ÷ tpm2_checkquote with PCR values",
         fmt_ratio(ratio(V["quote-ward"], V["quote-checkquote-pcrs"]))],
        ["ward ÷ tpm2_checkquote without PCR values",
         fmt_ratio(ratio(V["quote-ward"], V["quote-checkquote"]))],
    ])
    md += ("\nThe files are the 10-record tpm bundle's `quote.attest` (TPMS_ATTEST), "
           "`quote.signature` (TPMT_SIGNATURE), `quote.ak_public` (TPMT_PUBLIC; "
           "tpm2_checkquote takes the same key as PEM from `ward attester pubkey`), base64-decoded; "
           "the qualification (`--nonce`, `-q`) is SHA-256 of `quote.message` (%s), which is "
           "what `ward evidence` passes to TPM2_Quote. The PCR values for `-f` were read with "
           "`tpm2_pcrread` right after the quote (PCR 10 in %s). Neither command replays the "
           "log or checks the statement: in `ward verify` that is the rest of the bundle's "
           "time.\n\n" % (S.code(meta["qual"]), meta["banks"]))

    # ------------------------------------------------------------ 5. quote
    md += "## 5. Quote latency on a swtpm: `ward evidence` against tpm2_quote\n\n"
    rows = []
    for label, name in [("ward evidence, tpm, 10 records (%s out)" % kib(evb["10"]),
                         "evidence-tpm-10"),
                        ("ward evidence, tpm, 10000 records (%s out)" % kib(evb["10000"]),
                         "evidence-tpm-10000"),
                        ("ward evidence, soft, 10 records", "evidence-soft-10"),
                        ("ward evidence, soft, 10000 records", "evidence-soft-10000"),
                        ("tpm2_quote, AK persistent (%s): quote + PCR read" % "0x81010002",
                         "tpm2-quote-persistent"),
                        ("tpm2-tools, ward's TPM work: createprimary + load + quote "
                         "(+ 3 flushcontext, sh)", "tpm2-tools-same-work")]:
        rows.append([label, cmd(name)] + cells(Q[name]["s"]))
    md += S.table(["what", "command", "median ms", "min–max ms", "IQR ms", "runs"], rows)
    md += "\n"
    md += S.table(["comparison", "ratio of medians", "difference of medians"], [
        ["ward evidence tpm (10) ÷ tpm2_quote, persistent AK",
         fmt_ratio(ratio(Q["evidence-tpm-10"], Q["tpm2-quote-persistent"])),
         "%s ms" % S.ms(et10 - t2p)],
        ["ward evidence tpm (10) ÷ tpm2-tools doing ward's TPM work",
         fmt_ratio(ratio(Q["evidence-tpm-10"], Q["tpm2-tools-same-work"])),
         "%s ms" % S.ms(et10 - t2s)],
        ["ward evidence tpm ÷ soft, 10 records",
         fmt_ratio(ratio(Q["evidence-tpm-10"], Q["evidence-soft-10"])),
         "%s ms" % S.ms(et10 - es10)],
        ["ward evidence tpm ÷ soft, 10000 records",
         fmt_ratio(ratio(Q["evidence-tpm-10000"], Q["evidence-soft-10000"])),
         "%s ms" % S.ms(med(Q, "evidence-tpm-10000") - med(Q, "evidence-soft-10000"))],
    ])
    md += ("\nThe same PCR selection for all: PCR 10 in every active bank (%s, checked in both "
           "quotes' TPMS_ATTEST), a 32-byte qualification. `ward evidence` (tpm) opens the state "
           "dir (its log replayed into the 4 banks), connects to the TPM, reads PCR 10 in every "
           "bank and finds it equal to the log's registers (the check `ward measure` makes too), "
           "derives the storage primary, "
           "loads the AK, quotes over SHA-256 of the statement and writes the bundle with the "
           "whole log; `tpm2_quote` with a persistent AK quotes and reads the PCRs only, and "
           "does not export a log. The tpm2-tools same-work row is bench/reports/run's (7 "
           "processes under one sh; without a resource manager the swtpm's 3 object slots fill "
           "up without the flushes). A swtpm answers in software: on a hardware TPM every command, "
           "the primary's creation above all, is slower, so the absolute numbers say little about "
           "real hardware (not measured: no TPM on this machine); the client side is what they "
           "compare. Command: `hyperfine -N -i --warmup %d --runs %d` per round "
           "(`raw/attest-quote-r*.json`); every run overwrites the same output files.\n\n"
           % (meta["banks"], meta["q_warm"], meta["q_runs"]))

    # ------------------------------------------------------------ 6. mirror
    md += "## 6. The cost of mirroring records into the TPM, and of a TPM reset\n\n"
    rows = []
    for label, name, n in [("ward measure, 200 files, fresh soft state dir", "measure200-soft", 200),
                           ("ward measure, 200 files, fresh tpm state dir (PCR reset)",
                            "measure200-tpm", 200),
                           ("ward measure, 1 file, soft log of 10000+ records",
                            "measure1-soft-10000", 1),
                           ("ward measure, 1 file, tpm log of 10000+ records, PCR up to date",
                            "measure1-tpm-10000", 1),
                           ("the same after a TPM reset: the log extended into PCR 10 again",
                            "repair-tpm-10000", 1),
                           ("tpm2_pcrextend: one extend, 4 banks, one process", "tpm2-pcrextend",
                            1)]:
        s = X[name]["s"]
        rows.append([label, cmd(name)] + cells(s) +
                    ["%s µs" % S.sig(s["median"] / n * 1e6) if n > 1 else ""])
    md += S.table(["what", "command", "median ms", "min–max ms", "IQR ms", "runs",
                   "per record"], rows)
    md += "\n"
    md += S.table(["comparison", "ratio of medians", "per record (difference of medians)"], [
        ["200 files: tpm ÷ soft", fmt_ratio(ratio(X["measure200-tpm"], X["measure200-soft"])),
         fmt_us(per_mirror)],
        ["1 file into 10000+ records: tpm ÷ soft",
         fmt_ratio(ratio(X["measure1-tpm-10000"], X["measure1-soft-10000"])),
         fmt_us(diff_per(X["measure1-tpm-10000"], X["measure1-soft-10000"], 10000)) +
         " of the log opened (4 banks against 2)"],
        ["after a TPM reset ÷ PCR up to date (tpm, 10000+ records)",
         fmt_ratio(ratio(X["repair-tpm-10000"], X["measure1-tpm-10000"])),
         fmt_us(per_repair) + " per record extended again"],
        ["one extend: tpm2_pcrextend (one process) ÷ ward's marginal cost per record (200 files)",
         "**%s×**" % S.sig(ext / per_mirror[0], 3), ""],
    ])
    md += ("\nWhat a `ward measure` does: hash each file, then, under the log's lock, one "
           "write and one fdatasync of the whole batch (src/evlog/store.c), and with the tpm "
           "attester one TPM2_PCR_Extend per record carrying its digest in every bank (%s), in "
           "log order, after the records are durable. Before that, opening the state dir replays "
           "its log into the state dir's banks (4 for tpm here, 2 for soft); a tpm state dir "
           "then reads PCR 10 in every bank and, when it equals the log's registers, extends "
           "nothing; else it looks for the prefix of the log the PCR holds (the catch-up that "
           "makes a crash between append and extend harmless) and extends the rest: after a "
           "TPM reset that prefix is empty and every record is extended again. "
           "Timing: the 200-file runs start from a copy of an empty state dir, and the tpm one "
           "from a swtpm reset with `swtpm_ioctl -i` + `tpm2_startup -c` (hyperfine --prepare, "
           "untimed), so each run appends 200 records into an empty log; the 200 files are "
           "spread over /usr/bin (%s MB in all, page-cached after the warm-up), the same for "
           "both. The 10000-record rows run on one soft and one tpm state dir of their own; "
           "each run adds one record, so those logs grew from 10000 to %d (tpm) and %d (soft) "
           "records over the benchmark. The reset row resets that swtpm before every run the "
           "same way; a real swtpm stop/start before one `ward measure` took %s ms (one run, see "
           "the checks). tpm2_pcrextend extends PCR 11 of another swtpm (ward's PCR is 10). "
           "Command: `hyperfine -N -i --warmup %d --runs %d` per round with one --prepare per "
           "command (`raw/attest-mirror-r*.json`).\n\n"
           % (meta["banks"], S.sig(meta["f200_bytes"] / 1e6), meta["m10000_end"],
              meta["s10000_end"], S.sig(meta["restart_ms"]), meta["m_warm"], meta["m_runs"]))

    # ------------------------------------------------------------ checks, drift, commands
    md += "### Checks (bench/attest/run)\n\n" + "".join("* %s\n" % c for c in meta["checks"])
    md += "\nPer-round medians (ms), to judge drift:\n\n"
    rows = []
    for d in (V, Q, X):
        for name in d:
            rows.append([name] + [S.ms(r["median"]) for r in d[name]["rounds"]])
    md += S.table(["command"] + ["round %d" % (i + 1) for i in range(rounds)], rows)
    md += S.commands_block([c.replace(root, "") for c in meta["commands"]]).replace(
        "## Exact commands", "### Exact commands (bench/attest/run)")

    head = ("bundles of 10000 records: ward verify soft %s ms, tpm %s ms; tpm quote alone: ward "
            "%s ms vs tpm2_checkquote %s ms; ward evidence (tpm) %s ms vs tpm2_quote %s ms; "
            "mirroring +%s µs per record; first measure after a TPM reset (10000 records) %s ms"
            % (S.ms(v10k_s), S.ms(v10k_t), S.ms(qw), S.ms(qcp), S.ms(et10), S.ms(t2p),
               S.sig(per_mirror[0] * 1e6), S.ms(rep)))
    return md, head, [hfcmd["verify-tpm-10000"].replace(root, ""),
                      hfcmd["evidence-tpm-10"].replace(root, "")]
