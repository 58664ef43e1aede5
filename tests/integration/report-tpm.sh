#!/usr/bin/env bash
# `ward report verify --type tpm` on the real TPM 2.0 quotes of shared/vectors/tpm (SOURCES.md
# 4a, 4b): each verifies (exit 0) with the facts SOURCES.md states; a wrong nonce, a flipped byte
# of the quote, the signature or the key's modulus, and a key that is not a restricted signing
# key exit 1 with the precise reason; broken lengths and truncations exit 2.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3

GA=$VEC/tpm/go-attestation-windows-gcp
COS=$VEC/tpm/go-tpm-tools-gce-cos85
Q=$GA/quote.tpms_attest.derived.bin
S=$GA/quote.tpmt_signature.derived.bin
K=$GA/ak_pub.tpmt_public.derived.bin

# copy_set SRC DST OFFSET HEX: DST = SRC with the bytes at OFFSET set to HEX.
copy_set() {
	python3 - "$@" <<'EOF'
import sys
src, dst, off, hexs = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), sys.argv[4]
b = bytearray(open(src, "rb").read())
new = bytes.fromhex(hexs)
assert off + len(new) <= len(b)
b[off:off + len(new)] = new
open(dst, "wb").write(b)
EOF
}

# copy_xor SRC DST OFFSET: DST = SRC with the byte at OFFSET (negative: from the end) xor 0x01.
copy_xor() {
	python3 - "$@" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3], 0)] ^= 1
open(sys.argv[2], "wb").write(b)
EOF
}

# verify Q S K [ARGS...]
# shellcheck disable=SC2317 # called through expect_rc
verify() {
	local q=$1 s=$2 k=$3
	shift 3
	"$WARD" report verify --type tpm "$q" --sig "$s" --ak "$k" "$@"
}

section "4a: go-attestation GCE Shielded VM (Windows) quote"
expect_rc 0 "quote verifies" verify "$Q" "$S" "$K"
expect_stdout_line "verdict: VALID"
expect_rc 0 "quote verifies (--json)" verify "$Q" "$S" "$K" --json
check "facts: type quote, empty extraData, SHA-1 PCR 0-23, pcrDigest, RSASSA/SHA-1, RSA-2048, AK name" \
	python3 - "$OUT" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["report"]
assert j["valid"] is True and j["reasons"] == [], j
assert r["magic_ok"] is True and r["type"] == "quote", r
assert r["extra_data"] == "", r
assert r["pcr_selection"] == {"sha1": list(range(24))}, r["pcr_selection"]
assert r["pcr_digest"] == "a610f27bc687ce906243287d832706036e79f6e1", r["pcr_digest"]
assert (r["signature_scheme"], r["signature_hash"]) == ("rsassa", "sha1"), r
assert r["key_type"] == "rsa-2048" and r["key_name_alg"] == "sha256", r
assert r["key_name"] == "000b4ce9b151f75089d74c15dabe9d520cffafbcafd5d43be0aad2e2d88d54717e2e", r
EOF
check "pcrDigest == SHA-1(PCR0..23 of pcrs_sha1.derived.json)" python3 - "$OUT" "$GA/pcrs_sha1.derived.json" <<'EOF'
import hashlib, json, sys
r = json.load(open(sys.argv[1]))["report"]
p = json.load(open(sys.argv[2]))["pcrs"]
d = hashlib.sha1(b"".join(bytes.fromhex(p[str(i)]) for i in range(24))).hexdigest()
assert d == r["pcr_digest"], (d, r["pcr_digest"])
EOF

section "4a: tampered copies"
expect_rc 1 "a nonce the quote does not carry" verify "$Q" "$S" "$K" --nonce 9009
expect_stdout_line "  reason: extraData does not match the nonce 9009"
copy_xor "$Q" "$T/q-last" -1
expect_rc 1 "last byte of TPMS_ATTEST flipped (SOURCES.md tamper)" verify "$T/q-last" "$S" "$K"
expect_stdout_line "  reason: the signature does not verify with the attestation key"
copy_xor "$Q" "$T/q-clock" 0x30
expect_rc 1 "clock flipped" verify "$T/q-clock" "$S" "$K"
expect_stdout_line "  reason: the signature does not verify with the attestation key"
copy_set "$Q" "$T/q-magic" 0 ff544348
expect_rc 1 "magic changed" verify "$T/q-magic" "$S" "$K"
expect_stdout_line "  reason: magic is 0xff544348, not TPM_GENERATED_VALUE (0xff544347): the TPM did not produce this structure"
expect_stdout_line "  reason: the signature does not verify with the attestation key"
copy_xor "$S" "$T/s-flip" 100
expect_rc 1 "signature byte flipped" verify "$Q" "$T/s-flip" "$K"
expect_stdout_line "  reason: the signature does not verify with the attestation key"
copy_set "$S" "$T/s-hash" 2 000b
expect_rc 1 "signature hash changed to SHA-256" verify "$Q" "$T/s-hash" "$K"
expect_stdout_line "  reason: signature scheme rsassa/sha256 is not the attestation key's scheme rsassa/sha1"
copy_xor "$K" "$T/k-mod" 200
expect_rc 1 "AK modulus byte flipped" verify "$Q" "$S" "$T/k-mod"
expect_stdout_line "  reason: the signature does not verify with the attestation key"
copy_set "$K" "$T/k-unrestricted" 4 0004
expect_rc 1 "AK without the restricted attribute" verify "$Q" "$S" "$T/k-unrestricted"
expect_stdout_line "  reason: the attestation key is not a restricted signing key (objectAttributes 0x00040472)"
expect_rc 1 "the AK's certify-creation attestation (type 0x801a) is not a quote" \
	verify "$GA/ak_certify_creation.tpms_attest.derived.bin" \
	"$GA/ak_certify_creation.tpmt_signature.derived.bin" "$K"
