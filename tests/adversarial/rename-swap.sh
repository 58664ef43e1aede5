#!/usr/bin/env bash
# A listed binary replaced from the host, while a domain has it cached, by renaming an unlisted
# file over its name. The cache (an inode ignore mark) belongs to the old inode; the name now
# leads to a new inode that carries no mark, so the next exec raises an event and is decided on
# the new content: EPERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
rewrite_warm rename
finish
