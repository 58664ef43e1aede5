#!/usr/bin/env bash
# Anonymous memory mapped read-write, filled with code, then made executable: mprotect(RW -> RX)
# and pkey_mprotect(RW -> RX, pkey -1). Both work on the host; in a domain the seccomp filter
# refuses PROT_EXEC in either call with EPERM. Nothing is opened, so nothing is recorded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
expect_rc 0 "host: mprotect RW -> RX" "$A" mprotect-rw-rx
expect_stdout_line "call: ran=42" "host: mprotect: the injected code ran"
expect_rc 0 "host: pkey_mprotect RW -> RX" "$A" pkey-mprotect-rw-rx
expect_stdout_line "call: ran=42" "host: pkey_mprotect: the injected code ran"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- "$A" mprotect-rw-rx
expect_eq "$RC" 1 "mprotect RW -> RX is refused"
expect_stdout_line "mprotect: errno=EPERM" "mprotect(+X): EPERM"
expect_no_stdout_line "call: ran=42" "no injected code ran"
wrun --policy "$P" --code "$C" -- "$A" pkey-mprotect-rw-rx
expect_eq "$RC" 1 "pkey_mprotect RW -> RX is refused"
expect_stdout_line "pkey_mprotect: errno=EPERM" "pkey_mprotect(+X): EPERM"
expect_no_denials "mprotect"
finish
