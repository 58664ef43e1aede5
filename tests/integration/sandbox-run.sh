#!/usr/bin/env bash
# `ward sandbox run` as an operator meets it: --help and usage errors; malformed manifests and
# a manifest this host cannot serve refused with exit 2, a message naming the fault, and nothing
# recorded; real Unix filters from /usr (tr, jq, gzip, sqlite3 over a read-only database in
# "files") returning their result on stdout; a service that fails returning exit 1, its status,
# and no stdout at all (never a partial result). Each run that gets as far as registering the
# service writes exactly one ward-service record, which names the manifest by the sha256 of its
# bytes, followed by the ima-ng records of the code the service ran.
# shellcheck disable=SC2016 # single-quoted: the manifests' and inner shells' $x, $1, $2
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=domain-lib.sh
. "$(dirname "$0")/domain-lib.sh"
require_cmd timeout sha256sum tr jq gzip gunzip sqlite3 cmp tesseract

S=$T/state
new_state "$S"
# The sandbox reads "files" below $T under its own uid: the path must be searchable.
chmod 0755 "$T"

# srun ARG...: `ward --state-dir $S sandbox run ARG...` under a timeout, stdin inherited,
# through run() ($OUT, $ERR, $RC).
srun() {
	run timeout -k 5 60 "$WARD" --state-dir "$S" sandbox run "$@"
}

# put NAME TEXT: $T/NAME.json holding exactly TEXT; prints its path.
put() {
	printf '%s' "$2" >"$T/$1.json"
	printf '%s\n' "$T/$1.json"
}

# The log from record FROM on, read back through `ward log export --format ascii` (ima-buf
# payloads in hex): svc (the ward-service payloads), ng ((digest, path) of the ima-ng records),
# args; prints eval(EXPR).
cat >"$T/.since.py" <<'EOF'
import json, sys
path, start, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
args = sys.argv[4:]
svc, ng = [], []
for i, line in enumerate(l for l in open(path).read().split("\n") if l):
    if i < start:
        continue
    pcr, tdig, tmpl, rest = line.split(" ", 3)
    if tmpl == "ima-buf":
        digest, rest = rest.split(" ", 1)
        name, data = rest.rsplit(" ", 1)
        if name == "ward-service":
            svc.append(json.loads(bytes.fromhex(data)))
    elif tmpl == "ima-ng":
        digest, p = rest.split(" ", 1)
        ng.append((digest, p))
print(eval(expr))
EOF

# since FROM EXPR [ARG...]: EXPR over the records of $S's log from index FROM on.
since() {
	local from=$1 expr=$2
	shift 2
	"$WARD" --state-dir "$S" log export --format ascii -o "$T/.since.ascii" >/dev/null &&
		python3 "$T/.since.py" "$T/.since.ascii" "$from" "$expr" "$@"
}

# expect_service_record FROM MANIFEST NAME CODE WHAT: the records from FROM on hold exactly one
# ward-service record: service NAME, domain svc:NAME, mode measure, manifest the sha256 of the
# MANIFEST file's bytes; and an ima-ng record of CODE (an absolute path) with its sha256.
expect_service_record() {
	local from=$1 m=$2 name=$3 code=$4 what=$5
	expect_eq "$(since "$from" 'len(svc)')" 1 "$what: one ward-service record for the run"
	expect_eq "$(since "$from" '[(s["service"], s["domain"], s["mode"], s["manifest"]) for s in svc]')" \
		"[('$name', 'svc:$name', 'measure', '$(sha256_file "$m")')]" \
		"$what: it names the service and the manifest's sha256 (sha256sum of the file)"
	expect_eq "$(since "$from" '(args[0], args[1]) in ng' "sha256:$(sha256_file "$code")" "$code")" True \
		"$what: an ima-ng record of $code with its sha256"
}

# expect_nothing_recorded BEFORE WHAT: the log still has BEFORE records.
expect_nothing_recorded() {
	expect_eq "$(record_count "$S")" "$1" "$2: nothing recorded (still $1 records)"
}

