#!/usr/bin/env bash
# The resource limits of a sandbox manifest (docs/sandbox-manifest.md), each with its positive
# control: just under the limit the request succeeds, just over it fails with the exact status
# and message `ward sandbox run` prints, and no stdout. The service is hog.c (WARD_HOG), which
# uses one resource after it has read its input (so after activation) and reports on stderr
# ("stderr": "client") its uid and cgroups: after every run the test checks that none of them
# is left (no ward/<id> cgroup dir in the v1 memory, pids and cpu hierarchies nor in the v2
# tree, no process of its uid). While a sandbox waits for its input, the values ward wrote to
# its cgroups are read back on the host.
#
# This host is hybrid (systemd hybrid mode): the limits are the cgroup v1 controllers' files.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=domain-lib.sh
. "$(dirname "$0")/domain-lib.sh"
: "${WARD_HOG:?WARD_HOG must name the hog service (run through meson test)}"
require_cmd timeout ps mkfifo

CG2=$(cgroup2_root) || skip "no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified"
V1=/sys/fs/cgroup
for c in memory pids cpu; do
	[[ "$(stat -f -c %T "$V1/$c" 2>/dev/null)" == cgroupfs ]] ||
		skip "no cgroup v1 $c hierarchy at $V1/$c (this test reads a hybrid host's v1 limits)"
done

S=$T/state
new_state "$S"
C=$(code_dir code)
H=$C/hog
install -m 0755 "$WARD_HOG" "$H"

UID_LO=1900000000
UID_HI=1900999999

