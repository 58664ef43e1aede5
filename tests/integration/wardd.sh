#!/usr/bin/env bash
# wardd as its clients and its operator meet it: many clients at once, each answered by a
# sandbox of its own (100 concurrent calls, 100 right and distinct answers); the warm pool (as
# many sealed sandboxes as the manifest's "pool", refilled after a call); one request per
# sandbox (what a request leaves in /tmp is not there for the next); a sandbox killed
# mid-request fails that request only; a SIGKILLed wardd leaves no sandbox, process or cgroup
# behind; the log grows per service and manifest, not per request; reloads (SIGHUP) of a
# changed and of a malformed services dir; malformed and hostile requests on the raw socket
# (wardd-proto.py); peer credentials (--allow-uid). The protocol is ward/service-proto.h.
# shellcheck disable=SC2016 # single-quoted: the sandbox's shell expands $what, $f, $s
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=wardd-lib.sh
. "$(dirname "$0")/wardd-lib.sh"
require_cmd setpriv sha256sum tr

# The services. upper: tr, a warm pool of 2. small: the input and output caps, just under and
# just over. tmpls: a shell (builtins only: fork is refused) that can leave a file in its /tmp
# and lists /tmp. slow: a shell that sleeps as long as its input says (fork allowed: sleep is
# another process; measured before activation, or its exec would be refused after).
SVC=$T/svc
mkdir -p "$SVC"
chmod 0755 "$T" "$SVC"
MARK=ward-marker-$$
manifest "$SVC/upper.json" '{"name": "upper", "argv": ["/usr/bin/tr", "a-z", "A-Z"],
 "memory_mb": 32, "scratch_mb": 0, "pool": 2}'
manifest "$SVC/small.json" '{"name": "small", "argv": ["/usr/bin/tr", "x", "y"],
 "memory_mb": 32, "scratch_mb": 0, "max_input_bytes": 64, "max_output_bytes": 16, "pool": 1}'
manifest "$SVC/tmpls.json" '{"name": "tmpls", "argv": ["/usr/bin/sh", "-c",
 "read -r what; if [ \"$what\" = write ]; then echo secret > /tmp/'"$MARK"'; fi; for f in /tmp/* /tmp/.[!.]*; do [ -e \"$f\" ] && echo \"$f\"; done; echo end",
 "tmpls"], "memory_mb": 32, "pool": 1}'
manifest "$SVC/slow.json" '{"name": "slow", "argv": ["/usr/bin/sh", "-c",
 "read -r s; /usr/bin/sleep \"$s\"; echo \"slept $s\"", "slow"],
 "measure": ["/usr/bin/sleep"], "fork": true, "threads": 4, "timeout_s": 120, "memory_mb": 32,
 "pool": 1}'

