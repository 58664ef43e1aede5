#!/usr/bin/env bash
# An fd passed in from outside over a UNIX socket (the socket in a --bind dir): a host process
# sends (1) an fd of an unlisted ELF program on a host mount, and (2) an fd of an empty host
# memfd, open read-write. Inside, the helper maps (1) executable, writes code into (2) and maps
# and calls it, then fexecve's (1).
#
# What happens, and why (asserted exactly below):
#   * fexecve (execveat(fd, "", AT_EMPTY_PATH)) fails with EACCES. The exec re-opens the file
#     from its own path, and Landlock checks its execute right there: the path lies below none
#     of the domain's rules (they are on the domain's own mounts), so it is refused. The mount
#     itself is not noexec and carries no fanotify mark.
#   * mmap(PROT_EXEC) of either fd succeeds, and the code written into the memfd runs. mmap
#     opens nothing (no fanotify event, no Landlock check: Landlock has no mmap hook); noexec is
#     checked on the fd's own mount, which is the host's, not noexec; the seccomp filter sees
#     only prot and flags (file-backed R-X is what every program needs); and a memfd made
#     outside the domain lives in the host's PID namespace (vm.memfd_noexec 0, and mmap ignores
#     it anyway). Nothing is recorded: ward never sees these objects.
# So a domain handed an fd of a file on an executable mount, or any writable memfd, can run
# unmeasured native code. docs/threat-model.md lists this under the gaps (fd passing): do not
# hand a domain such fds. The host-side control shows the same steps, all working, outside.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
ctl_init
HU=$T/host-unlisted
unlisted_copy "$A" "$HU"

# serve_fds SOCKET: send, to one connection, an O_RDONLY fd of $HU and an empty memfd (O_RDWR).
serve_fds() {
	python3 - "$1" "$HU" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(60)
c, _ = s.accept()
fds = [os.open(sys.argv[2], os.O_RDONLY), os.memfd_create("passed-in")]
socket.send_fds(c, [b"x"], fds)
c.close()
PY
	SERVER=$!
	track_pid "$SERVER"
	for _ in $(seq 100); do
		[[ -S $1 ]] && return 0
		sleep 0.05
	done
	fail "the fd server did not start"
}

section "outside the domain"
serve_fds "$CTL/host.sock"
expect_rc 0 "host: receive, map, write, call, fexecve" "$A" recv-fd-exec "$CTL/host.sock"
expect_stdout_line "recv: ok regular regular" "host: two regular files received"
expect_stdout_line "mmap-elf: ok" "host: the program maps R-X"
expect_stdout_line "write-code: ok" "host: code written into the memfd"
expect_stdout_line "call: ran=42" "host: the code in the memfd ran"
expect_stdout_line "marker: TAG:original-content" "host: fexecve ran the program"
expect_stdout_line "fexecve: ran status=0" "host: fexecve worked"
wait "$SERVER" || true

section "inside an enforcing domain"
serve_fds "$CTL/dom.sock"
wrun --policy "$P" --code "$C" --bind "$CTL" -- "$A" recv-fd-exec "$CTL/dom.sock"
wait "$SERVER" || true
expect_stdout_line "recv: ok regular regular" "the domain received both fds"
expect_stdout_line "fexecve: errno=EACCES" "fexecve of the passed-in program: EACCES (Landlock)"
expect_no_stdout_line "marker: TAG:original-content" "the passed-in program did not run"
expect_stdout_line "mmap-elf: ok" "mmap(R-X) of the passed-in program succeeds (a gap: no check applies)"
expect_stdout_line "write-code: ok" "the passed-in memfd is writable"
expect_stdout_line "mmap-code: ok" "mmap(R-X) of the passed-in memfd succeeds (a gap)"
expect_stdout_line "call: ran=42" "code written into it runs, unmeasured (a gap)"
expect_eq "$RC" 0 "the helper reports that something ran (exit 0)"
expect_no_decision allow "$HU" "nothing about the passed-in program is recorded (allow)"
expect_no_decision deny "$HU" "nothing about the passed-in program is recorded (deny)"
finish
