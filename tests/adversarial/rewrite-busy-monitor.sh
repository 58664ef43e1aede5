#!/usr/bin/env bash
# rewrite-mmap-shared.sh while the domain keeps the monitor's queue full: four loops exec an
# unlisted binary without pause. A host process opening a cached file for writing waits in the
# kernel for the monitor's answer to the lease break; if a busy queue kept the monitor from it,
# the kernel would let the writer through after fs.lease-break-time with the ignore mark still
# on, and the tampered program would run from the cache. The monitor decides events in small
# batches and handles lease breaks between them: the mark is gone before the open returns, and
# the next exec is decided on the new content (EPERM).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
rewrite_warm mmap busy
finish
