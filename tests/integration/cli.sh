#!/usr/bin/env bash
# The command line as a user meets it: help and usage errors, --version, nonce validation, the
# state dir's fixed attester and its permissions, measure's all-or-nothing rule, WARD_STATE_DIR,
# and policy scan of a tree with symlinks and unreadable entries (as 'ward policy --help' says).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3 openssl

section "help: every verb and command prints Usage and exits 0"
HELPS=(
	"--help" "-h"
	"log --help" "log -h" "log replay --help" "log show --help" "log export --help"
	"measure --help" "measure -h"
	"attester --help" "attester pubkey --help"
	"evidence --help" "evidence -h"
	"policy --help" "policy scan --help"
	"verify --help" "verify -h"
)
for h in "${HELPS[@]}"; do
	# shellcheck disable=SC2086 # the words of one help invocation
	expect_rc 0 "ward $h" "$WARD" $h
	expect_stdout_match '^Usage' "ward $h prints Usage on stdout"
done

section "usage errors: exit 2 with a message"
expect_rc 2 "no verb" "$WARD"
expect_stderr_match 'Usage' "no verb: usage on stderr"
expect_rc 2 "unknown verb" "$WARD" frobnicate
expect_stderr_match "unknown verb 'frobnicate'" "unknown verb: named"
expect_rc 2 "unknown global option" "$WARD" --frobnicate log show
for v in "log replay $VEC/ima/ibmtss-vtpm-boot/sha1.log" "log show" "log export --format binary -o -" \
	"measure /etc/hostname" "attester pubkey" "evidence --nonce 00" "policy scan /etc/hostname" \
	"verify /dev/null --nonce 00"; do
	# shellcheck disable=SC2086
	expect_rc 2 "ward $v --frobnicate (unknown option)" "$WARD" --state-dir "$T/never" $v --frobnicate
done
check "usage errors did not create a state dir" test ! -e "$T/never"
expect_rc 2 "log: unknown command" "$WARD" log frob
expect_rc 2 "attester: unknown command" "$WARD" attester frob
expect_rc 2 "policy: unknown command" "$WARD" policy frob
expect_rc 2 "log without a command" "$WARD" log
expect_rc 2 "attester without a command" "$WARD" attester
expect_rc 2 "policy without a command" "$WARD" policy
expect_rc 2 "measure without files" "$WARD" --state-dir "$T/never" measure
expect_rc 2 "log replay without a file" "$WARD" log replay
expect_rc 2 "log replay with two files" "$WARD" log replay /dev/null /dev/null
expect_rc 2 "log show with an argument" "$WARD" --state-dir "$T/never" log show extra
expect_rc 2 "evidence without --nonce" "$WARD" --state-dir "$T/never" evidence
expect_rc 2 "evidence --since -1" "$WARD" --state-dir "$T/never" evidence --nonce 00 --since -1
expect_rc 2 "evidence --since x" "$WARD" --state-dir "$T/never" evidence --nonce 00 --since x
expect_rc 2 "verify without an evidence file" "$WARD" verify --nonce 00
expect_rc 2 "policy scan --version x" "$WARD" policy scan /etc/hostname --version x
expect_rc 2 "policy scan without a path" "$WARD" policy scan
check "still no state dir" test ! -e "$T/never"

section "--version"
expect_rc 0 "--version" "$WARD" --version
expect_stdout_match '^ward 0\.1\.0( |$)' "--version prints 'ward 0.1.0'"
expect_rc 0 "-V" "$WARD" -V
expect_stdout_match '^ward 0\.1\.0( |$)' "-V prints 'ward 0.1.0'"

