#!/usr/bin/env bash
# ward policy scan --packages and import-keylime, and every settings option of both: the files
# dpkg lists (merged /usr, diversions, modified files left out), a throwaway package installed and
# changed (dpkg -i, removed again whatever happens), each setting in the output and the output
# read by ward itself (policy verify, ward run), and a hand-made Keylime policy converted.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_cmd python3 dpkg dpkg-deb dpkg-query dpkg-divert sha256sum sha1sum

((EUID == 0)) || skip "installing a test package (dpkg -i) needs root"

# ---- the throwaway package: removed on every exit, its diversion first ----
PKG=ward-test-scan
PKGDIR=/usr/lib/$PKG
pkg_cleanup() {
	if dpkg-divert --list "$PKGDIR/divert-me" 2>/dev/null | grep -q .; then
		rm -f "$PKGDIR/divert-me"
		dpkg-divert --local --rename --remove "$PKGDIR/divert-me" >/dev/null 2>&1 || true
	fi
	if dpkg-query -W "$PKG" >/dev/null 2>&1; then
		dpkg --purge "$PKG" >/dev/null 2>&1 || echo "# could not purge $PKG" >&2
	fi
}
# lib.sh's own cleanup runs last, with the test's exit status.
# shellcheck disable=SC2154 # _rc is assigned inside the trap
trap '_rc=$?; set +e; pkg_cleanup; (exit $_rc); _lib_cleanup' EXIT
# A timeout's SIGTERM or a ^C ends the test through its EXIT trap, so the package goes too.
trap 'exit 143' TERM
trap 'exit 130' INT
pkg_cleanup # a run killed before its trap left it behind

# entries FILE: "path digest" lines of a ward policy, sorted.
entries() {
	python3 -c 'import json,sys; [print(e["path"], e["digest"]) for e in json.load(open(sys.argv[1]))["entries"]]' "$1" | sort
}

section "--packages coreutils: every file dpkg lists, as sha256sum sees it now"
expect_rc 0 "scan --packages coreutils" "$WARD" policy scan --packages coreutils -o "$T/cu.json"
expect_stderr_match '^ward: [0-9]+ files of 1 packages \(0 skipped, [0-9]+ left out as modified or unverifiable\) written to ' \
	"a summary line"
# The oracle: dpkg's own list and its own verification (dpkg --verify: '5' in the third column
# is an MD5 that differs), each listed path with its directory resolved (merged /usr).
dpkg --verify coreutils >"$T/cu.verify" || true
check "the entries are exactly the regular files dpkg-query -L lists, less the ones dpkg --verify finds modified, each with sha256sum's digest" \
	python3 - "$T/cu.json" "$T/cu.verify" <<'EOF'
import hashlib, json, os, subprocess, sys
j = json.load(open(sys.argv[1]))
modified = {l.split()[-1] for l in open(sys.argv[2]) if len(l) > 3 and l[2] == "5"}
listed = subprocess.run(["dpkg-query", "-L", "coreutils"], capture_output=True, text=True,
                        check=True).stdout.splitlines()
want = {}
for p in listed:
    if not p.startswith("/") or p == "/." or p in modified:
        continue
    true = subprocess.run(["dpkg-divert", "--truename", p], capture_output=True, text=True,
                          check=True).stdout.strip()
    if not os.path.isfile(true):
        continue
    rec = os.path.join(os.path.realpath(os.path.dirname(true)), os.path.basename(true))
    want[rec] = "sha256:" + hashlib.sha256(open(true, "rb").read()).hexdigest()
got = {e["path"]: e["digest"] for e in j["entries"]}
assert len(got) == len(j["entries"]), "a path listed twice"
assert got == want, f"\n only in ward: {sorted(set(got) - set(want))[:10]}\n only in dpkg: {sorted(set(want) - set(got))[:10]}\n differ: {[k for k in got if k in want and got[k] != want[k]][:10]}"
assert j["name"] == "scan" and j["version"] == 1 and j["hash"] == "sha256", j
EOF
expect_eq "$(json_get "$T/cu.json" '[e["digest"] for e in j["entries"] if e["path"] == "/usr/bin/ls"]')" \
	"['sha256:$(sha256_file /usr/bin/ls)']" "/usr/bin/ls has sha256sum's digest"
