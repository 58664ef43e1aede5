#!/usr/bin/env bash
# A JIT runtime in a domain. JITs need anonymous executable memory (or mprotect +X). Without
# the opt-in the seccomp filter refuses it (EPERM) to every process: node (V8) aborts on it
# ("Check failed: 12 == errno", SIGTRAP: exit 133) and runs with --jitless; python's ctypes
# callbacks (libffi closures) fail with MemoryError (they would need W+X or a memfd). The
# helper's own JIT-like steps give the exact errnos: mmap(R-X, anonymous) and mprotect(RW -> RX)
# EPERM.
#
# The opt-in names executables (policy domain.anon_exec, by digest): the filter then asks the
# monitor (seccomp user notification), which lets the call go on only for a process whose
# executable (/proc/PID/exe) has a listed digest. Another program of the SAME domain still gets
# EPERM; so does a listed one asking for W+X (mmap RWX anonymous, never even asked), and
# personality, shmat(SHM_EXEC) and memfd stay refused. Every answer is a ward-decision record
# (grant "anonymous", the executable's digest and path), once per verdict and executable; in
# audit mode an unlisted program is let through and recorded as audit.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
# B: the helper plus one byte (it runs the same; another digest), listed as an entry.
B=$C/other
unlisted_copy "$A" "$B"
adv_policy "$P" "$A" "$B"
# A may have anonymous executable memory; B, node and python may not.
adv_policy "$T/pa.json" --anon-exec "$A" "$B"
NODE=$(command -v node || true)
[[ -n $NODE ]] && NODE=$(readlink -f "$NODE")
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
ANON=anonymous

# anon_decisions: the last domain's decisions on anonymous executable memory, one per line
# "VERDICT PATH REASON".
anon_decisions() {
	logq "$S" '"\n".join("%s %s %s" % (x["verdict"], x["path"], x["reason"])
		for x in d["dec"] if x["grant"] == args[0])' "$ANON"
}

section "outside the domain"
expect_rc 0 "host: anonymous R-X" "$A" mmap-anon-rx
expect_rc 0 "host: mprotect RW -> RX" "$A" mprotect-rw-rx
expect_stdout_line "call: ran=42" "host: generated code ran"
expect_rc 0 "host: the other binary, mprotect RW -> RX" "$B" mprotect-rw-rx
expect_stdout_line "call: ran=42" "host: the other binary's generated code ran"
check "the other binary has another digest" test "$(sha256_file "$A")" != "$(sha256_file "$B")"
if [[ -n $NODE ]]; then
	expect_rc 0 "host: node" "$NODE" -e 'console.log(6*7)'
	expect_stdout_line "42" "host: node ran"
fi
if [[ -n $PY ]]; then
	expect_rc 0 "host: python ctypes callback" "$PY" -c "$CB"
	expect_stdout_line "callback: 42" "host: the callback ran"
fi

section "inside, no executable named (the filter refuses without asking)"
wrun --policy "$P" --code "$C" -- "$A" mmap-anon-rx
expect_stdout_line "mmap: errno=EPERM" "mmap(R-X, anonymous): EPERM"
expect_eq "$(logq "$S" 'd["rec"]["anon_exec"]')" False "the ward-domain record says anon_exec false"
wrun --policy "$P" --code "$C" -- "$A" mprotect-rw-rx
expect_stdout_line "mprotect: errno=EPERM" "mprotect(RW -> RX): EPERM"
expect_no_stdout_line "call: ran=42" "no generated code ran"
expect_eq "$(anon_decisions)" "" "no decision on anonymous memory (the kernel refused it)"
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

section "inside, the helper named in domain.anon_exec"
wrun --policy "$T/pa.json" --code "$C" -- "$A" mmap-anon-rx
expect_stdout_line "mmap: ok" "listed: mmap(R-X, anonymous) works"
expect_eq "$(logq "$S" 'd["rec"]["anon_exec"]')" True "the ward-domain record says anon_exec true"
DIGEST_OF=$A expect_decision allow "$ANON" "$A" "anon_exec opt-in" \
	"the grant is recorded with the helper's digest"
