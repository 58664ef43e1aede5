#!/usr/bin/env bash
# `ward report verify --type tdx` on every TDX quote in shared/vectors (SOURCES.md §2): each valid
# quote verifies at the time SOURCES.md gives; trustee quote 4 is refused for DEBUG unless
# --allow-debug; tampered copies (header, body, quote signature, attestation key, QE report,
# its signature, QE auth data, each certificate of the PCK chain) fail with the precise reason;
# broken length and type fields and truncated copies are malformed (exit 2); the collateral
# (TCB info, QE identity) is checked for signature, dates, FMSPC and TCB level.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3

TDX=$VEC/tdx
SPR=$TDX/go-tdx-guest-spr/tdx_prod_quote_SPR_E4.dat
T_SPR=2023-07-01T01:00:00Z  # go-tdx-guest verify_test.go
T_V5=2026-02-03T01:00:00Z   # go-tdx-guest TestVerifyQuoteV5
T_TRUSTEE=2025-11-01T00:00:00Z # inside trustee's tcbInfo.json / enclaveIdentity.json window
T_LATE=2053-07-01T01:00:00Z # upstream's "expired" time

tdx() { "$WARD" report verify --type tdx "$@"; }

# poke SRC OFF VAL DST: a copy of SRC with byte OFF set to VAL ("x": its low bit flipped).
poke() {
	python3 - "$@" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
o = int(sys.argv[2], 0)
b[o] = b[o] ^ 1 if sys.argv[3] == "x" else int(sys.argv[3], 0)
open(sys.argv[4], "wb").write(b)
EOF
}

section "every valid quote verifies at its time"
valid=(
	"$SPR $T_SPR"
	"$TDX/go-tdx-guest-ccel/cos-113-tdx-quote.dat 2025-01-01T00:00:00Z"
	"$TDX/go-tdx-guest-v5/quote_v5_sample.dat $T_V5"
	"$TDX/trustee/tdx_quote_5.dat $T_V5"
	"$TDX/trustee/tdx_quote_6.dat $T_TRUSTEE"
	"$TDX/trustee-azure-tdx-vtpm/td-quote.bin 2025-01-01T00:00:00Z"
)
for v in "${valid[@]}"; do
	read -r f t <<<"$v"
	expect_rc 0 "${f#"$TDX"/} at $t" tdx "$f" --now "$t"
	expect_stdout_line "verdict: VALID" "${f#"$TDX"/}"
done

section "facts (--json) as SOURCES.md states them"
expect_rc 0 "SPR --json" tdx "$SPR" --now "$T_SPR" --json
check "SPR: version 4, tee 0x81, REPORT_DATA, MRTD, TEE_TCB_SVN, attributes, QE, FMSPC" \
	python3 - "$OUT" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["report"]
assert j["valid"] is True and j["reasons"] == [], j
assert r["version"] == 4 and r["tee_type"] == "0x81", r
assert r["report_data"] == "6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113"
assert r["mrtd"].startswith("6363b8043668a3ad"), r["mrtd"]
assert r["tee_tcb_svn"] == "03000400000000000000000000000000"
assert r["td_attributes"] == {"value": "0000000040000000", "flags": ["pks"]}, r["td_attributes"]
assert r["qe_mrsigner"] == "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5"
assert r["qe_isvprodid"] == 2 and r["qe_isvsvn"] == 4
assert r["fmspc"] == "50806f000000", r["fmspc"]
for k in ("rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrconfigid", "mrowner", "xfam"):
    assert k in r, k
EOF
expect_rc 0 "CCEL quote --json" tdx "$TDX/go-tdx-guest-ccel/cos-113-tdx-quote.dat" \
	--now 2025-01-01T00:00:00Z --json
check "CCEL quote: MRTD, RTMR0-2 as replayed from the CCEL (SOURCES.md 2b), FMSPC, QE ISVSVN 6" \
	python3 - "$OUT" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["report"]
