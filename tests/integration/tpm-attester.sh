#!/usr/bin/env bash
# The tpm attester (`ward --attester tpm --tcti swtpm:path=SOCK`) against swtpms of the test's
# own (tpm-lib.sh): measure, evidence, verify round trip with the PCR read by tpm2_pcrread equal
# to the log's register in every bank; every refusal of `ward verify` with its reason (nonce,
# AK, log, statement, attest, ak_public, malformed bundles); tpm2_checkquote and evmctl
# ima_measurement accepting ward's quote and exported log; a kill -9 between append and extend
# (tpmcrash.c) and kills at random moments, repaired on the next open; concurrent writers; a
# PCR extended from outside refused; domains that try to reach the swtpm; --pcr; a TPM reset.
# shellcheck disable=SC2016 # single-quoted: python and inner shells expand their own
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=tpm-lib.sh
. "$(dirname "$0")/tpm-lib.sh"
require_cmd tpm2_pcrread tpm2_pcrextend tpm2_checkquote tpm2_print evmctl openssl xxd python3 timeout
# Section 8 runs domains (ward run needs root; CI runs as root).
((EUID == 0)) || skip "ward run needs root"
: "${WARD_TPMCRASH:?WARD_TPMCRASH must name ward-test-tpmcrash (run through meson test)}"
CRASH=$WARD_TPMCRASH

SEED=${WARD_TPM_SEED:-$(($(date +%s) % 32768))}
RANDOM=$SEED
note "random seed $SEED (rerun with WARD_TPM_SEED=$SEED)"

# ---- helpers ----

