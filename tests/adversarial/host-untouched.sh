#!/usr/bin/env bash
# Processes outside a domain are untouched while an enforcing domain runs: the marks sit on the
# domain's own mounts only, the seccomp filter, Landlock and vm.memfd_noexec=2 belong to the
# domain's processes and PID namespace, and the domain's mounts live in its own mount namespace.
# While a domain waits (and after showing it enforces), the host runs the unlisted copy that the
# domain is refused, through the very same path, plus the techniques the domain is refused
# (anonymous RWX, memfd); ward records none of it; the host's mount table and vm.memfd_noexec do
# not change. Then the same domain is refused the unlisted copy again: it was enforcing all along.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
U=$C/unlisted
unlisted_copy "$A" "$U"
ctl_init s

host_mounts >"$T/mounts.before"
noexec_before=$(cat /proc/sys/vm/memfd_noexec)

wrun_bg --policy "$P" --code "$C" --bind "$CTL" -- /bin/sh -c \
	"$CTL_STEP; '$A' exec '$U' marker; ctl_step s; '$A' exec '$U' marker"
if ctl_wait s; then
	section "while the domain runs (it has just been refused $U)"
	expect_rc 0 "host: the unlisted copy, same path" "$U" marker
	expect_stdout_line "marker: TAG:original-content" "host: it ran"
	expect_rc 0 "host: a copy in the host's /tmp" bash -c "cp '$U' '$T/u2' && '$T/u2' marker"
	expect_rc 0 "host: anonymous RWX" "$A" mmap-anon-rwx
	expect_stdout_line "call: ran=42" "host: anonymous RWX code ran"
	expect_rc 0 "host: memfd" "$A" memfd-exec
	expect_stdout_line "call: ran=42" "host: memfd code ran"
	expect_rc 0 "host: ptrace" "$A" ptrace-sibling
	expect_eq "$(cat /proc/sys/vm/memfd_noexec)" "$noexec_before" "host: vm.memfd_noexec unchanged"
	host_mounts >"$T/mounts.during"
	check "host: the mount table does not show the domain's mounts" cmp "$T/mounts.before" "$T/mounts.during"
	ctl_go s
fi
wrun_bg_wait
expect_eq "$RC" 1 "the domain's last command was refused"
expect_eq "$(grep -cxF "exec: errno=EPERM" "$OUT")" 2 "the domain was refused the unlisted copy before and after"
expect_no_stdout_line "marker: TAG:original-content" "the unlisted copy never ran in the domain"
expect_no_decision allow "$U" "nothing the host ran is recorded as allowed"
expect_no_decision allow "$T/u2" "the host's /tmp copy is not recorded"
host_mounts >"$T/mounts.after"
check "after: the mount table is unchanged" cmp "$T/mounts.before" "$T/mounts.after"
finish
