/* SPDX-License-Identifier: Apache-2.0 */
/* The Keylime runtime policy reader: a table of good and bad documents, and what each yields. */
#include <errno.h>

#include "test-util.h"
#include "ward/limits.h"
#include "ward/policy-keylime.h"

#define H40 "0123456789abcdef0123456789abcdef01234567"
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define H96 H64 "0123456789abcdef0123456789abcdef"
#define H128 H64 H64B
#define META "\"meta\":{\"version\":1}"
/* A whole policy as keylime-policy writes it (keylime/ima/ima.py EMPTY_RUNTIME_POLICY, filled). */
#define FULL                                                                                       \
	"{\"meta\":{\"version\":1,\"generator\":3,\"timestamp\":\"2024-01-01 00:00:00\"},"          \
	"\"release\":0,"                                                                           \
	"\"digests\":{\"/usr/bin/a\":[\"" H64 "\",\"" H40 "\"],\"/usr/bin/b\":[\"" H40 "\"],"      \
	"\"/usr/bin/c\":[\"" H64B "\",\"" H64 "\"],\"boot_aggregate\":[\"" H64 "\"]},"              \
	"\"excludes\":[\"/tmp/.*\",\"/var/.*\"],"                                                   \
	"\"keyrings\":{\".ima\":[\"" H64 "\"]},"                                                   \
	"\"ima\":{\"ignored_keyrings\":[\"*\"],\"log_hash_alg\":\"sha1\",\"dm_policy\":null},"     \
	"\"ima-buf\":{\"dm_table_load\":[\"" H64 "\",\"" H64B "\"]},"                              \
	"\"verification-keys\":\"\"}"

