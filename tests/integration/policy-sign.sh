#!/usr/bin/env bash
# Policy signatures as an issuer and a verifier use them: ward policy keygen (modes whatever the
# umask, the key id recomputed with openssl, no overwrite without --force), ward policy sign
# (only a policy naming the key as its issuer) and ward policy verify, whose exit status is 0
# good, 1 bad signature or another issuer, 2 a malformed or missing file. Cross-checked both
# ways with openssl pkeyutl, which knows nothing of ward.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3 openssl

K=$T/keys
mkdir -p "$K"

# key_id PUB: "ed25519:" and the sha256 of the raw 32-byte public key, computed by openssl (the
# last 32 bytes of the SubjectPublicKeyInfo DER are the raw key).
key_id() {
	printf 'ed25519:%s\n' "$(openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | sha256sum | cut -d' ' -f1)"
}

# make_policy OUT [ISSUER]: an allowlist of /usr/bin/true naming ISSUER (none when empty).
make_policy() {
	"$WARD" policy scan /usr/bin/true -o "$1.scan" 2>/dev/null
	python3 - "$1.scan" "$1" "${2:-}" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
if sys.argv[3]:
    p["issuer"] = sys.argv[3]
with open(sys.argv[2], "w") as f:
    json.dump(p, f, indent=1)
    f.write("\n")
EOF
	rm -f "$1.scan"
}

# flip_byte FILE OFFSET: xor one byte of FILE with 0x01, in place.
flip_byte() {
	python3 - "$1" "$2" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2])] ^= 1
open(sys.argv[1], "wb").write(bytes(b))
EOF
}

mode() { stat -c %a "$1"; }

section "keygen: a PKCS#8 private key 0600, a SubjectPublicKeyInfo public key 0644, the id"
expect_rc 0 "keygen -o KEY" "$WARD" policy keygen -o "$K/issuer"
ID=$(cat "$OUT")
expect_stdout_match '^ed25519:[0-9a-f]{64}$' "keygen prints the key id"
expect_eq "$(wc -l <"$OUT")" 1 "keygen prints one line"
expect_eq "$(mode "$K/issuer")" 600 "private key mode"
expect_eq "$(mode "$K/issuer.pub")" 644 "public key mode"
expect_eq "$(head -1 "$K/issuer")" "-----BEGIN PRIVATE KEY-----" "private key is PKCS#8 PEM"
expect_eq "$(head -1 "$K/issuer.pub")" "-----BEGIN PUBLIC KEY-----" "public key is SubjectPublicKeyInfo PEM"
expect_eq "$(openssl pkey -in "$K/issuer" -noout -text 2>&1 | head -1)" "ED25519 Private-Key:" \
	"openssl reads the private key as Ed25519"
expect_eq "$(key_id "$K/issuer.pub")" "$ID" "the printed id is the sha256 of the raw public key (openssl)"
check "KEY.pub is the public half of KEY" \
	cmp <(openssl pkey -in "$K/issuer" -pubout) "$K/issuer.pub"
for u in 000 077 027; do
	expect_rc 0 "keygen under umask $u" bash -c "umask $u && exec \"\$0\" policy keygen -o \"\$1\"" \
		"$WARD" "$K/umask$u"
	expect_eq "$(mode "$K/umask$u") $(mode "$K/umask$u.pub")" "600 644" "umask $u: modes 600 644"
done
expect_rc 0 "a second keygen" "$WARD" policy keygen -o "$K/other"
ID2=$(cat "$OUT")
check "two keys, two ids" test "$ID" != "$ID2"

