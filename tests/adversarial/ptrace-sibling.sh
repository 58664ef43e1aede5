#!/usr/bin/env bash
# Writing into another domain process: ptrace(PTRACE_ATTACH) of a sibling (two children of the
# same parent), process_vm_writev into it, pidfd_getfd of its fds. Landlock allows ptrace within
# one domain and Yama is not built in, so on the host all three work; in a domain the seccomp
# filter refuses each with EPERM. Nothing is recorded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
expect_rc 0 "host: ptrace / process_vm_writev / pidfd_getfd on a sibling" "$A" ptrace-sibling
expect_stdout_line "ptrace: ok" "host: ptrace attach works"
expect_stdout_line "process_vm_writev: ok" "host: process_vm_writev works"
expect_stdout_line "pidfd_getfd: ok" "host: pidfd_getfd works"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- "$A" ptrace-sibling
expect_eq "$RC" 1 "every way into the sibling is refused"
expect_stdout_line "ptrace: errno=EPERM" "ptrace(PTRACE_ATTACH, sibling): EPERM"
expect_stdout_line "process_vm_writev: errno=EPERM" "process_vm_writev(sibling): EPERM"
expect_stdout_line "pidfd_getfd: errno=EPERM" "pidfd_getfd(sibling): EPERM"
expect_no_denials "ptrace"
finish
