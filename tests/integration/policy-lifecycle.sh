#!/usr/bin/env bash
# The policy lifecycle of a state dir (docs/policy-format.md, "Lifecycle"): trust, install,
# update, rollback refused, every kind of bad policy refused with the running one still active,
# revoke (deny-all, never allow-all), a live update while a domain execs in a loop (objects the
# old policy allowed are refused afterwards; the log shows no decision taken by a mix), the log
# as the authority over `current` (roll-forward), `ward verify --min-policy-version` and
# `--policy-issuer` on real evidence, and wardd following an install.
# shellcheck disable=SC2016 # single-quoted: the inner shells expand their own variables
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=domain-lib.sh
. "$(dirname "$0")/domain-lib.sh"
# shellcheck source-path=SCRIPTDIR source=wardd-lib.sh
. "$(dirname "$0")/wardd-lib.sh"
require_cmd openssl jq timeout truncate pgrep

BASE=$(usr_policy) || {
	fail "usr_policy: ward policy scan /usr"
	finish
}
S=$T/state
new_state "$S"
W=(timeout 120 "$WARD" --state-dir "$S")

section "issuer keys"
expect_rc 0 "keygen" "$WARD" policy keygen -o "$T/k"
ID=$(cat "$OUT")
expect_rc 0 "keygen (a key that is never trusted)" "$WARD" policy keygen -o "$T/other"
OTHER_ID=$(cat "$OUT")
expect_rc 0 "status of a fresh state dir" "${W[@]}" policy status --json
expect_eq "$(jq -c '[.status, .active, .high_water]' "$OUT")" '["none",null,0]' "nothing installed"
expect_rc 0 "trust k.pub" "${W[@]}" policy trust "$T/k.pub"
expect_stdout_line "$ID" "trust prints the key id"
expect_rc 2 "trust of a file that is not a key" "${W[@]}" policy trust "$BASE"

# mkpol OUT VERSION [--drop FILE]... [--issuer ID] [--set KEY JSON]...: the /usr allowlist as
# policy "life" VERSION, issued by k (unsigned: sign() signs). --drop removes every entry with
# FILE's digest (matching is by digest); --set sets a top-level key to a JSON value.
mkpol() {
	python3 - "$BASE" "$ID" "$@" <<'EOF'
import hashlib, json, sys
base, issuer, out, version, args = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
p = json.load(open(base))
p["name"], p["version"], p["issuer"] = "life", version, issuer
drop = set()
while args:
    a = args.pop(0)
    if a == "--drop":
        drop.add("sha256:" + hashlib.sha256(open(args.pop(0), "rb").read()).hexdigest())
    elif a == "--issuer":
        p["issuer"] = args.pop(0)
    elif a == "--set":
        k = args.pop(0)
        p[k] = json.loads(args.pop(0))
p["entries"] = [e for e in p["entries"] if e["digest"] not in drop]
json.dump(p, open(out, "w"))
EOF
}
sign() { "$WARD" policy sign --key "${2:-$T/k}" "$1" >/dev/null 2>&1; }
active() { "${W[@]}" policy status --json | jq -r '[.status, (.active.version // "-"), (.active.digest // "-")] | join(" ")'; }
ward_policy_records() {
	"$WARD" --state-dir "$S" log show --json | jq '[.entries[] | select(.kind == "policy")] | length'
}

mkpol "$T/v1.json" 1 && sign "$T/v1.json"
mkpol "$T/v2.json" 2 --drop /usr/bin/cat && sign "$T/v2.json"
V2="sha256:$(sha256_file "$T/v2.json")"

section "install, update, rollback refused"
expect_rc 0 "install v1" "${W[@]}" policy install "$T/v1.json"
expect_stdout_match "^installed life version 1 \(sha256:$(sha256_file "$T/v1.json")\), issuer $ID$"
expect_rc 0 "status --json" "${W[@]}" policy status --json
expect_eq "$(jq -c '[.status, .active.name, .active.version, .active.issuer, .high_water]' "$OUT")" \
	"[\"active\",\"life\",1,\"$ID\",1]" "status: v1 active, its issuer, high-water mark 1"