wrun --policy "$T/pa.json" --code "$C" -- "$A" mprotect-rw-rx
expect_stdout_line "call: ran=42" "listed: mprotect(RW -> RX): generated code runs"
wrun --policy "$T/pa.json" --code "$C" -- "$A" pkey-mprotect-rw-rx
expect_stdout_line "call: ran=42" "listed: pkey_mprotect(RW -> RX): generated code runs"
wrun --policy "$T/pa.json" --code "$C" -- "$A" mmap-anon-rwx
expect_stdout_line "mmap: errno=EPERM" "listed: W^X still holds: mmap(RWX, anonymous): EPERM"
expect_eq "$(anon_decisions)" "" "listed: the W+X mapping was refused without asking the monitor"
wrun --policy "$T/pa.json" --code "$C" -- "$A" personality-rie
expect_stdout_line "personality: errno=EPERM" "listed: personality(READ_IMPLIES_EXEC) still EPERM"
wrun --policy "$T/pa.json" --code "$C" -- "$A" shmat-exec
expect_stdout_line "shmat: errno=EPERM" "listed: shmat(SHM_EXEC) still EPERM"
wrun --policy "$T/pa.json" --code "$C" -- "$A" memfd-exec
expect_stdout_line "memfd_create: errno=EPERM" "listed: memfd_create still EPERM"

section "the same domain: the listed helper, then another binary (twice), then the helper again"
wrun --policy "$T/pa.json" --code "$C" -- /bin/sh -c \
	"'$A' mprotect-rw-rx; echo \"a=\$?\"; '$B' mprotect-rw-rx; echo \"b=\$?\"; '$B' mmap-anon-rx; echo \"b2=\$?\"; '$A' mmap-anon-rx; echo \"a2=\$?\""
expect_eq "$RC" 0 "the domain's shell finished"
expect_stdout_line "a=0" "the listed helper's mprotect(RW -> RX) worked"
expect_stdout_line "call: ran=42" "its generated code ran"
expect_stdout_line "mprotect: errno=EPERM" "the other binary, same domain: mprotect(RW -> RX) EPERM"
expect_stdout_line "b=1" "the other binary's attack was refused"
expect_stdout_line "mmap: errno=EPERM" "the other binary: mmap(R-X, anonymous) EPERM"
expect_stdout_line "b2=1" "the other binary's second attack was refused"
expect_stdout_line "a2=0" "the listed helper is still let through after the refusals"
DIGEST_OF=$B expect_denial "$ANON" "$B" "not in anon_exec" \
	"ward prints the refusal with the other binary's digest" \
	"the refusal is recorded with the other binary's digest"
DIGEST_OF=$A expect_decision allow "$ANON" "$A" "anon_exec opt-in" "the helper's grant is recorded"
expect_eq "$(logq "$S" 'dup_decisions(d)')" "[]" "each (verdict, executable) is recorded once"
expect_eq "$(logq "$S" 'len(decs(d, args[0], "deny", args[1]))' "$B" "$ANON")" 1 \
	"one denial record for the other binary's two refusals"
expect_no_decision deny "$A" "the helper"

if [[ -n $PY ]]; then
	wrun --policy "$T/pa.json" --code "$C" -- "$PY" -c "$CB"
	expect_stdout_line "callback: MemoryError" "python ctypes callback still MemoryError (W^X, memfd)"
fi

if [[ -n $NODE ]]; then
	section "node: refused while another executable is named, runs once it is named"
	wrun --policy "$T/pa.json" --code "$C" -- "$NODE" -e 'console.log(6*7)'
	expect_eq "$RC" 133 "node, not named: aborts (SIGTRAP: 128+5)"
	expect_stderr_match 'Check failed: 12 == \(\*__errno_location \(\)\)' "node, not named: V8 got EPERM"
	expect_no_stdout_line "42" "node, not named: printed nothing"
	DIGEST_OF=$NODE expect_denial "$ANON" "$NODE" "not in anon_exec" \
		"ward prints node's refusal" "node's refusal is recorded with its digest"
	# This policy comes from `ward policy scan --anon-exec` (merged with the /usr allowlist).
	run "$WARD" policy scan --name node --anon-exec "$NODE" -o "$T/scan-node.json" "$C"
	expect_eq "$RC" 0 "ward policy scan --anon-exec $NODE"
	make_policy "$T/pn.json" --from "$T/scan-node.json" --from "$POL" --name adv --version 2
	wrun --policy "$T/pn.json" --code "$C" -- "$NODE" -e 'console.log(6*7)'
	expect_eq "$RC" 0 "node, named: runs"
	expect_stdout_line "42" "node, named: printed 42"
	DIGEST_OF=$NODE expect_decision allow "$ANON" "$NODE" "anon_exec opt-in" \
		"node's grant is recorded with its digest"
	wrun --policy "$T/pn.json" --code "$C" -- "$A" mprotect-rw-rx
	expect_stdout_line "mprotect: errno=EPERM" "node named, the helper not: its mprotect(RW -> RX) EPERM"
fi