# pcrread_hex PCR ALG [TCTI]: the PCR as tpm2-tools reads it, lower-case hex.
pcrread_hex() {
	TPM2TOOLS_TCTI=${3:-$TPM2TOOLS_TCTI} tpm2_pcrread "$2:$1" |
		awk -v p="$1:" '$1 == p { print tolower(substr($2, 3)) }'
}
zeros() { head -c "$1" /dev/zero | xxd -p -c 256; }
# banks_of DIR: the banks of DIR's state.json, one per line.
banks_of() { json_get "$1/state.json" '"\n".join(j["banks"])'; }
# reg_of DIR ALG: the register of DIR's log in bank ALG, as `ward log show --json` reports it.
reg_of() { "$WARD" log show --state-dir "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["registers"][sys.argv[1]])' "$2"; }
# pcr_is_log DIR WHAT [TCTI]: in every bank of DIR, the TPM's PCR (DIR's) = the log's register.
pcr_is_log() {
	local dir=$1 what=$2 tcti=${3:-$TPM2TOOLS_TCTI} pcr a
	pcr=$(json_get "$dir/state.json" 'j["pcr"]')
	for a in $(banks_of "$dir"); do
		expect_eq "$(pcrread_hex "$pcr" "$a" "$tcti")" "$(reg_of "$dir" "$a")" \
			"$what: PCR $pcr ($a, tpm2_pcrread) = the log's register"
	done
}
# pcr_snapshot DIR [TCTI]: "alg=value" of DIR's PCR in every bank, one line.
pcr_snapshot() {
	local dir=$1 tcti=${2:-$TPM2TOOLS_TCTI} pcr a out=
	pcr=$(json_get "$dir/state.json" 'j["pcr"]')
	for a in $(banks_of "$dir"); do out+="$a=$(pcrread_hex "$pcr" "$a" "$tcti") "; done
	printf '%s\n' "$out"
}
# evidence_verifies DIR WHAT: fresh evidence of DIR verifies with DIR's AK pinned.
evidence_verifies() {
	local n
	n=$(head -c 16 /dev/urandom | xxd -p -c 64)
	expect_rc 0 "$2: ward evidence" "$WARD" --state-dir "$1" evidence --nonce "$n" -o "$T/ev-check.json"
	"$WARD" --state-dir "$1" attester pubkey >"$T/ak-check.pem"
	expect_rc 0 "$2: the evidence verifies (ward verify --ak-key)" \
		"$WARD" verify "$T/ev-check.json" --nonce "$n" --ak-key "$T/ak-check.pem"
}
# log_file_replays DIR WHAT: the state dir's own log file replays, every template digest checked.
log_file_replays() {
	expect_rc 0 "$2: ward log replay DIR/log (every template digest checks)" \
		"$WARD" log replay "$1/log" --bank sha256 --pcr "$(json_get "$1/state.json" 'j["pcr"]')"
	expect_eq "$(cat "$OUT")" "$(reg_of "$1" sha256)" "$2: ... and replays to log show's sha256 register"
}

# The bundle editor: one member of an evidence bundle read, flipped or taken from another.
cat >"$T/bundle.py" <<'EOF'
"""bundle.py CMD ...: read or edit an evidence bundle (JSON) member by member.
  get IN MEMBER OUT            write the base64 member MEMBER decoded to OUT
  flip IN OUT MEMBER OFFSET    OUT = IN with byte OFFSET (negative: from the end) of the
                               base64 member MEMBER xor 0x01
  take IN OUT MEMBER OTHER     OUT = IN with MEMBER replaced by bundle OTHER's
  set IN OUT MEMBER B64        OUT = IN with MEMBER set to the string B64
  drop IN OUT MEMBER           OUT = IN without MEMBER
  root IN OUT NEW              OUT = IN whose statement (quote.message) names root NEW
  qual IN                      print sha256(quote.message), hex
MEMBER: a dotted path (quote.attest, log)."""
import base64, hashlib, json, struct, sys

def walk(j, member):
    *parents, last = member.split(".")
    for k in parents:
        j = j[k]
    return j, last

def b64(j, k):
    return base64.b64decode(j[k], validate=True)

cmd, a = sys.argv[1], sys.argv[2:]
doc = json.load(open(a[0]))
if cmd == "get":
    j, k = walk(doc, a[1])
    open(a[2], "wb").write(b64(j, k))
    sys.exit(0)
if cmd == "qual":
    print(hashlib.sha256(b64(doc["quote"], "message")).hexdigest())
    sys.exit(0)
j, k = walk(doc, a[2]) if cmd != "root" else (None, None)
if cmd == "flip":
    b = bytearray(b64(j, k))
    b[int(a[3])] ^= 1
    j[k] = base64.b64encode(bytes(b)).decode()
elif cmd == "take":
    o, _ = walk(json.load(open(a[3])), a[2])
    j[k] = o[k]
elif cmd == "set":
    j[k] = a[3]
elif cmd == "drop":
    del j[k]
elif cmd == "root":
    # WARDQ002, then u16-length-prefixed attester type and root (docs/evidence-format.md)
    m = b64(doc["quote"], "message")
    assert m[:8] == b"WARDQ002", m[:8]
    off = 8
    (l,) = struct.unpack_from(">H", m, off)
    off += 2 + l
    (l,) = struct.unpack_from(">H", m, off)
    new = a[2].encode()
    m = m[:off] + struct.pack(">H", len(new)) + new + m[off + 2 + l:]
    doc["quote"]["message"] = base64.b64encode(m).decode()
else:
    sys.exit("bundle.py: unknown command " + cmd)
json.dump(doc, open(a[1], "w"))
EOF
bundle() { python3 "$T/bundle.py" "$@"; }

mkdir -p "$T/files"
for i in 1 2 3 4 5 6; do head -c $((100 * i)) /dev/urandom >"$T/files/f$i"; done
FILES=("$T/files"/f*)

# Three swtpms: B and C, whose AKs are "another AK", and A, the main one (tpm_stop and
# tpm_start act on the last started, A).
tpm_start swtpm-c
TCTI_C=$WARD_TPM_TCTI
tpm_start swtpm-b
TCTI_B=$WARD_TPM_TCTI
tpm_start swtpm-a
TCTI_A=$WARD_TPM_TCTI
TPM_DIR_A=$TPM_DIR

# =============================================================================================
section "1. round trip: measure, evidence, verify"
D=$T/state
expect_rc 0 "measure ${#FILES[@]} files into a new tpm state dir" \
	"$WARD" --state-dir "$D" --attester tpm --tcti "$TCTI_A" measure "${FILES[@]}"
expect_eq "$(json_get "$D/state.json" '(j["attester"], j["tcti"], j["pcr"])')" \
	"('tpm', '$TCTI_A', 10)" "state.json: attester tpm, the TCTI, PCR 10"
expect_eq "$(banks_of "$D" | sort | tr '\n' ' ')" "sha1 sha256 sha384 sha512 " \
	"state.json: the swtpm's four active banks"
expect_eq "$(stat -c %a "$D/tpm-ak.key")" 600 "the AK file is mode 0600"
pcr_is_log "$D" "after measure"
NONCE=$(head -c 32 /dev/urandom | xxd -p -c 64)
expect_rc 0 "ward evidence --nonce" "$WARD" --state-dir "$D" evidence --nonce "$NONCE" -o "$T/ev.json"
EV=$T/ev.json
expect_rc 0 "ward attester pubkey" "$WARD" --state-dir "$D" attester pubkey
cp "$OUT" "$T/ak.pem"
run openssl pkey -pubin -in "$T/ak.pem" -noout -text
expect_stdout_match 'prime256v1|P-256' "the AK is an ECC P-256 key"
check "the bundle carries message, signature, attest and ak_public" python3 -c '
import json, sys
q = json.load(open(sys.argv[1]))["quote"]
assert sorted(q) == ["ak_public", "attest", "message", "signature"], sorted(q)' "$EV"
expect_rc 0 "ward verify --ak-key" "$WARD" verify "$EV" --nonce "$NONCE" --ak-key "$T/ak.pem"
expect_stdout_line "verdict: TRUSTED"
expect_stdout_match '^  attester: +tpm, root swtpm \(software TPM: NOT hardware-rooted' \
	"verify names the root: a software TPM, not hardware-rooted"
expect_stdout_match '^  tpm pcr: +the quoted PCR is the statement.s registers'
expect_rc 0 "ward verify --ak-key --json" "$WARD" verify "$EV" --nonce "$NONCE" --ak-key "$T/ak.pem" --json
cp "$OUT" "$T/verify.json"
expect_eq "$(json_get "$T/verify.json" '(j["trusted"], j["attester"], j["root"], j["hardware_rooted"], j["pcr"])')" \
	"(True, 'tpm', 'swtpm', False, 10)" "--json: trusted, attester tpm, root swtpm, hardware_rooted false, pcr 10"
expect_eq "$(json_get "$T/verify.json" 'sorted(k for k, v in j["checks"].items() if v is not True)')" "[]" \
	"--json: every check true"
expect_eq "$(json_get "$T/verify.json" 'j["checks"]["tpm_pcr"]')" True "--json: checks.tpm_pcr true"
expect_eq "$(json_get "$T/verify.json" 'j["records"]')" "${#FILES[@]}" "--json: the evidence attests ${#FILES[@]} records"
for a in $(banks_of "$D"); do
	expect_eq "$(json_get "$T/verify.json" "j['registers']['$a']")" "$(pcrread_hex 10 "$a")" \
		"the verified $a register is the PCR tpm2_pcrread reads"
done
expect_rc 0 "ward verify with the AK pinned twice among others (--ak-key repeatable)" \
	"$WARD" verify "$EV" --nonce "$NONCE" --ak-key "$T/ak.pem" --ak-key "$T/ak.pem"

# =============================================================================================
section "2. refusals, each with its reason"
# verify_refused RC WHAT REASON_ERE FILE [ARGS...]: ward verify FILE ARGS exits RC and says why.
verify_refused() {
	local rc=$1 what=$2 re=$3 f=$4
	shift 4
	expect_rc "$rc" "$what" "$WARD" verify "$f" "$@"
	if ((rc == 1)); then
		expect_stdout_line "verdict: NOT TRUSTED" "$what: verdict"
		expect_stdout_match "$re" "$what: reason"
	else
		expect_stderr_match "$re" "$what: reason"
	fi
}
other=$(head -c 32 /dev/urandom | xxd -p -c 64)
verify_refused 1 "wrong nonce" '^  reason: nonce does not match' "$EV" --nonce "$other" --ak-key "$T/ak.pem"
verify_refused 1 "no --ak-key" 'reason: tpm evidence is trusted only with a pinned attestation key \(--ak-key\)' \
	"$EV" --nonce "$NONCE"
new_state "$T/soft"
"$WARD" --state-dir "$T/soft" attester pubkey >"$T/soft.pem"
verify_refused 1 "a soft key pinned (--soft-key) does not make tpm evidence trusted" \
	'reason: tpm evidence is trusted only with a pinned attestation key' \
	"$EV" --nonce "$NONCE" --soft-key "$T/soft.pem"

# Another state dir on another swtpm: another AK, another log.
D2=$T/state2
expect_rc 0 "a second tpm state dir on swtpm B" \
	"$WARD" --state-dir "$D2" --attester tpm --tcti "$TCTI_B" measure "${FILES[0]}" "${FILES[1]}"
"$WARD" --state-dir "$D2" attester pubkey >"$T/ak2.pem"
check "swtpm B's AK differs from A's" bash -c '! cmp -s "$1" "$2"' _ "$T/ak.pem" "$T/ak2.pem"
expect_rc 0 "evidence of the second state dir" "$WARD" --state-dir "$D2" evidence --nonce "$NONCE" -o "$T/ev2.json"
verify_refused 1 "another AK pinned" 'reason: quoted by a TPM attestation key that is not pinned' \
	"$EV" --nonce "$NONCE" --ak-key "$T/ak2.pem"
expect_stdout_match '^  key: +NOT pinned' "another AK pinned: key NOT pinned"
expect_rc 0 "the second dir's evidence verifies with its own AK" "$WARD" verify "$T/ev2.json" --nonce "$NONCE" --ak-key "$T/ak2.pem"
verify_refused 2 "a soft (Ed25519) key as --ak-key" \
	"^ward: --ak-key $T/soft.pem: not an ECC or RSA public key \(a TPM attestation key\)\$" \
	"$EV" --nonce "$NONCE" --ak-key "$T/soft.pem"
verify_refused 2 "an --ak-key file that does not exist" "$T/none.pem" "$EV" --nonce "$NONCE" --ak-key "$T/none.pem"

bundle take "$EV" "$T/ev-log.json" log "$T/ev2.json"
verify_refused 1 "the log replaced by another state dir's log" \
	'reason: log has 2 records, the quote attests 6' "$T/ev-log.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
expect_stdout_match '^  signature: +ok' "the log replaced: the quote itself is still A's, signed"
# The same number of records, other files: the replay, not the count, must catch it.
expect_rc 0 "a fourth tpm state dir on swtpm C with the first's files in another order" \
	"$WARD" --state-dir "$T/state4" --attester tpm --tcti "$TCTI_C" measure "${FILES[5]}" "${FILES[4]}" \
	"${FILES[3]}" "${FILES[2]}" "${FILES[1]}" "${FILES[0]}"
expect_rc 0 "evidence of the fourth" "$WARD" --state-dir "$T/state4" evidence --nonce "$NONCE" -o "$T/ev4.json"
bundle take "$EV" "$T/ev-log4.json" log "$T/ev4.json"
verify_refused 1 "the log replaced by a log of as many records (same files, other order)" \
	'reason: .*(replay|register)' "$T/ev-log4.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
expect_stdout_match '^  registers: +MISMATCH' "the log replaced (same length): registers MISMATCH"

# The statement: its last byte (a register value) flipped, and its root relabelled "tpm".
bundle flip "$EV" "$T/ev-msg.json" quote.message -1
verify_refused 1 "a statement byte edited" \
	'reason: TPM quote: extraData does not match the nonce [0-9a-f]+ \(SHA-256 of the statement\): the quote is for another statement' \
	"$T/ev-msg.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle root "$EV" "$T/ev-root.json" tpm
verify_refused 1 "the statement relabelled root 'tpm' (hardware)" \
	'reason: TPM quote: extraData does not match' "$T/ev-root.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
run "$WARD" verify "$T/ev-root.json" --nonce "$NONCE" --ak-key "$T/ak.pem" --json
expect_eq "$(json_get "$OUT" 'j["trusted"]')" False "the relabelled statement is not trusted"

# The TPMS_ATTEST: a byte of its pcrDigest (the end) and of its clockInfo flipped.
bundle flip "$EV" "$T/ev-att.json" quote.attest -1
verify_refused 1 "attest tampered (last byte, pcrDigest)" \
	'reason: TPM quote: the signature does not verify' "$T/ev-att.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
expect_stdout_match '^  signature: +BAD' "attest tampered: signature BAD"
bundle flip "$EV" "$T/ev-att2.json" quote.attest 50
verify_refused 1 "attest tampered (byte 50)" \
	'reason: TPM quote: the signature does not verify' "$T/ev-att2.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle flip "$EV" "$T/ev-sig.json" quote.signature -1
verify_refused 1 "signature tampered (last byte of s)" \
	'reason: TPM quote: the signature does not verify' "$T/ev-sig.json" --nonce "$NONCE" --ak-key "$T/ak.pem"

# ak_public: swapped for B's AK (the bundle's public_key left as A's), then both swapped.
bundle take "$EV" "$T/ev-akp.json" quote.ak_public "$T/ev2.json"
verify_refused 1 "ak_public swapped for another AK" \
	"reason: the bundle's public_key is not the attestation key in ak_public" \
	"$T/ev-akp.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
expect_stdout_match 'reason: TPM quote: the signature does not verify' "ak_public swapped: the signature does not verify with it"
bundle take "$T/ev-akp.json" "$T/ev-akp2.json" public_key "$T/ev2.json"
verify_refused 1 "ak_public and public_key swapped for B's, B's AK pinned" \
	'reason: TPM quote: the signature does not verify' "$T/ev-akp2.json" --nonce "$NONCE" --ak-key "$T/ak2.pem"
verify_refused 1 "ak_public and public_key swapped for B's, A's AK pinned" \
	'reason: quoted by a TPM attestation key that is not pinned' "$T/ev-akp2.json" --nonce "$NONCE" --ak-key "$T/ak.pem"

# Malformed bundles: exit 2, the message says where.
size=$(stat -c %s "$EV")
head -c $((size / 2)) "$EV" >"$T/ev-half.json"
verify_refused 2 "a bundle cut in half" '^ward: ' "$T/ev-half.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
head -c $((size - 2)) "$EV" >"$T/ev-cut.json"
verify_refused 2 "a bundle short of its last 2 bytes" '^ward: ' "$T/ev-cut.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
: >"$T/ev-empty.json"
verify_refused 2 "an empty bundle" '^ward: ' "$T/ev-empty.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle drop "$EV" "$T/ev-noatt.json" quote.attest
verify_refused 2 "a tpm bundle without quote.attest" 'attest' "$T/ev-noatt.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle drop "$EV" "$T/ev-noakp.json" quote.ak_public
verify_refused 2 "a tpm bundle without quote.ak_public" 'ak_public' "$T/ev-noakp.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle set "$EV" "$T/ev-b64.json" quote.attest 'not*base64'
verify_refused 2 "quote.attest not base64" 'attest' "$T/ev-b64.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle get "$EV" quote.attest "$T/attest.bin"
bundle set "$EV" "$T/ev-attcut.json" quote.attest "$(head -c 40 "$T/attest.bin" | base64 -w0)"
verify_refused 2 "quote.attest cut to 40 bytes" 'TPMS_ATTEST: .*offset' "$T/ev-attcut.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle get "$EV" quote.ak_public "$T/akpub.bin"
bundle set "$EV" "$T/ev-akcut.json" quote.ak_public "$(head -c 30 "$T/akpub.bin" | base64 -w0)"
verify_refused 2 "quote.ak_public cut to 30 bytes" 'ak_public: TPMT_PUBLIC: .*offset' "$T/ev-akcut.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
bundle get "$EV" quote.signature "$T/sig.bin"
bundle set "$EV" "$T/ev-sigcut.json" quote.signature "$(head -c 10 "$T/sig.bin" | base64 -w0)"
verify_refused 2 "quote.signature cut to 10 bytes" 'TPMT_SIGNATURE' "$T/ev-sigcut.json" --nonce "$NONCE" --ak-key "$T/ak.pem"

# =============================================================================================
section "3. tpm2_checkquote accepts ward's quote"
bundle get "$EV" quote.attest "$T/q.attest"
bundle get "$EV" quote.signature "$T/q.sig"
QUAL=$(bundle qual "$EV")
run tpm2_print -t TPMS_ATTEST "$T/q.attest"
expect_stdout_match "^extraData: $QUAL\$" "TPMS_ATTEST (tpm2_print): extraData = SHA-256 of the statement"
SEL=$(banks_of "$D" | sed 's/$/:10/' | paste -sd+)
# The PCRs have not moved since the quote: nothing was measured in between.
expect_rc 0 "tpm2_pcrread -F values -o pcrs $SEL" tpm2_pcrread -F values -o "$T/q.pcrs" "$SEL"
expect_rc 0 "tpm2_checkquote accepts the quote (AK PEM, qualification = sha256(statement), PCR values)" \
	tpm2_checkquote -u "$T/ak.pem" -m "$T/q.attest" -s "$T/q.sig" -f "$T/q.pcrs" -l "$SEL" -q "$QUAL" -g sha256
expect_nonzero "tpm2_checkquote refuses a wrong qualification (the nonce itself)" \
	tpm2_checkquote -u "$T/ak.pem" -m "$T/q.attest" -s "$T/q.sig" -f "$T/q.pcrs" -l "$SEL" -q "$NONCE" -g sha256
expect_nonzero "tpm2_checkquote refuses another AK" \
	tpm2_checkquote -u "$T/ak2.pem" -m "$T/q.attest" -s "$T/q.sig" -f "$T/q.pcrs" -l "$SEL" -q "$QUAL" -g sha256
expect_rc 0 "one more record measured" "$WARD" --state-dir "$D" measure "${FILES[0]}"
tpm2_pcrread -F values -o "$T/q2.pcrs" "$SEL" >/dev/null
expect_nonzero "tpm2_checkquote refuses the PCR values after one more record" \
	tpm2_checkquote -u "$T/ak.pem" -m "$T/q.attest" -s "$T/q.sig" -f "$T/q2.pcrs" -l "$SEL" -q "$QUAL" -g sha256

# =============================================================================================
section "4. evmctl ima_measurement validates the exported log against the swtpm's PCR 10"
# evmctl's --pcrs file: lines PCR-00 .. PCR-10 in order ("PCR-NN: <hex>"), only 10 matters.
pcrfile() {
	local i zero
	zero=$(printf '%*s' "${#1}" '' | tr ' ' 0)
	for i in $(seq 0 9); do printf 'PCR-%02d: %s\n' "$i" "$zero"; done
	printf 'PCR-10: %s\n' "$1"
}
pcrfile "$(pcrread_hex 10 sha1)" >"$T/pcrs-sha1"
pcrfile "$(pcrread_hex 10 sha256)" >"$T/pcrs-sha256"
expect_rc 0 "log export --format binary" "$WARD" log export --state-dir "$D" --format binary -o "$T/log.bin"
note "evmctl: $(evmctl --version 2>&1 | head -n 1)"
expect_rc 0 "evmctl ima_measurement: the sha1 PCR 10 of the swtpm" \
	evmctl ima_measurement --pcrs "sha1,$T/pcrs-sha1" "$T/log.bin"
expect_rc 0 "evmctl ima_measurement: the sha256 PCR 10 of the swtpm" \
	evmctl ima_measurement --pcrs "sha256,$T/pcrs-sha256" "$T/log.bin"
expect_rc 0 "evmctl ima_measurement: both banks" \
	evmctl ima_measurement --pcrs "sha1,$T/pcrs-sha1" --pcrs "sha256,$T/pcrs-sha256" "$T/log.bin"
# evmctl accepts a PCR that any prefix of the list replays to (the list may have grown since
# the PCR was read): swtpm B's PCR 10 holds A's first two records (the same files), so the
# negative control is swtpm C's, whose log has the same files in another order.
pcrfile "$(pcrread_hex 10 sha256 "$TCTI_C")" >"$T/pcrs-c"
expect_nonzero "negative control: evmctl refuses swtpm C's PCR 10 (same files, other order) for A's log" \
	evmctl ima_measurement --pcrs "sha256,$T/pcrs-c" "$T/log.bin"
pcrfile "$(pcrread_hex 10 sha1 "$TCTI_C")" >"$T/pcrs-c1"
expect_nonzero "negative control: ... and its sha1 PCR 10" \
	evmctl ima_measurement --pcrs "sha1,$T/pcrs-c1" "$T/log.bin"
head -c $(($(stat -c %s "$T/log.bin") - 50)) "$T/log.bin" >"$T/log-short.bin"
expect_nonzero "negative control: evmctl refuses the log short of its last record" \
	evmctl ima_measurement --pcrs "sha1,$T/pcrs-sha1" "$T/log-short.bin"

# =============================================================================================
section "5a. kill -9 between append and extend (tpmcrash.c), repaired on the next open"
before=$(pcr_snapshot "$D")
n_before=$(record_count "$D")
run "$CRASH" "$D" /crash/one
expect_eq "$RC" 137 "tpmcrash died of SIGKILL after its append"
expect_stdout_line "appended 1"
expect_eq "$(record_count "$D")" $((n_before + 1)) "the log holds the record"
expect_eq "$(pcr_snapshot "$D")" "$before" "the PCR (every bank) does not: unchanged by the crashed writer"
check "the PCR lacks it: sha256 PCR 10 != the log's register" \
	test "$(pcrread_hex 10 sha256)" != "$(reg_of "$D" sha256)"
expect_rc 0 "log show (read-only) does not touch the TPM" "$WARD" log show --state-dir "$D" --json
expect_eq "$(pcr_snapshot "$D")" "$before" "... the PCR is still unchanged"
expect_rc 0 "the next ward measure" "$WARD" --state-dir "$D" measure "${FILES[1]}"
expect_stderr_match '^ward: (warning: )?tpm: PCR 10 lacked the last 1 records of the log' "it repairs: 'lacked the last 1 records'"
pcr_is_log "$D" "after the repair"
evidence_verifies "$D" "after the repair"
expect_rc 0 "a second open" "$WARD" --state-dir "$D" measure "${FILES[2]}"
expect_stderr_nomatch 'lacked' "a second open has nothing to repair"

run "$CRASH" "$D" /crash/two /crash/three /crash/four
expect_eq "$RC" 137 "tpmcrash with 3 records died of SIGKILL"
expect_rc 0 "ward evidence opens the state (with the attester)" \
	"$WARD" --state-dir "$D" evidence --nonce "$NONCE" -o "$T/ev-crash.json"
expect_stderr_match 'tpm: PCR 10 lacked the last 3 records of the log' "evidence repairs too: 'lacked the last 3 records'"
expect_rc 0 "its evidence verifies" "$WARD" verify "$T/ev-crash.json" --nonce "$NONCE" --ak-key "$T/ak.pem"
pcr_is_log "$D" "after a repair by evidence"

section "5b. ward measure killed with SIGKILL at random moments, 30 times"
DR=$T/race
expect_rc 0 "a tpm state dir for the race (PCR 13 of swtpm A)" \
	"$WARD" --state-dir "$DR" --attester tpm --tcti "$TCTI_A" --pcr 13 measure "${FILES[0]}"
# A measure of 20 files takes some milliseconds, most of them the 20 extends after the append:
# kills spread over 0..12 ms land before, inside and after that window.
mkdir -p "$T/race-files"
for i in $(seq 1 20); do echo "race $i" >"$T/race-files/r$i"; done
lacked=0
for round in $(seq 1 30); do
	"$WARD" --state-dir "$DR" measure "$T/race-files"/r* >/dev/null 2>"$T/race-$round.err" &
	pid=$!
	track_pid "$pid"
	us=$((RANDOM % 12000))
	sleep "0.$(printf '%06d' "$us")"
	kill -9 "$pid" 2>/dev/null || true
	st=0
	wait "$pid" 2>/dev/null || st=$?
	if ((st != 0 && st != 137)); then
		fail "race round $round: ward measure exits 0 or dies of SIGKILL (status $st: $(head -c 300 "$T/race-$round.err"))"
	fi
	if grep -q 'lacked the last' "$T/race-$round.err"; then
		lacked=$((lacked + 1))
	fi
	note "round $round: killed after ${us} us (status $st), log now $(record_count "$DR") records$(grep -o 'lacked the last [0-9]* records' "$T/race-$round.err" | sed 's/^/; its open found the PCR /' || true)"
done
expect_rc 0 "one more open after the kills (ward measure)" "$WARD" --state-dir "$DR" measure "${FILES[0]}"
grep -q 'lacked the last' "$ERR" && lacked=$((lacked + 1))
note "$lacked opens found records a killed writer had not extended (and extended them)"
pcr_is_log "$DR" "after 30 kills and one open"
evidence_verifies "$DR" "after 30 kills"
log_file_replays "$DR" "after 30 kills"

section "a new state dir on a PCR another one uses: refused, not mixed"
expect_rc 1 "a new tpm state dir on swtpm A's PCR 10, which the main dir's records hold" \
	"$WARD" --state-dir "$T/clash" --attester tpm --tcti "$TCTI_A" measure "${FILES[0]}"
expect_stderr_match 'holds a value that no prefix of the log' "refused: no prefix of its (empty) log explains the PCR"
expect_rc 0 "the main dir is unaffected" "$WARD" --state-dir "$D" measure "${FILES[0]}"
pcr_is_log "$D" "the main dir after the refused one"

# =============================================================================================
section "the AK's file must be the monitor's alone"
chmod 0644 "$D/tpm-ak.key"
expect_rc 2 "ward measure with tpm-ak.key mode 0644 is refused" "$WARD" --state-dir "$D" measure "${FILES[0]}"
expect_stderr_match "tpm-ak.key must be a regular file owned by uid 0 with mode 0600 \(is 0644\)" \
	"the reason names the file and its mode"
chmod 0600 "$D/tpm-ak.key"
pcr_is_log "$D" "after the refused open"

section "6. four concurrent writers on one state dir, and evidence meanwhile"
DC=$T/conc
expect_rc 0 "a tpm state dir on PCR 11 of swtpm A" "$WARD" --state-dir "$DC" --attester tpm --tcti "$TCTI_A" --pcr 11 attester pubkey
pids=()
for w in 1 2 3 4; do
	(
		for i in $(seq 1 10); do
			"$WARD" --state-dir "$DC" measure "${FILES[@]:0:3}" >/dev/null 2>>"$T/conc-$w.err" ||
				echo "writer $w run $i: exit $?" >>"$T/conc-$w.fail"
		done
	) &
	pids+=($!)
	track_pid "$!"
done
# and a fifth process asking for evidence meanwhile, each bundle verified after
(
	for i in $(seq 1 10); do
		"$WARD" --state-dir "$DC" evidence --nonce "$(printf '%02x' "$i")" -o "$T/conc-ev-$i.json" \
			>/dev/null 2>>"$T/conc-5.err" || echo "evidence $i: exit $?" >>"$T/conc-5.fail"
	done
) &
pids+=($!)
track_pid "$!"
for p in "${pids[@]}"; do wait "$p" || true; done
if cat "$T"/conc-*.fail >"$T/conc.fails" 2>/dev/null; [[ -s "$T/conc.fails" ]]; then
	fail "every ward measure of the 4 writers exited 0 ($(wc -l <"$T/conc.fails") did not)"
	sed 's/^/#     /' "$T/conc.fails"
	grep -hv '^ward: evidence for' "$T"/conc-*.err | sort | uniq -c | sed 's/^/#     /'
else
	pass "every ward measure of the 4 writers exited 0"
fi
expect_eq "$(cat "$T"/conc-*.err | grep -c 'lacked' || true)" 0 "no writer found a record the PCR lacked"
"$WARD" --state-dir "$DC" attester pubkey >"$T/akc.pem"
bad=0
for i in $(seq 1 10); do
	[[ -e "$T/conc-ev-$i.json" ]] || continue
	run "$WARD" verify "$T/conc-ev-$i.json" --nonce "$(printf '%02x' "$i")" --ak-key "$T/akc.pem"
	((RC == 0)) || { bad=$((bad + 1)) && _show_last; }
done
expect_eq "$bad" 0 "every evidence taken amid the writers verifies"
expect_eq "$(record_count "$DC")" 120 "120 records (4 writers x 10 runs x 3 files)"
pcr_is_log "$DC" "after 4 concurrent writers"
evidence_verifies "$DC" "after 4 concurrent writers"
log_file_replays "$DC" "after 4 concurrent writers"

# =============================================================================================
section "9. --pcr and --tcti at creation"
D11=$T/pcr11
p10=$(pcr_snapshot "$D2" "$TCTI_B")
p11=$(pcrread_hex 11 sha256 "$TCTI_B")
expect_rc 0 "--pcr 11 (swtpm B)" "$WARD" --state-dir "$D11" --attester tpm --tcti "$TCTI_B" --pcr 11 measure "${FILES[@]:0:2}"
expect_eq "$(json_get "$D11/state.json" 'j["pcr"]')" 11 "state.json says PCR 11"
pcr_is_log "$D11" "--pcr 11" "$TCTI_B"
check "PCR 11 moved" test "$(pcrread_hex 11 sha256 "$TCTI_B")" != "$p11"
expect_eq "$(pcr_snapshot "$D2" "$TCTI_B")" "$p10" "PCR 10 of swtpm B did not move"
expect_rc 0 "evidence of the PCR 11 dir" "$WARD" --state-dir "$D11" evidence --nonce "$NONCE" -o "$T/ev11.json"
"$WARD" --state-dir "$D11" attester pubkey >"$T/ak11.pem"
check "the PCR 11 dir has an AK of its own (one per state dir)" bash -c '! cmp -s "$1" "$2"' _ "$T/ak2.pem" "$T/ak11.pem"
expect_rc 0 "verify: PCR 11 evidence" "$WARD" verify "$T/ev11.json" --nonce "$NONCE" --ak-key "$T/ak11.pem" --json
expect_eq "$(json_get "$OUT" '(j["pcr"], j["checks"]["tpm_pcr"])')" "(11, True)" "verify --json: pcr 11, tpm_pcr true"
for p in 16 23 24 99 -1 x; do
	case $p in
	16) re='--pcr 16: PCRs 16 and 23 can be reset by any TPM user' ;;
	23) re='--pcr 23: PCRs 16 and 23 can be reset by any TPM user' ;;
	*) re='PCR.* 0\.\.23' ;;
	esac
	expect_rc 2 "--pcr $p refused" "$WARD" --state-dir "$T/pcr-$p" --attester tpm --tcti "$TCTI_B" --pcr "$p" attester pubkey
	expect_stderr_match "$re" "--pcr $p: the reason"
	check "--pcr $p: no state dir left" test ! -e "$T/pcr-$p/state.json"
