#!/usr/bin/env bash
# The attested channel (docs/channel.md) as a client of a SaaS meets it: `ward call` against
# `wardd --listen`, through haproxy in TCP mode (the provider's proxy). What issue 7 must show:
#  1. correct results (cat, tr a-z A-Z; 0 bytes to 1 MiB) with the soft key pinned;
#  2. a capture of the proxy's traffic (both sides of haproxy) holds no plaintext of the input
#     or the output, where the same marker through a plaintext relay is found;
#  3. a man in the middle that terminates TLS with its own key (socat) is refused before any
#     input is sent: the MITM's own dump of what the client sent holds the HELLO and nothing
#     else, and the service served nothing;
#  4. replay: plain `ward verify` refuses a CHANNEL statement, and a fake server replaying an
#     earlier connection's evidence is refused with the nonce reason, no input sent;
#  5. --manifest-digest and --min-policy-version / --policy-issuer, unmet and met;
#  6. two wardd behind one haproxy (roundrobin): both serve verified calls; with one key pinned
#     the calls that reach the other instance are refused (haproxy's own counts say which);
#  7. bad input: garbage instead of TLS, garbage frames, silent and trickling clients, input
#     over max_input_bytes, a client gone mid-input (its sandbox destroyed, the pool refilled),
#     --max-connections;
#  8. a policy installed between the evidence and the result: ERROR policy-changed, no output;
#  9. load: 2000 requests from 64 concurrent clients, all right; wardd's RSS flat; no channel
#     child left;
# and a tpm (swtpm) round trip with --ak-key.
# Peers that misbehave on purpose are channel-peer.py (Python's ssl has no TLS exporter, so
# they verify nothing; they are what a hostile client or server puts on the wire).
# shellcheck disable=SC2016,SC2317,SC2018,SC2019 # the sandbox's shell expands $x; helpers run
# through wait_for and expect_*; tr a-z A-Z is byte-wise on purpose (it is what upper runs)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=wardd-lib.sh
. "$(dirname "$0")/wardd-lib.sh"
# shellcheck source-path=SCRIPTDIR source=tpm-lib.sh
. "$(dirname "$0")/tpm-lib.sh"

# Under AddressSanitizer (make check's second pass) freed memory sits in ASan's quarantine, so a
# process's RSS grows with every allocation whatever it frees: without the quarantine the RSS
# check of section 9 measures wardd, not ASan. (LeakSanitizer still checks every exit.)
if [[ -n "${ASAN_OPTIONS:-}" ]]; then
	export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
fi
require_cmd haproxy socat tcpdump openssl ss jq cmp xxd base32 xargs
# This test runs longer than wardd-lib's default lifetime of a wardd (meson gives it 600 s).
WARDD_LIFETIME=580
PEER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/channel-peer.py

# Free TCP ports on 127.0.0.1, all distinct (held together while they are picked).
read -r P_A P_B P_POL P_LIM P_TPM P_ONE P_TWO P_MITM P_FAKE P_RELAY P_SINK < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(11)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# wait_for DESCRIPTION CMD...: poll CMD until it succeeds (deadline); fail DESCRIPTION if never.
wait_for() {
	local what=$1 t=$((SECONDS + DEADLINE_S))
	shift
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS > t)); then
			fail "$what (not reached within ${DEADLINE_S}s)"
			return 1
		fi
		sleep 0.1
	done
}
listening() { ss -Hltn "sport = :$1" | grep -q .; }

# call PORT [OPTION...] SERVICE: ward call through 127.0.0.1:PORT (stdin in, stdout out).
call() {
	local port=$1
	shift
	timeout -k 5 120 "$WARD" call --connect "127.0.0.1:$port" "$@"
}
# peer ARG...: channel-peer.py, bounded.
peer() { timeout -k 5 120 python3 "$PEER" "$@"; }
# settled NAME: the "ok" count of wardd NAME's cat service once nothing is busy and its pool is
# full (a request is counted when its sandbox is done, which may be just after its client has
# the answer).
settled() { wardd_wait_counts "$1" cat '^[0-9]+ [0-9]+ 2 0 0 0$' | cut -d' ' -f1; }
# conn_pids PORT: the processes holding a TCP connection (not the listening socket) whose local
# port is PORT: on a wardd --listen port, its channel children still serving (or left behind).
conn_pids() {
	ss -Htnp state connected "sport = :$1" | grep -o 'pid=[0-9]*' | sort -u | sed 's/pid=//'
}
no_conn_pids() { [[ -z "$(conn_pids "$1")" ]]; }
# soft_key STATE OUT: the soft attester public key of a state dir.
soft_key() { "$WARD" --state-dir "$1" attester pubkey >"$2"; }

# ---------------------------------------------------------------------------------------------
# The services: cat and upper with warm pools; small refuses an input over 1024 bytes.
SVC=$T/svc
mkdir -p "$SVC"
chmod 0755 "$T" "$SVC"
manifest "$SVC/cat.json" '{"name": "cat", "argv": ["/usr/bin/cat"], "memory_mb": 64, "pool": 2}'
manifest "$SVC/upper.json" '{"name": "upper", "argv": ["/usr/bin/tr", "a-z", "A-Z"],
 "memory_mb": 64, "pool": 2}'
manifest "$SVC/small.json" '{"name": "small", "argv": ["/usr/bin/cat"], "memory_mb": 32,
 "max_input_bytes": 1024, "pool": 1}'

section "two wardd --listen, haproxy in TCP mode in front"
# The quote rate is raised for the load of section 9 (the default, 20/s, would refuse it by
# design); every other limit is the default.
if ! wardd_start a "$SVC" --listen "127.0.0.1:$P_A" --quote-rate 100000 ||
	! wardd_start b "$SVC" --listen "127.0.0.1:$P_B" --quote-rate 100000; then
	fail "wardd a and b start with --listen"
	finish
