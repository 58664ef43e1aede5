#!/usr/bin/env bash
# A listed file (allowed: measured, in the policy) mapped MAP_PRIVATE with PROT_WRITE|PROT_EXEC,
# patched with code and called: the private copy would be a shellcode pad that the
# measurement never saw. Also the two-step form: mapped private read-write, patched, then
# mprotect(PROT_READ|PROT_EXEC). On the host (on an exec mount) both run the injected code. In a
# domain the file itself is allowed (its open is granted and recorded), then the seccomp W^X
# rule refuses the RWX mmap with EPERM, and the mprotect(+X) with EPERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
F=$C/listed.bin
cp "$A" "$F"
adv_policy "$T/p2.json" "$A" "$F"

section "outside the domain"
expect_rc 0 "host: private RWX mapping of the file, patched" "$A" mmap-file-rwx-private "$F"
expect_stdout_line "call: ran=42" "host: RWX: the patched copy ran"
expect_rc 0 "host: private RW mapping, patched, mprotect R-X" "$A" mmap-file-rw-mprotect "$F"
expect_stdout_line "call: ran=42" "host: RW then RX: the patched copy ran"

section "inside an enforcing domain"
wrun --policy "$T/p2.json" --code "$C" -- "$A" mmap-file-rwx-private "$F"
expect_eq "$RC" 1 "the private RWX mapping is refused"
expect_stdout_line "open: ok" "the listed file opens (allowed)"
expect_stdout_line "mmap: errno=EPERM" "mmap(RWX, MAP_PRIVATE, listed file): EPERM"
expect_no_stdout_line "call: ran=42" "no patched code ran"
expect_decision allow open "$F" "" "the open of the listed file is allowed and recorded"
expect_no_denials "W^X"
wrun --policy "$T/p2.json" --code "$C" -- "$A" mmap-file-rw-mprotect "$F"
expect_eq "$RC" 1 "mprotect(+X) of the patched private copy is refused"
expect_stdout_line "mprotect: errno=EPERM" "mprotect(R-X) of a private file mapping: EPERM"
expect_no_stdout_line "call: ran=42" "no patched code ran"
finish
