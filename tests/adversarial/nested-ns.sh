#!/usr/bin/env bash
# Nested namespaces: a domain process that could make a new mount namespace (directly, or
# inside a new user namespace) would get copies of the code mounts that carry no fanotify mark,
# and everything on them would run unchecked (domain-design-notes.md, Q1). On the host (root)
# each call works; in a domain: unshare(CLONE_NEWUSER), unshare(CLONE_NEWNS), clone with either
# flag, setns and mount give EPERM (seccomp; no capabilities either), and clone3 gives ENOSYS
# (its flags are behind a pointer, so it is refused whole and glibc falls back to clone).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

section "outside the domain"
for ns in user mount; do
	expect_rc 0 "host: unshare $ns" "$A" unshare "$ns"
	expect_stdout_line "unshare: ok" "host: unshare($ns) works"
	expect_rc 0 "host: clone with a new $ns namespace" "$A" clone-ns "$ns"
	expect_stdout_line "clone: ok" "host: clone($ns) works"
done
expect_rc 0 "host: clone3 with a new mount namespace" "$A" clone3 mount
expect_stdout_line "clone3: ok" "host: clone3 works"

section "inside an enforcing domain"
for ns in user mount pid net ipc uts cgroup; do
	wrun --policy "$P" --code "$C" -- "$A" unshare "$ns"
	expect_stdout_line "unshare: errno=EPERM" "unshare(CLONE_NEW${ns^^}): EPERM"
done
for ns in user mount; do
	wrun --policy "$P" --code "$C" -- "$A" clone-ns "$ns"
	expect_stdout_line "clone: errno=EPERM" "clone(CLONE_NEW${ns^^}): EPERM"
done
wrun --policy "$P" --code "$C" -- "$A" clone3 mount
expect_stdout_line "clone3: errno=ENOSYS" "clone3(CLONE_NEWNS): ENOSYS"
wrun --policy "$P" --code "$C" -- "$A" clone3
expect_stdout_line "clone3: errno=ENOSYS" "clone3 without namespace flags: ENOSYS (refused whole)"
wrun --policy "$P" --code "$C" -- "$A" setns
expect_stdout_line "setns: errno=EPERM" "setns(mount): EPERM"
wrun --policy "$P" --code "$C" -- "$A" mount-tmpfs /tmp
expect_stdout_line "mount: errno=EPERM" "mount(tmpfs): EPERM"
if [[ -x /usr/bin/unshare ]]; then
	wrun --policy "$P" --code "$C" -- /usr/bin/unshare -Urm /bin/true
	expect_eq "$RC" 1 "unshare(1) -Urm fails"
	expect_stderr_match "unshare failed: Operation not permitted" "unshare(1) names EPERM"
fi
expect_no_denials "namespaces"
finish
