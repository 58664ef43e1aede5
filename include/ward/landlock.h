/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Landlock filesystem view of an integrity domain: every filesystem right the running
 * kernel knows is handled, so a right is granted only where a rule grants it. The point for
 * integrity is no write right on code and none under /proc (a writable /proc/self/mem lets a
 * process patch its own read-only text), and a sandboxed task can no longer mount. The reasoning
 * is in ../shared/research/domain-design-notes.md (section 8); the kernel facts in
 * ../shared/research/kernel-primitives.md (section 4).
 */
#ifndef WARD_LANDLOCK_H
#define WARD_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/* What a rule grants beneath its path. Rights a rule's ABI does not know are simply absent. */
enum ward_landlock_access {
	WARD_LL_READ,  /* read files, list directories */
	WARD_LL_EXEC,  /* READ + execute */
	WARD_LL_WRITE, /* READ + write, truncate, create, remove, refer; never execute */
	WARD_LL_DEV,   /* READ + write to existing files + device ioctls: a minimal /dev */
	__WARD_LL_MAX,
};

struct ward_landlock_rule {
	const char *path;
	enum ward_landlock_access access;
};

/**
 * domain_landlock_abi() - the Landlock ABI version of the running kernel.
 *
 * Return: the version (>= 1), or -EOPNOTSUPP when Landlock is not built in or is disabled.
 */
int domain_landlock_abi(void);

/**
 * domain_landlock_apply() - restrict the calling thread and its future children to @rules.
 * Irreversible.
 * @rules: the paths and what each grants beneath it. A rule whose path is not a directory gets
 *         only the rights that apply to files (Landlock refuses directory rights there).
 * @n: number of rules (0 denies every handled filesystem access).
 * @d: diagnostics.
 *
 * Handles every filesystem right the running ABI knows (ABI 1: 13 rights, 2: +REFER,
 * 3: +TRUNCATE, 5: +IOCTL_DEV); rights added by ABIs newer than this code stay unhandled.
 * From ABI 6 on, also scopes signals and abstract unix sockets: the thread can no longer
 * signal, or connect to an abstract socket of, a process outside its Landlock domain.
 * Network rights are not handled. Only the calling thread is restricted: call it while
 * single-threaded (after fork, before exec). The caller must have set no_new_privs already
 * or hold CAP_SYS_ADMIN.
 *
 * Return: 0;
 * -EOPNOTSUPP when Landlock is unavailable or disabled (callers fail closed);
 * -EINVAL for a NULL path or an unknown access;
 * -ENOENT, -EACCES, -ELOOP, ... when a rule path cannot be opened (@d names the path);
 * -EPERM from landlock_restrict_self() without no_new_privs and CAP_SYS_ADMIN;
 * or another -errno from the Landlock syscalls (the thread is then unrestricted).
 */
int domain_landlock_apply(const struct ward_landlock_rule *rules, size_t n, struct ward_diag *d);

enum {
	/* Also handle TCP bind and connect with no rule allowing them (ABI 4 and later): a
	 * second layer under a sandbox's empty network namespace and seccomp filter. */
	WARD_LL_DENY_NET = 1 << 0,
};

/**
 * domain_landlock_apply_flags() - domain_landlock_apply() with WARD_LL_* @flags.
 * Return: as domain_landlock_apply(); -EOPNOTSUPP for WARD_LL_DENY_NET below ABI 4.
 */
int domain_landlock_apply_flags(const struct ward_landlock_rule *rules, size_t n, unsigned flags,
				struct ward_diag *d);

/**
 * domain_landlock_apply_ports() - domain_landlock_apply(), and when @n_ports > 0 also handle TCP
 * connect (ABI 4 and later) with a rule for every port but @deny_ports: no process of the
 * domain can connect to those ports, on any address (a TPM the monitor reaches over TCP).
 * Return: as domain_landlock_apply(); -EOPNOTSUPP below ABI 4 when ports are given.
 */
int domain_landlock_apply_ports(const struct ward_landlock_rule *rules, size_t n,
				const uint16_t *deny_ports, size_t n_ports, struct ward_diag *d);

#endif