fi
pass "wardd a and b start with --listen"
check "wardd a says where its channel listens" grep -qxF \
	"wardd: attested channel on 127.0.0.1:$P_A (TLS 1.3; at most 64 connections, 100000 quotes/s)" "${WD_LOG[a]}"
soft_key "${WD_STATE[a]}" "$T/a.pem"
soft_key "${WD_STATE[b]}" "$T/b.pem"
check "a and b have different soft keys" bash -c '! cmp -s "$1" "$2"' _ "$T/a.pem" "$T/b.pem"

section "the keys stay out of the sandboxes"
# Only a connection's child loads the soft attester's private key, to sign that connection's
# evidence; wardd never does (decoding it would leave copies in freed memory, inherited by every
# sandbox forked from wardd), and a sandbox's monitor frees the channel's TLS context before it
# starts the sandbox's keeper and init. With a connection held after its EVIDENCE, the raw
# 32-byte key is searched for in the readable memory of wardd and of every process below it:
# found in that connection's child (the search works), nowhere else.
settled a >/dev/null
wardd_wait_counts a upper '^[0-9]+ [0-9]+ 2 0 0 0$' >/dev/null
wardd_wait_counts a small '^[0-9]+ [0-9]+ 1 0 0 0$' >/dev/null
peer request 127.0.0.1 "$P_A" cat --declare 3 --send 3 --pause "$T/ks.paused" --go "$T/ks.go" \
	>"$T/ks.out" 2>&1 &
KS=$!
wait_for "a connection holds its evidence" test -e "$T/ks.paused" || true
KS_CHILD=$(conn_pids "$P_A" | head -1)
python3 - "${WD_STATE[a]}/soft-key.pem" "${WD_PID[a]}" >"$T/keyscan.txt" <<'PY' || true
import base64, os, sys
der = base64.b64decode("".join(l for l in open(sys.argv[1]).read().splitlines()
                               if not l.startswith("-----")))
assert der[-34:-32] == b"\x04\x20", "not a PKCS#8 Ed25519 key"
key = der[-32:]

def below(pid):
    out = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            kids = open(f"/proc/{pid}/task/{t}/children").read().split()
        except OSError:
            continue
        for k in kids:
            out += [int(k)] + below(int(k))
    return out

def hits(pid):
    n = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            if "r" not in f[1] or hi - lo > 1 << 32:
                continue
            try:
                mem.seek(lo)
                n += mem.read(hi - lo).count(key)
            except (OSError, OverflowError, ValueError):
                pass
    return n

top = int(sys.argv[2])
print(top, "wardd", hits(top))
for p in below(top):
    try:
        print(p, open(f"/proc/{p}/comm").read().strip(), hits(p))
    except OSError:
        pass
PY
touch "$T/ks.go"
wait "$KS" || true
sed 's/^/#   /' "$T/keyscan.txt"
check "the search finds the soft key in the connection's child, which signed with it" \
	awk -v c="${KS_CHILD:-none}" '$1 == c && $3 > 0 { ok = 1 } END { exit !ok }' "$T/keyscan.txt"
check "sandbox processes were searched (monitors, keepers, inits)" \
	awk '$2 == "ward-sandbox" { n++ } END { exit n < 4 }' "$T/keyscan.txt"
check "neither wardd nor any sandbox process holds the soft key" \
	awk -v c="${KS_CHILD:-none}" '$1 != c && $3 != 0 { bad = 1 } END { exit bad }' "$T/keyscan.txt"
check "the held request was then served" grep -qx 'RESULT ok .*' "$T/ks.out"

# fe_one: only wardd a behind it; fe_two: a and b, roundrobin. The stats socket gives each
# server's session count (which instance a connection reached).
cat >"$T/haproxy.cfg" <<EOF
global
	maxconn 4096
	stats socket $T/haproxy.sock mode 600 level admin
defaults
	mode tcp
	timeout connect 10s
	timeout client 120s
	timeout server 120s
frontend fe_one
	bind 127.0.0.1:$P_ONE
	default_backend be_one
frontend fe_two
	bind 127.0.0.1:$P_TWO
	default_backend be_two
backend be_one
	server a 127.0.0.1:$P_A
backend be_two
	balance roundrobin
	server a 127.0.0.1:$P_A
	server b 127.0.0.1:$P_B
EOF
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
track_pid $!
wait_for "haproxy listens on both fronts" bash -c "ss -Hltn 'sport = :$P_ONE' | grep -q . && ss -Hltn 'sport = :$P_TWO' | grep -q ." &&
	pass "haproxy listens on both fronts"
# hap_sessions BACKEND SERVER: haproxy's total sessions (stot) of that server.
hap_sessions() {
	echo "show stat" | socat - "UNIX-CONNECT:$T/haproxy.sock" |
		awk -F, -v b="$1" -v s="$2" '$1 == b && $2 == s { print $8 }'
}

# =============================================================================================
section "1. correct results through haproxy (soft key pinned)"
mkdir -p "$T/rt"
for n in 0 1 4096 65543 1048576; do
	head -c "$n" /dev/urandom >"$T/rt/in$n"
	expect_rc 0 "cat, $n bytes" call "$P_ONE" --soft-key "$T/a.pem" cat <"$T/rt/in$n"
	check "cat, $n bytes: the output is the input" cmp "$OUT" "$T/rt/in$n"
	expect_eq "$(wc -c <"$ERR")" 0 "cat, $n bytes: nothing on stderr"
	expect_rc 0 "upper, $n bytes" call "$P_ONE" --soft-key "$T/a.pem" upper <"$T/rt/in$n"
	tr a-z A-Z <"$T/rt/in$n" >"$T/rt/want$n"
	check "upper, $n bytes: the output is tr a-z A-Z of the input" cmp "$OUT" "$T/rt/want$n"