if [[ -L /bin ]]; then
	check "merged /usr: no entry under /bin (/bin/ls is recorded as /usr/bin/ls)" \
		python3 -c 'import json,sys; assert not [e for e in json.load(open(sys.argv[1]))["entries"] if e["path"].startswith("/bin/")]' "$T/cu.json"
	expect_stderr_match 'listed paths recorded under their real path \(/bin/[a-z]+ is /usr/bin/[a-z]+\)' \
		"merged /usr is said"
else
	note "/bin is not a symlink here: no merged /usr to check"
fi

section "--packages: unknown, malformed and duplicate names"
expect_rc 2 "an unknown package: exit 2" "$WARD" policy scan --packages coreutils ward-no-such-package -o "$T/none.json"
expect_stderr_match "unknown package 'ward-no-such-package'" "the unknown package is named"
check "nothing written for an unknown package" test ! -e "$T/none.json"
expect_rc 2 "a name that is no package name (a path): exit 2" "$WARD" policy scan --packages ../../etc/passwd -o "$T/none.json"
expect_stderr_match "'../../etc/passwd' is not a Debian package name" "the bad name is named"
expect_rc 2 "an architecture not installed: exit 2" "$WARD" policy scan --packages coreutils:no-such-arch -o "$T/none.json"
expect_rc 2 "--packages without names: exit 2" "$WARD" policy scan --packages -o "$T/none.json"
expect_rc 2 "--include-modified without --packages: exit 2" "$WARD" policy scan /usr/bin/true --include-modified -o "$T/none.json"
expect_rc 0 "a package named twice is scanned once" "$WARD" policy scan --packages coreutils coreutils -o "$T/cu2.json"
expect_eq "$(entries "$T/cu2.json" | md5sum)" "$(entries "$T/cu.json" | md5sum)" "the same entries"

section "a throwaway package: installed, then changed on disk"
B=$T/pkg
mkdir -p "$B/DEBIAN" "$B$PKGDIR" "$B/etc"
printf '#!/bin/sh\necho tool\n' >"$B$PKGDIR/tool"
chmod 0755 "$B$PKGDIR/tool"
head -c 300000 /dev/urandom >"$B$PKGDIR/data.bin"
echo "no md5 for me" >"$B$PKGDIR/nomd5.txt"
echo "diverted" >"$B$PKGDIR/divert-me"
ln -s tool "$B$PKGDIR/link"
ln -s data.bin "$B$PKGDIR/link-data"
ln -s /usr/bin/true "$B$PKGDIR/link-out" # to a file of another package
echo "setting=1" >"$B/etc/$PKG.conf"
cat >"$B/DEBIAN/control" <<EOF
Package: $PKG
Version: 1.0
Architecture: all
Maintainer: ward tests <root@localhost>
Description: throwaway package of ward's policy-scan test
EOF
echo "/etc/$PKG.conf" >"$B/DEBIAN/conffiles"
# md5sums as dh_md5sums writes them: regular files, not conffiles; nomd5.txt left out on purpose.
(cd "$B" && md5sum "${PKGDIR#/}/tool" "${PKGDIR#/}/data.bin" "${PKGDIR#/}/divert-me") >"$B/DEBIAN/md5sums"
TOOL_SHA=$(sha256_file "$B$PKGDIR/tool")
DATA_SHA=$(sha256_file "$B$PKGDIR/data.bin")
NOMD5_SHA=$(sha256_file "$B$PKGDIR/nomd5.txt")
DIV_SHA=$(sha256_file "$B$PKGDIR/divert-me")
CONF_SHA=$(sha256_file "$B/etc/$PKG.conf")
expect_rc 0 "dpkg-deb --build" dpkg-deb --root-owner-group --build "$B" "$T/$PKG.deb"
expect_rc 0 "dpkg -i" dpkg -i "$T/$PKG.deb"