section "state dir, pinned key"
D=$T/state
echo "one" >"$T/f1"
echo "two" >"$T/f2"
expect_rc 0 "first use with --attester soft" "$WARD" --state-dir "$D" --attester soft measure "$T/f1"
check "state dir is mode 0700" test "$(stat -c %a "$D")" = 700
check "soft-key.pem is mode 0600" test "$(stat -c %a "$D/soft-key.pem")" = 600
check "log is mode 0600" test "$(stat -c %a "$D/log")" = 600
expect_rc 0 "attester pubkey" "$WARD" --state-dir "$D" attester pubkey
cp "$OUT" "$T/pub.pem"
expect_rc 0 "openssl pkey -pubin accepts the PEM" openssl pkey -pubin -in "$T/pub.pem" -noout -text
expect_stdout_match 'ED25519 Public-Key' "openssl sees an ED25519 public key"
expect_rc 0 "attester pubkey again: the same key" "$WARD" attester pubkey --state-dir "$D"
check "the key does not change between calls" cmp "$OUT" "$T/pub.pem"
# shellcheck disable=SC2016 # $1 is the inner shell's
check "the private key is not printed" bash -c '! grep -q PRIVATE "$1"' _ "$T/pub.pem"

section "the attester is a property of the state dir"
n0=$(record_count "$D")
expect_rc 2 "--attester tpm on a soft state dir" "$WARD" --state-dir "$D" --attester tpm measure "$T/f2"
expect_stderr_match 'created with the soft attester' "mixing roots: says what the dir was created with"
expect_stderr_match 'mixes roots of trust' "mixing roots: says why"
expect_eq "$(record_count "$D")" "$n0" "mixing roots: nothing appended"
expect_rc 2 "--attester tsm on a soft state dir (evidence)" "$WARD" --state-dir "$D" --attester tsm evidence --nonce 00
expect_rc 2 "--attester bogus" "$WARD" --state-dir "$D" --attester bogus measure "$T/f2"
expect_stderr_match "unknown attester" "--attester bogus: named"
expect_rc 0 "--attester soft on a soft state dir is fine" "$WARD" --state-dir "$D" --attester soft attester pubkey
expect_rc 0 "no --attester: the dir's own" "$WARD" --state-dir "$D" measure "$T/f2"
cat "$D/state.json" >"$T/state.json.copy"
check "state.json names the soft attester" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["attester"] == "soft"' "$T/state.json.copy"

section "nonce validation (evidence and verify): 1..64 bytes of lower-case hex"
"$WARD" --state-dir "$D" evidence --nonce 00 -o "$T/ev.json" 2>/dev/null
N64=$(printf 'ab%.0s' $(seq 64))
N65=$(printf 'ab%.0s' $(seq 65))
for bad in "" "a" "abc" "ABCD" "aB" "0x00" "zz" "00 11" "$N65"; do
	expect_rc 2 "evidence --nonce '${bad:0:20}' (${#bad} chars)" "$WARD" --state-dir "$D" evidence --nonce "$bad"
	expect_stderr_match 'nonce' "evidence --nonce '${bad:0:20}': the message is about the nonce"
	expect_rc 2 "verify --nonce '${bad:0:20}' (${#bad} chars)" "$WARD" verify "$T/ev.json" --nonce "$bad" --soft-key "$T/pub.pem"
done
expect_rc 0 "evidence --nonce of 64 bytes" "$WARD" --state-dir "$D" evidence --nonce "$N64" -o "$T/ev64.json"
expect_rc 0 "verify --nonce of 64 bytes" "$WARD" verify "$T/ev64.json" --nonce "$N64" --soft-key "$T/pub.pem"
expect_rc 0 "evidence --nonce of 1 byte" "$WARD" --state-dir "$D" evidence --nonce 7f -o "$T/ev1.json"
expect_rc 0 "verify --nonce of 1 byte" "$WARD" verify "$T/ev1.json" --nonce 7f --soft-key "$T/pub.pem"

section "permissions: the key file and the state dir"
n0=$(record_count "$D")
chmod 0644 "$D/soft-key.pem"
for cmd in "measure $T/f1" "evidence --nonce 00" "attester pubkey"; do
	# shellcheck disable=SC2086
	expect_rc 2 "soft-key.pem 0644: $cmd refused" "$WARD" --state-dir "$D" $cmd
	expect_stderr_match 'mode' "soft-key.pem 0644: $cmd: the message mentions the mode"