done
expect_rc 0 "a text through upper, --json" call "$P_ONE" --soft-key "$T/a.pem" --json upper <<<"hello channel"
expect_stdout_line "HELLO CHANNEL"
expect_eq "$(head -n 1 "$ERR" | jq -c '[.trusted, .attester, .root, .input_sent, .input_bytes, .status, .output_bytes]')" \
	'[true,"soft","soft",true,14,"ok",14]' "--json: trusted soft evidence, 14 bytes sent, ok, 14 back"

# =============================================================================================
section "2. the proxy's traffic holds no plaintext"
# A long random marker of lower-case letters and digits, 300 lines of it: upper's output is
# the same in upper case. tcpdump captures haproxy's front (client side) and back (wardd a)
# ports; a second capture, of a plaintext socat relay carrying the same bytes, is the
# positive control: there the same grep finds both, so the grep can fail.
MARK=ward-plaintext-$(head -c 40 /dev/urandom | base32 | tr -d '=' | tr 'A-Z' 'a-z')
MARK_UP=${MARK^^}
for _ in $(seq 300); do printf '%s\n' "$MARK"; done >"$T/mark.in"
tr a-z A-Z <"$T/mark.in" >"$T/mark.want"
# capture NAME PORT...: tcpdump on lo of these ports into $T/NAME.pcap (background, ready).
capture() {
	local name=$1 filter="" p
	shift
	for p in "$@"; do filter+="${filter:+ or }tcp port $p"; done
	tcpdump -i lo -U -n -s 0 -w "$T/$name.pcap" "$filter" 2>"$T/$name.tcpdump.err" &
	CAP_PID=$!
	track_pid "$CAP_PID"
	wait_for "tcpdump $name is listening" grep -q 'listening on' "$T/$name.tcpdump.err"
}
# syns NAME PORT: connections opened to PORT in capture NAME (SYN without ACK).
syns() {
	tcpdump -r "$T/$1.pcap" -nn "tcp dst port $2 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" 2>/dev/null | wc -l
}
# payload_bytes NAME DIR PORT: TCP payload bytes sent to (DIR dst) or from (src) PORT in
# capture NAME.
payload_bytes() {
	tcpdump -r "$T/$1.pcap" -nn -q "tcp $2 port $3" 2>/dev/null | awk '{ n += $NF } END { print n + 0 }'
}
# stop_capture NAME PORT IN OUT: wait until the capture holds at least IN bytes of payload
# sent to PORT and OUT sent from it (what the calls carried: every packet of them is in; packets
# on lo reach tcpdump's socket as they are sent, but a SIGINT drops what it has not read yet),
# then stop tcpdump.
stop_capture() {
	wait_for "capture $1 holds at least $3 bytes to port $2 and $4 from it" bash -c \
		"(( \$(tcpdump -r '$T/$1.pcap' -nn -q 'tcp dst port $2' 2>/dev/null | awk '{ n += \$NF } END { print n + 0 }') >= $3 &&
		    \$(tcpdump -r '$T/$1.pcap' -nn -q 'tcp src port $2' 2>/dev/null | awk '{ n += \$NF } END { print n + 0 }') >= $4 ))" || true
	kill -INT "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
}
capture ward "$P_ONE" "$P_A"
expect_rc 0 "cat of the marker through haproxy" call "$P_ONE" --soft-key "$T/a.pem" cat <"$T/mark.in"
check "cat: the marker came back" cmp "$OUT" "$T/mark.in"
expect_rc 0 "upper of the marker through haproxy" call "$P_ONE" --soft-key "$T/a.pem" upper <"$T/mark.in"
check "upper: the marker came back upper-cased" cmp "$OUT" "$T/mark.want"
insize=$((2 * $(stat -c %s "$T/mark.in")))
stop_capture ward "$P_A" "$insize" "$insize"
note "capture of haproxy's two sides: $(stat -c %s "$T/ward.pcap") bytes"
expect_eq "$(syns ward "$P_ONE")" 2 "the capture holds both connections to haproxy's front port"
expect_eq "$(syns ward "$P_A")" 2 "... and both of haproxy's to wardd (its back port)"
for dir in dst src; do
	check "the bytes carried ($dir port wardd) are at least both inputs' ($insize)" \
		test "$(payload_bytes ward "$dir" "$P_A")" -ge "$insize"
	check "... and on haproxy's front port ($dir)" test "$(payload_bytes ward "$dir" "$P_ONE")" -ge "$insize"
done
expect_eq "$(grep -caF "$MARK" "$T/ward.pcap" || true)" 0 "the capture holds no copy of the input's marker"
expect_eq "$(grep -caF "$MARK_UP" "$T/ward.pcap" || true)" 0 "the capture holds no copy of the upper-cased output"
expect_eq "$(grep -caF "${MARK:0:24}" "$T/ward.pcap" || true)" 0 "... not even its first 24 bytes"

# The positive control: the same input and output through a plaintext relay.
socat -u "TCP-LISTEN:$P_SINK,bind=127.0.0.1,reuseaddr" "CREATE:$T/sink.out" &
track_pid $!
socat "TCP-LISTEN:$P_RELAY,bind=127.0.0.1,reuseaddr" "TCP:127.0.0.1:$P_SINK" &
track_pid $!
wait_for "the plaintext relay listens" listening "$P_RELAY"
wait_for "the plaintext sink listens" listening "$P_SINK"
capture plain "$P_RELAY" "$P_SINK"
cat "$T/mark.in" "$T/mark.want" >"$T/plain.in"
expect_rc 0 "the marker and its upper-case through a plaintext socat relay" \
	timeout 60 socat -u "FILE:$T/plain.in" "TCP:127.0.0.1:$P_RELAY"
