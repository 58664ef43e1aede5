#!/usr/bin/env bash
# A listed binary copied somewhere writable and run from there: the copy has the listed digest,
# so only the mount decides. /tmp and /dev/shm (private tmpfs) and every --bind are noexec in a
# domain: execve fails with EACCES, mmap(PROT_EXEC) of the copy with EPERM, and the shell
# reports "Permission denied" (126). No event reaches ward (those mounts carry no mark), so
# nothing is recorded. On the host the same copy runs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
B=$T/bind
mkdir -p "$B"
cp "$A" "$B/copy"

section "outside the domain the copy runs"
expect_rc 0 "host: the copy in the bind dir" "$B/copy" marker
expect_stdout_line "marker: TAG:original-content" "host: the copy ran"

section "inside: copies made in /tmp and /dev/shm, and one in a --bind dir"
# shellcheck disable=SC2016 # the domain's shell expands $?
wrun --policy "$P" --code "$C" --bind "$B" -- /bin/sh -c "
cp '$A' /tmp/copy && cp '$A' /dev/shm/copy || exit 9
for f in /tmp/copy /dev/shm/copy '$B/copy'; do
	'$A' exec \"\$f\" marker | sed \"s|^|\$f |\"
	'$A' mmap-exec \"\$f\" | sed \"s|^|\$f |\"
	\"\$f\" marker; echo \"\$f status=\$?\"
done"
expect_eq "$RC" 0 "the domain's shell finished"
for f in /tmp/copy /dev/shm/copy "$B/copy"; do
	expect_stdout_line "$f exec: errno=EACCES" "$f: execve: EACCES"
	expect_stdout_line "$f mmap: errno=EPERM" "$f: mmap(R-X): EPERM"
	expect_stdout_line "$f status=126" "$f: the shell cannot execute it (126)"
	expect_stderr_match "$f: Permission denied" "$f: the shell says Permission denied"
done
expect_stdout_nomatch "TAG:" "no copy ran"
expect_no_denials "noexec copies"

finish
