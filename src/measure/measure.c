/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup-ossl.h"
#include "core/hash-internal.h"
#include "core/util.h"
#include "ward/measure.h"

/*
 * 128 KiB: large enough that syscall cost vanishes, small enough that the copy out of the page
 * cache stays in L2 and the digest reads it from there (measured in bench/digest).
 */
#define MEASURE_CHUNK (128u << 10)

/*
 * Files at least this large are read by a helper thread into a ring of chunks while this
 * thread hashes: the copy out of the page cache (about a sixth of the cost of SHA-256 with
 * SHA-NI) then overlaps the digest instead of adding to it. Below it, a thread costs more
 * than it saves. bench/digest measures both paths.
 */
#define MEASURE_PIPELINE_MIN (4u << 20)
#define MEASURE_RING 4

struct ring {
	int fd;
	uint8_t *chunk[MEASURE_RING];
	ssize_t len[MEASURE_RING]; /* bytes read, 0 at EOF, -errno on error */
	bool full[MEASURE_RING];
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *ring_reader(void *arg)
{
	struct ring *r = arg;
	uint64_t off = 0;

	for (unsigned i = 0;; i = (i + 1) % MEASURE_RING) {
		ssize_t k;

		pthread_mutex_lock(&r->lock);
		while (r->full[i] && !r->stop)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		pthread_mutex_unlock(&r->lock);
		do
			k = pread(r->fd, r->chunk[i], MEASURE_CHUNK, (off_t)off);
		while (k < 0 && errno == EINTR);
		pthread_mutex_lock(&r->lock);
		r->len[i] = k < 0 ? -errno : k;
		r->full[i] = true;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
		if (k <= 0)
			return NULL;
		off += (uint64_t)k;
	}
}

static int update_all(EVP_MD_CTX **ctx, const uint8_t *p, size_t n)
{
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if (ctx[a] && !EVP_DigestUpdate(ctx[a], p, n))
			return -EIO;
	return 0;
}

static int hash_pipelined(int fd, EVP_MD_CTX **ctx, uint64_t *ret_off)
{
	struct ring r = { .fd = fd, .lock = PTHREAD_MUTEX_INITIALIZER,
			  .cond = PTHREAD_COND_INITIALIZER };
	uint64_t off = 0;
	pthread_t tid;
	int err = 0;

	for (unsigned i = 0; i < MEASURE_RING; i++) {
		r.chunk[i] = malloc(MEASURE_CHUNK);
		if (!r.chunk[i]) {
			err = -ENOMEM;
			goto out;
		}
	}
	if ((err = -pthread_create(&tid, NULL, ring_reader, &r)) < 0)
		goto out;
	for (unsigned i = 0;; i = (i + 1) % MEASURE_RING) {
		ssize_t k;

		pthread_mutex_lock(&r.lock);
		while (!r.full[i])
			pthread_cond_wait(&r.cond, &r.lock);
		k = r.len[i];
		pthread_mutex_unlock(&r.lock);
		if (k <= 0) {
			err = (int)k;
			break;
		}
		if ((err = update_all(ctx, r.chunk[i], (size_t)k)) < 0)
			break;
		off += (uint64_t)k;
		pthread_mutex_lock(&r.lock);
		r.full[i] = false;
		pthread_cond_broadcast(&r.cond);
		pthread_mutex_unlock(&r.lock);
	}
	/* The reader stops at EOF or an error by itself; after a hashing error, tell it. */
	pthread_mutex_lock(&r.lock);
	r.stop = true;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	pthread_join(tid, NULL);
	*ret_off = off;
out:
	for (unsigned i = 0; i < MEASURE_RING; i++)
		free(r.chunk[i]);
	return err;
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
	struct stat st;
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
	/* The size only picks the strategy; the digest covers whatever the reads return. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= MEASURE_PIPELINE_MIN)
		r = hash_pipelined(fd, ctx, &off);
	else
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