static void test_parse_table(void **state)
{
	static const struct {
		const char *in;
		enum ward_hash_alg alg;
		int err;
		const char *msg;
	} rows[] = {
		/* good */
		{ "{" META ",\"digests\":{}}", WARD_HASH_SHA256, 0, "" },
		{ FULL, WARD_HASH_SHA256, 0, "" },
		{ FULL, WARD_HASH_SHA1, 0, "" },
		{ "{" META ",\"digests\":{\"/a\":[\"" H96 "\",\"" H128 "\"]}}", WARD_HASH_SHA384, 0, "" },
		{ "{" META ",\"digests\":{},\"ima\":{\"dm_policy\":{\"version\":1}}}", WARD_HASH_SHA256,
		  0, "" },
		{ "{" META ",\"digests\":{},\"rules\":\"measure func=BPRM_CHECK\"}", WARD_HASH_SHA256, 0,
		  "" },
		/* not a runtime policy */
		{ "", WARD_HASH_SHA256, -EBADMSG, "keylime policy: line" },
		{ "[]", WARD_HASH_SHA256, -EBADMSG, "expected a JSON object" },
		{ "{\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG, "\"meta\" is missing" },
		{ "{" META "}", WARD_HASH_SHA256, -EBADMSG, "\"digests\" is missing" },
		{ "{" META ",\"digests\":{}} x", WARD_HASH_SHA256, -EBADMSG, "line 1" },
		/* strict: duplicate and unknown keys, at every level */
		{ "{" META "," META ",\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG, "duplicate" },
		{ "{" META ",\"digests\":{\"/a\":[\"" H64 "\"],\"/a\":[\"" H64 "\"]}}", WARD_HASH_SHA256,
		  -EBADMSG, "duplicate" },
		{ "{" META ",\"digests\":{},\"exclude\":[]}", WARD_HASH_SHA256, -EBADMSG,
		  "keylime policy: unknown key \"exclude\"" },
		{ "{\"meta\":{\"version\":1,\"x\":1},\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG,
		  "keylime policy: meta: unknown key \"x\"" },
		{ "{" META ",\"digests\":{},\"ima\":{\"x\":1}}", WARD_HASH_SHA256, -EBADMSG,
		  "keylime policy: ima: unknown key \"x\"" },
		/* meta */
		{ "{\"meta\":[],\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG, "\"meta\" must be an object" },
		{ "{\"meta\":{},\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG,
		  "meta: \"version\" must be a non-negative integer" },
		{ "{\"meta\":{\"version\":2},\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG,
		  "meta.version 2 is not supported" },
		{ "{\"meta\":{\"version\":\"1\"},\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG,
		  "meta: \"version\" must be a non-negative integer" },
		{ "{\"meta\":{\"version\":1,\"generator\":4},\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG,
		  "meta.generator must be an integer in 0..3" },
		{ "{\"meta\":{\"version\":1,\"timestamp\":0},\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG,
		  "meta.timestamp must be a string" },
		{ "{" META ",\"release\":-1,\"digests\":{}}", WARD_HASH_SHA256, -EBADMSG,
		  "\"release\" must be a non-negative integer" },
		/* digests: types and Keylime's pattern, ^[0-9a-f]{40,128}$, with the key path */
		{ "{" META ",\"digests\":[]}", WARD_HASH_SHA256, -EBADMSG, "\"digests\" must be an object" },
		{ "{" META ",\"digests\":{\"/a\":\"" H64 "\"}}", WARD_HASH_SHA256, -EBADMSG,
		  "digests[\"/a\"] must be a non-empty array of digests" },
		{ "{" META ",\"digests\":{\"/a\":[]}}", WARD_HASH_SHA256, -EBADMSG,
		  "digests[\"/a\"] must be a non-empty array of digests" },
		{ "{" META ",\"digests\":{\"/a\":[\"" H64 "\",1]}}", WARD_HASH_SHA256, -EBADMSG,
		  "digests[\"/a\"][1] must be 40..128 lower-case hex digits" },
		{ "{" META ",\"digests\":{\"/a\":[\"" H64 "\",\"ABCDEF0123456789ABCDEF0123456789ABCDEF01\"]}}",
		  WARD_HASH_SHA256, -EBADMSG, "digests[\"/a\"][1] must be 40..128" },
		{ "{" META ",\"digests\":{\"/a\":[\"0123456789abcdef0123456789abcdef0123456\"]}}",
		  WARD_HASH_SHA256, -EBADMSG, "digests[\"/a\"][0] must be 40..128" },
		{ "{" META ",\"digests\":{\"/a\":[\"" H128 "0\"]}}", WARD_HASH_SHA256, -EBADMSG,
		  "digests[\"/a\"][0] must be 40..128" },
		{ "{" META ",\"digests\":{\"/a\":[\"sha256:" H64 "\"]}}", WARD_HASH_SHA256, -EBADMSG,
		  "digests[\"/a\"][0] must be 40..128" },
		{ "{" META ",\"digests\":{\"\":[\"" H64 "\"]}}", WARD_HASH_SHA256, -EBADMSG,
		  "digests: a name must be 1..4095 bytes" },
		{ "{" META ",\"digests\":{\"/a\\u0000b\":[\"" H64 "\"]}}", WARD_HASH_SHA256, -EBADMSG,
		  "NUL" },
		/* the other parts: their types, although nothing of them is imported */
		{ "{" META ",\"digests\":{},\"excludes\":\"/tmp\"}", WARD_HASH_SHA256, -EBADMSG,
		  "\"excludes\" must be an array of strings" },
		{ "{" META ",\"digests\":{},\"excludes\":[\"/tmp\",3]}", WARD_HASH_SHA256, -EBADMSG,
		  "excludes[1] must be a string" },
		{ "{" META ",\"digests\":{},\"keyrings\":{\".ima\":[\"xyz\"]}}", WARD_HASH_SHA256,
		  -EBADMSG, "keyrings[\".ima\"][0] must be 40..128" },
		{ "{" META ",\"digests\":{},\"ima-buf\":[]}", WARD_HASH_SHA256, -EBADMSG,
		  "\"ima-buf\" must be an object" },
		{ "{" META ",\"digests\":{},\"ima\":[]}", WARD_HASH_SHA256, -EBADMSG,
		  "\"ima\" must be an object" },
		{ "{" META ",\"digests\":{},\"ima\":{\"ignored_keyrings\":[1]}}", WARD_HASH_SHA256,
		  -EBADMSG, "ima.ignored_keyrings[0] must be a string" },
		{ "{" META ",\"digests\":{},\"ima\":{\"log_hash_alg\":\"md5\"}}", WARD_HASH_SHA256,
		  -EBADMSG, "ima.log_hash_alg must be" },
		{ "{" META ",\"digests\":{},\"ima\":{\"dm_policy\":1}}", WARD_HASH_SHA256, -EBADMSG,
		  "ima.dm_policy must be null or an object" },
		{ "{" META ",\"digests\":{},\"verification-keys\":[]}", WARD_HASH_SHA256, -EBADMSG,
		  "\"verification-keys\" must be a string" },
		{ "{" META ",\"digests\":{},\"rules\":1}", WARD_HASH_SHA256, -EBADMSG,
		  "\"rules\" must be a string" },
		/* the caller's algorithm */
		{ "{" META ",\"digests\":{}}", __WARD_HASH_MAX, -EINVAL, "unknown hash algorithm" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_keylime *k = NULL;
		struct ward_diag d = { { 0 } };
		int r = policy_keylime_parse((const uint8_t *)rows[i].in, strlen(rows[i].in),
					     rows[i].alg, &k, &d);

		if (r != rows[i].err || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu: %d \"%s\", want %d \"%s\"", i, r, d.msg, rows[i].err,
				 rows[i].msg);
		if (r == 0)
			assert_non_null(k);
		policy_keylime_free(k);
	}
}

static bool has_entry(const struct ward_keylime *k, const char *path, const char *hex)
{
	uint8_t want[WARD_HASH_MAX_SIZE];
	size_t n = hash_alg_size(k->hash);

	test_hex(hex, want, n);
	for (size_t i = 0; i < k->n_entries; i++)
		if (strcmp(k->entries[i].path, path) == 0 && memcmp(k->entries[i].digest, want, n) == 0)
			return true;
	return false;
}

/* The whole policy in sha256: what is imported, and every part left out counted. */
static void test_full_sha256(void **state)
{
	struct ward_keylime *k = NULL;
	struct ward_diag d = { { 0 } };

	assert_int_equal(policy_keylime_parse((const uint8_t *)FULL, strlen(FULL), WARD_HASH_SHA256,
					      &k, &d),
			 0);
	assert_int_equal(k->hash, WARD_HASH_SHA256);
	assert_int_equal(k->n_entries, 3);
	assert_true(has_entry(k, "/usr/bin/a", H64));
	assert_true(has_entry(k, "/usr/bin/c", H64B));
	assert_true(has_entry(k, "/usr/bin/c", H64)); /* several digests per path: each an entry */
	assert_int_equal(k->n_paths, 2);	      /* /usr/bin/b has only a sha1 digest */
	assert_int_equal(k->n_other_alg, 2);
	assert_int_equal(k->n_boot_aggregate, 1);
	assert_int_equal(k->n_excludes, 2);
	assert_string_equal(k->excludes[0], "/tmp/.*");
	assert_string_equal(k->excludes[1], "/var/.*");
	assert_int_equal(k->n_keyrings, 1);
	assert_int_equal(k->n_ima_buf, 2);
	assert_false(k->verification_keys); /* "" is Keylime's "none" */
	assert_false(k->dm_policy);
	assert_false(k->rules);
	assert_true(k->has_release);
	assert_int_equal(k->release, 0);
	policy_keylime_free(k);
}

/* The same policy in sha1: the other lengths swap places. */
static void test_full_sha1(void **state)
{
	struct ward_keylime *k = NULL;

	assert_int_equal(policy_keylime_parse((const uint8_t *)FULL, strlen(FULL), WARD_HASH_SHA1,
					      &k, NULL),
			 0);
	assert_int_equal(k->n_entries, 2);
	assert_true(has_entry(k, "/usr/bin/a", H40));
	assert_true(has_entry(k, "/usr/bin/b", H40));
	assert_int_equal(k->n_other_alg, 3);
	assert_int_equal(k->n_boot_aggregate, 1);
	policy_keylime_free(k);
}

static void test_flags(void **state)
{
	static const char in[] = "{" META ",\"digests\":{\"/a\":[\"" H96 "\",\"" H128 "\"]},"
				 "\"verification-keys\":\"[{\\\"k\\\":1}]\","
				 "\"ima\":{\"dm_policy\":{\"version\":1}},\"rules\":\"x\"}";
	struct ward_keylime *k = NULL;

	assert_int_equal(policy_keylime_parse((const uint8_t *)in, strlen(in), WARD_HASH_SHA512,
					      &k, NULL),
			 0);
	assert_int_equal(k->n_entries, 1);
	assert_true(has_entry(k, "/a", H128));
	assert_int_equal(k->n_other_alg, 1);
	assert_true(k->verification_keys);
	assert_true(k->dm_policy);
	assert_true(k->rules);
	assert_false(k->has_release);
	policy_keylime_free(k);
}

/* The bounds: the input's size and the number of digests. */
static void test_limits(void **state)
{
	static const char head[] = "{" META ",\"digests\":{\"/a\":[";
	struct ward_keylime *k = NULL;
	struct ward_diag d = { { 0 } };
	size_t n = (size_t)WARD_POLICY_ENTRIES_MAX + 1, len, off;
	char *buf;

	assert_int_equal(policy_keylime_parse((const uint8_t *)"{}", (size_t)WARD_POLICY_FILE_MAX + 1,
					      WARD_HASH_SHA256, &k, &d),
			 -EFBIG);
	assert_non_null(strstr(d.msg, "larger than"));
	/* One digest more than an allowlist may hold: 4 Mi short strings, ~180 MB of JSON. */
	len = sizeof(head) + n * (sizeof(H40) + 3) + 8;
	buf = malloc(len);
	assert_non_null(buf);
	off = (size_t)snprintf(buf, len, "%s", head);
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + off, i ? ",\"" H40 "\"" : "\"" H40 "\"", i ? sizeof(H40) + 2 : sizeof(H40) + 1);
		off += i ? sizeof(H40) + 2 : sizeof(H40) + 1;
	}
	off += (size_t)snprintf(buf + off, len - off, "]}}");
	assert_true(off <= (size_t)WARD_POLICY_FILE_MAX);
	assert_int_equal(policy_keylime_parse((const uint8_t *)buf, off, WARD_HASH_SHA256, &k, &d),
			 -E2BIG);
	assert_non_null(strstr(d.msg, "more than 4194304 digests"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_full_sha256),
		cmocka_unit_test(test_full_sha1),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
