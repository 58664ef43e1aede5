#!/usr/bin/env bash
# Patching the program's own read-only text through /proc/self/mem: open it O_RDWR and pwrite
# code over a function. With CONFIG_PROC_MEM_ALWAYS_FORCE the write breaks copy-on-write and
# succeeds even on an r-x mapping, so on the host the patched function returns 42 (it returned
# 7). In a domain /proc is mounted read-only, so the open for writing fails with EROFS before
# any LSM is asked; Landlock (no write right below /proc) would refuse it next, with EACCES.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
expect_rc 0 "host: /proc/self/mem patch of own text" "$A" proc-self-mem-write
expect_stdout_line "call: ran=42" "host: the patched function ran"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- "$A" proc-self-mem-write
expect_eq "$RC" 1 "opening /proc/self/mem for writing is refused"
expect_stdout_line "open: errno=EROFS" "open(/proc/self/mem, O_RDWR): EROFS (read-only /proc)"
expect_no_stdout_line "call: ran=42" "the text was not patched"
expect_no_denials "/proc/self/mem"
wrun --policy "$P" --code "$C" -- /bin/sh -c "echo x >/proc/self/mem; echo \"status=\$?\""
expect_stdout_line "status=2" "the shell cannot open it for writing either"
expect_stderr_match "Read-only file system" "the shell names EROFS"
finish
