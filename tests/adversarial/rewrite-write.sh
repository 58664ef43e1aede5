#!/usr/bin/env bash
# A listed binary rewritten after the scan with write(2), while a domain has it cached (warm).
# The cold case is trivial (a fresh open is hashed fresh); the warm one is where a stale cache
# would let tampered code run without a check. The host's open for writing breaks the monitor's
# read lease (the monitor drops the ignore mark before the open returns) and the write itself
# clears the mark too, so the next exec is decided again, on the new content: EPERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
rewrite_warm write
finish
