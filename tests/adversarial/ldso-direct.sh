#!/usr/bin/env bash
# Running a program through the dynamic linker directly: `ld.so FILE` opens FILE as a library
# (a plain open, not an exec) and maps its segments itself.
#   * A listed binary copied to /tmp: ld.so starts (it is listed) but cannot map the noexec
#     copy: "failed to map segment from shared object", exit 127.
#   * An unlisted binary on a code mount: its open is a permission event like any other, denied
#     ("not in policy", grant open), so ld.so reports "cannot open shared object file: Operation
#     not permitted", exit 127.
#   * A listed binary on a code mount runs (the control).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
LDSO=/lib64/ld-linux-x86-64.so.2
[[ -e $LDSO ]] || skip "no $LDSO"
U=$C/unlisted
unlisted_copy "$A" "$U"

section "outside the domain ld.so runs both"
expect_rc 0 "host: ld.so on the unlisted copy" "$LDSO" "$U" marker
expect_stdout_line "marker: TAG:original-content" "host: it ran"

section "inside: ld.so on a listed binary (the control)"
wrun --policy "$P" --code "$C" -- "$LDSO" "$A" marker
expect_eq "$RC" 0 "ld.so runs a listed binary"
expect_stdout_line "marker: TAG:original-content" "the listed binary ran through ld.so"

section "inside: ld.so on a copy in /tmp (noexec)"
# shellcheck disable=SC2016
wrun --policy "$P" --code "$C" -- /bin/sh -c "cp '$A' /tmp/x && '$LDSO' /tmp/x marker; echo \"status=\$?\""
expect_stdout_line "status=127" "ld.so exits 127"
expect_stderr_line "/tmp/x: error while loading shared libraries: /tmp/x: failed to map segment from shared object" \
	"ld.so cannot map the noexec copy"
expect_stdout_nomatch "TAG:" "the copy did not run"
expect_no_denials "ld.so /tmp/x"

section "inside: ld.so on an unlisted binary on a code mount"
wrun --policy "$P" --code "$C" -- "$LDSO" "$U" marker
expect_eq "$RC" 127 "ld.so exits 127"
expect_stderr_line "$U: error while loading shared libraries: $U: cannot open shared object file: Operation not permitted" \
	"ld.so cannot open it: EPERM"
DIGEST_OF=$U expect_denial open "$U" "not in policy" "ward prints the denial (grant open)" "the denial is recorded"
expect_stdout_nomatch "TAG:" "the unlisted binary did not run"
finish
