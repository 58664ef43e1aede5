#!/usr/bin/env bash
# The sandbox porting API (ward/sandbox_io.h) with a real ported service, sealed.c: it loads a
# "model" (a word list declared in "files"), seals with ward_sandbox_seal(), reads its input
# with ward_sandbox_read_input() and answers the input's words that are in the model. With
# "activation": "api", one-shot (`ward sandbox run`) and through wardd:
#   - the result is right, the program's memory is locked (seal returned 0, VmLck > 0);
#   - what it opens before sealing is measured and recorded (a model on a code mount: its
#     ima-ng record is the proof it was read before the seal);
#   - after sealing, a file of /usr not measured before is refused (EPERM, the guard's denial)
#     and nothing of it reaches the log; one opened before sealing is known and opens again;
#   - a program declared "api" that never seals fails with status unavailable (its warm-up
#     ends when it exits) and wardd goes on serving the other services.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=wardd-lib.sh
. "$(dirname "$0")/wardd-lib.sh"
: "${WARD_SEALED:?WARD_SEALED must name ward-test-sealed (run through meson test)}"
require_cmd sha256sum

# A /usr file no service here opens before it seals (unless told to: early-open).
GPL=/usr/share/common-licenses/GPL-3
[[ -r "$GPL" ]] || skip "$GPL is not installed (base-files)"
GPL_SHA=$(sha256_file "$GPL")
GPL_SIZE=$(stat -c %s "$GPL")

CD=$(code_dir code)
cp "$WARD_SEALED" "$CD/sealed"
chmod 0755 "$CD/sealed"
SEALED_SHA=$(sha256_file "$CD/sealed")
DATA=$T/data
mkdir -p "$DATA"
chmod 0755 "$DATA"
printf 'alpha\nbeta\ngamma\ndelta\n' >"$DATA/model.txt"
chmod 0644 "$DATA/model.txt"
# The same model on the code mount: read there before sealing, it is measured and recorded.
cp "$DATA/model.txt" "$CD/model.txt"
chmod 0644 "$CD/model.txt"
MODEL_SHA=$(sha256_file "$CD/model.txt")

INPUT="the alpha and the omega, beta; zeta delta"
WANT_MATCH=$'match: alpha\nmatch: delta'
# (beta; has a ';' attached: not a word of the model. Splitting is on blanks only.)

SVC=$T/svc
mkdir -p "$SVC"
chmod 0755 "$SVC"
# svc NAME MODEL ARGS...: a manifest NAME.json for `sealed MODEL ARGS...`, activation api.
svc() {
	local name=$1 model=$2 args="" a
	shift 2
	for a in "$@"; do args+=", \"$a\""; done
	manifest "$SVC/$name.json" '{"name": "'"$name"'", "argv": ["'"$CD/sealed"'", "'"$model"'"'"$args"'],
 "code": ["'"$CD"'"], "files": ["'"$DATA/model.txt"'"], "activation": "api", "memory_mb": 64,
 "pool": 1}'
}
svc words "$DATA/model.txt" words
svc late "$DATA/model.txt" late-open "$GPL"
svc early "$DATA/model.txt" early-open "$GPL"
svc cmodel "$CD/model.txt" words
svc noseal "$DATA/model.txt" noseal

# expect_report WHAT: the last command's stdout is the words' report of a sealed sandbox.
expect_report() {
	expect_eq "$(grep '^match: ' "$OUT" || true)" "$WANT_MATCH" "$1: the input's words that are in the model"
	expect_stdout_line "model: 4 words" "$1: the model was loaded"
	expect_stdout_line "seal: 0" "$1: ward_sandbox_seal() returned 0 (sealed, memory locked)"
	expect_stdout_match '^vmlck: [1-9][0-9]* kB$' "$1: VmLck > 0 after sealing"
}
# gpl_records STATE: the log's records of the GPL-3 file, one a line: "ima-ng DIGEST" or
# "decision DOMAIN VERDICT GRANT".
gpl_records() {
	"$WARD" --state-dir "$1" log show --json | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    x = e.get("decision")
    if x and x.get("path") == sys.argv[1]:
        print("decision", x["domain"], x["verdict"], x["grant"])
    elif not x and e.get("path") == sys.argv[1]:
        print(e["template"], e.get("digest"))' "$GPL"
}
# ng_digest STATE PATH: the digests of PATH's ima-ng records in STATE's log, one a line.
ng_digest() {
	"$WARD" --state-dir "$1" log show --json |
		python3 -c 'import json,sys; [print(e["digest"]) for e in json.load(sys.stdin)["entries"] if e["template"] == "ima-ng" and e.get("path") == sys.argv[1]]' "$2"
}

section "natively (outside a sandbox): the same binary"
expect_rc 0 "sealed words, natively" "$CD/sealed" "$DATA/model.txt" words <<<"$INPUT"
expect_eq "$(grep '^match: ' "$OUT" || true)" "$WANT_MATCH" "natively: the input's words that are in the model"
expect_stdout_line "seal: -ENOTCONN" "natively: ward_sandbox_seal() returns -ENOTCONN (no WARD_SANDBOX_FD)"
expect_eq "$(wc -c <"$ERR")" 0 "natively: nothing on stderr"

