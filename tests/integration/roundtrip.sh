#!/usr/bin/env bash
# Evidence round trip, as a verifier uses it: measure files into a fresh state dir, pin the soft
# attester's key, export evidence for a nonce and verify it offline. Then everything that must
# not verify: the wrong nonce, no pinned key, another state dir's key, reference values that
# miss a measured file, one hex digit changed anywhere in the bundle, duplicate keys, garbage,
# and incremental evidence (--since) checked against a prior from another log.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3

D=$T/state
N=0123456789abcdef
mkdir -p "$T/files"
for i in 1 2 3 4; do
	head -c $((1000 * i)) /dev/urandom >"$T/files/f$i"
done
printf 'a file name with spaces\n' >"$T/files/with space"

section "measure, pin, export, verify"
expect_rc 0 "measure 5 files into a fresh state dir (soft attester)" \
	"$WARD" --state-dir "$D" --attester soft measure "$T"/files/f1 "$T"/files/f2 "$T"/files/f3 "$T"/files/f4 "$T/files/with space"
expect_eq "$(wc -l <"$OUT")" 5 "measure prints one line per record"
expect_rc 0 "attester pubkey" "$WARD" --state-dir "$D" attester pubkey
cp "$OUT" "$T/pub.pem"
expect_stdout_match '^-----BEGIN PUBLIC KEY-----$' "attester pubkey is PEM"
expect_rc 0 "evidence --nonce N -o ev.json" "$WARD" --state-dir "$D" evidence --nonce "$N" -o "$T/ev.json"
check "ev.json is JSON" python3 -m json.tool "$T/ev.json"
expect_rc 0 "evidence to stdout" "$WARD" evidence --state-dir "$D" --nonce "$N"
check "evidence on stdout is JSON" python3 -m json.tool "$OUT"

expect_rc 0 "verify with the nonce and the pinned key" "$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/pub.pem"
expect_stdout_match 'verdict: TRUSTED' "verify says TRUSTED"
expect_stdout_match 'NOT hardware-rooted' "verify says the soft attester is NOT hardware-rooted"
expect_stdout_match 'objects: +5 measured' "verify counts 5 measured objects"

expect_rc 0 "verify --json" "$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/pub.pem" --json
cp "$OUT" "$T/v-ok.json"
check "verify --json output parses (python3 -m json.tool)" python3 -m json.tool "$T/v-ok.json"
check "verify --json: trusted true, hardware_rooted false, reasons [], records 5, state given" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["trusted"] is True and j["hardware_rooted"] is False, j
assert j["reasons"] == [] and j["records"] == 5 and j["objects"] == 5, j
assert j["state"]["records"] == 5 and j["attester"] == "soft", j
assert all(j["checks"].values()), j["checks"]' "$T/v-ok.json"
# The registers the verifier accepted are the ones the log itself replays to.
"$WARD" log show --state-dir "$D" --json >"$T/show.json"
expect_eq "$(json_get "$T/v-ok.json" 'j["registers"]')" "$(json_get "$T/show.json" 'j["registers"]')" \
	"verified registers equal 'ward log show' registers"

section "what must not verify"
expect_rc 1 "wrong nonce" "$WARD" verify "$T/ev.json" --nonce "${N%??}00" --soft-key "$T/pub.pem"
expect_stdout_match 'nonce: +MISMATCH' "wrong nonce: explained"
expect_rc 1 "a shorter nonce (prefix of the right one)" "$WARD" verify "$T/ev.json" --nonce "${N:0:8}" --soft-key "$T/pub.pem"
expect_rc 1 "no --soft-key: soft evidence is never trusted unpinned" "$WARD" verify "$T/ev.json" --nonce "$N"
expect_stdout_match 'key: +NOT pinned' "no --soft-key: explained"
expect_rc 1 "no --soft-key, --json" "$WARD" verify "$T/ev.json" --nonce "$N" --json
check "no --soft-key --json: trusted false, a reason, state null" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["trusted"] is False and len(j["reasons"]) >= 1 and j["state"] is None, j
assert j["checks"]["key_pinned"] is False, j' "$OUT"

