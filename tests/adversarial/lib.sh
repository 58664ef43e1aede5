# shellcheck shell=bash
# Shared helpers for the adversarial tests; sourced by every NAME.sh after `set -euo pipefail`.
# On top of ../integration/lib.sh (assertions, usr_policy, code_dir) and
# ../integration/domain-lib.sh (root, domain_state, make_policy, logq, cgroup2_root, proc_stat,
# host_mounts) it gives each test a state dir, a code dir holding the attack helper, a policy
# that lists /usr plus chosen files, `ward run` under a timeout, and assertions on the decisions
# ward recorded for the last domain.
#
# Env (set by meson): WARD_ATTACK (attack.c built), WARD_EVIL_SO (evil.c built), plus what
# ../integration/lib.sh needs.

# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../integration/domain-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/domain-lib.sh"

: "${WARD_ATTACK:?WARD_ATTACK must name the attack helper (run through meson test)}"
: "${WARD_EVIL_SO:?WARD_EVIL_SO must name the evil library (run through meson test)}"

[[ "$(uname -m)" == x86_64 ]] || skip "the attack helper injects x86-64 code"
require_cmd timeout sha256sum
# Where the domains' cgroups are (<CGROOT>/ward/<domain>).
# shellcheck disable=SC2034 # used by the tests that source this file
CGROOT=$(cgroup2_root) || skip "ward run needs cgroup v2"

# Every ward run gets at most this long (a hang must not stall the suite).
ADV_TIMEOUT=${ADV_TIMEOUT:-60}

# adv_init: S (a fresh state dir) and POL (the /usr allowlist), from domain_state; C (a code
# dir), A ($C/attack, the helper), P (a policy listing /usr and $A). Fails the test (not a skip)
# if /usr cannot be scanned.
adv_init() {
	domain_state
	C=$(code_dir code)
	A=$C/attack
	install -m 0755 "$WARD_ATTACK" "$A"
	P=$T/p.json
	adv_policy "$P" "$A"
}

# adv_policy OUT [--data-dir D]... [--anon-exec FILE]... [--allow-wx-elf] [--] PATH...: OUT lists
# everything usr_policy lists, plus each PATH (a file, or every regular file below a dir,
# symlinks not followed), and carries the given domain settings (make_policy). Name "adv",
# version 1.
adv_policy() {
	local out=$1
	shift
	make_policy "$out" --from "$POL" --name adv --version 1 "$@"
}

# wrun ARG...: `ward --state-dir $S run ARG...` under a timeout, through run() ($OUT, $ERR,
# $RC). A timeout shows as 124 (or 137 after the kill).
wrun() {
	run timeout -k 5 "$ADV_TIMEOUT" "$WARD" --state-dir "$S" run "$@"
}

# unlisted_copy SRC DST: DST is SRC plus one byte (still runs; a digest no policy lists).
unlisted_copy() {
	cp "$1" "$2"
	printf '\0' >>"$2"
	chmod 0755 "$2"
}

# denied_line GRANT PATH REASON: the line ward prints for a denial of the content of PATH (a
# path the domain and the host share).
denied_line() {
	printf "ward: denied %s of '%s' (sha256:%s): %s" "$1" "$2" "$(sha256_file "$2")" "$3"
}

# _show_logq EXPR [ARG...]: a failure's evidence, what `logq $S EXPR ARG...` prints (if any).
_show_logq() {
	local shown
	shown=$(logq "$S" "$@") || true
	if [[ -n "$shown" ]]; then printf '%s\n' "$shown"; fi
}