expect_run 0 "v1 lets cat run" "${W[@]}" run -- /usr/bin/cat /dev/null
expect_rc 0 "install v2 (cat left out)" "${W[@]}" policy install --json "$T/v2.json"
expect_eq "$(jq -r .digest "$OUT")" "$V2" "install --json names v2's digest"
expect_eq "$(active)" "active 2 $V2" "status: v2 active"
expect_run 126 "v2 refuses cat" "${W[@]}" run -- /usr/bin/cat /dev/null
expect_rc 1 "v1 again: refused" "${W[@]}" policy install "$T/v1.json"
expect_stderr_match "version 1 is not above the high-water mark 2 \(rollback refused\)"
expect_eq "$(active)" "active 2 $V2" "after the rollback attempt: v2 still active"
expect_rc 0 "log show --json" "$WARD" --state-dir "$S" log show --json
expect_eq "$(jq -c '[.entries[] | select(.kind == "policy") | .policy | [.action, .version, .high_water]]' "$OUT")" \
	'[["install",1,1],["update",2,2]]' "the log records install v1 and update v2"

section "bad policies are refused; v2 stays active"
# Each: a policy file (and its .sig), the exit status, the reason ward gives.
mkpol "$T/v3.json" 3
cp "$T/v3.json" "$T/unsigned.json"
cp "$T/v3.json" "$T/wrongkey.json"
openssl pkeyutl -sign -rawin -inkey "$T/other" -in "$T/wrongkey.json" -out "$T/wrongkey.json.sig"
mkpol "$T/untrusted.json" 3 --issuer "$OTHER_ID" && sign "$T/untrusted.json" "$T/other"
cp "$T/v3.json" "$T/tampered.json" && sign "$T/tampered.json"
sed -i 's/"name": "life"/"name": "lifE"/' "$T/tampered.json"
mkpol "$T/expired.json" 3 --set not_after '"2020-01-01T00:00:00Z"' && sign "$T/expired.json"
mkpol "$T/future.json" 3 --set not_before '"2100-01-01T00:00:00Z"' && sign "$T/future.json"
{ printf '{"ward_policy": 1, "ward_policy": 1, '; tail -c +2 "$T/v3.json"; } >"$T/dupkey.json"
openssl pkeyutl -sign -rawin -inkey "$T/k" -in "$T/dupkey.json" -out "$T/dupkey.json.sig"
head -c 1000 "$T/v3.json" >"$T/truncated.json"
openssl pkeyutl -sign -rawin -inkey "$T/k" -in "$T/truncated.json" -out "$T/truncated.json.sig"
cp "$T/v3.json" "$T/shortsig.json" && head -c 10 /dev/zero >"$T/shortsig.json.sig"
truncate -s 300M "$T/oversized.json" && head -c 64 /dev/zero >"$T/oversized.json.sig"
before=$(ward_policy_records)
while read -r name rc why; do
	expect_rc "$rc" "$name policy refused" "${W[@]}" policy install "$T/$name.json"
	expect_stderr_match "$why" "$name: the reason"
	expect_eq "$(active)" "active 2 $V2" "after the $name policy: v2 still active"
done <<'EOF'
unsigned 1 unsigned \(no .*unsigned.json.sig\): only signed policies can be installed
wrongkey 1 the signature does not verify with issuer
untrusted 1 issuer ed25519:[0-9a-f]{64} is not trusted here
tampered 1 the signature does not verify with issuer
expired 1 the policy expired at 2020-01-01T00:00:00Z
future 1 the policy is not valid before 2100-01-01T00:00:00Z
dupkey 2 duplicate object key near ."ward_policy"
truncated 2 policy: .*(line|column)
shortsig 2 the signature is malformed \(10 bytes, expected 64\)
oversized 2 larger than 268435456 bytes
EOF
expect_eq "$(ward_policy_records)" "$before" "no refused policy reached the log"
expect_run 126 "the running policy is still v2: cat refused" "${W[@]}" run -- /usr/bin/cat /dev/null
expect_run 0 "... and true allowed" "${W[@]}" run -- /usr/bin/true
expect_rc 2 "install without a file" "${W[@]}" policy install
expect_rc 0 "install --help" "${W[@]}" policy install --help

section "a policy file given to ward run: its signature must hold when it is there"
cp "$T/v1.json" "$T/file-signed.json" && cp "$T/v1.json.sig" "$T/file-signed.json.sig"
expect_run 0 "a signed file (v1, below the high-water mark: files are not installed)" \
	"${W[@]}" run --policy "$T/file-signed.json" -- /usr/bin/cat /dev/null