section "usage"
expect_rc 0 "ward sandbox --help" "$WARD" sandbox --help
expect_stdout_match '^Usage: ward sandbox run \[--state-dir DIR\] \[--policy FILE \[--audit\]\] \[--json\]$' "sandbox --help: the synopsis"
expect_stdout_match '^Exit status: 0 the service succeeded; 1 the request failed' "sandbox --help: the exit statuses"
expect_rc 0 "ward sandbox run --help" "$WARD" sandbox run --help
expect_stdout_match '^Usage: ward sandbox run ' "sandbox run --help: the synopsis"
n0=$(record_count "$S")
expect_rc 2 "sandbox run without --manifest" "$WARD" --state-dir "$S" sandbox run
expect_stderr_match '^Usage: ward sandbox run ' "without --manifest: the usage, on stderr"
expect_eq "$(stat -c %s "$OUT")" 0 "without --manifest: nothing on stdout"
expect_rc 2 "ward sandbox (no command)" "$WARD" sandbox
expect_rc 2 "ward sandbox frob" "$WARD" sandbox frob
expect_stderr_line "ward: sandbox: unknown command 'frob' (run, call, digest)" "sandbox frob: names it"
M=$(put upper '{"name": "upper", "argv": ["/usr/bin/tr", "a-z", "A-Z"]}')
expect_rc 2 "sandbox run: a stray argument" "$WARD" --state-dir "$S" sandbox run --manifest "$M" extra
expect_rc 2 "sandbox run: --audit without --policy" "$WARD" --state-dir "$S" sandbox run --audit --manifest "$M"
expect_stderr_line "ward: --audit needs a policy (--policy FILE or an installed one)" "--audit alone: says so"
expect_rc 2 "sandbox run: a manifest that does not exist" "$WARD" --state-dir "$S" sandbox run --manifest "$T/none.json"
expect_stderr_line "ward: $T/none.json: No such file or directory" "missing manifest: names it"
expect_nothing_recorded "$n0" "usage errors"

section "malformed manifests: exit 2, a message that names the fault, nothing recorded"
n0=$(record_count "$S")
M=$(put unknown '{"name": "x", "argv": ["/usr/bin/tr", "a", "b"], "bogus": 1}')
srun --manifest "$M" </dev/null
expect_eq "$RC" 2 "unknown key: exit 2"
expect_stderr_line "ward: $M: unknown key \"bogus\"" "unknown key: file and key named"
expect_eq "$(stat -c %s "$OUT")" 0 "unknown key: nothing on stdout"
expect_nothing_recorded "$n0" "unknown key"
M=$(put misspelled '{"Name": "x", "argv": ["/usr/bin/tr", "a", "b"]}')
srun --manifest "$M" </dev/null
expect_eq "$RC" 2 "misspelled key (Name): exit 2"
expect_stderr_line "ward: $M: unknown key \"Name\"" "misspelled key: named"
expect_nothing_recorded "$n0" "misspelled key"
M=$(put dup '{"name": "x", "name": "y", "argv": ["/usr/bin/tr", "a", "b"]}')
srun --manifest "$M" </dev/null
expect_eq "$RC" 2 "duplicate key: exit 2"
expect_stderr_match "^ward: $M: line 1, column [0-9]+: duplicate object key near '\"name\"'\$" "duplicate key: file, position and key named"
expect_nothing_recorded "$n0" "duplicate key"
M=$(put dupenv '{"name": "x", "argv": ["/usr/bin/tr", "a", "b"], "env": {"A": "1", "A": "2"}}')
srun --manifest "$M" </dev/null
expect_eq "$RC" 2 "duplicate key in env: exit 2"
expect_stderr_match "^ward: $M: .*duplicate.*\"A\"" "duplicate env key: named"
expect_nothing_recorded "$n0" "duplicate env key"
M=$(put badjson '{"name": "x",
 "argv": ["/usr/bin/tr" "a", "b"]}')
