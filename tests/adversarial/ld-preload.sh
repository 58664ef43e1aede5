#!/usr/bin/env bash
# LD_PRELOAD of an unlisted library (evil.c: its constructor prints "evil: constructor ran") into
# a listed program. ld.so opens the library (a plain open on a code mount): denied, EPERM; ld.so
# then says it "cannot be preloaded ... ignored" and the program runs without it. The variable
# is set inside the domain (env), so ward itself, on the host, never loads the library. Also
# LD_LIBRARY_PATH pointing at a dir with an unlisted library of a needed name is no way around.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
EV=$C/evil.so
install -m 0644 "$WARD_EVIL_SO" "$EV"

section "outside the domain the library is preloaded"
expect_rc 0 "host: LD_PRELOAD=evil.so" env LD_PRELOAD="$EV" "$A" marker
expect_stderr_line "evil: constructor ran" "host: its constructor ran"

section "inside an enforcing domain"
wrun --policy "$P" --code "$C" -- /usr/bin/env LD_PRELOAD="$EV" "$A" marker
expect_eq "$RC" 0 "the program runs (without the library)"
expect_stdout_line "marker: TAG:original-content" "the listed program ran"
expect_stderr_nomatch "evil: constructor ran" "the library's constructor did not run"
expect_stderr_line "ERROR: ld.so: object '$EV' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored." \
	"ld.so could not open it"
DIGEST_OF=$EV expect_denial open "$EV" "not in policy" "ward prints the denial" "the denial is recorded"
expect_no_decision allow "$EV" "the library was never allowed"

section "inside: LD_LIBRARY_PATH with an unlisted libc.so.6"
mkdir -p "$C/lib"
LIBC=$(ldd "$A" | awk '$1 == "libc.so.6" { print $3 }')
unlisted_copy "$(readlink -f "$LIBC")" "$C/lib/libc.so.6"
wrun --policy "$P" --code "$C" -- /usr/bin/env LD_LIBRARY_PATH="$C/lib" "$A" marker
expect_denial open "$C/lib/libc.so.6" "not in policy" "the unlisted libc is denied" "the denial is recorded"
expect_no_decision allow "$C/lib/libc.so.6" "the unlisted libc was never allowed"
expect_eq "$RC" 0 "the program ran, with the listed libc (ld.so goes on to the next dir)"
expect_stdout_line "marker: TAG:original-content" "the listed program ran"
finish