# svc_pids WARDD ARGV: the sandbox-uid processes of that wardd whose command line is ARGV
# (its words joined by spaces).
svc_pids() {
	local p
	for p in $(wardd_sandbox_pids "$1"); do
		if [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" == "$2 " ]]; then
			echo "$p"
		fi
	done
}
# distinct_cgroups PID...: how many distinct sandbox cgroups (v1 memory) these processes are in.
distinct_cgroups() {
	local p
	for p in "$@"; do
		sed -n 's|^[0-9]*:memory:/ward/\(d-[^/]*\)$|\1|p' "/proc/$p/cgroup"
	done | sort -u | wc -l
}
# service_records STATE: the log's ward-service records as "SERVICE MANIFEST_DIGEST" lines.
service_records() {
	"$WARD" --state-dir "$1" log export --format ascii -o "$T/.svc.ascii" >/dev/null &&
		python3 - "$T/.svc.ascii" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 6 and f[2] == "ima-buf" and f[4] == "ward-service":
        o = json.loads(bytes.fromhex(f[5]))
        print(o["service"], o["manifest"])
EOF
}
# proto WARDD ARG...: wardd-proto.py against that wardd's socket.
# shellcheck disable=SC2317 # called through expect_rc
proto() {
	local n=$1
	shift
	timeout -k 5 90 python3 "$PROTO" "${WD_SOCK[$n]}" "$@"
}

section "start: the socket, the warm pool"
if ! wardd_start main "$SVC" --max-sandboxes 12; then
	fail "wardd starts with four services"
	finish
fi
pass "wardd starts with four services"
expect_eq "$(stat -c '%a %U' "${WD_SOCK[main]}")" "600 root" "the socket is mode 0600, root's (no --allow-uid)"
expect_eq "$(wardd_wait_counts main upper '^0 0 2 0 0 0$')" "0 0 2 0 0 0" \
	"upper: 2 ready, none warming, busy or waiting (its pool is 2)"
expect_eq "$(wardd_wait_counts main small '^0 0 1 0 0 0$')" "0 0 1 0 0 0" "small: 1 ready (pool 1)"
mapfile -t warm0 < <(svc_pids main "/usr/bin/tr a-z A-Z")
expect_eq "${#warm0[@]}" 2 "upper: exactly 2 tr processes run as a sandbox uid under this wardd"
expect_eq "$(distinct_cgroups "${warm0[@]}")" 2 "upper: each warm tr is in a sandbox cgroup of its own"
uids=$(for p in "${warm0[@]}"; do awk '/^Uid:/ { print $2 }' "/proc/$p/status"; done | sort -u | wc -l)
expect_eq "$uids" 2 "upper: each warm sandbox has a uid of its own"

expect_rc 0 "upper: one call" wd_call main upper <<<"pool test"
expect_eq "$(cat "$OUT")" "POOL TEST" "upper: its answer"
expect_eq "$(wardd_wait_counts main upper '^1 0 2 0 0 0$')" "1 0 2 0 0 0" \
	"upper after the call: 1 ok, and refilled to 2 ready"
warm1=()
t=$((SECONDS + DEADLINE_S))
while :; do
	mapfile -t warm1 < <(svc_pids main "/usr/bin/tr a-z A-Z")
	((${#warm1[@]} != 2 && SECONDS < t)) || break
	sleep 0.2
done
expect_eq "${#warm1[@]}" 2 "upper after the call: exactly 2 warm tr processes again"
kept=$(comm -12 <(printf '%s\n' "${warm0[@]}" | sort) <(printf '%s\n' "${warm1[@]}" | sort) | wc -l)
expect_eq "$kept" 1 "upper: one warm sandbox served the call and was replaced; the other is still waiting"

section "100 concurrent clients of one service: 100 right, distinct answers"
mkdir -p "$T/many"
for i in $(seq -w 1 100); do
	printf 'client %s asks %s-%s\n' "$i" "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr 0-9 g-p)" "$i" >"$T/many/in$i"
done
pids=()
for i in $(seq -w 1 100); do
	(
		rc=0
		wd_call main upper <"$T/many/in$i" >"$T/many/out$i" 2>"$T/many/err$i" || rc=$?
		echo "$rc" >"$T/many/rc$i"
	) &
	pids+=("$!")
done
wait "${pids[@]}"
ok=0 right=0
for i in $(seq -w 1 100); do
	[[ "$(cat "$T/many/rc$i")" != 0 ]] || ok=$((ok + 1))
	! cmp -s "$T/many/out$i" <(tr '[:lower:]' '[:upper:]' <"$T/many/in$i") || right=$((right + 1))
done
expect_eq "$ok" 100 "100 concurrent calls: every one exits 0"
expect_eq "$right" 100 "100 concurrent calls: every answer is its own input upper-cased"
expect_eq "$(cat "$T"/many/out* | sort -u | wc -l)" 100 "100 concurrent calls: 100 distinct answers"
expect_eq "$(cat "$T"/many/err* | wc -c)" 0 "100 concurrent calls: nothing on any client's stderr"
expect_eq "$(wardd_wait_counts main upper '^101 0 2 0 0 0$')" "101 0 2 0 0 0" \
	"upper: 101 ok, 0 failed, back to 2 ready"

section "one request per sandbox: /tmp does not outlive a request"
expect_rc 0 "tmpls: request 1 writes a file in its /tmp" wd_call main tmpls <<<"write"
expect_eq "$(cat "$OUT")" "/tmp/$MARK"$'\n'"end" "tmpls: request 1 sees the file it wrote"
expect_rc 0 "tmpls: request 2 lists /tmp" wd_call main tmpls <<<"list"
expect_eq "$(cat "$OUT")" "end" "tmpls: request 2 sees an empty /tmp (a fresh sandbox)"
check "the file is not on the host's /tmp" test ! -e "/tmp/$MARK"

section "a sandbox killed mid-request fails that request only"
# busy_sleep: the pid of the sleep (as a sandbox uid) of a slow request of this wardd.
busy_sleep() {
	local p
	for p in $(wardd_sandbox_pids main); do
		[[ "$(cat "/proc/$p/comm" 2>/dev/null)" != sleep ]] || echo "$p"
	done
}
# cgroup_of PID: its sandbox cgroup's name (d-*), from the v1 memory line of /proc/PID/cgroup.
cgroup_of() { sed -n 's|^[0-9]*:memory:/ward/\(d-[^/]*\)$|\1|p' "/proc/$1/cgroup" 2>/dev/null || true; }
# cgroup_left NAME: its dirs still in the cgroup hierarchies once the deadline passed.
cgroup_left() {
	local r left t=$((SECONDS + DEADLINE_S))
	while :; do
		left=""
		for r in "${CGROUP_ROOTS[@]}"; do
			[[ ! -d "$r/$1" ]] || left+="$r/$1 "
		done
		[[ -n "$left" && $SECONDS -lt $t ]] || break
		sleep 0.2
	done
	printf '%s' "$left"
}
wait_busy_sleep() {
	local s t=$((SECONDS + DEADLINE_S))
	while s=$(busy_sleep) && [[ -z "$s" ]] && ((SECONDS < t)); do sleep 0.1; done
	printf '%s\n' "$s"
}
# The workload (the sandbox's shell, parent of its sleep) gets SIGKILL.
(
	rc=0
	wd_call main slow <<<"100" >"$T/k1.out" 2>"$T/k1.err" || rc=$?
	echo "$rc" >"$T/k1.rc"
) &
k1=$!
sl=$(wait_busy_sleep)
if [[ -n "$sl" ]]; then
	pass "slow: its request is running (a sleep of a sandbox uid)"
	victim=$(pstat "$sl" 4)
	cg1=$(cgroup_of "$sl")
	expect_rc 0 "while it runs: a call to another service succeeds" wd_call main upper <<<"meanwhile"
	expect_eq "$(cat "$OUT")" "MEANWHILE" "while it runs: the other service's answer"
	expect_rc 0 "while it runs: a second call to the same service succeeds" wd_call main slow <<<"0"
	expect_eq "$(cat "$OUT")" "slept 0" "while it runs: the same service's answer"
	expect_eq "$(cat "/proc/$victim/comm" 2>/dev/null)" dash "the victim is the request's shell"
	kill -KILL "$victim"
else
	fail "slow: its request is running (a sleep of a sandbox uid)"
fi
wait "$k1" || true
expect_eq "$(cat "$T/k1.rc")" 1 "the killed request: its client exits 1"
expect_eq "$(cat "$T/k1.err")" "ward: sandbox call slow: failed: the service was killed by signal 9" \
	"the killed request: status failed, killed by signal 9"
expect_eq "$(wc -c <"$T/k1.out")" 0 "the killed request: no output"
t=$((SECONDS + DEADLINE_S))
while [[ -n "$sl" && -e "/proc/$sl" ]] && ((SECONDS < t)); do sleep 0.1; done
check "the killed request's sandbox is gone (its sleep too)" test ! -e "/proc/${sl:-0}"
check "the killed request's sandbox had a cgroup" test -n "${cg1:-}"
expect_eq "$(cgroup_left "${cg1:-none}")" "" "the killed request's cgroups are removed (unified, memory, pids, cpu)"

# Its monitor (wardd's child for that sandbox) gets SIGKILL: the sandbox goes with it.
(
	rc=0
	wd_call main slow <<<"100" >"$T/k2.out" 2>"$T/k2.err" || rc=$?
	echo "$rc" >"$T/k2.rc"
) &
k2=$!
sl=$(wait_busy_sleep)
mon=""
p=$sl
while [[ -n "$p" && "$p" != 1 ]]; do
	pp=$(pstat "$p" 4)
	if [[ "$pp" == "${WD_PID[main]}" ]]; then mon=$p; fi
	[[ -n "$mon" ]] && break
	p=$pp
done
expect_eq "$(cat "/proc/${mon:-0}/comm" 2>/dev/null)" ward-sandbox "the busy sandbox's monitor, a child of wardd, is named ward-sandbox"
cg2=$(cgroup_of "${sl:-0}")
[[ -z "$mon" ]] || kill -KILL "$mon"
wait "$k2" || true
expect_eq "$(cat "$T/k2.rc")" 1 "monitor killed: its client exits 1"
expect_eq "$(cat "$T/k2.err")" "ward: sandbox call slow: unavailable: the sandbox died before it answered" \
	"monitor killed: status unavailable"
expect_eq "$(wc -c <"$T/k2.out")" 0 "monitor killed: no output"
t=$((SECONDS + DEADLINE_S))
while [[ -n "$sl" && -e "/proc/$sl" ]] && ((SECONDS < t)); do sleep 0.1; done
check "monitor killed: the sandbox went with it (its sleep too)" test ! -e "/proc/${sl:-0}"
check "monitor killed: its sandbox had a cgroup" test -n "$cg2"
expect_eq "$(cgroup_left "${cg2:-none}")" "" "monitor killed: the sandbox's cgroups are removed (unified, memory, pids, cpu)"

expect_rc 0 "afterwards: upper still serves" wd_call main upper <<<"after"
expect_eq "$(cat "$OUT")" "AFTER" "afterwards: upper's answer"
expect_rc 0 "afterwards: slow still serves" wd_call main slow <<<"0"
expect_eq "$(cat "$OUT")" "slept 0" "afterwards: slow's answer"
expect_eq "$(wardd_wait_counts main slow '^2 2 1 0 0 0$')" "2 2 1 0 0 0" \
	"slow: 2 ok, 2 failed, its pool refilled"

section "bad requests on the raw socket"
expect_rc 0 "garbage header (24 bytes)" proto main raw "$(printf 'x%.0s' {1..24} | od -An -tx1 | tr -d ' \n')"
expect_stdout_line "status=bad-request" "garbage header: bad-request"
expect_stdout_line "msg=malformed request header" "garbage header: its message"
expect_stdout_line "output_len=0" "garbage header: no output"
expect_stdout_line "end=eof" "garbage header: then wardd closes"
expect_rc 0 "flags not 0" proto main header upper 0 WARDREQ1 1
expect_stdout_line "status=bad-request" "flags not 0: bad-request"
# The name it sent is left unread: closing then resets the connection, after the answer.
expect_stdout_match "^end=(eof|reset)$" "flags not 0: then wardd closes"
expect_rc 0 "name_len 0" proto main header upper 0 WARDREQ1 0 0
expect_stdout_line "status=bad-request" "name_len 0: bad-request"
expect_rc 0 "name_len 28 (a name is at most 27 bytes)" proto main header upper 0 WARDREQ1 0 28
expect_stdout_line "status=bad-request" "name_len 28: bad-request"
expect_rc 0 "a header cut short, then EOF" proto main raw "$(printf 'WARDREQ1' | od -An -tx1 | tr -d ' \n')"
expect_stdout_line "answer=none" "a header cut short: dropped without an answer"
expect_rc 0 "unknown service" proto main header nosuch 0
expect_stdout_line "status=unknown-service" "unknown service: unknown-service"
expect_stdout_line "msg=no such service" "unknown service: its message"
expect_stdout_line "end=eof" "unknown service: then wardd closes"
expect_rc 0 "input_len 65 > max_input_bytes 64, no input sent" proto main header small 65
expect_stdout_line "status=input-too-large" "input 65 > 64: input-too-large, answered without the input"
expect_stdout_line "msg=the input is larger than max_input_bytes (64)" "input 65 > 64: its message"
expect_stdout_line "end=eof" "input 65 > 64: then wardd closes"
head -c 65 /dev/zero | tr '\0' a >"$T/in65"
expect_rc 1 "ward sandbox call: 65 bytes to small" wd_call main small <"$T/in65"
expect_stderr_line "ward: sandbox call small: input-too-large: the input is larger than max_input_bytes (64)" \
	"ward sandbox call: input-too-large"
# wardd answers and closes after the header: a client still sending its input must take the
# answer (EPIPE), not die of SIGPIPE.
head -c 4194304 /dev/zero >"$T/in4m"
expect_rc 1 "ward sandbox call: 4 MiB to small (more than the socket buffers)" wd_call main small <"$T/in4m"
expect_stderr_line "ward: sandbox call small: input-too-large: the input is larger than max_input_bytes (64)" \
	"ward sandbox call (4 MiB): input-too-large"
head -c 16 /dev/zero | tr '\0' x >"$T/in16"
expect_rc 0 "output of 16 bytes = max_output_bytes" proto main call small <"$T/in16"
expect_stdout_line "status=ok" "16 bytes: ok"
expect_stdout_line "output=yyyyyyyyyyyyyyyy" "16 bytes: the whole output"
head -c 17 /dev/zero | tr '\0' x >"$T/in17"
expect_rc 0 "output of 17 bytes > max_output_bytes 16" proto main call small <"$T/in17"
expect_stdout_line "status=output-too-large" "17 bytes: output-too-large"
expect_stdout_line "output_len=0" "17 bytes: the answer carries no output"
expect_stdout_line "trailing=0" "17 bytes: and nothing after it"
expect_rc 1 "ward sandbox call: output of 17 bytes" wd_call main small <"$T/in17"
expect_eq "$(wc -c <"$OUT")" 0 "ward sandbox call: no output bytes"
expect_stderr_match "^ward: sandbox call small: output-too-large: " "ward sandbox call: output-too-large"

before=$(wardd_counts main upper)
expect_rc 0 "a client sends a header (100 input bytes), 10 bytes, and disconnects" \
	bash -c 'head -c 10 /dev/zero | timeout -k 5 60 python3 "$0" "$1" partial upper 100 10' "$PROTO" "${WD_SOCK[main]}"
expect_stdout_line "closed=yes" "the client went away mid-input"
expect_rc 0 "another client, meanwhile: upper" wd_call main upper <<<"unaffected"
expect_eq "$(cat "$OUT")" "UNAFFECTED" "another client: its answer"
read -r ok0 failed0 _ <<<"$before"
expect_eq "$(wardd_wait_counts main upper "^$((ok0 + 1)) $((failed0 + 1)) 2 0 0 0\$")" \
	"$((ok0 + 1)) $((failed0 + 1)) 2 0 0 0" "upper: the cut request failed, the other ok, the pool is back to 2"

# A client that connects and sends nothing is dropped after WARD_SVC_HEADER_TIMEOUT_MS (10 s),
# without an answer; other clients are served meanwhile.
timeout -k 5 90 python3 "$PROTO" "${WD_SOCK[main]}" idle 12 "$T/probe" >"$T/idle.out" 2>&1 &
idle=$!
t=$((SECONDS + DEADLINE_S))
until grep -qx connected "$T/idle.out" || ((SECONDS >= t)); do sleep 0.05; done
for i in 1 2 3; do
	expect_rc 0 "while a silent client is connected: call $i" wd_call main upper <<<"call $i"
	expect_eq "$(cat "$OUT")" "CALL $i" "while a silent client is connected: answer $i"
done
touch "$T/probe"
wait "$idle" || true
run cat "$T/idle.out"
expect_stdout_line "mid=open" "the silent client: still connected while the other calls were served"
expect_stdout_line "end=eof" "the silent client: dropped after the header timeout"
expect_stdout_line "bytes=0" "the silent client: without an answer"

section "the log grows per service and manifest, not per request"
# A wardd of its own: a fresh log.
if wardd_start logw "$SVC"; then
	pass "a second wardd (own state dir) starts"
	S2=${WD_STATE[logw]}
	# Every pool warm first: a sandbox warming up records (once per service).
	for s in upper:2 small:1 tmpls:1 slow:1; do
		wardd_wait_counts logw "${s%:*}" "^0 0 ${s#*:} 0 0 0\$" >/dev/null
	done
	expect_rc 0 "call 1" wd_call logw upper <<<"one"
	n1=$(record_count "$S2")
	for i in $(seq 2 20); do
		wd_call logw upper <<<"call $i" >/dev/null || fail "call $i"
	done
	wardd_wait_counts logw upper '^20 0 2 0 0 0$' >/dev/null
	expect_eq "$(record_count "$S2")" "$n1" "records after 20 calls = after 1 call"
	expect_eq "$(service_records "$S2" | sort)" "$(for s in slow small tmpls upper; do
		echo "$s $(sha256_file "$SVC/$s.json")"
	done)" "one ward-service record per service, with its manifest's sha256"
	check "the log replays (ward log replay)" "$WARD" log replay "$S2/log"

	# A changed manifest: SIGHUP records it once more, with the new digest.
	cp "$SVC/upper.json" "$T/upper.v1"
	manifest "$SVC/upper.json" '{"name": "upper", "description": "v2", "argv": ["/usr/bin/tr", "a-z", "A-Z"],
 "memory_mb": 32, "scratch_mb": 0, "pool": 2}'
	d2=$(sha256_file "$SVC/upper.json")
	nr=$(grep -c '^wardd: reloaded ' "${WD_LOG[logw]}" || true)
	kill -HUP "${WD_PID[logw]}"
	t=$((SECONDS + DEADLINE_S))
	until (($(grep -c '^wardd: reloaded ' "${WD_LOG[logw]}" || true) > nr)) || ((SECONDS >= t)); do sleep 0.1; done
	expect_eq "$(service_records "$S2" | grep '^upper ')" \
		"upper $(sha256_file "$T/upper.v1")"$'\n'"upper $d2" "SIGHUP after a change: a second ward-service record, the new digest"
	expect_eq "$(service_records "$S2" | grep -vc '^upper ')" 3 "the unchanged services are not recorded again"
	expect_rc 0 "after the reload: a call" wd_call logw upper <<<"reloaded"
	expect_eq "$(cat "$OUT")" "RELOADED" "after the reload: its answer"

	# A malformed manifest on reload: the running set stays (a change made beside it too).
	manifest "$SVC/upper.json" '{"name": "upper", "description": "v3", "argv": ["/usr/bin/tr", "a-z", "A-Z"],
 "memory_mb": 32, "scratch_mb": 0, "pool": 2}'
	manifest "$SVC/broken.json" '{"name": "broken", "argv": ["/usr/bin/cat"], "memory": 32}'
	n3=$(record_count "$S2")
	kill -HUP "${WD_PID[logw]}"
	t=$((SECONDS + DEADLINE_S))
	until grep -q 'reload: the services dir has errors; keeping the running services' "${WD_LOG[logw]}" ||
		((SECONDS >= t)); do sleep 0.1; done
	run cat "${WD_LOG[logw]}"
	expect_stdout_line "wardd: reload: the services dir has errors; keeping the running services" \
		"SIGHUP with a malformed manifest: wardd keeps the running services"
	expect_stdout_match "broken\.json" "SIGHUP with a malformed manifest: the message names the file"
	check "wardd is still running" kill -0 "${WD_PID[logw]}"
	expect_rc 0 "after the refused reload: upper serves" wd_call logw upper <<<"still"
	expect_eq "$(cat "$OUT")" "STILL" "after the refused reload: its answer"
	expect_rc 1 "after the refused reload: no service 'broken'" wd_call logw broken </dev/null
	expect_stderr_match "^ward: sandbox call broken: unknown-service: " "no service 'broken': unknown-service"
	expect_eq "$(record_count "$S2")" "$n3" "the refused reload recorded nothing (upper v3 not applied)"
	rm -f "$SVC/broken.json"
	# A manifest removed while the others stay unchanged: that service stops, the others serve.
	mv "$SVC/tmpls.json" "$T/tmpls.removed"
	nr=$(grep -c '^wardd: reloaded ' "${WD_LOG[logw]}" || true)
	kill -HUP "${WD_PID[logw]}"
	t=$((SECONDS + DEADLINE_S))
	until (($(grep -c '^wardd: reloaded ' "${WD_LOG[logw]}" || true) > nr)) || ((SECONDS >= t)); do sleep 0.1; done
	expect_rc 1 "after removing tmpls.json: no service 'tmpls'" wd_call logw tmpls </dev/null
	expect_stderr_match "^ward: sandbox call tmpls: unknown-service: " "a removed manifest: unknown-service"
	expect_rc 0 "after removing tmpls.json: upper still serves" wd_call logw upper <<<"kept"
	expect_eq "$(cat "$OUT")" "KEPT" "after removing tmpls.json: upper's answer"
	mv "$T/tmpls.removed" "$SVC/tmpls.json"
	cp "$T/upper.v1" "$SVC/upper.json"
	wardd_stop logw
	expect_eq "$RC" 0 "the second wardd stops on SIGTERM with status 0"
	expect_eq "$LEFT" "" "the second wardd left nothing behind (processes, cgroups)"
	expect_clean_log logw
	check "its socket is removed" test ! -e "${WD_SOCK[logw]}"
else
	fail "a second wardd (own state dir) starts"
fi

# A malformed manifest at start: exit 2 naming the file, nothing recorded.
BAD=$T/svc-bad
mkdir -p "$BAD"
cp "$SVC/upper.json" "$BAD/upper.json"
manifest "$BAD/broken.json" '{"name": "broken", "argv": ["/usr/bin/cat"], "memory": 32}'
wardd_refuses bad "$BAD"
expect_eq "$RC" 2 "a malformed manifest at start: wardd exits 2"
expect_stderr_match "$BAD/broken\.json" "a malformed manifest at start: the message names the file"
expect_stderr_match 'memory' "a malformed manifest at start: and the key at fault"
expect_eq "$(record_count "$T/bad.state")" 0 "a malformed manifest at start: nothing recorded"
check "a malformed manifest at start: no socket" test ! -e "$T/bad.state/wardd.sock"

section "peer credentials"
PSOCK=/run/wardd-test-$$.sock
_wardd_paths+=("$PSOCK" "$PSOCK.2")
# The system's python3: the one on root's PATH may live under /root, which uid 65534 cannot enter.
SYSPY=/usr/bin/python3
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups "$SYSPY")
OTHER=(setpriv --reuid=65533 --regid=65533 --clear-groups "$SYSPY")
if wardd_start peer "$SVC" --socket "$PSOCK"; then
	pass "wardd --socket $PSOCK starts"
	expect_eq "$(stat -c '%a' "$PSOCK")" 600 "without --allow-uid: the socket is mode 0600"
	expect_rc 0 "uid 65534 connects (0600 socket)" "${NOBODY[@]}" "$PROTO" "$PSOCK" call upper <<<"x"
	expect_stdout_line "connect=errno=EACCES" "uid 65534: the socket's mode refuses it"
	chmod 0666 "$PSOCK"
	expect_rc 0 "uid 65534 connects (socket made 0666 by hand)" "${NOBODY[@]}" "$PROTO" "$PSOCK" call upper <<<"x"
	expect_stdout_line "status=bad-request" "uid 65534: refused by its peer credentials"
	expect_stdout_line "msg=permission denied (peer credentials)" "uid 65534: the message says why"
	expect_stdout_line "output_len=0" "uid 65534: no output"
	expect_rc 0 "root on the same socket" python3 "$PROTO" "$PSOCK" call upper <<<"root"
	expect_stdout_line "status=ok" "root: ok"
	expect_stdout_line 'output=ROOT\n' "root: the answer"
	wardd_stop peer
	expect_eq "$RC" 0 "wardd stops on SIGTERM with status 0"
	expect_eq "$LEFT" "" "it left nothing behind"
	check "its --socket is removed" test ! -e "$PSOCK"
	expect_clean_log peer