done
expect_rc 2 "--tcti with --attester soft refused" "$WARD" --state-dir "$T/soft-tcti" --attester soft --tcti "$TCTI_B" attester pubkey
expect_stderr_match 'tcti' "--tcti with soft: the reason names --tcti"
check "--tcti with soft: no state dir left" test ! -e "$T/soft-tcti/state.json"

# =============================================================================================
section "7. a PCR extended from outside is refused, the log left as it was"
# Swtpm B's PCR 10 belongs to the second state dir; extend it behind ward's back.
expect_rc 0 "the second dir opens cleanly before" "$WARD" --state-dir "$D2" measure "${FILES[2]}"
size=$(stat -c %s "$D2/log")
n2=$(record_count "$D2")
sum=$(sha256_file "$D2/log")
expect_rc 0 "tpm2_pcrextend 10:sha256=... from outside" \
	env TPM2TOOLS_TCTI="$TCTI_B" tpm2_pcrextend "10:sha256=$(printf 'forged' | sha256sum | cut -d' ' -f1)"
expect_rc 1 "the next ward measure is refused" "$WARD" --state-dir "$D2" measure "${FILES[3]}"
expect_stderr_match 'holds a value that no prefix of the log' "the reason: no prefix of the log explains the PCR"
expect_eq "$(stat -c %s "$D2/log")" "$size" "the log's size is unchanged"
expect_eq "$(sha256_file "$D2/log")" "$sum" "the log's bytes are unchanged"
expect_eq "$(record_count "$D2")" "$n2" "the log's records are unchanged"
expect_rc 1 "ward evidence is refused too" "$WARD" --state-dir "$D2" evidence --nonce "$NONCE" -o "$T/ev-forged.json"
expect_stderr_match 'holds a value that no prefix of the log'
check "no evidence file was written" test ! -e "$T/ev-forged.json"
expect_rc 0 "log show still reads the log" "$WARD" log show --state-dir "$D2" --json

