#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/reports' page: bench/results/reports.md from what bench/reports/run leaves in
bench/results/raw/ (reports-*: sections 1-3) and, when it has run, bench/attest/run
(attest-*: sections 4-6, rendered by bench/attest/report.py).

usage: report.py RAW RESULTS

Medians with their spread (min-max, IQR) pooled over the rounds; ratios are ratios of medians
with the range of the per-round ratios. Every hyperfine run's exit code is checked against the
expected one (reports-meta.json "expected"): a run that exited otherwise stops the page.
"""
import collections
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stats as S  # noqa: E402  bench/stats.py


def load(p):
    with open(p) as f:
        return json.load(f)


def pooled(raw, group, expected):
    paths = sorted(glob.glob(os.path.join(raw, "reports-%s-r*.json" % group)),
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


def inproc(raw):
    """{name: {"per_call": [s...], "rounds": {r: [s...]}}} from reports-inproc.txt."""
    out = collections.OrderedDict()
    with open(os.path.join(raw, "reports-inproc.txt")) as f:
        for line in f:
            tag, _rnd, ns, n = line.split()
            r, name = tag.split("-", 1)
            e = out.setdefault(name, {"per_call": [], "rounds": collections.OrderedDict()})
            x = int(ns) * 1e-9 / int(n)
            e["per_call"].append(x)
            e["rounds"].setdefault(r, []).append(x)
    for e in out.values():
        e["s"] = S.summary(e["per_call"])
    return out


def us(x):
    return S.sig(x * 1e6)


def cells(s, f=S.ms):
    return ["**%s**" % f(s["median"]), "%s–%s" % (f(s["min"]), f(s["max"])),
            "%s–%s" % (f(s["q1"]), f(s["q3"])), s["n"]]


def ratio(a, b):
    """median(a)/median(b) and the per-round range."""
    rr = [x["median"] / y["median"] for x, y in zip(a["rounds"], b["rounds"])]
    return a["s"]["median"] / b["s"]["median"], min(rr), max(rr)


def fmt_ratio(t):
    m, lo, hi = t
    return "**%s×** (rounds %s … %s)" % (S.sig(m, 3), S.sig(lo, 3), S.sig(hi, 3))


def attest(raw):
    """bench/attest/run's sections (4-6), when it has run: (markdown, headline, commands)."""
    if not os.path.exists(os.path.join(raw, "attest-meta.json")):
        return "", None, []
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "attest", "report.py")
    spec = importlib.util.spec_from_file_location("attest_report", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.sections(raw)


def main(raw, results):
    if not os.path.exists(os.path.join(raw, "reports-meta.json")):
        raise SystemExit("%s: no reports-meta.json: run bench/reports/run first (sections 1-3 "
                         "of reports.md come from it)" % raw)
    a_md, a_head, a_cmds = attest(raw)
    meta = load(os.path.join(raw, "reports-meta.json"))
    facts = S.bench_facts(raw, "reports")
    expected = dict(x.split("|") for x in meta["expected"])
    V = pooled(raw, "verify", expected)
    Q = pooled(raw, "quote", expected)
    P = inproc(raw)
    hfcmd = {}
    # the exact command of each name, from the first round's hyperfine command line
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

    true = V["true"]["s"]["median"]
    md = S.header("Hardware reports: verification latency per report type, TPM quote latency",
                  facts, "bench/reports/run")
    md += S.load_note(raw, "reports")
    md += ("The machine is shared with other engineers' builds and test suites; the load line "
           "above says how much of its %s CPUs they took while this ran. Every number is a median "
           "over %d round(s) with its spread; the groups (verify, quote, in-process) alternated "
           "within each round (order in `raw/reports-orders.txt`).\n\n"
           % (facts["nproc"], meta["rounds"]))

    # ------------------------------------------------------------ headline numbers
    rows_t = [("SEV-SNP (virtee Milan, --vcek)", "ward-snp", "snp"),
              ("TDX v5 quote (trustee tdx_quote_5)", "ward-tdx5", "tdx5"),
              ("TDX v5 + --tcb-info --qe-identity (verdict INVALID: see below)", "ward-tdx5-coll",
               "tdx5-coll"),
              ("TDX v4 quote (trustee tdx_quote_6)", "ward-tdx6", "tdx6"),
              ("TDX v4 + --tcb-info --qe-identity (VALID)", "ward-tdx6-coll", "tdx6-coll"),
              ("TPM quote, go-attestation (RSA-2048, SHA-1 PCRs)", "ward-tpm-ga", "tpm-ga"),
              ("TPM quote, swtpm (ECC P-256, with --nonce)", "ward-tpm-sw", "tpm-sw")]
    snp, tdx5, tpm_ga = V["ward-snp"]["s"]["median"], V["ward-tdx5"]["s"]["median"], \
        V["ward-tpm-ga"]["s"]["median"]
    ossl_snp = V["ossl-snp-chain"]["s"]["median"] + V["ossl-snp-sig"]["s"]["median"]
    ossl_tdx = sum(V[k]["s"]["median"] for k in ("ossl-tdx5-chain", "ossl-tdx5-qsig",
                                                  "ossl-tdx5-qesig", "ossl-tdx5-binding"))
    ck_ga = V["checkquote-ga"]["s"]["median"]
    ck_sw = V["checkquote-sw"]["s"]["median"]
    tw = Q["tpmtool-quote"]["s"]["median"]
    t2p = Q["tpm2-quote-persistent"]["s"]["median"]
    t2s = Q["tpm2-tools-same-work"]["s"]["median"]

    speed = {}
    with open(os.path.join(raw, "reports-speed.txt")) as f:
        for line in f:
            m = re.match(r"\+F(2|4):\d+:(\d+):([\d.]+):([\d.]+)", line)
            if m:
                speed[("rsa" if m.group(1) == "2" else "ecdsa") + m.group(2)] = 1 / float(m.group(4))
    md += "## What it means\n\n"
    md += ("* **`ward report verify` takes %s ms for an SEV-SNP report, %s ms for a TDX quote and "
           "%s ms for a TPM quote**, process start included; a process that does nothing "
           "(`/usr/bin/true`, same hyperfine -N) takes %s ms. In-process (libward-verify, "
           "repbench) the verification itself is %s µs (SNP), %s µs (TDX v5) and %s µs (TPM, "
           "RSA-2048). The signature arithmetic is a part of that: `openssl speed` here verifies "
           "ECDSA P-384 in %s µs, RSA-4096 in %s µs, ECDSA P-256 in %s µs, so SNP's one P-384 "
           "verification (the report) and at most three RSA-4096 ones (VCEK, ASK, the ARK's "
           "self-signature) are at most %s µs of its %s µs, and TDX's at most five P-256 ones "
           "(quote, QE report, PCK certificate, platform CA, root) at most %s µs of its %s µs; the rest is decoding the certificates and the checks (not "
           "profiled here). The command's remaining time (last column of table 1) is process "
           "start, loading libcrypto and reading the files.\n"
           % (S.ms(snp), S.ms(tdx5), S.ms(tpm_ga), S.ms(true), us(P["snp"]["s"]["median"]),
              us(P["tdx5"]["s"]["median"]), us(P["tpm-ga"]["s"]["median"]),
              us(speed["ecdsa384"]), us(speed["rsa4096"]), us(speed["ecdsa256"]),
              us(speed["ecdsa384"] + 3 * speed["rsa4096"]), us(P["snp"]["s"]["median"]),
              us(5 * speed["ecdsa256"]), us(P["tdx5"]["s"]["median"])))
    md += ("* **TPM, against tpm2_checkquote** (tpm2-tools %s) on the same go-attestation quote: "
           "%s ms against ward's %s ms: ward takes %s of its time; on the swtpm quote "
           "(tpm2_checkquote also recomputing the PCR digest from the PCR values) %s ms against "
           "%s ms.\n"
           % (meta["tpm2_tools_version"], S.ms(ck_ga), S.ms(tpm_ga),
              S.pct(tpm_ga / ck_ga), S.ms(ck_sw), S.ms(V["ward-tpm-sw"]["s"]["median"])))
    md += ("* **SEV-SNP and TDX have no independent verifier installed on this machine** (no "
           "snpguest, sevctl, go-sev-guest, go-tdx-guest, Intel's DCAP quote verification "
           "library: see the checks below). As a **lower bound** for any verifier that starts processes, "
           "the `openssl` commands that do the same cryptography take together %s ms for SNP "
           "(chain + report signature, 2 processes) and %s ms for TDX (chain, quote signature, "
           "QE report signature, the key binding hash: 4 processes); ward does all of that and "
           "every field check in one process in %s ms and %s ms. Each openssl process alone "
           "(%s ms per process on average for SNP, %s ms for TDX) costs about as much as ward's "
           "whole verification: process start and loading libcrypto dominate at this size.\n"
           % (S.ms(ossl_snp), S.ms(ossl_tdx), S.ms(snp), S.ms(tdx5),
              S.ms(ossl_snp / 2), S.ms(ossl_tdx / 4)))
    md += ("* **TPM quote latency on a swtpm** (%s): ward's TPM backend "
           "(`ward-test-tpmtool quote`: create the storage primary from the owner seed, load the "
           "AK blob, quote, read the PCRs, write 5 files) takes **%s ms**; `tpm2_quote` with an "
           "AK already persistent in the TPM (quote + PCR read only) %s ms; tpm2-tools doing "
           "ward's TPM work (tpm2_createprimary, tpm2_load, tpm2_quote under one sh, with a "
           "tpm2_flushcontext -t after each: without a resource manager the swtpm's 3 object "
           "slots fill up otherwise; 7 processes in all) %s ms. ward ÷ tpm2-tools same work: %s; ward ÷ tpm2_quote persistent: %s.\n\n"
           % (meta["swtpm_version"], S.ms(tw), S.ms(t2p), S.ms(t2s),
              fmt_ratio(ratio(Q["tpmtool-quote"], Q["tpm2-tools-same-work"])),
              fmt_ratio(ratio(Q["tpmtool-quote"], Q["tpm2-quote-persistent"]))))

    # ------------------------------------------------------------ 1. ward per type
    md += "## 1. `ward report verify` per report type: command and in-process\n\n"
    rows = []
    for label, hname, pname in rows_t:
        v, p = V[hname]["s"], P[pname]["s"]
        rows.append([label, cmd(hname)] + cells(v) +
                    ["**%s**" % us(p["median"]), "%s–%s" % (us(p["q1"]), us(p["q3"])),
                     S.ms(v["median"] - p["median"])])
    v = V["true"]["s"]
    rows.append(["a process doing nothing", cmd("true")] + cells(v) + ["", "", ""])
    md += S.table(["report", "command", "median ms", "min–max ms", "IQR ms", "runs",
                   "in-process µs per call (median)", "IQR µs", "command − in-process, ms"], rows)
    md += ("\nCommand: `hyperfine -N -i --warmup %d --runs %d` per round (`raw/reports-verify-r*.json`; "
           "-i keeps going on exit 1, and every run's exit code is checked against the expected "
           "one). In-process: `bench/reports/repbench.c` (libward-verify's own objects, "
           "copied from build/src/libward-verify.a at the start) calls report_verify_snp/tdx/tpm() "
           "on the bytes read once, %d × per round (200 calls SNP, 500 TDX, 2000 TPM per "
           "timing; every call's verdict checked), `raw/reports-inproc.txt`.\n\n"
           % (5 if not meta["quick"] else 2, meta["hf_runs"], meta["pb_rounds"]))
    md += ("The TDX v5 quote with trustee's collateral is **INVALID** at its only valid time "
           "(the collateral is for another FMSPC and expired at 2026-02-03; report-tdx.sh "
           "asserts the same): the verifier still checks the collateral's signatures and dates, "
           "so its time is real work, but for a VALID run with both collateral files see the "
           "tdx_quote_6 rows (at %s, as report-tdx.sh).\n\n" % "2025-11-01T00:00:00Z")

    # ------------------------------------------------------------ 2. peers
    md += "## 2. Against other verifiers\n\n"
    rows = []
    for label, name in [("ward, TPM go-attestation", "ward-tpm-ga"),
                        ("tpm2_checkquote, same quote (signature, nonce)", "checkquote-ga"),
                        ("ward, TPM swtpm quote (--nonce)", "ward-tpm-sw"),
                        ("tpm2_checkquote, same quote, with PCR values (-f -l)", "checkquote-sw"),
                        ("tpm2_checkquote, same quote, without PCR values", "checkquote-sw-nopcrs"),
                        ("ward, SNP", "ward-snp"),
                        ("openssl verify: VCEK ← ASK ← ARK (lower bound, 1/2)", "ossl-snp-chain"),
                        ("openssl dgst -verify: report signature (lower bound, 2/2)", "ossl-snp-sig"),
                        ("ward, TDX v5", "ward-tdx5"),
                        ("openssl verify: PCK ← platform CA ← Intel root (1/4)", "ossl-tdx5-chain"),
                        ("openssl dgst -verify: quote signature by the AK (2/4)", "ossl-tdx5-qsig"),
                        ("openssl dgst -verify: QE report signature by the PCK (3/4)",
                         "ossl-tdx5-qesig"),
                        ("openssl dgst: SHA-256(AK ‖ QE auth data), the binding (4/4)",
                         "ossl-tdx5-binding")]:
        rows.append([label, cmd(name)] + cells(V[name]["s"]))
    md += S.table(["what", "command", "median ms", "min–max ms", "IQR ms", "runs"], rows)
    md += "\n"
    md += S.table(["comparison", "ratio of medians (ward ÷ peer)"], [
        ["TPM go-attestation: ward ÷ tpm2_checkquote",
         fmt_ratio(ratio(V["ward-tpm-ga"], V["checkquote-ga"]))],
        ["TPM swtpm: ward ÷ tpm2_checkquote with PCRs",
         fmt_ratio(ratio(V["ward-tpm-sw"], V["checkquote-sw"]))],
        ["TPM swtpm: ward ÷ tpm2_checkquote without PCRs",
         fmt_ratio(ratio(V["ward-tpm-sw"], V["checkquote-sw-nopcrs"]))],
        ["SNP: ward ÷ (openssl chain + openssl signature), sum of medians",
         "**%s×**" % S.sig(snp / ossl_snp, 3)],
        ["TDX v5: ward ÷ (4 openssl steps), sum of medians", "**%s×**" % S.sig(tdx5 / ossl_tdx, 3)],
    ])
    md += ("\nWhat each does: tpm2_checkquote loads the PEM key, checks the signature over "
           "TPMS_ATTEST, the nonce (-q) and, with -f/-l, the PCR digest; ward checks magic, type, "
           "the AK's attributes (restricted signing key) and scheme, the signature and the nonce "
           "(it takes no PCR values). On the go-attestation vector tpm2_checkquote runs without "
           "-f/-l (see the checks below). The openssl rows are not a verifier: they do the "
           "signature and chain work only, none of the field, TCB, policy or binding checks "
           "beyond the one hash, and their sum counts %s process starts; they bound from below "
           "what a script built from openssl would cost.\n\n" % "2 (SNP) / 4 (TDX)")

    # ------------------------------------------------------------ 3. quote
    md += "## 3. TPM quote latency on a swtpm\n\n"
    rows = []
    for label, name in [("ward's TPM backend: primary + load AK + quote + PCR read",
                         "tpmtool-quote"),
                        ("tpm2_quote, AK persistent (0x81010002): quote + PCR read",
                         "tpm2-quote-persistent"),
                        ("tpm2-tools, ward's work: createprimary + load + quote (+ 3 flushcontext, sh)",
                         "tpm2-tools-same-work")]:
        rows.append([label, cmd(name)] + cells(Q[name]["s"]))
    md += S.table(["what", "command", "median ms", "min–max ms", "IQR ms", "runs"], rows)
    md += ("\nOne swtpm of the benchmark's own (as tests/integration/tpm-lib.sh starts it: UNIX "
           "sockets, `--flags not-need-init,startup-clear`), TCTI `swtpm:path=…` for both "
           "(no resource manager). PCR selection %s, a 32-byte nonce. ward's AK is the ECC "
           "P-256 restricted key `ward-test-tpmtool ak` created once; tpm2-tools' is a key of "
           "the same kind (`tpm2_create -G ecc256:ecdsa-sha256:null -a "
           "'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign'`) under a "
           "`tpm2_createprimary -G ecc256:aes128cfb` primary. A swtpm answers in software: on a "
           "hardware TPM every command, the primary's creation above all, is slower, so the "
           "absolute numbers here say little about real hardware (not measured: no TPM on this "
           "machine); what they show is the client side, one process and one connection for "
           "ward against one or several tpm2-tools processes. ward derives the primary "
           "on every load by design (src/attest/tpm.c: nothing persists in the TPM's NV).\n\n"
           % meta["sel"].replace("|", "\\|"))

    # ------------------------------------------------------------ checks, commands
    md += "## Checks\n\n" + "".join("* %s\n" % c for c in meta["checks"]) + "\n"
    md += ("Per-round medians (ms) of the headline commands, to judge drift:\n\n")
    rows = []
    for name in ("ward-snp", "ward-tdx5", "ward-tpm-ga", "checkquote-ga", "true"):
        rows.append([name] + [S.ms(r["median"]) for r in V[name]["rounds"]])
    for name in Q:
        rows.append([name] + [S.ms(r["median"]) for r in Q[name]["rounds"]])
    md += S.table(["command"] + ["round %d" % (i + 1) for i in range(meta["rounds"])], rows)
    md += S.commands_block([c.replace(root, "") for c in meta["commands"]])
    md += a_md
    S.write(os.path.join(results, "reports.md"), md)

    head = ("ward report verify: SNP %s ms, TDX %s ms, TPM %s ms (in-process %s / %s / %s µs); "
            "TPM: tpm2_checkquote %s ms (ward %s); SNP/TDX openssl lower bound %s / %s ms; "
            "swtpm quote: ward %s ms vs tpm2-tools same work %s ms, tpm2_quote persistent AK %s ms"
            % (S.ms(snp), S.ms(tdx5), S.ms(tpm_ga), us(P["snp"]["s"]["median"]),
               us(P["tdx5"]["s"]["median"]), us(P["tpm-ga"]["s"]["median"]), S.ms(ck_ga),
               S.pct(tpm_ga / ck_ga), S.ms(ossl_snp), S.ms(ossl_tdx), S.ms(tw), S.ms(t2s),
               S.ms(t2p)))
    if a_head:
        head += "; " + a_head
    S.save_summary(raw, "reports", {
        "title": "Hardware reports (verify latency per type, TPM quote)", "file": "reports.md",
        "date": facts["date"], "headline": head,
        "commands": [hfcmd.get(n, n).replace(root, "") for n in
                     ("ward-snp", "checkquote-ga", "tpmtool-quote")] + a_cmds})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