expect_stdout_line "  reason: type is 0x801a, not TPM_ST_ATTEST_QUOTE (0x8018)"

section "4a: broken structure (exit 2)"
copy_set "$Q" "$T/q-len" 0x4f 0015
expect_rc 2 "pcrDigest size past the end" verify "$T/q-len" "$S" "$K"
expect_stderr_match "TPMS_ATTEST: pcrDigest at offset 81: 21 bytes needed, 20 left"
copy_set "$Q" "$T/q-signer" 6 00ff
expect_rc 2 "qualifiedSigner size over the limit" verify "$T/q-signer" "$S" "$K"
expect_stderr_match "TPMS_ATTEST: qualifiedSigner at offset 6: size 255 exceeds 66"
copy_set "$S" "$T/s-len" 4 0101
expect_rc 2 "signature size past the end" verify "$Q" "$T/s-len" "$K"
expect_stderr_match "TPMT_SIGNATURE: sig at offset 6: 257 bytes needed, 256 left"
copy_set "$K" "$T/k-bits" 0x30 0400
expect_rc 2 "AK keyBits that disagree with the modulus" verify "$Q" "$S" "$T/k-bits"
expect_stderr_match "TPMT_PUBLIC: keyBits 1024 but a 256-byte modulus"
{ cat "$Q"; printf '\0'; } >"$T/q-trailing"
expect_rc 2 "a trailing byte" verify "$T/q-trailing" "$S" "$K"
expect_stderr_match "TPMS_ATTEST: 1 trailing bytes at offset 101"
for f in Q S K; do
	src=${!f}
	size=$(stat -c %s "$src")
	for n in 0 1 $((size / 2)) $((size - 1)); do
		head -c "$n" "$src" >"$T/trunc"
		case $f in
		Q) expect_rc 2 "TPMS_ATTEST truncated to $n bytes" verify "$T/trunc" "$S" "$K" ;;
		S) expect_rc 2 "TPMT_SIGNATURE truncated to $n bytes" verify "$Q" "$T/trunc" "$K" ;;
		K) expect_rc 2 "TPMT_PUBLIC truncated to $n bytes" verify "$Q" "$S" "$T/trunc" ;;
		esac
		expect_stderr_match "malformed: TPM(S_ATTEST|T_SIGNATURE|T_PUBLIC): .* (bytes needed|trailing)"
	done
done
expect_rc 2 "no --sig / --ak" "$WARD" report verify --type tpm "$Q"
expect_rc 2 "--report-data is refused, not ignored" verify "$Q" "$S" "$K" --report-data 00
expect_stderr_match "a TPM quote has no report data"

section "4b: go-tpm-tools GCE COS-85 quotes (three banks, with and without nonce)"
for name in nonce9009 no-nonce; do
	python3 - "$COS/gce-cos-85-$name.expanded.derived.json" "$T/$name" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
open(sys.argv[2] + ".ak", "wb").write(bytes.fromhex(j["ak_pub_tpmt_public"]))
open(sys.argv[2] + ".nonce", "w").write(j["nonce_hex"])
for q in j["quotes"]:
    base = "%s.%s" % (sys.argv[2], q["bank"])
    open(base + ".attest", "wb").write(bytes.fromhex(q["tpms_attest"]))
    open(base + ".sig", "wb").write(bytes.fromhex(q["tpmt_signature"]))
    open(base + ".pcrs", "wb").write(b"".join(bytes.fromhex(q["pcrs"][str(i)]) for i in range(24)))
EOF
	nonce=$(cat "$T/$name.nonce")
	for bank in sha1 sha256 sha384; do
		b=$T/$name.$bank
		if [[ -n $nonce ]]; then
			expect_rc 0 "$name $bank quote verifies with nonce $nonce" \
				verify "$b.attest" "$b.sig" "$T/$name.ak" --nonce "$nonce" --json
		else
			expect_rc 0 "$name $bank quote verifies" verify "$b.attest" "$b.sig" "$T/$name.ak" --json
		fi
		check "$name $bank: extraData, $bank PCR 0-23, pcrDigest == SHA-256(the bank's PCRs)" \
			python3 - "$OUT" "$nonce" "$bank" "$b.pcrs" <<'EOF'
import hashlib, json, sys
r = json.load(open(sys.argv[1]))["report"]
assert r["extra_data"] == sys.argv[2], r["extra_data"]
assert r["pcr_selection"] == {sys.argv[3]: list(range(24))}, r["pcr_selection"]
assert r["pcr_digest"] == hashlib.sha256(open(sys.argv[4], "rb").read()).hexdigest(), r["pcr_digest"]
assert r["key_name"] == "000bf175bdb57297b2b289973f819863d6c9d09c236725676914f4248c9a2404c2a4", r
EOF
		expect_rc 1 "$name $bank quote with the wrong nonce 9008" \
			verify "$b.attest" "$b.sig" "$T/$name.ak" --nonce 9008
		expect_stdout_line "  reason: extraData does not match the nonce 9008"
	done
done

finish