wait_for "the sink has it all" cmp -s "$T/sink.out" "$T/plain.in" && pass "the plaintext sink received it all"
stop_capture plain "$P_SINK" "$(stat -c %s "$T/plain.in")" 0
check "the plaintext capture carried it all to the sink" test "$(payload_bytes plain dst "$P_SINK")" -ge "$(stat -c %s "$T/plain.in")"
check "control: the plaintext capture holds the marker (the grep can fail)" \
	test "$(grep -caF "$MARK" "$T/plain.pcap" || true)" -gt 0
check "control: ... and the upper-cased output" \
	test "$(grep -caF "$MARK_UP" "$T/plain.pcap" || true)" -gt 0

# =============================================================================================
# The client's reason for evidence whose nonce is not its own binding of this connection.
NOT_BOUND="  reason: the evidence is not bound to this connection (its nonce covers another TLS session, server key, client nonce or service): a man in the middle, or evidence replayed from another connection"
section "3. a man in the middle with its own TLS key is refused before any input is sent"
# socat terminates the client's TLS with a throwaway certificate and opens its own TLS to
# haproxy. Its -r dump is every byte the client sent, decrypted: the oracle of "nothing
# sent" is that it holds exactly one frame, a HELLO, and no byte of the marker. Its -R dump
# shows it did get wardd's evidence in the clear (the MITM works as a relay). wardd a's
# counts: the cat service served nothing.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mitm -days 1 \
	-keyout "$T/mitm.key" -out "$T/mitm.crt" >/dev/null 2>&1
cat "$T/mitm.crt" "$T/mitm.key" >"$T/mitm.pem"
before=$(settled a)
socat -r "$T/mitm.c2s" -R "$T/mitm.s2c" \
	"OPENSSL-LISTEN:$P_MITM,bind=127.0.0.1,reuseaddr,cert=$T/mitm.pem,verify=0" \
	"OPENSSL:127.0.0.1:$P_ONE,verify=0" 2>"$T/mitm.err" &
track_pid $!
wait_for "the MITM listens" listening "$P_MITM"
expect_rc 1 "ward call through the MITM: exit 1" call "$P_MITM" --soft-key "$T/a.pem" --json cat <"$T/mark.in"
expect_stderr_line "ward: call: 127.0.0.1:$P_MITM: evidence refused (soft, root soft); nothing was sent:"
expect_stderr_line "$NOT_BOUND"
expect_eq "$(grep -c '^  reason: ' "$ERR")" 1 "the nonce is the only reason (the signature and log are wardd's own)"
expect_eq "$(head -n 1 "$ERR" | jq -c '[.evidence, .trusted, .input_sent, .input_bytes]')" \
	'[true,false,false,0]' "--json: evidence received, not trusted, input not sent"
expect_stdout_nomatch . "nothing on stdout"
wait_for "the MITM's socat ends with the connection" bash -c "! ss -Hltn 'sport = :$P_MITM' | grep -q ." || true
frames_of() {
	python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
out, off = [], 0
while off + 8 <= len(b):
    t, n = struct.unpack(">B3xI", b[off:off + 8])
    out.append("%d:%d" % (t, n))
    off += 8 + n
print(" ".join(out), "rest=%d" % (len(b) - off))
EOF
}
c2s=$(frames_of "$T/mitm.c2s")
check "the MITM saw one HELLO from the client and nothing after it ($c2s)" \
	bash -c '[[ $1 =~ ^1:[0-9]+\ rest=0$ ]]' _ "$c2s"
check "the MITM's client-side dump holds no byte of the marker" bash -c '! grep -qaF "${1:0:16}" "$2"' _ "$MARK" "$T/mitm.c2s"
check "the MITM relayed wardd's EVIDENCE in the clear (it is a working relay)" \
	bash -c '[[ $(head -c 1 "$1" | xxd -p) == 02 ]]' _ "$T/mitm.s2c"
expect_eq "$(settled a)" "$before" "wardd a's cat served no request"

# =============================================================================================
section "4. replayed evidence is refused"
expect_rc 0 "fetch an EVIDENCE through haproxy (channel-peer.py; no input follows)" \
	peer evidence 127.0.0.1 "$P_ONE" cat "$T/ev.json"
# The statement's own nonce (section 4 of docs/evidence-format.md), so that plain `ward
# verify` has nothing against this evidence but its CHANNEL flag.
stmt_nonce=$(python3 - "$T/ev.json" <<'EOF'
import base64, json, struct, sys
m = base64.b64decode(json.load(open(sys.argv[1]))["quote"]["message"])
off = 8
for _ in range(3):
    n = struct.unpack(">H", m[off:off + 2])[0]
    off += 2 + n
n = struct.unpack(">H", m[off:off + 2])[0]
print(m[off + 2:off + 2 + n].hex())
EOF
)
expect_eq "${#stmt_nonce}" 128 "the statement's nonce is 64 bytes (SHA-512 of the binding)"
expect_rc 1 "ward verify of a CHANNEL statement (its own nonce, a's key): refused" \
	timeout 60 "$WARD" verify "$T/ev.json" --nonce "$stmt_nonce" --soft-key "$T/a.pem"
expect_stdout_line "  reason: the statement was made for a client of the attested channel (ward call), not as evidence"
expect_eq "$(grep -c '^  reason: ' "$OUT")" 1 "... the only reason"

# A fake server of its own key replays that evidence to a new connection of ward call.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=replay -days 1 \
	-keyout "$T/fake.key" -out "$T/fake.crt" >/dev/null 2>&1
