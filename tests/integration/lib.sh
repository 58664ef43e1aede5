# shellcheck shell=bash
# Shared helpers for the integration tests; sourced by every NAME.sh after `set -euo pipefail`.
#
# Each assertion prints one line, "ok N - what" or "not ok N - what" plus the evidence, and
# the test goes on: one run shows every failure, not just the first. finish() prints the last
# line "N passed, N failed" and exits 0 (all passed) or 1.
#
# Exit status is asserted exactly: ward promises 0 / 1 / 2, so anything else (a signal, 128+N,
# or a sanitizer report) is a crash and fails the assertion whatever was expected. The one
# exception is expect_run, for `ward run`, which passes its command's status through: there
# 126, 127 and 128+N are answers, and only a sanitizer report is a crash.
#
# The tests of `ward run` also source domain-lib.sh (root, the log split into domains,
# allowlists, what a domain leaves on the host).
#
# Env: WARD_BIN (the ward binary), WARD_VECTORS (shared/vectors), WARD_SRC (source root),
#      CI=true makes skip() a failure (STYLE.md: under CI, a skip of anything this machine
#      supports is a failure).

# Sandboxes refuse a /proc that shows every process to every user (a service could write its
# client's data into its own command line there). As root, each test runs in a mount namespace of
# its own whose /proc has hidepid=invisible, as `mount -o remount,hidepid=invisible /proc` would
# give the whole machine; the host's /proc is left as it is. The tests that show the refusal
# mount a plain /proc again (proc_plain). WARD_TEST_NO_PROC_NS=1 keeps the host's /proc.
if [[ $(id -u) == 0 && -z "${WARD_TEST_PROC_NS:-}" && -z "${WARD_TEST_NO_PROC_NS:-}" ]] &&
	! grep -qE ' /proc .* - proc .*hidepid=(invisible|2|ptraceable|4)' /proc/self/mountinfo; then
	export WARD_TEST_PROC_NS=1
	exec unshare --mount --propagation private -- "$BASH" -c \
		'mount -t proc -o hidepid=invisible,nosuid,nodev,noexec proc /proc && exec "$@"' \
		ward-test "$0" "$@"
fi

: "${WARD_BIN:?WARD_BIN must name the ward binary (run through meson test)}"

# proc_plain CMD [ARG...]: CMD in a mount namespace whose /proc shows every process to every
# user (what a host without hidepid has).
proc_plain() {
	unshare --mount --propagation private -- "$BASH" -c \
		'mount -t proc -o nosuid,nodev,noexec proc /proc && exec "$@"' proc-plain "$@"
}
: "${WARD_VECTORS:?WARD_VECTORS must name shared/vectors (run through meson test)}"
WARD=$WARD_BIN
# shellcheck disable=SC2034 # used by the tests that source this file
VEC=$WARD_VECTORS

# Sanitizer builds: a report must end the process with a signal (seen as a crash below), not
# with exit status 1, which would pass for a verdict. Options already set are kept.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:abort_on_error=1"
# ward must not depend on the caller's state dir.
unset WARD_STATE_DIR

T=$(mktemp -d "${TMPDIR:-/tmp}/ward-it.XXXXXXXX")
_lib_cleanup() {
	local rc=$?
	# Kill only what this test started (pids registered with track_pid).
	local p
	for p in "${_lib_pids[@]:-}"; do
		if [[ -n "$p" ]]; then kill -9 "$p" 2>/dev/null || true; fi
	done
	chmod -R u+rwX "$T" 2>/dev/null || true
	rm -rf "$T"
	exit "$rc"
}
_lib_pids=()
trap _lib_cleanup EXIT

track_pid() { _lib_pids+=("$1"); }

_n=0
_passed=0
_failed=0
# Files of the last command run by run (and so by the expect_* that run a command).
OUT=$T/.last.out
ERR=$T/.last.err
RC=0

section() { printf '\n# %s\n' "$*"; }
note() { printf '#   %s\n' "$*"; }

