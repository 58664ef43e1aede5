/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain's cgroup: every domain process lives in it, so the keeper (or anyone tearing the
 * domain down) kills them all at once with cgroup.kill, which queues SIGKILL on every task
 * before any of them runs again. Only core cgroup v2 files are used: no controller is needed
 * (on hybrid hosts the v2 hierarchy has none).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "domain/domain-internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The cgroup v2 mount: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid). */
static int cgroup2_root(char *buf, size_t len)
{
	static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	_cleanup_fclose_ FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	struct statfs sf;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (statfs(candidates[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(buf, len, "%s", candidates[i]);
			return 0;
		}
	/* Elsewhere: the first cgroup2 entry of mountinfo ("... - cgroup2 ..."). */
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char mnt[4096], *sep = strstr(line, " - cgroup2 ");

		if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
		    statfs(mnt, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(buf, len, "%s", mnt);
			free(line);
			return 0;
		}
	}
	free(line);
	return -ENOENT;
}

int cgroup_create(const char *id, struct domain_cgroup *ret, struct ward_diag *d)
{
	struct domain_cgroup cg = { .dirfd = -1, .procs = -1, .killfd = -1, .parentfd = -1 };
	char root[4096];
	int rootfd, r;

	r = cgroup2_root(root, sizeof(root));
	if (r < 0)
		return diag_set(d, r, "no cgroup v2 hierarchy is mounted (looked at /sys/fs/cgroup, "
				"/sys/fs/cgroup/unified and mountinfo): the domain needs one to be "
				"killed as a whole");
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return diag_set(d, -errno, "%s: %s", root, strerror(errno));
	if (mkdirat(rootfd, "ward", 0755) < 0 && errno != EEXIST) {
		r = -errno;
		close(rootfd);
		return diag_set(d, r, "cgroup %s/ward: %s", root, strerror(-r));
	}
	cg.parentfd = openat(rootfd, "ward", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(rootfd);
	if (cg.parentfd < 0)
		return diag_set(d, -errno, "cgroup %s/ward: %s", root, strerror(errno));
	snprintf(cg.name, sizeof(cg.name), "%s", id);
	if (mkdirat(cg.parentfd, cg.name, 0700) < 0) {
		r = -errno;
		goto fail;
	}
	/* Not O_PATH: it is also the target of clone3(CLONE_INTO_CGROUP). */
	cg.dirfd = openat(cg.parentfd, cg.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cg.dirfd < 0) {
		r = -errno;
		goto fail;
	}
	cg.procs = openat(cg.dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	cg.killfd = openat(cg.dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	if (cg.procs < 0 || cg.killfd < 0) {
		r = -errno;
		cgroup_remove(&cg);
		cgroup_close(&cg);
		return diag_set(d, r, "cgroup %s/ward/%s: %s%s", root, id, strerror(-r),
				r == -ENOENT ? " (cgroup.kill needs Linux 5.14)" : "");
	}
	*ret = cg;
	return 0;
fail:
	diag_set(d, r, "cgroup %s/ward/%s: %s", root, id, strerror(-r));
	cgroup_close(&cg);
	return r;
}

int cgroup_join_self(const struct domain_cgroup *cg)
{
	return write(cg->procs, "0", 1) == 1 ? 0 : -errno;
}

int cgroup_kill(const struct domain_cgroup *cg)
{
	return write(cg->killfd, "1", 1) == 1 ? 0 : -errno;
}

void cgroup_remove(struct domain_cgroup *cg)
{
	/* Tasks leave a cgroup as they are reaped; give stragglers a moment. */
	for (int i = 0; cg->parentfd >= 0 && cg->name[0] && i < 200; i++) {
		if (unlinkat(cg->parentfd, cg->name, AT_REMOVEDIR) == 0 || errno != EBUSY)
			break;
		usleep(1000);
	}
}

void cgroup_close(struct domain_cgroup *cg)
{
	int *fds[] = { &cg->dirfd, &cg->procs, &cg->killfd, &cg->parentfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}
