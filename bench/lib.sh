# shellcheck shell=bash
# Sourced by every benchmark: paths, the ward binary under test, and the hyperfine wrapper.
#
# The binary is copied once per run into bench/work/bin/ so that a rebuild of build/ward by
# someone else halfway through a run cannot mix two builds into one table; its sha256 and the
# git commit go into the results.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
WORK=${WARD_BENCH_WORK:-$BENCH_DIR/work}
RESULTS=${WARD_BENCH_RESULTS:-$BENCH_DIR/results}
RAW=$RESULTS/raw
WARD_SRC=${WARD:-$ROOT/build/ward}
WARD_BIN=$WORK/bin/ward

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

bench_init() {
	need hyperfine python3 openssl
	[ -x "$WARD_SRC" ] || die "no ward binary at $WARD_SRC (ninja -C build)"
	mkdir -p "$WORK/bin" "$RAW"
	# Snapshot unless run-all already did it for this run.
	if [ "${WARD_BENCH_SNAPSHOT_DONE:-}" != 1 ]; then
		cp -f "$WARD_SRC" "$WARD_BIN.tmp" && mv -f "$WARD_BIN.tmp" "$WARD_BIN"
	fi
	python3 "$BENCH_DIR/stats.py" facts "$WARD_BIN" "$ROOT" "$WORK" >"$RAW/facts.json"
}

# hf NAME HYPERFINE-ARGS...: run hyperfine, export raw JSON to $RAW/NAME.json.
# Output of the benchmarked commands goes to /dev/null (hyperfine's default); a command that
# fails aborts the benchmark, since a failing run would be timed as a fast one.
hf() {
	local name=$1
	shift
	hyperfine --style basic --export-json "$RAW/$name.json" "$@" >"$RAW/$name.txt"
}
