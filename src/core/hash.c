/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/hash-internal.h"
#include "ward/hash.h"

static const struct {
	const char *name;
	size_t size;
	uint16_t tpm_id;
} algs[__WARD_HASH_MAX] = {
	[WARD_HASH_SHA1] = { "sha1", 20, 0x0004 },
	[WARD_HASH_SHA256] = { "sha256", 32, 0x000B },
	[WARD_HASH_SHA384] = { "sha384", 48, 0x000C },
	[WARD_HASH_SHA512] = { "sha512", 64, 0x000D },
};

const char *hash_alg_name(enum ward_hash_alg alg)
{
	return (unsigned)alg < __WARD_HASH_MAX ? algs[alg].name : NULL;
}

size_t hash_alg_size(enum ward_hash_alg alg)
{
	return (unsigned)alg < __WARD_HASH_MAX ? algs[alg].size : 0;
}

uint16_t hash_alg_tpm_id(enum ward_hash_alg alg)
{
	return (unsigned)alg < __WARD_HASH_MAX ? algs[alg].tpm_id : 0;
}

int hash_alg_from_name(const char *name, enum ward_hash_alg *ret_alg)
{
	for (unsigned i = 0; i < __WARD_HASH_MAX; i++)
		if (strcmp(name, algs[i].name) == 0) {
			*ret_alg = i;
			return 0;
		}
	return -EINVAL;
}

int hash_alg_from_size(size_t size, enum ward_hash_alg *ret_alg)
{
	for (unsigned i = 0; i < __WARD_HASH_MAX; i++)
		if (algs[i].size == size) {
			*ret_alg = i;
			return 0;
		}
	return -EINVAL;
}

int hash_alg_from_tpm_id(uint16_t id, enum ward_hash_alg *ret_alg)
{
	for (unsigned i = 0; i < __WARD_HASH_MAX; i++)
		if (algs[i].tpm_id == id) {
			*ret_alg = i;
			return 0;
		}
	return -EOPNOTSUPP;
}

/*
 * Fetched once: EVP_get_digestbyname() per call would take a global lock and a table walk on
 * the exec hot path.
 */
const EVP_MD *hash_alg_md(enum ward_hash_alg alg)
{
	static const EVP_MD *cache[__WARD_HASH_MAX];

	if ((unsigned)alg >= __WARD_HASH_MAX)
		return NULL;
	if (!__atomic_load_n(&cache[alg], __ATOMIC_ACQUIRE)) {
		EVP_MD *md = EVP_MD_fetch(NULL, algs[alg].name, NULL);
		const EVP_MD *expected = NULL;

		if (!md)
			return NULL;
		if (!__atomic_compare_exchange_n(&cache[alg], &expected, md, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			EVP_MD_free(md);
	}
	return cache[alg];
}

int hash_buf(enum ward_hash_alg alg, const void *buf, size_t len, uint8_t *out)
{
	const EVP_MD *md = hash_alg_md(alg);
	unsigned int n = 0;

	if (!md || !EVP_Digest(buf, len, out, &n, md, NULL) || n != algs[alg].size)
		return -EIO;
	return 0;
}

int hash_extend(enum ward_hash_alg alg, uint8_t *reg, const uint8_t *digest)
{
	uint8_t tmp[2 * WARD_HASH_MAX_SIZE];
	size_t n = hash_alg_size(alg);

	if (!n)
		return -EINVAL;
	memcpy(tmp, reg, n);
	memcpy(tmp + n, digest, n);
	return hash_buf(alg, tmp, 2 * n, reg);
}
