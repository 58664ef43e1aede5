#!/usr/bin/env bash
# sandbox-exits: what leaves a sandbox with its process, besides its result: its standard
# error, its environment, and a core dump.
#  - stderr: by default ("stderr": "drop") what the service writes there (here a marker and
#    the client's secret) reaches neither the caller's stderr nor the log; with "stderr":
#    "client" it comes back to the caller (and still never to the log).
#  - environment: a secret variable of the caller's environment is not the service's; its
#    environ is exactly PATH, HOME=/tmp, TMPDIR=/tmp and the manifest's env, sorted by name.
#  - the terminal: run from a terminal (its controlling tty), the service cannot open /dev/tty
#    (ENXIO: the sandbox is in a session of its own) and the terminal gets nothing;
#  - core: RLIMIT_CORE is 0 and cannot be raised (EPERM); a service that makes itself
#    dumpable and dies of SIGSEGV after reading its input fails the request ("killed by
#    signal 11"), returns nothing of what it printed, and leaves no core file anywhere.
# Outside a sandbox the marker reaches stderr, the variable is inherited and the terminal
# gets the secret (the positive controls).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox-lib.sh
. "$(dirname "$0")/sandbox-lib.sh"
sb_init

NATIVE=$(sb_secret native)
SECRET=$(sb_secret SECRET)
MARK=$(sb_secret MARK)
ENVSECRET=$(sb_secret ENVSECRET)

section "stderr, outside a sandbox: the marker and the input reach it (the positive control)"
sb_native "host: leaky writes to its stderr" "$NATIVE" stderr="$MARK"
expect_stderr_line "$MARK:$NATIVE" "host: the marker and the input are on stderr"

section "stderr dropped (the default)"
sb_manifest "$T/drop.json" leak-exits '{}' stderr="$MARK" echo
sb_expect 0 "the sandboxed service ran" "$T/drop.json" "$SECRET"
expect_stdout_is "$(printf '%s\n' "stderr: written" "echo: $SECRET")" "drop: the result is the service's stdout"
expect_stderr_nomatch "$MARK" "drop: the marker is not on the caller's stderr"
expect_stderr_nomatch "$SECRET" "drop: the input is not on the caller's stderr"
expect_stderr_nomatch . "drop: ward printed nothing on stderr"
sb_log_text "$T/log.txt"
expect_file_lacks "$MARK" "$T/log.txt" \
	"drop: the marker is nowhere in the log (records and their decoded data)"
expect_not_on_host "$MARK" "drop: the marker is in no file of the host"

section "stderr returned to the client (\"stderr\": \"client\")"
sb_manifest "$T/client.json" leak-exits '{"stderr": "client"}' stderr="$MARK" echo
sb_expect 0 "the sandboxed service ran" "$T/client.json" "$SECRET"
expect_stdout_is "$(printf '%s\n' "stderr: written" "echo: $SECRET")" "client: the result is the service's stdout"
expect_stderr_line "$MARK:$SECRET" "client: the marker and the input are on the caller's stderr"
sb_log_text "$T/log.txt"
expect_file_lacks "$MARK" "$T/log.txt" "client: the marker is still nowhere in the log"

section "environment"
WARD_LEAK_SECRET=$ENVSECRET sb_native "host: leaky prints its environment" "$NATIVE" env
expect_stdout_line "env: WARD_LEAK_SECRET=$ENVSECRET" "host: the caller's variable is inherited outside a sandbox"
sb_manifest "$T/env.json" leak-exits '{"env": {"LEAK_B": "two", "LEAK_A": "one"}}' env
WARD_LEAK_SECRET=$ENVSECRET sb_expect 0 "the sandboxed service printed its environment" \
	"$T/env.json" "$SECRET"
expect_stdout_is "$(printf '%s\n' "env: PATH=/usr/local/bin:/usr/bin:/bin" "env: HOME=/tmp" \
	"env: TMPDIR=/tmp" "env: LEAK_A=one" "env: LEAK_B=two")" \
	"sandbox: the environment is exactly PATH, HOME, TMPDIR and the manifest's env (sorted)"
expect_stdout_nomatch "$ENVSECRET" "sandbox: the caller's secret variable is not there"

