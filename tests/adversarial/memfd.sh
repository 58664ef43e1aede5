#!/usr/bin/env bash
# memfd: a file on the kernel's internal shm mount, which no domain mark covers and which is not
# noexec. On the host, code written into a memfd and mapped R-X (MAP_SHARED) runs; even
# vm.memfd_noexec=2 only stops fexecve, not mmap (domain-design-notes.md, Q5). In a domain the
# seccomp filter refuses memfd_create (and memfd_secret) with EPERM, and the domain's PID
# namespace has vm.memfd_noexec=2 on top. Nothing is recorded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
host_noexec=$(cat /proc/sys/vm/memfd_noexec)
expect_rc 0 "host: memfd_create + write + mmap(R-X)" "$A" memfd-exec
expect_stdout_line "call: ran=42" "host: the code in the memfd ran"
expect_rc 0 "host: memfd_secret" "$A" memfd-secret
expect_stdout_line "memfd_secret: ok" "host: memfd_secret works"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- "$A" memfd-exec
expect_eq "$RC" 1 "memfd_create is refused"
expect_stdout_line "memfd_create: errno=EPERM" "memfd_create: EPERM"
expect_no_stdout_line "call: ran=42" "no code from a memfd ran"
expect_no_denials "memfd"
wrun --policy "$P" --code "$C" -- "$A" memfd-secret
expect_eq "$RC" 1 "memfd_secret is refused"
expect_stdout_line "memfd_secret: errno=EPERM" "memfd_secret: EPERM"
wrun --policy "$P" --code "$C" -- /bin/cat /proc/sys/vm/memfd_noexec
expect_eq "$(cat "$OUT")" 2 "vm.memfd_noexec is 2 in the domain's PID namespace"
expect_eq "$(cat /proc/sys/vm/memfd_noexec)" "$host_noexec" "the host's vm.memfd_noexec is unchanged"
finish
