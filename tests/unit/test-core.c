/* SPDX-License-Identifier: Apache-2.0 */
/* Encodings and strict JSON: one spelling per value. */
#include <errno.h>

#include "test-util.h"
#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/hash.h"

static void test_hex_table(void **state)
{
	static const struct {
		const char *in;
		int err;
	} rows[] = {
		{ "", 0 },	    { "00ff", 0 },	{ "0", -EINVAL },  { "0g", -EINVAL },
		{ "AB", -EINVAL }, { "aB", -EINVAL },	{ " a", -EINVAL }, { "0123456789abcdef", 0 },
	};
	uint8_t out[16];
	size_t n;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(hex_decode(rows[i].in, strlen(rows[i].in), out, sizeof(out), &n),
				 rows[i].err);
	assert_int_equal(hex_decode("000000", 6, out, 2, &n), -E2BIG);
}

static void test_b64_canonical(void **state)
{
	static const struct {
		const char *in;
		int err;
		size_t len;
	} rows[] = {
		{ "", 0, 0 },		{ "AA==", 0, 1 },	  { "AAA=", 0, 2 },
		{ "AAAA", 0, 3 },	{ "AB==", -EINVAL, 0 }, /* non-zero padding bits */
		{ "AAB=", -EINVAL, 0 }, { "AA=", -EINVAL, 0 },  { "AA", -EINVAL, 0 },
		{ " AAA", -EINVAL, 0 }, { "A===", -EINVAL, 0 }, { "AA\nA", -EINVAL, 0 },
		{ "====", -EINVAL, 0 }, { "aGVsbG8=", 0, 5 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t *out = NULL;
		size_t n = 99;
		int r = b64_decode(rows[i].in, strlen(rows[i].in), &out, &n);

		if (r != rows[i].err)
			fail_msg("row %zu (%s): got %d, want %d", i, rows[i].in, r, rows[i].err);
		if (r == 0)
			assert_int_equal(n, rows[i].len);
		free(out);
	}
}

static void test_b64_roundtrip(void **state)
{
	uint8_t in[256];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(in); len++) {
		char *s = b64_encode(in, len);
		uint8_t *out = NULL;
		size_t n;

		assert_non_null(s);
		assert_int_equal(b64_decode(s, strlen(s), &out, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
		free(out);
		free(s);
	}
}

static void test_json_strict(void **state)
{
	static const char *const keys[] = { "a", "b", NULL };
	static const struct {
		const char *in;
		int parse;
		int keys;
	} rows[] = {
		{ "{\"a\":1}", 0, 0 },
		{ "{\"a\":1,\"a\":2}", -EBADMSG, 0 },	 /* duplicate key */
		{ "{\"a\":1} x", -EBADMSG, 0 },		 /* trailing data */
		{ "{\"a\":\"\\u0000\"}", -EBADMSG, 0 }, /* NUL in a string */
		{ "{\"c\":1}", 0, -EBADMSG },		 /* unknown key */
		{ "[1]", 0, -EBADMSG },			 /* not an object */
		{ "{\"b\":{\"x\":1,\"x\":1}}", -EBADMSG, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		_cleanup_json_ json_t *v = NULL;
		struct ward_diag d;
		int r = json_parse_strict((const uint8_t *)rows[i].in, strlen(rows[i].in), "t", &v, &d);

		if (r != rows[i].parse)
			fail_msg("row %zu: parse %d, want %d", i, r, rows[i].parse);
		if (r == 0)
			assert_int_equal(json_only_keys(v, keys, "t", &d), rows[i].keys);
	}
}

static void test_hash_extend(void **state)
{
	/* PCR extend of sha1: H(0^20 || 0xff^20), a well-known value for one violation */
	uint8_t reg[20] = { 0 }, ff[20], want[20];

	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(hash_extend(WARD_HASH_SHA1, reg, ff), 0);
	{
		uint8_t in[40] = { 0 };
		memset(in + 20, 0xff, 20);
		assert_int_equal(hash_buf(WARD_HASH_SHA1, in, 40, want), 0);
	}
	assert_memory_equal(reg, want, 20);
	assert_int_equal(hash_alg_size(__WARD_HASH_MAX), 0);
	assert_null(hash_alg_name(__WARD_HASH_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_table),   cmocka_unit_test(test_b64_canonical),
		cmocka_unit_test(test_b64_roundtrip), cmocka_unit_test(test_json_strict),
		cmocka_unit_test(test_hash_extend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
