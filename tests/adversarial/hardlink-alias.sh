#!/usr/bin/env bash
# A writable alias of a code file: host root made a hard link to a listed library of a code dir
# inside a directory that is then bound writable into the domain. ward refuses binds that
# overlap a code dir by path; a hard link is the same inode under another path, which no path
# check sees. The domain opens the library through the code mount (measured, listed: allowed),
# maps it executable, then writes code over it through the alias and calls the mapping.
#
# The write does wait for the monitor (the open for writing breaks the read lease, and the
# monitor drops its cache entry first), but the mapping already exists: the page cache under it
# changes, and the code that runs is not what was measured. As uid 0 (no capabilities, but the
# file's owner) the domain can do this: docs/threat-model.md lists it under the gaps ("code
# already mapped can be changed by whoever may write it"; do not bind aliases, run workloads
# with --uid). What happens is asserted exactly: as uid 0 the overwritten code runs; with
# --uid 65534 the alias cannot be opened for writing (EACCES: root-owned, 0644), and a later
# open of the library through its code path is denied (the content changed).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
L=$C/lib.so
install -m 0644 "$WARD_EVIL_SO" "$L"
B=$T/bind
mkdir -p "$B"
chmod 0755 "$B"
ln "$L" "$B/alias"
adv_policy "$T/p2.json" "$A" "$L"

section "outside the domain"
cp "$L" "$T/host-lib.so"
ln "$T/host-lib.so" "$T/host-alias"
expect_rc 0 "host: map, overwrite through the alias, call" "$A" mmap-exec-then-write "$T/host-lib.so" "$T/host-alias"
expect_stdout_line "call: ran=42" "host: the overwritten code ran"

section "inside, as uid 0: the documented gap"
wrun --policy "$T/p2.json" --code "$C" --bind "$B" -- "$A" mmap-exec-then-write "$L" "$B/alias"
expect_stdout_line "open: ok" "uid 0: the listed library opens (allowed)"
expect_stdout_line "mmap: ok" "uid 0: and maps R-X"
expect_stdout_line "write-alias: ok" "uid 0: the alias in the bind is writable"
expect_stdout_line "call: ran=42" "uid 0: the overwritten code runs (threat-model.md: aliases)"
DIGEST_OF=$WARD_EVIL_SO expect_decision allow open "$L" "" "uid 0: only the original content was measured"
wrun --policy "$T/p2.json" --code "$C" -- "$A" mmap-exec "$L"
expect_stdout_line "open: errno=EPERM" "the changed library is denied at its next open"
expect_decision deny open "$L" "not in policy" "... and the denial is recorded"

section "inside, with --uid 65534: the alias cannot be written"
install -m 0644 "$WARD_EVIL_SO" "$T/fresh.so"
cat "$T/fresh.so" >"$L"
chmod 0755 "$T" "$C"
wrun --policy "$T/p2.json" --code "$C" --bind "$B" --uid 65534 -- "$A" mmap-exec-then-write "$L" "$B/alias"
expect_eq "$RC" 1 "--uid 65534: refused"
expect_stdout_line "mmap: ok" "--uid 65534: the listed library maps"
expect_stdout_line "open-alias: errno=EACCES" "--uid 65534: opening the alias for writing: EACCES"
expect_no_stdout_line "call: ran=42" "--uid 65534: no overwritten code ran"
finish