cp "$T/tampered.json" "$T/file-bad.json" && cp "$T/tampered.json.sig" "$T/file-bad.json.sig"
expect_run 125 "a file whose .sig does not verify is refused" \
	"${W[@]}" run --policy "$T/file-bad.json" -- /usr/bin/true
expect_stderr_match "file-bad.json.sig: the signature does not verify"

section "a live update while a domain execs in a loop"
# v3 allows cat, v4 does not. The loop runs cat until the marker the test drops once the monitor
# says it switched, then runs it more; every result is tagged with whether the marker was there.
sign "$T/v3.json"
mkpol "$T/v4.json" 4 --drop /usr/bin/cat && sign "$T/v4.json"
expect_rc 0 "install v3" "${W[@]}" policy install "$T/v3.json"
mkdir -p "$T/m"
timeout 120 "$WARD" --state-dir "$S" run --bind-ro "$T/m:/m" -- /usr/bin/dash -c '
	n=0
	while [ ! -e /m/stop ]; do
		if [ -e /m/switched ]; then tag=after; n=$((n + 1)); else tag=before; fi
		if /usr/bin/cat /dev/null; then echo "$tag ok"; else echo "$tag fail"; fi
		[ $n -lt 20 ] || break
	done' >"$T/loop.out" 2>"$T/loop.err" &
LOOP=$!
# Let the loop run under v3 first (a deadline, not a measured duration).
t=$((SECONDS + 60))
until grep -q '^before ok$' "$T/loop.out" 2>/dev/null || ((SECONDS > t)); do sleep 0.05; done
expect_rc 0 "install v4 while the loop runs" "${W[@]}" policy install "$T/v4.json"
t=$((SECONDS + 60))
until grep -q 'switched to policy life version 4' "$T/loop.err" 2>/dev/null || ((SECONDS > t)); do
	sleep 0.05
done
touch "$T/m/switched"
wait "$LOOP" || true
touch "$T/m/stop"
check "the monitor said it switched to v4" grep -q 'switched to policy life version 4' "$T/loop.err"
check "cat ran under v3 before the update" grep -qx 'before ok' "$T/loop.out"
check "cat was refused after the switch" grep -qx 'after fail' "$T/loop.out"
check "no cat ran after the switch" bash -c "! grep -qx 'after ok' '$T/loop.out'"
# The log: every decision of the loop's domain before the update record was taken under v3,
# every one after under v4; cat allowed only under v3, refused under v4; no v3 decision after the
# first v4 one.
"$WARD" --state-dir "$S" log show --json >"$T/log.json"
check "the log shows the switch cleanly" python3 - "$T/log.json" "$(sha256_file /usr/bin/cat)" <<'EOF'
import json, sys
log, cat = json.load(open(sys.argv[1]))["entries"], "sha256:" + sys.argv[2]
upd = [e["index"] for e in log if e["kind"] == "policy" and e["policy"]["version"] == 4]
assert len(upd) == 1, upd
dom = [e["domain"]["domain"] for e in log if e["kind"] == "domain" and e["domain"]["policy"]["version"] == 3]
assert dom, "no domain started under v3"
dom = dom[-1]
seen4 = False
n3 = n4 = 0
for e in log:
    if e["kind"] != "decision" or e["decision"]["domain"] != dom:
        continue
    v = e["decision"]["policy"]["version"]
    assert v == (3 if e["index"] < upd[0] else 4), (e["index"], v, upd[0])
    assert not (seen4 and v == 3), "a v3 decision after a v4 one"
    seen4 |= v == 4
    if e["decision"].get("object") == cat and e["decision"]["grant"] == "exec":
        want = "allow" if v == 3 else "deny"
        assert e["decision"]["verdict"] == want, (e["index"], v, e["decision"]["verdict"])
        n3 += v == 3
        n4 += v == 4
assert n3 and n4, (n3, n4)
EOF

section "revoke: deny-all, never allow-all"
timeout 120 "$WARD" --state-dir "$S" run --bind-ro "$T/m:/m" -- /usr/bin/dash -c '
	/usr/bin/true && echo started
	while [ ! -e /m/revoked ]; do /usr/bin/true || { echo "after fail"; exit 0; }; done
	echo "after ok"' >"$T/rloop.out" 2>"$T/rloop.err" &
