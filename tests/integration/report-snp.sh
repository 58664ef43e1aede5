#!/usr/bin/env bash
# ward report verify --type snp on every SEV-SNP vector of shared/vectors (SOURCES.md §1): each
# valid report verifies at a time inside its certificates' validity (with the built-in AMD roots
# and with the --chain shipped next to it), the go-sev-guest report is refused for DEBUG unless
# --allow-debug, and tampered copies are refused: exit 1 with the precise reason (body,
# signature, certificate, TCB, policy, chain, time), or 2 where the structure breaks (length,
# VERSION, SIGNATURE_ALGO, reserved bits, certificate encoding).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3 openssl
python3 -c "import cryptography" 2>/dev/null || skip "python3-cryptography is not installed (the forged-hierarchy test needs it)"

S=$VEC/sev-snp
ROOTS=$S/amd-roots

# tamper IN OUT OFFSET OP: a copy of IN with the byte at OFFSET xor'ed with 0xff (OP=flip),
# incremented (inc), or set to a value (set=N); truncate=N keeps the first N bytes.
tamper() {
	python3 - "$@" <<'EOF'
import sys
src, dst, off, op = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), sys.argv[4]
b = bytearray(open(src, "rb").read())
if op == "flip":
    b[off] ^= 0xff
elif op == "inc":
    b[off] = (b[off] + 1) & 0xff
elif op.startswith("set="):
    b[off] = int(op[4:], 0)
elif op == "truncate":
    b = b[:off]
elif op == "extend":
    b += bytes(off)
open(dst, "wb").write(b)
EOF
}

# shellcheck disable=SC2317 # called through expect_rc
snp() { "$WARD" report verify --type snp "$@"; }

section "certificates the vectors carry in PEM: converted to DER for --vcek"
openssl x509 -in "$S/trustee-azure-snp-vtpm/vcek_ask_ark.pem" -outform der -out "$T/az_vcek.der"
python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vcek"])' \
	"$S/trustee-azure-snp-vtpm/evidence-genoa.json" >"$T/azg_vcek.pem"
openssl x509 -in "$T/azg_vcek.pem" -outform der -out "$T/azg_vcek.der"
check "Azure Milan VCEK converted" test -s "$T/az_vcek.der"
check "Azure Genoa VCEK converted" test -s "$T/azg_vcek.der"
# ASK+ARK and ASVK+ARK of Milan, cut from the trustee file (order ASK, ARK, ASVK).
python3 - "$ROOTS/milan_ask_ark_asvk.pem" "$T" <<'EOF'
import re, sys
pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", open(sys.argv[1]).read(), re.S)
assert len(pems) == 3
open(sys.argv[2] + "/milan_ask_ark.pem", "w").write(pems[0] + pems[1])
open(sys.argv[2] + "/milan_asvk_ark.pem", "w").write(pems[2] + pems[1])
open(sys.argv[2] + "/milan_ark_only.pem", "w").write(pems[1])
EOF

# name|report|vcek|now|product|signing key|measurement|bl tee snp ucode|chain shipped with it
VALID=(
	"virtee-sev-milan|$S/virtee-sev-milan/report_milan.derived.bin|$S/virtee-sev-milan/vcek_milan.der|2024-01-01T00:00:00Z|milan|vcek|7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f|3 0 8 115|$S/virtee-sev-milan/cert_chain_milan.pem"
	"trustee-milan-vcek|$S/trustee-milan/test-report.bin|$S/trustee-milan/test-vcek.der|2024-01-01T00:00:00Z|milan|vcek|a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c|3 0 8 115|$T/milan_ask_ark.pem"
	"trustee-milan-vlek|$S/trustee-milan/test-vlek-report.bin|$S/trustee-milan/test-vlek.der|2025-06-01T00:00:00Z|milan|vlek|8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7bf0|4 0 24 217|$T/milan_asvk_ark.pem"
	"trustee-genoa-e2e|$S/trustee-genoa-e2e/report_genoa.derived.bin|$S/trustee-genoa-e2e/vcek_genoa.derived.der|2025-06-01T00:00:00Z|genoa|vcek|6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4ae62a36d75c837974dd50b315506e73e|10 0 23 25|$ROOTS/genoa_ask_ark_asvk.pem"
	"azure-milan|$S/trustee-azure-snp-vtpm/snp_report.derived.bin|$T/az_vcek.der|2024-01-01T00:00:00Z|milan|vcek|9ac48fcac8a2d88aeeff8d427ad4f2be0e3917c748a18bdf52cc317e7fe20308b459d5ef1a12e0c22944eb386d17c315|-|$S/trustee-azure-snp-vtpm/vcek_ask_ark.pem"
	"azure-genoa|$S/trustee-azure-snp-vtpm/genoa_snp_report.derived.bin|$T/azg_vcek.der|2026-01-01T00:00:00Z|genoa|vcek|f57dc09a507c6ecd82369bffb600f0003792f4d99bc26e985ec0c266fc34faf3706faf814c9e61065768a6ff917c89ae|10 0 23 84|$ROOTS/genoa_ask_ark_asvk.pem"
	"go-sev-guest-milan|$S/go-sev-guest-milan/attestation.bin|$S/go-sev-guest-milan/vcek.der|2022-09-24T12:00:00Z|milan|vcek|b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01|2 0 5 68|$S/go-sev-guest-milan/ask_ark_milan.pem"
)

