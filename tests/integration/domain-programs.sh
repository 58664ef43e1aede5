#!/usr/bin/env bash
# Real programs in an enforcing domain with the allowlist of /usr: python3 loading a few dozen
# modules and shared libraries, a C build with gcc (its product cannot run where it was built:
# binds are noexec), and a shell script of coreutils commands from a --code dir. Each runs as it
# does on the host, and the log holds what it loaded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=domain-lib.sh
. "$(dirname "$0")/domain-lib.sh"
require_cmd timeout gcc

domain_state
ERUN=(timeout 120 "$WARD" --state-dir "$S" run --policy "$POL")

section "python3: json, ssl, sqlite3 and friends"
PY='import json, ssl, sqlite3, hashlib, decimal, email.parser, urllib.request, zlib
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(i,) for i in range(100)])
print(json.dumps({"ssl": ssl.OPENSSL_VERSION, "sum": db.execute("select sum(x) from t").fetchone()[0],
                  "sha256": hashlib.sha256(b"ward").hexdigest(), "pi": str(decimal.Decimal(355) / 113),
                  "zlib": zlib.crc32(b"ward"), "ctx": type(ssl.create_default_context()).__name__}, sort_keys=True))'
python3 -c "$PY" >"$T/py.want"
expect_run 0 "python3 in an enforcing domain" "${ERUN[@]}" -- python3 -c "$PY"
check "python3: the same output as on the host" cmp "$T/py.want" "$OUT"
expect_stderr_nomatch 'denied' "python3: nothing denied"
n=$(logq "$S" 'len(d["ng"])')
check "python3: the log holds more than 50 measured objects ($n)" test "$n" -gt 50
expect_eq "$(logq "$S" 'sorted({x["verdict"] for x in d["dec"]})')" "['allow']" "python3: every decision is allow"
expect_eq "$(logq "$S" 'bool([o for o in d["ng"] if o["path"].endswith("/libssl.so.3")]) and bool([o for o in d["ng"] if "_sqlite3" in o["path"]])')" \
	"True" "python3: libssl and the _sqlite3 extension are among them"
expect_eq "$(logq "$S" 'dup_decisions(d)')" "[]" "python3: no decision recorded twice"
expect_eq "$(logq "$S" 'len(d["ng"]) == len([x for x in d["dec"] if x["verdict"] != "deny"])')" "True" \
	"python3: one ima-ng record per first sighting of what ran (per grant)"

section "many files: the in-kernel cache grows past 1024 entries and keeps every one"
# Reading 1,500 files of /usr twice in one domain: the first pass raises one event per file and
# caches each (the monitor holds an fd, so its table grows past 1,024); the second raises none.
find /usr/share/doc /usr/share/man -type f -size -64k | sed -n '1,1500p' >"$T/many.list"
MANY='while IFS= read -r f; do cat -- "$f"; done <"$1" >/dev/null'
expect_run 0 "one pass over $(wc -l <"$T/many.list") files" "${ERUN[@]}" --bind-ro "$T/many.list" --stats -- sh -c "$MANY" sh "$T/many.list"
one=$(sed -n 's/^ward: domain [^:]*: \([0-9]*\) events.*/\1/p' "$ERR")
expect_run 0 "two passes in one domain" "${ERUN[@]}" --bind-ro "$T/many.list" --stats -- sh -c "$MANY; $MANY" sh "$T/many.list"
two=$(sed -n 's/^ward: domain [^:]*: \([0-9]*\) events.*/\1/p' "$ERR")
check "many files: more than 1,024 events in one pass ($one)" test "${one:-0}" -gt 1024
expect_eq "$two" "$one" "many files: the second pass raised no event (all cached)"