peer replay-server "$P_FAKE" "$T/fake.crt" "$T/fake.key" "$T/ev.json" "$T/fake.ready" >"$T/fake.out" 2>&1 &
FAKE=$!
track_pid "$FAKE"
wait_for "the replaying server is ready" test -e "$T/fake.ready"
expect_rc 1 "ward call against the replaying server: exit 1" call "$P_FAKE" --soft-key "$T/a.pem" cat <"$T/mark.in"
expect_stderr_line "$NOT_BOUND"
expect_eq "$(grep -c '^  reason: ' "$ERR")" 1 "the nonce is the only reason"
wait "$FAKE" || true
expect_eq "$(cat "$T/fake.out")" "after its HELLO the client sent 0 bytes, frames []" \
	"the replaying server received nothing after the HELLO"

# =============================================================================================
section "5a. --manifest-digest"
run "$WARD" sandbox digest "$SVC/cat.json"
expect_eq "$(cat "$OUT")" "sha256:$(sha256_file "$SVC/cat.json")" "ward sandbox digest is the sha256 of the file"
D_CAT=$(cat "$OUT")
check "wardd a registered cat with that digest" grep -qF "manifest $D_CAT" "${WD_LOG[a]}"
D_UP=$("$WARD" sandbox digest "$SVC/upper.json")
before=$(settled a)
expect_rc 1 "cat with upper's manifest digest: exit 1" call "$P_ONE" --soft-key "$T/a.pem" \
	--manifest-digest "$D_UP" --json cat <<<"secret"
expect_stderr_line "  reason: service 'cat' is registered (record 0) with manifest $D_CAT, not $D_UP"
expect_eq "$(head -n 1 "$ERR" | jq -c '[.trusted, .input_sent]')" '[false,false]' "--json: not trusted, nothing sent"
expect_eq "$(settled a)" "$before" "wardd a's cat served no request"
expect_rc 0 "cat with its own manifest digest: exit 0" call "$P_ONE" --soft-key "$T/a.pem" \
	--manifest-digest "$D_CAT" cat <<<"secret"
expect_stdout_line "secret"

# =============================================================================================
section "6. two wardd behind one haproxy (roundrobin)"
ca0=$(settled a) cb0=$(settled b)
good=0
for i in $(seq 10); do
	r=0
	out=$(printf 'both %s\n' "$i" | call "$P_TWO" --soft-key "$T/a.pem" --soft-key "$T/b.pem" cat 2>>"$T/two.err") || r=$?
	[[ $r != 0 || "$out" != "both $i" ]] || good=$((good + 1))
done
expect_eq "$good" 10 "10 calls with both keys pinned: every one exits 0 with its answer"
da=$(($(settled a) - ca0)) db=$(($(settled b) - cb0))
note "served by a: $da, by b: $db"
check "wardd a served some of them" test "$da" -ge 1
check "wardd b served some of them" test "$db" -ge 1
expect_eq "$((da + db))" 10 "together they served the 10"

sa0=$(hap_sessions be_two a) sb0=$(hap_sessions be_two b) cb0=$(settled b)
good=0 refused=0 other=0
: >"$T/one-key.err"
for i in $(seq 10); do
	r=0
	out=$(printf 'only a %s\n' "$i" | call "$P_TWO" --soft-key "$T/a.pem" cat 2>"$T/one.err") || r=$?
	if [[ $r == 0 && "$out" == "only a $i" ]]; then
		good=$((good + 1))
	elif [[ $r == 1 && -z "$out" ]] &&
		grep -qxF "  reason: signed by a soft attester key that is not pinned" "$T/one.err"; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
		cat "$T/one.err" >>"$T/one-key.err"
	fi
done
sa=$(($(hap_sessions be_two a) - sa0)) sb=$(($(hap_sessions be_two b) - sb0))
note "only a's key pinned: $good ok, $refused refused; haproxy sent $sa to a, $sb to b"
expect_eq "$other" 0 "only a's key: every call either succeeds or is refused for b's key"
[[ $other == 0 ]] || sed 's/^/#     /' "$T/one-key.err"
check "some calls reached b" test "$sb" -ge 1
expect_eq "$good" "$sa" "every call that reached a succeeded"
expect_eq "$refused" "$sb" "every call that reached b was refused (signed by a soft attester key that is not pinned)"
expect_eq "$(settled b)" "$cb0" "wardd b served none of them (nothing was sent)"

# =============================================================================================
section "7. bad input"
H=(127.0.0.1 "$P_A")
# A client that takes the evidence and never sends its REQUEST: dropped after the 30 s deadline
# for it (docs/channel.md); it runs while the rest of this section does, and 90 s is only how
# long the peer waits.
peer --bound 90 stall "${H[@]}" cat >"$T/stall.out" 2>&1 &
STALL=$!
expect_rc 0 "garbage bytes instead of a TLS ClientHello" \
	peer raw "${H[@]}" "$(head -c 3000 /dev/urandom | xxd -p | tr -d '\n')"
expect_stdout_match '^closed: ' "wardd closed the connection"
expect_rc 0 "a frame of unknown type 9" peer frames "${H[@]}" 0900000000000000
expect_stdout_line "ERROR bad-request: channel: unknown frame type 9"
expect_rc 0 "a REQUEST frame first" peer frames "${H[@]}" 030000000000000800000000000000ff
expect_stdout_line "ERROR bad-request: channel: REQUEST frame where HELLO was due"
expect_rc 0 "a HELLO announcing 4 GiB" peer frames "${H[@]}" 01000000ffffffff
expect_stdout_line "ERROR bad-request: channel: HELLO frame of 4294967295 bytes (at most 95)"
expect_rc 0 "a HELLO with non-zero reserved bytes" peer frames "${H[@]}" 0101010100000000
expect_stdout_line "ERROR bad-request: channel: HELLO frame with non-zero reserved bytes"
expect_rc 0 "a HELLO of 3 garbage bytes" peer frames "${H[@]}" 0100000000000003414243
expect_stdout_line "ERROR bad-request: channel: HELLO version 16706 (this side speaks 1)"
expect_rc 0 "a HELLO with an 8-byte nonce" peer hello "${H[@]}" cat --nonce-len 8
expect_stdout_line "ERROR bad-request: channel: a nonce of 8 bytes (16..64)"
expect_rc 0 "a HELLO of version 2" peer hello "${H[@]}" cat --version 2
expect_stdout_line "ERROR bad-request: channel: HELLO version 2 (this side speaks 1)"
expect_rc 0 "a HELLO for a service that does not exist" peer hello "${H[@]}" nosuch
expect_stdout_line "ERROR unknown-service: no such service"
expect_rc 1 "ward call of a service that does not exist" call "$P_A" --soft-key "$T/a.pem" nosuch <<<"x"
expect_stderr_line "ward: call nosuch: unknown-service (no such service)"

