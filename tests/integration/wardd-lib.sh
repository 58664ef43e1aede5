# shellcheck shell=bash
# Helpers for the tests that run wardd (wardd.sh, sealed.sh); sourced after lib.sh.
#
# wardd_start NAME SERVICES_DIR [WARDD_ARG...] starts a wardd of its own (a fresh state dir
# $T/NAME.state, its stderr in $T/NAME.log, --verbose) in the background under timeout, and
# waits for its socket. Every wardd started here is stopped at exit by an EXIT trap, which also
# checks that it left nothing behind (a process of it, a sandbox cgroup): if it did, the test
# fails even after finish(). wardd_stop and wardd_kill9 stop one on purpose, and the test
# asserts what they report.
#
# Other tests (and other wardd) may run sandboxes on this machine at the same time: everything
# here counts only what descends from this test's wardd, the cgroups those processes were in,
# and processes whose command line names this test's state dirs.
#
# Env: WARD_WARDD (the wardd binary), besides lib.sh's.

: "${WARD_WARDD:?WARD_WARDD must name the wardd binary (run through meson test)}"
WARDD=$WARD_WARDD
require_cmd python3 timeout ps awk
if ((EUID != 0)); then
	# wardd needs root (namespaces, mounts, fanotify permission events, cgroups); CI is root.
	skip "wardd needs root"
fi

# shellcheck disable=SC2034 # used by the tests that source this file
PROTO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/wardd-proto.py
SBX_UID_MIN=1900000000
SBX_UID_MAX=1900999999
# How long one wardd may live (meson's timeout for a test is 300 s) and how long a state the
# test waits for may take to be reached (a deadline, never an assertion on a duration).
WARDD_LIFETIME=280
DEADLINE_S=60
CGROUP_ROOTS=(/sys/fs/cgroup/unified/ward /sys/fs/cgroup/memory/ward /sys/fs/cgroup/pids/ward
	/sys/fs/cgroup/cpu/ward)

declare -A WD_PID=() WD_TPID=() WD_STATE=() WD_LOG=() WD_SOCK=()
# Paths (sockets outside $T) removed at exit.
_wardd_paths=()

# wd_call NAME SERVICE: `ward sandbox call SERVICE` against wardd NAME (stdin is the input).
wd_call() {
	# shellcheck disable=SC2153 # WARD comes from lib.sh
	timeout -k 5 60 "$WARD" --state-dir "${WD_STATE[$1]}" sandbox call "$2"
}

# pstat PID N: field N of /proc/PID/stat, numbered as in proc_pid_stat(5) (4 ppid, 22 starttime);
# nothing if PID is gone.
pstat() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	read -r -a f <<<"${s##*) }"
	printf '%s\n' "${f[$2 - 3]}"
}

# _descendants PID: every descendant of PID, one "PID UID" a line (ps's view).
_descendants() {
	ps -e -o pid=,ppid=,uid= | awk -v root="$1" '
		{ par[$1] = $2; uid[$1] = $3; kids[$2] = kids[$2] " " $1 }
		END {
			n = split(kids[root], q, " ")
			for (i = 1; i <= n; i++) {
				p = q[i]
				print p, uid[p]
				m = split(kids[p], more, " ")
				for (j = 1; j <= m; j++) q[++n] = more[j]
			}
		}'
}

# wardd_sandbox_pids NAME: the processes of wardd NAME's sandboxes that run as a sandbox uid.
wardd_sandbox_pids() {
	_descendants "${WD_PID[$1]}" | awk -v lo=$SBX_UID_MIN -v hi=$SBX_UID_MAX \
		'$2 >= lo && $2 <= hi { print $1 }' | sort -n
}

# wardd_cgroups NAME: the sandbox cgroups (d-*) its descendants are in or hold open (a sandbox
# being built has its cgroups before any process is in them), one name a line.
wardd_cgroups() {
	local p
	for p in $(_descendants "${WD_PID[$1]}" | awk '{ print $1 }'); do
		sed -n 's|^[^:]*:[^:]*:/ward/\(d-[^/]*\).*|\1|p' "/proc/$p/cgroup" 2>/dev/null || true
		find "/proc/$p/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
			sed -n 's|^/sys/fs/cgroup/[^/]*/ward/\(d-[^/]*\).*|\1|p' || true
	done | sort -u
}

