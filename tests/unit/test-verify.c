/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence: produce with a real state dir and soft attester, verify, and tamper. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"
#include "core/cleanup-ossl.h"
#include "ward/decision.h"
#include "ward/state.h"
#include "ward/verify.h"

static const uint8_t nonce[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };

struct fixture {
	char *dir;
	struct ward_state *st;
	EVP_PKEY *key;
};

static void add_files(struct ward_state *st, size_t n, size_t base)
{
	struct ward_evlog_record recs[16];
	struct ward_diag d;

	for (size_t i = 0; i < n; i++) {
		char path[64];
		uint8_t dg[32];

		snprintf(path, sizeof(path), "/usr/bin/tool%zu", base + i);
		hash_buf(WARD_HASH_SHA256, path, strlen(path), dg);
		assert_int_equal(evlog_record_new_ng(10, WARD_HASH_SHA256, dg, path, NULL, 0, &recs[i]), 0);
	}
	assert_int_equal(state_append(st, recs, n, &d), 0);
}

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
	add_files(f->st, 3, 0);
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

static char *evidence(struct fixture *f, uint64_t since)
{
	struct ward_quote_msg msg;
	struct ward_quote q = { 0 };
	struct ward_diag d = { { 0 } };
	char *json = NULL;

	if (state_quote(f->st, nonce, sizeof(nonce), since, &msg, &q, &d) != 0)
		fail_msg("state_quote: %s", d.msg);
	assert_int_equal(bundle_encode(&q, evlog_store_log(f->st->log), since, &json), 0);
	attest_quote_clear(&q);
	return json;
}

static int verify(const char *json, size_t len, struct fixture *f, const struct ward_policy *pol,
		  const struct ward_verify_prior *prior, struct ward_verify_result *res)
{
	struct ward_verify_opts o = { .nonce = nonce, .nonce_len = sizeof(nonce),
				      .soft_keys = &f->key, .n_soft_keys = f->key ? 1 : 0,
				      .policy = pol, .prior = prior };
	struct ward_diag d = { { 0 } };

	return verify_evidence((const uint8_t *)json, len, &o, res, &d);
}

static void test_roundtrip_trusted(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *ev = evidence(f, 0);
	struct ward_verify_result res;

	assert_int_equal(verify(ev, strlen(ev), f, NULL, NULL, &res), 0);
	if (res.verdict != WARD_VERDICT_PASS)
		fail_msg("not trusted: %s", res.n_reasons ? res.reasons[0] : "?");
	assert_false(res.hardware_rooted);
	assert_int_equal(res.msg.record_count, 3);
	assert_int_equal(res.objects, 3);
	assert_string_equal(res.msg.attester_type, "soft");
	verify_result_clear(&res);
}