section "gcc: a C build in a --bind dir"
B=$T/build
mkdir -p "$B"
cat >"$B/main.c" <<'EOF'
#include <stdio.h>
#include "greet.h"
int main(void) { printf("%s %d\n", GREETING, 6 * 7); return 0; }
EOF
echo '#define GREETING "built in a domain:"' >"$B/greet.h"
# shellcheck disable=SC2016
expect_run 0 "gcc -O2 -o out main.c in the bind" "${ERUN[@]}" --bind "$B" -- sh -c 'cd "$1" && gcc -O2 -o out main.c' sh "$B"
check "gcc: the binary is on the host" test -x "$B/out"
if [[ -x "$B/out" ]]; then
	expect_eq "$("$B/out")" "built in a domain: 42" "gcc: the built binary works (run on the host)"
fi
# as is x86_64-linux-gnu-as on Debian: recorded under the name the kernel opened.
expect_eq "$(logq "$S" 'sorted({n for n in ("cc1", "as", "collect2") for o in d["ng"] if o["path"].endswith("/" + n) or o["path"].endswith("-" + n)})')" \
	"['as', 'cc1', 'collect2']" "gcc: cc1, as and collect2 were measured"
expect_eq "$(logq "$S" 'sorted({x["verdict"] for x in d["dec"]})')" "['allow']" "gcc: every decision is allow"
# The product of the build cannot run in the domain: the bind is noexec (EACCES), in any mode.
# shellcheck disable=SC2016
expect_run 0 "running the built binary inside the domain" "${ERUN[@]}" --bind "$B" -- sh -c 'cd "$1" && ./out; echo "status $?"' sh "$B"
expect_stdout_match '^status 126$' "the built binary: not executable in the domain (126)"
expect_stderr_match 'Permission denied' "the built binary: EACCES (noexec bind)"
expect_run 126 "the built binary as CMD" "${ERUN[@]}" --bind "$B" -- "$B/out"
expect_stderr_match "Permission denied \(only /usr and --code dirs are executable in a domain\)" "the built binary as CMD: the hint"
# Put into a --code dir it is code like any other: measured (measure-only) or checked (enforce).
BC=$(code_dir built)
if [[ ! -f "$B/out" ]]; then
	note "the build in the domain failed: the rest of this section uses a build made on the host"
	gcc -O2 -o "$B/out" -I"$B" "$B/main.c"
fi
cp "$B/out" "$BC/out"
expect_run 0 "the built binary from a --code dir, measure-only" timeout 60 "$WARD" --state-dir "$S" run --code "$BC" -- "$BC/out"
expect_stdout_match '^built in a domain: 42$' "measure-only: it runs"
expect_run 126 "the built binary from a --code dir, enforce" "${ERUN[@]}" --code "$BC" -- "$BC/out"
expect_stderr_match "^ward: denied exec of '$BC/out' \(sha256:[0-9a-f]{64}\): not in policy\$" "enforce: not in policy"

section "gcc: a C build in the domain's own /tmp (no bind)"
SRC=$(cat "$B/main.c")
# shellcheck disable=SC2016
expect_run 0 "gcc in /tmp of the domain" "${ERUN[@]}" -- sh -c 'cd /tmp && printf "%s\n" "$1" >main.c && echo "#define GREETING \"tmp:\"" >greet.h && gcc -O2 -o out main.c && ls out && ./out; echo "status $?"' sh "$SRC"
expect_stdout_match '^out$' "gcc in /tmp: built"
expect_stdout_match '^status 126$' "gcc in /tmp: the product cannot run (/tmp is noexec)"