expect_rc 0 "scan --packages $PKG (as installed)" "$WARD" policy scan --packages "$PKG" -o "$T/p1.json"
expect_eq "$(entries "$T/p1.json")" "$(printf '%s\n' \
	"/etc/$PKG.conf sha256:$CONF_SHA" \
	"$PKGDIR/data.bin sha256:$DATA_SHA" \
	"$PKGDIR/divert-me sha256:$DIV_SHA" \
	"$PKGDIR/link sha256:$TOOL_SHA" \
	"$PKGDIR/link-data sha256:$DATA_SHA" \
	"$PKGDIR/tool sha256:$TOOL_SHA" | sort)" \
	"every file with its digest; a symlink to a file of the package with its target's; the conffile checked by its status MD5; nomd5.txt and link-out left out"
expect_stderr_match "left out $PKGDIR/nomd5.txt: dpkg recorded no MD5 for it in $PKG" "the file without an MD5 is reported"
expect_stderr_match "left out $PKGDIR/link-out: a symlink to /usr/bin/true, which is no verified file of the packages scanned" \
	"a symlink out of the packages scanned is reported"

echo "appended" >>"$B$PKGDIR/data.bin" # the build tree, not the installed file
echo "changed" >>"$PKGDIR/data.bin"
echo "setting=2" >"/etc/$PKG.conf"
NEW_DATA_SHA=$(sha256_file "$PKGDIR/data.bin")
expect_rc 0 "scan --packages $PKG (two files changed since install)" "$WARD" policy scan --packages "$PKG" -o "$T/p2.json"
expect_eq "$(entries "$T/p2.json")" "$(printf '%s\n' \
	"$PKGDIR/divert-me sha256:$DIV_SHA" \
	"$PKGDIR/link sha256:$TOOL_SHA" \
	"$PKGDIR/tool sha256:$TOOL_SHA" | sort)" \
	"the changed file, the symlink to it and the changed conffile are left out (fail closed)"
expect_stderr_match "left out $PKGDIR/link-data: a symlink to $PKGDIR/data.bin, which is no verified file" \
	"the symlink to the changed file is reported"
expect_stderr_match "left out $PKGDIR/data.bin: modified since $PKG was installed" "the changed file is reported"
expect_stderr_match "left out /etc/$PKG.conf: modified since $PKG was installed" "the changed conffile is reported"
expect_stderr_match "2 modified and 3 unverifiable package files left out: they will be denied" "and counted"

expect_rc 0 "scan --packages $PKG --include-modified" "$WARD" policy scan --packages "$PKG" --include-modified -o "$T/p3.json"
expect_eq "$(entries "$T/p3.json")" "$(printf '%s\n' \
	"/etc/$PKG.conf sha256:$(sha256_file "/etc/$PKG.conf")" \
	"$PKGDIR/data.bin sha256:$NEW_DATA_SHA" \
	"$PKGDIR/divert-me sha256:$DIV_SHA" \
	"$PKGDIR/link sha256:$TOOL_SHA" \
	"$PKGDIR/link-data sha256:$NEW_DATA_SHA" \
	"$PKGDIR/link-out sha256:$(sha256_file /usr/bin/true)" \
	"$PKGDIR/nomd5.txt sha256:$NOMD5_SHA" \
	"$PKGDIR/tool sha256:$TOOL_SHA" | sort)" \
	"--include-modified: the files as they are now"
expect_stderr_match "included, as it is now, $PKGDIR/data.bin: modified since" "still reported"

expect_rc 0 "dpkg-divert --local --rename $PKGDIR/divert-me" \
	dpkg-divert --local --divert "$PKGDIR/divert-me.orig" --rename --add "$PKGDIR/divert-me"
echo "the admin's own" >"$PKGDIR/divert-me"
expect_rc 0 "scan --packages $PKG (a file diverted)" "$WARD" policy scan --packages "$PKG" -o "$T/p4.json"
check "the package's file is recorded where it was diverted to, with its digest; the admin's file is not" \
	python3 - "$T/p4.json" "$PKGDIR" "$DIV_SHA" <<'EOF'
import json, sys
got = {e["path"]: e["digest"] for e in json.load(open(sys.argv[1]))["entries"]}
assert got.get(sys.argv[2] + "/divert-me.orig") == "sha256:" + sys.argv[3], got
assert sys.argv[2] + "/divert-me" not in got, got
EOF
expect_stderr_match "$PKGDIR/divert-me is diverted \(by the local admin\): recorded $PKGDIR/divert-me.orig" \
	"the diversion is said"