srun --manifest "$M" </dev/null
expect_eq "$RC" 2 "bad JSON: exit 2"
expect_stderr_match "^ward: $M: line 2, column [0-9]+: " "bad JSON: file, line and column"
expect_nothing_recorded "$n0" "bad JSON"
M=$(put trailing '{"name": "x", "argv": ["/usr/bin/tr", "a", "b"]} {}')
srun --manifest "$M" </dev/null
expect_eq "$RC" 2 "a second document after the object: exit 2"
expect_stderr_match "^ward: $M: " "trailing document: file named"
expect_nothing_recorded "$n0" "trailing document"
M=$(put type '{"name": "x", "argv": ["/usr/bin/tr", "a", "b"], "memory_mb": "64"}')
srun --manifest "$M" </dev/null
expect_eq "$RC" 2 "memory_mb as a string: exit 2"
expect_stderr_match "^ward: $M: .*memory_mb" "wrong type: the key named"
expect_nothing_recorded "$n0" "wrong type"

section "a \"files\" entry the sandbox's uid could not read: exit 2, named, nothing recorded"
mkdir -p "$T/db"
chmod 0755 "$T/db"
DB=$T/db/cities.db
sqlite3 "$DB" "create table t(k text, v text); insert into t values('alpha', 'one'); insert into t values('beta', 'two');"
chmod 0640 "$DB"
SQ=$(put sqlite "{\"name\": \"sq\", \"argv\": [\"/usr/bin/sqlite3\", \"-batch\", \"file:$DB?immutable=1\"], \"files\": [\"$DB\"], \"stderr\": \"client\"}")
n0=$(record_count "$S")
echo "select v from t;" >"$T/select-all.sql"
srun --manifest "$SQ" <"$T/select-all.sql"
expect_eq "$RC" 2 "files: a 0640 file: exit 2"
expect_stderr_line "ward: $SQ: \"files\": $DB: not readable by others (mode 0640): the sandbox runs as a uid of its own" "files: the file and its mode named"
expect_eq "$(stat -c %s "$OUT")" 0 "files: nothing on stdout"
expect_nothing_recorded "$n0" "files not world-readable"
chmod 0644 "$DB"

section "tr: hello -> HELLO"
M=$T/upper.json
n0=$(record_count "$S")
printf 'hello' >"$T/hello"
srun --manifest "$M" <"$T/hello"
expect_eq "$RC" 0 "tr: exit 0"
expect_eq "$(cat "$OUT")" "HELLO" "tr: the result"
expect_eq "$(stat -c %s "$ERR")" 0 "tr: nothing on stderr"
expect_service_record "$n0" "$M" upper /usr/bin/tr "tr"
# A second run of the same service is a new run: its own ward-service record.
n0=$(record_count "$S")
srun --manifest "$M" <"$T/hello"
expect_eq "$RC:$(cat "$OUT")" "0:HELLO" "tr again: the same result"
expect_service_record "$n0" "$M" upper /usr/bin/tr "tr again"

section "jq: {\"a\":1} with .a -> 1"
M=$(put jq '{"name": "jq", "argv": ["/usr/bin/jq", ".a"]}')
n0=$(record_count "$S")
printf '{"a":1}' >"$T/a.json"
srun --manifest "$M" <"$T/a.json"
expect_eq "$RC" 0 "jq: exit 0"
expect_eq "$(cat "$OUT")" 1 "jq: the result"
expect_service_record "$n0" "$M" jq /usr/bin/jq "jq"

section "gzip: compressed in a sandbox, gunzip natively gives the input back"
M=$(put gz '{"name": "gz", "argv": ["/usr/bin/gzip", "-c", "-n"]}')
{
	for i in $(seq 2000); do echo "line $i of a compressible text"; done
	head -c 65536 /dev/urandom
} >"$T/plain"
n0=$(record_count "$S")
srun --manifest "$M" <"$T/plain"
expect_eq "$RC" 0 "gzip: exit 0"
cp "$OUT" "$T/plain.gz"
check "gzip: the result is gzip data that gunzip takes back to the input" \
	sh -c 'gunzip -c <"$1" | cmp - "$2"' _ "$T/plain.gz" "$T/plain"
gzip -c -n <"$T/plain" >"$T/native.gz"
check "gzip: byte for byte what gzip -c -n gives natively" cmp "$T/plain.gz" "$T/native.gz"
expect_service_record "$n0" "$M" gz /usr/bin/gzip "gzip"

