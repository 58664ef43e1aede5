#!/usr/bin/env bash
# A #! script whose interpreter is unlisted: the script is on a code mount and in the policy,
# its interpreter is an unlisted copy of dash (one byte appended) on the same code mount. The
# kernel opens the interpreter for exec (FAN_OPEN_EXEC_PERM on the interpreter's path): ward
# denies it, so execve of the script fails with EPERM; the script is recorded as allowed, the
# interpreter as denied. With a listed interpreter the same script runs (the control); on the
# host the unlisted interpreter runs it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
SH=$C/sh-unlisted
unlisted_copy "$(readlink -f /bin/sh)" "$SH"
printf '#!%s\necho script-ran\n' "$SH" >"$C/script"
printf '#!/bin/sh\necho script-ran\n' >"$C/script-listed-interp"
chmod 0755 "$C/script" "$C/script-listed-interp"
adv_policy "$T/p2.json" "$A" "$C/script" "$C/script-listed-interp"

section "outside the domain the script runs"
expect_rc 0 "host: the script" "$C/script"
expect_stdout_line "script-ran" "host: it ran under the unlisted interpreter"

section "inside an enforcing domain"
wrun --policy "$T/p2.json" --code "$C" -- "$A" exec "$C/script"
expect_eq "$RC" 1 "exec of the script is refused"
expect_stdout_line "exec: errno=EPERM" "execve(script): EPERM (its interpreter was denied)"
expect_no_stdout_line "script-ran" "the script did not run"
DIGEST_OF=$SH expect_denial exec "$SH" "not in policy" "ward prints the interpreter's denial" \
	"the interpreter's denial is recorded"
DIGEST_OF=$C/script expect_decision allow exec "$C/script" "" "the (listed) script itself was allowed"
expect_no_decision allow "$SH" "the interpreter was never allowed"
wrun --policy "$T/p2.json" --code "$C" -- "$C/script"
expect_eq "$RC" 126 "the script as the command: ward run exits 126"
expect_stderr_line "ward: cannot execute '$C/script': Operation not permitted" "ward says it could not be executed"

section "the control: the same script with a listed interpreter"
wrun --policy "$T/p2.json" --code "$C" -- "$C/script-listed-interp"
expect_eq "$RC" 0 "it runs"
expect_stdout_line "script-ran" "the script ran"
finish
