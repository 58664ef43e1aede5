/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quote verification (report_verify_tpm): the real quotes of shared/vectors/tpm
 * (SOURCES.md 4a, 4b) verify and their pcrDigest recomputes from the PCR values given there;
 * every flipped byte and every truncation fails or is malformed; a table of malformed
 * structures with their diagnostics; ECDSA and RSAPSS keys made here sign a quote that verifies.
 */
#include <errno.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/cleanup.h"
#include "test-util.h"
#include "ward/report-tpm.h"
#include "ward/report.h"

#define GA "tpm/go-attestation-windows-gcp/"
#define COS "tpm/go-tpm-tools-gce-cos85/"
/* SOURCES.md 4a */
#define GA_AK_NAME "000b4ce9b151f75089d74c15dabe9d520cffafbcafd5d43be0aad2e2d88d54717e2e"
#define GA_PCR_DIGEST "a610f27bc687ce906243287d832706036e79f6e1"
/* SOURCES.md 4b */
#define COS_AK_NAME "000bf175bdb57297b2b289973f819863d6c9d09c236725676914f4248c9a2404c2a4"
#define BADSIG "the signature does not verify with the attestation key"
#define SCHEME "signature scheme "
#define KEYSCHEME " is not the attestation key's scheme "

struct blob {
	uint8_t *b;
	size_t len;
};

struct ga {
	struct blob attest, sig, ak, cc_attest, cc_sig;
};

static int setup(void **state)
{
	struct ga *g = calloc(1, sizeof(*g));

	g->attest.b = test_vector(GA "quote.tpms_attest.derived.bin", &g->attest.len);
	g->sig.b = test_vector(GA "quote.tpmt_signature.derived.bin", &g->sig.len);
	g->ak.b = test_vector(GA "ak_pub.tpmt_public.derived.bin", &g->ak.len);
	g->cc_attest.b = test_vector(GA "ak_certify_creation.tpms_attest.derived.bin",
				     &g->cc_attest.len);
	g->cc_sig.b = test_vector(GA "ak_certify_creation.tpmt_signature.derived.bin",
				  &g->cc_sig.len);
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct ga *g = *state;

	free(g->attest.b);
	free(g->sig.b);
	free(g->ak.b);
	free(g->cc_attest.b);
	free(g->cc_sig.b);
	free(g);
	return 0;
}

/* report_verify_tpm() on these inputs; returns its value, the result in @res. */
static int run(const uint8_t *a, size_t alen, const uint8_t *s, size_t slen, const uint8_t *k,
	       size_t klen, const uint8_t *nonce, size_t nlen, struct ward_report_result *res,
	       struct ward_diag *d)
{
	struct ward_report_opts o = { .tpm_sig = s, .tpm_sig_len = slen, .tpm_ak = k,
				      .tpm_ak_len = klen, .nonce = nonce, .nonce_len = nlen };

	*res = (struct ward_report_result){ 0 };
	d->msg[0] = '\0';
	return report_verify_tpm(a, alen, &o, res, d);
}

static const char *fact(const struct ward_report_result *r, const char *key)
{
	const char *v = json_string_value(json_object_get(r->facts, key));

	assert_non_null(v);
	return v;
}

