#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/policy's drivers for what hyperfine cannot time: a policy switch seen from a running
monitor, and fapolicyd's trust database (load, update, per-exec cost) in its private namespace.

usage:
  drive.py ward-switch OUT TAG WARD STATE CODE POLICY...
      One `ward --state-dir STATE run --code CODE --bind-ro /etc --stats -- CODE/swx` (the monitor follows the
      installed policy). For each POLICY in turn (versions rising, each signed): 3 execs of
      /usr/bin/true (cached), `ward policy install POLICY`, then wait for the monitor's
      "ward: switched to policy NAME version V" on its stderr, then 5 execs (the first one after
      the verdict cache was flushed). Timestamps are CLOCK_MONOTONIC (time.monotonic()), taken
      by this process when each command returns and when each line arrives.
  drive.py fapo OUT TAG HOLDER FAPO_DIR TRUST CODE UPDATES SCOPE(0|1)
      fapolicyd in the namespace held by HOLDER (FAPO_DIR holds its private etc, lib, run):
      trust.d/bench := TRUST, an empty /var/lib/fapolicyd; start (time to "Starting to listen
      for events": the trust database created from TRUST), the scope check (SCOPE=1), a spawn
      block (xrun, cached), UPDATES × (`fapolicyd-cli --update` after the trust file changed,
      wait for "Updated", execs before and after as for ward), stop; then a second start on the
      database it left (time to listen: the database checked against TRUST), stop. fapolicyd is
      stopped by pid (SIGTERM, SIGKILL after 20 s) on every path.

  drive.py fapo-profile OUT HOLDER FAPO_DIR TRUST SECONDS
      perf record (SECONDS) of fapolicyd while it creates its trust database from TRUST; the
      report's symbols above 1% to OUT (text).

Each of the first two writes one JSON object to OUT. Any failure exits non-zero with the reason on stderr.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

TRUE = "/usr/bin/true"
BEFORE, AFTER = 3, 5


class Lines:
    """A reader thread on a pipe: every line with the monotonic time it arrived."""

    def __init__(self, f):
        self.lines = []
        self.cond = threading.Condition()
        self.eof = False
        self.t = threading.Thread(target=self._run, args=(f,), daemon=True)
        self.t.start()

    def _run(self, f):
        for raw in iter(f.readline, b""):
            t = time.monotonic()
            with self.cond:
                self.lines.append((t, raw.decode(errors="replace").rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait(self, pred, start=0, timeout=60.0):
        """The first (index, t, line) at or after index START for which pred(line) holds."""
        end = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    if pred(self.lines[i][1]):
                        return i, self.lines[i][0], self.lines[i][1]
                    i += 1
                left = end - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(left)

    def mark(self):
        with self.cond:
            return len(self.lines)

    def text(self, start=0):
        with self.cond:
            return [l for _, l in self.lines[start:]]


def die(msg):
    sys.stderr.write("drive: %s\n" % msg)
    sys.exit(1)


class Swx:
    """bench/policy/swx.c, started by ARGV, driven over its stdin."""

    def __init__(self, argv, what):
        self.what = what
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.out = Lines(self.p.stdout)
        self.err = Lines(self.p.stderr)
        self.pos = 0
        if not self._next(lambda l: l == "ready", 60):
            die("%s: swx did not start: %s" % (what, self.err.text()[-5:]))

    def _next(self, pred, timeout):
        r = self.out.wait(lambda l: pred(l) or l.startswith("fail"), self.pos, timeout)
        if r is None:
            return None
        self.pos = r[0] + 1
        if r[2].startswith("fail"):
            die("%s: %s; stderr: %s" % (self.what, r[2], self.err.text()[-5:]))
        return r

    def execs(self, n, path=TRUE):
        self.p.stdin.write(("x %d %s\n" % (n, path)).encode())
        self.p.stdin.flush()
        ts = []
        while True:
            r = self._next(lambda l: l == "ok" or l.startswith("t "), 120)
            if r is None:
                die("%s: no answer from swx (stderr: %s)" % (self.what, self.err.text()[-5:]))
            if r[2] == "ok":
                return ts
            ts.append(int(r[2].split()[1]))

    def quit(self):
        self.p.stdin.write(b"q\n")
        self.p.stdin.close()
        rc = self.p.wait(60)
        self.out.t.join(5)
        self.err.t.join(5)
        return rc


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


# ---------------------------------------------------------------- ward

def ward_switch(out, tag, ward, state, code, policies):
    vers = []
    for p in policies:
        with open(p) as f:
            d = json.load(f)
        vers.append((d["name"], d["version"], len(d["entries"])))
    argv = [ward, "--state-dir", state, "run", "--code", code, "--bind-ro", "/etc", "--stats", "--",
            code + "/swx"]
    sw = Swx(argv, tag)
    mon = sw.p.pid  # `ward run` is the monitor
    warm = sw.execs(20)  # untimed: the domain's first sight of true, ld.so and libc
    rows = []
    for p, (name, ver, n) in zip(policies, vers):
        before = sw.execs(BEFORE)
        mark = sw.err.mark()
        t0 = time.monotonic()
        r = subprocess.run([ward, "--state-dir", state, "policy", "install", p],
                           capture_output=True, text=True)
        t1 = time.monotonic()
        if r.returncode != 0:
            die("%s: ward policy install %s exited %d: %s" % (tag, p, r.returncode, r.stderr))
        want = "ward: switched to policy %s version %d" % (name, ver)
        got = sw.err.wait(lambda l: l == want, mark, 60)
        if got is None:
            die("%s: no '%s' within 60 s; stderr: %s" % (tag, want, sw.err.text(mark)))
        after = sw.execs(AFTER)
        rows.append({"policy": os.path.basename(p), "version": ver, "entries": n,
                     "install_s": t1 - t0, "switch_after_return_s": got[1] - t1,
                     "switch_after_start_s": got[1] - t0, "before_ns": before,
                     "after_ns": after, "install_stdout": r.stdout.strip()})
    hwm, rss = status_kb(mon, "VmHWM"), status_kb(mon, "VmRSS")
    rc = sw.quit()
    err = sw.err.text()
    if rc != 0:
        die("%s: ward run exited %d: %s" % (tag, rc, err[-5:]))
    stats = [l for l in err if l.startswith("ward: domain ")]
    other = [l for l in err if not l.startswith("ward: switched") and not l.startswith("ward: domain ")]
    if other:
        die("%s: unexpected lines from the monitor: %s" % (tag, other[:5]))
    with open(out, "w") as f:
        json.dump({"tag": tag, "command": argv, "warm_ns": warm, "switches": rows,
                   "monitor_vmhwm_kb": hwm, "monitor_vmrss_kb": rss,
                   "stats": stats[-1] if stats else None}, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- fapolicyd

class Fapo:
    def __init__(self, holder, fdir, tag):
        self.holder, self.fdir, self.tag = holder, fdir, tag
        self.p = None
        self.pid = None

    def ns(self, *argv):
        return ["nsenter", "-t", str(self.holder), "-m", "--"] + list(argv)

    def start(self, before_listen=None):
        """Start fapolicyd; the seconds until it listens. BEFORE_LISTEN(pid), if given, runs
        as soon as its pid file is there."""
        pidf = os.path.join(self.fdir, "run", "fapolicyd.pid")
        if os.path.exists(pidf):
            os.unlink(pidf)
        t0 = time.monotonic()
        # nsenter (mount namespace only) execs timeout, whose child is fapolicyd
        self.p = subprocess.Popen(self.ns("timeout", "-k", "5", "900", "fapolicyd", "--debug-deny"),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        self.log = Lines(self.p.stderr)
        if before_listen:
            end = time.monotonic() + 30
            while not os.path.exists(pidf) and time.monotonic() < end:
                time.sleep(0.01)
            with open(pidf) as f:
                self.pid = int(f.read().split()[0])
            before_listen(self.pid)
        got = self.log.wait(lambda l: "Starting to listen for events" in l, 0, 600)
        if got is None:
            self.stop(quiet=True)
            die("%s: fapolicyd did not start within 600 s: %s" % (self.tag, self.log.text()[-8:]))
        start_s = got[1] - t0
        with open(pidf) as f:
            pid = int(f.read().split()[0])
        # Ours, in the bench namespace: its parent is the timeout that nsenter exec'd.
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid != self.p.pid or os.readlink("/proc/%d/exe" % pid) != "/usr/sbin/fapolicyd" or \
                os.readlink("/proc/%d/ns/mnt" % pid) != os.readlink("/proc/%d/ns/mnt" % self.holder):
            self.stop(quiet=True)
            die("%s: pid %d from fapolicyd.pid is not our fapolicyd in the bench namespace"
                % (self.tag, pid))
        self.pid = pid
        return start_s

    def stop(self, quiet=False):
        rc = None
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            # It exits within ~3 s (its dead-man thread sleeps 3 s); after 20 s, SIGKILL by pid.
            end = time.monotonic() + 20
            while time.monotonic() < end and os.path.exists("/proc/%d" % self.pid):
                try:
                    with open("/proc/%d/stat" % self.pid) as f:
                        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                            break
                except OSError:
                    break
                time.sleep(0.02)
            if os.path.exists("/proc/%d" % self.pid):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.p:
            try:
                rc = self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                rc = self.p.wait()
            self.log.t.join(5)
        self.pid, self.p = None, None
        if not quiet and rc != 0:
            die("%s: fapolicyd exited %s" % (self.tag, rc))
        return rc

    def counters(self):
        text = "\n".join(self.log.text())
        res = {}
        for k in ("Allowed accesses", "Denied accesses", "Object hits", "Object misses",
                  "Subject misses", "Entries in trust DB"):
            m = re.findall(r"%s: (\d+)" % k, text)
            if m:
                res[k] = int(m[-1])
        return res


def scope_check(fa, code):
    """fapolicyd marks exactly the namespace's ramfs mounts, denies an untrusted copy of true
    in its scope, lets trusted true run, and leaves the host alone."""
    res = {}
    marks = set()
    for fd in os.listdir("/proc/%d/fdinfo" % fa.pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (fa.pid, fd)) as f:
                for line in f:
                    if line.startswith("fanotify ") and not line.startswith("fanotify flags:"):
                        marks.add(line.strip())
        except OSError:
            pass
    mnt_ids = sorted(int(re.match(r"fanotify mnt_id:([0-9a-f]+) ", m).group(1), 16)
                     for m in marks if m.startswith("fanotify mnt_id:"))
    ramfs = []
    with open("/proc/%d/mountinfo" % fa.holder) as f:
        for line in f:
            a = line.split()
            if a[a.index("-") + 1] == "ramfs":
                ramfs.append(int(a[0]))
    if not mnt_ids or mnt_ids != sorted(ramfs) or len(marks) != len(mnt_ids):
        die("fapolicyd's marks %s are not exactly the namespace's ramfs mounts %s" % (marks, ramfs))
    res["marks"] = sorted(marks)
    res["ramfs_mount_ids"] = sorted(ramfs)
    r = subprocess.run(fa.ns("/usr/bin/sh", "-c", "/usr/local/lib/ward-bench/true"),
                       capture_output=True, text=True)
    res["untrusted_rc"], res["untrusted_err"] = r.returncode, r.stderr.strip()[:200]
    res["trusted_rc"] = subprocess.run(fa.ns(TRUE)).returncode
    res["host_rc"] = subprocess.run([TRUE]).returncode
    res["host_untrusted_rc"] = subprocess.run([code + "/../host-untrusted-true"]).returncode
    if (res["untrusted_rc"], res["trusted_rc"], res["host_rc"], res["host_untrusted_rc"]) != (126, 0, 0, 0):
        die("fapolicyd scope check failed: %s" % res)
    return res


def fapo(out, tag, holder, fdir, trust, code, updates, scope):
    fa = Fapo(int(holder), fdir, tag)
    tfile = os.path.join(fdir, "etc", "trust.d", "bench")
    shutil.copyfile(trust, tfile)
    with open(trust) as f:
        n_trust = sum(1 for l in f if l.startswith("/"))
    lib = os.path.join(fdir, "lib")
    for x in os.listdir(lib):
        os.unlink(os.path.join(lib, x))
    res = {"tag": tag, "trust_entries": n_trust, "trust_bytes": os.path.getsize(trust)}
    try:
        res["start_fresh_s"] = fa.start()
        res["fresh_vmhwm_kb"] = status_kb(fa.pid, "VmHWM")
        res["fresh_start_cpu_ticks"] = cpu_ticks(fa.pid)
        res["fresh_log"] = [l for l in fa.log.text() if not l.startswith("rule=")][:40]
        db = os.path.join(lib, "data.mdb")
        res["db_apparent_bytes"] = os.path.getsize(db)
        res["db_allocated_bytes"] = os.stat(db).st_blocks * 512
        if scope:
            res["scope"] = scope_check(fa, code)
        # cached: a spawn block as bench/exec's (the object cache holds true, ld.so, libc)
        c0 = cpu_ticks(fa.pid)
        xr = subprocess.run(fa.ns(code + "/xrun", "-w", "200", "-r", "4", "-n", "2000", "-t",
                                  tag + " spawn", "--", TRUE), capture_output=True, text=True)
        if xr.returncode != 0:
            die("%s: xrun under fapolicyd exited %d: %s" % (tag, xr.returncode, xr.stderr))
        res["spawn"] = xr.stdout.splitlines()
        res["spawn_cpu_ticks"] = cpu_ticks(fa.pid) - c0
        # updates: the trust file changes (one entry more or less: a new "version"), then
        # fapolicyd-cli --update; fapolicyd reloads its backends and rebuilds the database
        sw = Swx(fa.ns(code + "/swx"), tag)
        res["warm_ns"] = sw.execs(20)
        rows = []
        # a path in no trust file (fapolicyd does not look at the file while loading)
        extra = "%s/update-marker 1 %s\n" % (code, "0" * 64)
        for k in range(updates):
            before = sw.execs(BEFORE)
            with open(trust) as f:
                body = f.read()
            with open(tfile + ".tmp", "w") as f:
                f.write(body + (extra if k % 2 == 0 else ""))
            os.replace(tfile + ".tmp", tfile)
            mark = fa.log.mark()
            c0 = cpu_ticks(fa.pid)
            t0 = time.monotonic()
            r = subprocess.run(fa.ns("fapolicyd-cli", "--update"), capture_output=True, text=True)
            t1 = time.monotonic()
            if r.returncode != 0:
                die("%s: fapolicyd-cli --update exited %d: %s" % (tag, r.returncode, r.stderr))
            # "Updated": the new database is in place. The object cache, which holds the old
            # trust of what it saw, is flushed by the next event before it is decided
            # (new_event(): needs_flush), so the first exec after this pays for it.
            got = fa.log.wait(lambda l: l.strip() == "Updated", mark, 900)
            if got is None:
                die("%s: no 'Updated' from fapolicyd within 900 s: %s" % (tag, fa.log.text(mark)[-8:]))
            if any("duplicate" in l for l in fa.log.text(mark)):
                die("%s: fapolicyd found duplicates in the trust file: %s" % (tag, fa.log.text(mark)))
            after = sw.execs(AFTER)
            rows.append({"update_cli_s": t1 - t0, "updated_after_return_s": got[1] - t1,
                         "updated_after_start_s": got[1] - t0, "before_ns": before,
                         "after_ns": after, "cpu_ticks": cpu_ticks(fa.pid) - c0,
                         "log": [l for l in fa.log.text(mark) if not l.startswith("rule=")][:20]})
        res["updates"] = rows
        res["vmhwm_kb"] = status_kb(fa.pid, "VmHWM")
        rc = sw.quit()
        if rc != 0:
            die("%s: swx exited %d" % (tag, rc))
        fa.stop()
        res["counters"] = fa.counters()
        res["log_tail"] = [l for l in fa.log.text() if not l.startswith("rule=")][-30:]
        # restart on the database the first daemon left: checked against the trust file
        shutil.copyfile(trust, tfile)
        res["start_existing_s"] = fa.start()
        res["existing_vmhwm_kb"] = status_kb(fa.pid, "VmHWM")
        res["existing_start_cpu_ticks"] = cpu_ticks(fa.pid)
        res["existing_log"] = [l for l in fa.log.text() if not l.startswith("rule=")][:40]
        fa.stop()
    finally:
        fa.stop(quiet=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")


def fapo_profile(out, holder, fdir, trust, seconds):
    """perf record of fapolicyd while it creates its trust database from TRUST."""
    fa = Fapo(int(holder), fdir, "profile")
    shutil.copyfile(trust, os.path.join(fdir, "etc", "trust.d", "bench"))
    lib = os.path.join(fdir, "lib")
    for x in os.listdir(lib):
        os.unlink(os.path.join(lib, x))
    data = out + ".data"
    cmd = ["perf", "record", "-F", "999", "-o", data, "-p", "PID", "--", "sleep", str(seconds)]

    def rec(pid):
        time.sleep(0.5)
        c = [str(pid) if a == "PID" else a for a in cmd]
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    try:
        start_s = fa.start(before_listen=rec)
        fa.stop()
    finally:
        fa.stop(quiet=True)
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio", "--sort",
                          "dso,sym", "--percent-limit", "1"], capture_output=True, text=True)
    os.unlink(data)
    with open(out, "w") as f:
        f.write("# fapolicyd creating its trust database from %s (%d lines); started in %.3f s\n"
                % (os.path.basename(trust), sum(1 for _ in open(trust)), start_s))
        f.write("# %s   (0.5 s after its pid file appeared)\n" % " ".join(cmd))
        f.write("# perf report -i DATA --no-children --stdio --sort dso,sym --percent-limit 1\n")
        f.write("\n".join(l for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")))
        f.write("\n")


def main():
    a = sys.argv[1:]
    if len(a) >= 7 and a[0] == "ward-switch":
        return ward_switch(a[1], a[2], a[3], a[4], a[5], a[6:])
    if len(a) == 9 and a[0] == "fapo":
        return fapo(a[1], a[2], a[3], a[4], a[5], a[6], int(a[7]), a[8] == "1")
    if len(a) == 6 and a[0] == "fapo-profile":
        return fapo_profile(a[1], a[2], a[3], a[4], int(a[5]))
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
