/* SPDX-License-Identifier: Apache-2.0 */
/* report_verify_tdx() on the TDX quotes of shared/vectors (SOURCES.md §2) and broken copies. */
#include <errno.h>

#include "test-util.h"
#include "core/cleanup-ossl.h"
#include "ward/report.h"

#define SPR	  "tdx/go-tdx-guest-spr/tdx_prod_quote_SPR_E4.dat"
#define T_SPR	  1688173200LL /* 2023-07-01T01:00:00Z, go-tdx-guest verify_test.go */
#define T_V5	  1770080400LL /* 2026-02-03T01:00:00Z */
#define T_TRUSTEE 1761955200LL /* 2025-11-01T00:00:00Z, inside trustee's collateral window */
#define T_2025	  1735689600LL /* 2025-01-01T00:00:00Z */

/* Run the verifier; on success, the verdict and the number of reasons. */
static int run(const uint8_t *buf, size_t len, const struct ward_report_opts *o,
	       struct ward_report_result *res, struct ward_diag *d)
{
	*d = (struct ward_diag){{0}};
	return report_verify_tdx(buf, len, o, res, d);
}

static bool has_reason(const struct ward_report_result *r, const char *s)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (strcmp(r->reasons[i], s) == 0)
			return true;
	return false;
}

static void test_valid_vectors(void **state)
{
	static const struct {
		const char *path;
		int64_t now;
		const char *fmspc;
		int version;
	} v[] = {
	    {SPR, T_SPR, "50806f000000", 4},
	    {"tdx/go-tdx-guest-ccel/cos-113-tdx-quote.dat", T_2025, "00806f050000", 4},
	    {"tdx/go-tdx-guest-v5/quote_v5_sample.dat", T_V5, "90c06f000000", 5},
	    {"tdx/trustee/tdx_quote_5.dat", T_V5, "90c06f000000", 5},
	    {"tdx/trustee/tdx_quote_6.dat", T_TRUSTEE, "00a06d080000", 4},
	    {"tdx/trustee-azure-tdx-vtpm/td-quote.bin", T_2025, "00806f050000", 4},
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct ward_report_opts o = {.now = v[i].now};
		struct ward_report_result res = {0};
		struct ward_diag d;
		size_t len;
		_cleanup_free_ uint8_t *q = test_vector(v[i].path, &len);

		assert_int_equal(run(q, len, &o, &res, &d), 0);
		if (res.verdict != WARD_VERDICT_PASS)
			fail_msg("%s: %s", v[i].path, res.n_reasons ? res.reasons[0] : "?");
		assert_int_equal(res.n_reasons, 0);
		assert_string_equal(json_string_value(json_object_get(res.facts, "fmspc")),
				    v[i].fmspc);
		assert_int_equal(json_integer_value(json_object_get(res.facts, "version")),
				 v[i].version);
		report_result_clear(&res);
	}
}

