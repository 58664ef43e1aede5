/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cleanup-ossl.h"
#include "core/hash-internal.h"
#include "core/util.h"
#include "ward/measure.h"

/*
 * 128 KiB: large enough that syscall cost vanishes, small enough that the copy out of the page
 * cache stays in L2 and the digest reads it from there. A reader thread overlapping the copy
 * with hashing was tried and measured: no faster on an idle 2-CPU machine (89% vs 91% of
 * openssl speed), slower on a busy one, so the copy stays inline (bench/results/digest.md).
 */
#define MEASURE_CHUNK (128u << 10)

/*
 * One context per bank, and one more for MD5 (measure_fd_md5()): every context is fed the same
 * chunk before the next is read.
 */
#define MEASURE_MD5_SLOT __WARD_HASH_MAX
#define MEASURE_SLOTS (__WARD_HASH_MAX + 1)

static int update_all(EVP_MD_CTX **ctx, const uint8_t *p, size_t n)
{
	for (unsigned a = 0; a < MEASURE_SLOTS; a++)
		if (ctx[a] && !EVP_DigestUpdate(ctx[a], p, n))
			return -EIO;
	return 0;
}

static int hash_inline(int fd, EVP_MD_CTX **ctx, uint64_t *ret_off)
{
	_cleanup_free_ uint8_t *chunk = malloc(MEASURE_CHUNK);
	uint64_t off = 0;
	int err;

	if (!chunk)
		return -ENOMEM;
	for (;;) {
		ssize_t k = pread(fd, chunk, MEASURE_CHUNK, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		if ((err = update_all(ctx, chunk, (size_t)k)) < 0)
			return err;
		off += (uint64_t)k;
	}
	*ret_off = off;
	return 0;
}

static int final_one(EVP_MD_CTX *ctx, uint8_t *out, size_t want)
{
	unsigned int n = 0;

	return EVP_DigestFinal_ex(ctx, out, &n) && n == want ? 0 : -EIO;
}

int measure_fd_md5(int fd, unsigned algs, struct ward_digest *ret_digests, uint8_t *ret_md5,
		   uint64_t *ret_size)
{
	EVP_MD_CTX *ctx[MEASURE_SLOTS] = { 0 };
	struct ward_digest dg[__WARD_HASH_MAX];
	uint8_t md5[WARD_MD5_SIZE];
	uint64_t off = 0;
	int r = 0;

	algs &= WARD_HASH_ALL_MASK;
	if (!algs)
		return -EINVAL;
	for (unsigned a = 0; a < MEASURE_SLOTS; a++) {
		const EVP_MD *md;

		if (a == MEASURE_MD5_SLOT && !ret_md5)
			continue;
		if (a != MEASURE_MD5_SLOT && !(algs & (1u << a)))
			continue;
		md = a == MEASURE_MD5_SLOT ? EVP_md5() : hash_alg_md(a);
		ctx[a] = EVP_MD_CTX_new();
		if (!ctx[a] || !md || !EVP_DigestInit_ex(ctx[a], md, NULL)) {
			r = -EIO;
			goto out;
		}
	}
	r = hash_inline(fd, ctx, &off);
	if (r < 0)
		goto out;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		if (!ctx[a])
			continue;
		if ((r = final_one(ctx[a], dg[a].bytes, hash_alg_size(a))) < 0)
			goto out;
		dg[a].alg = a;
	}
	if (ret_md5 && (r = final_one(ctx[MEASURE_MD5_SLOT], md5, WARD_MD5_SIZE)) < 0)
		goto out;
	/* Nothing is written until every digest is final. */
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if (ctx[a])
			ret_digests[a] = dg[a];
	if (ret_md5)
		memcpy(ret_md5, md5, WARD_MD5_SIZE);
	if (ret_size)
		*ret_size = off;
out:
	for (unsigned a = 0; a < MEASURE_SLOTS; a++)
		EVP_MD_CTX_free(ctx[a]);
	return r;
}

int measure_fd(int fd, unsigned algs, struct ward_digest *ret_digests, uint64_t *ret_size)
{
	return measure_fd_md5(fd, algs, ret_digests, NULL, ret_size);
}

void measure_digest_format(const struct ward_digest *d, char *out)
{
	const char *name = hash_alg_name(d->alg);
	size_t n = strlen(name);

	memcpy(out, name, n);
	out[n] = ':';
	hex_encode(d->bytes, hash_alg_size(d->alg), out + n + 1);
}

int measure_digest_parse(const char *s, struct ward_digest *ret)
{
	const char *colon = strchr(s, ':');
	char name[16];
	enum ward_hash_alg alg;
	size_t n;

	if (!colon || (size_t)(colon - s) >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = '\0';
	if (hash_alg_from_name(name, &alg) < 0)
		return -EINVAL;
	if (strlen(colon + 1) != 2 * hash_alg_size(alg))
		return -EINVAL;
	if (hex_decode(colon + 1, strlen(colon + 1), ret->bytes, sizeof(ret->bytes), &n) < 0)
		return -EINVAL;
	ret->alg = alg;
	return 0;
}

int measure_record_path(const char *path, char *ret_path)
{
	char full[PATH_MAX], real[PATH_MAX], out[PATH_MAX], *slash;
	int n;

	if (path[0] == '/') {
		n = snprintf(full, sizeof(full), "%s", path);
	} else {
		if (!getcwd(real, sizeof(real)))
			return -errno;
		n = snprintf(full, sizeof(full), "%s/%s", real, path);
	}
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ENAMETOOLONG;
	slash = strrchr(full, '/');
	if (!slash[1])
		return -EINVAL;
	*slash = '\0';
	if (!realpath(full[0] ? full : "/", real))
		return -errno;
	n = snprintf(out, sizeof(out), "%s/%s", strcmp(real, "/") ? real : "", slash + 1);
	if (n < 0 || (size_t)n >= sizeof(out))
		return -ENAMETOOLONG;
	memcpy(ret_path, out, (size_t)n + 1);
	return 0;
}