assert r["mrtd"] == "dae67181d3d65e073ad8f95b7907d5e927bfe9761c9ff3e9b89734a45d8954dba41394c7717cb2735396c1d04231f94a"
assert r["rtmr0"] == "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b19297fc35e544039c7e1edece752afd17f6"
assert r["rtmr1"] == "f62dbc072bd5d3f3438b7b35c39a727f5aea2ffc2473f43723953f530daf62504f0a7944aa62c41a86e8a878c2b122c1"
assert r["rtmr2"] == "4969684dc87381fc3b3134176c8d8806eaf0a901859f5f70cfae8d17714b46c10a8de219048c9fc09f11f381a6fbe7c1"
assert r["rtmr3"] == "0" * 96
assert r["report_data"] == "0" * 128
assert r["fmspc"] == "00806f050000" and r["qe_isvsvn"] == 6
EOF
expect_rc 0 "v5 --json" tdx "$TDX/go-tdx-guest-v5/quote_v5_sample.dat" --now "$T_V5" --json
check "v5: version 5, MRSERVICETD present, FMSPC 90c06f000000, QE ISVSVN 7" \
	python3 - "$OUT" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["report"]
assert r["version"] == 5 and "mrservicetd" in r
assert r["report_data"] == "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd4a4933a4dd537ed1255c9c79ecb3ed82cd1b486233e31c25c3a"
assert r["fmspc"] == "90c06f000000" and r["qe_isvsvn"] == 7
EOF

section "DEBUG: trustee quote 4 (TDATTRIBUTES 0100001000000000)"
Q4=$TDX/trustee/tdx_quote_4.dat
expect_rc 1 "quote 4 refused without --allow-debug" tdx "$Q4" --now "$T_TRUSTEE"
expect_stdout_line "  reason: TD attributes have DEBUG set (refused without allow_debug)"
expect_stdout_match '"flags":\["debug","sept_ve_disable"\]' "quote 4: attributes decoded"
expect_rc 0 "quote 4 accepted with --allow-debug" tdx "$Q4" --now "$T_TRUSTEE" --allow-debug

section "--report-data"
RD=7c71fe2c86eff65a7cf8dbc22b3275689fd0464a267baced1bf94fc1324656aeb755da3d44d098c0c87382f3a5f85b45c8a28fee1d3bdb38342bf96671501429
expect_rc 0 "quote 4, its REPORT_DATA" tdx "$Q4" --now "$T_TRUSTEE" --allow-debug --report-data "$RD"
expect_rc 1 "quote 4, another REPORT_DATA" tdx "$Q4" --now "$T_TRUSTEE" --allow-debug \
	--report-data "${RD:0:126}28"
expect_stdout_line "  reason: REPORT_DATA does not match the expected value"
# Quote 6 carries 48 bytes then 16 zero bytes: the 48 given are zero-padded and match.
expect_rc 0 "quote 6, 48 bytes zero-padded to 64" tdx "$TDX/trustee/tdx_quote_6.dat" \
	--now "$T_TRUSTEE" --report-data \
	26cae1c77185617fb6a03fc29bf1f924596e52352b9b7594940b576ae126cd4a570cc3202a900c5d19a6eb0a95b32cfd

section "certificate validity at --now"
expect_rc 1 "SPR at $T_LATE" tdx "$SPR" --now "$T_LATE"
expect_stdout_match "reason: PCK certificate chain does not verify to the Intel SGX Root CA \(certificate [0-2]: certificate has expired\)"
expect_rc 1 "SPR at 2030-01-01 (the PCK leaf expired 2029-09-20)" tdx "$SPR" --now 2030-01-01T00:00:00Z
expect_stdout_match "reason: PCK certificate chain .*certificate has expired"
expect_rc 1 "SPR in 2019 (PCK not yet valid)" tdx "$SPR" --now 2019-01-01T00:00:00Z
expect_stdout_match "reason: PCK certificate chain .*certificate is not yet valid"

