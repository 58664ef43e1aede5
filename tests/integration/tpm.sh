#!/usr/bin/env bash
# The TPM backend (src/attest/tpm.c) against a swtpm of the test's own, through tpmtool.c:
# PCR 16 and 23 extended in the sha1 and sha256 banks read back as openssl computes them and as
# tpm2_pcrread reads them; the attestation key created once (owner-only file), loaded again,
# after a restart of the TPM too, and refused when its file is open to others or damaged; a
# quote over a nonce that tpm2_checkquote (tpm2-tools) and `ward report verify --type tpm`
# accept, and refuse with another nonce, other PCR values or a flipped byte; exact errnos for
# what the TPM or ward refuses; no transient object left behind in a TPM with no resource
# manager.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=tpm-lib.sh
. "$(dirname "$0")/tpm-lib.sh"
require_cmd tpm2_pcrread tpm2_checkquote tpm2_getcap tpm2_print openssl xxd python3

TT=${WARD_TPMTOOL:?WARD_TPMTOOL must name ward-test-tpmtool (run through meson test)}

# extend_hex OLD DIGEST ALG: the PCR value after extending OLD with DIGEST (hex), per openssl.
extend_hex() {
	printf '%s%s' "$1" "$2" | xxd -r -p | openssl dgst "-$3" -r | cut -d' ' -f1
}
digest_hex() { openssl dgst "-$2" -r "$1" | cut -d' ' -f1; }
zeros() { head -c "$1" /dev/zero | xxd -p -c 256; }
# pcrread_hex PCR ALG: the value as tpm2-tools reads it, lower-case hex.
pcrread_hex() {
	tpm2_pcrread "$2:$1" | awk -v p="$1:" '$1 == p { print tolower(substr($2, 3)) }'
}
# flip SRC DST OFFSET: DST = SRC with the byte at OFFSET (negative: from the end) xor 0x01.
flip() {
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[3])] ^= 1; open(sys.argv[2], "wb").write(b)' "$@"
}
transient_handles() { tpm2_getcap handles-transient | grep -c '^- ' || true; }

tpm_start swtpm

section "the swtpm's sockets are the owner's only"
expect_eq "$(stat -c %a "$TPM_DIR/swtpm.sock")" 600 "command socket mode"
expect_eq "$(stat -c %a "$TPM_DIR/swtpm.sock.ctrl")" 600 "control socket mode"

section "active banks"
expect_rc 0 "tpmtool banks" "$TT" banks
expect_stdout_line sha1
expect_stdout_line sha256

section "extend PCR 16 in sha1 and sha256, read back"
printf 'ward event one\n' >"$T/ev1"
printf 'ward event two\n' >"$T/ev2"
expect_rc 0 "reset PCR 16" "$TT" reset 16
run "$TT" read 16 sha256
expect_eq "$(cat "$OUT")" "$(zeros 32)" "PCR 16 sha256 after reset"
want1=$(zeros 20) want256=$(zeros 32)
for ev in "$T/ev1" "$T/ev2"; do
	d1=$(digest_hex "$ev" sha1) d256=$(digest_hex "$ev" sha256)
	expect_rc 0 "extend PCR 16 with $(basename "$ev")" "$TT" extend 16 "sha1=$d1" "sha256=$d256"
	want1=$(extend_hex "$want1" "$d1" sha1)
	want256=$(extend_hex "$want256" "$d256" sha256)
	run "$TT" read 16 sha1
	expect_eq "$(cat "$OUT")" "$want1" "PCR 16 sha1 = sha1(old || digest)"
	run "$TT" read 16 sha256
	expect_eq "$(cat "$OUT")" "$want256" "PCR 16 sha256 = sha256(old || digest)"
done
expect_eq "$(pcrread_hex 16 sha1)" "$want1" "tpm2_pcrread reads the same PCR 16 sha1"
expect_eq "$(pcrread_hex 16 sha256)" "$want256" "tpm2_pcrread reads the same PCR 16 sha256"
run "$TT" read 16 sha384
expect_eq "$(cat "$OUT")" "$(zeros 48)" "the sha384 bank, not extended, keeps its value"