section "a shell script of coreutils commands from a --code dir"
SC=$(code_dir scripts)
cat >"$SC/work.sh" <<'EOF'
#!/bin/sh
set -eu
d=$(mktemp -d /tmp/work.XXXXXX)
cd "$d"
seq 1 1000 | sort -r | head -n 300 | tail -n 100 >nums
wc -l <nums
s=0
for n in $(sort -n nums | uniq); do s=$((s + n)); done
echo "$s"
printf 'b\na\nc\na\n' | sort | uniq -c | tr -s ' ' | sed 's/^ //'
echo "ward domain" | tr 'a-z' 'A-Z' | cut -d' ' -f2
mkdir -p x/y && cp nums x/y/n && mv x/y/n x/y/m && ln -s m x/y/l && readlink x/y/l
sha256sum x/y/m | cut -c1-16
stat -c '%s %F' x/y/m
basename "$d/x/y/m" && dirname x/y/m
expr 6 \* 7
date -u -d @0 +%Y-%m-%d
printf '%s\n' one two three | grep -c o
ls x/y | tr '\n' ' ' && echo
rm -r x nums && cd / && rmdir "$d"
echo done
EOF
chmod 0755 "$SC/work.sh"
sh "$SC/work.sh" >"$T/script.want"
"$WARD" policy scan "$SC/work.sh" -o "$T/script-only.json" 2>/dev/null
make_policy "$T/usr+script.json" --from "$POL" --from "$T/script-only.json"
expect_run 0 "the script, listed, in an enforcing domain" timeout 120 "$WARD" --state-dir "$S" run --policy "$T/usr+script.json" --code "$SC" -- "$SC/work.sh"
check "the script: the same output as on the host" cmp "$T/script.want" "$OUT"
expect_stderr_nomatch 'denied' "the script: nothing denied"
expect_eq "$(logq "$S" '[o["digest"] for o in objs(d, "'"$SC/work.sh"'")][:1]')" "['sha256:$(sha256_file "$SC/work.sh")']" \
	"the script itself is measured"
expect_eq "$(logq "$S" 'len({o["path"] for o in d["ng"] if o["path"].startswith("/usr/bin/")}) >= 15')" "True" \
	"the script: its commands are measured (15 or more from /usr/bin)"
expect_run 126 "the same script, not listed, in an enforcing domain" "${ERUN[@]}" --code "$SC" -- "$SC/work.sh"
expect_stderr_match "^ward: denied exec of '$SC/work.sh' \(sha256:$(sha256_file "$SC/work.sh")\): not in policy\$" "the unlisted script: denied at exec"
expect_run 2 "sh reading the unlisted script" "${ERUN[@]}" --code "$SC" -- sh "$SC/work.sh"
expect_stderr_match "^ward: denied open of '$SC/work.sh'" "sh reading the unlisted script: denied at open"

section "no /etc in a domain unless bound: alternatives symlinks lead through it"
# /usr/bin/awk -> /etc/alternatives/awk -> /usr/bin/mawk on Debian: without /etc the first
# link dangles in the domain.
if [[ "$(readlink /usr/bin/awk)" == /etc/alternatives/* ]]; then
	expect_run 127 "awk without /etc" "${ERUN[@]}" -- awk 'BEGIN { print 6 * 7 }'
	expect_run 0 "awk with --bind-ro /etc" "${ERUN[@]}" --bind-ro /etc -- awk 'BEGIN { print 6 * 7 }'
	expect_stdout_match '^42$' "awk with --bind-ro /etc: runs"
else
	note "/usr/bin/awk is no alternatives link here: nothing to show"
fi

section "the evidence of all of it verifies against the policy"
expect_run 0 "evidence" "$WARD" --state-dir "$S" evidence --nonce 0b0e -o "$T/ev.json"
expect_run 1 "verify --policy (usr): the measure-only run of the built binary is an unknown object" \
	"$WARD" verify "$T/ev.json" --nonce 0b0e --soft-key "$T/pub.pem" --policy "$POL" --json
expect_eq "$(json_get "$OUT" 'sorted({o["path"] for o in j["unknown_objects"]})')" "['$BC/out', '$SC/work.sh']" \
	"verify: the unknown objects are exactly the built binary and the script (listed in another policy)"
expect_run 1 "verify --policy (usr+script)" "$WARD" verify "$T/ev.json" --nonce 0b0e --soft-key "$T/pub.pem" --policy "$T/usr+script.json" --json
expect_eq "$(json_get "$OUT" 'sorted({o["path"] for o in j["unknown_objects"]})')" "['$BC/out']" "verify: with the script listed, only the built binary is unknown"

finish
