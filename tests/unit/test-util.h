/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the cmocka unit tests: vectors, temp dirs, small builders. */
#ifndef WARD_TEST_UTIL_H
#define WARD_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util.h"

/* Read $WARD_VECTORS/@rel whole; fails the test if missing (never a silent skip). */
static inline uint8_t *test_vector(const char *rel, size_t *ret_len)
{
	const char *dir = getenv("WARD_VECTORS");
	char path[4096];
	uint8_t *buf = NULL;

	if (!dir)
		dir = "../shared/vectors";
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (read_file_full(path, 1u << 30, &buf, ret_len) < 0)
		fail_msg("cannot read vector %s (set WARD_VECTORS)", path);
	return buf;
}

/* A fresh private directory under $TMPDIR; the caller removes it with test_rmtree(). */
static inline char *test_tmpdir(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p;

	if (asprintf(&p, "%s/ward-unit-XXXXXX", base) < 0 || !mkdtemp(p))
		fail_msg("mkdtemp failed");
	return p;
}

static inline void test_rmtree(char *dir)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
		if (system(cmd) != 0)
			print_error("cannot remove %s\n", dir);
		free(cmd);
	}
	free(dir);
}

static inline void test_hex(const char *hex, uint8_t *out, size_t outlen)
{
	size_t n;

	assert_int_equal(hex_decode(hex, strlen(hex), out, outlen, &n), 0);
	assert_int_equal(n, outlen);
}

#endif
