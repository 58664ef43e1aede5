/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdbool.h>
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

static int update_all(EVP_MD_CTX **ctx, const uint8_t *p, size_t n)
{
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
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

int measure_fd(int fd, unsigned algs, struct ward_digest *ret_digests, uint64_t *ret_size)
{
	EVP_MD_CTX *ctx[__WARD_HASH_MAX] = { 0 };
	uint64_t off = 0;
	int r = 0;

	algs &= WARD_HASH_ALL_MASK;
	if (!algs)
		return -EINVAL;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		if (!(algs & (1u << a)))
			continue;
		ctx[a] = EVP_MD_CTX_new();
		if (!ctx[a] || !EVP_DigestInit_ex(ctx[a], hash_alg_md(a), NULL)) {
			r = -EIO;
			goto out;
		}
	}
	r = hash_inline(fd, ctx, &off);
	if (r < 0)
		goto out;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		unsigned int n = 0;

		if (!ctx[a])
			continue;
		if (!EVP_DigestFinal_ex(ctx[a], ret_digests[a].bytes, &n) || n != hash_alg_size(a)) {
			r = -EIO;
			goto out;
		}
		ret_digests[a].alg = a;
	}
	if (ret_size)
		*ret_size = off;
out:
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		EVP_MD_CTX_free(ctx[a]);
	return r;
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