static void test_go_attestation_valid(void **state)
{
	struct ga *g = *state;
	struct ward_report_result r;
	struct ward_diag d;
	json_t *sel;

	assert_int_equal(run(g->attest.b, g->attest.len, g->sig.b, g->sig.len, g->ak.b, g->ak.len,
			     NULL, 0, &r, &d),
			 0);
	assert_int_equal(r.verdict, WARD_VERDICT_PASS);
	assert_int_equal(r.n_reasons, 0);
	assert_true(json_is_true(json_object_get(r.facts, "magic_ok")));
	assert_string_equal(fact(&r, "type"), "quote");
	assert_string_equal(fact(&r, "extra_data"), "");
	assert_string_equal(fact(&r, "pcr_digest"), GA_PCR_DIGEST);
	assert_string_equal(fact(&r, "signature_scheme"), "rsassa");
	assert_string_equal(fact(&r, "signature_hash"), "sha1");
	assert_string_equal(fact(&r, "key_type"), "rsa-2048");
	assert_string_equal(fact(&r, "key_name_alg"), "sha256");
	/* The AK name SOURCES.md states, computed as nameAlg || SHA-256(TPMT_PUBLIC). */
	assert_string_equal(fact(&r, "key_name"), GA_AK_NAME);
	/*
	 * qualifiedSigner is the AK's *qualified* name (H(parent QN || Name)), not its Name: the
	 * two differ, and the parent's qualified name is not in the evidence, so it is a fact
	 * only.
	 */
	assert_string_not_equal(fact(&r, "qualified_signer"), GA_AK_NAME);
	sel = json_object_get(json_object_get(r.facts, "pcr_selection"), "sha1");
	assert_int_equal(json_array_size(sel), 24);
	for (size_t i = 0; i < 24; i++)
		assert_int_equal(json_integer_value(json_array_get(sel, i)), i);
	assert_int_equal(json_object_size(json_object_get(r.facts, "pcr_selection")), 1);
	report_result_clear(&r);

	/* The empty nonce, given explicitly, matches the empty extraData. */
	assert_int_equal(run(g->attest.b, g->attest.len, g->sig.b, g->sig.len, g->ak.b, g->ak.len,
			     (const uint8_t *)"", 0, &r, &d),
			 0);
	assert_int_equal(r.verdict, WARD_VERDICT_PASS);
	report_result_clear(&r);
}

/* pcrDigest == SHA-1(PCR0 || ... || PCR23) of pcrs_sha1.derived.json (SOURCES.md 4a). */
static void test_go_attestation_pcr_digest(void **state)
{
	size_t len, n;
	uint8_t *text = test_vector(GA "pcrs_sha1.derived.json", &len);
	json_t *j = json_loadb((const char *)text, len, 0, NULL), *pcrs;
	uint8_t values[24 * 20], dig[WARD_TPM_DIGEST_MAX], want[20];
	char key[4];

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "bank")), "sha1");
	pcrs = json_object_get(j, "pcrs");
	for (int i = 0; i < 24; i++) {
		snprintf(key, sizeof(key), "%d", i);
		test_hex(json_string_value(json_object_get(pcrs, key)), values + 20 * i, 20);
	}
	assert_int_equal(report_tpm_pcr_digest(WARD_TPM_ALG_SHA1, values, sizeof(values), dig,
					       sizeof(dig), &n),
			 0);
	assert_int_equal(n, 20);
	test_hex(GA_PCR_DIGEST, want, sizeof(want));
	assert_memory_equal(dig, want, 20);
	/* One PCR changed: the digest no longer matches. */
	values[20 * 7] ^= 1;
	assert_int_equal(report_tpm_pcr_digest(WARD_TPM_ALG_SHA1, values, sizeof(values), dig,
					       sizeof(dig), &n),
			 0);
	assert_memory_not_equal(dig, want, 20);
	assert_int_equal(report_tpm_pcr_digest(0x0012, values, sizeof(values), dig, sizeof(dig),
					       &n),
			 -EOPNOTSUPP);
	assert_int_equal(report_tpm_pcr_digest(WARD_TPM_ALG_SHA256, values, sizeof(values), dig,
					       20, &n),
			 -EINVAL);
	json_decref(j);
	free(text);
}

static uint8_t *hex_blob(const char *hex, size_t *ret_len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n + 1);

	test_hex(hex, b, n);
	*ret_len = n;
	return b;
}

/*
 * SOURCES.md 4b: three quotes per attestation (SHA-1, SHA-256, SHA-384 banks), signed
 * RSASSA/SHA-256; each verifies with the nonce it carries and its pcrDigest is SHA-256 of that
 * bank's 24 PCRs; a wrong nonce fails.
 */