rm -f "$PKGDIR/divert-me"
expect_rc 0 "dpkg-divert --remove" dpkg-divert --local --rename --remove "$PKGDIR/divert-me"
expect_rc 0 "dpkg --purge $PKG" dpkg --purge "$PKG"
expect_rc 2 "a removed package: exit 2" "$WARD" policy scan --packages "$PKG" -o "$T/none.json"

section "every settings option is in the output, and ward reads the output"
"$WARD" policy keygen -o "$T/issuer" >"$T/issuer.id"
CODE=$(code_dir codeA)
expect_rc 0 "scan with every option" "$WARD" policy scan /usr/bin/true -o "$T/all.json" \
	--name all-settings --version 42 --hash sha512 --issuer "$T/issuer.pub" \
	--not-before 2020-01-01T00:00:00Z --not-after 2099-12-31T23:59:59+01:00 \
	--anon-exec /usr/bin/python3 --code-dir "$CODE/" --strict-code-mounts --audit \
	--data-dir /usr/share --data-dir /usr/lib/locale --allow-wx-elf \
	--sandbox memory_mb=512 --sandbox threads=8 --sandbox cpu_percent=150 --sandbox timeout_s=30 \
	--sandbox scratch_mb=64 --sandbox max_input_bytes=0 --sandbox max_output_bytes=4096
check "each setting as given" python3 - "$T/all.json" "$(cat "$T/issuer.id")" "$CODE" <<'EOF'
import hashlib, json, sys
j = json.load(open(sys.argv[1]))
py = "sha512:" + hashlib.sha512(open("/usr/bin/python3", "rb").read()).hexdigest()
want = {
    "ward_policy": 1, "name": "all-settings", "version": 42, "issuer": sys.argv[2],
    "not_before": "2020-01-01T00:00:00Z", "not_after": "2099-12-31T22:59:59Z", "hash": "sha512",
    "domain": {"mode": "audit", "anon_exec": [{"digest": py, "path": "/usr/bin/python3"}],
               "allow_wx_elf": True, "data_dirs": ["/usr/share", "/usr/lib/locale"],
               "code_dirs": [sys.argv[3]], "strict_code_mounts": True},
    "sandbox": {"memory_mb": 512, "threads": 8, "cpu_percent": 150, "timeout_s": 30,
                "scratch_mb": 64, "max_input_bytes": 0, "max_output_bytes": 4096},
}
for k, v in want.items():
    assert j[k] == v, (k, j[k], v)
assert set(j) == set(want) | {"entries"}, set(j)
paths = {e["path"]: e["digest"] for e in j["entries"]}
assert paths["/usr/bin/python3"] == py, "the anon-exec executable is an entry too"
assert paths["/usr/bin/true"] == "sha512:" + hashlib.sha512(open("/usr/bin/true", "rb").read()).hexdigest()
EOF
expect_rc 0 "ward policy sign" "$WARD" policy sign --key "$T/issuer" "$T/all.json"
expect_rc 0 "ward policy verify: the output parses and names the signing key as issuer" \
	"$WARD" policy verify --key "$T/issuer.pub" "$T/all.json"
rm -f "$T/all.json.sig"
new_state "$T/state"
expect_run 0 "ward run --policy (audit mode, the code dir, strict code mounts) runs /usr/bin/true" \
	"$WARD" --state-dir "$T/state" run --policy "$T/all.json" -q -- /usr/bin/true
expect_rc 0 "scan: the defaults give no settings" "$WARD" policy scan /usr/bin/true -o "$T/none-set.json"
check "scan: without options, no domain, sandbox, issuer or window" \
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert set(j) == {"ward_policy","name","version","hash","entries"}, j' "$T/none-set.json"

