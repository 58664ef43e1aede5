#!/usr/bin/env bash
# Anonymous executable memory: mmap(PROT_READ|PROT_WRITE|PROT_EXEC, MAP_ANONYMOUS) filled with
# code and called (the classic shellcode pad), and mmap(PROT_READ|PROT_EXEC, MAP_ANONYMOUS). Both
# work on the host; in a domain the seccomp filter refuses both with EPERM. No file is opened,
# so ward records nothing: the errno is the whole answer.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
expect_rc 0 "host: anonymous RWX, code written and called" "$A" mmap-anon-rwx
expect_stdout_line "call: ran=42" "host: the injected code ran"
expect_rc 0 "host: anonymous R-X" "$A" mmap-anon-rx
expect_stdout_line "mmap: ok" "host: anonymous R-X mapped"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- "$A" mmap-anon-rwx
expect_eq "$RC" 1 "anonymous RWX is refused"
expect_stdout_line "mmap: errno=EPERM" "mmap(RWX, anonymous): EPERM"
expect_no_stdout_line "call: ran=42" "no injected code ran"
expect_no_denials "anonymous RWX"
wrun --policy "$P" --code "$C" -- "$A" mmap-anon-rx
expect_eq "$RC" 1 "anonymous R-X is refused"
expect_stdout_line "mmap: errno=EPERM" "mmap(R-X, anonymous): EPERM"

section "measure-only and audit domains refuse it too (the filter does not depend on the mode)"
wrun --code "$C" -- "$A" mmap-anon-rwx
expect_stdout_line "mmap: errno=EPERM" "measure-only: mmap(RWX, anonymous): EPERM"
wrun --policy "$P" --audit --code "$C" -- "$A" mmap-anon-rwx
expect_stdout_line "mmap: errno=EPERM" "audit: mmap(RWX, anonymous): EPERM"
finish