# =============================================================================================
section "8. a domain cannot reach the swtpm"
# The domain's probe: connect() to each socket, open() each other path; one line per path,
# "REACHED"/"OPENED" or the errno's name.
PROBE='
import errno, os, socket, sys
for p in sys.argv[1:]:
    try:
        if p.endswith((".sock", ".ctrl")):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(p)
            print("REACHED", p)
        else:
            os.close(os.open(p, os.O_RDONLY))
            print("OPENED", p)
    except OSError as e:
        print(errno.errorcode[e.errno], p)
'
DD=$T/dom
expect_rc 0 "a tpm state dir for ward run (PCR 12 of swtpm A)" \
	"$WARD" --state-dir "$DD" --attester tpm --tcti "$TCTI_A" --pcr 12 attester pubkey
SOCK=$TPM_DIR_A/swtpm.sock
RUN=(timeout 60 "$WARD" --state-dir "$DD" run -q)
# probe_case WHAT WANT_ERE PATH... (RUN_ARGS before -- in PRE): every path's line matches WANT.
probe_case() {
	local what=$1 want=$2 p line
	shift 2
	expect_run 0 "$what: the probe ran" "${RUN[@]}" "${PRE[@]}" -- python3 -c "$PROBE" "$@"
	for p in "$@"; do
		line=$(grep -E " $p\$" "$OUT" || true)
		if [[ "$line" =~ ^($want)\  ]]; then
			pass "$what: $p: ${line%% *}"
		else
			fail "$what: $p: wanted $want, got '${line:-nothing}'"
			_show_last
		fi
	done
}
PRE=()
probe_case "default domain" 'ENOENT|EACCES|EPERM' "$SOCK" "$SOCK.ctrl" "$DD/tpm-ak.key" "$DD/state.json" "$DD/log"
expect_eq "$(cut -d' ' -f1 "$OUT" | sort -u | tr '\n' ' ')" "ENOENT " "default domain: every path is ENOENT (not in its mount namespace)"
expect_run 0 "default domain: its fds are 0, 1, 2 only (no TCTI socket inherited)" \
	"${RUN[@]}" -- python3 -c 'import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))'