else
	fail "wardd --socket $PSOCK starts"
fi
if wardd_start peer2 "$SVC" --socket "$PSOCK.2" --allow-uid 65534; then
	pass "wardd --allow-uid 65534 starts"
	expect_eq "$(stat -c '%a' "$PSOCK.2")" 666 "with --allow-uid: the socket is mode 0666"
	expect_rc 0 "uid 65534 calls upper" "${NOBODY[@]}" "$PROTO" "$PSOCK.2" call upper <<<"nobody"
	expect_stdout_line "status=ok" "uid 65534: allowed"
	expect_stdout_line 'output=NOBODY\n' "uid 65534: the answer"
	expect_rc 0 "uid 65533 calls upper" "${OTHER[@]}" "$PROTO" "$PSOCK.2" call upper <<<"other"
	expect_stdout_line "status=bad-request" "uid 65533 (not allowed): refused"
	expect_stdout_line "msg=permission denied (peer credentials)" "uid 65533: the message says why"
	# `ward sandbox call` as uid 65534, through a state dir holding a link to the socket.
	CDIR=$T/client-dir
	mkdir -p "$CDIR"
	chmod 0755 "$CDIR"
	ln -s "$PSOCK.2" "$CDIR/wardd.sock"
	expect_rc 0 "ward sandbox call as uid 65534" setpriv --reuid=65534 --regid=65534 --clear-groups \
		timeout -k 5 60 "$WARD" --state-dir "$CDIR" sandbox call upper <<<"cli"
	expect_eq "$(cat "$OUT")" "CLI" "ward sandbox call as uid 65534: the answer"
	wardd_stop peer2
	expect_eq "$RC" 0 "wardd --allow-uid stops with status 0"
	expect_eq "$LEFT" "" "it left nothing behind"
	expect_clean_log peer2
