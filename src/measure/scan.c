/* SPDX-License-Identifier: Apache-2.0 */
/* Walking a tree of files and measuring each one through the fd it was opened as. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "ward/measure.h"

#define SCAN_DEPTH_MAX 256

struct walk {
	enum ward_hash_alg alg;
	measure_tree_cb cb;
	measure_tree_err_cb err_cb;
	void *userdata;
};

int measure_open_regular(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* @named: the user named this file; its failure ends the walk instead of being reported. */
static int measure_one(struct walk *w, int dirfd, const char *name, const char *path, bool named)
{
	_cleanup_close_ int fd = measure_open_regular(dirfd, name);
	struct ward_digest dg[__WARD_HASH_MAX];
	uint64_t size;
	int r;

	if (fd < 0 && named)
		return fd;
	if (fd < 0) {
		if (w->err_cb)
			w->err_cb(w->userdata, path, fd);
		return 0;
	}
	r = measure_fd(fd, 1u << w->alg, dg, &size);
	if (r < 0) {
		if (w->err_cb)
			w->err_cb(w->userdata, path, r);
		return r == -ENOMEM || r == -EIO ? r : 0;
	}
	return w->cb(w->userdata, path, &dg[w->alg], size);
}

static int walk_dir(struct walk *w, int dfd, const char *path, int depth)
{
	DIR *dir;
	struct dirent *de;
	int r = 0;

	if (depth > SCAN_DEPTH_MAX)
		return -ELOOP;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		char sub[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", path, strcmp(path, "/") ? "/" : "",
			     de->d_name) >= (int)sizeof(sub)) {
			if (w->err_cb)
				w->err_cb(w->userdata, de->d_name, -ENAMETOOLONG);
			continue;
		}
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sfd = openat(dirfd(dir), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0) {
				if (w->err_cb)
					w->err_cb(w->userdata, sub, -errno);
				continue;
			}
			r = walk_dir(w, sfd, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) ||
			   (S_ISLNK(st.st_mode) && fstatat(dirfd(dir), de->d_name, &st, 0) == 0 &&
			    S_ISREG(st.st_mode))) {
			r = measure_one(w, dirfd(dir), de->d_name, sub, false);
		}
		if (r < 0)
			break;
	}
	closedir(dir);
	return r;
}

int measure_tree(const char *path, enum ward_hash_alg alg, measure_tree_cb cb,
		 measure_tree_err_cb err_cb, void *userdata)
{
	struct walk w = { alg, cb, err_cb, userdata };
	_cleanup_free_ char *abs = realpath(path, NULL);
	struct stat st;
	int fd;

	if (!abs)
		return -errno;
	if (stat(abs, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return measure_one(&w, AT_FDCWD, abs, abs, true);
	if (!S_ISDIR(st.st_mode))
		return -EINVAL;
	fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return walk_dir(&w, fd, abs, 0);
}
