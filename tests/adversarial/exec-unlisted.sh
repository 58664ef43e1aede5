#!/usr/bin/env bash
# Exec of a binary that is on a code mount but not in the policy: a copy of a listed program
# with one byte appended (matching is by digest, so only the content counts). The kernel asks
# ward before the exec (FAN_OPEN_EXEC_PERM); ward denies it, execve fails with EPERM, and the
# denial is printed and recorded. The same file runs on the host, outside any domain.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init

U=$C/unlisted
unlisted_copy "$A" "$U"
adv_policy "$T/p.json" "$A"

section "outside the domain the unlisted copy runs"
expect_rc 0 "host: $U marker" "$U" marker
expect_stdout_line "marker: TAG:original-content" "host: the unlisted copy ran"

section "inside: execve of the unlisted copy from a listed program"
wrun --policy "$T/p.json" --code "$C" -- "$A" exec "$U" marker
expect_eq "$RC" 1 "exec of the unlisted copy is refused (helper exit 1)"
expect_stdout_line "exec: errno=EPERM" "execve fails with EPERM"
expect_no_stdout_line "marker: TAG:original-content" "the unlisted copy did not run"
DIGEST_OF=$U expect_denial exec "$U" "not in policy" "ward prints the denial" \
	"the denial is recorded with the object's digest"
expect_no_decision allow "$U" "nothing allowed the unlisted copy"
expect_decision allow exec "$A" "" "the listed helper itself was allowed"

section "inside: the unlisted copy as the command itself"
wrun --policy "$T/p.json" --code "$C" -- "$U" marker
expect_eq "$RC" 126 "ward run exits 126 (CMD denied)"
expect_stderr_line "$(denied_line exec "$U" "not in policy")" "ward prints the denial"
expect_stderr_line "ward: cannot execute '$U': Operation not permitted" "ward says CMD could not be executed"
expect_stdout_nomatch "TAG:" "the unlisted copy did not run"
expect_decision deny exec "$U" "not in policy" "the denial is recorded"

section "inside: through the shell (sh -c), as a user would"
wrun --policy "$T/p.json" --code "$C" -- /bin/sh -c "'$U' marker; echo \"status=\$?\""
expect_eq "$RC" 0 "the shell itself ran"
expect_stdout_line "status=126" "the shell reports 126 (cannot execute)"
expect_stderr_match "$U: Operation not permitted" "the shell names EPERM"
expect_stderr_line "$(denied_line exec "$U" "not in policy")" "ward prints the denial"

section "the denial holds every time (a denial is never cached as an allow)"
wrun --policy "$T/p.json" --code "$C" -- /bin/sh -c "for i in 1 2 3; do '$A' exec '$U' marker; done"
expect_eq "$(grep -cxF "exec: errno=EPERM" "$OUT")" 3 "three attempts, three EPERMs"

finish