# Silent and slow clients: dropped after the handshake-and-HELLO deadline (10 s). The 30 s
# here is only how long the peer waits, not an assertion on the deadline.
expect_rc 0 "a TCP client that never starts TLS" peer --bound 30 silent "${H[@]}" --tcp
expect_stdout_line "closed by the server (eof) within the bound (30 s)"
expect_rc 0 "a TLS client that never sends its HELLO" peer --bound 30 silent "${H[@]}" --tls
expect_stdout_line "closed by the server (eof) within the bound (30 s)"
expect_rc 0 "a TLS client that sends its HELLO one byte every 4 s" peer --bound 40 trickle "${H[@]}" cat --every 4
expect_stdout_match '^closed by the server after [0-9]+ of [0-9]+ bytes$'

expect_rc 1 "ward call with 2000 bytes for small (max_input_bytes 1024)" \
	call "$P_A" --soft-key "$T/a.pem" small < <(head -c 2000 /dev/zero)
expect_stderr_line "ward: call small: input-too-large (the input is larger than max_input_bytes (1024))"
expect_stdout_nomatch . "no output"
expect_rc 0 "a client declaring 2000 bytes for small" peer request "${H[@]}" small --declare 2000 --send 2000
expect_stdout_line "RESULT input-too-large exit -1 output 0 stderr 0: the input is larger than max_input_bytes (1024) body b''"
expect_rc 0 "1024 bytes for small: served" call "$P_A" --soft-key "$T/a.pem" small < <(head -c 1024 /dev/zero)
expect_eq "$(wc -c <"$OUT")" 1024 "... 1024 bytes back"

# A client that hangs up mid-input: its sandbox is destroyed (counted failed), the pool refills,
# the next request works, and no channel child is left.
expect_eq "$(wardd_wait_counts a cat '^[0-9]+ [0-9]+ 2 0 0 0$' | cut -d' ' -f3-)" "2 0 0 0" "cat: 2 ready, nothing busy"
c0=$(wardd_counts a cat)
expect_rc 0 "a client declares 1 MiB for cat, sends 64 KiB and hangs up" \
	peer request "${H[@]}" cat --declare 1048576 --send 65536
expect_stdout_line "hung up after 65536 of 1048576 bytes"
want="$(cut -d' ' -f1 <<<"$c0") $(($(cut -d' ' -f2 <<<"$c0") + 1)) 2 0 0 0"
expect_eq "$(wardd_wait_counts a cat "^$want\$")" "$want" \
	"cat: one more failed, none more ok, back to 2 ready and nothing busy"
