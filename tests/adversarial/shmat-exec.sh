#!/usr/bin/env bash
# SysV shared memory attached with SHM_EXEC: a writable and executable mapping (rwxs) without
# mmap or mprotect. On the host, code written into it runs; in a domain (its own IPC namespace)
# the seccomp filter refuses shmat(SHM_EXEC) with EPERM. Nothing is recorded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
expect_rc 0 "host: shmat(SHM_EXEC)" "$A" shmat-exec
expect_stdout_line "call: ran=42" "host: the injected code ran"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- "$A" shmat-exec
expect_eq "$RC" 1 "shmat(SHM_EXEC) is refused"
expect_stdout_line "shmat: errno=EPERM" "shmat(SHM_EXEC): EPERM"
expect_no_stdout_line "call: ran=42" "no injected code ran"
expect_no_denials "shmat"
finish