else
	fail "wardd --allow-uid 65534 starts"
fi

section "SIGKILL of wardd leaves no sandbox behind"
expect_eq "$(wardd_wait_counts main upper '^[0-9]+ [0-9]+ 2 0 0 0$' | cut -d' ' -f3-)" "2 0 0 0" "upper: its pool is warm"
(
	rc=0
	wd_call main slow <<<"100" >"$T/k3.out" 2>"$T/k3.err" || rc=$?
	echo "$rc" >"$T/k3.rc"
) &
k3=$!
sl=$(wait_busy_sleep)
check "a request is running when wardd is killed" test -n "$sl"
nsb=$(wardd_sandbox_pids main | wc -l)
ncg=$(wardd_cgroups main | wc -l)
note "at the kill: $nsb sandbox-uid processes, $ncg sandbox cgroups"
check "at the kill: sandboxes are running (warm and busy)" test "$nsb" -ge 6
# Calls just before the kill: their sandboxes' replacements are warming up when it lands.
pre=()
for i in 1 2 3 4; do
	wd_call main upper <<<"x" >/dev/null &
	pre+=("$!")
done
wait "${pre[@]}" || true
wardd_kill9 main
expect_eq "$LEFT" "" "after SIGKILL: no process of it (monitors, sandboxes), no cgroup of them in unified, memory, pids, cpu"
expect_clean_log main
wait "$k3" || true
expect_eq "$(cat "$T/k3.rc")" 125 "the request in flight: its client exits 125 (ward failed: no answer)"
expect_eq "$(cat "$T/k3.err")" "ward: sandbox call: no answer from wardd: Connection reset by peer" \
	"the request in flight: no answer from wardd"
expect_eq "$(wc -c <"$T/k3.out")" 0 "the request in flight: no output"
check "the request's sleep is gone" test ! -e "/proc/${sl:-0}"

# A wardd restarted on the same state dir takes over the socket the dead one left.
check "the dead wardd's socket is still there" test -S "${WD_SOCK[main]}"
if wardd_start main "$SVC"; then
	pass "a new wardd starts on the dead one's state dir and socket"
	expect_rc 0 "it serves" wd_call main upper <<<"again"
	expect_eq "$(cat "$OUT")" "AGAIN" "its answer"
	wardd_stop main
	expect_eq "$RC" 0 "it stops on SIGTERM with status 0"
	expect_eq "$LEFT" "" "it left nothing behind"
	expect_clean_log main
else
	fail "a new wardd starts on the dead one's state dir and socket"
fi
finish
