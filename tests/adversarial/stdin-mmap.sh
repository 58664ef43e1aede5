#!/usr/bin/env bash
# stdin redirected from a host file holding raw code, then mapped executable: directly (fd 0),
# and reopened read-only through /proc/self/fd/0 (which would give a fresh, read-only open of
# the same file, whatever fd 0's access mode). On the host both map and the code runs. ward
# never hands a domain a redirected regular file: it relays it through a pipe, so fd 0 in the
# domain is a FIFO, and /proc/self/fd/0 reopens that FIFO. A pipe lives on pipefs, which is
# noexec: mmap(PROT_EXEC) fails with EPERM, both ways. The same holds for a file opened
# read-write (0<>) and for stdout redirected to a file.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
printf '\270\052\000\000\000\303' >"$T/code42"

section "outside the domain"
run "$A" mmap-stdin-exec <"$T/code42"
expect_eq "$RC" 0 "host: stdin mapped executable"
expect_stdout_line "stdin: regular" "host: stdin is the file"
expect_stdout_line "mmap-fd0: ok" "host: fd 0 maps R-X"
expect_stdout_line "mmap-reopened: ok" "host: /proc/self/fd/0 reopened maps R-X"
expect_stdout_line "call: ran=42" "host: the code from stdin ran"

section "inside an enforcing domain: stdin from a file"
wrun --policy "$P" --code "$C" -- "$A" mmap-stdin-exec <"$T/code42"
expect_eq "$RC" 1 "stdin cannot be mapped executable"
expect_stdout_line "stdin: fifo" "fd 0 in the domain is a pipe (the relay)"
expect_stdout_line "mmap-fd0: errno=EPERM" "mmap(fd 0, R-X): EPERM"
expect_stdout_line "reopen: ok fifo" "/proc/self/fd/0 reopens the pipe, not the file"
expect_stdout_line "mmap-reopened: errno=EPERM" "mmap(reopened fd 0, R-X): EPERM"
expect_no_stdout_line "call: ran=42" "no code from stdin ran"
expect_no_denials "stdin"

section "inside: stdin from a file opened read-write (0<>)"
cp "$T/code42" "$T/code42rw"
wrun --policy "$P" --code "$C" -- "$A" mmap-stdin-exec 0<>"$T/code42rw"
expect_stdout_line "stdin: fifo" "read-write stdin: a pipe too"
expect_stdout_line "mmap-fd0: errno=EPERM" "read-write stdin: mmap(fd 0, R-X): EPERM"
expect_stdout_line "mmap-reopened: errno=EPERM" "read-write stdin: mmap(reopened, R-X): EPERM"

section "inside: stdout redirected to a file, reopened read-only and mapped"
cp "$T/code42" "$T/out-file"
RC=0
timeout -k 5 "$ADV_TIMEOUT" "$WARD" --state-dir "$S" run --policy "$P" --code "$C" -- \
	/bin/sh -c "'$A' mmap-stdin-exec </proc/self/fd/1 >&2" >>"$T/out-file" 2>"$ERR" || RC=$?
cp "$ERR" "$OUT"
expect_eq "$RC" 1 "stdout cannot be mapped executable"
expect_stdout_line "stdin: fifo" "/proc/self/fd/1 (stdout) reopened is the relay's pipe"
expect_stdout_line "mmap-fd0: errno=EPERM" "mmap(reopened stdout, R-X): EPERM"
finish