static void check_cos(const char *file, const char *nonce_hex)
{
	size_t len, klen, nlen = 0;
	uint8_t *text = test_vector(file, &len);
	json_t *j = json_loadb((const char *)text, len, 0, NULL), *q;
	uint8_t *ak = hex_blob(json_string_value(json_object_get(j, "ak_pub_tpmt_public")), &klen);
	uint8_t nonce[64], wrong[64];
	size_t i;

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "nonce_hex")), nonce_hex);
	if (nonce_hex[0])
		test_hex(nonce_hex, nonce, nlen = strlen(nonce_hex) / 2);
	assert_int_equal(json_array_size(json_object_get(j, "quotes")), 3);
	json_array_foreach(json_object_get(j, "quotes"), i, q) {
		const char *bank = json_string_value(json_object_get(q, "bank"));
		size_t alen, slen, width = strcmp(bank, "sha1") == 0 ? 20 :
					   strcmp(bank, "sha256") == 0 ? 32 : 48, n;
		uint8_t *a = hex_blob(json_string_value(json_object_get(q, "tpms_attest")), &alen);
		const char *shex = json_string_value(json_object_get(q, "tpmt_signature"));
		uint8_t *s = hex_blob(shex, &slen);
		uint8_t values[24 * 48], dig[WARD_TPM_DIGEST_MAX];
		char want[2 * WARD_TPM_DIGEST_MAX + 1], key[4];
		json_t *pcrs = json_object_get(q, "pcrs");
		struct ward_report_result r;
		struct ward_diag d;

		assert_int_equal(run(a, alen, s, slen, ak, klen, nonce, nlen, &r, &d), 0);
		assert_int_equal(r.verdict, WARD_VERDICT_PASS);
		assert_string_equal(fact(&r, "key_name"), COS_AK_NAME);
		assert_string_equal(fact(&r, "signature_hash"), "sha256");
		assert_int_equal(json_array_size(json_object_get(
					 json_object_get(r.facts, "pcr_selection"), bank)),
				 24);
		for (int p = 0; p < 24; p++) {
			snprintf(key, sizeof(key), "%d", p);
			test_hex(json_string_value(json_object_get(pcrs, key)), values + width * p,
				 width);
		}
		assert_int_equal(report_tpm_pcr_digest(WARD_TPM_ALG_SHA256, values, 24 * width, dig,
						       sizeof(dig), &n),
				 0);
		hex_encode(dig, n, want);
		assert_string_equal(fact(&r, "pcr_digest"), want);
		report_result_clear(&r);

		/* SOURCES.md: the wrong nonce (9008) must fail, with one reason. */
		memcpy(wrong, "\x90\x08", 2);
		assert_int_equal(run(a, alen, s, slen, ak, klen, wrong, 2, &r, &d), 0);
		assert_int_equal(r.verdict, WARD_VERDICT_FAIL);
		assert_int_equal(r.n_reasons, 1);
		assert_string_equal(r.reasons[0], "extraData does not match the nonce 9008");
		report_result_clear(&r);
		free(a);
		free(s);
	}
	json_decref(j);
	free(ak);
	free(text);
}

static void test_gce_cos85(void **state)
{
	(void)state;
	check_cos(COS "gce-cos-85-nonce9009.expanded.derived.json", "9009");
	check_cos(COS "gce-cos-85-no-nonce.expanded.derived.json", "");
}

static void test_wrong_nonce(void **state)
{
	struct ga *g = *state;
	struct ward_report_result r;
	struct ward_diag d;

	assert_int_equal(run(g->attest.b, g->attest.len, g->sig.b, g->sig.len, g->ak.b, g->ak.len,
			     (const uint8_t *)"\x90\x09", 2, &r, &d),
			 0);
	assert_int_equal(r.verdict, WARD_VERDICT_FAIL);
	assert_int_equal(r.n_reasons, 1);
	assert_string_equal(r.reasons[0], "extraData does not match the nonce 9009");
	report_result_clear(&r);
}

/* The AK's certify-creation attestation: signed by the AK, but not a quote. */
static void test_certify_creation(void **state)
{
	struct ga *g = *state;
	struct ward_report_result r;
	struct ward_diag d;

	assert_int_equal(run(g->cc_attest.b, g->cc_attest.len, g->cc_sig.b, g->cc_sig.len, g->ak.b,
			     g->ak.len, NULL, 0, &r, &d),
			 0);
	assert_int_equal(r.verdict, WARD_VERDICT_FAIL);
	assert_int_equal(r.n_reasons, 1);
	assert_string_equal(r.reasons[0], "type is 0x801a, not TPM_ST_ATTEST_QUOTE (0x8018)");
	assert_null(json_object_get(r.facts, "pcr_digest"));
	report_result_clear(&r);
	/* The quote's signature on the certify-creation bytes: both checks fail. */
	assert_int_equal(run(g->cc_attest.b, g->cc_attest.len, g->sig.b, g->sig.len, g->ak.b,
			     g->ak.len, NULL, 0, &r, &d),
			 0);
	assert_int_equal(r.n_reasons, 2);
	assert_string_equal(r.reasons[1], BADSIG);
	report_result_clear(&r);
}

