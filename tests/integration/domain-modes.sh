#!/usr/bin/env bash
# `ward run` as a user meets it, in its three modes: measure-only (no --policy), audit (--audit)
# and enforce; the structural rules that hold in all three; CMD's exit status, stdio and ids
# passed through; what the log records (once per object) and that evidence of it verifies;
# bad input refused before anything runs or is recorded. The exact behaviour asserted is
# /tmp/brief/ward-run-contract.md (docs: 'ward run --help').
# shellcheck disable=SC2016 # single-quoted: the inner shells expand $1, $0, $@, $$
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=domain-lib.sh
. "$(dirname "$0")/domain-lib.sh"
require_cmd timeout pgrep

domain_state
RUN=(timeout 60 "$WARD" --state-dir "$S" run)

# The code dir: a listed copy of echo (matching is by digest, not path), an unlisted one (one
# byte appended: still a working ELF), a data file, and a binary whose ELF asks for an
# executable stack (PT_GNU_STACK patched to RWX: no compiler needed).
CD=$(code_dir code)
cp /usr/bin/echo "$CD/lecho"
cp /usr/bin/echo "$CD/uecho"
printf 'x' >>"$CD/uecho"
echo "some data" >"$CD/data.txt"
cp /usr/bin/true "$CD/xstack"
python3 - "$CD/xstack" <<'EOF'
import struct, sys
f = open(sys.argv[1], "r+b")
h = f.read(64)
assert h[:5] == b"\x7fELF\x02", "a 64-bit ELF"
phoff, = struct.unpack_from("<Q", h, 0x20)
phentsize, phnum = struct.unpack_from("<HH", h, 0x36)
for i in range(phnum):
    f.seek(phoff + i * phentsize)
    ptype, = struct.unpack("<I", f.read(4))
    if ptype == 0x6474E551:  # PT_GNU_STACK: p_flags = R|W|X
        f.write(struct.pack("<I", 7))
        break
else:
    sys.exit("no PT_GNU_STACK")
