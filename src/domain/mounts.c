/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain's root, built the way bubblewrap builds one: a fresh tmpfs that becomes the root
 * with pivot_root, holding only what was asked for. Sources are captured first as detached
 * clones (open_tree), so mounting the new root anywhere cannot hide them, and every clone gets
 * its attributes while still detached: code mounts read-only and executable, everything else
 * noexec. Code mounts are cloned without their submounts: each executable mount is exactly one
 * mount the monitor marks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "domain/domain-internal.h"

/* Where the new root is assembled, inside the private mount namespace. */
#define NEWROOT "/tmp"

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
#define N_DEV (sizeof(dev_nodes) / sizeof(dev_nodes[0]))

/* The merged-/usr links of the host's root, recreated as they are. */
static const char *const usr_links[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

static int set_attr(int fd, bool recursive, uint64_t set, uint64_t clr)
{
	struct mount_attr a = { .attr_set = set, .attr_clr = clr };

	return mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a,
			     sizeof(a)) < 0 ? -errno : 0;
}

static int clone_tree(const char *path, bool recursive, int *ret)
{
	int fd = open_tree(AT_FDCWD, path,
			   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));

	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

/*
 * Create the mount point @dst (absolute, normalised) below the new root, as a directory or an
 * empty file, refusing to follow any symlink on the way (the root's links would lead out).
 */
static int make_mount_point(int rootfd, const char *dst, bool dir, struct ward_diag *d)
{
	char comp[NAME_MAX + 1];
	const char *p = dst + 1;
	int fd = rootfd;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		bool last = !slash;
		int nfd;

		if (n == 0 || n > NAME_MAX) {
			if (fd != rootfd)
				close(fd);
			return diag_set(d, -EINVAL, "mount point %s: bad path", dst);
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		if (last && !dir) {
			nfd = openat(fd, comp, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (nfd < 0 && (errno == EROFS || errno == EISDIR))
				nfd = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		} else {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST && errno != EROFS) {
				int r = -errno;
				if (fd != rootfd)
					close(fd);
				return diag_set(d, r, "mount point %s: mkdir %s: %s", dst, comp,
						strerror(-r));
			}
			nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int r = -errno;
			if (fd != rootfd)
				close(fd);
			return diag_set(d, r, "mount point %s: %s%s", dst, comp,
					r == -ENOTDIR || r == -ELOOP ?
						": crosses a symlink or a file" : strerror(-r));
		}
		if (fd != rootfd)
			close(fd);
		fd = nfd;
		p += n + (slash ? 1 : 0);
	}
	if (fd != rootfd)
		close(fd);
	return 0;
}

