# shellcheck shell=bash
# Shared helpers for the sandbox leak tests (sandbox-*.sh, one per family of exits): a
# malicious service (leaky.c) holding a client's secret tries to carry it out of its sandbox
# or leave it behind for the next request, and each test asserts the exact way every attempt
# fails. Sourced after `set -euo pipefail`; on top of ../integration/lib.sh (assertions) and
# ../integration/domain-lib.sh (root, python3, logq, make_policy, usr_policy) it gives a state
# dir, a code dir holding leaky, manifests, `ward sandbox run` under a timeout, leaky run
# natively (the positive control: every exit works outside a sandbox), listeners outside that
# log what they receive, and searches of the host for a secret.
#
# Env (set by meson): WARD_LEAKY (leaky.c built), plus what ../integration/lib.sh needs.

# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../integration/domain-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/domain-lib.sh"

: "${WARD_LEAKY:?WARD_LEAKY must name the leaky service (run through meson test)}"
require_cmd timeout sha256sum find grep
# Every ward run gets at most this long (a hang must not stall the suite).
SB_TIMEOUT=${SB_TIMEOUT:-60}

# sb_init: S (a fresh state dir, soft attester), C (a code dir), L ($C/leaky), and $T/start
# (its mtime: the test's start, for the searches of the host).
sb_init() {
	S=$T/state
	new_state "$S"
	C=$(code_dir code)
	L=$C/leaky
	install -m 0755 "$WARD_LEAKY" "$L"
	touch "$T/start"
}

# sb_secret PREFIX: a fresh secret, PREFIX-<16 hex digits>, letters, digits and dashes only
# (it is also a DNS label).
sb_secret() {
	printf '%s-%s\n' "$1" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
}

# sb_manifest OUT NAME EXTRA [STEP...]: a manifest for service NAME running `$L STEP...` with
# code dir $C, plus EXTRA (a JSON object of further keys, which may replace argv or code).
sb_manifest() {
	python3 - "$L" "$C" "$@" <<'EOF'
import json, sys
leaky, code, out, name, extra, steps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
m = {"name": name, "argv": [leaky] + steps, "code": [code]}
m.update(json.loads(extra))
with open(out, "w") as f:
    json.dump(m, f, indent=1)
    f.write("\n")
EOF
}

# sb_expect RC DESCRIPTION MANIFEST INPUT [WARD-ARG...]: `ward sandbox run [WARD-ARG...]
# --manifest MANIFEST` with INPUT on stdin (exactly its bytes) exits RC; its output in $OUT,
# $ERR.
sb_expect() {
	local rc=$1 what=$2 man=$3 input=$4
	shift 4
	printf '%s' "$input" >"$T/.sb.in"
	expect_rc "$rc" "$what" timeout -k 5 "$SB_TIMEOUT" "$WARD" --state-dir "$S" sandbox run \
		"$@" --manifest "$man" <"$T/.sb.in"
}

# sb_native DESCRIPTION INPUT STEP...: leaky run on the host, outside any sandbox, with INPUT
# on stdin and TMPDIR=$T; it exits 0 (its report in $OUT).
sb_native() {
	local what=$1 input=$2
	shift 2
	printf '%s' "$input" >"$T/.sb.in"
	expect_rc 0 "$what" env TMPDIR="$T" "$L" "$@" <"$T/.sb.in"
}

# sb_status_line STATUS MESSAGE: the line `ward sandbox run` prints when a request failed.
sb_status_line() {
	printf 'ward: sandbox: %s: %s' "$1" "$2"
}

# expect_stdout_is TEXT DESCRIPTION: the last command's stdout is exactly TEXT (plus a final
# newline when TEXT is not empty).
expect_stdout_is() {
	local want=$1
	[[ -z "$want" ]] || want+=$'\n'
	if [[ "$(cat "$OUT"; printf x)" == "${want}x" ]]; then
		pass "$2"
	else
		fail "$2"
		printf '#   expected stdout:\n%s' "$want" | sed 's/^/#     /'
		echo
		_show_last
	fi
}