section "PCR 23, sha256 bank only"
expect_rc 0 "reset PCR 23" "$TT" reset 23
d256=$(digest_hex "$T/ev1" sha256)
expect_rc 0 "extend PCR 23 (sha256 only)" "$TT" extend 23 "sha256=$d256"
run "$TT" read 23 sha256
expect_eq "$(cat "$OUT")" "$(extend_hex "$(zeros 32)" "$d256" sha256)" "PCR 23 sha256"
run "$TT" read 23 sha1
expect_eq "$(cat "$OUT")" "$(zeros 20)" "PCR 23 sha1 untouched"

section "what the TPM or ward refuses"
expect_rc 1 "PCR 10 cannot be reset at locality 0" "$TT" reset 10
expect_stderr_match '^tpmtool: reset: EPERM: TPM: TPM2_PCR_Reset: .*locality'
expect_rc 1 "PCR 24 does not exist" "$TT" extend 24 "sha256=$d256"
expect_stderr_match '^tpmtool: extend: EINVAL: '
expect_rc 1 "a TCTI nothing listens on" env WARD_TPM_TCTI="swtpm:path=$T/none.sock" "$TT" banks
expect_stderr_line "tpmtool: open: EIO: TPM: cannot open TCTI 'swtpm:path=$T/none.sock': tcti:IO failure (0xa000a)"
# tss2 logs "WARNING:tcti:..." and "ERROR:tcti:..." lines to stderr unless told not to.
check "tss2 prints nothing of its own on a failure" \
	test "$(grep -c -E '^(WARNING|ERROR):' "$ERR" || true)" = 0
expect_rc 1 "a TCTI that does not exist" env WARD_TPM_TCTI="nosuchtcti:x" "$TT" banks
expect_stderr_match '^tpmtool: open: EOPNOTSUPP: '
expect_rc 1 "no TCTI" env WARD_TPM_TCTI= "$TT" banks
expect_stderr_match '^tpmtool: open: EINVAL: '

section "attestation key: created once, owner-only, loaded again"
S=$T/state
mkdir -m 0700 "$S"
expect_rc 0 "first use creates the AK" "$TT" ak "$S" "$T/ak.pem"
expect_stdout_line created
expect_eq "$(stat -c %a "$S/tpm-ak.key")" 600 "the key file (auth value + blob) is mode 0600"
expect_rc 0 "second use loads it" "$TT" ak "$S" "$T/ak2.pem"
expect_stdout_line loaded
check "the same key both times" cmp "$T/ak.pem" "$T/ak2.pem"
run openssl pkey -pubin -in "$T/ak.pem" -noout -text
expect_stdout_match 'prime256v1|P-256' "the AK is an ECC P-256 key"
# A restart of the TPM (TPM2_Startup(CLEAR), PCRs reset, transient objects gone): the key
# comes back from the state dir alone.
tpm_stop
tpm_start swtpm
expect_rc 0 "after a TPM restart the AK loads" "$TT" ak "$S" "$T/ak3.pem"
expect_stdout_line loaded
check "and is the same key" cmp "$T/ak.pem" "$T/ak3.pem"

section "a key file others can read, or a damaged one, is refused"
cp -a "$S" "$T/s-open" && chmod 0644 "$T/s-open/tpm-ak.key"
expect_rc 1 "group/other-readable key file" "$TT" ak "$T/s-open"
expect_stderr_match '^tpmtool: ak: EPERM: tpm-ak.key must be .*mode 0600 \(is 0644\)'
cp -a "$S" "$T/s-trunc" && truncate -s 100 "$T/s-trunc/tpm-ak.key"
expect_rc 1 "truncated key file" "$TT" ak "$T/s-trunc"
expect_stderr_line "tpmtool: ak: EBADMSG: tpm-ak.key: damaged at offset 40"
cp -a "$S" "$T/s-blob"
flip "$S/tpm-ak.key" "$T/s-blob/tpm-ak.key" -5
expect_rc 1 "a flipped byte in the wrapped private part" "$TT" ak "$T/s-blob"
expect_stderr_match '^tpmtool: ak: EBADMSG: TPM: TPM2_Load.*integrity'
cp -a "$S" "$T/s-auth"
flip "$S/tpm-ak.key" "$T/s-auth/tpm-ak.key" 10
expect_rc 1 "a wrong auth value: the TPM refuses to sign" "$TT" quote "$T/s-auth" 00 sha256:16 "$T/x"
expect_stderr_match '^tpmtool: quote: EACCES: TPM: TPM2_Quote: .*authorization failure'
cp -a "$S" "$T/s-magic"
flip "$S/tpm-ak.key" "$T/s-magic/tpm-ak.key" 0
expect_rc 1 "not a ward key file" "$TT" ak "$T/s-magic"
expect_stderr_line "tpmtool: ak: EBADMSG: tpm-ak.key: not a ward TPM key file"