section "the controlling terminal"
# on_tty OUT CMD...: CMD in a new session whose controlling terminal is a fresh pty, stdin
# from $T/.sb.in, stdout and stderr in $OUT and $ERR; what reached the terminal in OUT; its
# exit status in RC.
on_tty() {
	local tty_out=$1
	shift
	RC=0
	python3 - "$tty_out" "$T/.sb.in" "$OUT" "$ERR" "$@" <<'EOF' || RC=$?
import fcntl, os, pty, select, sys, termios
tty_out, infile, outfile, errfile, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
m, s = pty.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    os.dup2(os.open(infile, os.O_RDONLY), 0)
    os.dup2(os.open(outfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(errfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    os.closerange(3, 1024)
    os.execvp(cmd[0], cmd)
# The parent keeps its slave fd open: the master never reads EIO while CMD runs.
data, done, status = b"", False, 0
while True:
    r, _, _ = select.select([m], [], [], 0.1)
    if r:
        data += os.read(m, 65536)
        continue
    if done:
        break
    p, status = os.waitpid(pid, os.WNOHANG)
    done = p == pid
open(tty_out, "wb").write(data)
sys.exit(os.waitstatus_to_exitcode(status))
EOF
}
printf '%s' "$NATIVE" >"$T/.sb.in"
on_tty "$T/tty.native" env TMPDIR="$T" "$L" tty
expect_eq "$RC" 0 "host: leaky ran on a terminal"
expect_stdout_is "$(printf '%s\n' "open-tty: ok" "write-tty: ok")" "host: it opened /dev/tty and wrote to it"
check "host: the terminal got the secret" grep -qF "TTY:$NATIVE" "$T/tty.native"
sb_manifest "$T/tty.json" leak-exits '{}' tty
printf '%s' "$SECRET" >"$T/.sb.in"
on_tty "$T/tty.sandbox" timeout -k 5 "$SB_TIMEOUT" "$WARD" --state-dir "$S" sandbox run \
	--manifest "$T/tty.json"
expect_eq "$RC" 0 "the sandboxed service ran on a terminal and reported"
expect_stdout_is "open-tty: errno=ENXIO" "sandbox: /dev/tty: ENXIO (no controlling terminal)"
expect_file_lacks "$SECRET" "$T/tty.sandbox" "sandbox: the terminal got nothing of the secret"

section "core dumps"
sb_manifest "$T/limits.json" leak-exits '{}' limits
sb_expect 0 "the sandboxed service reported its core limit" "$T/limits.json" "$SECRET"
expect_stdout_is "$(printf '%s\n' "core-limit: 0 0" "raise-core: errno=EPERM" \
	"core-limit-after: 0 0" "set-dumpable: errno=EPERM")" \
	"sandbox: RLIMIT_CORE is 0 (soft and hard) and cannot be raised, nor dumpable set again (EPERM)"
pattern=$(cat /proc/sys/kernel/core_pattern)
note "kernel.core_pattern is '$pattern'"
sb_manifest "$T/segv.json" leak-exits '{}' segv
if [[ $pattern == [\|@]* ]]; then
	# ward refuses to serve when a crash would hand the memory to a helper.
	sb_expect 125 "core_pattern pipes dumps out: ward refuses the service" "$T/segv.json" "$SECRET"
	expect_stderr_match 'kernel\.core_pattern is' "ward says why"
else
	sb_expect 1 "a service dying of SIGSEGV after its input fails the request" \
		"$T/segv.json" "$SECRET"
	expect_stderr_line "$(sb_status_line failed "the service was killed by signal 11")" \
		"the status and the reason, exactly"
	expect_stdout_is "" "nothing of what it printed before (\"segv: now\") is returned"
fi
cores=$(find "$T" /tmp /var/tmp / "$PWD" -xdev -maxdepth 3 -newer "$T/start" \
	\( -name core -o -name 'core.[0-9]*' \) -type f 2>/dev/null || true)
if [[ $pattern == /* ]]; then
	cores+=$(find "$(dirname "$pattern")" -maxdepth 1 -newer "$T/start" -type f 2>/dev/null || true)
fi
expect_eq "$cores" "" "no core file appeared (the test's dir, the cwd, /tmp, /var/tmp, /, the pattern's dir)"
expect_not_on_host "$SECRET" "the sandbox's secret is in no file of the host (log included)"
finish
