#!/usr/bin/env bash
# ward log export writes the kernel's formats: the binary list replays (ward and, independently,
# evmctl and a python re-implementation) to the registers 'ward log show' reports, in every
# bank; the ASCII list follows the kernel's line format for ima-ng and replays to the same.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3 evmctl

D=$T/state
mkdir -p "$T/files"
head -c 4096 /dev/urandom >"$T/files/random"
: >"$T/files/empty"
head -c $((1 << 20)) /dev/urandom >"$T/files/big"
printf 'spaces\n' >"$T/files/name with  two spaces"
printf 'script\n' >"$T/files/run.sh"
FILES=("$T/files/random" "$T/files/empty" "$T/files/big" "$T/files/name with  two spaces" "$T/files/run.sh")

section "a log to export"
new_state "$D"
expect_rc 0 "measure ${#FILES[@]} files" "$WARD" --state-dir "$D" measure "${FILES[@]}"
expect_rc 0 "measure one of them again (a log may repeat a path)" "$WARD" --state-dir "$D" measure "$T/files/random"
expect_rc 0 "log show --json" "$WARD" log show --state-dir "$D" --json
cp "$OUT" "$T/show.json"
REG_SHA1=$(json_get "$T/show.json" 'j["registers"]["sha1"]')
REG_SHA256=$(json_get "$T/show.json" 'j["registers"]["sha256"]')
expect_eq "$(json_get "$T/show.json" 'j["records"]')" 6 "log show: 6 records"
check "log show: registers sha1 and sha256 are hex of their size" python3 -c '
import json, re, sys
r = json.load(open(sys.argv[1]))["registers"]
assert re.fullmatch("[0-9a-f]{40}", r["sha1"]) and re.fullmatch("[0-9a-f]{64}", r["sha256"]), r' "$T/show.json"

section "binary export replays to the registers (ward)"
expect_rc 0 "log export --format binary -o f.bin" "$WARD" log export --state-dir "$D" --format binary -o "$T/f.bin"
expect_rc 0 "replay f.bin --log-bank sha1" "$WARD" log replay "$T/f.bin" --log-bank sha1
expect_eq "$(cat "$OUT")" "$REG_SHA1" "binary export (sha1 digests) replays to the sha1 register"
expect_rc 0 "replay f.bin --log-bank sha1 --bank sha256" "$WARD" log replay "$T/f.bin" --log-bank sha1 --bank sha256
expect_eq "$(cat "$OUT")" "$REG_SHA256" "binary export (sha1 digests) replays to the sha256 register in the sha256 bank"
expect_rc 0 "replay f.bin, width detected" "$WARD" log replay "$T/f.bin"
expect_eq "$(cat "$OUT")" "$REG_SHA1" "binary export, width detected: sha1 register"
expect_rc 0 "log export --bank sha256 --format binary" "$WARD" log export --state-dir "$D" --format binary --bank sha256 -o "$T/f256.bin"
expect_rc 0 "replay f256.bin --log-bank sha256" "$WARD" log replay "$T/f256.bin" --log-bank sha256
expect_eq "$(cat "$OUT")" "$REG_SHA256" "binary export --bank sha256 replays to the sha256 register"
expect_rc 0 "replay f256.bin --log-bank sha256 --bank sha1" "$WARD" log replay "$T/f256.bin" --log-bank sha256 --bank sha1
expect_eq "$(cat "$OUT")" "$REG_SHA1" "binary export --bank sha256 replays to the sha1 register in the sha1 bank"
for b in sha384 sha512; do
	expect_rc 0 "log export --bank $b --format binary" "$WARD" log export --state-dir "$D" --format binary --bank "$b" -o "$T/f-$b.bin"
	expect_rc 0 "replay f-$b.bin --log-bank $b" "$WARD" log replay "$T/f-$b.bin" --log-bank "$b"
	cp "$OUT" "$T/reg-$b"
	expect_rc 0 "replay f.bin (sha1 digests) into the $b bank" "$WARD" log replay "$T/f.bin" --log-bank sha1 --bank "$b"
	expect_eq "$(cat "$T/reg-$b")" "$(cat "$OUT")" "--bank $b export and the sha1 export agree on the $b register"