section "valid vectors: exit 0 with the built-in roots and with their own chain; the facts"
for v in "${VALID[@]}"; do
	IFS='|' read -r name rep vcek now product key meas tcb chain <<<"$v"
	dbg=()
	[[ $name == go-sev-guest-milan ]] && dbg=(--allow-debug)
	expect_rc 0 "$name: valid (built-in roots, now $now)" \
		snp "$rep" --vcek "$vcek" --now "$now" "${dbg[@]}"
	expect_stdout_line "verdict: VALID" "$name"
	expect_rc 0 "$name: valid with --chain $(basename "$chain")" \
		snp "$rep" --vcek "$vcek" --chain "$chain" --now "$now" "${dbg[@]}"
	expect_rc 0 "$name: --json" snp "$rep" --vcek "$vcek" --now "$now" --json "${dbg[@]}"
	check "$name: --json says valid, $product, $key, its measurement and reported TCB $tcb" \
		python3 - "$OUT" "$product" "$key" "$meas" "$tcb" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["report"]
assert j["valid"] is True and j["reasons"] == [], j
assert j["type"] == "snp"
assert r["product"] == sys.argv[2], r["product"]
assert r["signing_key"] == sys.argv[3], r["signing_key"]
assert r["measurement"] == sys.argv[4], r["measurement"]
if sys.argv[5] != "-":
    bl, tee, snp, uc = map(int, sys.argv[5].split())
    t = r["reported_tcb"]
    assert (t["bootloader"], t["tee"], t["snp"], t["microcode"]) == (bl, tee, snp, uc), t
for k in ("version", "policy", "vmpl", "report_data", "host_data", "chip_id"):
    assert k in r, k
assert len(r["report_data"]) == 128 and len(r["chip_id"]) == 128 and len(r["host_data"]) == 64
EOF
done

section "facts of the virtee Milan report as SOURCES.md states them"
expect_rc 0 "virtee --json" snp "$S/virtee-sev-milan/report_milan.derived.bin" \
	--vcek "$S/virtee-sev-milan/vcek_milan.der" --now 2024-01-01T00:00:00Z --json
check "virtee: version 2, policy 0x30000 (smt), vmpl 0, REPORT_DATA, CHIP_ID, TCB raw, firmware 1.52 build 4" \
	python3 - "$OUT" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["report"]
assert r["version"] == 2
assert r["policy"] == {"raw": "0x30000", "abi_major": 0, "abi_minor": 0, "flags": ["smt"]}, r["policy"]
assert r["vmpl"] == 0
assert r["report_data"] == "d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd"
assert r["chip_id"] == "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6"
assert r["reported_tcb"]["raw"] == "7308000000000003"
assert r["firmware"] == "1.52 build 4", r["firmware"]
EOF

G=$S/go-sev-guest-milan
section "DEBUG policy (go-sev-guest report, POLICY 0xb0000): refused unless --allow-debug"
expect_rc 1 "go-sev-guest without --allow-debug" snp "$G/attestation.bin" --vcek "$G/vcek.der" \
	--now 2022-09-24T12:00:00Z