new_state "$T/other"
"$WARD" --state-dir "$T/other" attester pubkey >"$T/other.pem"
# shellcheck disable=SC2016 # $1 is the inner shell's
check "another state dir has another key" bash -c '! cmp -s "$1" "$2"' _ "$T/pub.pem" "$T/other.pem"
expect_rc 1 "another state dir's key pinned" "$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/other.pem"
expect_stdout_match 'not pinned|NOT pinned' "another key pinned: explained"
expect_rc 0 "both keys pinned (repeatable --soft-key): trusted" \
	"$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/other.pem" --soft-key "$T/pub.pem"
expect_rc 2 "a --soft-key that is not a key" "$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/files/f1"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout -out "$T/ec.pem" 2>/dev/null
expect_rc 2 "a --soft-key that is not Ed25519 (P-256)" "$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/ec.pem"

section "reference values (ward policy scan) and an object outside them"
expect_rc 0 "policy scan of the measured files" "$WARD" policy scan "$T/files" -o "$T/policy.json"
expect_rc 0 "verify --policy: every measured object is in the policy" \
	"$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/pub.pem" --policy "$T/policy.json"
expect_stdout_match 'objects: +5 measured, 0 outside policy' "verify --policy: 0 outside"
head -c 777 /dev/urandom >"$T/intruder"
expect_rc 0 "measure a file that is not in the policy" "$WARD" --state-dir "$D" measure "$T/intruder"
expect_rc 0 "evidence after it" "$WARD" --state-dir "$D" evidence --nonce "$N" -o "$T/ev-intruder.json"
expect_rc 1 "verify --policy with the extra file" \
	"$WARD" verify "$T/ev-intruder.json" --nonce "$N" --soft-key "$T/pub.pem" --policy "$T/policy.json"
expect_stdout_match "unknown: sha256:[0-9a-f]{64} $T/intruder\$" "the unknown object is named with its path"
expect_stdout_match 'reason: .*not in the reference values' "the reason says why"
expect_rc 1 "verify --policy --json with the extra file" \
	"$WARD" verify "$T/ev-intruder.json" --nonce "$N" --soft-key "$T/pub.pem" --policy "$T/policy.json" --json
check "--json lists exactly the intruder in unknown_objects" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
u = j["unknown_objects"]
assert j["trusted"] is False and j["checks"]["reference_values"] is False, j
assert [o["path"] for o in u] == [sys.argv[2]], u' "$OUT" "$T/intruder"
expect_rc 0 "the same evidence without --policy is trusted" \
	"$WARD" verify "$T/ev-intruder.json" --nonce "$N" --soft-key "$T/pub.pem"
expect_rc 2 "--policy that is not a policy" \
	"$WARD" verify "$T/ev.json" --nonce "$N" --soft-key "$T/pub.pem" --policy "$T/ev.json"

section "one hex digit changed anywhere in ev.json: never trusted, never a crash"
mkdir "$T/tamper"
python3 - "$T/ev.json" "$T/tamper" <<'EOF'
import base64, json, re, sys
src, out = sys.argv[1], sys.argv[2]
s = open(src).read()
HEX = "0123456789abcdef"
pos = [i for i, c in enumerate(s) if c in HEX]

def span(key):
    m = re.search(r'"%s": "([^"]*)"' % key, s)
    return range(m.start(1), m.end(1))