static int attach(int treefd, int rootfd, const char *dst, struct ward_diag *d)
{
	if (move_mount(treefd, "", rootfd, dst + 1, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return diag_set(d, -errno, "mount %s: %s", dst, strerror(errno));
	return 0;
}

static int mount_tmpfs(int rootfd, const char *dst, unsigned long flags, const char *opts,
		       struct ward_diag *d)
{
	char target[PATH_MAX];
	int r;

	if ((r = make_mount_point(rootfd, dst, true, d)) < 0)
		return r;
	snprintf(target, sizeof(target), "%s%s", NEWROOT, dst);
	if (mount("tmpfs", target, "tmpfs", flags, opts) < 0)
		return diag_set(d, -errno, "tmpfs %s: %s", dst, strerror(errno));
	return 0;
}

int mounts_build(const struct mount_plan *plan, int *ret_fds, struct ward_diag *d)
{
	int code_fds[WARD_DOMAIN_CODE_MAX + 1], bind_fds[WARD_DOMAIN_BINDS_MAX], dev_fds[N_DEV];
	bool bind_dir[WARD_DOMAIN_BINDS_MAX];
	_cleanup_close_ int rootfd = -EBADF;
	const unsigned long nx = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	struct stat st;
	int r = 0;

	if (plan->n_code > WARD_DOMAIN_CODE_MAX + 1 || plan->n_binds > WARD_DOMAIN_BINDS_MAX)
		return diag_set(d, -E2BIG, "too many code dirs or binds");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return diag_set(d, -errno, "make / private: %s", strerror(errno));

	/* 1. Capture every source while the host's tree is still in place. */
	for (size_t i = 0; i < plan->n_code; i++) {
		if ((r = clone_tree(plan->code[i], false, &code_fds[i])) < 0)
			return diag_set(d, r, "code dir %s: %s", plan->code[i], strerror(-r));
		/* Read-only, executable, no setuid, no devices. */
		if ((r = set_attr(code_fds[i], false,
				  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				  MOUNT_ATTR_NOEXEC)) < 0)
			return diag_set(d, r, "code dir %s: attributes: %s", plan->code[i],
					strerror(-r));
	}
	for (size_t i = 0; i < plan->n_binds; i++) {
		const struct ward_domain_bind *b = &plan->binds[i];

		if ((r = clone_tree(b->src, true, &bind_fds[i])) < 0)
			return diag_set(d, r, "bind %s: %s", b->src, strerror(-r));
		/* Through the clone: the source's path may be covered by the new root. */
		if (fstat(bind_fds[i], &st) < 0)
			return diag_set(d, -errno, "bind %s: %s", b->src, strerror(errno));
		bind_dir[i] = S_ISDIR(st.st_mode);
		/* Never executable, whatever it holds; setuid bits and devices are inert. */
		if ((r = set_attr(bind_fds[i], true,
				  MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					  (b->ro ? MOUNT_ATTR_RDONLY : 0), 0)) < 0)
			return diag_set(d, r, "bind %s: attributes: %s", b->src, strerror(-r));
	}
	for (size_t i = 0; i < N_DEV; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/dev/%s", dev_nodes[i]);
		dev_fds[i] = -1;
		if (stat(p, &st) < 0 || !S_ISCHR(st.st_mode))
			continue;
		if ((r = clone_tree(p, false, &dev_fds[i])) < 0)
			return diag_set(d, r, "%s: %s", p, strerror(-r));
		if ((r = set_attr(dev_fds[i], false, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID,
				  MOUNT_ATTR_NODEV)) < 0)
			return diag_set(d, r, "%s: attributes: %s", p, strerror(-r));
	}

	/* 2. The new root: a tmpfs, noexec like everything but the code mounts. */
	if (mount("tmpfs", NEWROOT, "tmpfs", nx, "mode=0755,size=1m") < 0)
		return diag_set(d, -errno, "tmpfs root: %s", strerror(errno));
	rootfd = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return diag_set(d, -errno, "new root: %s", strerror(errno));

	/* 3. /usr and the host's merged-/usr links. */
	if ((r = make_mount_point(rootfd, plan->code[0], true, d)) < 0 ||
	    (r = attach(code_fds[0], rootfd, plan->code[0], d)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(usr_links) / sizeof(usr_links[0]); i++) {
		char host[64], target[PATH_MAX];
		ssize_t n;

		snprintf(host, sizeof(host), "/%s", usr_links[i]);
		n = readlink(host, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (symlinkat(target, rootfd, usr_links[i]) < 0)
			return diag_set(d, -errno, "symlink /%s: %s", usr_links[i], strerror(errno));
	}

	/* 4. /proc of the domain's PID namespace, read-only: /proc/self/mem cannot be opened
	 * for writing (a second layer to Landlock), nor any sysctl. */
	if ((r = make_mount_point(rootfd, "/proc", true, d)) < 0)
		return r;
	if (mount("proc", NEWROOT "/proc", "proc", nx | MS_RDONLY, NULL) < 0)
		return diag_set(d, -errno, "proc: %s", strerror(errno));

	/* 5. A minimal /dev, /dev/shm and /tmp. */
	if ((r = mount_tmpfs(rootfd, "/dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", d)) < 0)
		return r;
	for (size_t i = 0; i < N_DEV; i++) {
		char dst[64];

		if (dev_fds[i] < 0)
			continue;
		snprintf(dst, sizeof(dst), "/dev/%s", dev_nodes[i]);
		if ((r = make_mount_point(rootfd, dst, false, d)) < 0 ||
		    (r = attach(dev_fds[i], rootfd, dst, d)) < 0)
			return r;
	}
	if (symlinkat("/proc/self/fd", rootfd, "dev/fd") < 0 ||
	    symlinkat("/proc/self/fd/0", rootfd, "dev/stdin") < 0 ||
	    symlinkat("/proc/self/fd/1", rootfd, "dev/stdout") < 0 ||
	    symlinkat("/proc/self/fd/2", rootfd, "dev/stderr") < 0)
		return diag_set(d, -errno, "/dev links: %s", strerror(errno));
	if (plan->scratch_bytes) {
		/* A sandbox: one size-capped scratch, no POSIX shared memory at all. */
		char opts[64];

		snprintf(opts, sizeof(opts), "mode=1777,size=%llu",
			 (unsigned long long)plan->scratch_bytes);
		if ((r = mount_tmpfs(rootfd, "/tmp", nx, opts, d)) < 0)
			return r;
	} else if ((r = mount_tmpfs(rootfd, "/dev/shm", nx, "mode=1777", d)) < 0 ||
		   (r = mount_tmpfs(rootfd, "/tmp", nx, "mode=1777", d)) < 0) {
		return r;
	}

	/* 6. Binds, then the other code dirs (after /tmp, so a code dir below /tmp appears). */
	for (size_t i = 0; i < plan->n_binds; i++) {
		const struct ward_domain_bind *b = &plan->binds[i];

		if ((r = make_mount_point(rootfd, b->dst, bind_dir[i], d)) < 0 ||
		    (r = attach(bind_fds[i], rootfd, b->dst, d)) < 0)
			return r;
	}
	for (size_t i = 1; i < plan->n_code; i++)
		if ((r = make_mount_point(rootfd, plan->code[i], true, d)) < 0 ||
		    (r = attach(code_fds[i], rootfd, plan->code[i], d)) < 0)
			return r;

	/* 7. Pivot: the old root is stacked under the new one and detached. */
	if (chdir(NEWROOT) < 0)
		return diag_set(d, -errno, "chdir new root: %s", strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return diag_set(d, -errno, "pivot_root: %s", strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		return diag_set(d, -errno, "detach old root: %s", strerror(errno));
	if (chdir("/") < 0)
		return diag_set(d, -errno, "chdir /: %s", strerror(errno));

	/* 8. The root and /dev become read-only (their submounts keep their own flags). */
	{
		struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

		if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) < 0 ||
		    mount_setattr(AT_FDCWD, "/dev", 0, &ro, sizeof(ro)) < 0)
			return diag_set(d, -errno, "read-only root: %s", strerror(errno));
	}

	/* 9. The code mounts as the domain sees them, for the monitor to mark. */
	for (size_t i = 0; i < plan->n_code; i++) {
		ret_fds[i] = open(plan->code[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (ret_fds[i] < 0)
			return diag_set(d, -errno, "code mount %s: %s", plan->code[i],
					strerror(errno));
	}
	return 0;
}

const char *dir_untrusted(const char *path, char *buf, size_t len)
{
	char cur[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(cur))
		return snprintf(buf, len, "path too long"), buf;
	/* From the code dir itself up to /: the code dir may not be sticky-writable. */
	memcpy(cur, path, n + 1);
	for (bool top = true;; top = false) {
		struct stat st;
		char *slash;

		if (lstat(cur[0] ? cur : "/", &st) < 0) {
			snprintf(buf, len, "directory %s cannot be checked: %s", cur[0] ? cur : "/",
				 strerror(errno));
			return buf;
		}
		if (st.st_uid != 0) {
			snprintf(buf, len, "directory %s is owned by uid %u", cur[0] ? cur : "/",
				 (unsigned)st.st_uid);
			return buf;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (top || !(st.st_mode & S_ISVTX))) {
			snprintf(buf, len, "directory %s is writable by group or other (mode %04o)",
				 cur[0] ? cur : "/", (unsigned)(st.st_mode & 07777));
			return buf;
		}
		if (!cur[0])
			return NULL;
		slash = strrchr(cur, '/');
		*slash = 0;
	}
}