expect_stdout_line "  reason: policy: the guest allows DEBUG (policy bit 19); refused without allow_debug"
expect_stdout_match '"debug"' "the decoded policy names the debug flag"
expect_rc 0 "go-sev-guest with --allow-debug" snp "$G/attestation.bin" --vcek "$G/vcek.der" \
	--now 2022-09-24T12:00:00Z --allow-debug

section "--report-data: compared in full, zero-padded to 64 bytes"
expect_rc 0 "go-sev-guest with its nonce 0102030405" snp "$G/attestation.bin" --vcek "$G/vcek.der" \
	--now 2022-09-24T12:00:00Z --allow-debug --report-data 0102030405
expect_rc 1 "go-sev-guest with nonce 0102030406" snp "$G/attestation.bin" --vcek "$G/vcek.der" \
	--now 2022-09-24T12:00:00Z --allow-debug --report-data 0102030406
expect_stdout_line "  reason: report_data: REPORT_DATA differs from the expected 64 bytes"
expect_rc 1 "go-sev-guest with 01020304 (a prefix, zero-padded, is not its nonce)" \
	snp "$G/attestation.bin" --vcek "$G/vcek.der" --now 2022-09-24T12:00:00Z --allow-debug \
	--report-data 01020304
expect_rc 0 "virtee with its full 64-byte REPORT_DATA" snp "$S/virtee-sev-milan/report_milan.derived.bin" \
	--vcek "$S/virtee-sev-milan/vcek_milan.der" --now 2024-01-01T00:00:00Z \
	--report-data d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd

section "certificate validity at --now"
expect_rc 1 "VLEK after its notAfter (2025-12-10)" snp "$S/trustee-milan/test-vlek-report.bin" \
	--vcek "$S/trustee-milan/test-vlek.der" --now 2026-01-01T00:00:00Z
expect_stdout_match '^  reason: chain: the VLEK does not verify to an AMD root at the given time: certificate has expired \(certificate at depth 0\)$'
expect_rc 1 "VLEK before its notBefore (2024-12-10)" snp "$S/trustee-milan/test-vlek-report.bin" \
	--vcek "$S/trustee-milan/test-vlek.der" --now 2024-12-01T00:00:00Z
expect_stdout_match 'reason: chain: .*certificate is not yet valid'

M=$S/virtee-sev-milan
TR=$S/trustee-milan
section "tampered report bodies: the signature fails (exit 1)"
for off in 0x15 0x50 0x90 0x180 0x29f; do
	tamper "$M/report_milan.derived.bin" "$T/body-$off.bin" "$off" flip
	expect_rc 1 "virtee, byte $off flipped" snp "$T/body-$off.bin" --vcek "$M/vcek_milan.der" \
		--now 2024-01-01T00:00:00Z
	expect_stdout_line "  reason: signature: the report's ECDSA P-384 signature does not verify with the VCEK"
done
tamper "$TR/test-report.bin" "$T/t42.bin" 42 inc
expect_rc 1 "trustee VCEK report[42] += 1" snp "$T/t42.bin" --vcek "$TR/test-vcek.der" \
	--now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: signature: the report's ECDSA P-384 signature does not verify with the VCEK"
tamper "$TR/test-vlek-report.bin" "$T/v42.bin" 42 inc
expect_rc 1 "trustee VLEK report[42] += 1" snp "$T/v42.bin" --vcek "$TR/test-vlek.der" \
	--now 2025-06-01T00:00:00Z
expect_stdout_line "  reason: signature: the report's ECDSA P-384 signature does not verify with the VLEK"

section "tampered REPORTED_TCB (report[384] += 1): the signature and the TCB both fail"
tamper "$TR/test-report.bin" "$T/t384.bin" 384 inc
expect_rc 1 "trustee VCEK report[384] += 1" snp "$T/t384.bin" --vcek "$TR/test-vcek.der" \
	--now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: tcb: REPORTED_TCB bootloader SPL 4 differs from the VCEK's blSPL 3"
tamper "$TR/test-vlek-report.bin" "$T/v384.bin" 384 inc
expect_rc 1 "trustee VLEK report[384] += 1" snp "$T/v384.bin" --vcek "$TR/test-vlek.der" \
	--now 2025-06-01T00:00:00Z