expect_stdout_line "[0, 1, 2, 3]" "default domain: /proc/self/fd lists 0, 1, 2 and the listing's own fd"
# What the monitor holds cannot be brought in either: a bind or code dir that is, holds or lies
# inside the state dir, the swtpm's socket or a TPM device is refused before the domain starts
# (a uid-0 domain owns the root-owned 0600 socket and key file: given them, it could forge).
for b in "--bind $TPM_DIR_A:/mnt/tpm" "--bind-ro $DD:/mnt/state" "--bind $T:/mnt/t" \
	"--bind-ro $DD/log:/mnt/log" "--code $TPM_DIR_A"; do
	# shellcheck disable=SC2086 # $b is an option and its value
	expect_run 125 "ward run $b is refused" "${RUN[@]}" $b -- true
	expect_stderr_match "overlaps .*, which only the monitor may reach" "ward run $b: the reason"
done
PRE=(--uid 1000 --gid 1000 --bind-ro "$T/files:/mnt/files")
probe_case "uid 1000 with an unrelated bind" 'ENOENT' "$SOCK" "$DD/tpm-ak.key"
expect_run 1 "tpm2_pcrextend in the domain (TPM2TOOLS_TCTI at the socket's path) fails" \
	"${RUN[@]}" -- env "TPM2TOOLS_TCTI=swtpm:path=$SOCK" tpm2_pcrextend "12:sha256=$(zeros 32)"
