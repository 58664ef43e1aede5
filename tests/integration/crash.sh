#!/usr/bin/env bash
# Crash safety of the log: kill -9 a writer appending in a loop, reopen: every record it
# reported is there, at its index, and the log replays (evidence verifies). Also two writers
# at once (indexes never collide), torn tails made by hand (cut on the next write, no earlier
# record lost) and damage before the tail (refused, the file left as it was).
#
# The writer is ward-test-appender (appender.c): it prints "ok <index> <path>" only after
# state_append() returned, i.e. after the records are durable.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3
: "${WARD_APPENDER:?WARD_APPENDER must name ward-test-appender (run through meson test)}"
AP=$WARD_APPENDER

SEED=${WARD_CRASH_SEED:-$(($(date +%s) % 32768))}
RANDOM=$SEED
note "random seed $SEED (rerun with WARD_CRASH_SEED=$SEED)"

# The checker: the log as 'ward log show --json' reads it, against every promise made.
cat >"$T/check.py" <<'EOF'
"""check.py SHOW_JSON OUTFILE...: every complete "ok I P" line has record I with path P and
digest sha256(P); no index promised twice; per writer tag, the log holds counters 0..k-1 in
order (no record lost before the last, none twice) and every promised counter is below k."""
import hashlib, json, re, sys
show = json.load(open(sys.argv[1]))
ents = show["entries"]
assert show["records"] == len(ents), "records != entries"
assert [e["index"] for e in ents] == list(range(len(ents))), "indexes not 0..n-1"
by_tag = {}
for e in ents:
    m = re.fullmatch(r"/crash/([^/]+)/(\d+)", e.get("path", ""))
    if not m:
        continue
    want = "sha256:" + hashlib.sha256(e["path"].encode()).hexdigest()
    assert e["digest"] == want, f"record {e['index']}: digest {e['digest']} != {want}"
    by_tag.setdefault(m.group(1), []).append(int(m.group(2)))
for tag, cs in by_tag.items():
    assert cs == list(range(len(cs))), f"writer {tag}: counters in the log are not 0..{len(cs) - 1} in order"
promised = {}
last = -1
for path in sys.argv[2:]:
    data = open(path).read()
    lines = data.split("\n")
    if not data.endswith("\n"):
        lines = lines[:-1]  # a line cut by the kill is no promise
    for line in lines:
        if not line:
            continue
        m = re.fullmatch(r"ok (\d+) (/crash/([^/]+)/(\d+))", line)
        assert m, f"{path}: unexpected line {line!r}"
        i, p = int(m.group(1)), m.group(2)
        assert i not in promised, f"index {i} promised twice: {promised[i]} and {p}"
        promised[i] = p
        last = max(last, i)
        assert i < len(ents), f"promised record {i} ({p}) is beyond the log ({len(ents)} records)"
        assert ents[i].get("path") == p, f"record {i} is {ents[i].get('path')!r}, promised {p!r}"
assert len(ents) >= last + 1
print(f"{len(promised)} promises kept, log has {len(ents)} records")
EOF

NONCE=00ff00ff

# verify_log DIR WHAT: the log reads back, keeps every promise and verifies as evidence.
verify_log() {
	local dir=$1 what=$2
	shift 2
	expect_rc 0 "$what: ward log show --json" "$WARD" log show --state-dir "$dir" --json
	cp "$OUT" "$T/show.json"
	run python3 "$T/check.py" "$T/show.json" "$@"
	if ((RC == 0)); then
		pass "$what: $(cat "$OUT")"
	else
		fail "$what: every reported record is in the log at its index"
		_show_last
	fi
	expect_rc 0 "$what: ward evidence" "$WARD" --state-dir "$dir" evidence --nonce "$NONCE" -o "$T/ev.json"
	"$WARD" --state-dir "$dir" attester pubkey >"$T/pub.pem"
	expect_rc 0 "$what: ward verify --soft-key (the log replays to the attested registers)" \
		"$WARD" verify "$T/ev.json" --nonce "$NONCE" --soft-key "$T/pub.pem"
}

