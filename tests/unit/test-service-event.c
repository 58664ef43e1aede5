/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-service records: the codec (one registration, one byte string; a table of malformed and
 * non-canonical buffers, each with its reason), and what the verifier makes of them: the
 * services an evidence bundle registers, the code measured for each, --manifest-digest.
 */
#include <errno.h>

#include "test-util.h"
#include "core/cleanup-ossl.h"
#include "ward/decision.h"
#include "ward/state.h"
#include "ward/verify.h"

#define HEX64 "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210"
#define KEYID "ed25519:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
/* The rest of a full policy reference after "policy":{ ... in canonical (sorted) order. */
#define PREF_HEAD "\"digest\":\"" HEX64 "\",\"issuer\":\"" KEYID "\","

static const uint8_t nonce[] = { 0x5e, 0x41, 0x1c, 0xe0 };

static struct ward_service_event sample(void)
{
	struct ward_service_event ev = { .service = "upper", .domain = "svc:upper",
					 .mode = "enforce", .has_policy = true,
					 .policy_name = "usr", .policy_version = 7,
					 .pref = { .issuer = KEYID, .installed = true },
					 .wx_elf = true };
	size_t n;

	assert_int_equal(hex_decode(HEX64, 64, ev.manifest_digest, 32, &n), 0);
	assert_int_equal(hex_decode(HEX64, 64, ev.pref.digest, 32, &n), 0);
	return ev;
}

static void assert_same_event(const struct ward_service_event *a,
			      const struct ward_service_event *b)
{
	assert_string_equal(a->service, b->service);
	assert_string_equal(a->domain, b->domain);
	assert_memory_equal(a->manifest_digest, b->manifest_digest, 32);
	assert_string_equal(a->mode, b->mode);
	assert_int_equal(a->has_policy, b->has_policy);
	if (a->has_policy) {
		assert_string_equal(a->policy_name, b->policy_name);
		assert_int_equal(a->policy_version, b->policy_version);
		assert_memory_equal(a->pref.digest, b->pref.digest, 32);
		assert_string_equal(a->pref.issuer, b->pref.issuer);
		assert_int_equal(a->pref.installed, b->pref.installed);
	}
	assert_int_equal(a->anon_exec, b->anon_exec);
	assert_int_equal(a->wx_elf, b->wx_elf);
}

/* The exact bytes of a record's buffer, and its decoding back. */
static void test_roundtrip_canonical(void **state)
{
	static const char want[] =
		"{\"anon_exec\":false,\"domain\":\"svc:upper\",\"manifest\":\"" HEX64 "\","
		"\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"name\":\"usr\","
		"\"source\":\"installed\",\"version\":7},"
		"\"service\":\"upper\",\"v\":2,\"wx_elf\":true}";
	struct ward_service_event ev = sample(), back;
	struct ward_evlog_record rec = { 0 };
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;

	(void)state;
	assert_int_equal(service_event_record_new(10, &ev, &rec), 0);
	assert_int_equal(rec.pcr, 10);
	assert_string_equal(rec.template_name, "ima-buf");
	assert_string_equal(evlog_record_name(&rec), WARD_SERVICE_RECORD_NAME);
	buf = evlog_record_field(&rec, WARD_TF_BUF, &len);
	assert_non_null(buf);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(service_event_from_record(&rec, &back, &d), 0);
	assert_same_event(&ev, &back);
	evlog_record_free(&rec);
}