static void test_debug_and_report_data(void **state)
{
	struct ward_report_opts o = {.now = T_TRUSTEE};
	struct ward_report_result res = {0};
	struct ward_diag d;
	size_t len;
	_cleanup_free_ uint8_t *q = test_vector("tdx/trustee/tdx_quote_4.dat", &len);

	(void)state;
	assert_int_equal(run(q, len, &o, &res, &d), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_int_equal(res.n_reasons, 1);
	assert_string_equal(res.reasons[0],
			    "TD attributes have DEBUG set (refused without allow_debug)");
	report_result_clear(&res);

	o.allow_debug = true;
	o.has_report_data = true;
	test_hex("7c71fe2c86eff65a7cf8dbc22b3275689fd0464a267baced1bf94fc1324656aeb755da3d44d098c0"
		 "c87382f3a5f85b45c8a28fee1d3bdb38342bf96671501429",
		 o.report_data, sizeof(o.report_data));
	assert_int_equal(run(q, len, &o, &res, &d), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	report_result_clear(&res);

	/* All 64 bytes are compared: the last one differing is enough. */
	o.report_data[63] ^= 1;
	assert_int_equal(run(q, len, &o, &res, &d), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_int_equal(res.n_reasons, 1);
	assert_string_equal(res.reasons[0], "REPORT_DATA does not match the expected value");
	report_result_clear(&res);
}

/* Every byte the attestation key signs matters (header and body, 0x000..0x277). */
static void test_every_signed_byte(void **state)
{
	struct ward_report_opts o = {.now = T_SPR};
	size_t len;
	_cleanup_free_ uint8_t *q = test_vector(SPR, &len);

	(void)state;
	for (size_t off = 0x08; off < 0x278; off++) {
		struct ward_report_result res = {0};
		struct ward_diag d;

		q[off] ^= 0x20;
		assert_int_equal(run(q, len, &o, &res, &d), 0);
		if (!has_reason(&res, "quote signature by the attestation key does not verify"))
			fail_msg("byte 0x%zx flipped: signature still verifies", off);
		report_result_clear(&res);
		q[off] ^= 0x20;
	}
}

/* Every prefix shorter than the structure (4935 bytes) is malformed; @ret stays untouched. */
static void test_truncated(void **state)
{
	struct ward_report_opts o = {.now = T_SPR};
	size_t len;
	_cleanup_free_ uint8_t *q = test_vector(SPR, &len);

	(void)state;
	for (size_t n = 0; n < 4935; n++) {
		struct ward_report_result res = {.n_reasons = 4242};
		struct ward_diag d;

		if (run(q, n, &o, &res, &d) != -EBADMSG)
			fail_msg("prefix of %zu bytes not refused as malformed", n);
		assert_true(d.msg[0] != '\0');
		assert_int_equal(res.n_reasons, 4242);
	}
	{
		struct ward_report_result res = {0};
		struct ward_diag d;

		assert_int_equal(run(q, 4935, &o, &res, &d), 0);
		assert_int_equal(res.verdict, WARD_VERDICT_PASS);
		report_result_clear(&res);
	}
}

static void test_malformed_fields(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
		const char *msg;
	} t[] = {
	    {0x00, 3, "offset 0x0: quote format version 3 not supported (4, 5)"},
	    {0x02, 3, "offset 0x2: attestation key type 3 not supported (2, ECDSA P-256)"},
	    {0x04, 0, "offset 0x4: TEE type 0x0 is not TDX (0x81)"},
	    {0x278, 0x10, "offset 0x2fe: size of certification data is 0x1045, expected 0xf8a"},
	    {0x2fc, 7, "offset 0x2fc: certification data type 7, expected 6 (QE report)"},
	    {0x4c3, 0xff, "offset 0x4c2: QE auth data size 65312 runs past the end"},
	    {0x4e4, 4, "offset 0x4e4: certification data type 4, expected 5 (PCK chain, PEM)"},
	};
	struct ward_report_opts o = {.now = T_SPR};
	size_t len;
	_cleanup_free_ uint8_t *q = test_vector(SPR, &len);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct ward_report_result res = {0};
		struct ward_diag d;
		uint8_t old = q[t[i].off];

		q[t[i].off] = t[i].val;
		assert_int_equal(run(q, len, &o, &res, &d), -EBADMSG);
		assert_string_equal(d.msg, t[i].msg);
		q[t[i].off] = old;
	}
	/* NULL input is malformed, not a crash. */
	{
		struct ward_report_result res = {0};
		struct ward_diag d;

		assert_int_equal(run(NULL, 0, &o, &res, &d), -EBADMSG);
	}
}

static void test_tampered_parts(void **state)
{
	static const struct {
		size_t off;
		const char *reason;
	} t[] = {
	    {0x290, "quote signature by the attestation key does not verify"},
	    {0x382, "QE report signature by the PCK key does not verify"},
	    {0x442, "QE report REPORTDATA is not SHA-256(attestation key || QE auth data) "
		    "padded with zeros"},
	    {0x482, "QE report signature by the PCK key does not verify"},
	    {0x4c4, "QE report REPORTDATA is not SHA-256(attestation key || QE auth data) "
		    "padded with zeros"},
	    {0x1329, "the quote's root certificate is not the Intel SGX Root CA"},
	};
	struct ward_report_opts o = {.now = T_SPR};
	size_t len;
	_cleanup_free_ uint8_t *q = test_vector(SPR, &len);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct ward_report_result res = {0};
		struct ward_diag d;

		q[t[i].off] ^= 0x01;
		assert_int_equal(run(q, len, &o, &res, &d), 0);
		assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
		if (!has_reason(&res, t[i].reason))
			fail_msg("0x%zx: want '%s', got '%s'", t[i].off, t[i].reason,
				 res.n_reasons ? res.reasons[0] : "");
		report_result_clear(&res);
		q[t[i].off] ^= 0x01;
	}
	/* The PCK has expired by 2053 (upstream TestNegativeVerifyPckChainWithoutRevocation). */
	{
		struct ward_report_result res = {0};
		struct ward_diag d;

		o.now = 2635117200LL;
		assert_int_equal(run(q, len, &o, &res, &d), 0);
		assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
		assert_non_null(strstr(res.reasons[0], "certificate has expired"));
		report_result_clear(&res);
	}
}