# _snapshot NAME: remember wardd NAME, its descendants (with their start times) and their
# cgroups, to find any of them still there after it is gone.
declare -A _snap_procs=() _snap_cgroups=()
_snapshot() {
	local p list=""
	for p in "${WD_PID[$1]}" $(_descendants "${WD_PID[$1]}" | awk '{ print $1 }'); do
		list+="$p:$(pstat "$p" 22) "
	done
	_snap_procs[$1]=$list
	_snap_cgroups[$1]=$(wardd_cgroups "$1" | tr '\n' ' ')
}

# _leftovers NAME: what of wardd NAME is still there (nothing when all is gone): its processes
# (same pid and start time), their cgroup dirs in each hierarchy, any process whose command
# line names its state dir (a sandbox monitor is a fork of wardd), its sandbox uid processes.
_leftovers() {
	local e p st cg r
	for e in ${_snap_procs[$1]}; do
		p=${e%%:*} st=${e#*:}
		if [[ -n "$st" && "$(pstat "$p" 22)" == "$st" ]]; then
			printf 'process %s (%s, uid %s)\n' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)" \
				"$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)"
		fi
	done
	for cg in ${_snap_cgroups[$1]}; do
		for r in "${CGROUP_ROOTS[@]}"; do
			[[ ! -d "$r/$cg" ]] || printf 'cgroup %s\n' "$r/$cg"
		done
	done
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "--state-dir ${WD_STATE[$1]} "; then
			printf 'process %s: %s\n' "${p#/proc/}" "$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")"
		fi
	done
}

# _wait_gone NAME: poll until nothing of wardd NAME is left (deadline); print what is left.
_wait_gone() {
	local left t=$((SECONDS + DEADLINE_S))
	while :; do
		left=$(_leftovers "$1")
		[[ -n "$left" && $SECONDS -lt $t ]] || break
		sleep 0.2
	done
	printf '%s' "$left"
}

# wardd_start NAME SERVICES_DIR [WARDD_ARG...]: start wardd NAME and wait until it serves
# (its socket answers). Return 1 (its log shown) if it exits first. A --socket argument is
# where it listens, else $T/NAME.state/wardd.sock.
wardd_start() {
	local name=$1 svcdir=$2 st=$T/$1.state log=$T/$1.log sock a t prev=""
	shift 2
	sock=$st/wardd.sock
	for a in "$@"; do
		[[ "$prev" != --socket ]] || sock=$a
		prev=$a
	done
	[[ -d "$st" ]] || new_state "$st"
	: >"$log"
	timeout -k 5 "$WARDD_LIFETIME" "$WARDD" --state-dir "$st" --services "$svcdir" --verbose "$@" \
		</dev/null >>"$log" 2>&1 &
	WD_TPID[$name]=$!
	# shellcheck disable=SC2034 # WD_SOCK is for the tests
	WD_STATE[$name]=$st WD_LOG[$name]=$log WD_SOCK[$name]=$sock WD_PID[$name]=""
	t=$((SECONDS + DEADLINE_S))
	while [[ -z "${WD_PID[$name]}" ]] && kill -0 "${WD_TPID[$name]}" 2>/dev/null; do
		WD_PID[$name]=$(awk '{ print $1 }' "/proc/${WD_TPID[$name]}/task/${WD_TPID[$name]}/children" 2>/dev/null || true)
		[[ -n "${WD_PID[$name]}" ]] || sleep 0.05
	done
	while kill -0 "${WD_TPID[$name]}" 2>/dev/null && ((SECONDS < t)); do
		if [[ -S "$sock" ]] && grep -q '^wardd: serving ' "$log" &&
			python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	note "wardd $name did not start serving; its log:"
	sed 's/^/#     /' "$log"
	wait "${WD_TPID[$name]}" 2>/dev/null || true
	WD_PID[$name]=""
	return 1
}

# wardd_refuses NAME SERVICES_DIR [WARDD_ARG...]: run a wardd that is expected to refuse to
# start (not left running): its exit status in RC, its stderr in $ERR (lib.sh's run).
wardd_refuses() {
	local st=$T/$1.state svcdir=$2
	shift 2
	[[ -d "$st" ]] || new_state "$st"
	run timeout -k 5 60 "$WARDD" --state-dir "$st" --services "$svcdir" "$@"
}