# ImageMagick and tesseract load code and data after they read their input (coder modules,
# language data): their manifests list those under "measure". /usr/bin/convert is reached through
# /etc/alternatives, which a sandbox does not have: ward executes the path resolved on the host.
# The host's own images are made with the real ImageMagick (a `convert` earlier on PATH may not be).
IM_CONVERT=$(readlink -f /usr/bin/convert)
IM_LIB=$(dirname "$(dirname "$(dirname "$(readlink -f "$(ls -d /usr/lib/x86_64-linux-gnu/ImageMagick-6*/modules-Q16/coders/png.so)")")")")
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

section "ImageMagick convert: a PNG resized in a sandbox"
"$IM_CONVERT" -size 320x200 gradient:blue-red "$T/in.png"
M=$(put resize "{\"name\": \"resize\", \"argv\": [\"/usr/bin/convert\", \"png:-\", \"-resize\", \"50%\", \"-strip\", \"png:-\"], \"measure\": [\"$IM_LIB\", \"/usr/share/ImageMagick-6\"], \"env\": {\"OMP_THREAD_LIMIT\": \"1\"}, \"memory_mb\": 256, \"scratch_mb\": 32}")
n0=$(record_count "$S")
srun --manifest "$M" <"$T/in.png"
expect_eq "$RC" 0 "convert: exit 0"
expect_eq "$("$IM_CONVERT" "$OUT" -format '%w %h' info:)" "160 100" "convert: the result is a 160x100 image"
OMP_THREAD_LIMIT=1 "$IM_CONVERT" png:- -resize 50% -strip png:- <"$T/in.png" >"$T/native.png"
check "convert: byte for byte what it gives natively" cmp "$OUT" "$T/native.png"
expect_service_record "$n0" "$M" resize "$IM_CONVERT" "convert"
# Reading "-" (any format), it picks the coder from the input's first bytes: after activation.
M2=$(put resize-unmeasured "{\"name\": \"resize\", \"argv\": [\"/usr/bin/convert\", \"-\", \"-resize\", \"50%\", \"png:-\"], \"env\": {\"OMP_THREAD_LIMIT\": \"1\"}, \"memory_mb\": 256, \"scratch_mb\": 32}")
srun --manifest "$M2" <"$T/in.png"
expect_eq "$RC" 1 "convert without \"measure\": its coder, loaded after the input, is refused"
expect_stderr_match '^ward: sandbox: failed: the service exited with status 1; [0-9]+ object\(s\) refused after activation$' \
	"convert without \"measure\": the status and the count of refusals"

section "tesseract: a page rendered here, read in a sandbox"
"$IM_CONVERT" -size 1200x300 xc:white -font "$FONT" -pointsize 60 -fill black \
	-draw "text 40,150 'The quick brown fox'" "$T/page.png"
M=$(put ocr '{"name": "ocr", "argv": ["/usr/bin/tesseract", "stdin", "stdout"], "measure": ["/usr/share/tesseract-ocr"], "env": {"OMP_THREAD_LIMIT": "1"}, "memory_mb": 512}')
n0=$(record_count "$S")
srun --manifest "$M" <"$T/page.png"
expect_eq "$RC" 0 "tesseract: exit 0"
expect_eq "$(tr -s ' \n' ' ' <"$OUT" | sed 's/ *$//')" "The quick brown fox" "tesseract: the text"
expect_service_record "$n0" "$M" ocr /usr/bin/tesseract "tesseract"

section "sqlite3 over a read-only database in \"files\""
db_sum=$(sha256_file "$DB")
echo "select v from t where k = 'alpha';" >"$T/select.sql"
n0=$(record_count "$S")
srun --manifest "$SQ" <"$T/select.sql"
expect_eq "$RC" 0 "sqlite3 SELECT: exit 0"
expect_eq "$(cat "$OUT")" "one" "sqlite3 SELECT: the row"
expect_service_record "$n0" "$SQ" sq /usr/bin/sqlite3 "sqlite3"
echo "insert into t values('gamma', 'three');" >"$T/insert.sql"
n0=$(record_count "$S")
srun --manifest "$SQ" <"$T/insert.sql"
expect_eq "$RC" 1 "sqlite3 INSERT: exit 1"
expect_stderr_line "ward: sandbox: failed: the service exited with status 1" "sqlite3 INSERT: the service failed"
expect_stderr_match 'attempt to write a readonly database' "sqlite3 INSERT: refused: the database is read-only"
expect_eq "$(stat -c %s "$OUT")" 0 "sqlite3 INSERT: nothing on stdout"
expect_eq "$(sha256_file "$DB")" "$db_sum" "sqlite3 INSERT: the database on the host is unchanged"
expect_eq "$(sqlite3 "$DB" 'select count(*) from t;')" 2 "sqlite3 INSERT: still 2 rows"
expect_service_record "$n0" "$SQ" sq /usr/bin/sqlite3 "sqlite3 INSERT"