/* Which of the three inputs a test edits. */
enum which { ATTEST, SIG, AK };

static int run_edited(struct ga *g, enum which w, const uint8_t *buf, size_t len,
		      struct ward_report_result *r, struct ward_diag *d)
{
	return run(w == ATTEST ? buf : g->attest.b, w == ATTEST ? len : g->attest.len,
		   w == SIG ? buf : g->sig.b, w == SIG ? len : g->sig.len, w == AK ? buf : g->ak.b,
		   w == AK ? len : g->ak.len, NULL, 0, r, d);
}

static struct blob *pick(struct ga *g, enum which w)
{
	return w == ATTEST ? &g->attest : w == SIG ? &g->sig : &g->ak;
}

/*
 * Every byte of TPMS_ATTEST and TPMT_SIGNATURE, flipped, either breaks the structure (-EBADMSG)
 * or fails a check: the signature covers every byte of the one, and the other is the signature.
 * For TPMT_PUBLIC, the same holds for every byte of the modulus. Its other fields are not bound
 * by the quote (binding the AK to a TPM is the AK certificate's job): some flips there still
 * verify, but they change the key's name.
 */
static void test_flip_every_byte(void **state)
{
	struct ga *g = *state;

	for (enum which w = ATTEST; w <= AK; w++) {
		struct blob *b = pick(g, w);
		uint8_t *copy = malloc(b->len);
		/* the modulus is the last 256 bytes of this TPMT_PUBLIC */
		size_t from = w == AK ? b->len - 256 : 0;

		for (size_t i = 0; i < b->len; i++) {
			struct ward_report_result r;
			struct ward_diag d;
			int k;

			memcpy(copy, b->b, b->len);
			copy[i] ^= 0x01;
			k = run_edited(g, w, copy, b->len, &r, &d);
			if (k == 0) {
				if (i >= from && r.verdict == WARD_VERDICT_PASS)
					fail_msg("input %d: byte %zu flipped verifies", w, i);
				if (r.verdict == WARD_VERDICT_PASS)
					assert_string_not_equal(fact(&r, "key_name"), GA_AK_NAME);
				report_result_clear(&r);
			} else {
				assert_int_equal(k, -EBADMSG);
				assert_true(d.msg[0] != '\0');
			}
		}
		free(copy);
	}
}

/* Every strict prefix of each input, and each input with a byte appended, is malformed. */
static void test_truncated_and_trailing(void **state)
{
	struct ga *g = *state;

	for (enum which w = ATTEST; w <= AK; w++) {
		struct blob *b = pick(g, w);
		uint8_t *copy = malloc(b->len + 1);
		struct ward_report_result r;
		struct ward_diag d;

		memcpy(copy, b->b, b->len);
		copy[b->len] = 0;
		for (size_t n = 0; n < b->len; n++) {
			assert_int_equal(run_edited(g, w, copy, n, &r, &d), -EBADMSG);
			assert_true(d.msg[0] != '\0');
		}
		assert_int_equal(run_edited(g, w, copy, b->len + 1, &r, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "1 trailing bytes"));
		free(copy);
	}
}