section "a code dir on a filesystem without file handles (overlayfs): identified by path"
# The monitor reads the executable through its own view of the code dir; overlayfs (without
# nfs_export) has no file handles, so the path is opened and checked to be the same inode.
O=$(code_dir ovl)
mkdir -p "$T/ovl-lower" "$T/ovl-upper" "$T/ovl-work"
install -m 0755 "$WARD_ATTACK" "$T/ovl-lower/attack"
unlisted_copy "$WARD_ATTACK" "$T/ovl-lower/other"
if mount -t overlay overlay -o "lowerdir=$T/ovl-lower,upperdir=$T/ovl-upper,workdir=$T/ovl-work" "$O"; then
	adv_policy "$T/po.json" --anon-exec "$O/attack" "$O/other"
	wrun --policy "$T/po.json" --code "$O" -- /bin/sh -c \
		"'$O/attack' mprotect-rw-rx; echo \"a=\$?\"; '$O/other' mprotect-rw-rx; echo \"b=\$?\""
	expect_stdout_line "a=0" "overlayfs: the listed helper's mprotect(RW -> RX) worked"
	expect_stdout_line "call: ran=42" "overlayfs: its generated code ran"
	expect_stdout_line "b=1" "overlayfs: the other binary's mprotect(RW -> RX) was refused"
	expect_stdout_line "mprotect: errno=EPERM" "overlayfs: with EPERM"
	DIGEST_OF=$O/attack expect_decision allow "$ANON" "$O/attack" "anon_exec opt-in" \
		"overlayfs: the grant is recorded with the helper's digest"
	DIGEST_OF=$O/other expect_decision deny "$ANON" "$O/other" "not in anon_exec" \
		"overlayfs: the refusal is recorded with the other binary's digest"
	umount "$O"
elif [[ ${CI:-} == true ]]; then
	fail "cannot mount an overlayfs (a skip is a failure under CI=true)"
else
	note "cannot mount an overlayfs: the by-path identification is left out"
fi

section "a sandboxed service: named, its JIT steps run; the helper named instead, EPERM"
# The workload hands the listener over before the sandbox's allowlist (which refuses sendmsg)
# is stacked on; the allowlist's ALLOW of mmap and mprotect does not override the question.
: "${WARD_LEAKY:?WARD_LEAKY must name the leaky service (run through meson test)}"
L=$C/leaky
install -m 0755 "$WARD_LEAKY" "$L"
printf '{"name": "jit", "argv": ["%s", "anon-exec"], "code": ["%s"]}\n' "$L" "$C" >"$T/sb.json"
adv_policy "$T/psl.json" --anon-exec "$L"
adv_policy "$T/psa.json" --anon-exec "$A" "$L"
printf 'input' >"$T/sb.in"
# A state dir of its own: logq reads $S as domains, and a service's records are not one.
new_state "$T/sb-state"
run timeout -k 5 "$ADV_TIMEOUT" "$WARD" --state-dir "$T/sb-state" sandbox run --policy "$T/psl.json" \
	--manifest "$T/sb.json" <"$T/sb.in"
expect_eq "$RC" 0 "sandbox, named: the service ran"
expect_stdout_line "mmap-anon-rx: ok" "sandbox, named: mmap(R-X, anonymous) works"
expect_stdout_line "mprotect-rx: ok" "sandbox, named: mprotect(RW -> RX) works"
expect_stdout_line "mmap-anon-rwx: errno=EPERM" "sandbox, named: mmap(RWX, anonymous) EPERM"
run timeout -k 5 "$ADV_TIMEOUT" "$WARD" --state-dir "$T/sb-state" sandbox run --policy "$T/psa.json" \
	--manifest "$T/sb.json" <"$T/sb.in"
expect_eq "$RC" 0 "sandbox, not named: the service ran"
expect_stdout_line "mmap-anon-rx: errno=EPERM" "sandbox, not named: mmap(R-X, anonymous) EPERM"
expect_stdout_line "mprotect-rx: errno=EPERM" "sandbox, not named: mprotect(RW -> RX) EPERM"
expect_stdout_line "mmap-anon-rwx: errno=EPERM" "sandbox, not named: mmap(RWX, anonymous) EPERM"

section "audit mode: another binary is let through and recorded as audit"
wrun --audit --policy "$T/pa.json" --code "$C" -- "$B" mprotect-rw-rx
expect_stdout_line "call: ran=42" "audit: the other binary's generated code runs"
DIGEST_OF=$B expect_decision audit "$ANON" "$B" "not in anon_exec" \
	"audit: recorded as audit with the other binary's digest"
expect_stderr_line "ward: audit: would deny $ANON of '$B' (sha256:$(sha256_file "$B")): not in anon_exec" \
	"audit: ward prints the finding"
expect_no_decision deny "$B" "audit"
wrun --audit --policy "$T/pa.json" --code "$C" -- "$A" mmap-anon-rwx
expect_stdout_line "mmap: errno=EPERM" "audit: W^X still holds (mmap RWX anonymous: EPERM)"
finish