note "$(grep -m1 -iE 'connect|error' "$ERR" || true)"
# ward run itself appends records (the domain, what ran); the PCR holds those and nothing else.
pcr_is_log "$DD" "after the domains"
evidence_verifies "$DD" "after the domains"

# A TCP swtpm (swtpm:host=,port=, which --tcti offers) would be reachable from a domain, which
# shares the host's network namespace: ward gives such a domain Landlock rules that allow TCP
# connect to every port but the swtpm's two. tss2's swtpm TCTI finds the control channel at PORT + 1: two free ports in a row.
port=$(python3 -c '
import socket
for _ in range(100):
    a, b = socket.socket(), socket.socket()
    a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p)
    break')
mkdir -p "$T/swtpm-tcp"
swtpm socket --tpm2 --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
	--ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" --tpmstate "dir=$T/swtpm-tcp" \
	--flags not-need-init,startup-clear >"$T/swtpm-tcp.out" 2>&1 &
track_pid "$!"
TCTI_TCP="swtpm:host=127.0.0.1,port=$port"
# Bounded wait for the swtpm (no timing assertion: only how long to wait at most).
for ((i = 0; i < 200; i++)); do
	TPM2TOOLS_TCTI=$TCTI_TCP tpm2_pcrread sha256:0 >/dev/null 2>&1 && break
	sleep 0.05