/* One edit of a valid input: set bytes at @off to @bytes (@n of them). */
static void test_edits(void **state)
{
	static const struct {
		enum which w;
		size_t off;
		const char *bytes;
		size_t n;
		int err;
		const char *msg;	/* diag (err < 0) or the first reason */
		size_t n_reasons;
	} rows[] = {
		{ ATTEST, 0, "\xff\x54\x43\x48", 4, 0,
		  "magic is 0xff544348, not TPM_GENERATED_VALUE (0xff544347): the TPM did not "
		  "produce this structure",
		  2 },
		{ ATTEST, 6, "\x00\x43", 2, -EBADMSG,
		  "TPMS_ATTEST: qualifiedSigner at offset 6: size 67 exceeds 66", 0 },
		{ ATTEST, 6, "\x00\x41", 2, -EBADMSG,
		  "TPMS_ATTEST: firmwareVersion at offset 100: 4 bytes needed, 1 left", 0 },
		{ ATTEST, 0x3c, "\x02", 1, -EBADMSG,
		  "TPMS_ATTEST: clockInfo.safe at offset 60 is 2, not a TPMI_YES_NO", 0 },
		{ ATTEST, 0x45, "\x00\x00\x00\x11", 4, -EBADMSG,
		  "TPMS_ATTEST: TPML_PCR_SELECTION.count at offset 69 is 17, more than 16 banks",
		  0 },
		{ ATTEST, 0x4b, "\x09", 1, -EBADMSG,
		  "TPMS_ATTEST: sizeofSelect at offset 75 is 9, more than 8", 0 },
		{ ATTEST, 0x4f, "\x00\x41", 2, -EBADMSG,
		  "TPMS_ATTEST: pcrDigest at offset 79: size 65 exceeds 64", 0 },
		{ ATTEST, 0x4f, "\x00\x13", 2, -EBADMSG,
		  "TPMS_ATTEST: 1 trailing bytes at offset 100", 0 },
		{ ATTEST, 0x51, "\x00", 1, 0, BADSIG, 1 },
		{ SIG, 0, "\x00\x05", 2, -EBADMSG,
		  "TPMT_SIGNATURE: sigAlg 0x0005 at offset 0 is not RSASSA, RSAPSS or ECDSA", 0 },
		{ SIG, 0, "\x00\x18", 2, -EBADMSG, "TPMT_SIGNATURE: signatureR at offset 4", 0 },
		{ SIG, 0, "\x00\x16", 2, 0,
		  SCHEME "rsapss/sha1" KEYSCHEME "rsassa/sha1", 1 },
		{ SIG, 2, "\x00\x0b", 2, 0,
		  SCHEME "rsassa/sha256" KEYSCHEME "rsassa/sha1", 1 },
		{ SIG, 4, "\x00\xff", 2, -EBADMSG, "TPMT_SIGNATURE: 1 trailing bytes at offset 261",
		  0 },
		{ SIG, 4, "\x01\x01", 2, -EBADMSG,
		  "TPMT_SIGNATURE: sig at offset 6: 257 bytes needed, 256 left", 0 },
		{ SIG, 6, "\x00", 1, 0, BADSIG, 1 },
		{ AK, 2, "\x00\x12", 2, -EBADMSG,
		  "TPMT_PUBLIC: nameAlg 0x0012 at offset 2 is not SHA-1, SHA-256, SHA-384 or "
		  "SHA-512",
		  0 },
		{ AK, 0, "\x00\x08", 2, -EBADMSG,
		  "TPMT_PUBLIC: type 0x0008 at offset 0 is not RSA or ECC", 0 },
		/* restricted (bit 16) cleared: the signature still verifies, the key is refused */
		{ AK, 4, "\x00\x04", 2, 0,
		  "the attestation key is not a restricted signing key (objectAttributes "
		  "0x00040472)",
		  1 },
		{ AK, 0x2e, "\x00\x0b", 2, 0,
		  SCHEME "rsassa/sha1" KEYSCHEME "rsassa/sha256", 1 },
		{ AK, 0x30, "\x04\x00", 2, -EBADMSG,
		  "TPMT_PUBLIC: keyBits 1024 but a 256-byte modulus", 0 },
		{ AK, 0x32, "\x00\x00\x00\x03", 4, 0,
		  BADSIG, 1 },
		{ AK, 0x36, "\x02\x01", 2, -EBADMSG,
		  "TPMT_PUBLIC: unique.rsa at offset 54: size 513 exceeds 512", 0 },
	};
	struct ga *g = *state;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct blob *b = pick(g, rows[i].w);
		uint8_t *copy = malloc(b->len);
		struct ward_report_result r;
		struct ward_diag d;
		int k;

		assert_true(rows[i].off + rows[i].n <= b->len);
		memcpy(copy, b->b, b->len);
		memcpy(copy + rows[i].off, rows[i].bytes, rows[i].n);
		k = run_edited(g, rows[i].w, copy, b->len, &r, &d);
		if (k != rows[i].err)
			fail_msg("row %zu: %d (%s), expected %d", i, k, d.msg, rows[i].err);
		if (k < 0) {
			if (strncmp(d.msg, rows[i].msg, strlen(rows[i].msg)) != 0)
				fail_msg("row %zu: diag '%s', expected '%s'", i, d.msg,
					 rows[i].msg);
		} else {
			assert_int_equal(r.verdict, WARD_VERDICT_FAIL);
			if (r.n_reasons != rows[i].n_reasons || strcmp(r.reasons[0], rows[i].msg))
				fail_msg("row %zu: %zu reasons, first '%s'", i, r.n_reasons,
					 r.reasons[0]);
			report_result_clear(&r);
		}
		free(copy);
	}
}

