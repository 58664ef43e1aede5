/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-policy records (a transition of a state dir's installed policy): one transition, one byte
 * string; every action round trips; the largest numbers JSON carries; and a table of malformed
 * and non-canonical buffers, each refused with the words of its reason.
 */
#include <errno.h>

#include "test-util.h"
#include "ward/decision.h"

#define HEX64 "064322f2b09b2c44d0ab2b1c9e8f5a3467d0c1e2f3a4b5c6d7e8f90a1b2c3d4e"
#define KEYID "ed25519:f290722e0123456789abcdef0123456789abcdef0123456789abcdef01234567"

static struct ward_policy_event sample(void)
{
	struct ward_policy_event ev = { .action = WARD_POLICY_UPDATE, .name = "loop",
					.version = 11, .issuer = KEYID, .high_water = 11 };

	test_hex(HEX64, ev.digest, 32);
	return ev;
}

static void assert_same(const struct ward_policy_event *a, const struct ward_policy_event *b)
{
	assert_int_equal(a->action, b->action);
	assert_string_equal(a->name, b->name);
	assert_true(a->version == b->version);
	assert_memory_equal(a->digest, b->digest, 32);
	assert_string_equal(a->issuer, b->issuer);
	assert_true(a->high_water == b->high_water);
}

static const uint8_t *buf_of(const struct ward_evlog_record *rec, uint32_t *len)
{
	const uint8_t *b = evlog_record_field(rec, WARD_TF_BUF, len);

	assert_non_null(b);
	return b;
}

/* The exact bytes of docs/evidence-format.md 3.3's example, and its decoding back. */
static void test_canonical_bytes(void **state)
{
	static const char want[] = "{\"action\":\"update\",\"digest\":\"" HEX64 "\","
				   "\"high_water\":11,\"issuer\":\"" KEYID "\",\"name\":\"loop\","
				   "\"v\":1,\"version\":11}";
	struct ward_policy_event ev = sample(), back;
	struct ward_evlog_record rec = { 0 };
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;

	(void)state;
	assert_int_equal(policy_event_record_new(10, &ev, &rec), 0);
	assert_int_equal(rec.pcr, 10);
	assert_string_equal(rec.template_name, "ima-buf");
	assert_string_equal(evlog_record_name(&rec), WARD_POLICY_RECORD_NAME);
	buf = buf_of(&rec, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(policy_event_from_record(&rec, &back, &d), 0);
	assert_same(&ev, &back);
	evlog_record_free(&rec);
}

/* Each action, with the smallest and the largest numbers and names: decode, encode, same bytes. */
static void test_roundtrip_actions(void **state)
{
	static const char *const names[] = { "install", "update", "revoke" };

	(void)state;
	assert_int_equal(__WARD_POLICY_ACTION_MAX, 3);
	for (int a = 0; a < __WARD_POLICY_ACTION_MAX; a++) {
		assert_string_equal(policy_action_name(a), names[a]);
		for (int big = 0; big < 2; big++) {
			struct ward_policy_event ev = sample(), back;
			struct ward_evlog_record rec = { 0 }, again = { 0 };
			struct ward_diag d = { { 0 } };
			const uint8_t *b1, *b2;
			uint32_t l1, l2;
			char key[32];

			ev.action = a;
			if (big) {
				/* JSON integers stop at INT64_MAX; names at 127 bytes. */
				ev.version = ev.high_water = INT64_MAX;
				memset(ev.name, 'p', sizeof(ev.name) - 1);
				ev.name[sizeof(ev.name) - 1] = 0;
				memset(ev.digest, 0xff, 32);
			} else {
				ev.version = ev.high_water = 0;
				ev.name[0] = 0;
				memset(ev.digest, 0, 32);
			}
			assert_int_equal(policy_event_record_new(10, &ev, &rec), 0);
			b1 = buf_of(&rec, &l1);
			snprintf(key, sizeof(key), "{\"action\":\"%s\",", names[a]);
			assert_memory_equal(b1, key, strlen(key));
			if (policy_event_from_record(&rec, &back, &d) != 0)
				fail_msg("%s big %d: %s", names[a], big, d.msg);
			assert_same(&ev, &back);
			assert_int_equal(policy_event_record_new(10, &back, &again), 0);
			b2 = buf_of(&again, &l2);
			assert_int_equal(l1, l2);
			assert_memory_equal(b1, b2, l1);
			assert_int_equal(again.data_len, rec.data_len);
			assert_memory_equal(again.data, rec.data, rec.data_len);
			if (big)
				assert_non_null(memmem(b1, l1, "\"version\":9223372036854775807", 29));
			evlog_record_free(&rec);
			evlog_record_free(&again);
		}
	}
	assert_null(policy_action_name(__WARD_POLICY_ACTION_MAX));
	assert_null(policy_action_name((enum ward_policy_action)-1));
}

/* What the encoder will not write: it could not be read back, or it names no signed policy. */
static void test_encode_refuses(void **state)
{
	static const char *const issuers[] = {
		"", "ed25519:", "rsa:f290722e0123456789abcdef0123456789abcdef0123456789abcdef01234567",
		"ed25519:F290722E0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567",
		"ed25519:f290722e0123456789abcdef0123456789abcdef0123456789abcdef0123456",
	};
	struct ward_evlog_record rec = { 0 };
	struct ward_policy_event ev;

	(void)state;
	ev = sample();
	ev.version = (uint64_t)INT64_MAX + 1;
	assert_int_equal(policy_event_record_new(10, &ev, &rec), -EINVAL);
	ev.version = UINT64_MAX;
	assert_int_equal(policy_event_record_new(10, &ev, &rec), -EINVAL);
	ev = sample();
	ev.high_water = (uint64_t)INT64_MAX + 1;
	assert_int_equal(policy_event_record_new(10, &ev, &rec), -EINVAL);
	ev = sample();
	ev.action = __WARD_POLICY_ACTION_MAX;
	assert_int_equal(policy_event_record_new(10, &ev, &rec), -EINVAL);
	ev.action = (enum ward_policy_action)-1;
	assert_int_equal(policy_event_record_new(10, &ev, &rec), -EINVAL);
	/* An installed policy is always signed: no record without its issuer's key id. */
	for (size_t i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
		ev = sample();
		snprintf(ev.issuer, sizeof(ev.issuer), "%s", issuers[i]);
		if (policy_event_record_new(10, &ev, &rec) != -EINVAL)
			fail_msg("issuer \"%s\" was written", issuers[i]);
	}
	/* A name JSON cannot carry (not UTF-8). */
	ev = sample();
	strcpy(ev.name, "caf\xe9");
	assert_int_equal(policy_event_record_new(10, &ev, &rec), -EINVAL);
	assert_null(rec.data);
}

/* Other records are not ward-policy records (-ENOENT), and a ward-policy record is no other. */
static void test_other_records(void **state)
{
	struct ward_policy_event ev = sample(), back;
	struct ward_evlog_record rec = { 0 }, other = { 0 };
	struct ward_diag d = { { 0 } };
	struct ward_decision dec;
	struct ward_domain_event dev;
	struct ward_service_event sev;
	const uint8_t *buf;
	uint8_t dg[32] = { 1 };
	uint32_t len;

	(void)state;
	assert_int_equal(policy_event_record_new(10, &ev, &rec), 0);
	assert_int_equal(decision_from_record(&rec, &dec, &d), -ENOENT);
	assert_int_equal(domain_event_from_record(&rec, &dev, &d), -ENOENT);
	assert_int_equal(service_event_from_record(&rec, &sev, &d), -ENOENT);
	buf = buf_of(&rec, &len);
	/* The same bytes under other names. */
	assert_int_equal(evlog_record_new_buf(10, WARD_SERVICE_RECORD_NAME, buf, len, &other), 0);
	assert_int_equal(policy_event_from_record(&other, &back, &d), -ENOENT);
	evlog_record_free(&other);
	assert_int_equal(evlog_record_new_buf(10, "ward-policy ", buf, len, &other), 0);
	assert_int_equal(policy_event_from_record(&other, &back, &d), -ENOENT);
	evlog_record_free(&other);
	assert_int_equal(evlog_record_new_buf(10, "ward-polic", buf, len, &other), 0);
	assert_int_equal(policy_event_from_record(&other, &back, &d), -ENOENT);
	evlog_record_free(&other);
	/* A file measurement named like the record. */
	assert_int_equal(evlog_record_new_ng(10, WARD_HASH_SHA256, dg, WARD_POLICY_RECORD_NAME, NULL,
					     0, &other),
			 0);
	assert_int_equal(policy_event_from_record(&other, &back, &d), -ENOENT);
	evlog_record_free(&other);
	evlog_record_free(&rec);
}

/* A canonical buffer with each field given; every row below changes one thing. */
#define REC(action, digest, hw, issuer, name, v, version)                                          \
	"{\"action\":" action ",\"digest\":" digest ",\"high_water\":" hw ",\"issuer\":" issuer    \
	",\"name\":" name ",\"v\":" v ",\"version\":" version "}"
#define A "\"update\""
#define DG "\"" HEX64 "\""
#define HW "11"
#define IS "\"" KEYID "\""
#define NM "\"loop\""
#define V "1"
#define VER "11"
#define N16 "abcdefghijklmnop"
#define N128 N16 N16 N16 N16 N16 N16 N16 N16

static void test_malformed_table(void **state)
{
	static const struct {
		const char *buf;
		const char *msg;
	} rows[] = {
		/* Not JSON, not an object, trailing data. */
		{ "", "ward-policy: line 1" },
		{ "{", "ward-policy: line 1" },
		{ "[]", "ward-policy: expected a JSON object" },
		{ "null", "ward-policy: expected a JSON object" },
		{ REC(A, DG, HW, IS, NM, V, VER) "{}", "ward-policy: line 1" },
		{ REC(A, DG, HW, IS, NM, V, VER) "\n", "ward-policy: not in canonical form" },
		/* "v" is 1. */
		{ "{}", "ward-policy: \"v\" must be a non-negative integer" },
		{ "{\"v\":2}", "ward-policy: version 2" },
		{ REC(A, DG, HW, IS, NM, "0", VER), "ward-policy: version 0" },
		{ REC(A, DG, HW, IS, NM, "2", VER), "ward-policy: version 2" },
		{ REC(A, DG, HW, IS, NM, "1.0", VER), "ward-policy: \"v\" must be a non-negative integer" },
		{ REC(A, DG, HW, IS, NM, "\"1\"", VER),
		  "ward-policy: \"v\" must be a non-negative integer" },
		{ REC(A, DG, HW, IS, NM, "-1", VER), "ward-policy: \"v\" must be a non-negative integer" },
		/* The action. */
		{ REC("\"remove\"", DG, HW, IS, NM, V, VER), "ward-policy: unknown action \"remove\"" },
		{ REC("\"Install\"", DG, HW, IS, NM, V, VER), "ward-policy: unknown action \"Install\"" },
		{ REC("\"\"", DG, HW, IS, NM, V, VER), "ward-policy: unknown action \"\"" },
		{ REC("0", DG, HW, IS, NM, V, VER), "ward-policy: \"action\" must be a string" },
		{ REC("null", DG, HW, IS, NM, V, VER), "ward-policy: \"action\" must be a string" },
		/* Each key missing. */
		{ "{\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS ",\"name\":" NM ",\"v\":1,"
		  "\"version\":11}",
		  "ward-policy: \"action\" must be a string" },
		{ "{\"action\":" A ",\"high_water\":11,\"issuer\":" IS ",\"name\":" NM ",\"v\":1,"
		  "\"version\":11}",
		  "ward-policy: \"digest\" must be a string" },
		{ "{\"action\":" A ",\"digest\":" DG ",\"issuer\":" IS ",\"name\":" NM ",\"v\":1,"
		  "\"version\":11}",
		  "ward-policy: \"high_water\" must be a non-negative integer" },
		{ "{\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"name\":" NM ",\"v\":1,"
		  "\"version\":11}",
		  "ward-policy: \"issuer\" must be a string" },
		{ "{\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS ",\"v\":1,"
		  "\"version\":11}",
		  "ward-policy: \"name\" must be a string" },
		{ "{\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS ",\"name\":" NM
		  ",\"version\":11}",
		  "ward-policy: \"v\" must be a non-negative integer" },
		{ "{\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS ",\"name\":" NM
		  ",\"v\":1}",
		  "ward-policy: \"version\" must be a non-negative integer" },
		/* Extra and duplicate keys (the policy object of ward-domain records is not one). */
		{ "{\"action\":" A ",\"digest\":" DG ",\"extra\":1,\"high_water\":11,\"issuer\":" IS
		  ",\"name\":" NM ",\"v\":1,\"version\":11}",
		  "ward-policy: unknown key \"extra\"" },
		{ "{\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS ",\"name\":" NM
		  ",\"source\":\"installed\",\"v\":1,\"version\":11}",
		  "ward-policy: unknown key \"source\"" },
		{ "{\"action\":" A ",\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS
		  ",\"name\":" NM ",\"v\":1,\"version\":11}",
		  "duplicate object key" },
		/* The issuer: always a key id (an installed policy is signed), never null. */
		{ REC(A, DG, HW, "null", NM, V, VER), "ward-policy: \"issuer\" must be a string" },
		{ REC(A, DG, HW, "\"\"", NM, V, VER), "ward-policy: \"issuer\" must be a key id" },
		{ REC(A, DG, HW, "\"ed25519:\"", NM, V, VER), "ward-policy: \"issuer\" must be a key id" },
		{ REC(A, DG, HW, "\"rsa:" HEX64 "\"", NM, V, VER),
		  "ward-policy: \"issuer\" must be a key id" },
		{ REC(A, DG, HW, "\"ED25519:" HEX64 "\"", NM, V, VER),
		  "ward-policy: \"issuer\" must be a key id" },
		{ REC(A, DG, HW,
		      "\"ed25519:F290722E0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567\"", NM,
		      V, VER),
		  "ward-policy: \"issuer\" must be a key id" },
		{ REC(A, DG, HW,
		      "\"ed25519:f290722e0123456789abcdef0123456789abcdef0123456789abcdef0123456\"", NM,
		      V, VER),
		  "ward-policy: \"issuer\" must be a key id" }, /* 63 digits */
		{ REC(A, DG, HW, "\"ed25519:" HEX64 "0\"", NM, V, VER),
		  "ward-policy: \"issuer\" too long" }, /* 65 digits */
		{ REC(A, DG, HW, "\"" HEX64 "\"", NM, V, VER), "ward-policy: \"issuer\" must be a key id" },
		/* The file digest: 64 lower-case hex digits, no algorithm prefix. */
		{ REC(A, "\"" HEX64 "0\"", HW, IS, NM, V, VER),
		  "ward-policy: \"digest\" must be 64 hex digits" },
		{ REC(A, "\"064322f2b09b2c44d0ab2b1c9e8f5a3467d0c1e2f3a4b5c6d7e8f90a1b2c3d4\"", HW, IS, NM,
		      V, VER),
		  "ward-policy: \"digest\" must be 64 hex digits" },
		{ REC(A, "\"064322F2B09B2C44D0AB2B1C9E8F5A3467D0C1E2F3A4B5C6D7E8F90A1B2C3D4E\"", HW, IS, NM,
		      V, VER),
		  "ward-policy: \"digest\" must be 64 hex digits" },
		{ REC(A, "\"064322f2b09b2c44d0ab2b1c9e8f5a3467d0c1e2f3a4b5c6d7e8f90a1b2c3d4g\"", HW, IS, NM,
		      V, VER),
		  "ward-policy: \"digest\" must be 64 hex digits" },
		{ REC(A, "\"sha256:" HEX64 "\"", HW, IS, NM, V, VER),
		  "ward-policy: \"digest\" must be 64 hex digits" },
		{ REC(A, "\"\"", HW, IS, NM, V, VER), "ward-policy: \"digest\" must be 64 hex digits" },
		{ REC(A, "null", HW, IS, NM, V, VER), "ward-policy: \"digest\" must be a string" },
		/* The name, the numbers. */
		{ REC(A, DG, HW, IS, "\"" N128 "\"", V, VER), "ward-policy: \"name\" too long" },
		{ REC(A, DG, HW, IS, "7", V, VER), "ward-policy: \"name\" must be a string" },
		{ REC(A, DG, HW, IS, NM, V, "-1"),
		  "ward-policy: \"version\" must be a non-negative integer" },
		{ REC(A, DG, HW, IS, NM, V, "11.0"),
		  "ward-policy: \"version\" must be a non-negative integer" },
		{ REC(A, DG, HW, IS, NM, V, "\"11\""),
		  "ward-policy: \"version\" must be a non-negative integer" },
		{ REC(A, DG, HW, IS, NM, V, "9223372036854775808"), "ward-policy: line 1" },
		{ REC(A, DG, "-1", IS, NM, V, VER),
		  "ward-policy: \"high_water\" must be a non-negative integer" },
		{ REC(A, DG, "null", IS, NM, V, VER),
		  "ward-policy: \"high_water\" must be a non-negative integer" },
		{ REC(A, DG, "9223372036854775808", IS, NM, V, VER), "ward-policy: line 1" },
		/* Not canonical: key order, spaces, escapes it does not need, a leading zero. */
		{ "{\"v\":1,\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS
		  ",\"name\":" NM ",\"version\":11}",
		  "ward-policy: not in canonical form" },
		{ "{\"action\":" A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS ",\"name\":" NM
		  ",\"version\":11,\"v\":1}",
		  "ward-policy: not in canonical form" },
		{ "{\"action\": " A ",\"digest\":" DG ",\"high_water\":11,\"issuer\":" IS ",\"name\":" NM
		  ",\"v\":1,\"version\":11}",
		  "ward-policy: not in canonical form" },
		{ " " REC(A, DG, HW, IS, NM, V, VER), "ward-policy: not in canonical form" },
		{ REC(A, DG, HW, IS, "\"\\u006coop\"", V, VER), "ward-policy: not in canonical form" },
		{ REC(A, DG, HW, IS, "\"a\\/b\"", V, VER), "ward-policy: not in canonical form" },
		{ REC("\"upd\\u0061te\"", DG, HW, IS, NM, V, VER), "ward-policy: not in canonical form" },
		{ REC(A, DG, HW, IS, NM, V, "1e1"),
		  "ward-policy: \"version\" must be a non-negative integer" },
		{ REC(A, DG, HW, IS, NM, V, "011"), "ward-policy: line 1" },
		/* NUL and bytes that are not UTF-8 never reach the decoder's fields. */
		{ REC(A, DG, HW, IS, "\"a\\u0000b\"", V, VER), "ward-policy: line 1" },
		{ REC(A, DG, HW, IS, "\"caf\xe9\"", V, VER), "ward-policy: line 1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_evlog_record rec = { 0 };
		struct ward_policy_event ev;
		struct ward_diag d = { { 0 } };
		int r;

		assert_int_equal(evlog_record_new_buf(10, WARD_POLICY_RECORD_NAME,
						      (const uint8_t *)rows[i].buf,
						      (uint32_t)strlen(rows[i].buf), &rec),
				 0);
		memset(&ev, 0xa5, sizeof(ev));
		r = policy_event_from_record(&rec, &ev, &d);
		if (r != -EBADMSG || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu (%s): %d \"%s\", want -EBADMSG \"%s\"", i, rows[i].buf, r,
				 d.msg, rows[i].msg);
		/* ret is written only on success. */
		assert_int_equal(ev.action, (enum ward_policy_action)0xa5a5a5a5);
		evlog_record_free(&rec);
	}
}

/* A buffer above WARD_DECISION_MAX is refused before it is parsed; at the limit, it is parsed. */
static void test_buffer_limit(void **state)
{
	static const char head[] = "{\"action\":\"update\",\"digest\":\"" HEX64 "\",\"high_water\":11,"
				   "\"issuer\":\"" KEYID "\",\"name\":\"";
	static const char tail[] = "\",\"v\":1,\"version\":11}";
	size_t len = WARD_DECISION_MAX + 1;
	char *buf = malloc(len);
	struct ward_evlog_record rec = { 0 };
	struct ward_policy_event ev;
	struct ward_diag d = { { 0 } };

	(void)state;
	assert_non_null(buf);
	memset(buf, 'n', len);
	memcpy(buf, head, strlen(head));
	memcpy(buf + len - strlen(tail), tail, strlen(tail));
	assert_int_equal(evlog_record_new_buf(10, WARD_POLICY_RECORD_NAME, (uint8_t *)buf,
					      (uint32_t)len, &rec),
			 0);
	assert_int_equal(policy_event_from_record(&rec, &ev, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "ward-policy: buffer too large"));
	evlog_record_free(&rec);
	/* One byte less: read, and refused for the name's length instead. */
	memmove(buf + len - 1 - strlen(tail), tail, strlen(tail));
	assert_int_equal(evlog_record_new_buf(10, WARD_POLICY_RECORD_NAME, (uint8_t *)buf,
					      (uint32_t)(len - 1), &rec),
			 0);
	assert_int_equal(policy_event_from_record(&rec, &ev, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "ward-policy: \"name\" too long"));
	evlog_record_free(&rec);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_bytes),
		cmocka_unit_test(test_roundtrip_actions),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_other_records),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_buffer_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
