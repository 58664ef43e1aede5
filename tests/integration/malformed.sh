#!/usr/bin/env bash
# Malformed measurement lists are refused as malformed (exit 2) with a reason naming the byte
# offset or the line; a well-formed list whose data was changed is a negative verdict (exit 1)
# naming the record; a list whose digest width cannot be told is refused with a pointer to
# --log-bank. Never a crash: every status is exactly the one expected.
#
# The inputs are real logs from shared/vectors, cut and damaged at offsets computed here by an
# independent parser of the kernel's binary layout (python below), not by ward.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3

BOOT=$VEC/ima/ibmtss-vtpm-boot
KSIG=$VEC/ima/keylime-ima-sig

# layout FILE WIDTH: one line per record: "start pcr_end digest_end namelen_end name_end
# datalen_end end path_off path_len" (path_* of the n-ng field, or -1 -1).
layout() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
buf = open(sys.argv[1], "rb").read()
w = int(sys.argv[2])
off = 0
while off < len(buf):
    s = off
    off += 4 + w
    (nl,) = struct.unpack_from("<I", buf, off); off += 4
    name = buf[off:off + nl].decode(); off += nl
    name_end = off
    (dl,) = struct.unpack_from("<I", buf, off); off += 4
    dl_end = off
    data = buf[off:off + dl]; off += dl
    # fields: u32 len + bytes; ima-sig = d-ng, n-ng, sig
    p = 0; fields = []
    while p < len(data):
        (fl,) = struct.unpack_from("<I", data, p); p += 4
        fields.append((dl_end + p, fl)); p += fl
    po, pl = fields[1] if name in ("ima-ng", "ima-sig") and len(fields) > 1 else (-1, -1)
    print(s, s + 4, s + 4 + w, s + 8 + w, name_end, dl_end, off, po, pl)
EOF
}

# cut FILE N OUT: the first N bytes of FILE.
cut_at() { head -c "$2" "$1" >"$3"; }

# poke FILE OFFSET HEXBYTES: overwrite bytes at OFFSET (a copy is edited, never the vector).
poke() {
	python3 - "$1" "$2" "$3" <<'EOF'
import sys
p, off, hexs = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b = bytearray(open(p, "rb").read())
new = bytes.fromhex(hexs)
b[off:off + len(new)] = new
open(p, "wb").write(b)
EOF
}

mapfile -t L1 < <(layout "$BOOT/sha1.log" 20)
mapfile -t L256 < <(layout "$BOOT/sha256.log" 32)
expect_eq "${#L1[@]}" 362 "independent parse of sha1.log finds 362 records"
expect_eq "${#L256[@]}" 362 "independent parse of sha256.log finds 362 records"
read -r _ _ _ _ _ _ END1 _ _ <<<"${L1[361]}"
expect_eq "$END1" "$(stat -c %s "$BOOT/sha1.log")" "independent parse of sha1.log ends at the file's end"

# expect_malformed_at FILE START WHAT [ARGS...]: exit 2, stderr names "offset START".
expect_malformed_at() {
	local f=$1 start=$2 what=$3
	shift 3
	expect_rc 2 "$what" "$WARD" log replay "$f" "$@"
	expect_stderr_match "offset ${start}[^0-9]" "$what: names offset $start"
}

section "truncated binary list: cut inside each part of a record, with and without --log-bank"
read -r s0 pe0 de0 ne0 nme0 dle0 _ _ _ <<<"${L1[0]}"
read -r s100 pe100 _ _ _ _ _ po100 pl100 <<<"${L1[100]}"
read -r s361 _ _ _ _ _ e361 _ _ <<<"${L1[361]}"
# "cut-at record-start what": the cut and the record it falls in.
CUTS=(
	"$((s0 + 2)) $s0 inside record 0's PCR index"
	"$((pe0 + 7)) $s0 inside record 0's template digest"
	"$((de0 + 2)) $s0 inside record 0's template name length"
	"$((ne0 + 3)) $s0 inside record 0's template name"
	"$((nme0 + 1)) $s0 inside record 0's template data length"
	"$((dle0 + 20)) $s0 inside record 0's template data"
	"$((pe100 + 12)) $s100 inside record 100's template digest"
	"$((po100 + pl100 / 2)) $s100 inside record 100's path"
	"$((e361 - 1)) $s361 one byte short of the end, inside record 361's data"
)
for c in "${CUTS[@]}"; do
	read -r n start what <<<"$c"
	cut_at "$BOOT/sha1.log" "$n" "$T/cut.log"
	expect_malformed_at "$T/cut.log" "$start" "sha1.log cut at byte $n ($what), --log-bank sha1" --log-bank sha1
	expect_malformed_at "$T/cut.log" "$start" "sha1.log cut at byte $n ($what), width detected"
