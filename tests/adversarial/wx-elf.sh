#!/usr/bin/env bash
# ELF objects that need writable-executable memory: a program whose text segment is also
# writable (a W+X PT_LOAD, which the kernel itself maps RWX at exec, outside any seccomp rule),
# one whose PT_GNU_STACK asks for an executable stack, one without PT_GNU_STACK (which ld.so and
# the kernel treat the same), and a library with an executable stack (dlopen would make every
# thread stack RWX). They are made from the helper by changing program header flags, and ARE in
# the policy: the denial is structural ("ELF needs writable-executable memory (...)"), in enforce
# mode and in measure-only mode alike, and EPERM. They run on the host, and in a domain whose
# policy opts in with domain.allow_wx_elf.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
elf_patch wx-segment "$A" "$C/wx-segment"
elf_patch exec-stack "$A" "$C/exec-stack"
elf_patch no-stack "$A" "$C/no-stack"
elf_patch exec-stack "$WARD_EVIL_SO" "$C/execstack.so"
adv_policy "$T/p.json" "$A" "$C/wx-segment" "$C/exec-stack" "$C/no-stack" "$C/execstack.so"
adv_policy "$T/pwx.json" --allow-wx-elf "$A" "$C/wx-segment" "$C/exec-stack" "$C/no-stack" "$C/execstack.so"

declare -A WHY=(
	[wx-segment]="ELF needs writable-executable memory (W+X segment)"
	[exec-stack]="ELF needs writable-executable memory (executable stack)"
	[no-stack]="ELF needs writable-executable memory (executable stack)"
)

section "outside the domain each of them runs"
for e in wx-segment exec-stack no-stack; do
	expect_rc 0 "host: $e" "$C/$e" marker
	expect_stdout_line "marker: TAG:original-content" "host: $e ran"
done

for mode in enforce measure; do
	section "inside a domain ($mode): exec is denied with the structural reason"
	pol=(--policy "$T/p.json")
	[[ $mode == measure ]] && pol=()
	for e in wx-segment exec-stack no-stack; do
		wrun "${pol[@]}" --code "$C" -- "$A" exec "$C/$e" marker
		expect_eq "$RC" 1 "$mode: exec of $e is refused"
		expect_stdout_line "exec: errno=EPERM" "$mode: exec of $e: EPERM"
		expect_no_stdout_line "marker: TAG:original-content" "$mode: $e did not run"
		expect_denial exec "$C/$e" "${WHY[$e]}" "$mode: ward prints why ($e)" "$mode: the denial of $e is recorded"
	done
	wrun "${pol[@]}" --code "$C" -- "$A" dlopen "$C/execstack.so"
	expect_eq "$RC" 1 "$mode: dlopen of a listed library with an executable stack fails"
	expect_stdout_line "dlopen: error=$C/execstack.so: cannot open shared object file: Operation not permitted" \
		"$mode: dlopen: the open is refused (EPERM)"
	expect_stderr_nomatch "evil: constructor ran" "$mode: the library's constructor did not run"
	expect_decision deny open "$C/execstack.so" "ELF needs writable-executable memory (executable stack)" \
		"$mode: the denial of the library is recorded"
done

section "with domain.allow_wx_elf the programs run (and the domain record says so)"
for e in wx-segment exec-stack no-stack; do
	wrun --policy "$T/pwx.json" --code "$C" -- "$C/$e" marker
	expect_eq "$RC" 0 "allow_wx_elf: $e runs"
	expect_stdout_line "marker: TAG:original-content" "allow_wx_elf: $e ran"
	expect_decision allow exec "$C/$e" "" "allow_wx_elf: $e allowed and recorded"
done
expect_eq "$(logq "$S" 'd["rec"]["wx_elf"]')" True "allow_wx_elf: the ward-domain record says wx_elf true"
wrun --policy "$T/pwx.json" --code "$C" -- "$A" dlopen "$C/execstack.so"
expect_eq "$RC" 1 "allow_wx_elf: dlopen of the exec-stack library still fails (ld.so's mprotect +X)"
expect_stdout_line "dlopen: error=$C/execstack.so: cannot enable executable stack as shared object requires: Operation not permitted" \
	"allow_wx_elf: dlopen: ld.so cannot make the stack executable (seccomp: EPERM)"
expect_stderr_nomatch "evil: constructor ran" "allow_wx_elf: the library's constructor did not run"
finish
