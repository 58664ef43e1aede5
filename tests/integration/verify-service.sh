#!/usr/bin/env bash
# What a client of a sandbox service checks: "exactly which manifest and which code would process
# my data". Run `ward sandbox run` with a tr manifest (measure mode) and again with another under
# an allowlist (enforce), read the ward-service records back with `ward log show` (text and
# --json), export evidence and verify it: the services are listed with their manifest digest,
# mode, policy and the code measured for them (each object's digest is the sha256 of the file on
# this host); --manifest-digest passes for each manifest that ran and fails (exit 1, the reason
# printed) for one that did not, or that registered before the records the evidence carries. A
# ward-service record changed in the bundle (naively, or with its digests recomputed) is never
# trusted.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=domain-lib.sh
. "$(dirname "$0")/domain-lib.sh"
require_cmd timeout sha256sum tr python3

S=$T/state
N=5e41ce0123456789
new_state "$S"
"$WARD" --state-dir "$S" attester pubkey >"$T/pub.pem"
chmod 0755 "$T"

# srun ARG...: `ward --state-dir $S sandbox run ARG...` under a timeout, stdin inherited.
srun() {
	run timeout -k 5 60 "$WARD" --state-dir "$S" sandbox run "$@"
}

# verify EVIDENCE ARG...: `ward verify` with the nonce and the pinned key.
# shellcheck disable=SC2317 # called through run and check
verify() {
	local ev=$1
	shift
	"$WARD" verify "$ev" --nonce "$N" --soft-key "$T/pub.pem" "$@"
}

# every_code_digest_is_the_file JSON INDEX: each code object of service INDEX in the verify
# --json output JSON has the sha256 of the file at its path on this host.
# shellcheck disable=SC2317 # called through check
every_code_digest_is_the_file() {
	python3 - "$1" "$2" <<'EOF'
import hashlib, json, sys
j = json.load(open(sys.argv[1]))
code = j["services"][int(sys.argv[2])]["code"]
assert code, "no code listed"
for c in code:
    want = "sha256:" + hashlib.sha256(open(c["path"], "rb").read()).hexdigest()
    assert c["digest"] == want, (c, want)
EOF
}

printf 'hello' >"$T/hello"
printf '{"name": "upper", "argv": ["/usr/bin/tr", "a-z", "A-Z"]}' >"$T/upper.json"
M1=$(sha256_file "$T/upper.json")
TR=$(sha256_file /usr/bin/tr)

section "ward sandbox run (measure mode): one ward-service record"
srun --manifest "$T/upper.json" <"$T/hello"
expect_eq "$RC:$(cat "$OUT")" "0:HELLO" "tr in a sandbox: exit 0, HELLO"
expect_rc 0 "log show" "$WARD" --state-dir "$S" log show
expect_stdout_match "^ +0 10 service  upper manifest sha256:$M1 mode measure\$" \
	"log show: record 0 names the service, the manifest's sha256 and the mode"
expect_stdout_match "^ +[0-9]+ 10 ima-ng +sha256:$TR /usr/bin/tr\$" "log show: /usr/bin/tr measured"
expect_rc 0 "log show --json" "$WARD" --state-dir "$S" log show --json
check "log show --json: record 0 is kind service with service, domain, manifest, mode, policy" \
	python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["entries"][0]
assert e["kind"] == "service" and e["template"] == "ima-buf", e
assert e["service"] == {"service": "upper", "domain": "svc:upper", "manifest": "sha256:" + sys.argv[2],
                        "mode": "measure", "policy": None, "anon_exec": False, "wx_elf": False}, e
' "$OUT" "$M1"
R1=$(record_count "$S")

section "evidence and verify --manifest-digest"
expect_rc 0 "evidence --nonce" "$WARD" --state-dir "$S" evidence --nonce "$N" -o "$T/ev1.json"
expect_rc 0 "verify --manifest-digest (the manifest that ran): trusted" \
	verify "$T/ev1.json" --manifest-digest "$M1"
expect_stdout_match 'verdict: TRUSTED' "right digest: TRUSTED"
expect_stdout_match "^    service upper manifest sha256:$M1 mode measure \\(record 0\\) \\[the manifest asked for\\]\$" \
	"right digest: the service listed, marked as the one asked for"
expect_stdout_match "^        sha256:$TR /usr/bin/tr\$" "right digest: /usr/bin/tr with its sha256 among its code"
expect_stdout_match "^  manifest: +sha256:$M1 registered\$" "right digest: the manifest line"
expect_rc 0 "the same digest spelled sha256:HEX" verify "$T/ev1.json" --manifest-digest "sha256:$M1"
expect_rc 0 "verify --json --manifest-digest" verify "$T/ev1.json" --manifest-digest "$M1" --json
cp "$OUT" "$T/v1.json"
check "--json: trusted, checks.manifest, one service with the manifest, mode, no policy, record 0" \
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["trusted"] is True and j["checks"]["manifest"] is True, j
assert j["manifest_digest"] == "sha256:" + sys.argv[2], j["manifest_digest"]
s = j["services"]
assert len(s) == 1, s
s = s[0]
assert (s["name"], s["domain"], s["manifest"], s["mode"], s["policy"], s["record"]) == \
    ("upper", "svc:upper", "sha256:" + sys.argv[2], "measure", None, 0), s