section "tampered copies of the SPR quote fail with the precise reason (exit 1)"
QSIG="quote signature by the attestation key does not verify"
QESIG="QE report signature by the PCK key does not verify"
BIND="QE report REPORTDATA is not SHA-256(attestation key || QE auth data) padded with zeros"
tampers=(
	"0x1e 0x32 header user data|$QSIG"
	"0x3c 0x32 body TEE_TCB_SVN|$QSIG"
	"0x100 x body MRTD|$QSIG"
	"0x238 x body REPORT_DATA|$QSIG"
	"0x280 x quote signature r|$QSIG"
	"0x2b0 x quote signature s|$QSIG"
	"0x382 x QE report MRSIGNER|$QESIG"
	"0x442 x QE report REPORTDATA|$BIND"
	"0x482 x QE report signature|$QESIG"
	"0x4c4 x QE auth data|$BIND"
	"0xb77 0x32 PCK leaf certificate|PCK certificate chain does not verify to the Intel SGX Root CA (certificate 0: certificate signature failure)"
	"0xf5f 0x32 PCK Platform CA certificate|PCK certificate chain does not verify to the Intel SGX Root CA (certificate 1: certificate signature failure)"
	"0x1329 0x32 embedded root certificate|the quote's root certificate is not the Intel SGX Root CA"
	"0x1343 0x32 embedded root certificate signature|the quote's root certificate is not the Intel SGX Root CA"
)
for t in "${tampers[@]}"; do
	read -r off val what <<<"${t%%|*}"
	poke "$SPR" "$off" "$val" "$T/q.dat"
	expect_rc 1 "[$off] $what" tdx "$T/q.dat" --now "$T_SPR"
	expect_stdout_line "  reason: ${t#*|}" "[$off] $what"
done
poke "$SPR" 0x2c0 x "$T/q.dat"
expect_rc 1 "[0x2c0] attestation key" tdx "$T/q.dat" --now "$T_SPR"
expect_stdout_line "  reason: $BIND" "[0x2c0] attestation key: binding broken"
expect_stdout_match "reason: (attestation key is not a P-256 point|$QSIG)" \
	"[0x2c0] attestation key: quote signature"
# The v5 layout: its signed region ends at 0x2bd.
poke "$TDX/go-tdx-guest-v5/quote_v5_sample.dat" 0x2bd x "$T/q.dat"
expect_rc 1 "v5 [0x2bd] last signed byte" tdx "$T/q.dat" --now "$T_V5"
expect_stdout_line "  reason: $QSIG" "v5 [0x2bd]"

section "broken structure: malformed (exit 2)"
malformed=(
	"0x00 3|offset 0x0: quote format version 3 not supported (4, 5)"
	"0x02 3|offset 0x2: attestation key type 3 not supported (2, ECDSA P-256)"
	"0x04 0|offset 0x4: TEE type 0x0 is not TDX (0x81)"
	"0x278 0x10|offset 0x2fe: size of certification data is 0x1045, expected 0xf8a"
	"0x27b 0x10|offset 0x278: signature data size 268439755 runs past the end (4974 bytes)"
	"0x2fc 7|offset 0x2fc: certification data type 7, expected 6 (QE report)"
	"0x4e4 4|offset 0x4e4: certification data type 4, expected 5 (PCK chain, PEM)"
	"0x4c3 0xff|offset 0x4c2: QE auth data size 65312 runs past the end"
)
for t in "${malformed[@]}"; do
	read -r off val <<<"${t%%|*}"
	poke "$SPR" "$off" "$val" "$T/q.dat"
	expect_rc 2 "[$off]=$val" tdx "$T/q.dat" --now "$T_SPR"
	expect_stderr_line "ward: $T/q.dat: malformed: ${t#*|}" "[$off]=$val"
done
poke "$TDX/go-tdx-guest-v5/quote_v5_sample.dat" 0x30 2 "$T/q.dat"
expect_rc 2 "v5 body type 2 with size 648" tdx "$T/q.dat" --now "$T_V5"
expect_stderr_match "offset 0x30: body type 2 of size 648 not supported"
# A PEM block that no longer parses: the base64 of the leaf broken by a '*'.
poke "$SPR" 0x520 0x2a "$T/q.dat"
expect_rc 2 "PCK leaf PEM broken" tdx "$T/q.dat" --now "$T_SPR"
expect_stderr_match "PCK certification data: 2 PEM certificate\(s\) parsed|PCK certification data: [01] PEM"

section "truncated copies: malformed (exit 2)"
for n in 0 47 100 631 700 1200 4934; do
	head -c "$n" "$SPR" >"$T/q.dat"
	expect_rc 2 "SPR cut at $n bytes" tdx "$T/q.dat" --now "$T_SPR"
	expect_stderr_match "malformed: " "SPR cut at $n"
