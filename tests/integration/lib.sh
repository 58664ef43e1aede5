# shellcheck shell=bash
# Shared helpers for the integration tests; sourced by every NAME.sh after `set -euo pipefail`.
#
# Each assertion prints one line, "ok N - what" or "not ok N - what" plus the evidence, and
# the test goes on: one run shows every failure, not just the first. finish() prints the last
# line "N passed, N failed" and exits 0 (all passed) or 1.
#
# Exit status is asserted exactly: ward promises 0 / 1 / 2, so anything else (a signal, 128+N,
# or a sanitizer report) is a crash and fails the assertion whatever was expected.
#
# Env: WARD_BIN (the ward binary), WARD_VECTORS (shared/vectors), WARD_SRC (source root),
#      CI=true makes skip() a failure (STYLE.md: under CI, a skip of anything this machine
#      supports is a failure).

: "${WARD_BIN:?WARD_BIN must name the ward binary (run through meson test)}"
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
# Files of the last command run by expect_rc / run.
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

# crashed: did the last command die of a signal or report a sanitizer error?
crashed() {
	((RC >= 126)) && return 0
	grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$ERR" 2>/dev/null
}

# expect_rc EXPECTED DESCRIPTION CMD...: CMD exits with exactly EXPECTED and does not crash.
# Its stdout and stderr stay in $OUT and $ERR for expect_stderr_match / expect_stdout_match.
expect_rc() {
	local want=$1 what=$2
	shift 2
	run "$@"
	if crashed; then
		fail "$what: exit $want (got $RC: CRASH) [$*]"
		_show_last
		return 0
	fi
	if [[ "$RC" == "$want" ]]; then
		pass "$what: exit $want"
	else
		fail "$what: exit $want (got $RC) [$*]"
		_show_last
	fi
}

# expect_rc_in "1 2" DESCRIPTION CMD...: as expect_rc, any of the listed statuses.
expect_rc_in() {
	local want=$1 what=$2
	shift 2
	run "$@"
	if crashed; then
		fail "$what: exit in {$want} (got $RC: CRASH) [$*]"
		_show_last
		return 0
	fi
	if [[ " $want " == *" $RC "* ]]; then
		pass "$what: exit $RC (one of $want)"
	else
		fail "$what: exit in {$want} (got $RC) [$*]"
		_show_last
	fi
}

# expect_nonzero DESCRIPTION CMD...: CMD fails (any status 1..125: for foreign tools).
expect_nonzero() {
	local what=$1
	shift
	run "$@"
	if crashed; then
		fail "$what: fails cleanly (got $RC: CRASH) [$*]"
		_show_last
	elif ((RC != 0)); then
		pass "$what: exit $RC"
	else
		fail "$what: fails (got 0) [$*]"
		_show_last
	fi
}

# expect_stderr_match REGEX [DESCRIPTION]: the last command's stderr matches REGEX (ERE).
expect_stderr_match() {
	local re=$1 what=${2:-stderr}
	if grep -qE -- "$re" "$ERR"; then
		pass "$what: stderr matches /$re/"
	else
		fail "$what: stderr matches /$re/"
		_show_last
	fi
}

# expect_stdout_match REGEX [DESCRIPTION]: the last command's stdout matches REGEX (ERE).
expect_stdout_match() {
	local re=$1 what=${2:-stdout}
	if grep -qE -- "$re" "$OUT"; then
		pass "$what: stdout matches /$re/"
	else
		fail "$what: stdout matches /$re/"
		_show_last
	fi
}

# expect_stdout_nomatch REGEX [DESCRIPTION]
expect_stdout_nomatch() {
	local re=$1 what=${2:-stdout}
	if grep -qE -- "$re" "$OUT"; then
		fail "$what: stdout does not match /$re/"
		_show_last
	else
		pass "$what: stdout does not match /$re/"
	fi
}

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