assert s["manifest_match"] is True and s["denied"] == 0, s
' "$T/v1.json" "$M1"
check "--json: /usr/bin/tr with its sha256 among the service's code, from a decision" python3 -c '
import json, sys
code = json.load(open(sys.argv[1]))["services"][0]["code"]
assert {"path": "/usr/bin/tr", "digest": "sha256:" + sys.argv[2], "source": "decision",
        "audit": False} in code, code
' "$T/v1.json" "$TR"
check "--json: every code object is the file at its path (sha256 on this host)" \
	every_code_digest_is_the_file "$T/v1.json" 0
expect_rc 0 "verify without --manifest-digest: the services are listed anyway" verify "$T/ev1.json" --json
check "without --manifest-digest: manifest_digest null, no manifest_match, checks.manifest true" \
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["manifest_digest"] is None and j["checks"]["manifest"] is True, j
assert len(j["services"]) == 1 and "manifest_match" not in j["services"][0], j["services"]
' "$OUT"

WRONG=$(printf 'not the manifest' | sha256sum | cut -d' ' -f1)
expect_rc 1 "verify --manifest-digest (a manifest that never ran): not trusted" \
	verify "$T/ev1.json" --manifest-digest "$WRONG"
expect_stdout_match 'verdict: NOT TRUSTED' "wrong digest: NOT TRUSTED"
expect_stdout_match "^  reason: no ward-service record in the evidence names manifest sha256:$WRONG" \
	"wrong digest: the reason names the digest"
expect_stdout_match "^  manifest: +sha256:$WRONG NOT in the evidence\$" "wrong digest: the manifest line"
expect_rc 1 "verify --json, wrong digest" verify "$T/ev1.json" --manifest-digest "$WRONG" --json
check "wrong digest --json: trusted false, checks.manifest false, the rest passed, state null" \
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
c = j["checks"]
assert j["trusted"] is False and c["manifest"] is False and j["state"] is None, j
assert all(v for k, v in c.items() if k != "manifest"), c
assert len(j["reasons"]) == 1 and sys.argv[2] in j["reasons"][0], j["reasons"]
assert j["services"][0]["manifest_match"] is False, j["services"]
' "$OUT" "$WRONG"

for bad in "${M1:0:63}" "${M1}0" "$(tr a-f A-F <<<"$M1")" "sha1:$M1" "${M1:0:62}zz" ""; do
	expect_rc 2 "--manifest-digest '$bad': usage error" verify "$T/ev1.json" --manifest-digest "$bad"
	expect_stderr_match '^ward: --manifest-digest: 64 lower-case hex digits' "--manifest-digest '$bad': says what it takes"
done
expect_rc 2 "--manifest-digest given twice" verify "$T/ev1.json" --manifest-digest "$M1" --manifest-digest "$M1"

section "a second service, enforce mode under an allowlist of /usr"
POL=$(usr_policy) || {
	fail "usr_policy: ward policy scan /usr"
	finish
}
PNAME=$(json_get "$POL" 'j["name"]')
PVER=$(json_get "$POL" 'j["version"]')
printf '{"name": "lower", "argv": ["/usr/bin/tr", "A-Z", "a-z"]}' >"$T/lower.json"
M2=$(sha256_file "$T/lower.json")
printf 'WORLD' >"$T/world"
srun --policy "$POL" --manifest "$T/lower.json" <"$T/world"
expect_eq "$RC:$(cat "$OUT")" "0:world" "tr under the allowlist: exit 0, world"
expect_rc 0 "log show" "$WARD" --state-dir "$S" log show
expect_stdout_match "^ +$R1 10 service  lower manifest sha256:$M2 mode enforce policy $PNAME v$PVER\$" \
	"log show: the second record names mode enforce and the policy"
expect_rc 0 "evidence" "$WARD" --state-dir "$S" evidence --nonce "$N" -o "$T/ev2.json"
expect_rc 0 "verify --manifest-digest of the second: trusted" verify "$T/ev2.json" --manifest-digest "$M2" --json
cp "$OUT" "$T/v2.json"
check "--json: two services in log order, each with its own manifest, mode, policy and code" \
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
m1, m2, pname, pver, r1, tr = sys.argv[2:]
a, b = j["services"]
assert (a["name"], a["manifest"], a["mode"], a["policy"], a["manifest_match"]) == \
    ("upper", "sha256:" + m1, "measure", None, False), a
assert (b["name"], b["manifest"], b["mode"], b["manifest_match"], b["record"]) == \
    ("lower", "sha256:" + m2, "enforce", True, int(r1)), b
assert b["policy"] == {"name": pname, "version": int(pver)}, b
for s in (a, b):
    assert ("/usr/bin/tr", "sha256:" + tr) in [(c["path"], c["digest"]) for c in s["code"]], s