/* Every mode, with and without a policy, the opt-ins, the largest names and version. */
static void test_roundtrip_variants(void **state)
{
	static const char *const modes[] = { "enforce", "audit", "measure" };

	(void)state;
	for (size_t m = 0; m < 3; m++)
		for (int pol = 0; pol < 2; pol++)
			for (int opt = 0; opt < 4; opt++) {
				struct ward_service_event ev = sample(), back;
				struct ward_evlog_record rec = { 0 }, again = { 0 };
				struct ward_diag d = { { 0 } };
				const uint8_t *b1, *b2;
				uint32_t l1, l2;

				strcpy(ev.mode, modes[m]);
				ev.has_policy = pol;
				ev.anon_exec = opt & 1;
				ev.wx_elf = opt & 2;
				if (m == 1 && pol) {
					/* The longest service name and policy name, the largest
					 * version JSON can carry. */
					memset(ev.service, 'a', sizeof(ev.service) - 1);
					ev.service[sizeof(ev.service) - 1] = 0;
					snprintf(ev.domain, sizeof(ev.domain), "svc:%s", ev.service);
					memset(ev.policy_name, 'p', sizeof(ev.policy_name) - 1);
					ev.policy_name[sizeof(ev.policy_name) - 1] = 0;
					ev.policy_version = INT64_MAX;
				}
				assert_int_equal(service_event_record_new(10, &ev, &rec), 0);
				if (service_event_from_record(&rec, &back, &d) != 0)
					fail_msg("mode %s policy %d opt %d: %s", modes[m], pol, opt,
						 d.msg);
				assert_same_event(&ev, &back);
				/* What decodes encodes to the same bytes. */
				assert_int_equal(service_event_record_new(10, &back, &again), 0);
				b1 = evlog_record_field(&rec, WARD_TF_BUF, &l1);
				b2 = evlog_record_field(&again, WARD_TF_BUF, &l2);
				assert_int_equal(l1, l2);
				assert_memory_equal(b1, b2, l1);
				if (!pol)
					assert_null(memmem(b1, l1, "\"policy\"", 8));
				evlog_record_free(&rec);
				evlog_record_free(&again);
			}
}

static void test_encode_refuses(void **state)
{
	struct ward_service_event ev = sample();
	struct ward_evlog_record rec = { 0 };

	(void)state;
	/* JSON integers stop at INT64_MAX: a larger version would not read back. */
	ev.policy_version = (uint64_t)INT64_MAX + 1;
	assert_int_equal(service_event_record_new(10, &ev, &rec), -EINVAL);
}

/* Other records are not service records (-ENOENT), and a service record is no other event. */
/*
 * Version 1 records (written before policies were signed: the policy by name and version only)
 * still decode and re-encode to their exact bytes, for domains and services, so older logs stay
 * verifiable; the two shapes are never mixed.
 */
static void test_version_1_records(void **state)
{
	static const char svc1[] =
		"{\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":\"" HEX64 "\","
		"\"mode\":\"enforce\",\"policy\":{\"name\":\"usr\",\"version\":7},"
		"\"service\":\"s\",\"v\":1,\"wx_elf\":false}";
	static const char dom1[] =
		"{\"anon_exec\":false,\"code\":[\"/usr\"],\"data_dirs\":[],\"domain\":\"d-0123456789ab\","
		"\"mode\":\"enforce\",\"policy\":{\"name\":\"usr\",\"version\":7},\"v\":1,"
		"\"wx_elf\":false}";
	static const char *const mixed[] = {
		/* v1 with a version 2 policy object; v2 with a version 1 one. */
		"{\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":\"" HEX64 "\","
		"\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"name\":\"usr\",\"source\":\"file\","
		"\"version\":7},\"service\":\"s\",\"v\":1,\"wx_elf\":false}",
		"{\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":\"" HEX64 "\","
		"\"mode\":\"enforce\",\"policy\":{\"name\":\"usr\",\"version\":7},"
		"\"service\":\"s\",\"v\":2,\"wx_elf\":false}",
	};
	struct ward_evlog_record rec = { 0 }, again = { 0 };
	struct ward_service_event ev;
	struct ward_domain_event dev;
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;

	(void)state;
	assert_int_equal(evlog_record_new_buf(10, WARD_SERVICE_RECORD_NAME, (const uint8_t *)svc1,
					      (uint32_t)strlen(svc1), &rec), 0);
	assert_int_equal(service_event_from_record(&rec, &ev, &d), 0);
	assert_int_equal(ev.v, 1);
	assert_true(ev.has_policy);
	assert_int_equal(ev.policy_version, 7);
	assert_int_equal(ev.pref.issuer[0], 0);
	assert_int_equal(service_event_record_new(10, &ev, &again), 0);
	buf = evlog_record_field(&again, WARD_TF_BUF, &len);
	assert_int_equal(len, strlen(svc1));
	assert_memory_equal(buf, svc1, len);
	evlog_record_free(&rec);
	evlog_record_free(&again);

	assert_int_equal(evlog_record_new_buf(10, WARD_DOMAIN_RECORD_NAME, (const uint8_t *)dom1,
					      (uint32_t)strlen(dom1), &rec), 0);
	assert_int_equal(domain_event_from_record(&rec, &dev, &d), 0);
	assert_int_equal(dev.v, 1);
	assert_int_equal(domain_event_record_new(10, &dev, &again), 0);
	buf = evlog_record_field(&again, WARD_TF_BUF, &len);
	assert_int_equal(len, strlen(dom1));
	assert_memory_equal(buf, dom1, len);
	domain_event_free(&dev);
	evlog_record_free(&rec);
	evlog_record_free(&again);

	for (size_t i = 0; i < sizeof(mixed) / sizeof(mixed[0]); i++) {
		assert_int_equal(evlog_record_new_buf(10, WARD_SERVICE_RECORD_NAME,
						      (const uint8_t *)mixed[i],
						      (uint32_t)strlen(mixed[i]), &rec), 0);
		assert_int_equal(service_event_from_record(&rec, &ev, &d), -EBADMSG);
		evlog_record_free(&rec);
	}
}

