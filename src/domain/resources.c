/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A sandbox's declared resources, enforced by cgroup controllers: memory (with no swap), tasks
 * and CPU bandwidth. Each controller is used on cgroup v2 when the domain's v2 cgroup can have
 * it, else on its v1 hierarchy (hybrid hosts such as Debian 12 with systemd in hybrid mode,
 * where memory, pids and cpu are v1 controllers and the v2 tree has none).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "domain/domain-internal.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

static const char *const v1_mounts[__RES_MAX] = {
	[RES_MEMORY] = "/sys/fs/cgroup/memory",
	[RES_PIDS] = "/sys/fs/cgroup/pids",
	[RES_CPU] = "/sys/fs/cgroup/cpu",
};
static const char *const names[__RES_MAX] = {
	[RES_MEMORY] = "memory", [RES_PIDS] = "pids", [RES_CPU] = "cpu",
};

static int write_at(int dirfd, const char *file, const char *val)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		return -errno;
	return 0;
}

static bool file_has_word(int dirfd, const char *file, const char *word)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	char buf[512], *save = NULL;
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = 0;
	for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		if (strcmp(t, word) == 0)
			return true;
	return false;
}

/* The values each controller gets, in its v1 or v2 spelling. */
static int set_limits(int dirfd, enum domain_resource res, bool v2,
		      const struct ward_domain_sandbox *sb)
{
	char v[64];
	int r;

	switch (res) {
	case RES_MEMORY:
		snprintf(v, sizeof(v), "%" PRIu64, sb->memory_bytes);
		if (v2) {
			if ((r = write_at(dirfd, "memory.max", v)) < 0)
				return r;
			/* No swap: client data in its memory never reaches a disk. */
			r = write_at(dirfd, "memory.swap.max", "0");
			return r == -ENOENT ? 0 : r; /* no swap accounting: no swap to limit */
		}
		if ((r = write_at(dirfd, "memory.limit_in_bytes", v)) < 0)
			return r;
		/* memory+swap equal to memory: not one page may be swapped out. */
		r = write_at(dirfd, "memory.memsw.limit_in_bytes", v);
		if (r < 0 && r != -ENOENT)
			return r;
		return write_at(dirfd, "memory.swappiness", "0");
	case RES_PIDS:
		/* Its tasks plus the domain's init. */
		snprintf(v, sizeof(v), "%" PRIu32, sb->tasks + 1);
		return write_at(dirfd, "pids.max", v);
	case RES_CPU:
		if (v2) {
			snprintf(v, sizeof(v), "%" PRIu32 " 100000", sb->cpu_percent * 1000);
			return write_at(dirfd, "cpu.max", v);
		}
		if ((r = write_at(dirfd, "cpu.cfs_period_us", "100000")) < 0)
			return r;
		snprintf(v, sizeof(v), "%" PRIu32, sb->cpu_percent * 1000);
		return write_at(dirfd, "cpu.cfs_quota_us", v);
	default:
		return -EINVAL;
	}
}

static bool wanted(enum domain_resource res, const struct ward_domain_sandbox *sb)
{
	switch (res) {
	case RES_MEMORY:
		return sb->memory_bytes > 0;
	case RES_PIDS:
		return sb->tasks > 0;
	case RES_CPU:
		return sb->cpu_percent > 0;
	default:
		return false;
	}
}