section "a service that exits non-zero: exit 1, its status, and no stdout (not even what it wrote)"
echo "input" >"$T/line"
M=$(put succeeds '{"name": "fails", "argv": ["/usr/bin/sh", "-c", "read -r x; echo \"partial $x\"; exit 0"]}')
srun --manifest "$M" <"$T/line"
expect_eq "$RC:$(cat "$OUT")" "0:partial input" "exit 0: the same script's line is the result"
M=$(put fails '{"name": "fails", "argv": ["/usr/bin/sh", "-c", "read -r x; echo \"partial $x\"; exit 3"]}')
n0=$(record_count "$S")
srun --manifest "$M" <"$T/line"
expect_eq "$RC" 1 "exit 3: ward exits 1"
expect_stderr_line "ward: sandbox: failed: the service exited with status 3" "exit 3: the status"
expect_eq "$(stat -c %s "$OUT")" 0 "exit 3: no stdout (the service's 'partial input' line is not returned)"
expect_eq "$(since "$n0" 'len(svc)')" 1 "exit 3: one ward-service record for the run"
M=$(put gunzip '{"name": "gunzip", "argv": ["/usr/bin/gzip", "-d", "-c"]}')
printf 'not gzip data\n' >"$T/garbage"
srun --manifest "$M" <"$T/garbage"
expect_eq "$RC" 1 "gzip -d of garbage: ward exits 1"
expect_stderr_line "ward: sandbox: failed: the service exited with status 1" "gzip -d of garbage: status 1"
expect_stderr_nomatch 'not in gzip format' "gzip -d of garbage: its stderr dropped (\"stderr\" defaults to drop)"
expect_eq "$(stat -c %s "$OUT")" 0 "gzip -d of garbage: no stdout"
section "a host that would let data out: refused before anything runs"
M=$(put host '{"name": "host", "argv": ["/usr/bin/tr", "a-z", "A-Z"]}')
n0=$(record_count "$S")
run proc_plain timeout -k 5 60 "$WARD" --state-dir "$S" sandbox run --manifest "$M" <"$T/line"
expect_eq "$RC" 125 "a /proc without hidepid: refused (125)"
expect_stderr_match '/proc shows every process to every user.*hidepid=invisible' \
	"a /proc without hidepid: the reason and the fix"
expect_eq "$(stat -c %s "$OUT")" 0 "a /proc without hidepid: no stdout"
expect_eq "$(record_count "$S")" "$n0" "a /proc without hidepid: nothing recorded"
# kernel.core_pattern is global: set to a pipe helper for the shortest time, restored on exit.
old_pattern=$(cat /proc/sys/kernel/core_pattern)
restore_pattern() { printf '%s\n' "$old_pattern" >/proc/sys/kernel/core_pattern; }
trap 'rc=$?; restore_pattern; (exit "$rc"); _lib_cleanup' EXIT
printf '%s\n' '|/bin/false %p' >/proc/sys/kernel/core_pattern
srun --manifest "$M" <"$T/line"
restore_pattern
expect_eq "$RC" 125 "kernel.core_pattern piping to a helper: refused (125)"
expect_stderr_match 'kernel.core_pattern is "\|/bin/false %p": a crashing sandbox' \
	"kernel.core_pattern piping to a helper: the reason"
expect_eq "$(record_count "$S")" "$n0" "kernel.core_pattern piping to a helper: nothing recorded"
expect_eq "$(cat /proc/sys/kernel/core_pattern)" "$old_pattern" "kernel.core_pattern restored"
finish