static void test_other_records(void **state)
{
	struct ward_service_event ev = sample(), back;
	struct ward_evlog_record rec = { 0 }, other = { 0 };
	struct ward_diag d = { { 0 } };
	struct ward_decision dec;
	struct ward_domain_event dev;
	const uint8_t *buf;
	uint8_t dg[32] = { 1 };
	uint32_t len;

	(void)state;
	assert_int_equal(service_event_record_new(10, &ev, &rec), 0);
	assert_int_equal(decision_from_record(&rec, &dec, &d), -ENOENT);
	assert_int_equal(domain_event_from_record(&rec, &dev, &d), -ENOENT);
	/* The same bytes under another name. */
	buf = evlog_record_field(&rec, WARD_TF_BUF, &len);
	assert_int_equal(evlog_record_new_buf(10, WARD_DOMAIN_RECORD_NAME, buf, len, &other), 0);
	assert_int_equal(service_event_from_record(&other, &back, &d), -ENOENT);
	evlog_record_free(&other);
	assert_int_equal(evlog_record_new_buf(10, "ward-service ", buf, len, &other), 0);
	assert_int_equal(service_event_from_record(&other, &back, &d), -ENOENT);
	evlog_record_free(&other);
	/* A file measurement named like the record. */
	assert_int_equal(evlog_record_new_ng(10, WARD_HASH_SHA256, dg, WARD_SERVICE_RECORD_NAME, NULL,
					     0, &other),
			 0);
	assert_int_equal(service_event_from_record(&other, &back, &d), -ENOENT);
	evlog_record_free(&other);
	evlog_record_free(&rec);
}