static void test_collateral(void **state)
{
	struct ward_report_opts o = {.now = T_TRUSTEE};
	struct ward_report_result res = {0};
	struct ward_diag d;
	size_t len, tl, ql;
	_cleanup_free_ uint8_t *q = test_vector("tdx/trustee/tdx_quote_6.dat", &len);
	_cleanup_free_ uint8_t *tcb = test_vector("tdx/trustee/tcbInfo.json", &tl);
	_cleanup_free_ uint8_t *qe = test_vector("tdx/trustee/enclaveIdentity.json", &ql);
	uint8_t *p;

	(void)state;
	o.tcb_info = tcb;
	o.tcb_info_len = tl;
	o.qe_identity = qe;
	o.qe_identity_len = ql;
	assert_int_equal(run(q, len, &o, &res, &d), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_PASS);
	assert_string_equal(json_string_value(json_object_get(res.facts, "tcb_status")),
			    "OutOfDate");
	assert_string_equal(json_string_value(json_object_get(res.facts, "qe_tcb_status")),
			    "UpToDate");
	report_result_clear(&res);

	/* A signed byte of the TCB info changed: its signature fails. */
	p = memmem(tcb, tl, "\"tcbEvaluationDataNumber\":17", 28);
	assert_non_null(p);
	p[27] = '8';
	assert_int_equal(run(q, len, &o, &res, &d), 0);
	assert_int_equal(res.n_reasons, 1);
	assert_string_equal(res.reasons[0],
			    "TCB info: signature by the Intel SGX TCB Signing key does not verify");
	report_result_clear(&res);
	p[27] = '7';

	/*
	 * The genuine signed object nested under another key, a forged one at the top: the
	 * signature must be checked over the bytes of the object the checks read.
	 */
	{
		_cleanup_free_ char *forged = malloc(2 * tl + 16);
		_cleanup_free_ char *top = malloc(tl);
		struct ward_report_opts f = o;
		char *n;

		assert_non_null(forged);
		assert_non_null(top);
		memcpy(top, tcb, tl);
		n = memmem(top, tl, "\"tcbEvaluationDataNumber\":17", 28);
		assert_non_null(n);
		n[27] = '8';
		memcpy(forged, "{\"x\":", 5);
		memcpy(forged + 5, tcb, tl);
		forged[5 + tl] = ',';
		memcpy(forged + 6 + tl, top + 1, tl - 1);
		f.tcb_info = (const uint8_t *)forged;
		f.tcb_info_len = 5 + tl + tl;
		assert_int_equal(run(q, len, &f, &res, &d), 0);
		assert_true(has_reason(
		    &res, "TCB info: signature by the Intel SGX TCB Signing key does not verify"));
		report_result_clear(&res);
	}

	/* After nextUpdate both are stale. */
	o.now = 1764547200LL; /* 2025-12-01 */
	assert_int_equal(run(q, len, &o, &res, &d), 0);
	assert_int_equal(res.n_reasons, 2);
	assert_string_equal(res.reasons[0], "TCB info: expired (nextUpdate 2025-11-26T13:07:17Z)");
	assert_string_equal(res.reasons[1],
			    "QE identity: expired (nextUpdate 2025-11-27T06:45:09Z)");
	report_result_clear(&res);

	/* Not JSON: malformed. */
	o.now = T_TRUSTEE;
	o.tcb_info = (const uint8_t *)"{";
	o.tcb_info_len = 1;
	assert_int_equal(run(q, len, &o, &res, &d), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_vectors),     cmocka_unit_test(test_debug_and_report_data),
	    cmocka_unit_test(test_every_signed_byte), cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_malformed_fields),  cmocka_unit_test(test_tampered_parts),
	    cmocka_unit_test(test_collateral),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