done
read -r s7 _ d7 _ _ _ _ _ _ <<<"${L256[7]}"
cut_at "$BOOT/sha256.log" $((d7 - 5)) "$T/cut256.log"
expect_malformed_at "$T/cut256.log" "$s7" "sha256.log cut inside record 7's digest, --log-bank sha256" --log-bank sha256
expect_rc 2 "sha256.log cut inside record 7's digest, width detected" "$WARD" log replay "$T/cut256.log"
expect_stderr_match 'offset [0-9]+' "sha256.log cut, width detected: names an offset"

section "corrupted length fields (record 5 of sha1.log)"
read -r s5 _ de5 _ nme5 _ _ po5 _ <<<"${L1[5]}"
cp "$BOOT/sha1.log" "$T/len.log"
poke "$T/len.log" "$de5" ffffff7f
for lb in "--log-bank sha1" ""; do
	# shellcheck disable=SC2086 # optional argument pair
	expect_malformed_at "$T/len.log" "$s5" "template name length 0x7fffffff ${lb:-(width detected)}" $lb
	expect_stderr_match 'template name length' "template name length 0x7fffffff ${lb:-(width detected)}: says which field"
done
cp "$BOOT/sha1.log" "$T/len.log"
poke "$T/len.log" "$nme5" f0ffffff
for lb in "--log-bank sha1" ""; do
	# shellcheck disable=SC2086
	expect_malformed_at "$T/len.log" "$s5" "template data length 0xfffffff0 ${lb:-(width detected)}" $lb
done
cp "$BOOT/sha1.log" "$T/len.log"
python3 - "$T/len.log" "$nme5" <<'EOF'
import struct, sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
(n,) = struct.unpack_from("<I", b, off)
struct.pack_into("<I", b, off, n + 1)  # one byte too long: every later record is misread
open(p, "wb").write(b)
EOF
expect_rc 2 "template data length one too large (record 5), --log-bank sha1" "$WARD" log replay "$T/len.log" --log-bank sha1
expect_stderr_match 'offset [0-9]+' "template data length one too large: names an offset"
expect_rc 2 "template data length one too large (record 5), width detected" "$WARD" log replay "$T/len.log"
cp "$BOOT/sha1.log" "$T/len.log"
# The n-ng field's own length, inside the template data: overruns the template data.
poke "$T/len.log" $((po5 - 4)) 00100000
expect_malformed_at "$T/len.log" "$s5" "n-ng field length 4096 inside record 5, --log-bank sha1" --log-bank sha1
expect_stderr_match 'overruns|n-ng|field' "n-ng field length 4096: says which field"

section "trailing garbage after a valid list"
{ cat "$BOOT/sha1.log"; printf 'WARD\x01\x02\x03'; } >"$T/trail.log"
expect_malformed_at "$T/trail.log" "$END1" "sha1.log + 7 junk bytes, --log-bank sha1" --log-bank sha1
expect_malformed_at "$T/trail.log" "$END1" "sha1.log + 7 junk bytes, width detected"

section "ASCII lists: bad lines are malformed and named by line"
expect_rc 2 "keylime bad_signature_size.excerpt.txt (sig header says 0x4800 bytes, holds 72)" \
	"$WARD" log replay "$KSIG/bad_signature_size.excerpt.txt"
expect_stderr_match 'line 1[^0-9]' "bad_signature_size: names line 1"
expect_stderr_match 'signature' "bad_signature_size: says the signature is at fault"