section "keygen: no overwrite without --force; --force replaces both halves"
cp -p "$K/issuer" "$K/issuer.bak"
cp -p "$K/issuer.pub" "$K/issuer.pub.bak"
expect_rc 2 "keygen onto an existing KEY" "$WARD" policy keygen -o "$K/issuer"
expect_stderr_match 'force' "the refusal mentions --force"
check "KEY unchanged" cmp "$K/issuer" "$K/issuer.bak"
check "KEY.pub unchanged" cmp "$K/issuer.pub" "$K/issuer.pub.bak"
: >"$K/lonely.pub"
expect_rc 2 "keygen where only KEY.pub exists" "$WARD" policy keygen -o "$K/lonely"
check "no private key left behind when KEY.pub exists" test ! -e "$K/lonely"
check "the existing KEY.pub is untouched" test ! -s "$K/lonely.pub"
ln -s "$T/elsewhere" "$K/link"
expect_rc 2 "keygen onto a dangling symlink" "$WARD" policy keygen -o "$K/link"
check "nothing written through the symlink" test ! -e "$T/elsewhere"
expect_rc 2 "keygen into a missing directory" "$WARD" policy keygen -o "$K/no/such/key"
cp -p "$K/other" "$K/forced"
cp -p "$K/other.pub" "$K/forced.pub"
chmod 0644 "$K/forced"
expect_rc 0 "keygen --force onto an existing pair" "$WARD" policy keygen -o "$K/forced" --force
IDF=$(cat "$OUT")
check "--force: a new key" test "$IDF" != "$ID2"
expect_eq "$(key_id "$K/forced.pub")" "$IDF" "--force: KEY.pub is the new key"
check "--force: KEY and KEY.pub are a pair" cmp <(openssl pkey -in "$K/forced" -pubout) "$K/forced.pub"
expect_eq "$(mode "$K/forced") $(mode "$K/forced.pub")" "600 644" "--force: modes 600 644 (the old 644 is gone)"
expect_eq "$(find "$K" -name '*.??????' | wc -l)" 0 "no temporary files left in the key dir"

section "keygen: usage"
expect_rc 2 "keygen without -o" "$WARD" policy keygen
expect_rc 2 "keygen -o -" "$WARD" policy keygen -o -
expect_rc 2 "keygen with an extra argument" "$WARD" policy keygen -o "$K/x" extra
check "no key from a usage error" test ! -e "$K/x"
for v in keygen sign verify; do
	expect_rc 0 "policy $v --help" "$WARD" policy "$v" --help
	expect_stdout_match '^Usage' "policy $v --help prints Usage"
done

section "sign: the issuer's key signs its policy"
P=$T/p.json
make_policy "$P" "$ID"
expect_rc 0 "sign --key KEY p.json" "$WARD" policy sign --key "$K/issuer" "$P"
expect_eq "$(stat -c %s "$P.sig")" 64 "p.json.sig holds 64 bytes"
expect_eq "$(mode "$P.sig")" 644 "p.json.sig mode"
# shellcheck disable=SC2016 # expanded by the inner bash
expect_rc 0 "sign under umask 077 with -o" bash -c 'umask 077 && exec "$0" policy sign --key "$1" -o "$2" "$3"' \
	"$WARD" "$K/issuer" "$T/p.sig2" "$P"
expect_eq "$(mode "$T/p.sig2")" 644 "signature mode under umask 077"
check "Ed25519 is deterministic: the same signature" cmp "$P.sig" "$T/p.sig2"
expect_rc 0 "sign -o - (standard output)" "$WARD" policy sign --key "$K/issuer" -o - "$P"
check "-o -: the 64 bytes on stdout" cmp "$OUT" "$P.sig"

section "verify: a good signature"
expect_rc 0 "verify --key KEY.pub p.json" "$WARD" policy verify --key "$K/issuer.pub" "$P"
expect_stdout_line "$P: good signature by $ID; policy scan version 1"
expect_rc 0 "verify --sig" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/p.sig2" "$P"
expect_rc 0 "verify --json" "$WARD" policy verify --key "$K/issuer.pub" --json "$P"
cp "$OUT" "$T/good.json"
check "--json: valid, issuer, name, version, digest of the file, no error" python3 - "$T/good.json" "$ID" "$(sha256_file "$P")" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
want = {"valid": True, "key": sys.argv[2], "issuer": sys.argv[2], "name": "scan", "version": 1,
        "digest": "sha256:" + sys.argv[3], "error": None}
assert j == want, j
EOF

section "cross-check with openssl pkeyutl, both ways"
expect_rc 0 "openssl verifies ward's signature" \
	openssl pkeyutl -verify -pubin -inkey "$K/issuer.pub" -rawin -in "$P" -sigfile "$P.sig"
