#!/usr/bin/env bash
# A listed binary rewritten after the scan by truncation (open with O_TRUNC, then the tampered
# content written), while a domain has it cached (warm). The open for writing breaks the
# monitor's read lease and the truncate clears the ignore mark, so the next exec is decided
# again, on the new content: EPERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
rewrite_warm truncate
finish
