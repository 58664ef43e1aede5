/* SPDX-License-Identifier: Apache-2.0 */
/* The digest algorithms ward measures with and the log banks it keeps. */
#ifndef WARD_HASH_H
#define WARD_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ward_hash_alg {
	WARD_HASH_SHA1,
	WARD_HASH_SHA256,
	WARD_HASH_SHA384,
	WARD_HASH_SHA512,
	__WARD_HASH_MAX,
};

#define WARD_HASH_MAX_SIZE 64
#define WARD_HASH_ALL_MASK ((1u << __WARD_HASH_MAX) - 1)

/** hash_alg_name() - "sha1", "sha256", ...; NULL for an invalid value. */
const char *hash_alg_name(enum ward_hash_alg alg);

/** hash_alg_size() - digest size in bytes; 0 for an invalid value. */
size_t hash_alg_size(enum ward_hash_alg alg);

/** hash_alg_tpm_id() - the TPM_ALG_ID (0x0004 sha1, 0x000B sha256, ...). */
uint16_t hash_alg_tpm_id(enum ward_hash_alg alg);

/**
 * hash_alg_from_name() - parse an algorithm name.
 * @name: "sha1", "sha256", "sha384" or "sha512".
 * @ret_alg: the algorithm, on success.
 *
 * Return: 0, or -EINVAL for any other name.
 */
int hash_alg_from_name(const char *name, enum ward_hash_alg *ret_alg);

/** hash_alg_from_size() - the algorithm whose digest has @size bytes; -EINVAL if none. */
int hash_alg_from_size(size_t size, enum ward_hash_alg *ret_alg);

/** hash_alg_from_tpm_id() - the algorithm for a TPM_ALG_ID; -EOPNOTSUPP if unsupported. */
int hash_alg_from_tpm_id(uint16_t id, enum ward_hash_alg *ret_alg);

/**
 * hash_buf() - one-shot digest of a buffer.
 * @alg: algorithm.
 * @buf: data.
 * @len: its length.
 * @out: WARD_HASH_MAX_SIZE bytes of room.
 *
 * Return: 0, or -EIO when OpenSSL fails (never expected; callers deny).
 */
int hash_buf(enum ward_hash_alg alg, const void *buf, size_t len, uint8_t *out);

/**
 * hash_extend() - PCR-style extend: reg = H(reg || digest), both of the bank's size.
 * @alg: the bank.
 * @reg: register value, updated in place.
 * @digest: the value extended.
 *
 * Return: 0 or -EIO.
 */
int hash_extend(enum ward_hash_alg alg, uint8_t *reg, const uint8_t *digest);

#endif