# sleep_ms N
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# start_appender TAG OUT [MAX_BATCH]: sets APID.
start_appender() {
	: >"$2" # exists even when the writer is killed before the shell opened it
	"$AP" "$D" "$1" "$((RANDOM * 32768 + RANDOM + 1))" "${3:-64}" >"$2" 2>"$2.err" &
	APID=$!
	track_pid "$APID"
}

# kill9 PID: SIGKILL and reap; the status must be the kill's, not the writer's own failure.
kill9() {
	local st=0
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || st=$?
	if ((st != 137 && st != 0)); then
		fail "writer $1 died by SIGKILL (status $st: $(head -c 300 "$2.err" 2>/dev/null))"
	fi
}

# A writer appends some 10^5 records a second: every third round starts a new state dir, so
# that each crash lands on the debris of earlier ones while the logs stay small enough to be
# checked whole after every round (also under ASan).
section "one writer, killed with SIGKILL at a random moment, 30 times"
for round in $(seq 1 30); do
	if (((round - 1) % 3 == 0)); then
		D=$T/single-$round
		new_state "$D"
		outs=()
	fi
	o=$T/single-$round.out
	outs+=("$o")
	max_batch=64
	((round % 5 == 0)) && max_batch=1
	start_appender "s$round" "$o" "$max_batch"
	if ((RANDOM % 6 == 0)); then
		ms=0 # right after start: inside state_open, or the first append
	else
		ms=$((5 + RANDOM % 196))
		sleep_ms "$ms"
	fi
	kill9 "$APID" "$o"
	note "round $round: killed after ${ms} ms (batches of 1..$max_batch), $(grep -c '^ok ' "$o" || true) records reported"
	# Reopen: show is read-only (ignores a torn tail), evidence opens for writing (cuts it).
	verify_log "$D" "round $round" "${outs[@]}"
done
total=$(cat "$T"/single-*.out | grep -c '^ok ' || true)
if ((total > 0)); then
	pass "the writers reported $total records over 30 rounds (the test exercised something)"
else
	fail "the writers reported records"
fi
expect_rc 0 "a normal writer appends after all the crashes" "$WARD" --state-dir "$D" measure "$T/check.py"

section "two writers on the same state dir, each killed at its own random moment, 10 times"
for round in $(seq 1 10); do
	if (((round - 1) % 2 == 0)); then
		D=$T/pair-$round
		new_state "$D"
		outs=()
	fi
	oa=$T/pair-$round-a.out
	ob=$T/pair-$round-b.out
	outs+=("$oa" "$ob")
	start_appender "a$round" "$oa"
	pa=$APID
	start_appender "b$round" "$ob"
	pb=$APID
	ta=$((5 + RANDOM % 196))
	tb=$((5 + RANDOM % 196))
	if ((ta < tb)); then
		sleep_ms "$ta"
		kill9 "$pa" "$oa"
		sleep_ms $((tb - ta))
		kill9 "$pb" "$ob"
	else
		sleep_ms "$tb"
		kill9 "$pb" "$ob"
		sleep_ms $((ta - tb))
		kill9 "$pa" "$oa"
	fi
	na=$(grep -c '^ok ' "$oa" || true)
	nb=$(grep -c '^ok ' "$ob" || true)
	note "round $round: a killed after $ta ms ($na reported), b after $tb ms ($nb reported)"
	verify_log "$D" "pair round $round" "${outs[@]}"
done

section "first use interrupted: a writer killed while it creates the state dir, 10 times"
for round in $(seq 1 10); do
	D=$T/first-$round
	o=$T/first-$round.out
	start_appender "f$round" "$o" 8
	ms=$((RANDOM % 12))
	((ms > 0)) && sleep_ms "$ms"
	kill9 "$APID" "$o"
	note "round $round: killed after ${ms} ms; the dir holds: $(find "$D" -mindepth 1 -printf '%f ' 2>/dev/null || true)"
	# The read-only verbs refuse a dir whose setup never finished (no state.json or no log:
	# "not a ward state dir"); the next writer must finish the setup.
	expect_rc 0 "first use round $round: the next writer finishes the setup" \
		"$WARD" --state-dir "$D" --attester soft attester pubkey
	verify_log "$D" "first use round $round" "$o"