/* Buffers of a ward-service record that must not decode, each with the words of its reason. */
static void test_malformed_table(void **state)
{
#define PRE "{\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":\""
#define POST "\",\"mode\":\"enforce\",\"service\":\"s\",\"v\":2,\"wx_elf\":false}"
	static const struct {
		const char *buf;
		const char *msg;
	} rows[] = {
		{ "", "ward-service" },
		{ "{}", "\"v\"" },
		{ "[]", "object" },
		{ "{\"v\":3}", "version 3" },
		{ "{\"v\":0}", "version 0" },
		{ "{\"v\":1.0}", "\"v\"" },
		{ "{\"v\":2}", "\"service\"" },
		{ PRE HEX64 POST " ", "ward-service" },
		{ PRE HEX64 POST "{}", "ward-service" },
		{ PRE HEX64 "\",\"extra\":1,\"mode\":\"enforce\",\"service\":\"s\",\"v\":2,"
		      "\"wx_elf\":false}",
		  "unknown key \"extra\"" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"mode\":\"audit\",\"service\":\"s\",\"v\":2,"
		      "\"wx_elf\":false}",
		  "duplicate" },
		/* Keys out of order, a space, an escaped character it does not need. */
		{ "{\"v\":2,\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":\"" HEX64
		  "\",\"mode\":\"enforce\",\"service\":\"s\",\"wx_elf\":false}",
		  "canonical" },
		{ "{\"anon_exec\": false,\"domain\":\"svc:s\",\"manifest\":\"" HEX64 POST, "canonical" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"service\":\"\\u0073\",\"v\":2,\"wx_elf\":false}",
		  "canonical" },
		/* The manifest digest: 64 lower-case hex digits, nothing else (sign, space, upper
		 * case: not hex). */
		{ PRE "0011" POST, "64 hex digits" },
		{ PRE HEX64 "00" POST, "64 hex digits" },
		{ PRE "zz112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210" POST,
		  "not hex" },
		{ PRE "00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210" POST,
		  "not hex" },
		{ PRE "+0112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210" POST,
		  "not hex" },
		{ PRE " 0112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210" POST,
		  "not hex" },
		{ "{\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":1,\"mode\":\"enforce\","
		  "\"service\":\"s\",\"v\":2,\"wx_elf\":false}",
		  "\"manifest\"" },
		{ "{\"anon_exec\":false,\"domain\":\"svc:s\",\"mode\":\"enforce\",\"service\":\"s\","
		  "\"v\":2,\"wx_elf\":false}",
		  "\"manifest\"" },
		/* mode, the opt-ins, the names. */
		{ PRE HEX64 "\",\"mode\":\"lax\",\"service\":\"s\",\"v\":2,\"wx_elf\":false}",
		  "unknown mode \"lax\"" },
		{ PRE HEX64 "\",\"mode\":\"Enforce\",\"service\":\"s\",\"v\":2,\"wx_elf\":false}",
		  "unknown mode" },
		{ "{\"anon_exec\":0,\"domain\":\"svc:s\",\"manifest\":\"" HEX64 POST, "anon_exec" },
		{ "{\"domain\":\"svc:s\",\"manifest\":\"" HEX64 POST, "anon_exec" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"service\":\"s\",\"v\":2,\"wx_elf\":null}",
		  "wx_elf" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"service\":\"s\",\"v\":2}", "wx_elf" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"service\":7,\"v\":2,\"wx_elf\":false}",
		  "\"service\"" },
		{ "{\"anon_exec\":false,\"manifest\":\"" HEX64 POST, "\"domain\"" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"service\":\"" /* 32 characters */
		  "abcdefghijklmnopqrstuvwxyz012345\",\"v\":2,\"wx_elf\":false}",
		  "\"service\" too long" },
		{ "{\"anon_exec\":false,\"domain\":\"svc:" /* 64 characters */
		  "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01\",\"manifest\":\"" HEX64
		  POST,
		  "\"domain\" too long" },
		/* The policy: name, version, digest, issuer (a key id or null), source. */
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":\"usr\",\"service\":\"s\",\"v\":2,"
		      "\"wx_elf\":false}",
		  "policy" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"name\":\"usr\","
		      "\"source\":\"file\"},\"service\":\"s\",\"v\":2,\"wx_elf\":false}",
		  "\"version\"" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"source\":\"file\","
		      "\"version\":1},\"service\":\"s\",\"v\":2,\"wx_elf\":false}",
		  "\"name\"" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"name\":\"usr\","
		      "\"source\":\"file\",\"version\":-1},\"service\":\"s\",\"v\":2,"
		      "\"wx_elf\":false}",
		  "\"version\"" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"name\":\"usr\","
		      "\"source\":\"file\",\"version\":9223372036854775808},\"service\":\"s\","
		      "\"v\":2,\"wx_elf\":false}",
		  "ward-service" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"extra\":0,"
		      "\"name\":\"usr\",\"source\":\"file\",\"version\":1},\"service\":\"s\","
		      "\"v\":2,\"wx_elf\":false}",
		  "unknown key \"extra\"" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"name\":\"usr\","
		      "\"version\":1,\"source\":\"file\"},\"service\":\"s\",\"v\":2,"
		      "\"wx_elf\":false}",
		  "canonical" },
		/* The policy's file digest: 64 hex digits. */
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{\"issuer\":null,\"name\":\"usr\","
		      "\"source\":\"file\",\"version\":1},\"service\":\"s\",\"v\":2,"
		      "\"wx_elf\":false}",
		  "\"digest\"" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{\"digest\":\"0011\",\"issuer\":null,"
		      "\"name\":\"usr\",\"source\":\"file\",\"version\":1},\"service\":\"s\","
		      "\"v\":2,\"wx_elf\":false}",
		  "64 hex digits" },
		/* The issuer: a key id, or null for an unsigned file; never absent. */
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{\"digest\":\"" HEX64 "\","
		      "\"name\":\"usr\",\"source\":\"file\",\"version\":1},\"service\":\"s\","
		      "\"v\":2,\"wx_elf\":false}",
		  "\"issuer\" must be a key id or null" },
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{\"digest\":\"" HEX64 "\","
		      "\"issuer\":\"rsa:00\",\"name\":\"usr\",\"source\":\"file\",\"version\":1},"
		      "\"service\":\"s\",\"v\":2,\"wx_elf\":false}",
		  "\"issuer\" must be a key id or null" },
		/* The source: installed or file. */
		{ PRE HEX64 "\",\"mode\":\"enforce\",\"policy\":{" PREF_HEAD "\"name\":\"usr\","
		      "\"source\":\"cli\",\"version\":1},\"service\":\"s\",\"v\":2,"
		      "\"wx_elf\":false}",
		  "\"source\" must be installed or file" },
	};
#undef PRE
#undef POST

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_evlog_record rec = { 0 };
		struct ward_service_event ev;
		struct ward_diag d = { { 0 } };
		int r;

		assert_int_equal(evlog_record_new_buf(10, WARD_SERVICE_RECORD_NAME,
						      (const uint8_t *)rows[i].buf,
						      (uint32_t)strlen(rows[i].buf), &rec),
				 0);
		r = service_event_from_record(&rec, &ev, &d);
		if (r != -EBADMSG || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu: %d \"%s\", want -EBADMSG \"%s\"", i, r, d.msg,
				 rows[i].msg);
		evlog_record_free(&rec);
	}
}

