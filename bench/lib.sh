# shellcheck shell=bash
# Sourced by every benchmark: paths, the ward binary under test, and the hyperfine wrapper.
#
# The binary is copied once per run into bench/work/bin/ so that a rebuild of build/ward by
# someone else halfway through a run cannot mix two builds into one table; its sha256 and the
# git commit go into the results.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# Everything runs from the repository root with relative paths, so that the commands written
# into the results can be pasted back into a shell there.
cd "$ROOT"
WORK=${WARD_BENCH_WORK:-bench/work}
RESULTS=${WARD_BENCH_RESULTS:-bench/results}
RAW=$RESULTS/raw
WARD_SRC=${WARD:-build/ward}
WARD_BIN=$WORK/bin/ward

# This machine is shared (other engineers' builds, tests and fuzzers run on the same CPUs). As
# root, the benchmark shell and everything it starts run at nice -10 so that such work takes
# less of the CPU while a benchmark is timed; every tool alike. BENCH_NICE=0 turns this off.
if [ "$(id -u)" = 0 ] && [ "${BENCH_NICE:-1}" != 0 ] && [ "$(ps -o ni= -p $$ | tr -d ' ')" -gt -10 ]; then
	renice -n -10 -p $$ >/dev/null
fi

die() {
	echo "bench: $*" >&2
	exit 2
}

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
	done
}

# bench_init NAME: the ward snapshot, machine facts, the command log, and a first snapshot of
# what else runs on the machine (bench_done takes the second; the report shows the difference).
bench_init() {
	BENCH_NAME=$1
	need hyperfine python3 openssl
	[ -x "$WARD_SRC" ] || die "no ward binary at $WARD_SRC (ninja -C build)"
	mkdir -p "$WORK/bin" "$RAW"
	# Snapshot unless run-all already did it for this run.
	if [ "${WARD_BENCH_SNAPSHOT_DONE:-}" != 1 ]; then
		cp -f "$WARD_SRC" "$WARD_BIN.tmp" && mv -f "$WARD_BIN.tmp" "$WARD_BIN"
	fi
	python3 bench/stats.py facts "$WARD_BIN" "$ROOT" "$WORK" >"$RAW/$BENCH_NAME-facts.json"
	cp -f "$RAW/$BENCH_NAME-facts.json" "$RAW/facts.json"
	cmdlog_start "$BENCH_NAME"
	own_cpu
	python3 bench/stats.py load "$RAW/$BENCH_NAME-load-begin.json" "$OWN_CPU"
}

# OWN_CPU := CPU seconds (user + system) of this script's finished children. `times` must run
# in this shell, not in a pipeline or $(...), whose subshell has children of its own.
own_cpu() {
	times >"$RAW/.times-$$"
	OWN_CPU=$(sed -n 2p "$RAW/.times-$$" | awk '{
		s = 0
		for (i = 1; i <= NF; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] }
		printf "%.3f", s }')
	rm -f "$RAW/.times-$$"
}

# bench_done: the second load snapshot, then the benchmark's table and the index.
bench_done() {
	own_cpu
	python3 bench/stats.py load "$RAW/$BENCH_NAME-load-end.json" "$OWN_CPU"
	python3 bench/stats.py "$BENCH_NAME" "$RAW" "$RESULTS"
	python3 bench/stats.py index "$RAW" "$RESULTS"
	echo "$BENCH_NAME: wrote $RESULTS/$BENCH_NAME.md"
}

# Every command that produces or checks a number is appended to $CMDLOG verbatim.
CMDLOG=
cmdlog_start() {
	CMDLOG=$RAW/$1-commands.txt
	: >"$CMDLOG"
}

# shell-quote "$@" readably: words that need it in single quotes
quote() {
	local a out=
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then
			out+="$a "
		else
			out+="'${a//\'/\'\\\'\'}' "
		fi
	done
	printf '%s' "${out% }"
}

logged() {
	quote "$@" >>"$CMDLOG"
	echo >>"$CMDLOG"
	"$@"
}

# note TEXT: a line in the command log that is not a command (e.g. a redirection done here)
note() {
	printf '%s\n' "$*" >>"$CMDLOG"
}

# hf NAME HYPERFINE-ARGS...: run hyperfine, export raw JSON to $RAW/NAME.json.
# The benchmarked commands' output goes to /dev/null (hyperfine's default). A command that
# fails aborts the benchmark, since a failing run would be timed as a fast one.
# In rounds (NAME-r1, NAME-r2, ...) only the first round's command is logged: the others
# are the same command with another export file.
hf() {
	local name=$1
	shift
	local cmd=(hyperfine --style basic --export-json "$RAW/$name.json" "$@")
	if [[ $name =~ -r([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" != 1 ]; then
		"${cmd[@]}" >"$RAW/$name.txt"
	else
		logged "${cmd[@]}" >"$RAW/$name.txt"
	fi
}

# Remove the raw files of an earlier run of NAME (rounds may have been more).
raw_clean() {
	rm -f "$RAW/$1".json "$RAW/$1".txt "$RAW/$1"-r*.json "$RAW/$1"-r*.txt
}
