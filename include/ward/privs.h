/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last privilege drop before a domain's program is executed: after it, neither the process
 * nor anything it executes (setuid binaries and file capabilities included) holds or can regain
 * a capability, so it cannot undo the domain's mounts, seccomp filter or Landlock ruleset.
 */
#ifndef WARD_PRIVS_H
#define WARD_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/diag.h"

/**
 * domain_drop_privs() - drop every privilege of the calling process for good. Irreversible.
 * @set_ids: also switch to @uid and @gid (with no supplementary groups).
 * @uid: the user to become when @set_ids.
 * @gid: the group to become when @set_ids.
 * @d: diagnostics (names the step that failed).
 *
 * In this order, because the later steps take away the capabilities the earlier ones need:
 * clear the ambient set; drop every capability up to the kernel's last from the bounding set
 * (CAP_SETPCAP); lock the securebits with NOROOT and NO_SETUID_FIXUP and NO_CAP_AMBIENT_RAISE
 * set, KEEP_CAPS clear, every bit locked, so uid 0 gains nothing at execve (CAP_SETPCAP); when
 * @set_ids, setgroups(0), setresgid(@gid) and setresuid(@uid) (CAP_SETGID, CAP_SETUID); set the
 * effective, permitted and inheritable sets to empty with capset(); set no_new_privs. The
 * result is then read back and checked.
 *
 * Return: 0;
 * -EPERM when a step needs a capability the caller lacks;
 * -EIO when the state read back is not the one asked for;
 * or another -errno from prctl(), capset() or the id calls. On failure the process is partly
 * dropped and must not exec the domain's program: callers fail closed.
 */
int domain_drop_privs(bool set_ids, uid_t uid, gid_t gid, struct ward_diag *d);

#endif
