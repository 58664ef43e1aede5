#!/usr/bin/env bash
# sandbox-ipc: a sandboxed service holding a client's secret tries to leave it where another
# process (on the host, or the next request) could pick it up: a SysV shared memory segment, a
# SysV message queue and semaphore set, a POSIX message queue, a key in its user keyring
# (add_key; keyctl and request_key as well), and a memfd. Outside a sandbox each one holds the
# input, and the host finds it (the positive control); inside, the seccomp allowlist refuses
# every one of these calls with EPERM, the host's IPC namespace and root's keyring hold
# nothing of it, and the next request's sandbox cannot even look (the same EPERM).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox-lib.sh
. "$(dirname "$0")/sandbox-lib.sh"
sb_init

NATIVE=$(sb_secret native)
SECRET=$(sb_secret SECRET)
# Fresh names: concurrent runs of this test do not meet, and nothing of an earlier one counts.
KEY=$((0x57000000 + (RANDOM << 8) + (RANDOM & 255)))
MQ=/ward-leak-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
DESC=ward-leak-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
STEPS=(shm="$KEY" msg="$KEY" sem="$KEY" mq="$MQ" key="$DESC" memfd)
PEEK=(peek-shm="$KEY" peek-msg="$KEY" peek-sem="$KEY" peek-mq="$MQ" peek-key="$DESC")

# Whatever this test created on the host goes, however it ends (the peek steps remove what
# they find); then lib.sh's cleanup, with the test's exit status.
# shellcheck disable=SC2317 # called by the EXIT trap
ipc_cleanup() {
	local rc=$?
	"$L" "${PEEK[@]}" </dev/null >/dev/null 2>&1 || true
	(exit "$rc")
	_lib_cleanup
}
trap ipc_cleanup EXIT

section "outside a sandbox, each object holds the input and the host finds it (positive control)"
sb_native "host: leaky leaves the input in every IPC object" "$NATIVE" "${STEPS[@]}"
for step in shmget shmat msgget msgsnd semget mq_open mq_send add_key keyctl memfd_create; do
	expect_stdout_line "$step: ok" "host: $step works"
done
sb_native "host: look for what was left" "" "${PEEK[@]}"
expect_stdout_is "$(printf '%s\n' "peek-shm: $NATIVE" "peek-msg: $NATIVE" "peek-sem: present" \
	"peek-mq: $NATIVE" "peek-key: $NATIVE")" \
	"host: the segment, both queues, the semaphore set and root's key held the input"

section "inside a sandbox, every call is refused with EPERM"
sb_manifest "$T/ipc.json" leak-ipc '{}' "${STEPS[@]}"
sb_expect 0 "the sandboxed service ran and reported" "$T/ipc.json" "$SECRET"
expect_stdout_is "$(printf '%s\n' "shmget: errno=EPERM" "msgget: errno=EPERM" \
	"semget: errno=EPERM" "mq_open: errno=EPERM" "add_key: errno=EPERM" \
	"keyctl: errno=EPERM" "request_key: errno=EPERM" "memfd_create: errno=EPERM")" \
	"sandbox: shmget, msgget, semget, mq_open, add_key, keyctl, request_key, memfd_create: each EPERM, nothing else"
expect_stderr_nomatch . "sandbox: ward printed nothing on stderr"

section "nothing was left: not on the host, not for the next request"
sb_native "host: look for what the sandbox left" "" "${PEEK[@]}"
expect_stdout_is "$(printf '%s\n' "peek-shm: errno=ENOENT" "peek-msg: errno=ENOENT" \
	"peek-sem: errno=ENOENT" "peek-mq: errno=ENOENT" "peek-key: errno=ENOKEY")" \
	"host: no segment, queue, semaphore set or key of that name exists"
sb_manifest "$T/next.json" leak-ipc '{}' "${PEEK[@]}"
sb_expect 0 "the next request's sandbox looks for them" "$T/next.json" "next"
expect_stdout_is "$(printf '%s\n' "peek-shm: errno=EPERM" "peek-msg: errno=EPERM" \
	"peek-sem: errno=EPERM" "peek-mq: errno=EPERM" "peek-key: errno=EPERM")" \
	"next request: it cannot even look (EPERM for each)"
expect_not_on_host "$SECRET" "the sandbox's secret is in no file of the host (log included)"
finish