done
# The SPR file carries 39 bytes of padding after the structure (ends at 4935): cut there, valid.
head -c 4935 "$SPR" >"$T/q.dat"
expect_rc 0 "SPR cut at the end of its structure (4935)" tdx "$T/q.dat" --now "$T_SPR"
head -c 5005 "$TDX/go-tdx-guest-v5/quote_v5_sample.dat" >"$T/q.dat"
expect_rc 2 "v5 cut one byte short" tdx "$T/q.dat" --now "$T_V5"

section "collateral: TCB info and QE identity"
V5=$TDX/go-tdx-guest-v5
expect_rc 0 "v5 + its TCB info" tdx "$V5/quote_v5_sample.dat" --now "$T_V5" \
	--tcb-info "$V5/sample_tcbinfo_response_v5.json"
expect_stdout_match "^  tcb_status +UpToDate$" "v5: TCB status"
Q6=$TDX/trustee/tdx_quote_6.dat
expect_rc 0 "trustee quote 6 + tcbInfo.json + enclaveIdentity.json" tdx "$Q6" --now "$T_TRUSTEE" \
	--tcb-info "$TDX/trustee/tcbInfo.json" --qe-identity "$TDX/trustee/enclaveIdentity.json"
expect_stdout_match "^  tcb_status +OutOfDate$" "quote 6: TCB status reported"
expect_stdout_match "^  qe_tcb_status +UpToDate$" "quote 6: QE TCB status reported"
expect_rc 1 "quote 6 + collateral after nextUpdate" tdx "$Q6" --now 2025-12-01T00:00:00Z \
	--tcb-info "$TDX/trustee/tcbInfo.json" --qe-identity "$TDX/trustee/enclaveIdentity.json"
expect_stdout_line "  reason: TCB info: expired (nextUpdate 2025-11-26T13:07:17Z)"
expect_stdout_line "  reason: QE identity: expired (nextUpdate 2025-11-27T06:45:09Z)"
expect_rc 1 "quote 5 (FMSPC 90c06f000000) + tcbInfo.json (00A06D080000)" \
	tdx "$TDX/trustee/tdx_quote_5.dat" --now "$T_TRUSTEE" --tcb-info "$TDX/trustee/tcbInfo.json"
expect_stdout_line "  reason: TCB info is for FMSPC 00a06d080000, the PCK's is 90c06f000000"
# The sample SPR collateral: signatures, dates and QE identity pass; the PCK's SGX TCB
# (3,3,2,2,2,1,0,2 / PCESVN 11) is below every TCB level, so Intel's matching finds none.
SC=$TDX/go-tdx-guest-spr
expect_rc 1 "SPR + sample collateral" tdx "$SPR" --now "$T_SPR" \
	--tcb-info "$SC/sample_tcbInfo_response.json" --qe-identity "$SC/sample_qeIdentity_response.json"
expect_stdout_line "  reason: TCB info: no TCB level matches the platform's (PCK SGX TCB, PCESVN, TEE_TCB_SVN)"
expect_stdout_match "^  qe_tcb_status +UpToDate$" "SPR: QE identity matches"
# Tampered collateral: a signed field changed breaks the signature.
sed 's/"tcbEvaluationDataNumber":17/"tcbEvaluationDataNumber":18/' "$TDX/trustee/tcbInfo.json" >"$T/tcb.json"
expect_rc 1 "tcbInfo.json with a signed field changed" tdx "$Q6" --now "$T_TRUSTEE" --tcb-info "$T/tcb.json"
expect_stdout_line "  reason: TCB info: signature by the Intel SGX TCB Signing key does not verify"
sed 's/"isvprodid":2/"isvprodid":3/' "$TDX/trustee/enclaveIdentity.json" >"$T/qe.json"
expect_rc 1 "enclaveIdentity.json with isvprodid 3" tdx "$Q6" --now "$T_TRUSTEE" --qe-identity "$T/qe.json"
expect_stdout_line "  reason: QE identity: signature by the Intel SGX TCB Signing key does not verify"
expect_stdout_line "  reason: QE report ISVPRODID 2 does not match the QE identity's 3"
printf '{"tcbInfo": 1}' >"$T/bad.json"
expect_rc 2 "TCB info without a tcbInfo object" tdx "$Q6" --now "$T_TRUSTEE" --tcb-info "$T/bad.json"
expect_stderr_match 'malformed: TCB info: no "tcbInfo" object'

finish
