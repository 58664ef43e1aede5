#!/usr/bin/env bash
# sandbox-net: a sandboxed service holding a client's secret tries to send it out over the
# network, with listeners waiting outside: TCP and UDP to 127.0.0.1, a UNIX socket at a path,
# an abstract UNIX socket, a socketpair, a DNS lookup (res_query and getaddrinfo, through a
# nameserver the test runs) and io_uring. Outside a sandbox every one of them reaches the
# listener (the positive control); inside, the seccomp allowlist refuses socket(2),
# socketpair(2) and io_uring_setup(2) with EPERM, the empty network namespace has only "lo",
# and the listeners receive nothing at all (a fence sent after the sandboxed run arrives right
# after the control's data, with nothing in between).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox-lib.sh
. "$(dirname "$0")/sandbox-lib.sh"
sb_init
sb_listen

NATIVE=$(sb_secret native)
SECRET=$(sb_secret SECRET)
FENCE=$(sb_secret fence)
STEPS=(tcp="$TCP_PORT" udp="$UDP_PORT" unix="$UNIX_SOCK" abstract="$ABSTRACT" socketpair
	dns="$DNS_PORT" io-uring netdev)

# every_channel VALUE: the events one run of STEPS with input VALUE gives the listener.
every_channel() {
	printf '%s\n' "tcp $1" "udp $1" "unix $1" "abstract $1" "dns $1.res.leak.test" \
		"dns $1.gai.leak.test"
}

section "outside a sandbox, every exit reaches the listener (the positive control)"
sb_native "host: leaky tries every network exit" "$NATIVE" "${STEPS[@]}"
for step in socket-tcp connect-tcp send-tcp socket-udp sendto-udp socket-unix connect-unix \
	send-unix socket-abstract connect-abstract send-abstract socketpair io_uring_setup; do
	expect_stdout_line "$step: ok" "host: $step works"
done
expect_stdout_line "res_query: failed h_errno=HOST_NOT_FOUND errno=0" \
	"host: res_query got the listener's NXDOMAIN"
expect_stdout_line "getaddrinfo: EAI_NONAME" "host: getaddrinfo got the listener's NXDOMAIN"
mapfile -t want < <(every_channel "$NATIVE")
if sb_wait_events "${want[@]}"; then
	pass "host: the listener received the input on tcp, udp, unix, abstract and as DNS queries"
else
	fail "host: the listener received the input on tcp, udp, unix, abstract and as DNS queries"
	sb_events | sed 's/^/#   got: /'
fi
sb_events >"$T/events.control"

section "inside a sandbox, every attempt fails with its exact errno"
sb_manifest "$T/net.json" leak-net '{}' "${STEPS[@]}"
sb_expect 0 "the sandboxed service ran and reported" "$T/net.json" "$SECRET"
for step in socket-tcp socket-udp socket-unix socket-abstract socketpair io_uring_setup; do
	expect_stdout_line "$step: errno=EPERM" "sandbox: $step: EPERM (seccomp allowlist)"
done
expect_stdout_nomatch '^(connect|send|sendto)-' "sandbox: no connect or send was ever possible"
expect_stdout_line "res_query: failed h_errno=TRY_AGAIN errno=EPERM" \
	"sandbox: res_query fails: its socket is refused (EPERM), no query leaves"
expect_stdout_line "getaddrinfo: EAI_NONAME" \
	"sandbox: getaddrinfo finds nothing (no DNS socket, no /etc/hosts)"
expect_stdout_line "netdev: lo" "sandbox: the network namespace has only lo"
expect_eq "$(wc -l <"$OUT")" 9 "sandbox: one line per attempt, nothing else"
expect_stderr_nomatch . "sandbox: ward printed nothing on stderr"

section "the listeners received nothing from the sandbox"
sb_native "host: the fence, sent after the sandboxed run" "$FENCE" "${STEPS[@]}"
mapfile -t want < <(every_channel "$FENCE")
if sb_wait_events "${want[@]}"; then
	pass "host: the fence arrived on every channel"
else
	fail "host: the fence arrived on every channel"
	sb_events | sed 's/^/#   got: /'
fi
expect_eq "$(sb_events | grep -vF -e "$NATIVE" -e "$FENCE" || true)" "" \
	"nothing but the control's and the fence's data ever reached a listener"
expect_eq "$(sb_events | head -n "$(wc -l <"$T/events.control")")" "$(cat "$T/events.control")" \
	"the control's data came first, the fence's right after it"
expect_eq "$(sb_events | grep -cF -- "$SECRET" || true)" 0 "the sandbox's secret reached no listener"
expect_not_on_host "$SECRET" "the sandbox's secret is in no file of the host (log included)"
finish
