# shellcheck shell=bash
# Helpers for the tests of `ward run` (domain-modes.sh, domain-programs.sh, monitor-kill.sh);
# sourced after lib.sh.
#
# ward run passes its command's status through, so 126, 127 and 128+N are answers here, not
# crashes: expect_run judges a crash by a sanitizer report alone.

require_cmd python3
if ((EUID != 0)); then
	# ward run needs root (fanotify permission events, namespaces, mounts); CI runs as root.
	skip "ward run needs root"
fi

# expect_run EXPECTED DESCRIPTION CMD...: CMD exits with exactly EXPECTED (any value, 126..255
# included) and no sanitizer report is on its stderr. Output stays in $OUT and $ERR.
expect_run() {
	local want=$1 what=$2
	shift 2
	run "$@"
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$ERR"; then
		fail "$what: exit $want (got $RC with a sanitizer report) [$*]"
		_show_last
	elif [[ "$RC" == "$want" ]]; then
		pass "$what: exit $want"
	else
		fail "$what: exit $want (got $RC) [$*]"
		_show_last
	fi
}

# expect_stderr_nomatch REGEX [DESCRIPTION]
expect_stderr_nomatch() {
	local re=$1 what=${2:-stderr}
	if grep -qE -- "$re" "$ERR"; then
		fail "$what: stderr does not match /$re/"
		_show_last
	else
		pass "$what: stderr does not match /$re/"
	fi
}

# The log, read back through `ward log export --format ascii` (the ima-buf payloads in hex,
# which `log show` does not print), split into domains: a ward-domain record starts one, and
# the ima-ng and ward-decision records after it are its own (the tests run one domain at a time
# per state dir).
cat >"$T/.logq.py" <<'EOF'
"""logq.py ASCII_EXPORT EXPR: print eval(EXPR) over the log's domains.

Names in EXPR: doms (every domain, oldest first), d (the newest), objs(d, path) (the ima-ng
records of path in d), decs(d, path, verdict=None, grant=None) (its decisions),
dup_decisions(d) (decision keys (verdict, grant, object, path) recorded twice in d), n_records."""
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
objs = lambda d, p: [o for o in d["ng"] if o["path"] == p]
decs = lambda d, p, verdict=None, grant=None: [x for x in d["dec"] if x["path"] == p and
    verdict in (None, x["verdict"]) and grant in (None, x["grant"])]
def dup_decisions(d):
    keys = [(x["verdict"], x["grant"], x.get("object"), x["path"]) for x in d["dec"]]
    return sorted({k for k in keys if keys.count(k) > 1})
print(eval(sys.argv[2]))
EOF

# logq STATE EXPR: evaluate EXPR (see .logq.py) over STATE's log.
logq() {
	"$WARD" --state-dir "$1" log export --format ascii -o "$T/.logq.ascii" >/dev/null &&
		python3 "$T/.logq.py" "$T/.logq.ascii" "$2"
}

# merge_policy OUT POLICY...: one allowlist holding the entries of every POLICY (paths sorted,
# as 'ward policy scan' writes them).
merge_policy() {
	local out=$1
	shift
	python3 - "$out" "$@" <<'EOF'
import json, sys
ps = [json.load(open(f)) for f in sys.argv[2:]]
m = dict(ps[0])
ents = {}
for p in ps:
    for e in p["entries"]:
        ents[e["path"]] = e
m["entries"] = [ents[k] for k in sorted(ents)]
json.dump(m, open(sys.argv[1], "w"), indent=1)
EOF
}