/* Every message about a ward-service record says it is one (never "ward-decision"). */
static void test_messages_name_the_record(void **state)
{
	static const char *const bufs[] = {
		"{\"v\":2}",
		"{\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":\"" HEX64
		"\",\"mode\":\"enforce\",\"service\":\"abcdefghijklmnopqrstuvwxyz012345\",\"v\":2,"
		"\"wx_elf\":false}",
		"{\"anon_exec\":false,\"domain\":\"svc:s\",\"manifest\":\"" HEX64
		"\",\"mode\":\"enforce\",\"policy\":{\"version\":1},\"service\":\"s\",\"v\":2,"
		"\"wx_elf\":false}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		struct ward_evlog_record rec = { 0 };
		struct ward_service_event ev;
		struct ward_diag d = { { 0 } };

		assert_int_equal(evlog_record_new_buf(10, WARD_SERVICE_RECORD_NAME,
						      (const uint8_t *)bufs[i],
						      (uint32_t)strlen(bufs[i]), &rec),
				 0);
		assert_int_equal(service_event_from_record(&rec, &ev, &d), -EBADMSG);
		if (!strstr(d.msg, "ward-service") || strstr(d.msg, "ward-decision"))
			fail_msg("buffer %zu: \"%s\" does not name a ward-service record", i, d.msg);
		evlog_record_free(&rec);
	}
}

/* ---- the verifier: services in evidence ---- */

struct fixture {
	char *dir;
	struct ward_state *st;
	EVP_PKEY *key;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ward_diag d = { { 0 } };
	char *pem = NULL;