K=$KSIG/ascii_runtime_measurements.excerpt.txt
# edit_line FILE N COLUMN NEWTEXT OUT: replace a whitespace column of line N.
edit_line() {
	python3 - "$@" <<'EOF'
import sys
src, n, col, new, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
lines = open(src).read().split("\n")
parts = lines[n - 1].split(" ")
parts[col] = new
lines[n - 1] = " ".join(parts)
open(out, "w").write("\n".join(lines))
EOF
}
orig=$(sed -n 3p "$K" | cut -d' ' -f2)
edit_line "$K" 3 1 "zz${orig:2}" "$T/a1.txt"
expect_rc 2 "ASCII line 3 template digest not hex" "$WARD" log replay "$T/a1.txt"
expect_stderr_match 'line 3[^0-9]' "ASCII non-hex digest: names line 3"
edit_line "$K" 3 1 "${orig:0:38}" "$T/a2.txt"
expect_rc 2 "ASCII line 3 template digest 19 bytes" "$WARD" log replay "$T/a2.txt"
expect_stderr_match 'line 3[^0-9]' "ASCII short digest: names line 3"
edit_line "$K" 3 1 "${orig}00" "$T/a3.txt"
expect_rc 2 "ASCII line 3 template digest 21 bytes (width differs from line 1)" "$WARD" log replay "$T/a3.txt"
expect_stderr_match 'line 3[^0-9]' "ASCII long digest: names line 3"
flipped=$(python3 -c 'import sys; s=sys.argv[1]; print(s[:10] + ("0" if s[10] != "0" else "1") + s[11:])' "$orig")
edit_line "$K" 3 1 "$flipped" "$T/a4.txt"
expect_rc 1 "ASCII line 3 well-formed but wrong template digest: a verdict, not malformed" "$WARD" log replay "$T/a4.txt"
expect_stderr_match 'line 3[^0-9]' "ASCII wrong digest: names line 3"
fdig=$(sed -n 2p "$K" | cut -d' ' -f4)
edit_line "$K" 2 3 "${fdig/sha256:/sha256:x}" "$T/a5.txt"
expect_rc 2 "ASCII line 2 file digest not hex" "$WARD" log replay "$T/a5.txt"
expect_stderr_match 'line 2[^0-9]' "ASCII bad file digest: names line 2"
edit_line "$K" 4 0 "99" "$T/a6.txt"
expect_rc 2 "ASCII line 4 PCR index 99" "$WARD" log replay "$T/a6.txt"
expect_stderr_match 'line 4[^0-9]' "ASCII bad PCR: names line 4"
edit_line "$K" 5 2 "ima-bogus" "$T/a7.txt"
expect_rc 2 "ASCII line 5 unknown template" "$WARD" log replay "$T/a7.txt"
expect_stderr_match 'line 5[^0-9]' "ASCII unknown template: names line 5"
# A bad line deep inside a long real list.
R=$VEC/ima/rust-keylime/ascii_runtime_measurements
sed '500s/ ima-ng sha1:/ ima-ng sha1:qq/' "$R" >"$T/r.txt"
expect_rc 2 "rust-keylime list with a bad file digest on line 500" "$WARD" log replay "$T/r.txt"
expect_stderr_match 'line 500[^0-9]' "rust-keylime bad line: names line 500"

section "garbage and empty input"
python3 - "$T" <<'EOF'
import random, sys
rnd = random.Random(20240611)  # fixed seed: the same garbage every run
for n in (1, 3, 17, 255, 4096, 1 << 20):
    open(f"{sys.argv[1]}/garbage.{n}", "wb").write(bytes(rnd.randrange(256) for _ in range(n)))
# Printable text that is not a measurement list, and a binary-looking head.
open(f"{sys.argv[1]}/garbage.text", "w").write("hello world\nthis is not a log\n")
open(f"{sys.argv[1]}/garbage.digit", "w").write("10 not a digest ima-ng\n")
open(f"{sys.argv[1]}/garbage.ff", "wb").write(b"\xff" * 64)
# Garbage behind a plausible start: PCR 10, then noise (deeper into the record parser).
open(f"{sys.argv[1]}/garbage.pcr10", "wb").write(b"\x0a\0\0\0" + bytes(rnd.randrange(256) for _ in range(600)))
open(f"{sys.argv[1]}/garbage.pcr10-name", "wb").write(b"\x0a\0\0\0" + bytes(20) + b"\x06\0\0\0ima-ng" + bytes(rnd.randrange(256) for _ in range(100)))
open(f"{sys.argv[1]}/garbage.ascii-head", "w").write("10 " + "ab" * 20 + " ima-ng " + "".join(rnd.choice("0123456789abcdef:/ ") for _ in range(300)) + "\n")
EOF
for g in "$T"/garbage.*; do
	name=$(basename "$g")
	expect_rc 2 "$name, format detected" "$WARD" log replay "$g"
	expect_stderr_match '(offset|line) [0-9]+' "$name, format detected: names where"
	expect_rc 2 "$name, --log-bank sha1" "$WARD" log replay "$g" --log-bank sha1
	expect_rc 2 "$name, --format ascii" "$WARD" log replay "$g" --format ascii