section "bad option values: exit 2, the option named, nothing written"
bad() {
	local want=$1
	shift
	expect_rc 2 "$*" "$WARD" policy scan /usr/bin/true -o "$T/bad.json" "$@"
	expect_stderr_match "$want" "$* is explained"
}
bad '--version -1: an unsigned integer' --version -1
bad '--version x: an unsigned integer' --version x
bad '--name: 1\.\.127 bytes' --name ""
bad "--hash: unknown bank 'md5'" --hash md5
bad '--issuer: cannot read' --issuer "$T/missing.pub"
bad '--issuer: .*not a PEM public key' --issuer /etc/hostname
bad '--not-before 2026-02-30T00:00:00Z: an RFC 3339 time' --not-before 2026-02-30T00:00:00Z
bad '--not-after yesterday: an RFC 3339 time' --not-after yesterday
bad '--not-after is before --not-before' --not-before 2027-01-01T00:00:00Z --not-after 2026-01-01T00:00:00Z
bad '--anon-exec /usr/bin: not a regular file' --anon-exec /usr/bin
bad '--anon-exec /no/such/file: No such file' --anon-exec /no/such/file
bad '--code-dir relative: an absolute, normalised directory' --code-dir relative
bad '--code-dir /: an absolute' --code-dir /
bad '--data-dir /usr/../etc: an absolute' --data-dir /usr/../etc
bad '--sandbox memory_mb: KEY=N' --sandbox memory_mb
bad '--sandbox memory_mb=-1: N must be an unsigned integer' --sandbox memory_mb=-1
bad '--sandbox: policy: sandbox.memory_mb must be an integer in 16\.\.65536' --sandbox memory_mb=8
bad '--sandbox: policy: sandbox: unknown key "nproc"' --sandbox nproc=4
bad '--sandbox threads: given twice' --sandbox threads=1 --sandbox threads=2
check "nothing was written by a refused command" test ! -e "$T/bad.json"

section "import-keylime: a hand-made Keylime runtime policy"
LS256=$(sha256_file /usr/bin/ls)
LS1=$(sha1sum /usr/bin/ls | cut -d' ' -f1)
CAT1=$(sha1sum /usr/bin/cat | cut -d' ' -f1)
M1=$(printf 'multi-1' | sha256sum | cut -d' ' -f1)
M2=$(printf 'multi-2' | sha256sum | cut -d' ' -f1)
# As keylime-policy writes it (keylime/ima/ima.py RUNTIME_POLICY_SCHEMA, every part present).
cat >"$T/keylime.json" <<EOF
{
 "meta": {"version": 1, "generator": 3, "timestamp": "2025-01-01 00:00:00.000000"},
 "release": 0,
 "digests": {
  "/usr/bin/ls": ["$LS256", "$LS1"],
  "/usr/bin/cat": ["$CAT1"],
  "/usr/bin/multi": ["$M1", "$M2"],
  "boot_aggregate": ["$M1"]
 },
 "excludes": ["/tmp/.*", "^/home/.*\\\\.sh$"],
 "keyrings": {".ima": ["$M2"]},
 "ima": {"ignored_keyrings": [], "log_hash_alg": "sha1", "dm_policy": null},
 "ima-buf": {"dm_table_load": ["$M1"]},
 "verification-keys": ""
}
EOF
expect_rc 0 "import-keylime (sha256)" "$WARD" policy import-keylime "$T/keylime.json" --name kl --version 5 -o "$T/kl.json"
expect_eq "$(entries "$T/kl.json")" "$(printf '%s\n' \
	"/usr/bin/ls sha256:$LS256" \
	"/usr/bin/multi sha256:$M1" \
	"/usr/bin/multi sha256:$M2" | sort)" \
	"the sha256 digests, each an entry (a path with two digests keeps both); sha1 and boot_aggregate skipped"
expect_stderr_match '^ward: 3 entries \(2 paths\) imported; 2 digests of other algorithms skipped; 2 excludes dropped$' \
	"the counts on stderr"
expect_stderr_match 'warning: 2 excludes dropped: files matching them will be denied' "the excludes dropped, with a warning"
expect_stderr_match '^ward:   /tmp/\.\*$' "the dropped regexes are listed"
expect_stderr_match 'keyrings \(1 digests\) and ima-buf \(1 digests\) ignored' "keyrings and ima-buf noted"
expect_stderr_match 'boot_aggregate \(1 digests\) skipped' "boot_aggregate noted"
expect_eq "$(json_get "$T/kl.json" '(j["name"], j["version"], j["hash"])')" "('kl', 5, 'sha256')" "name, version, hash"

