# shellcheck shell=bash
# Helpers for the tests that run `ward run`: domain-modes.sh, domain-programs.sh and
# monitor-kill.sh here, and every adversarial test (through ../adversarial/lib.sh); sourced
# after lib.sh, whose expect_run asserts the status ward run passes through.
#
# It skips the test unless it runs as root with python3, and gives domain_state (a state dir and
# the /usr allowlist), make_policy (allowlists made of policies and files), logq (the log read
# back, split into domains), and, for what a domain leaves behind on the host, cgroup2_root,
# proc_stat and host_mounts.

require_cmd python3
if ((EUID != 0)); then
	# ward run needs root (fanotify permission events, namespaces, mounts); CI runs as root.
	skip "ward run needs root"
fi

# domain_state: S, a fresh state dir ($T/state) whose public key is in $T/pub.pem, and POL, the
# allowlist of /usr (usr_policy). A /usr that cannot be scanned fails the test (not a skip).
domain_state() {
	S=$T/state
	new_state "$S"
	"$WARD" --state-dir "$S" attester pubkey >"$T/pub.pem"
	# shellcheck disable=SC2034 # used by the tests that source this file
	POL=$(usr_policy) || {
		fail "usr_policy: ward policy scan /usr"
		finish
	}
}

# make_policy OUT [--from POLICY]... [--name NAME] [--version N] [--data-dir D]...
#             [--anon-exec FILE]... [--allow-wx-elf] [--] PATH...
# OUT: one allowlist holding the entries of every POLICY and one for each PATH (a file, or every
# regular file below a dir, symlinks not followed), one entry per path (the last given), paths
# sorted as 'ward policy scan' writes them. Its other fields are the first POLICY's, NAME and N
# replacing its name and version; any of --data-dir, --anon-exec, --allow-wx-elf gives it those
# domain settings (each --anon-exec FILE is listed in domain.anon_exec by its digest, and is an
# entry as well, as 'ward policy scan --anon-exec' writes it).
make_policy() {
	local out=$1
	shift
	python3 - "$out" "$@" <<'EOF'
import hashlib, json, os, sys

out, args = sys.argv[1], sys.argv[2:]
froms, paths, meta = [], [], {}
dom = {"anon_exec": [], "allow_wx_elf": False, "data_dirs": []}
while args:
    a = args.pop(0)
    if a == "--from":
        froms.append(args.pop(0))
    elif a == "--name":
        meta["name"] = args.pop(0)
    elif a == "--version":
        meta["version"] = int(args.pop(0))
    elif a == "--data-dir":
        dom["data_dirs"].append(args.pop(0))
    elif a == "--anon-exec":
        f = args.pop(0)
        paths.append(f)
        with open(f, "rb") as fh:
            dom["anon_exec"].append({"digest": "sha256:" + hashlib.sha256(fh.read()).hexdigest(),
                                     "path": f})
    elif a == "--allow-wx-elf":
        dom["allow_wx_elf"] = True
    elif a == "--":
        paths += args
        break
    else:
        paths.append(a)
assert froms, "make_policy: no --from POLICY"

def files(p):
    if os.path.isdir(p) and not os.path.islink(p):
        for root, dirs, names in os.walk(p):
            for n in names:
                f = os.path.join(root, n)
                if os.path.isfile(f) and not os.path.islink(f):
                    yield f
    else:
        yield p

ps = [json.load(open(f)) for f in froms]
m = dict(ps[0])
ents = {}
for p in ps:
    for e in p["entries"]:
        ents[e["path"]] = e
for p in paths:
    for f in files(p):
        with open(f, "rb") as fh:
            ents[f] = {"digest": "sha256:" + hashlib.sha256(fh.read()).hexdigest(), "path": f}
m["entries"] = [ents[k] for k in sorted(ents)]
m.update(meta)
if dom["anon_exec"] or dom["allow_wx_elf"] or dom["data_dirs"]:
    m["domain"] = dom
with open(out + ".tmp", "w") as fh:
    json.dump(m, fh, separators=(",", ":"))
os.rename(out + ".tmp", out)
EOF
}