done
expect_rc 0 "export to stdout (-o -)" "$WARD" log export --state-dir "$D" --format binary -o -
check "export to stdout = export to a file" cmp "$OUT" "$T/f.bin"

section "ASCII export replays to the same registers"
expect_rc 0 "log export --format ascii" "$WARD" log export --state-dir "$D" --format ascii -o "$T/f.txt"
expect_rc 0 "replay f.txt" "$WARD" log replay "$T/f.txt"
expect_eq "$(cat "$OUT")" "$REG_SHA1" "ASCII export replays to the sha1 register"
expect_rc 0 "replay f.txt --bank sha256" "$WARD" log replay "$T/f.txt" --bank sha256
expect_eq "$(cat "$OUT")" "$REG_SHA256" "ASCII export replays to the sha256 register in the sha256 bank"
expect_rc 0 "log export --format ascii --bank sha256" "$WARD" log export --state-dir "$D" --format ascii --bank sha256 -o "$T/f256.txt"
expect_rc 0 "replay f256.txt" "$WARD" log replay "$T/f256.txt"
expect_eq "$(cat "$OUT")" "$REG_SHA256" "ASCII export --bank sha256 replays to the sha256 register"

section "ASCII export follows the kernel's line format (ima-ng: '10 <40 hex> ima-ng sha256:<64 hex> <path>')"
check "every line of the sha1 ASCII export: kernel ima-ng format, template digest = log show's, path and file digest = the file's" \
	python3 - "$T/f.txt" "$T/show.json" 40 "${FILES[@]}" "$T/files/random" <<'EOF'
import hashlib, json, re, sys
text, show, width, files = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), sys.argv[4:]
lines = open(text, "rb").read().decode().split("\n")
assert lines[-1] == "", "the list ends with a newline"
lines = lines[:-1]
assert len(lines) == len(files) == show["records"], (len(lines), len(files))
key = "template_sha1" if width == 40 else "template_sha256"
for i, (line, path, e) in enumerate(zip(lines, files, show["entries"])):
    # kernel: "%2d " pcr, hex template digest, template name, then " field" per field
    m = re.fullmatch(r"10 ([0-9a-f]{%d}) ima-ng sha256:([0-9a-f]{64}) (.+)" % width, line)
    assert m, f"line {i + 1} is not kernel ima-ng format: {line!r}"
    assert m.group(1) == e[key], (i, m.group(1), e[key])
    assert m.group(2) == hashlib.sha256(open(path, "rb").read()).hexdigest(), (i, path)
    assert m.group(3) == path, (i, m.group(3), path)
EOF
check "every line of the sha256 ASCII export: kernel ima-ng format with a 64-hex template digest" \
	python3 - "$T/f256.txt" "$T/show.json" 64 "${FILES[@]}" "$T/files/random" <<'EOF'
import hashlib, json, re, sys
text, show, width, files = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), sys.argv[4:]
lines = open(text).read().split("\n")[:-1]
assert len(lines) == len(files)
for i, (line, e) in enumerate(zip(lines, show["entries"])):
    m = re.fullmatch(r"10 ([0-9a-f]{%d}) ima-ng sha256:([0-9a-f]{64}) (.+)" % width, line)
    assert m and m.group(1) == e["template_sha256"], (i, line)
EOF

