#!/usr/bin/env bash
# A listed binary rewritten after the scan through a MAP_SHARED writable mapping, from outside
# the domain, while the domain has it cached (warm). Stores through a shared mapping send no
# fsnotify event, so they do not clear an ignore mark (domain-design-notes.md, Q2): without more,
# the tampered program would run unchecked. ward holds a read lease on every cached file; the
# open for writing that any such mapping needs breaks it, and the monitor drops the mark before
# that open returns. The next exec is decided again, on the new content: EPERM.
#
# Then the variant where the writer exists before the domain looks: a host process keeps the
# file open for writing (with its writable mapping) while the domain opens it. Such a file is
# never granted, in any mode: "open for writing: it can change after it is measured".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
rewrite_warm mmap

section "a host writer holding a shared writable mapping while the domain opens the file"
W=$C/writer-held
install -m 0755 "$WARD_ATTACK" "$W"
adv_policy "$T/pw.json" "$A" "$W"
mkfifo "$T/held"
python3 - "$W" "$T/held" <<'PY' &
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, os.fstat(fd).st_size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
with open(sys.argv[2], "w") as f:
    f.write("held\n")
# Keep the writer and its mapping until the test's end (or 60 s).
import time
time.sleep(60)
PY
holder=$!
track_pid "$holder"
timeout 20 cat "$T/held" >/dev/null || fail "the host writer did not start"
wrun --policy "$T/pw.json" --code "$C" -- "$A" mmap-exec "$W"
expect_eq "$RC" 1 "mapping a file someone holds open for writing is refused"
expect_stdout_line "open: errno=EPERM" "the open fails with EPERM"
expect_denial open "$W" "open for writing: it can change after it is measured" "ward prints why" \
	"the denial is recorded"
wrun --code "$C" -- "$A" mmap-exec "$W"
expect_eq "$RC" 1 "measure-only: still refused (a structural rule)"
expect_stdout_line "open: errno=EPERM" "measure-only: the open fails with EPERM"
expect_decision deny open "$W" "open for writing: it can change after it is measured" "measure-only: the denial is recorded"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
wrun --policy "$T/pw.json" --code "$C" -- "$A" mmap-exec "$W"
expect_eq "$RC" 0 "once the writer is gone, the (unchanged, listed) file maps"
finish
