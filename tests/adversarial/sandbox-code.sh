#!/usr/bin/env bash
# sandbox-code: code a sandboxed service tries to run after its input arrived, and what the log
# says about it.
#  - anonymous executable memory (an RWX or RX anonymous mapping, mprotect to RX): EPERM;
#  - after activation, anything from a code mount whose digest was not measured before is
#    refused (EPERM, as every denial of ward's fanotify guard): an unlisted binary of the code
#    dir, a data file of the code dir, /usr/bin/true (which enforce mode's policy does list);
#    a "files" entry (not a code mount) stays readable, and a binary listed in "measure" runs;
#  - nothing about the request is recorded: the records a request adds to the log are the same,
#    byte for byte, whatever its input made the service do (an echo, refused execs and opens,
#    a crash), and none names what it touched after activation;
#  - enforce mode (--policy): a service whose own binary is unlisted never becomes ready
#    (status unavailable, its exec refused with 126), and the denial is recorded (before
#    activation: not client data).
# Outside a sandbox the unlisted binary runs and anonymous memory can be executable (the
# positive controls).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox-lib.sh
. "$(dirname "$0")/sandbox-lib.sh"
sb_init
POL=$(usr_policy) || {
	fail "usr_policy: ward policy scan /usr"
	finish
}

# Copies of leaky nobody listed or measured (one byte appended: still runs, another digest),
# one the manifest has measured, a data file of the code dir, and a "files" data file.
unlisted() {
	cp "$WARD_LEAKY" "$2"
	printf '%s' "$1" >>"$2"
	chmod 0755 "$2"
}
unlisted x "$C/other"
unlisted y "$C/measured"
echo "code-dir data" >"$C/data.txt"
mkdir -p "$T/files"
echo "listed data" >"$T/files/listed.txt"
chmod 0644 "$C/data.txt" "$T/files/listed.txt"
chmod 0755 "$T/files"

SECRET1=$(sb_secret SECRET)
SECRET2=$(sb_secret SECRET)
SECRET3=$(sb_secret SECRET)

section "outside a sandbox (the positive controls)"
sb_native "host: leaky executes the unlisted binary" "$SECRET1" exec="$C/other"
expect_stdout_is "ran: ok" "host: the unlisted binary ran"
sb_native "host: anonymous executable memory" "$SECRET1" anon-exec
expect_stdout_is "$(printf '%s\n' "mmap-anon-rwx: ok" "mmap-anon-rx: ok" "mprotect-rx: ok")" \
	"host: RWX and RX anonymous mappings and mprotect to RX all work"

section "anonymous executable memory in a sandbox"
sb_manifest "$T/anon.json" leak-anon '{}' anon-exec
sb_expect 0 "the sandboxed service ran and reported" "$T/anon.json" "$SECRET1"
expect_stdout_is "$(printf '%s\n' "mmap-anon-rwx: errno=EPERM" "mmap-anon-rx: errno=EPERM" \
	"mprotect-rx: errno=EPERM")" "sandbox: anonymous RWX, RX and mprotect to RX: each EPERM"

section "after activation: unmeasured code is refused and nothing is recorded (measure-only)"
# One service; what it does after activation comes from its input alone (leaky script).
sb_manifest "$T/svc.json" leak-code \
	"{\"files\": [\"$T/files/listed.txt\"], \"measure\": [\"$C/measured\"]}" script
n0=$(sb_log_lines)
sb_expect 0 "request 1 (echo) ran" "$T/svc.json" "$(printf '%s\n' "$SECRET1" echo)"
expect_stdout_is "echo: $SECRET1" "request 1: the result"
n1=$(sb_log_lines)
sb_log_since "$n0" "$T/rec1"
check "request 1 added records (the warm-up: its ward-service record and what it loaded)" \
	test "$n1" -gt "$n0"

sb_expect 0 "request 2 (unmeasured code and files) ran" "$T/svc.json" "$(printf '%s\n' "$SECRET2" \
	"exec=$C/other" "open=$C/data.txt" exec=/usr/bin/true "open=$T/files/listed.txt" \
	"exec=$C/measured")"
expect_stdout_is "$(printf '%s\n' "exec: errno=EPERM" "open: errno=EPERM" "exec: errno=EPERM" \
	"open: ok" "read: 12 bytes" "ran: ok")" \
	"request 2: the unlisted binary, the code dir's data file and /usr/bin/true: EPERM; the \"files\" entry reads; the \"measure\"d binary runs"
n2=$(sb_log_lines)
sb_log_since "$n1" "$T/rec2"
check "request 2 added exactly the records request 1 added, byte for byte" cmp "$T/rec1" "$T/rec2"

sb_expect 1 "request 3 (a refused exec, then a crash) failed" "$T/svc.json" \
	"$(printf '%s\n' "$SECRET3" "exec=$C/other" segv)"
expect_stderr_line "$(sb_status_line failed \
	"the service was killed by signal 11; 1 object(s) refused after activation")" \
	"request 3: the status, the signal and the count of refused objects, exactly"
expect_stdout_is "" "request 3: no result"
sb_log_since "$n2" "$T/rec3"
check "request 3 added exactly the records request 1 added, byte for byte" cmp "$T/rec1" "$T/rec3"

sb_log_text "$T/log.txt"
check "the \"measure\"d binary is recorded (at registration, before any input)" \
	grep -qF -- "$C/measured" "$T/log.txt"

section "enforce mode (--policy)"
make_policy "$T/p.json" --from "$POL" --name leak --version 1 "$L"
sb_expect 0 "a listed service ran" "$T/svc.json" \
	"$(printf '%s\n' "$SECRET1" "exec=$C/other" exec=/usr/bin/true echo)" --policy "$T/p.json"
expect_stdout_is "$(printf '%s\n' "exec: errno=EPERM" "exec: errno=EPERM" "echo: $SECRET1")" \
	"enforce: the unlisted binary and /usr/bin/true (listed, not measured before activation): EPERM"
n3=$(sb_log_lines)
sb_expect 1 "a service whose binary the policy does not list" "$T/svc.json" \
	"$(printf '%s\n' "$SECRET2" echo)" --policy "$POL"
expect_stderr_line "$(sb_status_line unavailable "the service ended during its warm-up (status 126)")" \
	"enforce: never ready, its exec refused (126): unavailable, exactly"
expect_stdout_is "" "enforce: no result"
sb_log_since "$n3" "$T/rec4"
expect_eq "$(python3 - "$T/rec4" "$L" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    f = line.split()
    if f[2] == "ima-buf" and f[4] == "ward-decision":
        x = json.loads(bytes.fromhex(f[5]))
        if x["path"] == sys.argv[2]:
            print(x["verdict"], x["grant"], x["reason"], x["domain"])
EOF
)" "deny exec not in policy svc:leak-code" "enforce: the denial of its binary is recorded (before activation)"

section "the whole log: nothing touched after activation, no input"
sb_log_text "$T/log.txt"
for what in "$C/other" "$C/data.txt" /usr/bin/true "$T/files/listed.txt" "$SECRET1" "$SECRET2" \
	"$SECRET3"; do
	expect_file_lacks "$what" "$T/log.txt" "the log has no '$what'"
done
for secret in "$SECRET1" "$SECRET2" "$SECRET3"; do
	expect_not_on_host "$secret" "$secret is in no file of the host (log included)"
done
finish