section "independent replay of the exports (python hashlib, kernel layout)"
# ireplay FILE WIDTH|ascii: verify every template digest and print "sha1reg sha256reg".
# shellcheck disable=SC2317 # called through run
ireplay() {
	python3 - "$1" "$2" <<'EOF'
import hashlib, re, struct, sys
path, width = sys.argv[1], sys.argv[2]
recs = []  # (pcr, template data, given digest or None)
if width == "ascii":
    for line in open(path).read().split("\n")[:-1]:
        m = re.fullmatch(r"(\d+) ([0-9a-f]+) ima-ng (sha256):([0-9a-f]{64}) (.+)", line.lstrip())
        assert m, line
        dng = b"sha256:\0" + bytes.fromhex(m.group(4))
        nng = m.group(5).encode() + b"\0"
        data = struct.pack("<I", len(dng)) + dng + struct.pack("<I", len(nng)) + nng
        recs.append((int(m.group(1)), data, bytes.fromhex(m.group(2))))
else:
    w = int(width)
    buf, off = open(path, "rb").read(), 0
    while off < len(buf):
        pcr, = struct.unpack_from("<I", buf, off); off += 4
        digest = buf[off:off + w]; off += w
        nl, = struct.unpack_from("<I", buf, off); off += 4
        name = buf[off:off + nl]; off += nl
        assert name == b"ima-ng", name
        dl, = struct.unpack_from("<I", buf, off); off += 4
        data = buf[off:off + dl]; off += dl
        assert len(data) == dl, "truncated"
        recs.append((pcr, data, digest))
algs = {20: "sha1", 32: "sha256", 48: "sha384", 64: "sha512"}
regs = {"sha1": bytes(20), "sha256": bytes(32)}
for i, (pcr, data, given) in enumerate(recs):
    assert pcr == 10, pcr
    assert hashlib.new(algs[len(given)], data).digest() == given, f"record {i}: template digest"
    for a in regs:
        regs[a] = hashlib.new(a, regs[a] + hashlib.new(a, data).digest()).digest()
print(regs["sha1"].hex(), regs["sha256"].hex())
EOF
}
for spec in "f.bin 20" "f256.bin 32" "f-sha384.bin 48" "f-sha512.bin 64" "f.txt ascii" "f256.txt ascii"; do
	read -r f w <<<"$spec"
	run ireplay "$T/$f" "$w"
	if ((RC == 0)); then
		expect_eq "$(cat "$OUT")" "$REG_SHA1 $REG_SHA256" "python replay of $f: template digests check; sha1 and sha256 registers = log show"
	else
		fail "python replay of $f"
		_show_last
	fi
done

section "independent replay with evmctl ima_measurement"
# evmctl validates a binary_runtime_measurements (SHA-1 template digests) file against PCR
# values read from --pcrs ALG,FILE instead of a TPM. Its parser wants the lines
# PCR-00 ... PCR-10 in order ("PCR-NN: <hex>"); only PCR 10 matters here.
pcrfile() {
	local i zero
	zero=$(printf '%*s' "${#1}" '' | tr ' ' 0)
	for i in $(seq 0 9); do printf 'PCR-%02d: %s\n' "$i" "$zero"; done
	printf 'PCR-10: %s\n' "$1"
}
pcrfile "$REG_SHA1" >"$T/pcrs-sha1"
pcrfile "$REG_SHA256" >"$T/pcrs-sha256"
note "using evmctl ($(evmctl --version 2>&1 | head -n 1)) with --pcrs files, no TPM"
expect_rc 0 "evmctl ima_measurement --pcrs sha1 f.bin" evmctl ima_measurement --pcrs "sha1,$T/pcrs-sha1" "$T/f.bin"
expect_rc 0 "evmctl ima_measurement --pcrs sha256 f.bin (bank recomputed from template data)" \
	evmctl ima_measurement --pcrs "sha256,$T/pcrs-sha256" "$T/f.bin"
expect_rc 0 "evmctl ima_measurement, both banks" \
	evmctl ima_measurement --pcrs "sha1,$T/pcrs-sha1" --pcrs "sha256,$T/pcrs-sha256" "$T/f.bin"
# Negative controls: evmctl really compares (a wrong register, a changed record fail).
bad=$(python3 -c 'import sys; s=sys.argv[1]; print(s[:-1] + ("0" if s[-1] != "0" else "1"))' "$REG_SHA1")
pcrfile "$bad" >"$T/pcrs-bad"
expect_nonzero "negative control: evmctl refuses a wrong sha1 PCR 10" \
	evmctl ima_measurement --pcrs "sha1,$T/pcrs-bad" "$T/f.bin"