# wardd_counts NAME SERVICE: ask wardd NAME for its counts (SIGUSR1) and print SERVICE's as
# "OK FAILED READY WARMING BUSY WAITING"; nothing if it does not answer before the deadline.
wardd_counts() {
	local log=${WD_LOG[$1]} n0 t=$((SECONDS + DEADLINE_S))
	n0=$(grep -c "^wardd: service $2: [0-9]" "$log" || true)
	kill -USR1 "${WD_PID[$1]}" 2>/dev/null || return 0
	while (($(grep -c "^wardd: service $2: [0-9]" "$log" || true) <= n0)); do
		((SECONDS < t)) || return 0
		sleep 0.05
	done
	grep "^wardd: service $2: [0-9]" "$log" | tail -n 1 |
		sed -E 's/^wardd: service [^:]*: ([0-9]+) ok, ([0-9]+) failed, ([0-9]+) ready, ([0-9]+) warming, ([0-9]+) busy, ([0-9]+) waiting$/\1 \2 \3 \4 \5 \6/'
}

# wardd_wait_counts NAME SERVICE REGEX: poll wardd_counts until it matches the ERE REGEX
# (deadline); print the last counts.
wardd_wait_counts() {
	local c t=$((SECONDS + DEADLINE_S))
	while :; do
		c=$(wardd_counts "$1" "$2")
		[[ ! "$c" =~ $3 && $SECONDS -lt $t ]] || break
		sleep 0.2
	done
	printf '%s\n' "$c"
}

# wardd_stop NAME: SIGTERM, wait for it: RC is its exit status (timeout passes wardd's
# through), LEFT what it left behind once the deadline passed (empty when all is gone).
# shellcheck disable=SC2034 # RC is for the tests (as lib.sh's run sets it)
wardd_stop() {
	_snapshot "$1"
	kill -TERM "${WD_PID[$1]}" 2>/dev/null || true
	RC=0
	wait "${WD_TPID[$1]}" 2>/dev/null || RC=$?
	WD_PID[$1]=""
	LEFT=$(_wait_gone "$1")
}

# wardd_kill9 NAME: SIGKILL wardd NAME (nothing of it gets to clean up but what the kernel and
# its sandboxes' keepers do): LEFT is what is left once the deadline passed.
wardd_kill9() {
	_snapshot "$1"
	kill -KILL "${WD_PID[$1]}" 2>/dev/null || true
	wait "${WD_TPID[$1]}" 2>/dev/null || true
	WD_PID[$1]=""
	LEFT=$(_wait_gone "$1")
}

# expect_clean_log NAME: wardd NAME's stderr has no sanitizer report (sanitizer builds).
expect_clean_log() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "${WD_LOG[$1]}"; then
		fail "wardd $1: a sanitizer report in its log"
		grep -E -A20 'Sanitizer|runtime error:' "${WD_LOG[$1]}" | head -40 | sed 's/^/#     /'
	else
		pass "wardd $1: no sanitizer report in its log"
	fi
}

# At exit: stop every wardd still running, check that none left anything behind, then lib.sh's
# cleanup (which removes $T). Something left behind turns the test's status into a failure.
_wardd_exit() {
	local rc=$? n
	set +e
	for n in "${!WD_PID[@]}"; do
		[[ -n "${WD_PID[$n]}" ]] || continue
		wardd_kill9 "$n"
		if [[ -n "$LEFT" ]]; then
			printf 'not ok - wardd %s left this behind after it was killed at exit:\n' "$n"
			printf '%s\n' "$LEFT" | sed 's/^/#     /'
			rc=1
		fi
	done
	for n in "${_wardd_paths[@]:-}"; do
		[[ -z "$n" ]] || rm -f "$n"
	done
	(exit "$rc")
	_lib_cleanup
}
trap _wardd_exit EXIT

# manifest FILE JSON...: write FILE (mode 0644) from the JSON text (one document).
manifest() {
	local file=$1
	shift
	printf '%s\n' "$*" >"$file"
	chmod 0644 "$file"
}