expect_stdout_line "  reason: tcb: REPORTED_TCB bootloader SPL 5 differs from the VLEK's blSPL 4"
tamper "$M/report_milan.derived.bin" "$T/snp.bin" 0x186 set=0
expect_rc 1 "virtee REPORTED_TCB.snp = 0" snp "$T/snp.bin" --vcek "$M/vcek_milan.der" \
	--now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: tcb: REPORTED_TCB snp SPL 0 differs from the VCEK's snpSPL 8"

section "tampered CHIP_ID: the signature and the hwID binding both fail"
tamper "$M/report_milan.derived.bin" "$T/chip.bin" 0x1a0 flip
expect_rc 1 "virtee CHIP_ID[0] flipped" snp "$T/chip.bin" --vcek "$M/vcek_milan.der" \
	--now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: chip: CHIP_ID differs from the VCEK's hwID"

section "tampered signatures (exit 1)"
for off in 0x2a0 0x2a5 0x2e8 0x310 0x2d0; do
	tamper "$M/report_milan.derived.bin" "$T/sig-$off.bin" "$off" flip
	expect_rc 1 "virtee, signature byte $off flipped" snp "$T/sig-$off.bin" \
		--vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
	expect_stdout_line "  reason: signature: the report's ECDSA P-384 signature does not verify with the VCEK"
done
tamper "$M/report_milan.derived.bin" "$T/sig-rest.bin" 0x400 set=1
expect_rc 1 "virtee, the zero area after S (0x400) set to 1" snp "$T/sig-rest.bin" \
	--vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: signature: bytes 0x330..0x49f after S are not zero"

section "tampered certificates: the chain fails (exit 1)"
tamper "$M/vcek_milan.der" "$T/vcek40.der" 40 flip
expect_rc 1 "virtee vcek_der[40] ^= 0xff" snp "$M/report_milan.derived.bin" --vcek "$T/vcek40.der" \
	--now 2024-01-01T00:00:00Z
expect_stdout_match '^  reason: chain: the VCEK does not verify to an AMD root'
tamper "$TR/test-vcek.der" "$T/vcek42.der" 42 inc
expect_rc 1 "trustee vcek[42] += 1" snp "$TR/test-report.bin" --vcek "$T/vcek42.der" \
	--now 2024-01-01T00:00:00Z
expect_stdout_match '^  reason: chain: the VCEK does not verify to an AMD root'
# The VCEK's signature value (its last bytes): the certificate parses, AMD's signature fails.
len=$(stat -c %s "$M/vcek_milan.der")
tamper "$M/vcek_milan.der" "$T/vcek-sig.der" $((len - 5)) flip
expect_rc 1 "virtee VCEK signature byte flipped" snp "$M/report_milan.derived.bin" \
	--vcek "$T/vcek-sig.der" --now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: chain: the VCEK does not verify to an AMD root at the given time: certificate signature failure (certificate at depth 0)"

section "wrong issuers and keys"
expect_rc 1 "VCEK with --chain ASVK+ARK (upstream: the ASVK must not issue a VCEK)" \
	snp "$TR/test-report.bin" --vcek "$TR/test-vcek.der" --chain "$T/milan_asvk_ark.pem" \
	--now 2024-01-01T00:00:00Z
expect_stdout_match '^  reason: chain: the VCEK does not verify to an AMD root at the given time: unable to get local issuer certificate'
expect_rc 1 "VLEK with --chain ASK+ARK" snp "$TR/test-vlek-report.bin" --vcek "$TR/test-vlek.der" \
	--chain "$T/milan_ask_ark.pem" --now 2025-06-01T00:00:00Z
expect_stdout_match '^  reason: chain: the VLEK does not verify to an AMD root'
expect_rc 1 "VCEK with --chain ARK only" snp "$TR/test-report.bin" --vcek "$TR/test-vcek.der" \
	--chain "$T/milan_ark_only.pem" --now 2024-01-01T00:00:00Z
expect_stdout_match '^  reason: chain: '
expect_rc 1 "Milan VCEK report checked with the Genoa VCEK" snp "$TR/test-report.bin" \
	--vcek "$S/trustee-genoa-e2e/vcek_genoa.derived.der" --now 2025-06-01T00:00:00Z