done
expect_eq "$(record_count "$D")" "$n0" "soft-key.pem 0644: nothing appended"
chmod 0640 "$D/soft-key.pem"
expect_rc 2 "soft-key.pem 0640 (group-readable): refused" "$WARD" --state-dir "$D" evidence --nonce 00
chmod 0600 "$D/soft-key.pem"
mv "$D/soft-key.pem" "$T/key.pem"
ln -s "$T/key.pem" "$D/soft-key.pem"
expect_rc_in "1 2" "soft-key.pem as a symlink: refused" "$WARD" --state-dir "$D" evidence --nonce 00
rm "$D/soft-key.pem"
mv "$T/key.pem" "$D/soft-key.pem"
expect_rc 0 "soft-key.pem 0600 again: works" "$WARD" --state-dir "$D" evidence --nonce 00 -o "$T/ev.json"

for mode in 0777 0770 0702 0720; do
	chmod "$mode" "$D"
	expect_rc 2 "state dir mode $mode: measure refused" "$WARD" --state-dir "$D" measure "$T/f1"
	expect_stderr_match 'writable by group or others' "state dir mode $mode: says why"
	expect_rc 2 "state dir mode $mode: log show refused" "$WARD" --state-dir "$D" log show
done
chmod 0700 "$D"
expect_eq "$(record_count "$D")" "$n0" "refused state dirs: nothing appended"
mkdir -m 0777 "$T/open"
expect_rc 2 "a new state dir that already exists world-writable: refused" "$WARD" --state-dir "$T/open" --attester soft measure "$T/f1"
check "... and no key was written into it" test ! -e "$T/open/soft-key.pem"
if ((EUID == 0)); then
	chown 65534 "$D"
	expect_rc 2 "state dir owned by another uid: refused" "$WARD" --state-dir "$D" measure "$T/f1"
	expect_stderr_match 'owned by uid' "another owner: says why"
	chown 0 "$D"
fi

section "permissions: files inside the state dir (state.h: -EPERM when its files are open to others)"
# The dir may be searchable by others (0711 passes: it is not writable by them); then a log or
# a config that others can write lets them rewrite the evidence the attester signs.
cp -a "$D" "$T/perm"
chmod 0711 "$T/perm"
expect_rc 0 "state dir 0711 (searchable, not writable by others) is accepted" "$WARD" --state-dir "$T/perm" log show
for f in log state.json; do
	n1=$(record_count "$T/perm")
	chmod 0666 "$T/perm/$f"
	expect_rc 2 "$f mode 0666 in a 0711 state dir: measure refused" "$WARD" --state-dir "$T/perm" measure "$T/f1"
	if ((RC != 0)); then
		expect_stderr_match 'mode|permission|writable' "$f mode 0666: the message says why"
	fi
	if [[ $f == log ]]; then
		expect_rc_in "1 2" "$f mode 0666 in a 0711 state dir: evidence refused" "$WARD" --state-dir "$T/perm" evidence --nonce 00
	fi
	chmod 0600 "$T/perm/$f"
	expect_eq "$(record_count "$T/perm")" "$n1" "$f mode 0666: nothing appended"
done
if ((EUID == 0)) && command -v setpriv >/dev/null; then
	chmod 0666 "$T/perm/log"
	chmod 0755 "$T"
	# shellcheck disable=SC2016 # $1 is the inner shell's
	run setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'printf "forged" >>"$1"' _ "$T/perm/log"
	note "impact: with log 0666 in a 0711 dir, uid 65534 appending to it: exit $RC"
	chmod 0700 "$T"
	chmod 0600 "$T/perm/log"
fi