EOF
chmod 0755 "$CD"/*
chmod 0644 "$CD/data.txt"
H_U=$(sha256_file "$CD/uecho")
H_L=$(sha256_file "$CD/lecho")
H_X=$(sha256_file "$CD/xstack")

section "measure-only (no --policy): unlisted code runs, and is measured and recorded"
expect_run 0 "measure-only: an unlisted binary in a --code dir" "${RUN[@]}" --code "$CD" -- "$CD/uecho" ran-measure
expect_stdout_match '^ran-measure$' "measure-only: it ran"
expect_stderr_match '^ward: no policy \(none given, none installed\): the domain is measure-only' "measure-only: says so"
expect_stderr_nomatch 'denied|audit' "measure-only: no denial, no audit finding"
expect_eq "$(logq "$S" '(d["rec"]["mode"], d["rec"]["code"], "policy" in d["rec"], d["rec"]["anon_exec"], d["rec"]["wx_elf"])')" \
	"('measure', ['/usr', '$CD'], False, False, False)" "measure-only: the ward-domain record (mode, code dirs, no policy)"
expect_eq "$(logq "$S" '[o["digest"] for o in objs(d, "'"$CD/uecho"'")]')" "['sha256:$H_U']" \
	"measure-only: one ima-ng record of the unlisted binary, its sha256, its path in the domain"
expect_eq "$(logq "$S" '[(x["verdict"], x["reason"], x["object"]) for x in decs(d, "'"$CD/uecho"'", grant="exec")]')" \
	"[('allow', 'measure-only', 'sha256:$H_U')]" "measure-only: decision allow exec, reason measure-only"
expect_run 0 "measure-only: a data file of a code dir is readable" "${RUN[@]}" --code "$CD" -- cat "$CD/data.txt"
expect_stdout_match '^some data$' "measure-only: cat of the data file"
expect_eq "$(logq "$S" '[(x["verdict"], x["reason"]) for x in decs(d, "'"$CD/data.txt"'")]')" \
	"[('allow', 'measure-only')]" "measure-only: the data file's open recorded as allow (grant open)"
expect_eq "$(logq "$S" '[x["grant"] for x in decs(d, "'"$CD/data.txt"'")]')" "['open']" "measure-only: ... with grant open"

section "audit (--audit): unlisted code runs; what would be denied is reported and recorded"
expect_run 0 "audit: an unlisted binary" "${RUN[@]}" --policy "$POL" --audit --code "$CD" -- "$CD/uecho" ran-audit
expect_stdout_match '^ran-audit$' "audit: it ran"
expect_stderr_match "^ward: audit: would deny exec of '$CD/uecho' \(sha256:$H_U\): not in policy\$" "audit: the finding, exactly"
expect_stderr_nomatch 'denied|no policy' "audit: no denial"
expect_eq "$(logq "$S" '(d["rec"]["mode"], d["rec"]["policy"]["name"])')" "('audit', 'scan')" "audit: the ward-domain record says mode audit and names the policy"
expect_eq "$(logq "$S" '[(x["verdict"], x["reason"], x["object"], x["policy"]["name"]) for x in decs(d, "'"$CD/uecho"'", grant="exec")]')" \
	"[('audit', 'not in policy', 'sha256:$H_U', 'scan')]" "audit: decision verdict audit, reason not in policy"
expect_eq "$(logq "$S" '{o["digest"] for o in objs(d, "'"$CD/uecho"'")}')" "{'sha256:$H_U'}" "audit: the object that ran is measured (ima-ng)"
expect_run 0 "audit -q: an unlisted binary" "${RUN[@]}" --policy "$POL" --audit -q --code "$CD" -- "$CD/uecho" ran-quiet
expect_stdout_match '^ran-quiet$' "audit -q: it ran"
expect_stderr_nomatch 'audit' "audit -q: no finding printed"
expect_eq "$(logq "$S" '[x["verdict"] for x in decs(d, "'"$CD/uecho"'", grant="exec")]')" "['audit']" "audit -q: the finding is still recorded"
expect_run 0 "audit: a listed binary" "${RUN[@]}" --policy "$POL" --audit --code "$CD" -- "$CD/lecho" listed
expect_stderr_nomatch 'audit' "audit: a listed binary is no finding"
expect_eq "$(logq "$S" '[(x["verdict"], x["reason"]) for x in decs(d, "'"$CD/lecho"'", grant="exec")]')" "[('allow', '')]" "audit: a listed binary is allowed"

section "enforce (--policy): unlisted code is denied, with EPERM, and not measured as run"
expect_run 126 "enforce: an unlisted binary as CMD" "${RUN[@]}" --policy "$POL" --code "$CD" -- "$CD/uecho" ran-enforce
expect_stdout_nomatch 'ran-enforce' "enforce: it did not run"
expect_stderr_match "^ward: denied exec of '$CD/uecho' \(sha256:$H_U\): not in policy\$" "enforce: the denial, exactly"
expect_stderr_match "^ward: cannot execute '$CD/uecho': Operation not permitted\$" "enforce: CMD could not be executed (EPERM)"
expect_eq "$(logq "$S" '(d["rec"]["mode"], d["rec"]["policy"]["name"])')" "('enforce', 'scan')" "enforce: the ward-domain record says mode enforce"
expect_eq "$(logq "$S" '[(x["verdict"], x["grant"], x["reason"], x["object"]) for x in decs(d, "'"$CD/uecho"'")]')" \
	"[('deny', 'exec', 'not in policy', 'sha256:$H_U')]" "enforce: one decision deny exec"
expect_eq "$(logq "$S" 'objs(d, "'"$CD/uecho"'")')" "[]" "enforce: no ima-ng record of the denied binary"
expect_run 0 "enforce: a listed copy (digest in the policy) runs from the code dir" "${RUN[@]}" --policy "$POL" --code "$CD" -- "$CD/lecho" listed
expect_stdout_match '^listed$' "enforce: the listed copy ran"
expect_eq "$(logq "$S" '[(o["digest"], o["path"]) for o in objs(d, "'"$CD/lecho"'")][:1]')" "[('sha256:$H_L', '$CD/lecho')]" \
	"enforce: recorded under its path in the domain with echo's digest"
expect_run 0 "enforce: the workload's own exec of an unlisted binary" "${RUN[@]}" --policy "$POL" --code "$CD" -- sh -c '"$1" hi; echo "status $?"' sh "$CD/uecho"
expect_stdout_match '^status 126$' "enforce: the shell's execve failed (126)"
expect_stderr_match 'Operation not permitted' "enforce: ... with EPERM"
expect_stderr_match "^ward: denied exec of '$CD/uecho'" "enforce: ... and ward says so"
expect_run 1 "enforce: opening an unlisted data file of a code dir" "${RUN[@]}" --policy "$POL" --code "$CD" -- cat "$CD/data.txt"
expect_stderr_match "^ward: denied open of '$CD/data.txt' \(sha256:$(sha256_file "$CD/data.txt")\): not in policy\$" "enforce: denied open, exactly"
expect_stderr_match "cat: $CD/data.txt: Operation not permitted" "enforce: cat saw EPERM"
expect_eq "$(logq "$S" '[(x["verdict"], x["grant"]) for x in decs(d, "'"$CD/data.txt"'")]')" "[('deny', 'open')]" "enforce: decision deny open"

section "structural rules hold in every mode (seccomp, noexec mounts, ELF rules)"
cat >"$T/wx.py" <<'EOF'
import ctypes, mmap
r = []
for prot in (mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC, mmap.PROT_READ | mmap.PROT_EXEC):
    try:
        mmap.mmap(-1, 4096, prot=prot)
        r.append("mapped")
    except OSError as e:
        r.append(str(e.errno))
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
p = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
r.append(str(ctypes.get_errno()) if libc.mprotect(p, 4096, mmap.PROT_READ | mmap.PROT_EXEC) else "protected")
print("anon-rwx", r[0], "anon-rx", r[1], "mprotect+x", r[2])
EOF
WX_SRC=$(cat "$T/wx.py")
for mode in measure audit enforce; do
	case $mode in
	measure) M=() ;;
	audit) M=(--policy "$POL" --audit) ;;
	enforce) M=(--policy "$POL") ;;
	esac
	expect_run 0 "$mode: python3 tries anonymous executable memory" "${RUN[@]}" "${M[@]}" -- python3 -c "$WX_SRC"
	expect_stdout_match '^anon-rwx 1 anon-rx 1 mprotect\+x 1$' "$mode: anon RWX mmap, anon RX mmap, mprotect +X: each EPERM"
		expect_run 0 "$mode: executing a copy of true from /tmp" "${RUN[@]}" "${M[@]}" -- sh -c 'cp /usr/bin/true /tmp/t && /tmp/t; echo "status $?"'
	expect_stdout_match '^status 126$' "$mode: /tmp is noexec (126)"
	expect_stderr_match '/tmp/t: Permission denied' "$mode: ... EACCES"
done
XR="ELF needs writable-executable memory \(executable stack\)"
expect_run 126 "measure: an ELF asking for an executable stack" "${RUN[@]}" --code "$CD" -- "$CD/xstack"
expect_stderr_match "^ward: denied exec of '$CD/xstack' \(sha256:$H_X\): $XR\$" "measure: denied (a structural rule), exactly"
expect_eq "$(logq "$S" '[(x["verdict"], x["grant"]) for x in decs(d, "'"$CD/xstack"'")]')" "[('deny', 'exec')]" "measure: recorded as deny"
expect_run 0 "audit: an ELF asking for an executable stack" "${RUN[@]}" --policy "$POL" --audit --code "$CD" -- "$CD/xstack"
expect_stderr_match "^ward: audit: would deny exec of '$CD/xstack' \(sha256:$H_X\): $XR\$" "audit: reported, runs"
expect_run 126 "enforce: an ELF asking for an executable stack" "${RUN[@]}" --policy "$POL" --code "$CD" -- "$CD/xstack"
expect_stderr_match "^ward: denied exec of '$CD/xstack' \(sha256:$H_X\): $XR\$" "enforce: denied for its ELF before its digest is looked up"

section "exit status: CMD's, 128+N for a signal, 126 not executable, 127 not found"
expect_run 0 "exit 0" "${RUN[@]}" -- true
expect_run 3 "exit 3" "${RUN[@]}" -- sh -c 'exit 3'
expect_run 1 "false" "${RUN[@]}" -- false
expect_run 137 "CMD killed by SIGKILL: 128+9" "${RUN[@]}" -- sh -c 'kill -KILL $$'
expect_run 143 "CMD killed by SIGTERM: 128+15" "${RUN[@]}" -- sh -c 'kill -TERM $$'
expect_run 127 "CMD not found (absolute)" "${RUN[@]}" -- /nonexistent/cmd
expect_stderr_match "^ward: cannot execute '/nonexistent/cmd': No such file or directory \(not found in the domain\)\$" "not found: says so"
expect_run 127 "CMD not found (PATH)" "${RUN[@]}" -- ward-no-such-command
# On the host but not in the domain: /etc is not there without --bind-ro /etc.
expect_run 127 "a host file outside the domain's view (/etc/hostname as CMD)" "${RUN[@]}" -- /etc/hostname
cp /usr/bin/true "$CD/noexecbit"
chmod 0644 "$CD/noexecbit"
expect_run 126 "a code dir file without an x bit" "${RUN[@]}" --code "$CD" -- "$CD/noexecbit"
expect_stderr_match "^ward: cannot execute '$CD/noexecbit': Permission denied" "no x bit: EACCES"
# A signal to the monitor reaches CMD (forwarded through the domain's init).
timeout 60 "$WARD" --state-dir "$S" run -- sleep 31.5 >/dev/null 2>"$T/sig.err" &
sig_pid=$!
track_pid "$sig_pid"
for _ in $(seq 500); do pgrep -x -f 'sleep 31.5' >/dev/null && break; sleep 0.01; done
kill -TERM "$(pgrep -P "$sig_pid")"
RC=0
wait "$sig_pid" || RC=$?
expect_eq "$RC" "143" "SIGTERM to ward is forwarded: CMD (sleep) dies of it, ward exits 128+15"

section "stdio: files are relayed, pipes cross as they are"
seq 1 200000 >"$T/seq.want"
expect_run 0 "stdout to a file" bash -c '"$@" >"$0"' "$T/seq.got" "${RUN[@]}" -- seq 1 200000
check "stdout to a file: every byte arrived" cmp "$T/seq.want" "$T/seq.got"
head -c 3000000 /dev/urandom >"$T/in.bin"
expect_run 0 "stdin from a file" bash -c '"$@" <"$0"' "$T/in.bin" "${RUN[@]}" -- sha256sum
expect_stdout_match "^$(sha256_file "$T/in.bin")  -\$" "stdin from a file: the domain read all 3 MB"
expect_run 0 "a pipe in and out" bash -c 'cat "$0" | "$@" | sha256sum' "$T/in.bin" "${RUN[@]}" -- cat
expect_stdout_match "^$(sha256_file "$T/in.bin")  -\$" "a pipe: 3 MB through cat unchanged"
expect_run 0 "the domain's stdout is the host's pipe itself" bash -c '"$@" | { readlink /proc/self/fd/0; cat; }' _ "${RUN[@]}" -- readlink /proc/self/fd/1
expect_eq "$(sed -n 1p "$OUT")" "$(sed -n 2p "$OUT")" "a pipe crosses as it is (same pipe inode inside and out)"
expect_run 0 "the domain's stdout when ward's is a file" bash -c '"$@" >"$0"' "$T/fd1.txt" "${RUN[@]}" -- readlink /proc/self/fd/1
check "a file does not cross: the domain writes into a relay pipe" grep -qE '^pipe:\[[0-9]+\]$' "$T/fd1.txt"
expect_run 0 "stderr relayed" "${RUN[@]}" -- sh -c 'echo to-stderr >&2; echo to-stdout'
expect_stderr_match '^to-stderr$' "stderr: the domain's line arrived"
expect_stdout_match '^to-stdout$' "stdout: the domain's line arrived"
expect_run 0 "stdin at EOF (/dev/null)" bash -c '"$@" </dev/null' _ "${RUN[@]}" -- cat

section "--uid, --gid: ids without names (no /etc needed: id -u prints the number)"
expect_run 0 "--uid 65534" "${RUN[@]}" --uid 65534 -- sh -c 'id -u; id -g; id -G'
expect_eq "$(tr '\n' ' ' <"$OUT")" "65534 65534 65534 " "--uid 65534: uid, gid (defaults to the uid) and groups"
expect_run 0 "--uid 65534 --gid 100" "${RUN[@]}" --uid 65534 --gid 100 -- sh -c 'id -u; id -g; id -G'
expect_eq "$(tr '\n' ' ' <"$OUT")" "65534 100 100 " "--uid 65534 --gid 100: no supplementary groups left"
expect_run 0 "default uid 0: without capabilities, no_new_privs" "${RUN[@]}" -- sh -c 'id -u; grep -E "^(CapPrm|CapEff|NoNewPrivs):" /proc/self/status'
expect_eq "$(tr -s '\t\n' '  ' <"$OUT")" "0 CapPrm: 0000000000000000 CapEff: 0000000000000000 NoNewPrivs: 1 " "uid 0 in the domain holds no capability"

section "records: one per (verdict, grant, object, path) in a domain"
# A second name makes the file uncacheable (nlink 2): every exec is a fresh event.
cp /usr/bin/true "$CD/ltrue"
ln "$CD/ltrue" "$CD/ltrue.2"
expect_run 0 "enforce: a listed, uncacheable binary run once" "${RUN[@]}" --policy "$POL" --code "$CD" -- sh -c "$CD/ltrue"
once=$(logq "$S" 'len(objs(d, "'"$CD/ltrue"'"))')
expect_run 0 "enforce: ... run five times in one domain" "${RUN[@]}" --policy "$POL" --code "$CD" -- sh -c "$CD/ltrue; $CD/ltrue; $CD/ltrue; $CD/ltrue; $CD/ltrue"
expect_eq "$(logq "$S" 'len(objs(d, "'"$CD/ltrue"'"))')" "$once" "five runs are recorded as one run is ($once ima-ng)"
check "one run: at least one ima-ng record" test "$once" -ge 1
expect_eq "$(logq "$S" 'dup_decisions(d)')" "[]" "no decision recorded twice in the domain"
expect_run 0 "measure-only: /usr/bin/true run three times" "${RUN[@]}" -- sh -c '/usr/bin/true; /usr/bin/true; /usr/bin/true'
expect_eq "$(logq "$S" 'len(objs(d, "/usr/bin/true"))')" "1" "measure-only: one ima-ng record of /usr/bin/true"
expect_eq "$(logq "$S" 'sum(len(dup_decisions(x)) for x in doms)')" "0" "no domain in this state dir recorded a decision twice"

section "the log replays; evidence verifies against the /usr policy, until unlisted code ran"
expect_run 0 "ward log replay of the state dir's log" "$WARD" log replay "$S/log"
expect_stdout_match "^$("$WARD" log show --state-dir "$S" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["registers"]["sha256"])')\$" \
	"log replay: the register log show reports"
V=$T/verify-state
new_state "$V"
"$WARD" --state-dir "$V" attester pubkey >"$T/vpub.pem"
VRUN=(timeout 60 "$WARD" --state-dir "$V" run --policy "$POL")
expect_run 0 "enforce: listed code only" "${VRUN[@]}" --code "$CD" -- sh -c "echo hi | tr a-z A-Z; $CD/lecho listed"
expect_run 126 "enforce: an unlisted binary denied" "${VRUN[@]}" --code "$CD" -- "$CD/uecho"
expect_run 0 "evidence" "$WARD" --state-dir "$V" evidence --nonce 5eed01 -o "$T/ev1.json"
expect_run 0 "verify --policy (usr): trusted (a denial is no unknown object)" "$WARD" verify "$T/ev1.json" --nonce 5eed01 --soft-key "$T/vpub.pem" --policy "$POL"
expect_stdout_match '^verdict: TRUSTED' "verify: TRUSTED"
expect_stdout_match 'decisions: .*1 deny' "verify: counts the denial"
expect_stdout_match 'domains: +2 \(2 enforce, 0 audit, 0 measure-only\)' "verify: counts the domains by mode"
expect_run 0 "audit: the unlisted binary runs" "${VRUN[@]}" --audit --code "$CD" -- "$CD/uecho"
expect_run 0 "evidence after the audit run" "$WARD" --state-dir "$V" evidence --nonce 5eed02 -o "$T/ev2.json"
expect_run 1 "verify --policy (usr): not trusted" "$WARD" verify "$T/ev2.json" --nonce 5eed02 --soft-key "$T/vpub.pem" --policy "$POL" --json
expect_eq "$(json_get "$OUT" '(j["trusted"], sorted({o["path"] for o in j["unknown_objects"]}), j["domains"]["audit"])')" \
	"(False, ['$CD/uecho'], 1)" "verify: the unknown object is the unlisted binary that ran under audit"
expect_run 0 "verify without --policy: the log itself still checks out" "$WARD" verify "$T/ev2.json" --nonce 5eed02 --soft-key "$T/vpub.pem"

section "bad input: exit 125 (2 for usage), nothing runs, nothing is recorded"
n0=$(record_count "$S")
echo '{"ward_policy": 1, "name": ' >"$T/bad-policy.json"
expect_run 125 "--policy malformed" "${RUN[@]}" --policy "$T/bad-policy.json" -- sh -c "touch $T/ran-bad"
expect_stderr_match "$T/bad-policy.json" "--policy malformed: names the file"
expect_run 125 "--policy missing" "${RUN[@]}" --policy "$T/no-such-policy.json" -- true
CD2=$(code_dir code2)
mkdir -p "$CD2/sub" "$T/elsewhere"
expect_run 125 "--bind SRC inside a --code dir" "${RUN[@]}" --code "$CD2" --bind "$CD2/sub" -- true
expect_stderr_match "overlaps code dir $CD2" "bind inside code: says why"
expect_run 125 "--bind DST inside a --code dir" "${RUN[@]}" --code "$CD2" --bind "$T/elsewhere:$CD2/sub" -- true
expect_stderr_match "overlaps code dir $CD2" "bind DST inside code: says why"
expect_run 125 "--bind SRC above a --code dir" "${RUN[@]}" --code "$CD2/sub" --bind "$CD2" -- true
expect_run 125 "--bind onto /usr" "${RUN[@]}" --bind "$T/elsewhere:/usr/share" -- true
expect_run 125 "--bind DST not absolute" "${RUN[@]}" --bind "$T/elsewhere:rel" -- true
expect_run 125 "--code below /usr" "${RUN[@]}" --code /usr/lib -- true
expect_stderr_match 'overlaps /usr' "--code /usr/lib: says why"
expect_run 125 "--code twice" "${RUN[@]}" --code "$CD2" --code "$CD2" -- true
expect_run 125 "--code missing" "${RUN[@]}" --code "$T/no-such-dir" -- true
expect_run 2 "--audit without --policy" "${RUN[@]}" --audit -- true
expect_run 2 "--gid without --uid" "${RUN[@]}" --gid 5 -- true
expect_run 2 "--uid not a number" "${RUN[@]}" --uid nobody -- true
expect_run 2 "no command" "${RUN[@]}"
check "nothing ran" test ! -e "$T/ran-bad"
expect_eq "$(record_count "$S")" "$n0" "bad input: nothing recorded"

section "binds below /tmp (where mktemp puts them)"
# Regression: the domain's new root is assembled on a tmpfs mounted over /tmp in the init's
# mount namespace, and each bind's source is stat()ed by path after that: a source below /tmp
# was reported missing ("bind /tmp/...: No such file or directory", exit 125).
mkdir -p "$T/bdir"
echo "host file" >"$T/bdir/in"
cp /usr/bin/true "$T/bdir/true"
expect_run 0 "--bind of a dir below /tmp: read, write" "${RUN[@]}" --bind "$T/bdir" -- sh -c 'cat "$1/in" && echo written >"$1/out"' sh "$T/bdir"
expect_stdout_match '^host file$' "--bind: the domain reads the host file"
check "--bind: the host sees the domain's write" grep -qx written "$T/bdir/out"
expect_run 0 "--bind-ro of a dir below /tmp" "${RUN[@]}" --bind-ro "$T/bdir:/data" -- sh -c 'cat /data/in; echo x >/data/out2; echo "status $?"'
expect_stdout_match '^status [12]$' "--bind-ro: writing fails"
expect_stderr_match 'Read-only file system' "--bind-ro: EROFS"
check "--bind-ro: nothing written" test ! -e "$T/bdir/out2"
expect_run 126 "CMD on a --bind (noexec)" "${RUN[@]}" --bind "$T/bdir" -- "$T/bdir/true"
expect_stderr_match "^ward: cannot execute '$T/bdir/true': Permission denied \(only /usr and --code dirs are executable in a domain\)\$" "noexec bind: EACCES, with the hint"

finish