done
: >"$T/empty.log"
expect_rc 2 "empty file, width detected (ambiguous: nothing tells the width)" "$WARD" log replay "$T/empty.log"
expect_stderr_match '--log-bank' "empty file: the message points to --log-bank"
expect_rc 2 "empty file --format ascii" "$WARD" log replay "$T/empty.log" --format ascii
expect_rc 2 "empty file --format binary, width detected" "$WARD" log replay "$T/empty.log" --format binary
expect_stderr_match '--log-bank' "empty file --format binary: the message points to --log-bank"
# With the width named, an empty list is an empty log (evidence of a fresh log carries one).
expect_rc 0 "empty file --log-bank sha1 is an empty log" "$WARD" log replay "$T/empty.log" --log-bank sha1
expect_eq "$(cat "$OUT")" 0000000000000000000000000000000000000000 "empty log --log-bank sha1: register all zero"

section "random single-byte corruption of a real list: a verdict or malformed, never a crash"
python3 - "$BOOT/sha1.log" "$T/rnd" <<'PYEOF'
import os, random, sys
src, out = sys.argv[1], sys.argv[2]
os.mkdir(out)
b = open(src, "rb").read()
rnd = random.Random(1234)
for k in range(150):
    c = bytearray(b)
    at = rnd.randrange(len(c))
    c[at] = (c[at] + rnd.randrange(1, 256)) % 256
    open(f"{out}/{at}.log", "wb").write(c)
