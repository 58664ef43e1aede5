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

#endif