done
DT=$T/dom-tcp
expect_rc 0 "a tpm state dir on a TCP swtpm" "$WARD" --state-dir "$DT" --attester tpm --tcti "$TCTI_TCP" --pcr 12 measure "${FILES[0]}"
expect_run 1 "tpm2_pcrextend in a domain against the TCP swtpm fails" \
	timeout 60 "$WARD" --state-dir "$DT" run -q -- env "TPM2TOOLS_TCTI=$TCTI_TCP" tpm2_pcrextend "12:sha256=$(zeros 32)"
TCP_PROBE='
import errno, socket, sys
for p in sys.argv[1:]:
    try:
        socket.create_connection(("127.0.0.1", int(p)), timeout=5).close()
        print("CONNECTED", p)
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)), p)
'
expect_run 0 "a domain's TCP connects to the swtpm's ports and a third" \
	timeout 60 "$WARD" --state-dir "$DT" run -q -- python3 -c "$TCP_PROBE" "$port" "$((port + 1))" "$((port + 2))"
expect_stdout_line "EACCES $port" "the swtpm's command port is refused by Landlock (EACCES)"
expect_stdout_line "EACCES $((port + 1))" "its control port too"
expect_stdout_line "ECONNREFUSED $((port + 2))" "another port is not blocked (nothing listens there)"
expect_rc 0 "the TCP state dir still opens (its PCR untouched by the domain)" "$WARD" --state-dir "$DT" measure "${FILES[1]}"

# =============================================================================================
section "10. a TPM reset: the whole log is extended again"
n=$(record_count "$DD")
tpm_stop
tpm_start swtpm-a
expect_eq "$(pcrread_hex 12 sha256)" "$(zeros 32)" "after the restart PCR 12 is zero"
expect_rc 0 "ward measure after the reset" "$WARD" --state-dir "$DD" measure "${FILES[0]}"
expect_stderr_match "tpm: PCR 12 was at its reset value \(the TPM restarted since the log began\): extended the log's $n records into it again" \
	"the warning names the reset and the whole log ($n records)"
pcr_is_log "$DD" "after the reset"
evidence_verifies "$DD" "after the reset"
expect_rc 0 "the PCR 11 dir (concurrent writers) after the reset" "$WARD" --state-dir "$DC" evidence --nonce "$NONCE" -o "$T/ev-c.json"
expect_stderr_match "tpm: PCR 11 was at its reset value .*: extended the log's $(record_count "$DC") records into it again" \
	"PCR 11: the whole log extended again"
pcr_is_log "$DC" "PCR 11 after the reset"

finish