expect_stdout_line "  reason: signature: the report's ECDSA P-384 signature does not verify with the VCEK"
expect_rc 1 "VLEK report with a VCEK (SIGNING_KEY says VLEK)" snp "$TR/test-vlek-report.bin" \
	--vcek "$TR/test-vcek.der" --now 2025-06-01T00:00:00Z
expect_stdout_line "  reason: signature: the report names the VLEK as its signing key but the certificate is a VCEK"
# An attacker's own hierarchy named like AMD's (ARK-Milan -> SEV-Milan -> SEV-VCEK, the real
# VCEK's extensions copied), and the virtee report re-signed with the attacker's P-384 key: the
# report's signature verifies, but --chain may bring intermediates, never a trust anchor.
python3 - "$M/report_milan.derived.bin" "$M/vcek_milan.der" "$T" <<'PY'
import datetime, sys, warnings
warnings.simplefilter("ignore")  # the real VCEK has serial number 0 (SOURCES.md)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
report = bytearray(open(sys.argv[1], "rb").read())
real = x509.load_der_x509_certificate(open(sys.argv[2], "rb").read())
out = sys.argv[3]
def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Advanced Micro Devices"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
t0 = datetime.datetime(2020, 1, 1)
t1 = datetime.datetime(2040, 1, 1)
def cert(subject, issuer, pub, key, ca, exts=()):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(pub).serial_number(x509.random_serial_number())
         .not_valid_before(t0).not_valid_after(t1))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    for e in exts:
        b = b.add_extension(e.value, critical=False)
    return b.sign(key, hashes.SHA384())
ark_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ask_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
vcek_key = ec.generate_private_key(ec.SECP384R1())
ark = cert("ARK-Milan", "ARK-Milan", ark_key.public_key(), ark_key, True)
ask = cert("SEV-Milan", "ARK-Milan", ask_key.public_key(), ark_key, True)
amd = [e for e in real.extensions if e.oid.dotted_string.startswith("1.3.6.1.4.1.3704.")]
vcek = cert("SEV-VCEK", "SEV-Milan", vcek_key.public_key(), ask_key, False, amd)
r, s = decode_dss_signature(vcek_key.sign(bytes(report[:0x2a0]), ec.ECDSA(hashes.SHA384())))
report[0x2a0:0x4a0] = r.to_bytes(72, "little") + s.to_bytes(72, "little") + bytes(0x4a0 - 0x330)
open(out + "/forged.bin", "wb").write(report)
open(out + "/forged-vcek.der", "wb").write(vcek.public_bytes(serialization.Encoding.DER))
pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
open(out + "/forged-chain.pem", "w").write(pem(ask) + pem(ark))
PY
expect_rc 1 "a forged hierarchy: the forged ASK+ARK as --chain" snp "$T/forged.bin" \
	--vcek "$T/forged-vcek.der" --chain "$T/forged-chain.pem" --now 2024-01-01T00:00:00Z
expect_stdout_nomatch 'reason: signature' "the forged report's own signature verifies"
expect_stdout_line "  reason: chain: the VCEK does not verify to an AMD root at the given time: self-signed certificate in certificate chain (certificate at depth 2)"
expect_rc 1 "a forged hierarchy with the built-in roots" snp "$T/forged.bin" \
	--vcek "$T/forged-vcek.der" --now 2024-01-01T00:00:00Z
expect_stdout_nomatch 'reason: (signature|tcb|chip)' "only the chain fails"
expect_stdout_match '^  reason: chain: the VCEK does not verify to an AMD root at the given time: unable to get local issuer certificate'
expect_rc 1 "no --vcek: the signature cannot be checked" snp "$TR/test-report.bin" \
	--now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: signature: no VCEK certificate was given to check the report's signature with"

section "signer info: SIGNING_KEY 7 (none) is a verdict; reserved bits are malformed"
tamper "$M/report_milan.derived.bin" "$T/nokey.bin" 0x48 set=0x1c
expect_rc 1 "SIGNING_KEY = 7" snp "$T/nokey.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: signature: SIGNING_KEY 7: the report is not signed by a VCEK or VLEK"
tamper "$M/report_milan.derived.bin" "$T/mask.bin" 0x48 set=0x02
expect_rc 1 "MASK_CHIP_KEY set" snp "$T/mask.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stdout_line "  reason: signature: MASK_CHIP_KEY is set: the firmware did not sign the report"
tamper "$M/report_milan.derived.bin" "$T/rsv.bin" 0x48 set=0x20
expect_rc 2 "signer info bit 5 set" snp "$T/rsv.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stderr_match 'offset 0x48: reserved signer-info bits set \(0x20\)'