static void test_missing_inputs(void **state)
{
	struct ga *g = *state;
	struct ward_report_result r;
	struct ward_diag d;

	assert_int_equal(run(g->attest.b, g->attest.len, NULL, 0, g->ak.b, g->ak.len, NULL, 0, &r,
			     &d),
			 -EBADMSG);
	assert_int_equal(run(g->attest.b, g->attest.len, g->sig.b, g->sig.len, NULL, 0, NULL, 0,
			     &r, &d),
			 -EBADMSG);
}

/* --report-data is an SNP/TDX check: asked of a TPM quote, it is refused, not ignored. */
static void test_report_data_refused(void **state)
{
	struct ga *g = *state;
	struct ward_report_opts o = { .tpm_sig = g->sig.b, .tpm_sig_len = g->sig.len,
				      .tpm_ak = g->ak.b, .tpm_ak_len = g->ak.len,
				      .has_report_data = true };
	struct ward_report_result r = { 0 };
	struct ward_diag d = { { 0 } };

	assert_int_equal(report_verify_tpm(g->attest.b, g->attest.len, &o, &r, &d), -EINVAL);
	assert_null(r.facts);
}

/* Big-endian writers for the synthetic keys below. */
static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t put2b(uint8_t *p, const uint8_t *b, size_t n)
{
	put16(p, (uint16_t)n);
	memcpy(p + 2, b, n);
	return 2 + n;
}

static uint8_t *sign(EVP_PKEY *k, const EVP_MD *md, int pad, const uint8_t *m, size_t mlen,
		     size_t *ret_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	uint8_t *s;

	assert_int_equal(EVP_DigestSignInit(c, &pc, md, NULL, k), 1);
	if (pad) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, pad), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(EVP_DigestSign(c, NULL, ret_len, m, mlen), 1);
	s = malloc(*ret_len);
	assert_int_equal(EVP_DigestSign(c, s, ret_len, m, mlen), 1);
	EVP_MD_CTX_free(c);
	return s;
}

/*
 * No real vector has an ECC or RSAPSS AK: keys made here sign the go-attestation quote bytes,
 * wrapped as a TPM would wrap them, and the verifier must accept them and refuse a flipped
 * byte. (OpenSSL signs, so this checks the TPM wire format for these schemes, not the crypto.)
 */
static void check_synthetic(struct ga *g, uint8_t *pub, size_t plen, uint8_t *sig, size_t slen)
{
	struct ward_report_result r;
	struct ward_diag d;

	assert_int_equal(run(g->attest.b, g->attest.len, sig, slen, pub, plen, NULL, 0, &r, &d), 0);
	if (r.verdict != WARD_VERDICT_PASS)
		fail_msg("synthetic: %s", r.reasons[0]);
	report_result_clear(&r);
	g->attest.b[g->attest.len - 1] ^= 1;
	assert_int_equal(run(g->attest.b, g->attest.len, sig, slen, pub, plen, NULL, 0, &r, &d), 0);
	g->attest.b[g->attest.len - 1] ^= 1;
	assert_int_equal(r.n_reasons, 1);
	assert_string_equal(r.reasons[0], BADSIG);
	report_result_clear(&r);
}