LOOP=$!
t=$((SECONDS + 60))
until grep -qx started "$T/rloop.out" 2>/dev/null || ((SECONDS > t)); do sleep 0.05; done
expect_rc 0 "revoke" "${W[@]}" policy revoke
expect_stdout_match "^revoked life version 4: every grant is denied"
t=$((SECONDS + 60))
until grep -q 'revoked: every grant is denied' "$T/rloop.err" 2>/dev/null || ((SECONDS > t)); do sleep 0.05; done
touch "$T/m/revoked"
wait "$LOOP" || true
check "the running domain was told" grep -q 'the installed policy was revoked' "$T/rloop.err"
check "after the revocation, its exec of true fails" grep -qx 'after fail' "$T/rloop.out"
expect_rc 0 "status --json" "${W[@]}" policy status --json
expect_eq "$(jq -c '[.status, .active, .revoked.version, .high_water]' "$OUT")" '["revoked",null,4,4]' \
	"status: revoked, no active policy, the high-water mark kept"
expect_run 126 "a new domain: every exec fails" "${W[@]}" run -- /usr/bin/true
expect_stderr_match "the installed policy is revoked: every exec is denied"
expect_run 126 "... in audit mode too (deny-all, never allow-all)" "${W[@]}" run --audit -- /usr/bin/true
expect_rc 1 "revoke again: nothing is active" "${W[@]}" policy revoke
expect_rc 1 "v4 again after the revocation: refused (high-water mark)" "${W[@]}" policy install "$T/v4.json"
mkpol "$T/v5.json" 5 && sign "$T/v5.json"
expect_rc 0 "v5 installs" "${W[@]}" policy install "$T/v5.json"
expect_run 0 "v5 lets true run again" "${W[@]}" run -- /usr/bin/true

section "the log is the authority: a lost 'current' is rolled forward"
cp "$S/policy/current" "$T/current.v5"
mkpol "$T/v6.json" 6 && sign "$T/v6.json"
expect_rc 0 "install v6" "${W[@]}" policy install "$T/v6.json"
# A crash after the record was made durable and before `current` was replaced leaves this.
cp "$T/current.v5" "$S/policy/current"
expect_eq "$(active)" "active 6 sha256:$(sha256_file "$T/v6.json")" "status rolls forward to v6 (the log's last transition)"
expect_rc 1 "v6 again: refused after the roll-forward" "${W[@]}" policy install "$T/v6.json"

section "show and diff"
expect_rc 0 "show" "${W[@]}" policy show
check "show prints the active file byte for byte" cmp -s "$OUT" "$T/v6.json"
expect_rc 0 "show --settings" "${W[@]}" policy show --settings
expect_eq "$(jq -c '[.name, .version, .issuer]' "$OUT")" "[\"life\",6,\"$ID\"]" "show --settings"
mkpol "$T/v7.json" 7 --drop /usr/bin/cat --set domain '{"mode": "audit"}'
expect_rc 1 "diff against a policy without cat, in audit mode" "${W[@]}" policy diff --json "$T/v7.json"
expect_eq "$(jq -c '[.settings.version, .settings.domain[1].mode, (.added | length), [.removed[].path]]' "$OUT")" \
	'[[6,7],"audit",0,["/usr/bin/cat"]]' "diff: version, domain mode and the removed entry"
expect_rc 0 "diff against itself" "${W[@]}" policy diff "$T/v6.json"

section "ward verify --min-policy-version and --policy-issuer on real evidence"
"$WARD" --state-dir "$S" attester pubkey >"$T/ak.pem"
expect_rc 0 "evidence" "$WARD" --state-dir "$S" evidence --nonce 0a0b -o "$T/ev.json"
V=(timeout 60 "$WARD" verify "$T/ev.json" --nonce 0a0b --soft-key "$T/ak.pem")
# The file-policy domain above (v1 signed, run with --policy) is in this evidence too.
expect_rc 1 "--min-policy-version 6: the domain that ran with the v1 file fails it" \
	"${V[@]}" --min-policy-version 6
expect_stdout_match "reason: record [0-9]+: domain d-[0-9a-f]+ ran under policy 'life' version 1, older than the minimum 6"
expect_rc 0 "--min-policy-version 1 --policy-issuer k.pub" "${V[@]}" --min-policy-version 1 \
	--policy-issuer "$T/k.pub" --json
expect_eq "$(jq -c '[.trusted, .policy_requirements, .installed_policy.version, .installed_policy.status, .policy_transitions]' "$OUT")" \
	'[true,true,6,"active",7]' "verify --json: the installed policy at the end and every transition"