pass() {
	_n=$((_n + 1))
	_passed=$((_passed + 1))
	printf 'ok %d - %s\n' "$_n" "$*"
}

fail() {
	_n=$((_n + 1))
	_failed=$((_failed + 1))
	printf 'not ok %d - %s\n' "$_n" "$*"
}

# Show the captured output of the last command, indented, after a failure.
_show_last() {
	local f
	for f in "$OUT" "$ERR"; do
		[[ -s "$f" ]] || continue
		printf '#   %s:\n' "$([[ $f == "$OUT" ]] && echo stdout || echo stderr)"
		head -c 2000 "$f" | sed 's/^/#     /'
		echo
	done
}

# run CMD...: run CMD with stdout in $OUT and stderr in $ERR; its status in $RC. Never fails.
run() {
	RC=0
	"$@" >"$OUT" 2>"$ERR" || RC=$?
}

# sanitizer_report: does the last command's stderr hold a sanitizer report?
sanitizer_report() {
	grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$ERR" 2>/dev/null
}

# crashed: did the last command die of a signal or report a sanitizer error?
crashed() {
	((RC >= 126)) || sanitizer_report
}

# _expect_status HOW WANT DESCRIPTION CMD...: run CMD and print the one line on its status, as
# expect_rc (HOW=rc), expect_rc_in (in), expect_nonzero (nonzero) or expect_run (run) promise.
_expect_status() {
	local how=$1 want=$2 what=$3 ok=0 crash='' expected="exit $2" passed="exit $2"
	shift 3
	run "$@"
	case $how in
	rc | run) [[ "$RC" == "$want" ]] && ok=1 ;;
	in)
		[[ " $want " == *" $RC "* ]] && ok=1
		expected="exit in {$want}" passed="exit $RC (one of $want)"
		;;
	nonzero)
		((RC != 0)) && ok=1
		expected="fails" passed="exit $RC"
		;;
	esac
	if [[ $how == run ]]; then
		sanitizer_report && crash=" with a sanitizer report"
	elif crashed; then
		crash=": CRASH"
		[[ $how != nonzero ]] || expected="fails cleanly"
	fi
	if [[ -n "$crash" ]]; then
		fail "$what: $expected (got $RC$crash) [$*]"
		_show_last
	elif ((ok)); then
		pass "$what: $passed"
	else
		fail "$what: $expected (got $RC) [$*]"
		_show_last
	fi
}

# expect_rc EXPECTED DESCRIPTION CMD...: CMD exits with exactly EXPECTED and does not crash.
# Its stdout and stderr stay in $OUT and $ERR for expect_stderr_match / expect_stdout_match.
expect_rc() { _expect_status rc "$@"; }

# expect_rc_in "1 2" DESCRIPTION CMD...: as expect_rc, any of the listed statuses.
expect_rc_in() { _expect_status in "$@"; }

# expect_nonzero DESCRIPTION CMD...: CMD fails (any status 1..125: for foreign tools).
expect_nonzero() { _expect_status nonzero "" "$@"; }

# expect_run EXPECTED DESCRIPTION CMD...: for a CMD that passes another command's status
# through (ward run): it exits with exactly EXPECTED (any value, 126..255 included) and no
# sanitizer report is on its stderr. Output stays in $OUT and $ERR.
expect_run() { _expect_status run "$@"; }

# _expect_grep FILE GREP_FLAGS PATTERN found|absent DESCRIPTION: pass DESCRIPTION if grep finds
# PATTERN in FILE (found) or does not (absent); else fail it and show the last command's output.
_expect_grep() {
	local got=absent
	if grep "$2" -- "$3" "$1"; then got=found; fi
	if [[ $got == "$4" ]]; then
		pass "$5"
	else
		fail "$5"
		_show_last
	fi
}

