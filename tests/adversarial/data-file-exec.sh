#!/usr/bin/env bash
# A non-ELF data file on a code mount (raw machine code: no ELF header for the inspector to
# judge) opened and mapped executable, then called.
#
# Strict policy (the default): the file is not in the policy, so its open is denied (EPERM),
# printed and recorded: nothing is mapped.
#
# Policy with the file's directory as a data dir (domain.data_dirs): non-ELF files opened below
# it are allowed without being listed ("data below DIR"). What happens then, asserted exactly:
# the open is allowed (and the object is recorded, digest included); the code mount is
# executable, so mmap(PROT_READ|PROT_EXEC) of that fd succeeds, and the raw code runs. fanotify
# cannot tell an open for data from an open that will be mapped executable (only execve and
# uselib raise FAN_OPEN_EXEC_PERM), so a data dir on a code mount is, in effect, a dir of
# unlisted code: the evidence shows it (the record and the ward-domain record's data_dirs), the
# allowlist does not stop it. An ELF file below the data dir is still checked against the
# allowlist. Outside the data dir the waiver does not apply.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
mkdir -p "$C/data"
printf '\270\052\000\000\000\303' >"$C/data/blob"
chmod 0755 "$C/data/blob"
cp "$C/data/blob" "$C/blob"
unlisted_copy "$A" "$C/data/prog"
adv_policy "$T/pd.json" --data-dir "$C/data" "$A"

section "outside the domain the raw code runs"
expect_rc 0 "host: map the data file R-X and call it" "$A" mmap-exec "$C/data/blob" --call
expect_stdout_line "call: ran=42" "host: the data file's code ran"

section "strict policy: the data file's open is denied"
wrun --policy "$P" --code "$C" -- "$A" mmap-exec "$C/data/blob" --call
expect_eq "$RC" 1 "strict: refused"
expect_stdout_line "open: errno=EPERM" "strict: open of the unlisted data file: EPERM"
expect_no_stdout_line "call: ran=42" "strict: nothing ran"
expect_denial open "$C/data/blob" "not in policy" "strict: ward prints the denial" "strict: the denial is recorded"

section "policy with data dir $C/data: what happens"
wrun --policy "$T/pd.json" --code "$C" -- "$A" mmap-exec "$C/data/blob" --call
expect_eq "$RC" 0 "data dir: the attack completes"
expect_stdout_line "open: ok" "data dir: the open is allowed"
expect_stdout_line "mmap: ok" "data dir: mmap(R-X) of it succeeds (a code mount is executable)"
expect_stdout_line "call: ran=42" "data dir: the raw code runs"
DIGEST_OF=$C/data/blob expect_decision allow open "$C/data/blob" "data below $C/data" \
	"data dir: recorded as allowed data, with its digest"
expect_eq "$(logq "$S" 'd["rec"]["data_dirs"]')" "['$C/data']" "data dir: the ward-domain record names the data dir"
wrun --policy "$T/pd.json" --code "$C" -- "$A" mmap-exec "$C/blob" --call
expect_stdout_line "open: errno=EPERM" "data dir: the same file outside the data dir is still denied"
expect_decision deny open "$C/blob" "not in policy" "data dir: ... and recorded"
wrun --policy "$T/pd.json" --code "$C" -- "$A" mmap-exec "$C/data/prog"
expect_stdout_line "open: errno=EPERM" "data dir: an unlisted ELF below the data dir is denied"
expect_decision deny open "$C/data/prog" "not in policy" "data dir: ... and recorded as not in policy"
wrun --policy "$T/pd.json" --code "$C" -- "$A" exec "$C/data/blob"
expect_stdout_line "exec: errno=EPERM" "data dir: exec of the data file is denied (the waiver is for opens)"
expect_decision deny exec "$C/data/blob" "not in policy" "data dir: the exec denial is recorded"
finish
