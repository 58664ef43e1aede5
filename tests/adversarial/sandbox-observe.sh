#!/usr/bin/env bash
# sandbox-observe: a running sandbox seen from the host by an unprivileged process (uid 65534):
# the sandboxed service, holding a client's secret, publishes it where such a process can
# read it, and waits (in rt_sigsuspend) while the observer looks:
#  - its name: prctl(PR_SET_NAME) with the secret, seen in /proc/PID/comm (ps);
#  - its command line: the argv memory overwritten with the secret (no system call at all),
#    seen in /proc/PID/cmdline (ps -ef);
#  - file locks: a POSIX byte-range lock whose start is the secret's number, an flock and a
#    lease on a file it may read (its own binary), seen in /proc/locks (global, any user).
# Outside a sandbox the observer reads all three (the positive control). From a sandbox the
# observer must see none of them: PR_SET_NAME, fcntl locks and flock refused (EPERM), the
# lease refused, and its processes' command lines not readable by other users.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox-lib.sh
. "$(dirname "$0")/sandbox-lib.sh"
require_cmd setpriv
sb_init

NATIVE=$(sb_secret native)
SECRET=$(sb_secret SECRET)
STEPS=(name argv lock="$L" pause)

# number SECRET: the number leaky's lock step makes of SECRET (its last word's first 15 hex
# digits), as /proc/locks prints a lock's start.
number() {
	local w=${1##*-}
	printf '%d\n' "0x${w:0:15}"
}

# paused_leaky: the host pid of the leaky process waiting in rt_sigsuspend (after its
# attempts); waits at most 30 s for it.
paused_leaky() {
	local i p nr
	for ((i = 0; i < 300; i++)); do
		for p in /proc/[0-9]*; do
			[[ "$(readlink "$p/exe" 2>/dev/null)" == "$L" ]] || continue
			read -r nr _ <"$p/syscall" 2>/dev/null || continue
			if [[ $nr == 130 ]]; then
				printf '%s\n' "${p#/proc/}"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

# observe SECRET PID: what uid 65534 sees of SECRET: "comm" (in PID's or any process's comm:
# its first 15 bytes), "cmdline" (in any process's command line), "locks" (a lock starting at
# SECRET's number in /proc/locks); one word per line.
observe() {
	# The secret goes through the environment: in argv, the observer would find it in its own
	# command line. $OBSERVE_PROC is "plain" for the positive control (a /proc without
	# hidepid, as on a host ward refuses to serve from).
	local wrap=()
	[[ "${OBSERVE_PROC:-}" == plain ]] && wrap=(proc_plain)
	# shellcheck disable=SC2016 # expanded by the observer's shell
	OBS_SECRET=$1 OBS_NUM=$(number "$1") "${wrap[@]}" \
		setpriv --reuid=65534 --regid=65534 --clear-groups -- bash -c '
		secret=$OBS_SECRET num=$OBS_NUM
		grep -qsFf /dev/fd/3 /proc/[0-9]*/comm 3<<<"${secret:0:15}" && echo comm
		for f in /proc/[0-9]*/cmdline; do
			tr "\0" " " <"$f" 2>/dev/null
			echo
		done | grep -qFf /dev/fd/3 3<<<"$secret" && echo cmdline
		grep -qE " $num $num\$" /proc/locks && echo locks
		true'
}

section "outside a sandbox, the observer reads all three (the positive control)"
printf '%s' "$NATIVE" >"$T/native.in"
env TMPDIR="$T" "$L" "${STEPS[@]}" <"$T/native.in" >"$T/native.out" 2>&1 &
NPID=$!
track_pid "$NPID"
if pid=$(paused_leaky); then
	expect_eq "$(OBSERVE_PROC=plain observe "$NATIVE")" "$(printf '%s\n' comm cmdline locks)" \
		"host without hidepid: uid 65534 reads the secret in comm, in cmdline and in /proc/locks"
	kill -USR1 "$pid"
else
	fail "host: leaky reached its pause"
fi
wait "$NPID" || true
expect_eq "$(cat "$T/native.out")" "$(printf '%s\n' "prctl-set-name: ok" "argv: rewritten 23 bytes" \
	"open-lock: ok" "fcntl-lock: ok" "flock: ok" "lease: ok" "pause: resumed")" \
	"host: every step worked"

section "from a sandbox, the observer sees nothing"
sb_manifest "$T/observe.json" leak-observe '{"timeout_s": 60}' "${STEPS[@]}"
printf '%s' "$SECRET" >"$T/sandbox.in"
timeout -k 5 "$SB_TIMEOUT" "$WARD" --state-dir "$S" sandbox run --manifest "$T/observe.json" \
	<"$T/sandbox.in" >"$T/sandbox.out" 2>"$T/sandbox.err" &
WPID=$!
track_pid "$WPID"
if pid=$(paused_leaky); then
	pass "the sandboxed service made its attempts and waits (host pid $pid)"
	seen=$(observe "$SECRET")
	for what in comm cmdline locks; do
		if grep -qx "$what" <<<"$seen"; then
			fail "uid 65534 does not see the secret in $what"
		else
			pass "uid 65534 does not see the secret in $what"
		fi
	done
	kill -USR1 "$pid"
else
	fail "the sandboxed service reached its pause"
fi
RC=0
wait "$WPID" || RC=$?
cp "$T/sandbox.out" "$OUT"
cp "$T/sandbox.err" "$ERR"
expect_eq "$RC" 0 "the sandboxed service ran and reported"
expect_stdout_line "prctl-set-name: errno=EPERM" "sandbox: PR_SET_NAME: EPERM"
expect_stdout_line "open-lock: ok" "sandbox: its own binary opens (measured before activation)"
expect_stdout_line "fcntl-lock: errno=EPERM" "sandbox: a POSIX byte-range lock: EPERM"
expect_stdout_line "flock: errno=EPERM" "sandbox: flock: EPERM"
expect_stdout_match '^lease: errno=E(ACCES|PERM)$' "sandbox: a lease is refused"
expect_stdout_line "pause: resumed" "sandbox: it ran to its end"
finish