section "one-shot: ward sandbox run"
S=$T/state
new_state "$S"
RUN=(timeout -k 5 60 "$WARD" --state-dir "$S" sandbox run --manifest)
expect_rc 0 "words" "${RUN[@]}" "$SVC/words.json" <<<"$INPUT"
expect_report "one-shot"
expect_eq "$(wc -c <"$ERR")" 0 "one-shot: nothing on stderr"
expect_eq "$(ng_digest "$S" "$CD/sealed")" "sha256:$SEALED_SHA" "one-shot: the program is measured (one ima-ng record, its sha256)"

expect_rc 0 "model on the code mount" "${RUN[@]}" "$SVC/cmodel.json" <<<"$INPUT"
expect_report "one-shot, model on the code mount"
expect_eq "$(ng_digest "$S" "$CD/model.txt")" "sha256:$MODEL_SHA" \
	"one-shot: the model was read before sealing (recorded: nothing is recorded after)"

expect_rc 0 "late-open: $GPL after sealing" "${RUN[@]}" "$SVC/late.json" <<<"$INPUT"
expect_report "one-shot, late-open"
expect_stdout_line "open $GPL: errno=EPERM" "one-shot: a /usr file not measured before sealing is refused (EPERM)"
expect_eq "$(gpl_records "$S")" "" "one-shot: nothing of it is in the log"

expect_rc 0 "early-open: $GPL before and after sealing" "${RUN[@]}" "$SVC/early.json" <<<"$INPUT"
expect_report "one-shot, early-open"
expect_stdout_line "open $GPL: ok $GPL_SIZE bytes" "one-shot: the same file, opened before sealing, opens again after"
expect_eq "$(ng_digest "$S" "$GPL")" "sha256:$GPL_SHA" "one-shot: it was measured before sealing (one ima-ng record)"

expect_rc 1 "noseal: declared api, never seals" "${RUN[@]}" "$SVC/noseal.json" <<<"$INPUT"
expect_eq "$(cat "$ERR")" 'ward: sandbox: unavailable: the service ended its activation channel without sealing (activation "api")' \
	"noseal: status unavailable, warm-up ended when it exited"
expect_eq "$(wc -c <"$OUT")" 0 "noseal: no output"

section "through wardd"
if ! wardd_start w "$SVC"; then
	fail "wardd starts with the sealed services"
	finish
fi
pass "wardd starts with the sealed services"
WS=${WD_STATE[w]}
for s in words late early cmodel; do
	expect_eq "$(wardd_wait_counts w "$s" '^0 0 1 0 0 0$')" "0 0 1 0 0 0" "$s: one sealed sandbox ready (pool 1)"
done
expect_rc 0 "call words" wd_call w words <<<"$INPUT"
expect_report "wardd"
expect_rc 0 "call cmodel" wd_call w cmodel <<<"$INPUT"
expect_report "wardd, model on the code mount"
expect_eq "$(ng_digest "$WS" "$CD/model.txt")" "sha256:$MODEL_SHA" \
	"wardd: the model was read before sealing (recorded once)"
n0=$(record_count "$WS")
for i in 1 2; do
	expect_rc 0 "call late ($i)" wd_call w late <<<"$INPUT"
	expect_stdout_line "open $GPL: errno=EPERM" "wardd: after sealing, $GPL is refused (EPERM) ($i)"
done
# The only records of it are early's, from its warm-up (early-open reads it before sealing).
expect_eq "$(gpl_records "$WS")" "ima-ng sha256:$GPL_SHA"$'\n'"decision svc:early allow open" \
	"wardd: nothing of late's refusal is in the log (the file's only records are early's warm-up)"
expect_rc 0 "call early" wd_call w early <<<"$INPUT"
expect_stdout_line "open $GPL: ok $GPL_SIZE bytes" "wardd: opened before sealing, it opens again after"
wardd_wait_counts w late '^2 0 1 0 0 0$' >/dev/null
wardd_wait_counts w early '^1 0 1 0 0 0$' >/dev/null
expect_eq "$(record_count "$WS")" "$n0" "wardd: the calls recorded nothing (warm-ups of known services add nothing)"

expect_rc 1 "call noseal" wd_call w noseal <<<"$INPUT"
expect_eq "$(cat "$ERR")" "ward: sandbox call noseal: unavailable: the service's sandbox could not start (see wardd's log)" \
	"wardd, noseal: status unavailable"
expect_eq "$(wc -c <"$OUT")" 0 "wardd, noseal: no output"
run cat "${WD_LOG[w]}"
expect_stdout_match '^wardd: service noseal: .*(seal|activation)' \
	"wardd --verbose says why noseal's sandbox could not start"
expect_rc 0 "wardd still serves words" wd_call w words <<<"$INPUT"
expect_report "wardd, after noseal"

wardd_stop w
expect_eq "$RC" 0 "wardd stops on SIGTERM with status 0"
expect_eq "$LEFT" "" "wardd left nothing behind (processes, cgroups)"
expect_clean_log w
finish