# The last command's output, each assertion with an optional DESCRIPTION (default: the stream):
# expect_{stdout,stderr}_match REGEX / expect_{stdout,stderr}_nomatch REGEX: (does not) match
# the ERE REGEX; expect_{stdout,stderr}_line LINE / expect_no_stdout_line LINE: one line is
# (no line is) exactly LINE.
expect_stdout_match() { _expect_grep "$OUT" -qE "$1" found "${2:-stdout}: stdout matches /$1/"; }
expect_stdout_nomatch() { _expect_grep "$OUT" -qE "$1" absent "${2:-stdout}: stdout does not match /$1/"; }
expect_stderr_match() { _expect_grep "$ERR" -qE "$1" found "${2:-stderr}: stderr matches /$1/"; }
expect_stderr_nomatch() { _expect_grep "$ERR" -qE "$1" absent "${2:-stderr}: stderr does not match /$1/"; }
expect_stdout_line() { _expect_grep "$OUT" -qxF "$1" found "${2:-stdout}: stdout has '$1'"; }
expect_no_stdout_line() { _expect_grep "$OUT" -qxF "$1" absent "${2:-stdout}: stdout has no '$1'"; }
expect_stderr_line() { _expect_grep "$ERR" -qxF "$1" found "${2:-stderr}: stderr has '$1'"; }

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
	if [[ "$1" == "$2" ]]; then
		local shown=${2//$'\n'/\\n}
		pass "$3 (= ${shown:0:80})"
	else
		fail "$3"
		printf '#   expected: %s\n#   actual:   %s\n' "$2" "$1"
	fi
}

# check DESCRIPTION CMD...: CMD (a predicate: test, cmp, grep, python check) succeeds.
# Its output goes to files of its own: $OUT and $ERR still hold the command being examined.
check() {
	local what=$1
	shift
	local OUT=$T/.check.out ERR=$T/.check.err RC=0
	run "$@"
	if ((RC == 0)); then
		pass "$what"
	else
		fail "$what [$*] (exit $RC)"
		_show_last
	fi
}

# skip REASON: exit 77, or fail under CI (where the machine is expected to support the test).
skip() {
	case "${CI:-}" in
	true | TRUE | True | 1 | yes)
		fail "cannot run: $* (a skip is a failure under CI=true)"
		finish
		;;
	esac
	echo "# SKIP: $*"
	echo "$_passed passed, $_failed failed"
	exit 77
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "'$c' is not installed"
	done
}

finish() {
	echo
	echo "$_passed passed, $_failed failed"
	if ((_failed > 0 || _passed == 0)); then
		exit 1
	fi
	exit 0
}

# new_state DIR: a fresh state dir with the soft attester (the default would be tpm on a
# machine with /dev/tpmrm0, which this build cannot drive).
new_state() {
	"$WARD" --state-dir "$1" --attester soft attester pubkey >/dev/null
}

# record_count DIR: records in DIR's log, as `ward log show --json` reports them.
record_count() {
	"$WARD" log show --state-dir "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])'
}

# json_get FILE EXPR: evaluate python EXPR on the JSON document j in FILE.
json_get() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

sha256_file() { sha256sum "$1" | cut -d' ' -f1; }

# usr_policy: print the path of an allowlist of everything under /usr (ward policy scan /usr),
# made once per test run and shared by the tests (and by the sanitizer build's run when
# tests/run-all passes WARD_USR_POLICY_SHARED). Scanning /usr takes tens of seconds.
usr_policy() {
	local p=${WARD_USR_POLICY_SHARED:-${WARD_USR_POLICY:?WARD_USR_POLICY must be set by meson}}
	(
		flock 9
		if [[ ! -s "$p" ]]; then
			"$WARD" policy scan /usr -o "$p.tmp" >/dev/null 2>&1 && mv "$p.tmp" "$p"
		fi
	) 9>"$p.lock"
	[[ -s "$p" ]] || { echo "usr_policy: could not scan /usr" >&2; return 1; }
	printf '%s\n' "$p"
}

# code_dir NAME: a fresh directory for --code (root-owned, mode 0755, below $T whose parents
# must be root-owned and not group/other-writable, or sticky like /tmp).
code_dir() {
	local d=$T/$1
	mkdir -p "$d"
	chmod 0755 "$T" "$d"
	printf '%s\n' "$d"
}
