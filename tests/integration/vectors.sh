#!/usr/bin/env bash
# Real IMA logs replay to the register values their sources state (shared/vectors/SOURCES.md §3):
# the four binary lists of a real vTPM boot into each of the four banks (16 combinations, the
# expected values read from upstream's imakvtpcr10.txt), the ASCII lists, the template-coverage
# list, and --format mismatches refused as malformed (exit 2).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3

BOOT=$VEC/ima/ibmtss-vtpm-boot
BANKS=(sha1 sha256 sha384 sha512)

section "expected PCR 10 values, parsed from $BOOT/imakvtpcr10.txt"
# Lines look like " PCR 10: 9b e6 ba ...": one per bank, told apart by the digest width.
declare -A EXPECT
while read -r bank hex; do
	EXPECT[$bank]=$hex
done < <(python3 - "$BOOT/imakvtpcr10.txt" <<'EOF'
import re, sys
names = {20: "sha1", 32: "sha256", 48: "sha384", 64: "sha512"}
for line in open(sys.argv[1]):
    m = re.match(r"\s*PCR\s+10:\s*((?:[0-9a-fA-F]{2}\s*)+)$", line)
    if m:
        hexs = "".join(m.group(1).split()).lower()
        print(names[len(hexs) // 2], hexs)
EOF
)
for b in "${BANKS[@]}"; do
	if [[ -n "${EXPECT[$b]:-}" ]]; then
		pass "imakvtpcr10.txt gives the $b value ${EXPECT[$b]:0:16}..."
	else
		fail "imakvtpcr10.txt gives a $b value"
	fi
done
# The file and SOURCES.md agree on SHA-1; a parse that got this wrong would make every check
# below meaningless.
expect_eq "${EXPECT[sha1]:-}" 9be6bac02bf18d09d17e726c2df00bca4e8831ea "parsed SHA-1 value matches SOURCES.md"

section "binary lists x banks: ward log replay F --bank B (width detected, then --log-bank)"
for f in "${BANKS[@]}"; do
	for b in "${BANKS[@]}"; do
		expect_rc 0 "$f.log into $b (detected width)" "$WARD" log replay "$BOOT/$f.log" --bank "$b"
		expect_eq "$(cat "$OUT")" "${EXPECT[$b]}" "$f.log into $b (detected width): PCR 10"
		expect_rc 0 "$f.log into $b (--log-bank $f)" \
			"$WARD" log replay "$BOOT/$f.log" --log-bank "$f" --bank "$b"
		expect_eq "$(cat "$OUT")" "${EXPECT[$b]}" "$f.log into $b (--log-bank $f): PCR 10"
	done
	# Without --bank the register is the list's own bank.
	expect_rc 0 "$f.log, default bank" "$WARD" log replay "$BOOT/$f.log"
	expect_eq "$(cat "$OUT")" "${EXPECT[$f]}" "$f.log, default bank is its own ($f)"
	# --json: all four registers at once, and the detected width named.
	expect_rc 0 "$f.log --json" "$WARD" log replay "$BOOT/$f.log" --json
	check "$f.log --json: log_bank $f, 362 records, binary, registers of all four banks as expected" \
		python3 - "$OUT" "$f" "${EXPECT[sha1]}" "${EXPECT[sha256]}" "${EXPECT[sha384]}" "${EXPECT[sha512]}" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
want = dict(zip(["sha1", "sha256", "sha384", "sha512"], sys.argv[3:7]))
assert j["log_bank"] == sys.argv[2], j["log_bank"]
assert j["records"] == 362, j["records"]
assert j["format"] == "binary", j["format"]
assert j["pcr"] == 10
assert j["registers"] == want, j["registers"]
EOF
done

section "a binary list read at the wrong width is refused, never replayed"
for f in sha1 sha256; do
	for lb in "${BANKS[@]}"; do
		[[ $lb == "$f" ]] && continue
		expect_rc 2 "$f.log with --log-bank $lb" "$WARD" log replay "$BOOT/$f.log" --log-bank "$lb"
		expect_stderr_match 'offset [0-9]+' "$f.log with --log-bank $lb names the offset"
	done
done

section "ASCII lists"
A=$BOOT/sha1.log.ascii.derived.txt
expect_rc 0 "sha1.log.ascii.derived.txt" "$WARD" log replay "$A"
expect_eq "$(cat "$OUT")" 9be6bac02bf18d09d17e726c2df00bca4e8831ea "sha1.log.ascii.derived.txt: SHA-1 PCR 10"
# The ASCII form only carries SHA-1 template digests; the other banks are rebuilt from the
# fields, and must still give what the vTPM held.
for b in "${BANKS[@]}"; do
	expect_rc 0 "sha1.log.ascii.derived.txt --bank $b" "$WARD" log replay "$A" --bank "$b"
	expect_eq "$(cat "$OUT")" "${EXPECT[$b]}" "sha1.log.ascii.derived.txt --bank $b: PCR 10 as imakvtpcr10.txt"
done
expect_rc 0 "sha1.log.ascii.derived.txt --format ascii" "$WARD" log replay "$A" --format ascii
expect_eq "$(cat "$OUT")" "${EXPECT[sha1]}" "sha1.log.ascii.derived.txt --format ascii: SHA-1 PCR 10"
expect_rc 0 "sha1.log.ascii.derived.txt --json" "$WARD" log replay "$A" --json
check "ASCII --json: format ascii, log_bank sha1, 362 records" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert (j["format"], j["log_bank"], j["records"]) == ("ascii", "sha1", 362), j' "$OUT"

R=$VEC/ima/rust-keylime/ascii_runtime_measurements
expect_rc 0 "rust-keylime ascii_runtime_measurements" "$WARD" log replay "$R"
expect_eq "$(cat "$OUT")" 82231c67a69da98dc5b3aa10f6343d33109225fc "rust-keylime (826 ima-ng, sha1 file digests, paths with spaces): SHA-1 PCR 10"

K=$VEC/ima/keylime-ima-sig/ascii_runtime_measurements.excerpt.txt
expect_rc 0 "keylime ima-sig excerpt" "$WARD" log replay "$K"
expect_eq "$(cat "$OUT")" 357ad3dba1f24238f7818d82e4049a642854d17a "keylime ima-sig excerpt (RSA and ECDSA signatures): SHA-1 PCR 10"

KB=$VEC/ima/keylime-ima-sig/ima_buf_keyring.excerpt.txt
expect_rc 0 "keylime ima-buf keyring excerpt: template and buffer digests check" "$WARD" log replay "$KB"

section "template coverage: ibmtss-templates/imatest.log (17 records, 15 templates)"
I=$VEC/ima/ibmtss-templates/imatest.log
expect_rc 0 "imatest.log (detected width)" "$WARD" log replay "$I"
expect_eq "$(cat "$OUT")" 0ff68e1da514770e85581bffe693809776302a63 "imatest.log (detected width): SHA-1 PCR 10"
expect_rc 0 "imatest.log --log-bank sha1" "$WARD" log replay "$I" --log-bank sha1
expect_eq "$(cat "$OUT")" 0ff68e1da514770e85581bffe693809776302a63 "imatest.log --log-bank sha1: SHA-1 PCR 10"
expect_rc 0 "imatest.log --format binary --log-bank sha1" "$WARD" log replay "$I" --format binary --log-bank sha1
expect_eq "$(cat "$OUT")" 0ff68e1da514770e85581bffe693809776302a63 "imatest.log --format binary: SHA-1 PCR 10"

section "--format that does not fit the file: malformed (exit 2)"
for f in "$A" "$R" "$K"; do
	expect_rc 2 "--format binary on ASCII $(basename "$f")" "$WARD" log replay "$f" --format binary
	expect_stderr_match 'offset [0-9]+' "--format binary on ASCII $(basename "$f") names an offset"
	expect_rc 2 "--format binary --log-bank sha1 on ASCII $(basename "$f")" \
		"$WARD" log replay "$f" --format binary --log-bank sha1
done
for f in "$BOOT/sha1.log" "$BOOT/sha512.log" "$I"; do
	expect_rc 2 "--format ascii on binary $(basename "$f")" "$WARD" log replay "$f" --format ascii
	expect_stderr_match 'line [0-9]+' "--format ascii on binary $(basename "$f") names a line"
done
expect_rc 2 "--format xml is a usage error" "$WARD" log replay "$A" --format xml
expect_rc 2 "--bank md5 is a usage error" "$WARD" log replay "$A" --bank md5
expect_rc 2 "--log-bank sha3 is a usage error" "$WARD" log replay "$BOOT/sha1.log" --log-bank sha3
expect_rc 2 "--pcr 24 is a usage error" "$WARD" log replay "$A" --pcr 24
expect_rc 2 "a missing log file" "$WARD" log replay "$T/does-not-exist"

section "--pcr selects the register: the vectors only extend PCR 10"
expect_rc 0 "sha1.log --pcr 11" "$WARD" log replay "$BOOT/sha1.log" --pcr 11
expect_eq "$(cat "$OUT")" 0000000000000000000000000000000000000000 "sha1.log --pcr 11: nothing extended"

finish
