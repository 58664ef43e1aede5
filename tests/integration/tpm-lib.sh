# shellcheck shell=bash
# A swtpm of the test's own, for the tests of the tpm attester; sourced after lib.sh.
#
# tpm_start [NAME]: start (or restart, keeping its state) the swtpm NAME (default "swtpm") on
# UNIX sockets in $T/NAME (a mode-0700 dir; both sockets mode 0600), with its TPM state in
# $T/NAME/state, and point WARD_TPM_TCTI and TPM2TOOLS_TCTI at it. tss2's swtpm TCTI takes the
# command socket as "swtpm:path=SOCK" and finds the control channel at SOCK.ctrl by itself.
# The process is killed at exit (track_pid); tpm_stop shuts it down cleanly before that, which
# is what a restart of the TPM (same seeds, PCRs reset) needs.

require_cmd swtpm swtpm_ioctl

TPM_PID=
TPM_DIR=

tpm_start() {
	local name=${1:-swtpm} i
	TPM_DIR=$T/$name
	mkdir -p "$TPM_DIR/state"
	chmod 0700 "$TPM_DIR"
	rm -f "$TPM_DIR/swtpm.sock" "$TPM_DIR/swtpm.sock.ctrl"
	swtpm socket --tpm2 \
		--server "type=unixio,path=$TPM_DIR/swtpm.sock,mode=0600" \
		--ctrl "type=unixio,path=$TPM_DIR/swtpm.sock.ctrl,mode=0600" \
		--tpmstate "dir=$TPM_DIR/state" \
		--flags not-need-init,startup-clear \
		--log "file=$TPM_DIR/swtpm.log,level=1" \
		>>"$TPM_DIR/swtpm.out" 2>&1 &
	TPM_PID=$!
	track_pid "$TPM_PID"
	# Bounded wait for both sockets (no timing assertion: only how long to wait at most).
	for ((i = 0; i < 200; i++)); do
		[[ -S "$TPM_DIR/swtpm.sock" && -S "$TPM_DIR/swtpm.sock.ctrl" ]] && break
		kill -0 "$TPM_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! [[ -S "$TPM_DIR/swtpm.sock" && -S "$TPM_DIR/swtpm.sock.ctrl" ]]; then
		fail "swtpm $name did not start"
		cat "$TPM_DIR/swtpm.out" "$TPM_DIR/swtpm.log" 2>/dev/null | sed 's/^/#   /'
		finish
	fi
	export WARD_TPM_TCTI="swtpm:path=$TPM_DIR/swtpm.sock"
	export TPM2TOOLS_TCTI=$WARD_TPM_TCTI
}

# tpm_stop: stop the swtpm through its control channel and wait for it; its state dir stays.
tpm_stop() {
	[[ -n "$TPM_PID" ]] || return 0
	swtpm_ioctl --unix "$TPM_DIR/swtpm.sock.ctrl" -s >/dev/null 2>&1 || kill "$TPM_PID" 2>/dev/null || true
	wait "$TPM_PID" 2>/dev/null || true
	TPM_PID=
}