# manifest NAME 'HOG ARGS' [JSON]: $T/NAME.json, the service hog with ARGS, its code dir, its
# stderr returned, and the keys of the JSON object on top.
manifest() {
	local extra='{}'
	if (($# >= 3)); then extra=$3; fi
	python3 - "$T/$1.json" "$H" "$C" "$2" "$extra" <<'EOF'
import json, sys
out, hog, code, args, extra = sys.argv[1:6]
m = {"name": "hog", "argv": [hog] + args.split(), "code": [code], "stderr": "client"}
m.update(json.loads(extra))
with open(out, "w") as f:
    json.dump(m, f)
EOF
	printf '%s\n' "$T/$1.json"
}

# srun MANIFEST [INPUT_FILE]: ward sandbox run, stdin from INPUT_FILE (default: empty), through
# run() ($OUT, $ERR, $RC).
srun() {
	run timeout -k 5 60 "$WARD" --state-dir "$S" sandbox run --manifest "$1" <"${2:-/dev/null}"
}

# expect_cgroup_gone ID WHAT: no ward/ID cgroup dir in the v1 memory, pids, cpu hierarchies
# nor in the v2 tree.
expect_cgroup_gone() {
	local id=$1 what=$2 left='' h
	for h in "$V1/memory" "$V1/pids" "$V1/cpu" "$CG2"; do
		if [[ -e "$h/ward/$id" ]]; then left+=" $h/ward/$id"; fi
	done
	if [[ -z "$left" ]]; then
		pass "$what: no ward/$id cgroup left (memory, pids, cpu, v2)"
	else
		fail "$what: no ward/$id cgroup left: still there:$left"
	fi
}

# expect_uid_gone UID WHAT: no process runs as UID (ps -eo uid).
expect_uid_gone() {
	if ps -eo uid= | awk -v u="$1" '$1 == u { found = 1 } END { exit !found }'; then
		fail "$2: no process runs as uid $1"
		ps -eo uid=,pid=,args= | awk -v u="$1" '$1 == u' | sed 's/^/#     /'
	else
		pass "$2: no process runs as uid $1"
	fi
}

# expect_clean WHAT: the last run's hog reported its uid (in the sandbox range) and cgroup, and
# neither outlived the run. Checked for that sandbox's own uid and cgroup: other tests may run
# sandboxes at the same time.
expect_clean() {
	local what=$1 uid id
	uid=$(sed -n 's/^hog: uid=\([0-9]*\)$/\1/p' "$ERR" | head -n 1)
	id=$(sed -n 's|^hog: cgroup 0::/ward/\([^/]*\)$|\1|p' "$ERR" | head -n 1)
	if [[ -n "$uid" ]] && ((uid >= UID_LO && uid <= UID_HI)) && [[ -n "$id" ]]; then
		pass "$what: the service ran as uid $uid (sandbox range) in cgroup ward/$id"
	else
		fail "$what: the service reported a sandbox uid and its ward/<id> cgroup (uid '$uid', id '$id')"
		_show_last
		return 0
	fi
	expect_cgroup_gone "$id" "$what"
	expect_uid_gone "$uid" "$what"
}

# expect_failed WHAT STATUS MSG: exit 1, this exact status line on stderr, and no stdout.
expect_failed() {
	expect_eq "$RC" 1 "$1: exit 1"
	expect_stderr_line "ward: sandbox: $2: $3" "$1: status $2"
	expect_eq "$(stat -c %s "$OUT")" 0 "$1: no stdout (no partial result)"
}

section "outside a sandbox, hog uses each resource beyond the limits below (so the test can fail)"
expect_rc 0 "host: mem 100" "$H" mem 100 </dev/null
expect_stdout_line "mem: touched 100 MiB" "host: 100 MiB touched"
expect_rc 0 "host: threads 4" "$H" threads 4 </dev/null
expect_stdout_line "threads: 4 created" "host: 4 threads"
expect_rc 0 "host: fork" "$H" fork </dev/null
expect_stdout_line "fork: ok" "host: fork works"
mkdir -p "$T/hosttmp"
expect_rc 0 "host: scratch 2048" env TMPDIR="$T/hosttmp" "$H" scratch 2048 </dev/null
expect_stdout_line "scratch: wrote 2048 KiB" "host: 2048 KiB written"
expect_rc 0 "host: out 1001" "$H" out 1001 </dev/null
expect_eq "$(stat -c %s "$OUT")" 1001 "host: 1001 bytes out"

section "memory_mb 64: 40 MiB touched is fine, 100 MiB is killed (memory-limit)"
M=$(manifest mem40 "mem 40" '{"memory_mb": 64}')
srun "$M"
expect_eq "$RC" 0 "memory: 40 MiB of 64: exit 0"
expect_eq "$(cat "$OUT")" "mem: touched 40 MiB" "memory: 40 MiB: the whole result"
expect_clean "memory 40"
M=$(manifest mem100 "mem 100" '{"memory_mb": 64}')
srun "$M"
expect_failed "memory: 100 MiB of 64" memory-limit "the service was killed by its memory limit (memory_mb 64)"
expect_clean "memory 100"

section "threads 4: 3 threads besides main are fine, a 4th fails with EAGAIN (status failed)"
M=$(manifest thr3 "threads 3" '{"threads": 4}')
srun "$M"
expect_eq "$RC" 0 "threads: main + 3 of 4: exit 0"
expect_eq "$(cat "$OUT")" "threads: 3 created" "threads: 3 created"
expect_clean "threads 3"
M=$(manifest thr4 "threads 4" '{"threads": 4}')
srun "$M"
expect_failed "threads: main + 4 of 4" failed "the service exited with status 1"
expect_stderr_line "hog: threads: 3 created" "threads: the first 3 were created"
expect_stderr_line "hog: pthread_create: errno=EAGAIN" "threads: the 4th: pthread_create EAGAIN"
expect_clean "threads 4"

section "fork: refused by default (EPERM); with \"fork\": true and threads 2, a child runs"
M=$(manifest fork0 "fork")
srun "$M"
expect_failed "fork: default" failed "the service exited with status 1"
expect_stderr_line "hog: fork: errno=EPERM" "fork: default: fork EPERM"
expect_clean "fork default"
M=$(manifest fork2 "fork" '{"fork": true, "threads": 2}')
srun "$M"
expect_eq "$RC" 0 "fork: true, threads 2: exit 0"
expect_eq "$(cat "$OUT")" "fork: ok" "fork: true, threads 2: the child ran"
expect_clean "fork true"
# The child is one of the tasks: with threads 1 the main thread is all there may be.
M=$(manifest fork1 "fork" '{"fork": true, "threads": 1}')
srun "$M"
expect_failed "fork: true, threads 1" failed "the service exited with status 1"
expect_stderr_line "hog: fork: errno=EAGAIN" "fork: true, threads 1: fork EAGAIN (no task left)"
expect_clean "fork true threads 1"

section "timeout_s 2: sleeping 1 s is fine, 4 s is stopped (timeout)"
M=$(manifest sleep1 "sleep 1" '{"timeout_s": 2}')
srun "$M"
expect_eq "$RC" 0 "time: sleep 1 of 2: exit 0"
expect_eq "$(cat "$OUT")" "sleep: done" "time: sleep 1: done"
expect_clean "time 1"
M=$(manifest sleep4 "sleep 4" '{"timeout_s": 2}')
srun "$M"
expect_failed "time: sleep 4 of 2" timeout "the service ran longer than timeout_s (2 s)"
expect_clean "time 4"

section "max_output_bytes 1000: 1000 bytes are the result, 1001 are output-too-large and none"
head -c 1000 /dev/zero | tr '\0' x >"$T/x1000"
M=$(manifest out1000 "out 1000" '{"max_output_bytes": 1000}')
srun "$M"
expect_eq "$RC" 0 "output: 1000 of 1000: exit 0"
check "output: stdout is exactly the 1000 bytes" cmp "$OUT" "$T/x1000"
expect_clean "output 1000"
M=$(manifest out1001 "out 1001" '{"max_output_bytes": 1000}')
srun "$M"
expect_failed "output: 1001 of 1000" output-too-large "the output is larger than max_output_bytes (1000)"
expect_clean "output 1001"

section "max_input_bytes 1000: 1000 bytes are read, 1001 are input-too-large"
head -c 1000 /dev/zero | tr '\0' i >"$T/i1000"
head -c 1001 /dev/zero | tr '\0' i >"$T/i1001"
M=$(manifest in "in" '{"max_input_bytes": 1000}')
srun "$M" "$T/i1000"
expect_eq "$RC" 0 "input: 1000 of 1000: exit 0"
expect_eq "$(cat "$OUT")" 1000 "input: the service read all 1000 bytes"
expect_clean "input 1000"
srun "$M" "$T/i1001"
expect_failed "input: 1001 of 1000" input-too-large "the input is larger than max_input_bytes (1000)"
expect_clean "input 1001"

section "scratch_mb 1: 512 KiB in /tmp is fine, 2048 KiB runs out of space (ENOSPC)"
M=$(manifest scr512 "scratch 512" '{"scratch_mb": 1}')
srun "$M"
expect_eq "$RC" 0 "scratch: 512 KiB of 1 MiB: exit 0"
expect_eq "$(cat "$OUT")" "scratch: wrote 512 KiB" "scratch: 512 KiB written"
expect_clean "scratch 512"
M=$(manifest scr2048 "scratch 2048" '{"scratch_mb": 1}')
srun "$M"
expect_failed "scratch: 2048 KiB of 1 MiB" failed "the service exited with status 1"
expect_stderr_match '^hog: scratch: errno=ENOSPC after [0-9]+ KiB$' "scratch: write ENOSPC"
got=$(sed -n 's/^hog: scratch: errno=ENOSPC after \([0-9]*\) KiB$/\1/p' "$ERR")
check "scratch: ENOSPC came at or below 1024 KiB and after 512 (got ${got:-none})" \
	test -n "$got" -a "${got:-0}" -le 1024 -a "${got:-0}" -ge 512
expect_clean "scratch 2048"

section "rlimits inside: RLIMIT_NPROC = threads, RLIMIT_CORE 0"
M=$(manifest limits "limits" '{"threads": 3}')
srun "$M"
expect_eq "$RC" 0 "limits: exit 0"
expect_stdout_line "RLIMIT_NPROC 3 3" "limits: RLIMIT_NPROC is threads (3)"
expect_stdout_line "RLIMIT_CORE 0 0" "limits: RLIMIT_CORE 0 (no core dump)"
ids=$(sed -n 's/^uid=\([0-9]*\) gid=\([0-9]*\)$/\1 \2/p' "$OUT")
read -r u g <<<"${ids:-x y}"
check "limits: uid in the sandbox range and gid = uid (uid=$u gid=$g)" \
	test "$u" = "$g" -a "${u//[!0-9]/}" = "$u" -a "${u:-0}" -ge $UID_LO -a "${u:-0}" -le $UID_HI
id=$(sed -n 's|^cgroup 0::/ward/\([^/]*\)$|\1|p' "$OUT")
for c in memory pids cpu; do
	expect_stdout_match "^cgroup [0-9]+:([a-z_]+,)*$c(,[a-z_]+)*:/ward/${id:-none}\$" \
		"limits: in the $c cgroup ward/<id> of its v2 cgroup"
done
expect_clean "limits"

section "while a sandbox runs: the values in its cgroups (memory_mb 48, threads 3, cpu_percent 50)"
M=$(manifest live "in" '{"memory_mb": 48, "threads": 3, "cpu_percent": 50, "timeout_s": 60}')
mkfifo "$T/live.in"
# The test holds the FIFO's write end (read-write: the open does not block), so the service
# waits in its read of fd 0, activated, until the test closes it. The sandbox must not inherit it.
exec 7<>"$T/live.in"
timeout -k 5 90 "$WARD" --state-dir "$S" sandbox run --manifest "$M" <"$T/live.in" \
	>"$T/live.out" 2>"$T/live.err" 7>&- &
BG=$!
track_pid "$BG"
# The hog: a process running $H as a sandbox uid (bounded wait: a hang fails, never stalls).
hog_pid=''
for _ in $(seq 600); do
	for p in $(pgrep -f "^$H in\$" || true); do
		u=$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		if [[ -n "$u" ]] && ((u >= UID_LO && u <= UID_HI)); then
			hog_pid=$p
			break 2
		fi
	done
	sleep 0.1
done
check "live: the service runs as a sandbox uid (pid ${hog_pid:-none})" test -n "$hog_pid"
id=''
if [[ -n "$hog_pid" ]]; then
	id=$(sed -n 's|^0::/ward/\([^/]*\)$|\1|p' "/proc/$hog_pid/cgroup" 2>/dev/null || true)
fi
check "live: the service is in the v2 cgroup ward/${id:-?}" test -n "$id" -a -d "$CG2/ward/${id:-none}"
# The v1 cgroups: by their place in each hierarchy (from /proc/PID/cgroup), then by listing.
for c in memory pids cpu; do
	path=$(awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
		"/proc/${hog_pid:-0}/cgroup" 2>/dev/null || true)
	expect_eq "$path" "/ward/${id:-none}" "live: its $c cgroup is ward/<id> (/proc/PID/cgroup)"
	check "live: ward/$id is listed in $V1/$c/ward/" grep -qxF "${id:-none}" <(ls "$V1/$c/ward/")
	check "live: the service is in $V1/$c/ward/$id/cgroup.procs" \
		grep -qxF "${hog_pid:-none}" "$V1/$c/ward/${id:-none}/cgroup.procs"
done
rd() { cat "$V1/$1/ward/${id:-none}/$2" 2>/dev/null || echo missing; }
expect_eq "$(rd cpu cpu.cfs_quota_us)" 50000 "live: cpu.cfs_quota_us = cpu_percent * 1000"
expect_eq "$(rd cpu cpu.cfs_period_us)" 100000 "live: cpu.cfs_period_us = 100000 (100 ms)"
expect_eq "$(rd memory memory.limit_in_bytes)" $((48 << 20)) "live: memory.limit_in_bytes = memory_mb MiB"
expect_eq "$(rd memory memory.memsw.limit_in_bytes)" $((48 << 20)) "live: memory.memsw.limit_in_bytes = memory_mb MiB (no swap)"
expect_eq "$(rd memory memory.swappiness)" 0 "live: memory.swappiness = 0"
expect_eq "$(rd pids pids.max)" 4 "live: pids.max = threads + 1"
printf 'live input' >&7
exec 7>&-
RC=0
wait "$BG" || RC=$?
cp "$T/live.out" "$OUT"
cp "$T/live.err" "$ERR"
expect_eq "$RC" 0 "live: exit 0 once its input ended"
expect_eq "$(cat "$OUT")" 10 "live: the service read its 10 bytes"
expect_clean "live"
finish