expect_rc 1 "--policy-issuer of another key" "${V[@]}" --policy-issuer "$T/other.pub"
expect_stdout_match "signed by $ID, not by the required issuer"
expect_rc 2 "--policy-issuer that is not a key" "${V[@]}" --policy-issuer "$T/v1.json"
# Evidence from a state dir whose installed policy is v6 and whose domains all followed it.
S2=$T/state2
new_state "$S2"
"$WARD" --state-dir "$S2" policy trust "$T/k.pub" >/dev/null
"$WARD" --state-dir "$S2" policy install "$T/v6.json" >/dev/null
expect_run 0 "a domain under the installed v6" timeout 60 "$WARD" --state-dir "$S2" run -- /usr/bin/true
cp "$T/v1.json" "$T/unsigned-file.json"
expect_run 0 "a domain under an unsigned policy file" timeout 60 "$WARD" --state-dir "$S2" run \
	--policy "$T/unsigned-file.json" -- /usr/bin/true
"$WARD" --state-dir "$S2" attester pubkey >"$T/ak2.pem"
"$WARD" --state-dir "$S2" evidence --nonce 0c -o "$T/ev2.json" 2>/dev/null
V2V=(timeout 60 "$WARD" verify "$T/ev2.json" --nonce 0c --soft-key "$T/ak2.pem")
expect_rc 0 "min 1, no issuer required: accepted" "${V2V[@]}" --min-policy-version 1
expect_rc 1 "min 7: the installed v6 is too old" "${V2V[@]}" --min-policy-version 7
expect_stdout_match "reason: record [0-9]+: the installed policy is 'life' version 6, older than the minimum 7"
expect_rc 1 "--policy-issuer: the unsigned file fails it" "${V2V[@]}" --policy-issuer "$T/k.pub"
expect_stdout_match "ran under policy 'life' version 1, which is unsigned"
S3=$T/state3
new_state "$S3"
expect_run 0 "a measure-only domain" timeout 60 "$WARD" --state-dir "$S3" run -- /usr/bin/true
"$WARD" --state-dir "$S3" attester pubkey >"$T/ak3.pem"
"$WARD" --state-dir "$S3" evidence --nonce 0d -o "$T/ev3.json" 2>/dev/null
expect_rc 1 "measure-only evidence fails --min-policy-version 0" timeout 60 "$WARD" verify \
	"$T/ev3.json" --nonce 0d --soft-key "$T/ak3.pem" --min-policy-version 0
expect_stdout_match "ran measure-only, without a policy"
expect_rc 0 "... and passes without policy requirements" timeout 60 "$WARD" verify \
	"$T/ev3.json" --nonce 0d --soft-key "$T/ak3.pem"
"$WARD" --state-dir "$S2" policy revoke >/dev/null
"$WARD" --state-dir "$S2" evidence --nonce 0e -o "$T/ev4.json" 2>/dev/null
expect_rc 1 "evidence whose installed policy ends revoked fails --min-policy-version" \
	timeout 60 "$WARD" verify "$T/ev4.json" --nonce 0e --soft-key "$T/ak2.pem" --min-policy-version 1
expect_stdout_match "the installed policy 'life' version 6 was revoked: no policy is active"

section "wardd follows the installed policy"
SVC=$T/services
mkdir -p "$SVC"
manifest "$SVC/upper.json" '{"name": "upper", "argv": ["/usr/bin/tr", "a-z", "A-Z"], "pool": 1}'
WS=$T/wd.state
new_state "$WS"
"$WARD" --state-dir "$WS" policy trust "$T/k.pub" >/dev/null
mkpol "$T/w1.json" 1 && sign "$T/w1.json"
mkpol "$T/w2.json" 2 --drop /usr/bin/tr && sign "$T/w2.json"
"$WARD" --state-dir "$WS" policy install "$T/w1.json" >/dev/null
if wardd_start wd "$SVC"; then
	expect_rc 0 "a call under w1" wd_call wd upper <<<"hello"
	expect_stdout_line "HELLO"
	expect_rc 0 "install w2 (tr left out)" "$WARD" --state-dir "$WS" policy install "$T/w2.json"
	t=$((SECONDS + DEADLINE_S))
	until grep -q 'policy switched: life version 2' "${WD_LOG[wd]}" || ((SECONDS > t)); do sleep 0.05; done
	check "wardd says it switched" grep -q 'policy switched: life version 2' "${WD_LOG[wd]}"
	expect_rc 1 "a call after the switch: tr is refused" wd_call wd upper <<<"hello"
	expect_no_stdout_line "HELLO" "no result under w2"
	"$WARD" --state-dir "$WS" log show --json >"$T/wlog.json"
	expect_eq "$(jq -c '[.entries[] | select(.kind == "service") | .service.policy | [.version, .source, .issuer == "'"$ID"'"]]' "$T/wlog.json")" \
		'[[1,"installed",true],[2,"installed",true]]' "the service registered again under w2"
	wardd_stop wd
