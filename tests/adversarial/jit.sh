#!/usr/bin/env bash
# A JIT runtime without the opt-in: JITs need anonymous executable memory (or mprotect +X),
# which the seccomp filter refuses (EPERM). node (V8) aborts on it ("Check failed: 12 ==
# errno", SIGTRAP: exit 133) and runs with --jitless; python's ctypes callbacks (libffi
# closures) fail with MemoryError (they would need W+X or a memfd). The helper's own JIT-like
# steps give the exact errnos: mmap(R-X, anonymous) and mprotect(RW -> RX) EPERM.
#
# With the opt-in (policy domain.allow_anon_exec): anonymous R-X memory and mprotect(+X) are
# allowed and code generated at run time runs (unmeasured: the evidence says so, the ward-domain
# record has anon_exec true); node runs; W^X still holds (mmap RWX anonymous: EPERM), so libffi
# closures still fail; personality, shmat(SHM_EXEC) and memfd stay refused.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
adv_policy "$T/pj.json" --allow-anon-exec "$A"
NODE=$(command -v node || true)
[[ $NODE == /usr/* ]] || NODE=
PY=/usr/bin/python3
[[ -x $PY ]] || PY=
# shellcheck disable=SC2016 # python source
CB='import ctypes
try:
    f = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x * 2)
    print("callback:", f(21))
except MemoryError:
    print("callback: MemoryError")'

section "outside the domain"
expect_rc 0 "host: anonymous R-X" "$A" mmap-anon-rx
expect_rc 0 "host: mprotect RW -> RX" "$A" mprotect-rw-rx
expect_stdout_line "call: ran=42" "host: generated code ran"
if [[ -n $NODE ]]; then
	expect_rc 0 "host: node" "$NODE" -e 'console.log(6*7)'
	expect_stdout_line "42" "host: node ran"
fi
if [[ -n $PY ]]; then
	expect_rc 0 "host: python ctypes callback" "$PY" -c "$CB"
	expect_stdout_line "callback: 42" "host: the callback ran"
fi

section "inside, without the opt-in"
wrun --policy "$P" --code "$C" -- "$A" mmap-anon-rx
expect_stdout_line "mmap: errno=EPERM" "mmap(R-X, anonymous): EPERM"
wrun --policy "$P" --code "$C" -- "$A" mprotect-rw-rx
expect_stdout_line "mprotect: errno=EPERM" "mprotect(RW -> RX): EPERM"
expect_no_stdout_line "call: ran=42" "no generated code ran"
expect_eq "$(logq "$S" 'd["rec"]["anon_exec"]')" False "the ward-domain record says anon_exec false"
if [[ -n $NODE ]]; then
	wrun --policy "$P" --code "$C" -- "$NODE" -e 'console.log(6*7)'
	expect_eq "$RC" 133 "node aborts (SIGTRAP: 128+5)"
	expect_stderr_match 'Check failed: 12 == \(\*__errno_location \(\)\)' "V8 expected ENOMEM, got EPERM"
	expect_no_stdout_line "42" "node printed nothing"
	wrun --policy "$P" --code "$C" -- "$NODE" --jitless -e 'console.log(6*7)'
	expect_eq "$RC" 0 "node --jitless runs"
	expect_stdout_line "42" "node --jitless printed 42"
else
	note "node is not installed in /usr: the V8 checks are left out"
fi
if [[ -n $PY ]]; then
	wrun --policy "$P" --code "$C" -- "$PY" -c "$CB"
	expect_stdout_line "callback: MemoryError" "python ctypes callback: MemoryError"
fi

section "inside, with domain.allow_anon_exec"
wrun --policy "$T/pj.json" --code "$C" -- "$A" mmap-anon-rx
expect_stdout_line "mmap: ok" "opt-in: mmap(R-X, anonymous) works"
expect_eq "$(logq "$S" 'd["rec"]["anon_exec"]')" True "opt-in: the ward-domain record says anon_exec true"
wrun --policy "$T/pj.json" --code "$C" -- "$A" mprotect-rw-rx
expect_stdout_line "call: ran=42" "opt-in: mprotect(RW -> RX): generated code runs"
wrun --policy "$T/pj.json" --code "$C" -- "$A" pkey-mprotect-rw-rx
expect_stdout_line "call: ran=42" "opt-in: pkey_mprotect(RW -> RX): generated code runs"
wrun --policy "$T/pj.json" --code "$C" -- "$A" mmap-anon-rwx
expect_stdout_line "mmap: errno=EPERM" "opt-in: W^X still holds: mmap(RWX, anonymous): EPERM"
wrun --policy "$T/pj.json" --code "$C" -- "$A" personality-rie
expect_stdout_line "personality: errno=EPERM" "opt-in: personality(READ_IMPLIES_EXEC) still EPERM"
wrun --policy "$T/pj.json" --code "$C" -- "$A" shmat-exec
expect_stdout_line "shmat: errno=EPERM" "opt-in: shmat(SHM_EXEC) still EPERM"
wrun --policy "$T/pj.json" --code "$C" -- "$A" memfd-exec
expect_stdout_line "memfd_create: errno=EPERM" "opt-in: memfd_create still EPERM"
if [[ -n $NODE ]]; then
	wrun --policy "$T/pj.json" --code "$C" -- "$NODE" -e 'console.log(6*7)'
	expect_eq "$RC" 0 "opt-in: node runs"
	expect_stdout_line "42" "opt-in: node printed 42"
fi
if [[ -n $PY ]]; then
	wrun --policy "$T/pj.json" --code "$C" -- "$PY" -c "$CB"
	expect_stdout_line "callback: MemoryError" "opt-in: python ctypes callback still MemoryError (W^X)"
fi
finish