done

section "a writer that is not killed, after the crashes: every record reported, none lost"
D=$T/pair-9
D_full=$D
o=$T/full.out
outs+=("$o")
run "$AP" "$D" full 1 64 5000
cp "$OUT" "$o"
expect_eq "$RC" 0 "appender of 5000 records exits 0"
expect_eq "$(grep -c '^ok ' "$o")" 5000 "5000 records reported"
verify_log "$D_full" "after 5000 uninterrupted records" "${outs[@]}"

# ---------------------------------------------------------------------------------------------
# Torn tails and damage made by hand, on copies of a small log.
section "a small log and its frames"
B=$T/base
new_state "$B"
for i in 1 2 3 4 5; do echo "file $i" >"$T/m$i"; done
expect_rc 0 "measure 5 files" "$WARD" --state-dir "$B" measure "$T/m1" "$T/m2" "$T/m3" "$T/m4" "$T/m5"
"$WARD" log show --state-dir "$B" --json >"$T/base.json"
# frames FILE: "offset length" of each frame of the on-disk log (16-byte file header, then
# "WREC" u32 payload length, u64 sequence, payload, 16-byte check).
frames() {
	python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"WARDLOG\0", "log header"
off = 16
while off < len(b):
    assert b[off:off + 4] == b"WREC", off
    (plen,) = struct.unpack_from("<I", b, off + 4)
    print(off, 16 + plen + 16)
    off += 16 + plen + 16
EOF
}
mapfile -t FR < <(frames "$B/log")
expect_eq "${#FR[@]}" 5 "the log holds 5 frames"

# paths_of DIR: the recorded paths, one per line.
paths_of() { "$WARD" log show --state-dir "$1" --json | python3 -c 'import json,sys; [print(e["path"]) for e in json.load(sys.stdin)["entries"]]'; }
paths_of "$B" >"$T/base.paths"

fresh_copy() {
	rm -rf "$T/c"
	cp -a "$B" "$T/c"
}

# torn_case WHAT EXPECTED_RECORDS: $T/c/log was edited to have a torn tail. show ignores it,
# the next writer cuts it (with a warning) and every record before it is kept.
torn_case() {
	local what=$1 want=$2 size
	expect_rc 0 "$what: log show" "$WARD" log show --state-dir "$T/c" --json
	expect_eq "$(json_get "$OUT" 'j["records"]')" "$want" "$what: log show sees $want records"
	expect_rc 0 "$what: evidence (opens the log for writing)" "$WARD" --state-dir "$T/c" evidence --nonce "$NONCE" -o "$T/ev.json"
	expect_stderr_match 'cut [0-9]+ bytes of torn tail' "$what: the cut is reported"
	size=$(stat -c %s "$T/c/log")
	expect_eq "$size" "$(($(echo "${FR[$((want - 1))]}" | awk '{print $1 + $2}')))" "$what: the log now ends after frame $want"
	expect_eq "$(paths_of "$T/c")" "$(head -n "$want" "$T/base.paths")" "$what: the first $want records are intact"
	"$WARD" --state-dir "$T/c" attester pubkey >"$T/pub.pem"
	expect_rc 0 "$what: evidence verifies" "$WARD" verify "$T/ev.json" --nonce "$NONCE" --soft-key "$T/pub.pem"
	expect_rc 0 "$what: the next append works" "$WARD" --state-dir "$T/c" measure "$T/m1"
	expect_rc 0 "$what: no second cut" "$WARD" --state-dir "$T/c" evidence --nonce "$NONCE" -o "$T/ev.json"
	if grep -q 'torn tail' "$ERR"; then fail "$what: no second cut"; else pass "$what: no second cut message"; fi
}

section "torn tails: cut on the next write, nothing before them lost"
for cut in 1 5 16 31 $(($(echo "${FR[4]}" | awk '{print $2}') - 1)); do
	fresh_copy
	truncate -s "-$cut" "$T/c/log"
	torn_case "last frame short by $cut bytes" 4