else
	fail "wardd did not start"
fi

section "a one-shot sandbox lives under one policy"
# The service reads two lines; the client sends one and holds its stdin open, so the request
# stays open until the test installs w3. Whether the switch finds the sandbox warming up or
# active, the request fails with policy-changed and returns no result.
mkpol "$T/w3.json" 3 && sign "$T/w3.json"
manifest "$T/slow.json" '{"name": "slow", "argv": ["/usr/bin/dash", "-c", "read x; read y; echo late $x"], "timeout_s": 60}'
mkfifo "$T/slow.fifo"
timeout 120 "$WARD" --state-dir "$WS" sandbox run --manifest "$T/slow.json" <"$T/slow.fifo" \
	>"$T/slow.out" 2>"$T/slow.err" &
SB=$!
exec 7>"$T/slow.fifo"
printf 'input\n' >&7
t=$((SECONDS + DEADLINE_S))
until pgrep -f '^/usr/bin/dash -c read x; read y' >/dev/null || ((SECONDS > t)); do sleep 0.05; done
expect_rc 0 "install w3 while the request is open" "$WARD" --state-dir "$WS" policy install "$T/w3.json"
RC=0
wait "$SB" || RC=$?
exec 7>&-
expect_eq "$RC" 1 "the request failed (exit 1)"
expect_eq "$(cat "$T/slow.err")" "ward: sandbox: policy-changed: the installed policy changed during the request: a sandbox runs under one policy" "... with policy-changed"
expect_eq "$(cat "$T/slow.out")" "" "... and no result"

section "domain settings and sandbox defaults of a policy"
CD=$(code_dir code)
cp /usr/bin/true "$CD/mytrue"
OTHER=$(code_dir other)
mkpol "$T/settings.json" 1 --set domain "{\"code_dirs\": [\"$CD\"], \"strict_code_mounts\": true}" \
	--set sandbox '{"max_output_bytes": 3}'
SS=$T/settings.state
new_state "$SS"
expect_run 0 "the policy's code_dirs are mounted without --code" timeout 60 "$WARD" \
	--state-dir "$SS" run --policy "$T/settings.json" -- "$CD/mytrue"
expect_run 2 "strict_code_mounts: --code of another dir is refused" timeout 60 "$WARD" \
	--state-dir "$SS" run --policy "$T/settings.json" --code "$OTHER" -- /usr/bin/true
expect_stderr_match "--code $OTHER: the policy life allows only its own code dirs \(strict_code_mounts\)"
manifest "$T/up.json" '{"name": "up", "argv": ["/usr/bin/tr", "a-z", "A-Z"]}'
expect_rc 1 "the policy's max_output_bytes 3 applies to a manifest that sets none" \
	timeout 60 "$WARD" --state-dir "$SS" sandbox run --policy "$T/settings.json" --manifest "$T/up.json" <<<"hello"
expect_stderr_match "output-too-large"
manifest "$T/up8.json" '{"name": "up", "argv": ["/usr/bin/tr", "a-z", "A-Z"], "max_output_bytes": 8}'
expect_rc 0 "... and the manifest's own value wins" \
	timeout 60 "$WARD" --state-dir "$SS" sandbox run --policy "$T/settings.json" --manifest "$T/up8.json" <<<"hello"
expect_stdout_line "HELLO"
manifest "$T/upc.json" "{\"name\": \"up\", \"argv\": [\"/usr/bin/tr\", \"a-z\", \"A-Z\"], \"code\": [\"$OTHER\"]}"
expect_rc 2 "strict_code_mounts: a manifest naming another code dir is refused" \
	timeout 60 "$WARD" --state-dir "$SS" sandbox run --policy "$T/settings.json" --manifest "$T/upc.json" <<<"hello"
expect_stderr_match "is not one of the code dirs of policy life \(strict_code_mounts\)"

finish