static void test_wrong_nonce_and_unpinned(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *ev = evidence(f, 0);
	struct ward_verify_result res;
	struct ward_verify_opts o = { .nonce = (const uint8_t *)"\x01", .nonce_len = 1,
				      .soft_keys = &f->key, .n_soft_keys = 1 };
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_int_equal(verify_evidence((uint8_t *)ev, strlen(ev), &o, &res, NULL), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_false(res.nonce_ok);
	assert_true(res.signature_ok);
	verify_result_clear(&res);

	o.nonce = nonce;
	o.nonce_len = sizeof(nonce);
	o.n_soft_keys = 0;
	assert_int_equal(verify_evidence((uint8_t *)ev, strlen(ev), &o, &res, NULL), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_false(res.key_pinned);
	assert_non_null(strstr(res.reasons[0], "--soft-key"));
	verify_result_clear(&res);

	o.soft_keys = &other;
	o.n_soft_keys = 1;
	assert_int_equal(verify_evidence((uint8_t *)ev, strlen(ev), &o, &res, NULL), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_false(res.key_pinned);
	verify_result_clear(&res);
	EVP_PKEY_free(other);
}

/* @ev with its "public_key" hex replaced by @hex (malloc'd). */
static char *with_public_key(const char *ev, const char *hex)
{
	const char *k = strstr(ev, "\"public_key\": \""), *end;
	char *out;

	assert_non_null(k);
	k += strlen("\"public_key\": \"");
	end = strchr(k, '"');
	assert_non_null(end);
	out = malloc(strlen(ev) + strlen(hex) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(k - ev), ev, hex, end);
	return out;
}

/*
 * The soft key's SubjectPublicKeyInfo: the canonical Ed25519 form is taken from its raw bytes,
 * anything else goes through OpenSSL's decoder, and only an Ed25519 key that is exactly the
 * encoding is accepted.
 */
static void test_public_key_forms(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *ev = evidence(f, 0);
	const char *k = strstr(ev, "\"public_key\": \"") + strlen("\"public_key\": \"");
	size_t hl = (size_t)(strchr(k, '"') - k);
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *der = NULL;
	int dl = i2d_PUBKEY(p256, &der);
	char hex[512], *bad;
	struct ward_verify_result res;

	assert_int_equal(hl, 2 * 44); /* 12 bytes of prefix, the 32-byte key */
	/* the same key with a byte after the encoding */
	snprintf(hex, sizeof(hex), "%.*s00", (int)hl, k);
	bad = with_public_key(ev, hex);
	assert_int_equal(verify(bad, strlen(bad), f, NULL, NULL, &res), -EBADMSG);
	verify_result_clear(&res);
	free(bad);
	/* the prefix's length byte changed: the decoder refuses it */
	snprintf(hex, sizeof(hex), "302b%.*s", (int)hl - 4, k + 4);
	bad = with_public_key(ev, hex);
	assert_int_equal(verify(bad, strlen(bad), f, NULL, NULL, &res), -EBADMSG);
	verify_result_clear(&res);
	free(bad);
	/* the same key spelled in ways OpenSSL's decoder takes: a long-form outer length, and
	 * one unused bit in the BIT STRING; not its one encoding, so malformed */
	snprintf(hex, sizeof(hex), "30812a%.*s", (int)hl - 4, k + 4);
	bad = with_public_key(ev, hex);
	assert_int_equal(verify(bad, strlen(bad), f, NULL, NULL, &res), -EBADMSG);
	verify_result_clear(&res);
	free(bad);
	snprintf(hex, sizeof(hex), "%.22s01%.*s", k, (int)hl - 24, k + 24);
	bad = with_public_key(ev, hex);
	assert_int_equal(verify(bad, strlen(bad), f, NULL, NULL, &res), -EBADMSG);
	verify_result_clear(&res);
	free(bad);
	/* a P-256 key: a valid SubjectPublicKeyInfo, not an Ed25519 one */
	assert_true(dl > 0 && (size_t)dl * 2 < sizeof(hex));
	hex_encode(der, (size_t)dl, hex);
	bad = with_public_key(ev, hex);
	assert_int_equal(verify(bad, strlen(bad), f, NULL, NULL, &res), -EBADMSG);
	verify_result_clear(&res);
	free(bad);
	OPENSSL_free(der);
	EVP_PKEY_free(p256);
	/* the bundle as made: trusted, its key the pinned one */
	assert_int_equal(verify(ev, strlen(ev), f, NULL, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	assert_true(res.key_pinned);
	verify_result_clear(&res);
}

/* One changed hex digit anywhere in the bundle: never trusted (malformed or untrusted). */
static void test_every_hex_digit_matters(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *ev = evidence(f, 0);
	size_t len = strlen(ev), tried = 0;

	for (size_t i = 0; i < len; i++) {
		char c = ev[i], alt;
		struct ward_verify_result res;
		int r;

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			continue;
		alt = c == '0' ? '1' : '0';
		ev[i] = alt;
		r = verify(ev, len, f, NULL, NULL, &res);
		if (r == 0 && res.verdict == WARD_VERDICT_PASS)
			fail_msg("changing offset %zu ('%c' -> '%c') still verifies", i, c, alt);
		verify_result_clear(&res);
		ev[i] = c;
		tried++;
	}
	assert_true(tried > 200);
}

static void test_malformed_bundles(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *ev = evidence(f, 0);
	static const char *const bad[] = {
		"",
		"garbage",
		"[]",
		"{\"ward_evidence\":1}",
		"{\"ward_evidence\":2,\"attester\":\"soft\",\"public_key\":\"\",\"quote\":{},\"log\":{}}",
	};
	struct ward_verify_result res;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(verify(bad[i], strlen(bad[i]), f, NULL, NULL, &res), -EBADMSG);
		verify_result_clear(&res);
	}
	/* a duplicated key: refused even though both values are equal */
	{
		char *p = strstr(ev, "\"attester\": \"soft\",");
		char *dup;

		assert_non_null(p);
		assert_true(asprintf(&dup, "%.*s\"attester\": \"soft\", %s", (int)(p - ev), ev, p) > 0);
		assert_int_equal(verify(dup, strlen(dup), f, NULL, NULL, &res), -EBADMSG);
		verify_result_clear(&res);
		free(dup);
	}
	/* an unknown key */
	{
		char *dup;
		assert_true(asprintf(&dup, "{\"extra\": 1, %s", ev + 1) > 0);
		assert_int_equal(verify(dup, strlen(dup), f, NULL, NULL, &res), -EBADMSG);
		verify_result_clear(&res);
		free(dup);
	}
	/* an attester this build does not know: not judged, and says so */
	{
		char *p = strstr(ev, "\"soft\""), *t = strdup(ev);
		memcpy(t + (p - ev), "\"sgx\" ", 6);
		assert_int_equal(verify(t, strlen(t), f, NULL, NULL, &res), -EOPNOTSUPP);
		verify_result_clear(&res);
		free(t);
	}
	/* a soft bundle relabelled tpm lacks the TPM's structures: malformed */
	{
		char *p = strstr(ev, "\"soft\""), *t = strdup(ev);
		struct ward_diag d = { { 0 } };
		struct ward_verify_opts o = { .nonce = (const uint8_t *)"n", .nonce_len = 1 };

		memcpy(t + (p - ev), "\"tpm\" ", 6);
		assert_int_equal(verify_evidence((uint8_t *)t, strlen(t), &o, &res, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "attest"));
		verify_result_clear(&res);
		free(t);
	}
}

static void test_policy_and_decisions(void **state)
{
	struct fixture *f = *state;
	struct ward_policy_builder b = { .hash = WARD_HASH_SHA256 };
	struct ward_policy *pol = NULL;
	struct ward_verify_result res;
	struct ward_evlog_record r;
	struct ward_decision dec = { .verdict = WARD_DECISION_DENY, .grant = WARD_GRANT_EXEC };
	struct ward_diag d = { { 0 } };
	_cleanup_free_ char *text = NULL, *ev = NULL;

	for (size_t i = 0; i < 3; i++) {
		char path[64];
		uint8_t dg[32];
		snprintf(path, sizeof(path), "/usr/bin/tool%zu", i);
		hash_buf(WARD_HASH_SHA256, path, strlen(path), dg);
		assert_int_equal(policy_builder_add(&b, dg, path), 0);
	}
	assert_int_equal(policy_builder_write(&b, &(struct ward_policy){ .name = "t", .version = 1, .hash = WARD_HASH_SHA256 }, &text), 0);
	policy_builder_free(&b);
	assert_int_equal(policy_parse((uint8_t *)text, strlen(text), &pol, &d), 0);

	strcpy(dec.domain, "d1");
	strcpy(dec.path, "/tmp/evil");
	strcpy(dec.reason, "not in policy");
	assert_int_equal(decision_record_new(10, &dec, &r), 0);
	assert_int_equal(state_append(f->st, &r, 1, &d), 0);
	ev = evidence(f, 0);
	assert_int_equal(verify(ev, strlen(ev), f, pol, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	assert_int_equal(res.decisions_deny, 1);
	assert_int_equal(res.objects, 3);
	verify_result_clear(&res);
	free(ev);

	add_files(f->st, 1, 7); /* an object outside the policy */
	ev = evidence(f, 0);
	assert_int_equal(verify(ev, strlen(ev), f, pol, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_int_equal(res.n_unknown, 1);
	assert_string_equal(res.unknown[0].path, "/usr/bin/tool7");
	verify_result_clear(&res);
	policy_free(pol);
}

/* A verifier that checked 0..k checks k+1..n alone, from its kept state. */
static void test_incremental(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *ev1 = evidence(f, 0), *ev2 = NULL, *ev3 = NULL;
	struct ward_verify_result res1, res2;
	struct ward_verify_prior wrong;

	assert_int_equal(verify(ev1, strlen(ev1), f, NULL, NULL, &res1), 0);
	assert_int_equal(res1.verdict, WARD_VERDICT_PASS);
	add_files(f->st, 4, 100);
	ev2 = evidence(f, res1.next.records);
	assert_int_equal(verify(ev2, strlen(ev2), f, NULL, &res1.next, &res2), 0);
	if (res2.verdict != WARD_VERDICT_PASS)
		fail_msg("incremental: %s", res2.reasons[0]);
	assert_int_equal(res2.log.n, 4);
	verify_result_clear(&res2);

	/* without the prior, or with a prior that does not continue: not trusted */
	assert_int_equal(verify(ev2, strlen(ev2), f, NULL, NULL, &res2), 0);
	assert_int_equal(res2.verdict, WARD_VERDICT_FAIL);
	verify_result_clear(&res2);
	wrong = res1.next;
	wrong.reg[WARD_HASH_SHA256][0] ^= 1;
	assert_int_equal(verify(ev2, strlen(ev2), f, NULL, &wrong, &res2), 0);
	assert_int_equal(res2.verdict, WARD_VERDICT_FAIL);
	verify_result_clear(&res2);
	wrong = res1.next;
	wrong.records--;
	assert_int_equal(verify(ev2, strlen(ev2), f, NULL, &wrong, &res2), 0);
	assert_int_equal(res2.verdict, WARD_VERDICT_FAIL);
	verify_result_clear(&res2);
	/* a record dropped from the middle of the increment is caught by the registers */
	ev3 = evidence(f, res1.next.records + 1);
	wrong = res1.next;
	wrong.records++;
	assert_int_equal(verify(ev3, strlen(ev3), f, NULL, &wrong, &res2), 0);
	assert_int_equal(res2.verdict, WARD_VERDICT_FAIL);
	verify_result_clear(&res2);
	/* a full log checked against the prior: it must extend it */
	free(ev3);
	ev3 = evidence(f, 0);
	assert_int_equal(verify(ev3, strlen(ev3), f, NULL, &res1.next, &res2), 0);
	assert_int_equal(res2.verdict, WARD_VERDICT_PASS);
	verify_result_clear(&res2);
	wrong = res1.next;
	wrong.reg[WARD_HASH_SHA1][3] ^= 1;
	assert_int_equal(verify(ev3, strlen(ev3), f, NULL, &wrong, &res2), 0);
	assert_int_equal(res2.verdict, WARD_VERDICT_FAIL);
	verify_result_clear(&res2);
	wrong = res1.next;
	wrong.records = 1000;
	assert_int_equal(verify(ev3, strlen(ev3), f, NULL, &wrong, &res2), 0);
	assert_int_equal(res2.verdict, WARD_VERDICT_FAIL);
	assert_non_null(strstr(res2.reasons[0], "removed"));
	verify_result_clear(&res2);
	verify_result_clear(&res1);
}

static void test_prior_parse(void **state)
{
	static const struct {
		const char *in;
		int err;
	} rows[] = {
		{ "{\"records\":3,\"pcr\":10,\"registers\":{\"sha1\":\"0000000000000000000000000000000000000000\"},\"public_key\":\"00\"}", 0 },
		{ "{\"trusted\":false,\"state\":null}", -EBADMSG },
		{ "{\"trusted\":true,\"state\":{\"records\":3,\"pcr\":10,\"registers\":{},\"public_key\":\"00\"}}", 0 },
		{ "{\"records\":3,\"pcr\":99,\"registers\":{},\"public_key\":\"00\"}", -EBADMSG },
		{ "{\"records\":3,\"pcr\":10,\"registers\":{\"sha1\":\"00\"},\"public_key\":\"00\"}", -EBADMSG },
		{ "{\"records\":3,\"pcr\":10,\"registers\":{},\"public_key\":\"00\",\"x\":1}", -EBADMSG },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_verify_prior p;
		int r = verify_prior_parse((const uint8_t *)rows[i].in, strlen(rows[i].in), &p, NULL);
		if (r != rows[i].err)
			fail_msg("row %zu: %d, want %d", i, r, rows[i].err);
	}
}

static void test_attester_is_fixed(void **state)
{
	struct fixture *f = *state;
	struct ward_state *other = NULL;
	struct ward_diag d = { { 0 } };

	assert_int_equal(state_open(f->dir, "tpm", 0, &other, &d), -EEXIST);
	assert_non_null(strstr(d.msg, "never mixes"));
	assert_int_equal(state_open(f->dir, "bogus", 0, &other, &d), -EINVAL);
	assert_int_equal(state_open(f->dir, NULL, WARD_STATE_READONLY, &other, &d), 0);
	assert_string_equal(other->attester_type, "soft");
	state_close(other);
}

static void test_quote_msg_codec(void **state)
{
	struct ward_quote_msg m = { .attester_type = "soft", .root = "soft", .ward_version = "0.1.0",
				    .nonce_len = 2, .flags = WARD_QUOTE_IMA_ACTIVE, .bound_key_len = 3,
				    .pcr = 10, .first_record = 5, .record_count = 9,
				    .banks = 1u << WARD_HASH_SHA1 | 1u << WARD_HASH_SHA512 };
	struct ward_quote_msg back;
	struct ward_diag d = { { 0 } };
	struct buf b = { 0 };

	m.nonce[0] = 1;
	memset(m.reg[WARD_HASH_SHA512], 0x77, 64);
	assert_int_equal(quote_msg_encode(&m, &b), 0);
	assert_int_equal(quote_msg_decode(b.data, b.len, &back, &d), 0);
	assert_int_equal(back.banks, m.banks);
	assert_int_equal(back.first_record, 5);
	assert_int_equal(back.flags, WARD_QUOTE_IMA_ACTIVE);
	assert_int_equal(back.bound_key_len, 3);
	assert_string_equal(back.root, "soft");
	assert_memory_equal(back.reg[WARD_HASH_SHA512], m.reg[WARD_HASH_SHA512], 64);
	/* every truncation and one trailing byte are refused */
	for (size_t cut = 0; cut < b.len; cut++)
		assert_int_equal(quote_msg_decode(b.data, cut, &back, &d), -EBADMSG);
	buf_append(&b, "", 1);
	assert_int_equal(quote_msg_decode(b.data, b.len, &back, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "trailing"));
	/* an unknown flag is refused, not ignored (offset: magic, 3 strings, nonce, bound key) */
	{
		size_t off = 8 + 2 + 4 + 2 + 4 + 2 + 5 + 2 + 2 + 2 + 3;

		assert_int_equal(get_be32(b.data + off), WARD_QUOTE_IMA_ACTIVE);
		b.data[off] = 0x80;
		assert_int_equal(quote_msg_decode(b.data, b.len - 1, &back, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "unknown flags"));
	}
	buf_free(&b);
	/* a version 1 statement (no root, bound key or flags) still decodes: root = type */
	{
		/* magic, "soft", "1", nonce aa, pcr 10, first 0, count 1, 1 bank: sha256 */
		static const uint8_t head[] = { 'W', 'A', 'R', 'D', 'Q', '0', '0', '1', 0, 4, 's', 'o',
						'f', 't', 0, 1, '1', 0, 1, 0xaa, 0, 0, 0, 10,
						0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
						0, 1, 0, 0x0b };
		uint8_t v1[sizeof(head) + 32];

		memcpy(v1, head, sizeof(head));
		memset(v1 + sizeof(head), 0x11, 32);
		assert_int_equal(quote_msg_decode(v1, sizeof(v1), &back, &d), 0);
		assert_string_equal(back.root, "soft");
		assert_int_equal(back.bound_key_len, 0);
		assert_int_equal(back.flags, 0);
		assert_int_equal(back.record_count, 1);
	}
	m.flags = 0x80;
	assert_int_equal(quote_msg_encode(&m, &b), -EINVAL);
	buf_free(&b);
	m.flags = 0;
	m.root[0] = '\0';
	assert_int_equal(quote_msg_encode(&m, &b), -EINVAL);
	buf_free(&b);
	snprintf(m.root, sizeof(m.root), "soft");
	m.nonce_len = 0;
	assert_int_equal(quote_msg_encode(&m, &b), -EINVAL);
	buf_free(&b);
}

/* A record ward never writes (a foreign ima-buf event) is not waved through. */
static void test_foreign_records(void **state)
{
	struct fixture *f = *state;
	struct ward_evlog_record r;
	struct ward_verify_result res;
	struct ward_diag d = { { 0 } };
	_cleanup_free_ char *ev = NULL;

	assert_int_equal(evlog_record_new_buf(10, ".ima", (const uint8_t *)"cert", 4, &r), 0);
	assert_int_equal(state_append(f->st, &r, 1, &d), 0);
	ev = evidence(f, 0);
	assert_int_equal(verify(ev, strlen(ev), f, NULL, NULL, &res), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_true(res.signature_ok && res.registers_ok && res.log_ok);
	assert_non_null(strstr(res.reasons[0], "not a measurement or a ward event"));
	verify_result_clear(&res);
}

/* A writer killed between link(2) and unlink(2) of the new key leaves a second name for the
 * real key: cleaning up removes the name and keeps the key. A lone temp copy is wiped. */
static void test_stale_key_temps(void **state)
{
	struct fixture *f = *state;
	struct ward_state *again = NULL;
	struct ward_diag d = { { 0 } };
	char linked[512], lone[512], key[512];
	char *pem = NULL;
	pid_t pid = fork();
	int fd;

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid); /* a pid that is certainly dead */
	snprintf(key, sizeof(key), "%s/soft-key.pem", f->dir);
	snprintf(linked, sizeof(linked), "%s/soft-key.pem.new.%d", f->dir, (int)pid);
	snprintf(lone, sizeof(lone), "%s/state.json.tmp.%d", f->dir, (int)pid);
	assert_int_equal(link(key, linked), 0);
	fd = open(lone, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	if (state_open(f->dir, NULL, WARD_STATE_ATTESTER, &again, &d) != 0)
		fail_msg("reopen: %s", d.msg);
	assert_int_equal(access(linked, F_OK), -1);
	assert_int_equal(access(lone, F_OK), -1);
	assert_int_equal(attest_pubkey_pem(again->att, &pem, &d), 0);
	free(pem);
	state_close(again);
}

/* state_choose_pcr(): the PCR a new state dir gets, one row per case; a refusal names the
 * reason and leaves the out-parameter alone. */
static void test_choose_pcr(void **state)
{
	static const struct {
		const char *attester;
		int asked;
		bool ima;
		int rc;
		uint32_t pcr;	    /* when rc == 0 */
		const char *reason; /* when rc < 0: a substring of the message */
	} rows[] = {
		{ "tpm", -1, false, 0, 10, NULL },
		{ "tpm", -1, true, -EINVAL, 0, "the kernel's IMA measures into PCR 10: pass --pcr N" },
		{ "tpm", 10, false, 0, 10, NULL },
		{ "tpm", 10, true, -EINVAL, 0, "--pcr 10: the kernel's IMA measures into PCR 10" },
		{ "tpm", 11, true, 0, 11, NULL },
		{ "tpm", 11, false, 0, 11, NULL },
		{ "tpm", 0, false, 0, 0, NULL },
		{ "tpm", 15, true, 0, 15, NULL },
		{ "tpm", 16, false, -EINVAL, 0, "--pcr 16: PCRs 16 and 23 can be reset" },
		{ "tpm", 23, false, -EINVAL, 0, "--pcr 23: PCRs 16 and 23 can be reset" },
		{ "tpm", 17, false, -EINVAL, 0, "--pcr 17: " },
		{ "tpm", 18, true, -EINVAL, 0, "--pcr 18: " },
		{ "tpm", 19, false, -EINVAL, 0, "--pcr 19: " },
		{ "tpm", 20, false, -EINVAL, 0, "--pcr 20: " },
		{ "tpm", 21, false, -EINVAL, 0, "--pcr 21: " },
		{ "tpm", 22, false, -EINVAL, 0, "are for dynamic launch" },
		{ "tpm", 24, false, -EINVAL, 0, "--pcr: a PCR index 0..23 is expected" },
		{ "tpm", 1000, true, -EINVAL, 0, "--pcr: a PCR index 0..23 is expected" },
		{ "tpm", -2, false, -EINVAL, 0, "--pcr: a PCR index 0..23 is expected" },
		/* soft: no TPM to share with IMA or a dynamic launch; any PCR number is a label */
		{ "soft", -1, false, 0, 10, NULL },
		{ "soft", -1, true, 0, 10, NULL },
		{ "soft", 10, true, 0, 10, NULL },
		{ "soft", 16, false, 0, 16, NULL },
		{ "soft", 17, true, 0, 17, NULL },
		{ "soft", 23, false, 0, 23, NULL },
		{ "soft", 0, false, 0, 0, NULL },
		{ "soft", 24, false, -EINVAL, 0, "--pcr: a PCR index 0..23 is expected" },
		{ "soft", -5, true, -EINVAL, 0, "--pcr: a PCR index 0..23 is expected" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct ward_diag d = { { 0 } };
		uint32_t pcr = 0xdeadbeef;
		int r = state_choose_pcr(rows[i].attester, rows[i].asked, rows[i].ima, &pcr, &d);

		if (r != rows[i].rc)
			fail_msg("row %zu (%s, %d, ima %d): %d, want %d (%s)", i, rows[i].attester,
				 rows[i].asked, rows[i].ima, r, rows[i].rc, d.msg);
		if (r == 0) {
			assert_int_equal(pcr, rows[i].pcr);
			continue;
		}
		assert_int_equal(pcr, 0xdeadbeef);
		if (!strstr(d.msg, rows[i].reason))
			fail_msg("row %zu: message '%s' lacks '%s'", i, d.msg, rows[i].reason);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_trusted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_nonce_and_unpinned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_hex_digit_matters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_public_key_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_bundles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_and_decisions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental, setup, teardown),
		cmocka_unit_test(test_prior_parse),
		cmocka_unit_test(test_quote_msg_codec),
		cmocka_unit_test_setup_teardown(test_attester_is_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_key_temps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_records, setup, teardown),
		cmocka_unit_test(test_choose_pcr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