must = [i for i in pos if i in span("public_key") or i in span("signature")]
# At least 200 positions spread evenly over the whole file (all of them if fewer).
step = max(1, len(pos) // 300)
chosen = sorted(set(pos[::step]) | set(must))
for i in chosen:
    c = s[i]
    new = HEX[(HEX.index(c) + 1 + i % 15) % 16]  # always another hex digit
    open(f"{out}/hex-{i}.json", "w").write(s[:i] + new + s[i + 1:])
# Base64 letters of the signed message and of the log data (not hex digits): each change
# alters the decoded bytes or makes the encoding non-canonical.
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
extra = 0
for key in ("message", "data"):
    r = span(key)
    for i in list(r)[:: max(1, len(r) // 40)]:
        if s[i] == "=":
            continue
        new = B64[(B64.index(s[i]) + 7) % 64]
        open(f"{out}/b64-{i}.json", "w").write(s[:i] + new + s[i + 1:])
        extra += 1
print(len(pos), len(chosen), len(must), extra, file=open(f"{out}/../tamper.count", "w"))
EOF
read -r npos nchosen nmust nextra <"$T/tamper.count"
note "ev.json has $npos hex digits; testing $nchosen of them ($nmust in public_key and signature) and $nextra base64 letters"
if ((nchosen >= 200 || nchosen == npos)); then
	pass "tamper sample covers >= 200 hex positions (or all): $nchosen"
else
	fail "tamper sample covers >= 200 hex positions (or all): only $nchosen"
fi
declare -A tally=()
tamper_bad=0
for f in "$T"/tamper/*.json; do
	run "$WARD" verify "$f" --nonce "$N" --soft-key "$T/pub.pem"
	tally[$RC]=$((${tally[$RC]:-0} + 1))
	if crashed || ((RC != 1 && RC != 2)); then
		tamper_bad=$((tamper_bad + 1))
		fail "tampered $(basename "$f"): exit 1 or 2 (got $RC)"
		printf '#   diff: %s\n' "$(diff <(fold -w1 "$T/ev.json") <(fold -w1 "$f") | grep '^[<>]' | tr '\n' ' ')"
		_show_last
	fi
done
note "exit status tally: $(for k in "${!tally[@]}"; do printf '%s:%s ' "$k" "${tally[$k]}"; done)"
if ((tamper_bad == 0)); then
	pass "all $((nchosen + nextra)) tampered bundles refused (exit 1 or 2), none trusted, no crash"
fi
# A few named positions, for a readable failure if one of them regresses.
python3 - "$T/ev.json" "$T" <<'EOF'
import json, sys
s = open(sys.argv[1]).read()
j = json.loads(s)
k = j["public_key"]
last = k[:-1] + ("0" if k[-1] != "0" else "1")  # last byte of the Ed25519 point
open(f"{sys.argv[2]}/t-key.json", "w").write(s.replace(k, last))
open(f"{sys.argv[2]}/t-first.json", "w").write(s.replace('"first_record": 0', '"first_record": 1'))
open(f"{sys.argv[2]}/t-fmt.json", "w").write(s.replace('"ward_evidence": 1', '"ward_evidence": 2'))
EOF
expect_rc_in "1 2" "public_key's last digit changed" "$WARD" verify "$T/t-key.json" --nonce "$N" --soft-key "$T/pub.pem"
expect_rc 1 "first_record 0 -> 1" "$WARD" verify "$T/t-first.json" --nonce "$N" --soft-key "$T/pub.pem"
expect_rc 2 "ward_evidence 1 -> 2 (unknown format)" "$WARD" verify "$T/t-fmt.json" --nonce "$N" --soft-key "$T/pub.pem"

section "malformed bundles: exit 2"
python3 - "$T/ev.json" "$T" <<'EOF'
import sys
s = open(sys.argv[1]).read()
t = sys.argv[2]
# Duplicate top-level key: a parser keeping the last (or first) one would verify one value and
# show another.
open(f"{t}/dup-attester.json", "w").write(s.replace('"attester": "soft",', '"attester": "soft",\n  "attester": "tpm",', 1))
open(f"{t}/dup-key.json", "w").write(s.replace('"ward_evidence": 1,', '"ward_evidence": 1,\n  "ward_evidence": 1,', 1))
i = s.index('"public_key"')
line = s[i:s.index("\n", i)]
open(f"{t}/dup-pubkey.json", "w").write(s.replace(line, line + "\n  " + line, 1))
open(f"{t}/dup-nested.json", "w").write(s.replace('"first_record": 0,', '"first_record": 0,\n    "first_record": 0,', 1))
open(f"{t}/unknown-key.json", "w").write(s.replace('"ward_evidence": 1,', '"ward_evidence": 1,\n  "comment": "x",', 1))
open(f"{t}/truncated.json", "w").write(s[: len(s) // 2])
open(f"{t}/empty.json", "w").write("")
open(f"{t}/emptyobj.json", "w").write("{}")
open(f"{t}/array.json", "w").write("[]")
open(f"{t}/nul.json", "wb").write(s.encode()[:100] + b"\0" + s.encode()[100:])
import random
rnd = random.Random(7)
open(f"{t}/garbage.json", "wb").write(bytes(rnd.randrange(256) for _ in range(4096)))
open(f"{t}/bad-b64.json", "w").write(s.replace('"data": "', '"data": "!!', 1))
open(f"{t}/log-format.json", "w").write(s.replace('"ima-binary-le"', '"ima-binary-be"', 1))
EOF
for f in dup-attester dup-key dup-pubkey dup-nested unknown-key truncated empty emptyobj array nul garbage bad-b64 log-format; do
	expect_rc 2 "evidence: $f" "$WARD" verify "$T/$f.json" --nonce "$N" --soft-key "$T/pub.pem"
	expect_stderr_match 'malformed evidence' "evidence: $f is called malformed"
done
run "$WARD" verify "$T/dup-attester.json" --nonce "$N" --soft-key "$T/pub.pem"
expect_stderr_match 'duplicate' "duplicate top-level key: the message says duplicate"
expect_rc 2 "missing evidence file" "$WARD" verify "$T/nope.json" --nonce "$N" --soft-key "$T/pub.pem"
expect_rc 2 "verify without --nonce" "$WARD" verify "$T/ev.json" --soft-key "$T/pub.pem"

section "incremental evidence: --since N checked with --prior"
expect_rc 0 "verify --json > v1.json (trusted)" "$WARD" verify "$T/ev-intruder.json" --nonce "$N" --soft-key "$T/pub.pem" --json
cp "$OUT" "$T/v1.json"
R1=$(json_get "$T/v1.json" 'j["records"]')
expect_eq "$R1" 6 "v1.json covers 6 records"
for i in 5 6 7; do head -c 300 /dev/urandom >"$T/files/g$i"; done
expect_rc 0 "measure 3 more files" "$WARD" --state-dir "$D" measure "$T"/files/g5 "$T"/files/g6 "$T"/files/g7
N2=ffeeddccbbaa99887766554433221100
expect_rc 0 "evidence --since $R1" "$WARD" --state-dir "$D" evidence --nonce "$N2" --since "$R1" -o "$T/ev-since.json"
expect_eq "$(json_get "$T/ev-since.json" 'j["log"]["first_record"]')" "$R1" "incremental evidence starts at record $R1"
expect_rc 0 "verify --prior v1.json: trusted" "$WARD" verify "$T/ev-since.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/v1.json"
expect_stdout_match "log: +records $R1\\.\\.8," "verify --prior checked records $R1..8"
expect_rc 0 "verify --prior v1.json --json" "$WARD" verify "$T/ev-since.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/v1.json" --json
cp "$OUT" "$T/v2.json"
"$WARD" log show --state-dir "$D" --json >"$T/show2.json"
expect_eq "$(json_get "$T/v2.json" 'j["state"]["registers"]')" "$(json_get "$T/show2.json" 'j["registers"]')" \
	"chained state = the full log's registers"
expect_rc 1 "the same evidence without --prior" "$WARD" verify "$T/ev-since.json" --nonce "$N2" --soft-key "$T/pub.pem"
expect_stdout_match 'reason: .*--prior' "without --prior: the reason says to pass one"
# A prior from another state dir (another key, another log).
for i in 1 2 3 4 5 6; do echo "other $i" >"$T/files/o$i"; done
"$WARD" --state-dir "$T/other" measure "$T"/files/o1 "$T"/files/o2 "$T"/files/o3 "$T"/files/o4 "$T"/files/o5 "$T"/files/o6 >/dev/null
"$WARD" --state-dir "$T/other" evidence --nonce "$N" -o "$T/ev-other.json" 2>/dev/null
"$WARD" verify "$T/ev-other.json" --nonce "$N" --soft-key "$T/other.pem" --json >"$T/v-other.json"
expect_eq "$(json_get "$T/v-other.json" '(j["trusted"], j["records"])')" "(True, 6)" "the other log's verification is trusted at 6 records"
expect_rc 1 "prior from another state dir (another key)" \
	"$WARD" verify "$T/ev-since.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/v-other.json"
# The hardest case: the same key and the same record count, but another log. Only the
# registers tell them apart.
mkdir -m 0700 "$T/fork"
cp -p "$D/state.json" "$D/soft-key.pem" "$T/fork/"
"$WARD" --state-dir "$T/fork" measure "$T"/files/o1 "$T"/files/o2 "$T"/files/o3 "$T"/files/o4 "$T"/files/o5 "$T"/files/o6 >/dev/null
"$WARD" --state-dir "$T/fork" evidence --nonce "$N" -o "$T/ev-fork.json" 2>/dev/null
"$WARD" verify "$T/ev-fork.json" --nonce "$N" --soft-key "$T/pub.pem" --json >"$T/v-fork.json"
expect_eq "$(json_get "$T/v-fork.json" '(j["trusted"], j["records"], j["state"]["public_key"])')" \
	"(True, 6, '$(json_get "$T/v1.json" 'j["state"]["public_key"]')')" \
	"a log with the same key and 6 other records verifies on its own"
expect_rc 1 "prior from another log with the same key and record count" \
	"$WARD" verify "$T/ev-since.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/v-fork.json"
expect_stdout_match 'reason: .*different .* register' "prior from another log: the replay does not reach the attested registers"
# A prior that ends elsewhere than the evidence starts.
expect_rc 0 "evidence --since 4" "$WARD" --state-dir "$D" evidence --nonce "$N2" --since 4 -o "$T/ev-since4.json"
expect_rc 1 "prior of 6 records for evidence starting at 4" \
	"$WARD" verify "$T/ev-since4.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/v1.json"
# A prior taken from a verification that was not trusted is not a prior.
"$WARD" verify "$T/ev-intruder.json" --nonce "$N" --json >"$T/v-untrusted.json" || true
expect_rc 2 "prior from an untrusted verification" \
	"$WARD" verify "$T/ev-since.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/v-untrusted.json"
expect_rc 2 "prior that is not JSON" \
	"$WARD" verify "$T/ev-since.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/files/f1"
expect_rc 2 "evidence --since beyond the log" "$WARD" --state-dir "$D" evidence --nonce "$N2" --since 10
expect_rc 0 "evidence --since = record count (no records carried)" "$WARD" --state-dir "$D" evidence --nonce "$N2" --since 9 -o "$T/ev-empty.json"
expect_rc 0 "verify of empty incremental evidence with the chained prior" \
	"$WARD" verify "$T/ev-empty.json" --nonce "$N2" --soft-key "$T/pub.pem" --prior "$T/v2.json"

section "the soft key file: PKCS#8 Ed25519, whoever wrote it"
# ward reads the key through OpenSSL's PKCS#8 template and the raw-key constructor
# (src/attest/soft.c); a key openssl(1) made loads the same, and anything else is refused.
K=$T/keys
mkdir -p "$K"
if openssl genpkey -algorithm ed25519 -out "$K/ed.pem" 2>/dev/null; then
	new_state "$K/s1"
	install -m 0600 "$K/ed.pem" "$K/s1/soft-key.pem"
	expect_run 0 "a key openssl genpkey made: ward attester pubkey" "$WARD" --state-dir "$K/s1" attester pubkey
	expect_eq "$(cat "$OUT")" "$(openssl pkey -in "$K/ed.pem" -pubout)" "its public key is the one openssl derives"
	expect_rc 0 "evidence signed with it" "$WARD" --state-dir "$K/s1" evidence --nonce "$N" -o "$K/ev.json"
	openssl pkey -in "$K/ed.pem" -pubout >"$K/ed.pub"
	expect_rc 0 "verified with the openssl-derived public key pinned" \
		"$WARD" verify "$K/ev.json" --nonce "$N" --soft-key "$K/ed.pub"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/p256.pem" 2>/dev/null
	printf 'not a key\n' >"$K/junk.pem"
	for bad in p256 junk; do
		new_state "$K/s-$bad"
		install -m 0600 "$K/$bad.pem" "$K/s-$bad/soft-key.pem"
		run "$WARD" --state-dir "$K/s-$bad" attester pubkey
		check "a $bad key file is refused" test "$RC" -ne 0
		expect_stderr_match "soft-key.pem is not an Ed25519 private key" "a $bad key file"
	done
else
	fail "openssl genpkey -algorithm ed25519"
fi

finish