section "structure broken: exit 2"
tamper "$M/report_milan.derived.bin" "$T/v1.bin" 0 set=1
expect_rc 2 "VERSION 1" snp "$T/v1.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stderr_match 'offset 0x0: VERSION 1, expected 2\.\.5'
tamper "$M/report_milan.derived.bin" "$T/v256.bin" 1 set=1
expect_rc 2 "VERSION 258" snp "$T/v256.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
tamper "$M/report_milan.derived.bin" "$T/pol17.bin" 0x0a set=0x01
expect_rc 2 "POLICY bit 17 clear" snp "$T/pol17.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stderr_match 'offset 0x8: POLICY bit 17 is clear'
tamper "$M/report_milan.derived.bin" "$T/algo.bin" 0x34 set=2
expect_rc 2 "SIGNATURE_ALGO 2" snp "$T/algo.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stderr_match 'offset 0x34: SIGNATURE_ALGO 2, expected 1'
for n in 0 1 671 672 1183; do
	tamper "$M/report_milan.derived.bin" "$T/trunc-$n.bin" "$n" truncate
	expect_rc 2 "truncated to $n bytes" snp "$T/trunc-$n.bin" --vcek "$M/vcek_milan.der" \
		--now 2024-01-01T00:00:00Z
	expect_stderr_match "snp report: $n bytes, expected 1184"
done
tamper "$M/report_milan.derived.bin" "$T/long.bin" 1 extend
expect_rc 2 "one byte appended" snp "$T/long.bin" --vcek "$M/vcek_milan.der" --now 2024-01-01T00:00:00Z
expect_stderr_match "snp report: 1185 bytes, expected 1184"
expect_rc 2 "the hex form is not the report" snp "$M/report_milan.hex" --vcek "$M/vcek_milan.der" \
	--now 2024-01-01T00:00:00Z
tamper "$M/vcek_milan.der" "$T/vcek-short.der" 1000 truncate
expect_rc 2 "a truncated VCEK" snp "$M/report_milan.derived.bin" --vcek "$T/vcek-short.der" \
	--now 2024-01-01T00:00:00Z
expect_stderr_match 'vcek: not one DER certificate'
tamper "$M/vcek_milan.der" "$T/vcek-long.der" 1 extend
expect_rc 2 "a VCEK with a byte after it" snp "$M/report_milan.derived.bin" --vcek "$T/vcek-long.der" \
	--now 2024-01-01T00:00:00Z
expect_stderr_match 'vcek: not one DER certificate'
# The CLI takes the VCEK as PEM too (converted to DER before the library sees it): the same
# verdict as with DER, for a report it signed and for one it did not.
openssl x509 -inform der -in "$M/vcek_milan.der" -out "$T/vcek_milan.pem"
expect_rc 0 "the VCEK as PEM" snp "$M/report_milan.derived.bin" --vcek "$T/vcek_milan.pem" \
	--now 2024-01-01T00:00:00Z
expect_rc 1 "a PEM VCEK of another chip: refused as with DER" snp "$S/trustee-milan/test-report.bin" \
	--vcek "$T/azg_vcek.pem" --now 2024-01-01T00:00:00Z
echo "-----BEGIN CERTIFICATE-----" >"$T/bad.pem"
expect_rc 2 "a PEM --vcek that is not a certificate" snp "$M/report_milan.derived.bin" \
	--vcek "$T/bad.pem" --now 2024-01-01T00:00:00Z
expect_stderr_match 'vcek: not a PEM certificate'
echo junk >"$T/junk.pem"
expect_rc 2 "a --chain without a certificate" snp "$TR/test-report.bin" --vcek "$TR/test-vcek.der" \
	--chain "$T/junk.pem" --now 2024-01-01T00:00:00Z
expect_stderr_match 'chain: no PEM certificate'

finish