expect_stdout_match 'Signature Verified Successfully'
expect_rc 0 "openssl signs p.json" openssl pkeyutl -sign -rawin -inkey "$K/issuer" -in "$P" -out "$T/ossl.sig"
expect_rc 0 "ward verifies openssl's signature" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/ossl.sig" "$P"
check "openssl and ward made the same signature" cmp "$T/ossl.sig" "$P.sig"
expect_nonzero "openssl rejects ward's signature under another key" \
	openssl pkeyutl -verify -pubin -inkey "$K/other.pub" -rawin -in "$P" -sigfile "$P.sig"

section "verify: a bad signature is exit 1"
cp "$P" "$T/tampered.json"
cp "$P.sig" "$T/tampered.json.sig"
# one byte inside a digest: still a valid policy, no longer the signed one
OFF=$(grep -bo '"sha256:' "$T/tampered.json" | head -1 | cut -d: -f1)
flip_byte "$T/tampered.json" $((OFF + 20))
expect_rc 0 "the tampered file is still JSON" python3 -m json.tool "$T/tampered.json"
expect_rc 1 "one byte of the file changed" "$WARD" policy verify --key "$K/issuer.pub" "$T/tampered.json"
expect_stdout_match "^$T/tampered.json: BAD signature" "the bad signature is named"
cp "$P" "$T/broken.json"
cp "$P.sig" "$T/broken.json.sig"
flip_byte "$T/broken.json" 0
expect_rc 1 "one byte of the file changed so it is no longer JSON: still a bad signature" \
	"$WARD" policy verify --key "$K/issuer.pub" "$T/broken.json"
cp "$P.sig" "$T/badsig"
flip_byte "$T/badsig" 10
expect_rc 1 "one byte of the signature changed" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/badsig" "$P"
cp "$P.sig" "$T/badsig2"
flip_byte "$T/badsig2" 63
expect_rc 1 "the last byte of the signature changed" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/badsig2" "$P"
expect_rc 1 "another key" "$WARD" policy verify --key "$K/other.pub" "$P"
expect_stdout_match "BAD signature.*$ID2" "the key tried is named"
expect_rc 1 "--json, a bad signature" "$WARD" policy verify --key "$K/other.pub" --json "$P"
check "--json: valid false, the error, no policy fields" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["valid"] is False and "BAD signature" in j["error"], j
assert j["key"] == sys.argv[2] and j["issuer"] is None and j["name"] is None, j
assert j["digest"].startswith("sha256:"), j' "$OUT" "$ID2"

section "issuer: sign refuses, verify says exit 1"
make_policy "$T/theirs.json" "$ID2"
expect_rc 1 "sign a policy naming another issuer" "$WARD" policy sign --key "$K/issuer" "$T/theirs.json"
expect_stderr_match "$ID2" "the refusal names the policy's issuer"
expect_stderr_match "$ID" "the refusal names the key's id"
check "no signature written" test ! -e "$T/theirs.json.sig"
make_policy "$T/none.json"
expect_rc 1 "sign a policy naming no issuer" "$WARD" policy sign --key "$K/issuer" "$T/none.json"
expect_stderr_match "no issuer.*\"issuer\": \"$ID\"" "the refusal gives the id to put in \"issuer\""
check "no signature written" test ! -e "$T/none.json.sig"
# signed anyway by the key (openssl knows no issuers): the signature is good, the issuer is not
openssl pkeyutl -sign -rawin -inkey "$K/issuer" -in "$T/theirs.json" -out "$T/theirs.json.sig"
expect_rc 1 "verify: good signature, another issuer" "$WARD" policy verify --key "$K/issuer.pub" "$T/theirs.json"
expect_stdout_match "signed by $ID, but the policy names issuer $ID2" "both ids named"
expect_rc 1 "--json, another issuer" "$WARD" policy verify --key "$K/issuer.pub" --json "$T/theirs.json"
check "--json: valid false, the policy's issuer, name and version" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["valid"] is False and j["issuer"] == sys.argv[2] and j["key"] == sys.argv[3], j
assert j["name"] == "scan" and j["version"] == 1 and "names issuer" in j["error"], j' "$OUT" "$ID2" "$ID"
openssl pkeyutl -sign -rawin -inkey "$K/issuer" -in "$T/none.json" -out "$T/none.json.sig"
expect_rc 1 "verify: good signature, no issuer" "$WARD" policy verify --key "$K/issuer.pub" "$T/none.json"
expect_stdout_match "names no issuer" "the missing issuer is named"