section "-o onto a device node: written to or refused, never replaced"
# '-o /dev/null' is a common idiom; run as root, an output path that is renamed into place
# would replace the system's /dev/null with a regular file. A private node (same major/minor)
# stands in for it.
if ((EUID == 0)); then
	for spec in "log-export:log export --state-dir $D --format binary -o" \
		"evidence:evidence --state-dir $D --nonce 00 -o" "policy-scan:policy scan $T/f1 -o"; do
		label=${spec%%:*}
		node=$T/nulldev
		rm -f "$node"
		if ! mknod -m 0666 "$node" c 1 3; then
			fail "mknod of a private null device (needed for this check)"
			continue
		fi
		# shellcheck disable=SC2086 # the words of one invocation
		expect_rc_in "0 1 2" "ward $label -o <char device 1,3>" "$WARD" ${spec#*:} "$node"
		if [[ -c "$node" ]]; then
			pass "ward $label -o <char device 1,3>: the device node is still a character device"
		else
			fail "ward $label -o <char device 1,3>: the device node was replaced by a $(stat -c %F "$node")"
		fi
	done
	rm -f "$T/nulldev"
else
	note "not root: cannot make a device node (the hazard is root's: /dev is root's)"
fi

section "measure: all or nothing"
n0=$(record_count "$D")
mkdir -p "$T/adir"
expect_rc 2 "measure a directory" "$WARD" --state-dir "$D" measure "$T/adir"
expect_stderr_match 'not a regular file' "measure a directory: says why"
expect_eq "$(record_count "$D")" "$n0" "measure a directory: nothing appended"
expect_rc 2 "measure a missing file" "$WARD" --state-dir "$D" measure "$T/missing"
expect_stderr_match "$T/missing" "measure a missing file: names it"
expect_eq "$(record_count "$D")" "$n0" "measure a missing file: nothing appended"
expect_rc 2 "measure a good file and a missing one" "$WARD" --state-dir "$D" measure "$T/f1" "$T/missing"
expect_eq "$(record_count "$D")" "$n0" "one bad file among good ones: nothing appended"
expect_rc 2 "measure a good file then a directory" "$WARD" --state-dir "$D" measure "$T/f1" "$T/f2" "$T/adir"
expect_eq "$(record_count "$D")" "$n0" "a directory among files: nothing appended"
mkfifo "$T/fifo"
expect_rc 2 "measure a FIFO (not a regular file; must not block)" timeout 20 "$WARD" --state-dir "$D" measure "$T/fifo"
# A private node: the test must not depend on the system's /dev/null being intact.
chardev=/dev/null
if ((EUID == 0)) && mknod -m 0666 "$T/chardev" c 1 3 2>/dev/null; then
	chardev=$T/chardev
fi
expect_rc 2 "measure a character device ($chardev)" "$WARD" --state-dir "$D" measure "$chardev"
expect_eq "$(record_count "$D")" "$n0" "special files: nothing appended"
ln -s "$T/f1" "$T/f1-link"
expect_rc 0 "measure through a symlink" "$WARD" --state-dir "$D" measure "$T/f1-link"
expect_stdout_match " $T/f1\$" "a symlink is recorded under its target's canonical path"
expect_eq "$(record_count "$D")" "$((n0 + 1))" "measure through a symlink: one record"

section "WARD_STATE_DIR"
E=$T/env-state
WARD_STATE_DIR=$E expect_rc 0 "WARD_STATE_DIR for a first use" env WARD_STATE_DIR="$E" "$WARD" --attester soft measure "$T/f1" "$T/f2"
check "WARD_STATE_DIR: the state dir was created there" test -f "$E/state.json"
expect_rc 0 "WARD_STATE_DIR: log show" env WARD_STATE_DIR="$E" "$WARD" log show --json
expect_eq "$(json_get "$OUT" '(j["state_dir"], j["records"])')" "('$E', 2)" "WARD_STATE_DIR: log show reads that dir (2 records)"
expect_rc 0 "--state-dir overrides WARD_STATE_DIR" env WARD_STATE_DIR="$E" "$WARD" --state-dir "$D" log show --json
expect_eq "$(json_get "$OUT" 'j["state_dir"]')" "$D" "--state-dir wins over WARD_STATE_DIR"
expect_rc 0 "verb-level --state-dir overrides WARD_STATE_DIR" env WARD_STATE_DIR="$E" "$WARD" log show --state-dir "$D" --json
expect_eq "$(json_get "$OUT" 'j["state_dir"]')" "$D" "verb-level --state-dir wins over WARD_STATE_DIR"
expect_rc 2 "log show of a dir that is not a state dir" "$WARD" log show --state-dir "$T/adir"
expect_rc 2 "log show of a missing dir" "$WARD" log show --state-dir "$T/nothing-here"
check "log show did not create it" test ! -e "$T/nothing-here"

section "policy scan: symlinks and unreadable entries as 'ward policy --help' documents"
# Documented: symlinks to files are measured (the target's content under the link's path);
# symlinked directories are not followed; unreadable files are reported and left out.
P=$T/scan
mkdir -p "$P/tree/sub/deeper" "$P/outside-dir" "$P/tree/locked"
echo "a" >"$P/tree/a"
echo "b" >"$P/tree/sub/b"
echo "d" >"$P/tree/sub/deeper/d"
echo "target" >"$P/outside-file"
echo "c" >"$P/outside-dir/c"
echo "hidden" >"$P/tree/locked/hidden"
ln -s ../outside-file "$P/tree/link-file"
ln -s ../outside-dir "$P/tree/link-dir"
ln -s ../nowhere "$P/tree/dangling"
echo "secret" >"$P/tree/secret"
mkfifo "$P/tree/fifo"
chmod 0600 "$P/tree/secret"
chmod 0700 "$P/tree/locked"
# As root every file is readable: scan as an unprivileged user instead (the tree is readable
# by everyone but the two entries above).
SCAN=("$WARD")
if ((EUID == 0)); then
	command -v setpriv >/dev/null || skip "setpriv is needed to scan as an unprivileged user"
	chmod 0755 "$T" "$P" "$P/tree" "$P/tree/sub" "$P/tree/sub/deeper" "$P/outside-dir"
	chmod 0644 "$P/tree/a" "$P/tree/sub/b" "$P/tree/sub/deeper/d" "$P/outside-file" "$P/outside-dir/c"
	SCAN=(setpriv --reuid=65534 --regid=65534 --clear-groups "$WARD")
	note "scanning as uid 65534 (setpriv), since root reads everything"
else
	chmod 0000 "$P/tree/secret" "$P/tree/locked"
fi
expect_rc 0 "policy scan of the tree (with unreadable entries: reported, exit 0)" timeout 60 "${SCAN[@]}" policy scan "$P/tree"
cp "$OUT" "$T/scan.json"
cp "$ERR" "$T/scan.err"
chmod 0700 "$T"
expect_stderr_match "skipped $P/tree/secret: Permission denied" "the unreadable file is reported"
expect_stderr_match "skipped $P/tree/locked: Permission denied" "the unreadable directory is reported"
check "scan output: exactly a, link-file (target's digest), sub/b, sub/deeper/d; nothing behind link-dir, secret, locked, fifo, dangling" \
	python3 - "$T/scan.json" "$P" <<'EOF'
import hashlib, json, sys
j = json.load(open(sys.argv[1]))
p = sys.argv[2]
sha = lambda f: "sha256:" + hashlib.sha256(open(f, "rb").read()).hexdigest()
got = {e["path"]: e["digest"] for e in j["entries"]}
want = {
    f"{p}/tree/a": sha(f"{p}/tree/a"),
    f"{p}/tree/link-file": sha(f"{p}/outside-file"),
    f"{p}/tree/sub/b": sha(f"{p}/tree/sub/b"),
    f"{p}/tree/sub/deeper/d": sha(f"{p}/tree/sub/deeper/d"),
}
assert got == want, f"\n got  {got}\n want {want}"
EOF
expect_rc 0 "policy scan -o F (as root, everything readable)" "$WARD" policy scan "$P/tree" "$T/f1" -o "$T/pol.json" --name mine --version 7
check "policy scan -o F: JSON; entries sorted by path; name and version as given; one entry per file" python3 - "$T/pol.json" "$P" "$T/f1" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
paths = [e["path"] for e in j["entries"]]
assert paths == sorted(paths), paths
assert len(paths) == len(set(paths)), paths
assert j["name"] == "mine" and j["version"] == 7, (j["name"], j["version"])
assert sys.argv[3] in paths and f"{sys.argv[2]}/tree/secret" in paths, paths
assert not any("/link-dir/" in q or q.endswith("/fifo") or q.endswith("/dangling") for q in paths), paths
for e in j["entries"]:
    assert e["digest"].startswith("sha256:") and len(e["digest"]) == 71, e
EOF
expect_rc 2 "policy scan of a missing path" "$WARD" policy scan "$T/missing"
expect_rc 2 "policy scan of a FIFO named on the command line" timeout 20 "$WARD" policy scan "$P/tree/fifo"
expect_rc 0 "policy scan of a symlinked directory named on the command line" "$WARD" policy scan "$P/tree/link-dir"
note "a named symlink is resolved first (measure_tree: 'resolved to an absolute path first')"

finish
