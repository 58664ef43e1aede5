#!/usr/bin/env bash
# sandbox-procs: a sandboxed service holding a client's secret goes after other processes:
# it signals a process outside (to kill it, or to signal a confederate), ptraces it, reads its
# memory with process_vm_readv, looks through /proc for other processes and for its init's
# environment, and forks. Outside a sandbox every one of these works against a host process
# (the positive control: the first sleeper dies, the second is traced and read); inside, the
# outside pid does not exist in its PID namespace (kill: ESRCH, /proc/PID: ENOENT), /proc
# lists only its init and itself, its init (pid 1, another uid) cannot be signalled (EPERM)
# nor its environ read (EACCES), and the seccomp allowlist refuses ptrace, process_vm_readv
# and fork (EPERM); the second sleeper lives on, untraced. "fork": true lets it fork.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox-lib.sh
. "$(dirname "$0")/sandbox-lib.sh"
sb_init

NATIVE=$(sb_secret native)
SECRET=$(sb_secret SECRET)
sleep 600 &
SLEEP1=$!
track_pid "$SLEEP1"
disown "$SLEEP1"
sleep 600 &
SLEEP2=$!
track_pid "$SLEEP2"
disown "$SLEEP2"

# alive PID: PID exists and is not a zombie.
alive() { [[ -n "$(proc_stat "$1" 3)" && "$(proc_stat "$1" 3)" != Z ]]; }
# tracer PID: the TracerPid of PID (0: not traced).
tracer() { awk '$1 == "TracerPid:" {print $2}' "/proc/$1/status"; }

section "outside a sandbox, each attempt works on a host process (the positive control)"
sb_native "host: leaky goes after the sleepers" "$NATIVE" kill="$SLEEP1" ptrace="$SLEEP2" \
	vm-read="$SLEEP2" proc="$SLEEP2" kill-init fork
for step in kill ptrace-attach process_vm_readv proc-host-pid proc-host-environ kill-init fork; do
	expect_stdout_line "$step: ok" "host: $step works"
done
for ((i = 0; i < 100; i++)); do
	alive "$SLEEP1" || break
	sleep 0.1
done
if alive "$SLEEP1"; then
	fail "host: the first sleeper was killed by leaky"
else
	pass "host: the first sleeper was killed by leaky"
fi
expect_eq "$(tracer "$SLEEP2")" 0 "host: leaky detached from the second sleeper (the next check means something)"

section "inside a sandbox, every attempt fails with its exact errno"
sb_manifest "$T/procs.json" leak-procs '{}' kill="$SLEEP2" kill-init ptrace="$SLEEP2" ptrace=1 \
	vm-read="$SLEEP2" vm-read=1 proc="$SLEEP2" fork
sb_expect 0 "the sandboxed service ran and reported" "$T/procs.json" "$SECRET"
expect_stdout_line "kill: errno=ESRCH" "sandbox: kill(outside pid): ESRCH (not in its PID namespace)"
expect_stdout_line "kill-init: errno=EPERM" "sandbox: kill(1, 0): EPERM (its init is another uid)"
expect_eq "$(grep -c '^ptrace-attach: errno=EPERM$' "$OUT" || true)" 2 \
	"sandbox: ptrace attach to the outside pid and to its init: EPERM twice (seccomp)"
expect_eq "$(grep -c '^process_vm_readv: errno=EPERM$' "$OUT" || true)" 2 \
	"sandbox: process_vm_readv of the outside pid and of its init: EPERM twice (seccomp)"
self=$(sed -n 's/^self: //p' "$OUT")
expect_stdout_line "proc-pids: 1 $self" "sandbox: /proc lists only its init (1) and itself ($self)"
expect_stdout_line "proc-host-pid: errno=ENOENT" "sandbox: /proc/<outside pid>: ENOENT"
expect_stdout_line "proc-host-environ: errno=ENOENT" "sandbox: /proc/<outside pid>/environ: ENOENT"
expect_stdout_line "proc-1-environ: errno=EACCES" "sandbox: /proc/1/environ: EACCES"
expect_stdout_line "fork: errno=EPERM" "sandbox: fork: EPERM (seccomp: clone without CLONE_THREAD)"
expect_eq "$(wc -l <"$OUT")" 12 "sandbox: one line per attempt, nothing else"
expect_stdout_nomatch ': ok$' "sandbox: no attempt succeeded"
if alive "$SLEEP2"; then
	pass "host: the second sleeper is alive"
else
	fail "host: the second sleeper is alive"
fi
expect_eq "$(tracer "$SLEEP2")" 0 "host: the second sleeper is not traced"

section "\"fork\": true lets the service fork (what refused it above was the manifest's default)"
sb_manifest "$T/fork.json" leak-procs '{"fork": true, "threads": 2}' fork kill-init
sb_expect 0 "the sandboxed service ran and reported" "$T/fork.json" "$SECRET"
expect_stdout_is "$(printf '%s\n' "fork: ok" "kill-init: errno=EPERM")" \
	"sandbox with fork: fork works; its init still cannot be signalled"
expect_not_on_host "$SECRET" "the sandbox's secret is in no file of the host (log included)"
finish