done
fresh_copy
head -c 4096 /dev/zero >>"$T/c/log"
torn_case "4096 zero bytes appended (a zero-filled extension after a crash)" 5
fresh_copy
head -c 1000 /dev/urandom >>"$T/c/log"
torn_case "1000 random bytes appended" 5
fresh_copy
read -r fo fl <<<"${FR[4]}"
tail -c +$((fo + 1)) "$B/log" | head -c 20 >>"$T/c/log"
torn_case "the first 20 bytes of a frame appended" 5
fresh_copy
printf 'WREC' >>"$T/c/log"
torn_case "a bare frame magic appended" 5

# damage_case WHAT: $T/c/log was damaged before its tail. Every opener refuses (exit 1) and the
# file is left exactly as it was.
damage_case() {
	local what=$1 before
	before=$(sha256_file "$T/c/log")
	expect_rc 1 "$what: log show refuses" "$WARD" log show --state-dir "$T/c" --json
	expect_stderr_match 'offset [0-9]+' "$what: log show names the offset"
	expect_eq "$(sha256_file "$T/c/log")" "$before" "$what: log show left the file unchanged"
	expect_rc 1 "$what: log export refuses" "$WARD" log export --state-dir "$T/c" --format binary -o "$T/x.bin"
	expect_rc 1 "$what: measure refuses" "$WARD" --state-dir "$T/c" measure "$T/m1"
	expect_eq "$(sha256_file "$T/c/log")" "$before" "$what: measure left the file unchanged"
	expect_rc 1 "$what: evidence refuses" "$WARD" --state-dir "$T/c" evidence --nonce "$NONCE"
	expect_eq "$(sha256_file "$T/c/log")" "$before" "$what: evidence left the file unchanged"
	run "$AP" "$T/c" dmg 1 1 1
	expect_eq "$RC" 3 "$what: state_open/state_append refuse in a library writer too"
	expect_eq "$(sha256_file "$T/c/log")" "$before" "$what: the library writer left the file unchanged"
}

section "damage before the tail: refused, never cut"
for k in 0 1 3; do
	fresh_copy
	read -r fo fl <<<"${FR[$k]}"
	at=$((fo + fl / 2))
	python3 -c 'import sys; p, at = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read()); b[at] ^= 0x40; open(p, "wb").write(b)' "$T/c/log" "$at"
	damage_case "byte $at (inside record $k) flipped"
done
fresh_copy
read -r fo fl <<<"${FR[2]}"
python3 -c 'import sys; p, o, l = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]); b = open(p, "rb").read(); open(p, "wb").write(b[:o] + b[o + l:])' "$T/c/log" "$fo" "$fl"
damage_case "record 2 removed whole (valid frames, a gap in the sequence)"
fresh_copy
read -r fo fl <<<"${FR[4]}"
tail -c +$((fo + 1)) "$B/log" >>"$T/c/log"
damage_case "the last frame appended again (a replayed record)"
fresh_copy
read -r f1 l1 <<<"${FR[1]}"
read -r f2 l2 <<<"${FR[2]}"
python3 -c '
import sys
p, a, la, b_, lb = sys.argv[1], *map(int, sys.argv[2:])
b = open(p, "rb").read()
open(p, "wb").write(b[:a] + b[b_:b_ + lb] + b[a:a + la] + b[b_ + lb:])' "$T/c/log" "$f1" "$l1" "$f2" "$l2"
damage_case "records 1 and 2 swapped"

section "a log cut inside its header"
fresh_copy
truncate -s 8 "$T/c/log"
before=$(sha256_file "$T/c/log")
expect_rc_in "1 2" "log show of a log cut to 8 bytes refuses" "$WARD" log show --state-dir "$T/c"
expect_rc_in "1 2" "measure into a log cut to 8 bytes refuses" "$WARD" --state-dir "$T/c" measure "$T/m1"
expect_eq "$(sha256_file "$T/c/log")" "$before" "the headless log is left as it was (not recreated)"

finish