static void test_synthetic_ecdsa(void **state)
{
	/* ECC, nameAlg SHA-256, restricted sign, no policy, no symmetric, ECDSA/SHA-256, P-256 */
	static const uint8_t head[] = { 0x00, 0x23, 0x00, 0x0b, 0x00, 0x05, 0x00, 0x72,
					0x00, 0x00, 0x00, 0x10, 0x00, 0x18, 0x00, 0x0b,
					0x00, 0x03, 0x00, 0x10 };
	struct ga *g = *state;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	uint8_t point[65], pub[128], sig[256], rb[32], sb[32];
	const unsigned char *p;
	size_t n, plen = 0, slen = 0, dlen;
	uint8_t *der;
	ECDSA_SIG *es;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point,
							 sizeof(point), &n),
			 1);
	assert_int_equal(n, 65);
	memcpy(pub, head, sizeof(head));
	plen = sizeof(head);
	plen += put2b(pub + plen, point + 1, 32);
	plen += put2b(pub + plen, point + 33, 32);

	der = sign(k, EVP_sha256(), 0, g->attest.b, g->attest.len, &dlen);
	p = der;
	es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	assert_non_null(es);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), rb, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), sb, 32);
	slen += put16(sig + slen, 0x0018);
	slen += put16(sig + slen, 0x000b);
	slen += put2b(sig + slen, rb, 32);
	slen += put2b(sig + slen, sb, 32);
	check_synthetic(g, pub, plen, sig, slen);

	/* The point moved off the curve: malformed key. */
	pub[sizeof(head) + 2 + 31] ^= 1;
	{
		struct ward_report_result r;
		struct ward_diag d;

		assert_int_equal(run(g->attest.b, g->attest.len, sig, slen, pub, plen, NULL, 0, &r,
				     &d),
				 -EBADMSG);
		assert_string_equal(d.msg, "TPMT_PUBLIC: unique is not a point on P-256");
	}
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void test_synthetic_rsapss(void **state)
{
	static const uint8_t head[] = { 0x00, 0x01, 0x00, 0x0b, 0x00, 0x05, 0x00, 0x72, 0x00, 0x00,
					0x00, 0x10, 0x00, 0x16, 0x00, 0x0b, 0x08, 0x00, 0x00, 0x00,
					0x00, 0x00 };
	struct ga *g = *state;
	EVP_PKEY *k = EVP_RSA_gen(2048);
	uint8_t mod[256], pub[512], sig[512];
	BIGNUM *n = NULL;
	size_t plen, slen = 0, rlen;
	uint8_t *raw;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_bn2binpad(n, mod, sizeof(mod)), 256);
	memcpy(pub, head, sizeof(head));
	plen = sizeof(head) + put2b(pub + sizeof(head), mod, 256);
	raw = sign(k, EVP_sha256(), RSA_PKCS1_PSS_PADDING, g->attest.b, g->attest.len, &rlen);
	slen += put16(sig + slen, 0x0016);
	slen += put16(sig + slen, 0x000b);
	slen += put2b(sig + slen, raw, rlen);
	check_synthetic(g, pub, plen, sig, slen);
	free(raw);
	BN_free(n);
	EVP_PKEY_free(k);
}

/* A 1024-bit RSA AK: the signature verifies, the key is refused as too short. */
static void test_synthetic_rsa1024(void **state)
{
	static const uint8_t head[] = { 0x00, 0x01, 0x00, 0x0b, 0x00, 0x05, 0x00, 0x72,
					0x00, 0x00, 0x00, 0x10, 0x00, 0x14, 0x00, 0x0b,
					0x04, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct ga *g = *state;
	EVP_PKEY *k = EVP_RSA_gen(1024);
	uint8_t mod[128], pub[256], sig[256];
	struct ward_report_result r;
	struct ward_diag d;
	size_t plen, slen = 0, rlen;
	BIGNUM *n = NULL;
	uint8_t *raw;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_bn2binpad(n, mod, sizeof(mod)), 128);
	memcpy(pub, head, sizeof(head));
	plen = sizeof(head) + put2b(pub + sizeof(head), mod, 128);
	raw = sign(k, EVP_sha256(), 0, g->attest.b, g->attest.len, &rlen);
	slen += put16(sig + slen, 0x0014);
	slen += put16(sig + slen, 0x000b);
	slen += put2b(sig + slen, raw, rlen);
	assert_int_equal(run(g->attest.b, g->attest.len, sig, slen, pub, plen, NULL, 0, &r, &d), 0);
	assert_int_equal(r.n_reasons, 1);
	assert_string_equal(r.reasons[0], "the attestation key is RSA-1024: fewer than 2048 bits");
	assert_string_equal(fact(&r, "key_type"), "rsa-1024");
	report_result_clear(&r);
	free(raw);
	BN_free(n);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_attestation_valid),
		cmocka_unit_test(test_go_attestation_pcr_digest),
		cmocka_unit_test(test_gce_cos85),
		cmocka_unit_test(test_wrong_nonce),
		cmocka_unit_test(test_certify_creation),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_missing_inputs),
		cmocka_unit_test(test_report_data_refused),
		cmocka_unit_test(test_synthetic_ecdsa),
		cmocka_unit_test(test_synthetic_rsapss),
		cmocka_unit_test(test_synthetic_rsa1024),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