	f->dir = test_tmpdir();
	if (state_open(f->dir, "soft", WARD_STATE_ATTESTER, &f->st, &d) != 0)
		fail_msg("state_open: %s", d.msg);
	assert_int_equal(attest_pubkey_pem(f->st->att, &pem, &d), 0);
	assert_int_equal(verify_load_pubkey_pem((uint8_t *)pem, strlen(pem), &f->key, &d), 0);
	free(pem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	state_close(f->st);
	EVP_PKEY_free(f->key);
	test_rmtree(f->dir);
	free(f);
	return 0;
}

static void append(struct fixture *f, struct ward_evlog_record *r)
{
	struct ward_diag d = { { 0 } };

	if (state_append(f->st, r, 1, &d) != 0)
		fail_msg("state_append: %s", d.msg);
}

static void put_service(struct fixture *f, const char *name, uint8_t manifest_byte)
{
	struct ward_service_event ev = { .mode = "measure" };
	struct ward_evlog_record r = { 0 };

	snprintf(ev.service, sizeof(ev.service), "%s", name);
	snprintf(ev.domain, sizeof(ev.domain), "svc:%s", name);
	memset(ev.manifest_digest, manifest_byte, 32);
	assert_int_equal(service_event_record_new(10, &ev, &r), 0);
	append(f, &r);
}

static void digest_of(const char *path, uint8_t dg[32])
{
	hash_buf(WARD_HASH_SHA256, path, strlen(path), dg);
}

static void put_ng(struct fixture *f, const char *path)
{
	struct ward_evlog_record r = { 0 };
	uint8_t dg[32];

	digest_of(path, dg);
	assert_int_equal(evlog_record_new_ng(10, WARD_HASH_SHA256, dg, path, NULL, 0, &r), 0);
	append(f, &r);
}

/* A guard's first sighting: the object's ima-ng record (when allowed), then the decision. */
static void put_decision(struct fixture *f, const char *domain, const char *path,
			 enum ward_decision_verdict v, bool with_ng)
{
	struct ward_decision dec = { .verdict = v, .grant = WARD_GRANT_EXEC, .has_object = true };
	struct ward_evlog_record r = { 0 };

