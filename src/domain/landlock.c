/* SPDX-License-Identifier: Apache-2.0 */
/* The domain's Landlock ruleset, through the raw syscalls (no liblandlock). */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "ward/landlock.h"

/* linux-libc-dev 6.1 stops at ABI 2; the newer rights and the scopes are defined here. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6. The kernel takes the size it is given: 8 bytes up
 * to ABI 3, 16 from ABI 4 (network), 24 from ABI 6 (scopes). */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

_Static_assert(sizeof(struct ll_ruleset_attr) == 24, "landlock_ruleset_attr ABI 6 layout");

/* struct landlock_net_port_attr (ABI 4): packed, as the kernel's uapi declares it. */
#define LL_RULE_NET_PORT 2
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

#define LL_FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

#define LL_FS_WRITE                                                                                \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                           \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |                               \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |                             \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |  \
	 LANDLOCK_ACCESS_FS_TRUNCATE)

/* The only rights Landlock accepts on a rule whose path is not a directory. */
#define LL_FS_FILE                                                                                 \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                              \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

static const uint64_t access_rights[__WARD_LL_MAX] = {
	[WARD_LL_READ] = LL_FS_READ,
	[WARD_LL_EXEC] = LL_FS_READ | LANDLOCK_ACCESS_FS_EXECUTE,
	[WARD_LL_WRITE] = LL_FS_READ | LL_FS_WRITE,
	/* No TRUNCATE: the kernel ignores O_TRUNC on device nodes, so `>/dev/null` works
	 * without it, and a regular file under a DEV rule cannot be emptied. */
	[WARD_LL_DEV] = LL_FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_IOCTL_DEV,
};

/* Every filesystem right @abi knows. Handling a right the kernel does not know is EINVAL;
 * leaving one it knows unhandled would silently allow it everywhere. */
static uint64_t fs_rights_of_abi(int abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

int domain_landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (v < 0)
		/* ENOSYS: not built in; EOPNOTSUPP: built in but not enabled at boot */
		return errno == ENOSYS ? -EOPNOTSUPP : -errno;
	return (int)v;
}

static int add_rule(int ruleset, const struct ward_landlock_rule *rule, uint64_t handled,
		    struct ward_diag *d)
{
	struct landlock_path_beneath_attr pb = { 0 };
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (!rule->path || (unsigned)rule->access >= __WARD_LL_MAX)
		return diag_set(d, -EINVAL, "landlock: invalid rule (path %s, access %d)",
				rule->path ? rule->path : "(null)", (int)rule->access);
	/* The rule holds this very inode: a later rename of the path does not move the grant. */
	fd = open(rule->path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		return diag_set(d, r, "landlock: cannot open rule path %s: %s", rule->path,
				strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		return diag_set(d, r, "landlock: cannot stat rule path %s: %s", rule->path,
				strerror(-r));
	}
	pb.parent_fd = fd;
	pb.allowed_access = access_rights[rule->access] & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE;
	if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
		r = -errno;
		return diag_set(d, r, "landlock: cannot add the rule for %s: %s", rule->path,
				strerror(-r));
	}
	return 0;
}

int domain_landlock_apply(const struct ward_landlock_rule *rules, size_t n, struct ward_diag *d)
{
	return domain_landlock_apply_flags(rules, n, 0, d);
}

static int apply(const struct ward_landlock_rule *rules, size_t n, unsigned flags,
		 const uint16_t *deny_ports, size_t n_ports, struct ward_diag *d);

int domain_landlock_apply_flags(const struct ward_landlock_rule *rules, size_t n, unsigned flags,
				struct ward_diag *d)
{
	return apply(rules, n, flags, NULL, 0, d);
}

int domain_landlock_apply_ports(const struct ward_landlock_rule *rules, size_t n,
				const uint16_t *deny_ports, size_t n_ports, struct ward_diag *d)
{
	return apply(rules, n, 0, deny_ports, n_ports, d);
}

/* Allow connecting to every TCP port but @deny (the ruleset handles CONNECT_TCP). */
static int allow_ports_but(int ruleset, const uint16_t *deny, size_t n_deny, struct ward_diag *d)
{
	struct ll_net_port_attr pa = { .allowed_access = LANDLOCK_ACCESS_NET_CONNECT_TCP };

	for (uint32_t port = 0; port <= 65535; port++) {
		bool denied = false;

		for (size_t i = 0; i < n_deny; i++)
			denied |= deny[i] == port;
		if (denied)
			continue;
		pa.port = port;
		if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &pa, 0) < 0)
			return diag_set(d, -errno, "landlock: cannot allow TCP port %u: %s",
					(unsigned)port, strerror(errno));
	}
	return 0;
}

static int apply(const struct ward_landlock_rule *rules, size_t n, unsigned flags,
		 const uint16_t *deny_ports, size_t n_ports, struct ward_diag *d)
{
	struct ll_ruleset_attr attr = { 0 };
	_cleanup_close_ int ruleset = -EBADF;
	size_t attr_size;
	int abi, r;

	abi = domain_landlock_abi();
	if (abi < 0)
		return diag_set(d, abi, "landlock: unavailable on this kernel: %s", strerror(-abi));

	attr.handled_access_fs = fs_rights_of_abi(abi);
	attr_size = abi >= 4 ? offsetof(struct ll_ruleset_attr, scoped) :
			       offsetof(struct ll_ruleset_attr, handled_access_net);
	if (abi >= 6) {
		/* Without the signal scope the domain could still signal (and so stop or kill)
		 * its keeper or monitor when uids allow it. */
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}

	if (flags & WARD_LL_DENY_NET) {
		if (abi < 4)
			return diag_set(d, -EOPNOTSUPP, "landlock: ABI %d cannot restrict TCP (needs 4)",
					abi);
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	} else if (n_ports) {
		if (abi < 4)
			return diag_set(d, -EOPNOTSUPP, "landlock: ABI %d cannot keep the domain from "
							"the TPM's TCP port %u (needs 4): reach the "
							"TPM through a UNIX socket or a device",
					abi, (unsigned)deny_ports[0]);
		attr.handled_access_net = LANDLOCK_ACCESS_NET_CONNECT_TCP;
	}
	ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0);
	if (ruleset < 0) {
		r = errno == ENOSYS ? -EOPNOTSUPP : -errno;
		return diag_set(d, r, "landlock: cannot create a ruleset (ABI %d): %s", abi,
				strerror(-r));
	}
	for (size_t i = 0; i < n; i++)
		if ((r = add_rule(ruleset, &rules[i], attr.handled_access_fs, d)) < 0)
			return r;
	if (n_ports && !(flags & WARD_LL_DENY_NET) &&
	    (r = allow_ports_but(ruleset, deny_ports, n_ports, d)) < 0)
		return r;
	if (syscall(__NR_landlock_restrict_self, ruleset, 0) < 0) {
		r = -errno;
		if (r == -EPERM)
			return diag_set(d, r, "landlock: cannot restrict: no_new_privs is not set "
					      "and CAP_SYS_ADMIN is not held");
		return diag_set(d, r, "landlock: cannot restrict: %s", strerror(-r));
	}
	return 0;
}