assert b["denied"] == 0 and not any(c["audit"] for c in b["code"]), b
' "$T/v2.json" "$M1" "$M2" "$PNAME" "$PVER" "$R1" "$TR"
check "--json: the second service's code objects are the files at their paths" \
	every_code_digest_is_the_file "$T/v2.json" 1
expect_rc 0 "the first manifest is still in the evidence" verify "$T/ev2.json" --manifest-digest "$M1"

section "incremental evidence from after the first registration"
expect_rc 0 "evidence --since $R1" "$WARD" --state-dir "$S" evidence --nonce "$N" --since "$R1" -o "$T/ev-since.json"
expect_rc 0 "prior: a trusted verification of the first $R1 records" verify "$T/ev1.json" --json
cp "$OUT" "$T/prior.json"
expect_rc 0 "--manifest-digest of the service registered in it: trusted" \
	verify "$T/ev-since.json" --prior "$T/prior.json" --manifest-digest "$M2"
expect_rc 1 "--manifest-digest of one registered before it: not trusted" \
	verify "$T/ev-since.json" --prior "$T/prior.json" --manifest-digest "$M1"
expect_stdout_match 'reason: no ward-service record in the evidence names manifest' \
	"registered before the evidence: the reason says so"

section "a ward-service record changed in the bundle is never trusted"
python3 - "$T/ev2.json" "$T" "$M1" <<'EOF'
import base64, hashlib, json, struct, sys
src, out, m1 = sys.argv[1], sys.argv[2], sys.argv[3]
j = json.load(open(src))
bank = j["log"]["template_digest"]
dlen = hashlib.new(bank).digest_size
log = base64.b64decode(j["log"]["data"])

def records(b):
    off = 0
    while off < len(b):
        start = off
        off += 4 + dlen
        (nl,) = struct.unpack_from("<I", b, off)
        off += 4
        name = b[off:off + nl]
        off += nl
        (tl,) = struct.unpack_from("<I", b, off)
        off += 4
        yield start, name, off, tl
        off += tl

# The first record: ward-service, ima-buf: d-ng, n-ng, buf.
start, name, doff, tl = next(records(log))
assert name == b"ima-buf", name
tdata = log[doff:doff + tl]
fields, p = [], 0
while p < len(tdata):
    (fl,) = struct.unpack_from("<I", tdata, p)
    fields.append(tdata[p + 4:p + 4 + fl])
    p += 4 + fl
assert fields[1] == b"ward-service\0", fields[1]
buf = fields[2].decode()
assert m1 in buf, buf

def write(tag, newbuf, recompute):
    nb = newbuf.encode()
    assert len(nb) == len(fields[2])
    dng = fields[0]
    if recompute:  # the d-ng field and the template digest made to match the new buffer
        dng = b"sha256:\0" + hashlib.sha256(nb).digest()
    nt = b"".join(struct.pack("<I", len(f)) + f for f in (dng, fields[1], nb))
    rec = bytearray(log[start:doff + tl])
    rec[doff - start:] = nt
    if recompute:
        rec[4:4 + dlen] = hashlib.new(bank, nt).digest()
    new = log[:start] + bytes(rec) + log[doff + tl:]
    k = dict(j)
    k["log"] = dict(j["log"], data=base64.b64encode(new).decode())
    json.dump(k, open(f"{out}/tamper-{tag}.json", "w"), indent=2)

forged = ("0" if m1[0] != "0" else "1") + m1[1:]
open(f"{out}/forged.digest", "w").write(forged)
for recompute in (False, True):
    sfx = "fixed" if recompute else "naive"
    write(f"manifest-{sfx}", buf.replace(m1, forged), recompute)
    write(f"service-{sfx}", buf.replace('"service":"upper"', '"service":"uppEr"'), recompute)
    write(f"mode-{sfx}", buf.replace('"mode":"measure"', '"mode":"enforce"'), recompute)
EOF
FORGED=$(cat "$T/forged.digest")
for f in manifest service mode; do
	expect_rc 1 "ward-service $f changed (template digest left): not trusted" \
		verify "$T/tamper-$f-naive.json" --manifest-digest "$M2"
	expect_stdout_match '^  reason: log record 0: template digest does not match its data$' \
		"ward-service $f changed: the template digest of record 0 is caught"
	expect_rc 1 "ward-service $f changed, d-ng and template digest recomputed: not trusted" \
		verify "$T/tamper-$f-fixed.json" --manifest-digest "$M2"
	expect_stdout_match '^  reason: the log replays to a different sha256 register than the attested one$' \
		"ward-service $f forged: the replay does not reach the attested register"
done
expect_rc 1 "the forged manifest digest asked for: not trusted" \
	verify "$T/tamper-manifest-fixed.json" --manifest-digest "$FORGED"
expect_rc 1 "the forged record lists the forged service, and is not trusted" \
	verify "$T/tamper-manifest-fixed.json" --json
check "forged --json: a consistent forgery (template digests check), caught by the registers" \
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
c = j["checks"]
assert j["trusted"] is False and c["registers"] is False and c["template_digests"] is True, c
assert j["services"][0]["manifest"] == "sha256:" + sys.argv[2], j["services"][0]
' "$OUT" "$FORGED"

finish