PYEOF
declare -A rtally=()
rbad=0
for f in "$T"/rnd/*.log; do
	for lb in "--log-bank=sha1" "--format=auto"; do
		run "$WARD" log replay "$f" "$lb"
		rtally[$RC]=$((${rtally[$RC]:-0} + 1))
		if crashed || ((RC > 2)); then
			rbad=$((rbad + 1))
			fail "sha1.log with byte $(basename "$f" .log) changed ($lb): exit 0, 1 or 2 (got $RC)"
			_show_last
		fi
	done
done
note "exit status tally: $(for k in "${!rtally[@]}"; do printf '%s:%s ' "$k" "${rtally[$k]}"; done)"
((rbad == 0)) && pass "150 corrupted copies of sha1.log, with and without --log-bank: no crash, exit 0/1/2"

section "a flipped byte inside a path: well-formed, but the template digest does not check (exit 1)"
for spec in "sha1 20 L1 7" "sha256 32 L256 7" "sha1 20 L1 300"; do
	read -r w _ arr idx <<<"$spec"
	declare -n lay=$arr
	read -r sN _ _ _ _ _ _ poN plN <<<"${lay[$idx]}"
	unset -n lay
	cp "$BOOT/$w.log" "$T/flip.log"
	at=$((poN + plN / 2))
	python3 - "$T/flip.log" "$at" <<'EOF'
import sys
p, at = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
assert 0x21 <= b[at] <= 0x7e, b[at]
b[at] ^= 0x01  # stays printable and non-NUL: the structure is intact
open(p, "wb").write(b)
EOF
	expect_rc 1 "$w.log record $idx path byte $at flipped, --log-bank $w" "$WARD" log replay "$T/flip.log" --log-bank "$w"
	expect_stderr_match "offset ${sN}[^0-9]" "$w.log record $idx flipped: names offset $sN"
	expect_stderr_match 'template digest' "$w.log record $idx flipped: says the template digest does not match"
	expect_rc 1 "$w.log record $idx path byte flipped, width detected" "$WARD" log replay "$T/flip.log"
	expect_stderr_match "offset ${sN}[^0-9]" "$w.log record $idx flipped, width detected: names offset $sN"
	expect_rc 1 "$w.log record $idx path byte flipped, --json" "$WARD" log replay "$T/flip.log" --log-bank "$w" --json
	expect_rc 1 "$w.log record $idx path byte flipped, --bank sha512" "$WARD" log replay "$T/flip.log" --log-bank "$w" --bank sha512
done

section "a list that parses at two digest widths: detection refuses to guess"
# One record of template "buf" laid out so that it reads as a whole list at SHA-1 width
# (20-byte digest) and again at SHA-256 width (32-byte digest); see the offsets below.
python3 - "$T" <<'EOF'
import hashlib, struct, sys

def build(sha1_ok):
    fl = 768                                   # W20 buf field length; fl >> 8 = 3 = W32 name length
    content = bytearray(b"\xab" * fl)          # 0xab.. makes the 48/64-byte readings fail
    content[0] = 0                             # W32 name length high byte
    content[1:4] = b"buf"                      # W32 template name
    struct.pack_into("<I", content, 4, fl - 8)   # W32 template data length
    struct.pack_into("<I", content, 8, fl - 12)  # W32 buf field length
    data20 = struct.pack("<I", fl) + bytes(content)
    digest = hashlib.sha1(data20).digest() if sha1_ok else bytes(range(1, 21))
    rec = struct.pack("<I", 10) + digest + struct.pack("<I", 3) + b"buf" + struct.pack("<I", len(data20)) + data20
    return bytes(rec)

def parses(buf, w):
    off = 0
    while off < len(buf):
        if len(buf) - off < 8 + w: return False
        (pcr,) = struct.unpack_from("<I", buf, off)
        (nl,) = struct.unpack_from("<I", buf, off + 4 + w)
        if pcr > 23 or nl == 0 or nl >= 256: return False
        o = off + 8 + w
        if buf[o:o + nl] != b"buf": return False
        o += nl
        (dl,) = struct.unpack_from("<I", buf, o); o += 4
        if o + dl > len(buf): return False
        (fl,) = struct.unpack_from("<I", buf, o)
        if fl + 4 != dl: return False
        off = o + dl
    return True

for name, ok in (("amb.bin", False), ("amb-sha1ok.bin", True)):
    b = build(ok)
    assert parses(b, 20) and parses(b, 32) and not parses(b, 48) and not parses(b, 64)
    open(f"{sys.argv[1]}/{name}", "wb").write(b)
d = build(True)[4:24]
print(hashlib.sha1(b"\0" * 20 + d).hexdigest(), file=open(f"{sys.argv[1]}/amb-sha1ok.pcr", "w"))
EOF
pass "constructed list parses at 20- and 32-byte widths (independent parser), not at 48 or 64"
expect_rc 2 "two widths fit, neither digest checks: refused" "$WARD" log replay "$T/amb.bin"
expect_stderr_match '--log-bank' "two widths fit: the message points to --log-bank"
expect_rc 2 "two widths fit, --format binary: refused" "$WARD" log replay "$T/amb.bin" --format binary
expect_stderr_match '--log-bank' "two widths fit, --format binary: the message points to --log-bank"
expect_rc 1 "two widths fit, --log-bank sha1: parses, digest does not check" "$WARD" log replay "$T/amb.bin" --log-bank sha1
expect_stderr_match 'offset 0[^0-9]' "--log-bank sha1 on the two-width list: names offset 0"
expect_rc 1 "two widths fit, --log-bank sha256: parses, digest does not check" "$WARD" log replay "$T/amb.bin" --log-bank sha256
expect_rc 2 "two widths fit, --log-bank sha384: does not parse" "$WARD" log replay "$T/amb.bin" --log-bank sha384
# When only one width's digests check, that width is the answer.
expect_rc 0 "two widths fit, only the SHA-1 digest checks: detected as sha1" "$WARD" log replay "$T/amb-sha1ok.bin"
expect_eq "$(cat "$OUT")" "$(cat "$T/amb-sha1ok.pcr")" "two-width list with a good SHA-1 digest: SHA-1 register (python replay)"
expect_rc 1 "the same list read with --log-bank sha256: digest does not check" "$WARD" log replay "$T/amb-sha1ok.bin" --log-bank sha256

finish