# ---- listeners outside the sandbox ----
#
# sb_listen: a python3 listener on the host, in the host's network namespace: TCP_PORT,
# UDP_PORT (127.0.0.1), DNS_PORT (UDP, answers every query NXDOMAIN), UNIX_SOCK (a path socket,
# mode 0777) and ABSTRACT (an abstract UNIX socket name). Each connection (read to its end) and
# each datagram is one line "KIND DATA" in $T/listen/events, in the order received per kind
# (one connection at a time): KIND is tcp, udp, unix, abstract or dns (DATA: the query's name).
sb_listen() {
	local d=$T/listen i
	mkdir -p "$d"
	ABSTRACT=ward-leak-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	# shellcheck disable=SC2034 # used by the tests that source this file
	UNIX_SOCK=$d/unix.sock
	python3 - "$d" "$ABSTRACT" <<'EOF' &
import os, socket, sys, threading
d, abstract = sys.argv[1], sys.argv[2]
lock = threading.Lock()
events = open(os.path.join(d, "events"), "a")

def log(kind, data):
    text = data.decode("utf-8", "replace").replace("\\", "\\\\").replace("\n", "\\n")
    with lock:
        events.write("%s %s\n" % (kind, text))
        events.flush()

def stream(kind, srv):
    # One connection at a time, each read to its end: a later connection is logged after
    # every earlier one.
    while True:
        c, _ = srv.accept()
        with c:
            data = b""
            while True:
                b = c.recv(65536)
                if not b:
                    break
                data += b
        log(kind, data)

def qname(b):
    labels, i = [], 12
    while i < len(b) and b[i]:
        labels.append(b[i + 1:i + 1 + b[i]])
        i += 1 + b[i]
    return b".".join(labels), i + 5

def dgram(kind, s):
    while True:
        b, peer = s.recvfrom(65536)
        if kind != "dns":
            log(kind, b)
            continue
        name, end = qname(b)
        log(kind, name)
        s.sendto(b[:2] + b"\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" + b[12:end], peer)

tcp = socket.socket()
tcp.bind(("127.0.0.1", 0))
tcp.listen(16)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind(("127.0.0.1", 0))
ux = socket.socket(socket.AF_UNIX)
ux.bind(os.path.join(d, "unix.sock"))
os.chmod(os.path.join(d, "unix.sock"), 0o777)
ux.listen(16)
ab = socket.socket(socket.AF_UNIX)
ab.bind("\0" + abstract)
ab.listen(16)
for kind, s in (("tcp", tcp), ("unix", ux), ("abstract", ab)):
    threading.Thread(target=stream, args=(kind, s), daemon=True).start()
for kind, s in (("udp", udp), ("dns", dns)):
    threading.Thread(target=dgram, args=(kind, s), daemon=True).start()
with open(os.path.join(d, "ports.tmp"), "w") as f:
    f.write("%d %d %d\n" % (tcp.getsockname()[1], udp.getsockname()[1], dns.getsockname()[1]))
os.rename(os.path.join(d, "ports.tmp"), os.path.join(d, "ports"))
threading.Event().wait()
EOF
	track_pid $!
	# Killed at the end by lib.sh (track_pid): no job report from bash about it.
	disown $!
	for ((i = 0; i < 300; i++)); do
		[[ -s "$d/ports" ]] && break
		sleep 0.1
	done
	if [[ ! -s "$d/ports" ]]; then
		fail "the listener outside the sandbox started"
		finish
	fi
	# shellcheck disable=SC2034 # used by the tests that source this file
	read -r TCP_PORT UDP_PORT DNS_PORT <"$d/ports"
}

# sb_events: what the listener received so far, one "KIND DATA" line each.
sb_events() { cat "$T/listen/events" 2>/dev/null || true; }

# sb_wait_events LINE...: wait (at most 30 s) until the listener logged every LINE; false if
# one never came.
sb_wait_events() {
	local i l missing
	for ((i = 0; i < 300; i++)); do
		missing=0
		for l in "$@"; do
			grep -qxF -- "$l" "$T/listen/events" 2>/dev/null || missing=1
		done
		((missing)) || return 0
		sleep 0.1
	done
	return 1
}

# expect_file_lacks STRING FILE DESCRIPTION: FILE does not hold STRING (a fixed string).
expect_file_lacks() {
	if grep -qF -- "$1" "$2"; then
		fail "$3"
		grep -nF -- "$1" "$2" | head -5 | sed 's/^/#   found: /'
	else
		pass "$3"
	fi
}

# ---- what is left on the host ----

# sb_host_files_with STRING: the host's files, changed since the test started, that hold
# STRING: below /tmp, /var/tmp, /dev/shm, /run and /root (3 levels; the test's own dir $T,
# which holds the captured output, is searched through $S and $C only: the log and the code
# dir), and the whole of $S and $C. One path per line; nothing when none.
sb_host_files_with() {
	{
		find /tmp /var/tmp /dev/shm /run /root -xdev -maxdepth 3 -path "$T" -prune -o \
			-type f -newer "$T/start" -size -16M -print0 2>/dev/null || true
		find "$S" "$C" -type f -print0
	} | xargs -0 -r grep -lsF -- "$1" || true
}

# expect_not_on_host STRING DESCRIPTION: no file of the host (sb_host_files_with) holds STRING.
expect_not_on_host() {
	local found
	found=$(sb_host_files_with "$1")
	if [[ -z "$found" ]]; then
		pass "$2"
	else
		fail "$2"
		printf '%s\n' "$found" | sed 's/^/#   found in: /'
	fi
}

# ---- the log ----

# sb_log_lines: the number of records in $S's log.
sb_log_lines() {
	"$WARD" --state-dir "$S" log export --format ascii -o "$T/.sb.log" >/dev/null
	wc -l <"$T/.sb.log"
}

# sb_log_since N OUT: the records after the first N of $S's log, one line each in OUT as
# `ward log export --format ascii` writes them (template data in hex: every byte of a record).
sb_log_since() {
	"$WARD" --state-dir "$S" log export --format ascii -o "$T/.sb.log" >/dev/null
	tail -n "+$(($1 + 1))" "$T/.sb.log" >"$2"
}

# sb_log_text OUT: $S's log as text a search can look into: `ward log show --json`, and each
# record's template data decoded from hex.
sb_log_text() {
	"$WARD" --state-dir "$S" log show --json >"$1"
	"$WARD" --state-dir "$S" log export --format ascii -o "$T/.sb.log" >/dev/null
	python3 - "$T/.sb.log" >>"$1" <<'EOF'
import sys
for line in open(sys.argv[1]):
    for word in line.split():
        try:
            sys.stdout.write(bytes.fromhex(word).decode("utf-8", "replace") + "\n")
        except ValueError:
            sys.stdout.write(word + "\n")
EOF
}