n_cat=0
t=$((SECONDS + DEADLINE_S))
while :; do
	n_cat=0
	for p in $(wardd_sandbox_pids a); do
		[[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" != "/usr/bin/cat " ]] || n_cat=$((n_cat + 1))
	done
	# cat and small both run /usr/bin/cat: 2 + 1 warm.
	((n_cat != 3 && SECONDS < t)) || break
	sleep 0.2
done
expect_eq "$n_cat" 3 "exactly the warm sandboxes run cat (2 of cat, 1 of small): none left from the hang-up"
wait_for "no channel child of wardd a is left" no_conn_pids "$P_A" && pass "no channel child of wardd a is left"
expect_rc 0 "the next request works" call "$P_A" --soft-key "$T/a.pem" cat <<<"after the hang-up"
expect_stdout_line "after the hang-up"
wait "$STALL" || true
expect_eq "$(cat "$T/stall.out")" "closed by the server (eof) after the EVIDENCE, within the bound (90 s)" \
	"a client that never sends its REQUEST after the EVIDENCE is dropped"

section "7b. --max-connections 2: a third idle connection is closed; --quote-rate 1"
LIMSVC=$T/limsvc
mkdir -p "$LIMSVC"
chmod 0755 "$LIMSVC"
manifest "$LIMSVC/cat.json" '{"name": "cat", "argv": ["/usr/bin/cat"], "memory_mb": 32, "pool": 1}'
if wardd_start lim "$LIMSVC" --listen "127.0.0.1:$P_LIM" --max-connections 2 --quote-rate 1; then
	soft_key "${WD_STATE[lim]}" "$T/lim.pem"
	mkfifo "$T/idle.hold"
	peer idle 127.0.0.1 "$P_LIM" 3 <"$T/idle.hold" >"$T/idle.out" 2>"$T/idle.err" &
	IDLE=$!
	exec 8>"$T/idle.hold"
	wait_for "the three connections were tried" bash -c "(( \$(wc -l <'$T/idle.out') >= 3 ))" || true
	expect_eq "$(cat "$T/idle.out")" "connection 1: open"$'\n'"connection 2: open"$'\n'"connection 3: closed" \
		"two idle TLS connections are held, the third is closed"
	exec 8>&-
	wait "$IDLE" || true
	wait_for "the idle connections' children are gone" no_conn_pids "$P_LIM" && pass "the idle connections' children are gone"
	expect_rc 0 "then a call is served again" call "$P_LIM" --soft-key "$T/lim.pem" cat <<<"room again"
	expect_stdout_line "room again"
	# --quote-rate 1 (burst 1): of two HELLOs back to back, the second finds no token. A pair
	# that took over a second would find one refilled: up to five pairs are tried, and the
	# assertion is on the refusal and its reason, never on a duration.
	rate_msg=""
	for _ in 1 2 3 4 5; do
		peer evidence 127.0.0.1 "$P_LIM" cat "$T/rate1.json" >/dev/null 2>&1 || true
		rate_msg=$(peer evidence 127.0.0.1 "$P_LIM" cat "$T/rate2.json" 2>&1 || true)
		[[ $rate_msg != EVIDENCE* ]] && break
		sleep 1.1
	done
	expect_eq "$rate_msg" "ERROR unavailable: busy: the server's quote rate limit is reached, try again later" \
		"--quote-rate 1: a second HELLO at once is refused, no quote made"
	wardd_stop lim
	expect_eq "$LEFT" "" "wardd lim left nothing behind"
else
	fail "wardd lim starts with --max-connections 2"
fi

# =============================================================================================
section "9. load: 2000 requests from 64 concurrent clients through haproxy"
# Against wardd a alone (fe_one), with the default --max-connections (64) and --max-sandboxes.
# Each client checks its own answer (upper of a text of its own). RSS is read once after a
# warm-up of 256 requests (the allocator's arenas and OpenSSL's tables are then in place) and
# once after the 2000. wardd's main process only accepts and forks: the TLS, the evidence and
# the relay are in its children, and the log grows per service, not per request. So its
# memory should not grow with requests at all; the bound, 2 MiB, is what a leak of 1 KiB per
# request would pass, so any per-request leak of at least that size fails it.
mkdir -p "$T/load"
cat >"$T/load/one.sh" <<EOF
i=\$1
in="request \$i \$(head -c 12 /dev/urandom | xxd -p)"
rc=0
out=\$(printf '%s' "\$in" | timeout -k 5 900 "$WARD" call --timeout 800 --connect 127.0.0.1:$P_ONE --soft-key "$T/a.pem" upper 2>"$T/load/err\$i") || rc=\$?
if [[ \$rc == 0 && "\$out" == "\${in^^}" ]]; then echo ok; else echo "fail \$i rc=\$rc"; fi
EOF
seq 256 | xargs -P 64 -n 1 bash "$T/load/one.sh" >"$T/load/warm.res"
expect_eq "$(grep -c '^ok$' "$T/load/warm.res")" 256 "warm-up: 256 requests from 64 clients, all right"
wait_for "the warm-up's channel children are gone" no_conn_pids "$P_A" || true
rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/${WD_PID[a]}/status")
rm -f "$T"/load/err*
seq 2000 | xargs -P 64 -n 1 bash "$T/load/one.sh" >"$T/load/main.res"
expect_eq "$(grep -c '^ok$' "$T/load/main.res")" 2000 "2000 requests from 64 concurrent clients: every one right"
if grep -q '^fail' "$T/load/main.res"; then
	note "failures: $(grep -c '^fail' "$T/load/main.res"); what their clients said:"
	cat "$T"/load/err* | sort | uniq -c | sort -rn | head -5 | sed 's/^/#     /'
	note "wardd a's log, but its counts:"
	grep -vE '^wardd: (service [^:]*: [0-9]+ ok|[0-9]+ requests served)' "${WD_LOG[a]}" | tail -n 20 | sed 's/^/#     /'
fi
wait_for "no channel child of wardd a is left after the load" no_conn_pids "$P_A" &&
	pass "no channel child of wardd a is left after the load"
rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/${WD_PID[a]}/status")
note "wardd a VmRSS: $rss0 kB after the warm-up, $rss1 kB after the 2000"
check "wardd a's RSS is flat: grew by $((rss1 - rss0)) kB, under 2048 kB" test $((rss1 - rss0)) -lt 2048
expect_eq "$(wardd_wait_counts a upper '^[0-9]+ [0-9]+ 2 0 0 0$' | cut -d' ' -f2-)" "0 2 0 0 0" \
	"upper: none failed, back to 2 ready"

# =============================================================================================
section "5b, 8. policy requirements, and a policy change between the evidence and the result"
BASE=$(usr_policy) || {
	fail "usr_policy: ward policy scan /usr"
	finish
}
"$WARD" policy keygen -o "$T/k" >"$T/k.id"
"$WARD" policy keygen -o "$T/other" >/dev/null
# mkpol OUT VERSION: the /usr allowlist as policy "chan" VERSION issued by k, signed.
mkpol() {
	python3 - "$BASE" "$(cat "$T/k.id")" "$1" "$2" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["name"], p["issuer"], p["version"] = "chan", sys.argv[2], int(sys.argv[4])
json.dump(p, open(sys.argv[3], "w"))
EOF
	"$WARD" policy sign --key "$T/k" "$1" >/dev/null 2>&1
}
for v in 1 2 3; do mkpol "$T/pol$v.json" "$v"; done
POLSVC=$T/polsvc
mkdir -p "$POLSVC"
chmod 0755 "$POLSVC"
manifest "$POLSVC/cat.json" '{"name": "cat", "argv": ["/usr/bin/cat"], "memory_mb": 32, "pool": 1}'
# slow: reads its input, then sleeps: in flight long enough for the test to install a policy
# (wardd ends it at the switch; 30 s is only how long it would sleep otherwise).
manifest "$POLSVC/slow.json" '{"name": "slow", "argv": ["/usr/bin/dash", "-c",
 "read -r x; /usr/bin/sleep 30; echo \"$x\"", "slow"], "measure": ["/usr/bin/sleep"],
 "fork": true, "threads": 4, "timeout_s": 60, "memory_mb": 32, "pool": 1}'