/* A v1 hierarchy of @res: its ward/ directory. */
static int v1_parent(enum domain_resource res)
{
	_cleanup_close_ int root = -EBADF;
	struct statfs sf;
	int fd;

	if (statfs(v1_mounts[res], &sf) < 0 || sf.f_type != CGROUP_SUPER_MAGIC)
		return -ENOENT;
	root = open(v1_mounts[res], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	if (mkdirat(root, "ward", 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(root, "ward", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int resources_create(const struct domain_cgroup *cg, const struct ward_domain_sandbox *sb,
		     struct domain_resources *ret, struct ward_diag *d)
{
	struct domain_resources res = { 0 };
	int r;

	for (int i = 0; i < __RES_MAX; i++)
		res.dirfd[i] = res.parentfd[i] = -1;
	snprintf(res.name, sizeof(res.name), "%s", cg->name);
	for (int i = 0; i < __RES_MAX; i++) {
		if (!wanted(i, sb))
			continue;
		/* v2 first: the domain's own cgroup, when its parent can hand the controller
		 * down (on a unified host, or a hybrid one that gave v2 the controller). */
		if (file_has_word(cg->parentfd, "cgroup.controllers", names[i])) {
			char plus[16];

			snprintf(plus, sizeof(plus), "+%s", names[i]);
			(void)write_at(cg->parentfd, "cgroup.subtree_control", plus);
			if (file_has_word(cg->dirfd, "cgroup.controllers", names[i])) {
				_cleanup_close_ int dir = openat(cg->dirfd, ".", O_RDONLY | O_DIRECTORY |
										  O_CLOEXEC);

				if (dir < 0 || (r = set_limits(dir, i, true, sb)) < 0) {
					r = dir < 0 ? -errno : r;
					diag_set(d, r, "cgroup v2 %s limits: %s", names[i], strerror(-r));
					goto fail;
				}
				res.v2[i] = true;
				continue;
			}
		}
		r = v1_parent(i);
		if (r < 0) {
			diag_set(d, r, "the %s controller is on neither the cgroup v2 tree nor a v1 "
				       "hierarchy at %s: the sandbox's %s limit cannot be enforced",
				 names[i], v1_mounts[i], names[i]);
			goto fail;
		}
		res.parentfd[i] = r;
		if (mkdirat(res.parentfd[i], res.name, 0700) < 0) {
			r = -errno;
			diag_set(d, r, "cgroup %s/ward/%s: %s", v1_mounts[i], res.name, strerror(-r));
			goto fail;
		}
		res.dirfd[i] = openat(res.parentfd[i], res.name, O_RDONLY | O_DIRECTORY |
								 O_NOFOLLOW | O_CLOEXEC);
		if (res.dirfd[i] < 0) {
			r = -errno;
			diag_set(d, r, "cgroup %s/ward/%s: %s", v1_mounts[i], res.name, strerror(-r));
			goto fail;
		}
		if ((r = set_limits(res.dirfd[i], i, false, sb)) < 0) {
			diag_set(d, r, "cgroup %s/ward/%s limits: %s", v1_mounts[i], res.name,
				 strerror(-r));
			goto fail;
		}
	}
	*ret = res;
	return 0;
fail:
	resources_remove(&res);
	return r;
}

int resources_attach(const struct domain_resources *res, pid_t pid, struct ward_diag *d)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int i = 0; i < __RES_MAX; i++) {
		int r;

		if (res->dirfd[i] < 0)
			continue;
		if ((r = write_at(res->dirfd[i], "cgroup.procs", v)) < 0)
			return diag_set(d, r, "cgroup %s/ward/%s: join: %s", v1_mounts[i], res->name,
					strerror(-r));
	}
	return 0;
}

uint64_t resources_oom_kills(const struct domain_resources *res)
{
	const bool v2 = res->v2[RES_MEMORY];
	_cleanup_close_ int fd = -EBADF;
	char buf[1024], *p;
	uint64_t n = 0;
	ssize_t k;

	if (!v2 && res->dirfd[RES_MEMORY] < 0)
		return 0;
	/* v1: memory.oom_control has "oom_kill N"; v2 (in the domain's cgroup, which the
	 * caller does not pass here) is not read: the exit by SIGKILL tells enough. */
	if (v2)
		return 0;
	fd = openat(res->dirfd[RES_MEMORY], "memory.oom_control", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (k = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[k] = 0;
	p = strstr(buf, "oom_kill ");
	if (p)
		n = strtoull(p + 9, NULL, 10);
	return n;
}

void resources_remove(struct domain_resources *res)
{
	for (int i = 0; i < __RES_MAX; i++) {
		if (res->dirfd[i] >= 0) {
			close(res->dirfd[i]);
			res->dirfd[i] = -1;
		}
		/* Tasks leave a cgroup as they are reaped; give stragglers a moment. */
		for (int k = 0; res->parentfd[i] >= 0 && k < 200; k++) {
			if (unlinkat(res->parentfd[i], res->name, AT_REMOVEDIR) == 0 || errno != EBUSY)
				break;
			usleep(1000);
		}
		if (res->parentfd[i] >= 0) {
			close(res->parentfd[i]);
			res->parentfd[i] = -1;
		}
	}
}