section "verify: a malformed or missing file is exit 2"
head -c 63 "$P.sig" >"$T/short.sig"
expect_rc 2 "a truncated signature (63 bytes)" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/short.sig" "$P"
expect_stderr_match 'not a signature' "the truncated signature is named"
: >"$T/empty.sig"
expect_rc 2 "an empty signature" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/empty.sig" "$P"
{ cat "$P.sig"; printf '\n'; } >"$T/long.sig"
expect_rc 2 "a signature with a byte more (65)" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/long.sig" "$P"
expect_rc 2 "--json, a truncated signature" "$WARD" policy verify --key "$K/issuer.pub" --sig "$T/short.sig" --json "$P"
check "--json: valid false and the error" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["valid"] is False and "not a signature" in j["error"], j' "$OUT"
expect_rc 2 "a missing policy file" "$WARD" policy verify --key "$K/issuer.pub" "$T/none-such.json"
cp "$P" "$T/unsigned.json"
expect_rc 2 "a policy without FILE.sig" "$WARD" policy verify --key "$K/issuer.pub" "$T/unsigned.json"
expect_rc 2 "no key file" "$WARD" policy verify --key "$K/none.pub" "$P"
expect_rc 2 "the private key given as the public key" "$WARD" policy verify --key "$K/issuer" "$P"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/ec" 2>/dev/null
openssl pkey -in "$K/ec" -pubout -out "$K/ec.pub"
expect_rc 2 "an ECDSA public key" "$WARD" policy verify --key "$K/ec.pub" "$P"
expect_stderr_match 'not Ed25519' "the key type is named"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$K/rsa" 2>/dev/null
openssl pkey -in "$K/rsa" -pubout -out "$K/rsa.pub"
expect_rc 2 "an RSA public key" "$WARD" policy verify --key "$K/rsa.pub" "$P"
printf 'garbage\n' >"$K/garbage.pub"
expect_rc 2 "garbage as the public key" "$WARD" policy verify --key "$K/garbage.pub" "$P"
printf 'this is not a policy\n' >"$T/np.txt"
openssl pkeyutl -sign -rawin -inkey "$K/issuer" -in "$T/np.txt" -out "$T/np.txt.sig"
expect_rc 2 "a well-signed file that is not a policy" "$WARD" policy verify --key "$K/issuer.pub" "$T/np.txt"
expect_stderr_match 'not a valid policy' "the file is said not to be a policy"
expect_rc 2 "verify without --key" "$WARD" policy verify "$P"
expect_rc 2 "verify without a file" "$WARD" policy verify --key "$K/issuer.pub"
expect_rc 2 "verify with an unknown option" "$WARD" policy verify --key "$K/issuer.pub" --frob "$P"

section "sign: malformed inputs are exit 2"
expect_rc 2 "sign a file that is not a policy" "$WARD" policy sign --key "$K/issuer" "$T/np.txt"
expect_stderr_match 'not a valid policy'
expect_rc 2 "sign with the public key" "$WARD" policy sign --key "$K/issuer.pub" "$P"
expect_rc 2 "sign with an ECDSA private key" "$WARD" policy sign --key "$K/ec" "$P"
expect_stderr_match 'not Ed25519'
openssl pkey -in "$K/issuer" -aes256 -passout pass:pw -out "$K/encrypted" 2>/dev/null
expect_rc 2 "sign with an encrypted key (refused, not prompted for)" \
	"$WARD" policy sign --key "$K/encrypted" "$P" </dev/null
expect_rc 2 "sign with a missing key" "$WARD" policy sign --key "$K/none" "$P"
expect_rc 2 "sign a missing file" "$WARD" policy sign --key "$K/issuer" "$T/none-such.json"
expect_rc 2 "sign without --key" "$WARD" policy sign "$P"
expect_rc 2 "sign from stdin without -o" "$WARD" policy sign --key "$K/issuer" - <"$P"
check "the good signature is still the one made first" cmp "$P.sig" "$T/p.sig2"

finish