expect_rc 0 "import-keylime --hash sha1" "$WARD" policy import-keylime "$T/keylime.json" --name kl1 --version 1 --hash sha1 -o "$T/kl1.json"
expect_eq "$(entries "$T/kl1.json")" "$(printf '%s\n' "/usr/bin/cat sha1:$CAT1" "/usr/bin/ls sha1:$LS1" | sort)" \
	"--hash sha1: the sha1 digests instead"
expect_stderr_match '^ward: 2 entries \(2 paths\) imported; 3 digests of other algorithms skipped; 2 excludes dropped$' \
	"the counts on stderr (sha1)"

expect_rc 0 "import-keylime with settings options" "$WARD" policy import-keylime "$T/keylime.json" \
	--name kl --version 6 --issuer "$T/issuer.pub" --audit --data-dir /usr/share --sandbox timeout_s=9 \
	--not-after 2099-01-01T00:00:00Z -o "$T/kl-set.json"
expect_eq "$(json_get "$T/kl-set.json" '(j["issuer"], j["domain"]["mode"], j["domain"]["data_dirs"], j["sandbox"], j["not_after"])')" \
	"('$(cat "$T/issuer.id")', 'audit', ['/usr/share'], {'timeout_s': 9}, '2099-01-01T00:00:00Z')" "the settings are in the output"
expect_rc 0 "ward policy sign (import)" "$WARD" policy sign --key "$T/issuer" "$T/kl-set.json"
expect_rc 0 "ward policy verify: the import parses" "$WARD" policy verify --key "$T/issuer.pub" "$T/kl-set.json"

section "import-keylime: refused input, exit 2 with the key path"
kl_bad() {
	local what=$1 want=$2 doc=$3
	printf '%s' "$doc" >"$T/kl-bad.json"
	expect_rc 2 "$what" "$WARD" policy import-keylime "$T/kl-bad.json" --name x --version 1 -o "$T/kl-bad.out"
	expect_stderr_match "$want" "$what: explained"
}
kl_bad "an upper-case digest" 'keylime policy: digests\["/usr/bin/ls"\]\[0\] must be 40\.\.128 lower-case hex digits' \
	'{"meta":{"version":1},"digests":{"/usr/bin/ls":["ABCDEF0123456789ABCDEF0123456789ABCDEF01"]}}'
kl_bad "a digest that is not a string" 'digests\["/a"\]\[1\] must be 40\.\.128' \
	"{\"meta\":{\"version\":1},\"digests\":{\"/a\":[\"$M1\",7]}}"
kl_bad "an empty digest list" 'digests\["/a"\] must be a non-empty array' '{"meta":{"version":1},"digests":{"/a":[]}}'
kl_bad "a duplicate key" 'duplicate' "{\"meta\":{\"version\":1},\"digests\":{\"/a\":[\"$M1\"],\"/a\":[\"$M2\"]}}"
kl_bad "an unknown top-level key" 'keylime policy: unknown key "exclude"' '{"meta":{"version":1},"digests":{},"exclude":[]}'
kl_bad "meta.version 2" 'meta.version 2 is not supported' '{"meta":{"version":2},"digests":{}}'
kl_bad "no meta (a ward policy given instead)" 'unknown key "ward_policy"' "$(cat "$T/kl.json")"
kl_bad "excludes not an array" '"excludes" must be an array of strings' '{"meta":{"version":1},"digests":{},"excludes":"/tmp"}'
kl_bad "not JSON" 'keylime policy: line 1' '{"meta":'
check "nothing written for refused input" test ! -e "$T/kl-bad.out"
expect_rc 2 "import-keylime without --name" "$WARD" policy import-keylime "$T/keylime.json" --version 1 -o "$T/kl-bad.out"
expect_stderr_match '--name and --version are required' "--name is required"
expect_rc 2 "import-keylime of a missing file" "$WARD" policy import-keylime "$T/missing.json" --name x --version 1
expect_rc 0 "import-keylime --help" "$WARD" policy import-keylime --help
expect_stdout_match '^Usage: ward policy import-keylime' "its usage"

finish