section "quote over a nonce, cross-checked with tpm2_checkquote"
d1=$(digest_hex "$T/ev1" sha1) d256=$(digest_hex "$T/ev1" sha256)
expect_rc 0 "extend PCR 16 after the restart" "$TT" extend 16 "sha1=$d1" "sha256=$d256"
NONCE=$(head -c 32 /dev/urandom | xxd -p -c 64)
SEL=sha1:16+sha256:16,23
Q=$T/q
expect_rc 0 "quote" "$TT" quote "$S" "$NONCE" "$SEL" "$Q"
check "the quote's key is the AK" cmp "$T/ak.pem" "$Q.pem"
expect_eq "$(xxd -p -c 256 "$Q.pcrs")" \
	"$(extend_hex "$(zeros 20)" "$d1" sha1)$(extend_hex "$(zeros 32)" "$d256" sha256)$(zeros 32)" \
	"the quoted PCRs: 16 (sha1), 16 and 23 (sha256)"
run tpm2_print -t TPMS_ATTEST "$Q.attest"
expect_stdout_match '^magic: ff544347' "TPMS_ATTEST: TPM_GENERATED_VALUE"
expect_stdout_match "^extraData: $NONCE\$" "TPMS_ATTEST: extraData is the nonce"
run tpm2_print -t TPMT_PUBLIC "$Q.public"
expect_stdout_match 'ecc' "TPMT_PUBLIC: an ECC key"
expect_rc 0 "tpm2_checkquote accepts ward's quote" \
	tpm2_checkquote -u "$Q.pem" -m "$Q.attest" -s "$Q.sig" -f "$Q.pcrs" -l "$SEL" -q "$NONCE" -g sha256
other=$(head -c 32 /dev/urandom | xxd -p -c 64)
expect_nonzero "tpm2_checkquote refuses another nonce" \
	tpm2_checkquote -u "$Q.pem" -m "$Q.attest" -s "$Q.sig" -f "$Q.pcrs" -l "$SEL" -q "$other" -g sha256
flip "$Q.pcrs" "$T/bad.pcrs" 3
expect_nonzero "tpm2_checkquote refuses other PCR values" \
	tpm2_checkquote -u "$Q.pem" -m "$Q.attest" -s "$Q.sig" -f "$T/bad.pcrs" -l "$SEL" -q "$NONCE" -g sha256
flip "$Q.attest" "$T/bad.attest" -1
expect_nonzero "tpm2_checkquote refuses a flipped byte of TPMS_ATTEST" \
	tpm2_checkquote -u "$Q.pem" -m "$T/bad.attest" -s "$Q.sig" -f "$Q.pcrs" -l "$SEL" -q "$NONCE" -g sha256
flip "$Q.sig" "$T/bad.sig" -1
expect_nonzero "tpm2_checkquote refuses a flipped byte of the signature" \
	tpm2_checkquote -u "$Q.pem" -m "$Q.attest" -s "$T/bad.sig" -f "$Q.pcrs" -l "$SEL" -q "$NONCE" -g sha256
# ward's own verifier (src/verify/report-tpm.c) on the same files: the TPMT_PUBLIC as --ak.
expect_rc 0 "ward report verify --type tpm accepts the quote" \
	"$WARD" report verify --type tpm "$Q.attest" --sig "$Q.sig" --ak "$Q.public" --nonce "$NONCE"
expect_stdout_line "verdict: VALID"
expect_rc 1 "ward report verify --type tpm refuses another nonce" \
	"$WARD" report verify --type tpm "$Q.attest" --sig "$Q.sig" --ak "$Q.public" --nonce "$other"
expect_stdout_match "reason: extraData does not match the nonce $other"
expect_rc 1 "a nonce of 65 bytes" "$TT" quote "$S" "$(zeros 65)" sha256:16 "$T/x"
expect_stderr_line "tpmtool: quote: EINVAL: TPM: nonce of 65 bytes, at most 64"

section "no transient object left in the TPM"
expect_eq "$(transient_handles)" 0 "transient handles after every tpmtool run"

finish
