#!/usr/bin/env bash
# dlopen of an unlisted library from a listed program: ld.so's open of it on the code mount is
# denied (EPERM), dlopen fails with "cannot open shared object file: Operation not permitted",
# the library's constructor never runs, and the denial is printed and recorded. A listed copy of
# the same library loads (the control), and dlopen of a copy in /tmp fails to map (noexec).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
EV=$C/evil.so
LISTED=$C/listed.so
install -m 0644 "$WARD_EVIL_SO" "$LISTED"
unlisted_copy "$WARD_EVIL_SO" "$EV"
chmod 0644 "$EV"
adv_policy "$T/p2.json" "$A" "$LISTED"

section "outside the domain"
expect_rc 0 "host: dlopen of the unlisted library" "$A" dlopen "$EV"
expect_stdout_line "call: ran=42" "host: its function ran"
expect_stderr_line "evil: constructor ran" "host: its constructor ran"

section "inside an enforcing domain"
wrun --policy "$T/p2.json" --code "$C" -- "$A" dlopen "$EV"
expect_eq "$RC" 1 "dlopen of the unlisted library fails"
expect_stdout_line "dlopen: error=$EV: cannot open shared object file: Operation not permitted" "dlopen: EPERM"
expect_stderr_nomatch "evil: constructor ran" "its constructor did not run"
DIGEST_OF=$EV expect_denial open "$EV" "not in policy" "ward prints the denial" "the denial is recorded"

section "the control: a listed copy loads"
wrun --policy "$T/p2.json" --code "$C" -- "$A" dlopen "$LISTED"
expect_eq "$RC" 0 "dlopen of the listed library works"
expect_stdout_line "call: ran=42" "its function ran"
DIGEST_OF=$LISTED expect_decision allow open "$LISTED" "" "the open is allowed and recorded"

section "a listed library copied to /tmp"
wrun --policy "$T/p2.json" --code "$C" -- /bin/sh -c "cp '$LISTED' /tmp/l.so && '$A' dlopen /tmp/l.so"
expect_stdout_line "dlopen: error=/tmp/l.so: failed to map segment from shared object" "dlopen from noexec /tmp cannot map"
finish