head -c $(($(stat -c %s "$T/f.bin") - 100)) "$T/f.bin" >"$T/f-short.bin"
expect_nonzero "negative control: evmctl refuses a list missing its last record" \
	evmctl ima_measurement --pcrs "sha1,$T/pcrs-sha1" "$T/f-short.bin"

section "export refuses what it cannot do"
expect_rc 2 "export without --format" "$WARD" log export --state-dir "$D" -o "$T/x"
expect_rc 2 "export --format json" "$WARD" log export --state-dir "$D" --format json -o "$T/x"
expect_rc 2 "export without -o" "$WARD" log export --state-dir "$D" --format binary
expect_rc 2 "export --bank md5" "$WARD" log export --state-dir "$D" --format binary --bank md5 -o "$T/x"
expect_rc 2 "export of a state dir that does not exist" "$WARD" log export --state-dir "$T/nothing" --format binary -o "$T/x"
check "... and it was not created" test ! -e "$T/nothing"
check "no output file was left behind by the failures" test ! -e "$T/x"

section "an empty log exports as an empty list"
new_state "$T/fresh"
expect_rc 0 "export of a fresh state dir (no records)" "$WARD" log export --state-dir "$T/fresh" --format binary -o "$T/fresh.bin"
expect_eq "$(stat -c %s "$T/fresh.bin")" 0 "empty log: empty binary list"
expect_rc 0 "replay of the empty list --log-bank sha1" "$WARD" log replay "$T/fresh.bin" --log-bank sha1
expect_eq "$(cat "$OUT")" "$(json_get <("$WARD" log show --state-dir "$T/fresh" --json) 'j["registers"]["sha1"]')" \
	"empty list replays to the fresh log's sha1 register"

section "a path with a newline: the ASCII export must replay or be refused, never silently differ"
# A file name may contain any byte but '/' and NUL. The kernel prints n-ng raw, so a newline in
# a name splits the ASCII line; ward's export must not claim success for a list that does not
# replay to the registers it was exported from.
D2=$T/state-nl
new_state "$D2"
# The directory name ends in a space and a newline starts a line that looks like a record of
# /usr/bin/trusted (a path's components cannot hold '/', its directories can).
fake="10 0000000000000000000000000000000000000000 ima-ng sha256:$(printf '0%.0s' $(seq 64)) "
nldir="$T/files/evil
$fake"
mkdir -p "$nldir/usr/bin"
nlname="$nldir/usr/bin/trusted"
printf 'x' >"$nlname"
expect_rc 0 "measure a file whose name holds a newline and a fake record" "$WARD" --state-dir "$D2" measure "$nlname"
REG2=$(json_get <("$WARD" log show --state-dir "$D2" --json) 'j["registers"]["sha1"]')
expect_rc 0 "binary export of it" "$WARD" log export --state-dir "$D2" --format binary -o "$T/nl.bin"
expect_rc 0 "binary export replays" "$WARD" log replay "$T/nl.bin" --log-bank sha1
expect_eq "$(cat "$OUT")" "$REG2" "binary export with a newline path: sha1 register"
run "$WARD" log export --state-dir "$D2" --format ascii -o "$T/nl.txt"
if crashed; then
	fail "ASCII export of a newline path: no crash (got $RC)"
elif ((RC != 0)); then
	pass "ASCII export of a newline path is refused (exit $RC): $(head -c 200 "$ERR")"
else
	run "$WARD" log replay "$T/nl.txt"
	if ((RC == 0)) && [[ "$(cat "$OUT")" == "$REG2" ]]; then
		pass "ASCII export of a newline path replays to the sha1 register"
	else
		fail "ASCII export of a newline path: exported with exit 0, but replaying it gives exit $RC ($(head -c 200 "$ERR"))"
		note "the export has $(wc -l <"$T/nl.txt") lines for 1 record:"
		sed 's/^/#     /' "$T/nl.txt"
	fi
fi

finish