PS=$T/pol.state
new_state "$PS"
"$WARD" --state-dir "$PS" policy trust "$T/k.pub" >/dev/null
"$WARD" --state-dir "$PS" policy install "$T/pol1.json" >/dev/null
if wardd_start pol "$POLSVC" --listen "127.0.0.1:$P_POL"; then
	soft_key "$PS" "$T/pol.pem"
	PC=(call "$P_POL" --soft-key "$T/pol.pem")
	expect_rc 1 "--min-policy-version 2 with version 1 installed: exit 1" "${PC[@]}" --min-policy-version 2 cat <<<"secret"
	expect_stderr_match "^  reason: record [0-9]+: the installed policy is 'chan' version 1, older than the minimum 2$"
	expect_rc 0 "--min-policy-version 1: exit 0" "${PC[@]}" --min-policy-version 1 cat <<<"secret"
	expect_stdout_line "secret"
	expect_rc 0 "--policy-issuer k.pub: exit 0" "${PC[@]}" --policy-issuer "$T/k.pub" cat <<<"secret"
	expect_stdout_line "secret"
	expect_rc 1 "--policy-issuer of another key: exit 1" "${PC[@]}" --policy-issuer "$T/other.pub" cat <<<"secret"
	expect_stderr_match "^  reason: record [0-9]+: the installed policy is 'chan' version 1, signed by $(cat "$T/k.id"), not by the required issuer$"
	expect_stdout_nomatch . "no output"

	# 8a. The switch lands between the EVIDENCE and the REQUEST: the client (channel-peer.py)
	# waits after the evidence until the test has installed version 2 and wardd switched.
	peer request 127.0.0.1 "$P_POL" cat --declare 6 --send 6 --pause "$T/p8.paused" --go "$T/p8.go" >"$T/p8.out" 2>&1 &
	P8=$!
	wait_for "the client holds its evidence" test -e "$T/p8.paused" || true
	expect_rc 0 "install version 2 after the evidence" "$WARD" --state-dir "$PS" policy install "$T/pol2.json"
	wait_for "wardd pol switched to version 2" grep -q 'policy switched: chan version 2' "${WD_LOG[pol]}" || true
	touch "$T/p8.go"
	wait "$P8" || true
	expect_eq "$(cat "$T/p8.out")" "ERROR policy-changed: the installed policy changed after the evidence was made: the result of a run under another policy is not returned" \
		"the request sent after the switch: ERROR policy-changed, no RESULT"

	# 8b. The switch lands while the service runs: ward call exits 1 with policy-changed.
	call "$P_POL" --soft-key "$T/pol.pem" slow <<<"late" >"$T/p8b.out" 2>"$T/p8b.err" &
	P8B=$!
	slow_running() {
		local p
		for p in $(wardd_sandbox_pids pol); do
			[[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" != "/usr/bin/sleep 30 " ]] || return 0
		done
		return 1
	}
	wait_for "the slow service is running the request" slow_running || true
	expect_rc 0 "install version 3 while the request runs" "$WARD" --state-dir "$PS" policy install "$T/pol3.json"
	RC=0
	wait "$P8B" || RC=$?
	expect_eq "$RC" 1 "ward call: exit 1"
	expect_eq "$(cat "$T/p8b.out")" "" "no output"
	expect_eq "$(cat "$T/p8b.err")" "ward: call slow: policy-changed (the installed policy changed during the request: a sandbox runs under one policy)" \
		"ward call says policy-changed (wardd ended the sandbox at the switch)"
	expect_rc 0 "a call under version 3 works" "${PC[@]}" --min-policy-version 3 cat <<<"v3"
	expect_stdout_line "v3"
	wardd_stop pol
	expect_eq "$LEFT" "" "wardd pol left nothing behind"
	expect_clean_log pol
else
	fail "wardd pol starts following the installed policy"
fi

# =============================================================================================
section "tpm: the round trip with a swtpm, --ak-key"
tpm_start swtpm
TS=$T/tpm.state
if "$WARD" --state-dir "$TS" --attester tpm --tcti "$WARD_TPM_TCTI" attester pubkey >"$T/ak.pem" 2>"$T/ak.err"; then
	pass "a tpm state dir and its AK"
else
	fail "a tpm state dir and its AK"
	sed 's/^/#     /' "$T/ak.err"
fi
if wardd_start tpm "$LIMSVC" --listen "127.0.0.1:$P_TPM"; then
	expect_rc 0 "ward call --ak-key" call "$P_TPM" --ak-key "$T/ak.pem" --json cat <"$T/rt/in65543"
	check "the output is the input" cmp "$OUT" "$T/rt/in65543"
	expect_eq "$(head -n 1 "$ERR" | jq -c '[.trusted, .attester, .root, .input_sent]')" \
		'[true,"tpm","swtpm",true]' "--json: trusted tpm evidence (swtpm), input sent"
	expect_rc 1 "ward call with a soft key only: refused" call "$P_TPM" --soft-key "$T/a.pem" cat <<<"x"
	expect_stderr_line "  reason: tpm evidence is trusted only with a pinned attestation key (--ak-key)"
	wardd_stop tpm
	expect_eq "$LEFT" "" "wardd tpm left nothing behind"
else
	fail "wardd tpm starts with --listen"
fi

section "wardd a and b stop cleanly"
for n in a b; do
	wardd_stop "$n"
	expect_eq "$RC" 0 "wardd $n: exit 0 on SIGTERM"
	expect_eq "$LEFT" "" "wardd $n left nothing behind"
	expect_clean_log "$n"
done

finish
