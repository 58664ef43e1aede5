/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measurement: the digest of an open file, streamed. ward measures the very fd that will be
 * used (the fanotify event fd, the fd a CLI verb opened) and never re-opens a path after
 * checking it, so what is measured is what runs.
 */
#ifndef WARD_MEASURE_H
#define WARD_MEASURE_H

#include <stdint.h>

#include "ward/hash.h"

struct ward_digest {
	enum ward_hash_alg alg;
	uint8_t bytes[WARD_HASH_MAX_SIZE];
};

/**
 * measure_fd() - digest the whole content of @fd in one or more banks in one pass.
 * @fd: a readable fd of a regular file; read with pread(2) from offset 0, so the fd's file
 *      position is left alone.
 * @algs: bit mask of enum ward_hash_alg values (at least one).
 * @ret_digests: array of __WARD_HASH_MAX; the entries named in @algs are written on success.
 * @ret_size: bytes hashed, or NULL.
 *
 * Return: 0, -EINVAL for an empty mask, -EIO when OpenSSL fails, or the pread(2) errno.
 */
int measure_fd(int fd, unsigned algs, struct ward_digest *ret_digests, uint64_t *ret_size);

#define WARD_MD5_SIZE 16

/**
 * measure_fd_md5() - measure_fd(), and the MD5 of the same bytes, in the same single pass.
 * @fd: as measure_fd().
 * @algs: as measure_fd().
 * @ret_digests: as measure_fd().
 * @ret_md5: WARD_MD5_SIZE bytes, written on success; NULL makes this measure_fd().
 * @ret_size: as measure_fd().
 *
 * MD5 is broken as a digest and is never what ward allows or records by: it is here only to
 * compare a file with the MD5 dpkg recorded when the package was installed (deb-md5sums(5),
 * ward/dpkg.h), a check that the file did not change since. Both come from one pass over one
 * fd, so a file rewritten while it is read cannot pass that check with one content and be
 * allowed with another.
 *
 * Return: as measure_fd(); nothing is written on failure.
 */
int measure_fd_md5(int fd, unsigned algs, struct ward_digest *ret_digests, uint8_t *ret_md5,
		   uint64_t *ret_size);

/**
 * measure_digest_format() - "sha256:hex..." for a digest.
 * @d: the digest.
 * @out: room for 8 + 2 * WARD_HASH_MAX_SIZE + 1 characters.
 */
void measure_digest_format(const struct ward_digest *d, char *out);

#define WARD_DIGEST_STR_MAX (8 + 2 * WARD_HASH_MAX_SIZE + 1)

/**
 * measure_digest_parse() - parse "alg:hex" (lower-case hex of the algorithm's full size).
 * @s: the text.
 * @ret: the digest.
 *
 * Return: 0 or -EINVAL.
 */
int measure_digest_parse(const char *s, struct ward_digest *ret);


/* Called for every regular file measured by measure_tree(); a negative return stops the walk. */
typedef int (*measure_tree_cb)(void *userdata, const char *path, const struct ward_digest *digest,
			       uint64_t size);
/* Called for every file that could not be measured (the walk goes on). */
typedef void (*measure_tree_err_cb)(void *userdata, const char *path, int err);

/**
 * measure_tree() - measure @path: a regular file, or every regular file below a directory.
 * @path: file or directory; resolved to an absolute path first (symlinks included).
 * @alg: digest algorithm.
 * @cb: receives each (path, digest); paths are @path's resolved form joined with entry names.
 * @err_cb: receives unreadable entries, or NULL.
 * @userdata: passed to the callbacks.
 *
 * Symlinks to regular files are measured (the target's content, under the link's path);
 * symlinks to directories are not followed (no loops, no walking out of the tree). Every file
 * is opened once and measured through that fd, which is checked to be a regular file.
 *
 * Return: 0, -ENOENT/-EACCES for @path itself, -ELOOP beyond 256 directory levels, a callback's
 * negative return, or -ENOMEM.
 */
int measure_tree(const char *path, enum ward_hash_alg alg, measure_tree_cb cb,
		 measure_tree_err_cb err_cb, void *userdata);

/**
 * measure_record_path() - the path a policy records for the file at @path: made absolute against
 * the working directory, its directory resolved (merged /usr: /bin/ls is /usr/bin/ls), its last
 * component kept, so that a symlink is recorded under its own name (with its target's content),
 * as measure_tree() records the entries of a directory.
 * @path: a file's path.
 * @ret_path: PATH_MAX bytes, written on success.
 *
 * Return: 0, -EINVAL when @path has no last component ("/", "dir/"), -ENAMETOOLONG, or the
 * errno of getcwd(3) or realpath(3) (-ENOENT: the directory is gone).
 */
int measure_record_path(const char *path, char *ret_path);

/**
 * measure_open_regular() - open @name relative to @dirfd for measuring: O_RDONLY, O_NOCTTY,
 * O_NONBLOCK (a FIFO swapped in cannot block), then checked to be a regular file.
 * Return: the fd, -EINVAL when not a regular file, or the open(2) errno.
 */
int measure_open_regular(int dirfd, const char *name);
#endif