# The log, read back through `ward log export --format ascii` (the ima-buf payloads in hex,
# which `log show` does not print), split into domains: a ward-domain record starts one, and
# the ima-ng and ward-decision records after it are its own (the tests run one domain at a time
# per state dir).
cat >"$T/.logq.py" <<'EOF'
"""logq.py ASCII_EXPORT EXPR [ARG...]: print eval(EXPR) over the log's domains.

Names in EXPR: doms (every domain, oldest first: {"rec": its ward-domain record, "ng": its
ima-ng records, "dec": its ward-decision records}), d (the newest), objs(d, path) (the ima-ng
records of path in d), decs(d, path, verdict=None, grant=None) (its decisions),
dup_decisions(d) (decision keys (verdict, grant, object, path) recorded twice in d), n_records,
args (the ARGs), show(decisions, obj=False) (one line "#     VERDICT GRANT PATH: REASON [OBJECT]"
per decision, for a failure's evidence)."""
import json, sys
doms, n_records = [], 0
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line:
        continue
    n_records += 1
    pcr, tdig, tmpl, rest = line.split(" ", 3)
    if tmpl == "ima-buf":
        digest, rest = rest.split(" ", 1)
        name, data = rest.rsplit(" ", 1)
        obj = json.loads(bytes.fromhex(data))
        if name == "ward-domain":
            doms.append({"rec": obj, "ng": [], "dec": []})
        elif name == "ward-decision":
            assert doms, "a decision before any ward-domain record"
            assert obj["domain"] == doms[-1]["rec"]["domain"], (obj, doms[-1]["rec"])
            doms[-1]["dec"].append(obj)
    elif tmpl == "ima-ng":
        digest, path = rest.split(" ", 1)
        if doms:
            doms[-1]["ng"].append({"digest": digest, "path": path})
d = doms[-1] if doms else None
args = sys.argv[3:]
objs = lambda d, p: [o for o in d["ng"] if o["path"] == p]
decs = lambda d, p, verdict=None, grant=None: [x for x in d["dec"] if x["path"] == p and
    verdict in (None, x["verdict"]) and grant in (None, x["grant"])]
def dup_decisions(d):
    keys = [(x["verdict"], x["grant"], x.get("object"), x["path"]) for x in d["dec"]]
    return sorted({k for k in keys if keys.count(k) > 1})
def show(xs, obj=False):
    return "\n".join("#     %s %s %s: %s" % (x["verdict"], x["grant"], x["path"], x["reason"]) +
                     (" %s" % x.get("object", "") if obj else "") for x in xs)
print(eval(sys.argv[2]))
EOF

# logq STATE EXPR [ARG...]: evaluate EXPR (see .logq.py) over STATE's log, ARG... as args.
logq() {
	local state=$1 expr=$2
	shift 2
	"$WARD" --state-dir "$state" log export --format ascii -o "$T/.logq.ascii" >/dev/null &&
		python3 "$T/.logq.py" "$T/.logq.ascii" "$expr" "$@"
}

# ---- what a domain leaves behind on the host ----

# cgroup2_root: print where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup/unified on a
# hybrid host, else /sys/fs/cgroup); fail if it is mounted at neither.
cgroup2_root() {
	local c
	for c in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		if [[ "$(stat -f -c %T "$c" 2>/dev/null)" == cgroup2fs ]]; then
			printf '%s\n' "$c"
			return 0
		fi
	done
	return 1
}

# proc_stat PID N: field N of /proc/PID/stat, numbered as in proc_pid_stat(5) (5 pgrp,
# 6 session, 22 starttime); nothing if PID is gone.
proc_stat() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	read -r -a f <<<"${s##*) }"
	printf '%s\n' "${f[$2 - 3]}"
}

# host_mounts: the host's mount points (with fields 9 and 10 of /proc/self/mountinfo), sorted:
# to compare before and after.
host_mounts() { awk '{print $5, $9, $10}' /proc/self/mountinfo | sort; }