	snprintf(dec.domain, sizeof(dec.domain), "%s", domain);
	snprintf(dec.path, sizeof(dec.path), "%s", path);
	dec.object.alg = WARD_HASH_SHA256;
	digest_of(path, dec.object.bytes);
	if (with_ng && v != WARD_DECISION_DENY)
		put_ng(f, path);
	assert_int_equal(decision_record_new(10, &dec, &r), 0);
	append(f, &r);
}

static int verify_with(struct fixture *f, const uint8_t *manifest, uint64_t since,
		       const struct ward_verify_prior *prior, struct ward_verify_result *res)
{
	struct ward_verify_opts o = { .nonce = nonce, .nonce_len = sizeof(nonce),
				      .soft_keys = &f->key, .n_soft_keys = 1,
				      .manifest_digest = manifest, .prior = prior };
	struct ward_quote_msg msg;
	struct ward_quote q = { 0 };
	struct ward_diag d = { { 0 } };
	_cleanup_free_ char *json = NULL;
	int r;

	if (state_quote(f->st, nonce, sizeof(nonce), since, &msg, &q, &d) != 0)
		fail_msg("state_quote: %s", d.msg);
	assert_int_equal(bundle_encode(&q, evlog_store_log(f->st->log), since, &json), 0);
	attest_quote_clear(&q);
	r = verify_evidence((const uint8_t *)json, strlen(json), &o, res, &d);
	if (r < 0)
		fail_msg("verify_evidence: %d %s", r, d.msg);
	return r;
}

static const struct ward_verify_service_object *
find_code(const struct ward_verify_service *sv, const char *path)
{
	for (size_t i = 0; i < sv->n_code; i++)
		if (strcmp(sv->code[i].path, path) == 0)
			return &sv->code[i];
	return NULL;
}

static void assert_code(const struct ward_verify_service *sv, const char *path, bool registered,
			bool audit)
{
	const struct ward_verify_service_object *c = find_code(sv, path);
	char want[WARD_DIGEST_STR_MAX];
	struct ward_digest dg = { .alg = WARD_HASH_SHA256 };

	if (!c)
		fail_msg("service %s: no code object %s", sv->ev.service, path);
	digest_of(path, dg.bytes);
	measure_digest_format(&dg, want);
	assert_string_equal(c->digest, want);
	assert_int_equal(c->registered, registered);
	assert_int_equal(c->audit, audit);
}

/*
 * Two services, their "measure" records, sandboxes' decisions interleaved with a `ward run`
 * domain's, a re-registration: each object lands in the service whose sandboxes used it.
 */
static void test_services_and_their_code(void **state)
{
	struct fixture *f = *state;
	struct ward_verify_result res;
	const struct ward_verify_service *a, *b, *a2;
	uint8_t want[32];

	put_service(f, "alpha", 0xa1);
	put_ng(f, "/usr/lib/alpha/data.py"); /* its "measure" paths */
	put_ng(f, "/usr/lib/alpha/util.py");
	put_service(f, "beta", 0xb1); /* no "measure" paths */
	put_decision(f, "svc:beta", "/usr/bin/beta", WARD_DECISION_ALLOW, true);
	put_decision(f, "svc:alpha", "/usr/bin/alpha", WARD_DECISION_ALLOW, true);
	put_decision(f, "d-0123456789ab", "/usr/bin/other", WARD_DECISION_ALLOW, true);
	put_decision(f, "svc:alpha", "/usr/lib/libz.so", WARD_DECISION_AUDIT, true);
	put_decision(f, "svc:alpha", "/usr/lib/alpha/util.py", WARD_DECISION_ALLOW, false);
	put_decision(f, "svc:beta", "/usr/bin/evil", WARD_DECISION_DENY, true);
	put_decision(f, "svc:beta", "/usr/bin/beta", WARD_DECISION_ALLOW, false); /* again */
	put_ng(f, "/usr/bin/measured-by-hand"); /* `ward measure`: nobody's */
	put_service(f, "alpha", 0xa2); /* a new manifest: what follows is its */
	put_decision(f, "svc:alpha", "/usr/bin/alpha2", WARD_DECISION_ALLOW, true);

	memset(want, 0xa2, 32);
	assert_int_equal(verify_with(f, want, 0, NULL, &res), 0);
	if (res.verdict != WARD_VERDICT_PASS)
		fail_msg("not trusted: %s", res.n_reasons ? res.reasons[0] : "?");
	assert_true(res.manifest_ok);
	assert_int_equal(res.n_services, 3);
	a = &res.services[0];
	b = &res.services[1];
	a2 = &res.services[2];
	assert_true(a->has_record && b->has_record && a2->has_record);
	assert_string_equal(a->ev.service, "alpha");
	assert_string_equal(b->ev.domain, "svc:beta");
	assert_int_equal(a->record, 0);
	assert_int_equal(b->record, 3);
	assert_int_equal(a->ev.manifest_digest[0], 0xa1);
	assert_int_equal(a2->ev.manifest_digest[31], 0xa2);

	assert_int_equal(a->n_code, 4);
	assert_code(a, "/usr/lib/alpha/data.py", true, false);
	assert_code(a, "/usr/lib/alpha/util.py", true, false);
	assert_code(a, "/usr/bin/alpha", false, false);
	assert_code(a, "/usr/lib/libz.so", false, true);
	assert_int_equal(a->denied, 0);

	assert_int_equal(b->n_code, 1);
	assert_code(b, "/usr/bin/beta", false, false);
	assert_int_equal(b->denied, 1);
	assert_null(find_code(b, "/usr/bin/evil"));

	assert_int_equal(a2->n_code, 1);
	assert_code(a2, "/usr/bin/alpha2", false, false);
	for (size_t i = 0; i < res.n_services; i++) {
		assert_null(find_code(&res.services[i], "/usr/bin/other"));
		assert_null(find_code(&res.services[i], "/usr/bin/measured-by-hand"));
	}
	verify_result_clear(&res);

	/* The first manifest is there too; one nobody registered is not. */
	memset(want, 0xa1, 32);
	assert_int_equal(verify_with(f, want, 0, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	verify_result_clear(&res);
	memset(want, 0xa3, 32);
	assert_int_equal(verify_with(f, want, 0, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_false(res.manifest_ok);
	assert_true(res.signature_ok && res.registers_ok && res.log_ok && res.nonce_ok);
	assert_int_equal(res.n_reasons, 1);
	assert_non_null(strstr(res.reasons[0], "no ward-service record"));
	assert_non_null(strstr(res.reasons[0], "sha256:a3a3a3"));
	assert_int_equal(res.n_services, 3); /* still listed */
	verify_result_clear(&res);

	/* Without --manifest-digest nothing is asked of the services. */
	assert_int_equal(verify_with(f, NULL, 0, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	assert_true(res.manifest_ok);
	verify_result_clear(&res);
}

/* The first ima-ng record after a registration that is a guard's (its decision follows) ends
 * the "measure" records, even when it measures the same file. */
static void test_measure_run_ends_at_a_guard_record(void **state)
{
	struct fixture *f = *state;
	struct ward_verify_result res;

	put_service(f, "gamma", 0x11);
	put_ng(f, "/usr/lib/gamma/a");
	put_decision(f, "d-0123456789ab", "/usr/bin/not-gamma", WARD_DECISION_ALLOW, true);
	put_ng(f, "/usr/lib/gamma/b"); /* after another domain's records: not gamma's */
	assert_int_equal(verify_with(f, NULL, 0, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	assert_int_equal(res.n_services, 1);
	assert_int_equal(res.services[0].n_code, 1);
	assert_code(&res.services[0], "/usr/lib/gamma/a", true, false);
	verify_result_clear(&res);
}

/* A record whose domain is not "svc:" + its service is not trusted. */
static void test_domain_mismatch(void **state)
{
	struct fixture *f = *state;
	struct ward_service_event ev = { .service = "upper", .domain = "svc:lower",
					 .mode = "measure" };
	struct ward_evlog_record r = { 0 };
	struct ward_verify_result res;

	assert_int_equal(service_event_record_new(10, &ev, &r), 0);
	append(f, &r);
	assert_int_equal(verify_with(f, NULL, 0, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_int_equal(res.n_reasons, 1);
	assert_non_null(strstr(res.reasons[0], "record 0"));
	assert_non_null(strstr(res.reasons[0], "'svc:lower', not 'svc:upper'"));
	verify_result_clear(&res);
}

/* A service name no manifest can give is not ward's record. */
static void test_bad_service_name(void **state)
{
	static const char *const names[] = { "Upper", "-x", "a b", "x\033[2J",
					     "abcdefghijklmnopqrstuvwxyz01" /* 28 */ };
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ward_service_event ev = { .mode = "measure" };
		struct ward_evlog_record r = { 0 };
		struct ward_verify_result res;

		snprintf(ev.service, sizeof(ev.service), "%s", names[i]);
		snprintf(ev.domain, sizeof(ev.domain), "svc:%s", names[i]);
		assert_int_equal(service_event_record_new(10, &ev, &r), 0);
		append(f, &r);
		assert_int_equal(verify_with(f, NULL, 0, NULL, &res), 0);
		assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
		assert_int_equal(res.n_reasons, i + 1); /* one per bad record so far */
		assert_non_null(strstr(res.reasons[i], "no manifest can name"));
		verify_result_clear(&res);
	}
}

/* Evidence from after a registration: the service's decisions are listed under its name, with
 * no record and no manifest, and --manifest-digest cannot be satisfied from it. */
static void test_registration_before_the_evidence(void **state)
{
	struct fixture *f = *state;
	struct ward_verify_result res;
	struct ward_verify_prior prior;
	uint8_t want[32];

	memset(want, 0xd1, 32);
	put_service(f, "delta", 0xd1);
	put_decision(f, "svc:delta", "/usr/bin/delta", WARD_DECISION_ALLOW, true);
	assert_int_equal(verify_with(f, want, 0, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	prior = res.next;
	verify_result_clear(&res);

	put_decision(f, "svc:delta", "/usr/lib/libdelta.so", WARD_DECISION_ALLOW, true);
	assert_int_equal(verify_with(f, want, 3, &prior, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_true(res.registers_ok);
	assert_false(res.manifest_ok);
	assert_int_equal(res.n_services, 1);
	assert_false(res.services[0].has_record);
	assert_string_equal(res.services[0].ev.service, "delta");
	assert_string_equal(res.services[0].ev.domain, "svc:delta");
	assert_int_equal(res.services[0].n_code, 1);
	assert_code(&res.services[0], "/usr/lib/libdelta.so", false, false);
	verify_result_clear(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_canonical),
		cmocka_unit_test(test_roundtrip_variants),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_version_1_records),
		cmocka_unit_test(test_other_records),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_messages_name_the_record),
		cmocka_unit_test_setup_teardown(test_services_and_their_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_measure_run_ends_at_a_guard_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_domain_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_service_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registration_before_the_evidence, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