# expect_decision VERDICT GRANT PATH REASON [DESCRIPTION]: the last domain recorded exactly
# this decision (REASON compared whole), with the object's digest when FILE is given as
# DIGEST_OF=FILE in the env.
expect_decision() {
	local verdict=$1 grant=$2 path=$3 reason=$4 what=${5:-decision}
	local obj=${DIGEST_OF:+sha256:$(sha256_file "$DIGEST_OF")}
	local line="$what: ward-decision $verdict $grant $path: '$reason'${DIGEST_OF:+ (object: the digest of $DIGEST_OF)}"
	if [[ "$(logq "$S" 'any(x["reason"] == args[3] and (not args[4] or x.get("object") == args[4])
			for x in decs(d, args[2], args[0], args[1]))' "$verdict" "$grant" "$path" "$reason" "$obj")" == True ]]; then
		pass "$line"
	else
		fail "$line"
		echo "#   decisions of the last domain:"
		_show_logq 'show(d["dec"], obj=True)'
	fi
}

# expect_no_decision VERDICT PATH [DESCRIPTION]: the last domain recorded no VERDICT for PATH.
expect_no_decision() {
	local verdict=$1 path=$2 what=${3:-decision}
	if [[ "$(logq "$S" 'len(decs(d, args[1], args[0]))' "$verdict" "$path")" == 0 ]]; then
		pass "$what: no ward-decision $verdict for $path"
	else
		fail "$what: no ward-decision $verdict for $path"
		_show_logq 'show(decs(d, args[1], args[0]))' "$verdict" "$path"
	fi
}

# expect_no_denials [DESCRIPTION]: the last domain recorded no denial at all (what refused the
# attack was the kernel: seccomp, noexec, Landlock, not ward's allowlist).
expect_no_denials() {
	local what=${1:-ward} denials='[x for x in d["dec"] if x["verdict"] != "allow"]'
	if [[ "$(logq "$S" "len($denials)")" == 0 ]]; then
		pass "$what: no denial recorded (the kernel refused it, not the allowlist)"
	else
		fail "$what: no denial recorded"
		_show_logq "show($denials)"
	fi
}

# expect_denial GRANT PATH REASON PRINTED RECORDED: ward printed its denial of PATH (denied_line,
# described PRINTED) and the last domain recorded it (expect_decision deny, described RECORDED;
# with the object's digest when DIGEST_OF is in the env).
expect_denial() {
	expect_stderr_line "$(denied_line "$1" "$2" "$3")" "$4"
	expect_decision deny "$1" "$2" "$3" "$5"
}

# ---- a domain that stays up while the host acts: control FIFOs in a --bind dir ----
#
# ctl_init: CTL, a dir for --bind "$CTL" holding FIFOs. In the domain, `ctl_step NAME` (a shell
# snippet, see CTL_STEP) writes to $CTL/NAME.ready and waits for $CTL/NAME.go; on the host,
# ctl_wait NAME returns once the domain reached the step, ctl_go NAME lets it continue.
ctl_init() {
	export CTL=$T/ctl
	mkdir -p "$CTL"
	local n
	for n in "$@"; do
		mkfifo "$CTL/$n.ready" "$CTL/$n.go"
	done
}

# The shell function to put first in the domain's `sh -c` script.
# shellcheck disable=SC2016 # expanded by the domain's shell
CTL_STEP='ctl_step() { echo "$1" >"$CTL/$1.ready"; read -r _ <"$CTL/$1.go"; }'

ctl_wait() {
	if timeout 30 cat "$CTL/$1.ready" >/dev/null; then
		return 0
	fi
	fail "the domain never reached step $1"
	return 1
}

ctl_go() {
	# shellcheck disable=SC2016 # the inner shell's $1
	timeout 30 sh -c 'echo go >"$1"' _ "$CTL/$1.go" || fail "the domain did not take step $1's go"
}

# wrun_bg ARG...: ward run in the background (BG_PID: the timeout's pid; output in $T/bg.out
# and $T/bg.err); wrun_bg_wait: its exit status in RC, with $OUT/$ERR pointing at its output.
wrun_bg() {
	timeout -k 5 "$ADV_TIMEOUT" "$WARD" --state-dir "$S" run "$@" >"$T/bg.out" 2>"$T/bg.err" &
	BG_PID=$!
	track_pid "$BG_PID"
}

wrun_bg_wait() {
	RC=0
	wait "$BG_PID" || RC=$?
	cp "$T/bg.out" "$OUT"
	cp "$T/bg.err" "$ERR"
}

# descendants PID: PID's descendants (children first), one per line.
descendants() {
	local c kids=()
	# Each children file is one line of space-separated pids.
	# shellcheck disable=SC2013
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		kids+=("$c")
	done
	for c in "${kids[@]}"; do
		echo "$c"
		descendants "$c"
	done
}

# monitor_pid: the ward run process started by wrun_bg (below the timeout, and below a subshell
# when bash did not exec the background command directly).
monitor_pid() {
	local p ward
	ward=$(readlink -f "$WARD")
	for p in $(descendants "$BG_PID"); do
		if [[ "$(readlink "/proc/$p/exe" 2>/dev/null)" == "$ward" ]]; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

# cached FILE: the running monitor holds an inode ignore mark on FILE (the in-kernel verdict
# cache: opens and execs of FILE reach ward no more until it is dropped).
cached() {
	local mon ino f
	mon=$(monitor_pid) || return 1
	ino=$(printf '%x' "$(stat -c %i "$1")")
	for f in /proc/"$mon"/fdinfo/*; do
		if grep -qE "^fanotify ino:$ino .*ignored_mask:[1-9a-f]" "$f" 2>/dev/null; then
			return 0
		fi
	done
	return 1
}

# elf_patch MODE IN OUT: OUT is the ELF64 IN with its program headers changed, still runnable:
#   wx-segment  the first executable PT_LOAD also writable (a W+X segment)
#   exec-stack  PT_GNU_STACK with PF_X (an executable stack)
#   no-stack    PT_GNU_STACK removed (turned into PT_NULL: ld.so and the kernel then give the
#               program an executable stack)
elf_patch() {
	python3 - "$@" <<'EOF2'
import os, struct, sys
mode, src, dst = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
assert b[:4] == b"\x7fELF" and b[4] == 2, "not ELF64"
phoff, = struct.unpack_from("<Q", b, 0x20)
phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
PT_LOAD, PT_GNU_STACK, PF_X, PF_W = 1, 0x6474E551, 1, 2
done = False
for i in range(phnum):
    o = phoff + i * phentsize
    p_type, p_flags = struct.unpack_from("<II", b, o)
    if mode == "wx-segment" and p_type == PT_LOAD and p_flags & PF_X:
        struct.pack_into("<I", b, o + 4, p_flags | PF_W)
    elif mode == "exec-stack" and p_type == PT_GNU_STACK:
        struct.pack_into("<I", b, o + 4, p_flags | PF_X)
    elif mode == "no-stack" and p_type == PT_GNU_STACK:
        struct.pack_into("<I", b, o, 0)
    else:
        continue
    done = True
    break
assert done, f"{mode}: no program header to change in {src}"
open(dst, "wb").write(b)
os.chmod(dst, 0o755)
EOF2
}

# ---- a listed binary rewritten on the host while a domain has it cached ----

# tamper MODE FILE: on the host, turn FILE's "TAG:original-content" into "TAG:tampered-content"
# (same length, the program still runs), by:
#   write     pwrite(2) of the new tag into the open file
#   truncate  open with O_TRUNC, then the whole new content written
#   mmap      a MAP_SHARED writable mapping, stored into; no write(2) at all
#   rename    a new file (new inode) renamed over FILE
tamper() {
	python3 - "$@" <<'EOF'
import mmap, os, sys
mode, p = sys.argv[1:3]
data = open(p, "rb").read()
old, new = b"TAG:original-content", b"TAG:tampered-content"
assert data.count(old) == 1, "the tag must occur once"
off = data.index(old)
tampered = data.replace(old, new)
if mode == "write":
    fd = os.open(p, os.O_WRONLY)
    os.pwrite(fd, new, off)
    os.close(fd)
elif mode == "truncate":
    fd = os.open(p, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, tampered)
    os.close(fd)
elif mode == "mmap":
    fd = os.open(p, os.O_RDWR)
    m = mmap.mmap(fd, len(data), mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)
    m[off:off + len(new)] = new
    m.close()
elif mode == "rename":
    other = p + ".new"
    with open(other, "wb") as f:
        f.write(tampered)
    os.chmod(other, 0o755)
    os.rename(other, p)
else:
    sys.exit(f"tamper: unknown mode {mode}")
EOF
}

# rewrite_warm MODE: the technique "a listed binary rewritten after the scan", in the warm
# state. TGT ($C/target, a copy of the helper, listed) runs in a domain and is cached (asserted
# through the monitor's fanotify fdinfo); the domain then waits while the host tampers with
# it (MODE, see tamper); then the SAME domain runs TGT again: that exec must be denied
# (EPERM), printed and recorded with the new content's digest, and the tampered program must
# never run.
rewrite_warm() {
	local mode=$1 busy=${2:-} old load=""
	TGT=$C/target
	install -m 0755 "$WARD_ATTACK" "$TGT"
	old=$(sha256_file "$TGT")
	adv_policy "$T/pt.json" "$A" "$TGT"
	ctl_init s
	if [[ $busy == busy ]]; then
		# Four loops exec an unlisted copy without pause: every exec is an event the
		# monitor must decide (denied, never cached), so its queue never drains. The lease
		# break of the host's writer must still be handled before the kernel gives up on it
		# (fs.lease-break-time) and lets the writer through with the mark still on.
		# 32 MiB: each decision hashes it, so answered loops are back before the queue drains.
		cp "$WARD_ATTACK" "$C/busy"
		head -c 33554432 /dev/zero >>"$C/busy"
		chmod 0755 "$C/busy"
		load="for i in 1 2 3 4; do (while :; do '$C/busy' marker >/dev/null 2>&1; done) & done; "
	fi

	section "outside a domain, the tampered program runs (so the test can fail)"
	cp "$TGT" "$T/host-copy"
	tamper "$mode" "$T/host-copy"
	expect_rc 0 "host: tampered copy" "$T/host-copy" marker
	expect_stdout_line "marker: TAG:tampered-content" "host: the tampered copy ran"

	section "warm: $mode on the host while the domain has $TGT cached"
	wrun_bg --policy "$T/pt.json" --code "$C" --bind "$CTL" -- /bin/sh -c \
		"$CTL_STEP; $load'$TGT' marker; echo \"first=\$?\"; ctl_step s; '$TGT' marker; echo \"second=\$?\""
	if ! ctl_wait s; then
		wrun_bg_wait
		_show_last
		return 0
	fi
	if cached "$TGT"; then
		pass "after its first run, $TGT is cached in the kernel (an ignore mark of the monitor)"
	else
		fail "after its first run, $TGT is cached in the kernel (an ignore mark of the monitor)"
	fi
	tamper "$mode" "$TGT"
	check "the host changed $TGT ($mode)" grep -q "TAG:tampered-content" "$TGT"
	if [[ $mode != rename ]]; then
		if cached "$TGT"; then
			fail "after the $mode, the ignore mark on $TGT is gone"
		else
			pass "after the $mode, the ignore mark on $TGT is gone"
		fi
	fi
	ctl_go s
	wrun_bg_wait
	expect_eq "$RC" 0 "the domain's shell finished"
	expect_stdout_line "marker: TAG:original-content" "the first run ran the original"
	expect_stdout_line "first=0" "the first run succeeded"
	expect_stdout_line "second=126" "the second exec failed (the shell's 126: cannot execute)"
	expect_stdout_nomatch "TAG:tampered" "the tampered program never ran in the domain"
	expect_stderr_match "$TGT: Operation not permitted" "the shell saw EPERM"
	DIGEST_OF=$TGT expect_denial exec "$TGT" "not in policy" \
		"ward prints the denial with the tampered content's digest" \
		"the denial is recorded with the tampered content's digest"
	cp "$TGT" "$T/tampered"
	install -m 0755 "$WARD_ATTACK" "$T/original"
	DIGEST_OF=$T/original expect_decision allow exec "$TGT" "" \
		"the first run is recorded as allowed, with the original digest"
	check "(the original digest is $old)" test "$(sha256_file "$T/original")" = "$old"
}
