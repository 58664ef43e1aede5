#!/usr/bin/env bash
# personality(READ_IMPLIES_EXEC): afterwards every readable mapping (an anonymous RW one, the
# heap) is executable too, with no PROT_EXEC in any mmap or mprotect for a filter to see. On
# the host the RW mapping shows up 'x' in /proc/self/maps and injected code runs in it; in a
# domain the seccomp filter refuses the personality call with EPERM. (libseccomp allows one
# comparison per argument, so the 0xffffffff query is refused too: EPERM.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
expect_rc 0 "host: personality(READ_IMPLIES_EXEC), then an RW mapping" "$A" personality-rie
expect_stdout_line "maps: exec" "host: the RW mapping is executable"
expect_stdout_line "call: ran=42" "host: the injected code ran"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- "$A" personality-rie
expect_eq "$RC" 1 "personality(READ_IMPLIES_EXEC) is refused"
expect_stdout_line "personality: errno=EPERM" "personality(READ_IMPLIES_EXEC): EPERM"
expect_stdout_line "query: errno=EPERM" "personality(0xffffffff), the query: EPERM as well"
expect_no_stdout_line "call: ran=42" "no injected code ran"
expect_no_denials "personality"
finish
