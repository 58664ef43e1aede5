/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_verify_snp() on the SEV-SNP vectors of shared/vectors (SOURCES.md §1): every valid
 * report passes at a time inside its certificates' validity, each tampered copy fails with the
 * one reason expected, and each structural fault is -EBADMSG with @ret left untouched.
 */
#include <errno.h>
#include <time.h>

#include "test-util.h"
#include "core/cleanup-ossl.h"
#include "ward/report.h"

#define T_2022_09_24 1664020800 /* 2022-09-24T12:00:00Z */
#define T_2024_01_01 1704067200
#define T_2025_06_01 1748736000
#define T_2026_01_01 1767225600

struct vec {
	const char *name, *report, *vcek;
	int64_t now;
	const char *product, *key, *measurement;
	bool debug;
};

static const struct vec valid[] = {
	{ "virtee", "sev-snp/virtee-sev-milan/report_milan.derived.bin",
	  "sev-snp/virtee-sev-milan/vcek_milan.der", T_2024_01_01, "milan", "vcek",
	  "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f", false },
	{ "trustee-vcek", "sev-snp/trustee-milan/test-report.bin",
	  "sev-snp/trustee-milan/test-vcek.der", T_2024_01_01, "milan", "vcek",
	  "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c", false },
	{ "trustee-vlek", "sev-snp/trustee-milan/test-vlek-report.bin",
	  "sev-snp/trustee-milan/test-vlek.der", T_2025_06_01, "milan", "vlek",
	  "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7bf0", false },
	{ "genoa", "sev-snp/trustee-genoa-e2e/report_genoa.derived.bin",
	  "sev-snp/trustee-genoa-e2e/vcek_genoa.derived.der", T_2025_06_01, "genoa", "vcek",
	  "6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4ae62a36d75c837974dd50b315506e73e", false },
	{ "go-sev-guest", "sev-snp/go-sev-guest-milan/attestation.bin",
	  "sev-snp/go-sev-guest-milan/vcek.der", T_2022_09_24, "milan", "vcek",
	  "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01",
	  true },
};

#define VIRTEE (&valid[0])
#define TRUSTEE (&valid[1])
#define VLEK (&valid[2])
#define GOSEV (&valid[4])

struct loaded {
	uint8_t *report, *vcek;
	size_t report_len, vcek_len;
};

static struct loaded load(const struct vec *v)
{
	struct loaded l;

	l.report = test_vector(v->report, &l.report_len);
	l.vcek = test_vector(v->vcek, &l.vcek_len);
	return l;
}

static void unload(struct loaded *l)
{
	free(l->report);
	free(l->vcek);
}

static struct ward_report_opts opts_for(const struct vec *v, const struct loaded *l)
{
	return (struct ward_report_opts){
		.now = v->now,
		.allow_debug = v->debug,
		.vcek_der = l->vcek,
		.vcek_len = l->vcek_len,
	};
}

static const char *fact(const struct ward_report_result *r, const char *key)
{
	return json_string_value(json_object_get(r->facts, key));
}

static void test_valid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		const struct vec *v = &valid[i];
		struct loaded l = load(v);
		struct ward_report_opts o = opts_for(v, &l);
		struct ward_report_result r = { 0 };
		struct ward_diag d = { { 0 } };

		if (report_verify_snp(l.report, l.report_len, &o, &r, &d) != 0)
			fail_msg("%s: %s", v->name, d.msg);
		if (r.verdict != WARD_VERDICT_PASS)
			fail_msg("%s: %s", v->name, r.n_reasons ? r.reasons[0] : "no reason");
		assert_int_equal(r.n_reasons, 0);
		assert_string_equal(fact(&r, "product"), v->product);
		assert_string_equal(fact(&r, "signing_key"), v->key);
		assert_string_equal(fact(&r, "measurement"), v->measurement);
		report_result_clear(&r);
		unload(&l);
	}
}

static void test_facts(void **state)
{
	struct loaded l = load(VIRTEE);
	struct ward_report_opts o = opts_for(VIRTEE, &l);
	struct ward_report_result r = { 0 };
	json_t *tcb, *pol;

	assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(r.facts, "version")), 2);
	assert_int_equal(json_integer_value(json_object_get(r.facts, "vmpl")), 0);
	pol = json_object_get(r.facts, "policy");
	assert_string_equal(json_string_value(json_object_get(pol, "raw")), "0x30000");
	assert_int_equal(json_array_size(json_object_get(pol, "flags")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pol, "flags"), 0)),
			    "smt");
	tcb = json_object_get(r.facts, "reported_tcb");
	assert_int_equal(json_integer_value(json_object_get(tcb, "bootloader")), 3);
	assert_int_equal(json_integer_value(json_object_get(tcb, "tee")), 0);
	assert_int_equal(json_integer_value(json_object_get(tcb, "snp")), 8);
	assert_int_equal(json_integer_value(json_object_get(tcb, "microcode")), 115);
	assert_string_equal(fact(&r, "chip_id"),
			    "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af"
			    "38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6");
	assert_string_equal(fact(&r, "firmware"), "1.52 build 4");
	report_result_clear(&r);
	unload(&l);
}

/* Run @v with @o, expect a FAIL verdict whose reasons are exactly @want (in order). */
static void expect_fail(const char *what, const uint8_t *buf, size_t len,
			const struct ward_report_opts *o, const char *const *want, size_t n_want)
{
	struct ward_report_result r = { 0 };
	struct ward_diag d = { { 0 } };

	if (report_verify_snp(buf, len, o, &r, &d) != 0)
		fail_msg("%s: error: %s", what, d.msg);
	if (r.verdict != WARD_VERDICT_FAIL)
		fail_msg("%s: passed", what);
	for (size_t i = 0; i < r.n_reasons; i++)
		if (i >= n_want || strcmp(r.reasons[i], want[i]) != 0)
			fail_msg("%s: reason %zu: '%s', expected '%s'", what, i, r.reasons[i],
				 i < n_want ? want[i] : "(none)");
	assert_int_equal(r.n_reasons, n_want);
	/* The facts come with a FAIL verdict too: a user must see what was refused. */
	assert_non_null(json_object_get(r.facts, "measurement"));
	report_result_clear(&r);
}

#define SIG_VCEK "signature: the report's ECDSA P-384 signature does not verify with the VCEK"
#define SIG_VLEK "signature: the report's ECDSA P-384 signature does not verify with the VLEK"

static const struct tamper {
	const struct vec *v;
	size_t off;
	int op; /* 0: xor 0xff, 1: += 1, else: set to op - 2 */
	const char *reasons[3];
} tampers[] = {
	{ VIRTEE, 0x15, 0, { SIG_VCEK } },
	{ VIRTEE, 0x50, 0, { SIG_VCEK } },
	{ VIRTEE, 0x90, 0, { SIG_VCEK } },
	{ VIRTEE, 0x29f, 0, { SIG_VCEK } },
	{ VIRTEE, 0x2a5, 0, { SIG_VCEK } },
	{ VIRTEE, 0x2e8, 0, { SIG_VCEK } },
	/* R and S are 72 bytes for a 48-byte integer: a high byte set is a different integer. */
	{ VIRTEE, 0x2e7, 0, { SIG_VCEK } },
	{ VIRTEE, 0x400, 3, { "signature: bytes 0x330..0x49f after S are not zero" } },
	{ VIRTEE, 0x1a0, 0, { SIG_VCEK, "chip: CHIP_ID differs from the VCEK's hwID" } },
	{ VIRTEE, 0x186, 2,
	  { SIG_VCEK, "tcb: REPORTED_TCB snp SPL 0 differs from the VCEK's snpSPL 8" } },
	{ VIRTEE, 0x48, 2 + 0x1c,
	  { "signature: SIGNING_KEY 7: the report is not signed by a VCEK or VLEK" } },
	{ VIRTEE, 0x08 + 2, 2 + 0x0b,
	  { SIG_VCEK, "policy: the guest allows DEBUG (policy bit 19); refused without "
		      "allow_debug" } },
	{ VIRTEE, 0x48, 2 + 0x02,
	  { "signature: MASK_CHIP_KEY is set: the firmware did not sign the report" } },
	{ TRUSTEE, 42, 1, { SIG_VCEK } },
	{ TRUSTEE, 384, 1,
	  { SIG_VCEK, "tcb: REPORTED_TCB bootloader SPL 4 differs from the VCEK's blSPL 3" } },
	{ TRUSTEE, 0x187, 1,
	  { SIG_VCEK, "tcb: REPORTED_TCB microcode SPL 116 differs from the VCEK's ucodeSPL 115" } },
	{ VLEK, 42, 1, { SIG_VLEK } },
	{ VLEK, 384, 1,
	  { SIG_VLEK, "tcb: REPORTED_TCB bootloader SPL 5 differs from the VLEK's blSPL 4" } },
	/* SIGNING_KEY says VCEK, the certificate is a VLEK: a VLEK is never accepted as a VCEK. */
	{ VLEK, 0x48, 2,
	  { "signature: the report names the VCEK as its signing key but the certificate is a VLEK",
	    SIG_VCEK, "chain: the VCEK is issued by 'SEV-VLEK-Milan', expected 'SEV-Milan'" } },
};

static void test_tampered_report(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(tampers); i++) {
		const struct tamper *t = &tampers[i];
		struct loaded l = load(t->v);
		struct ward_report_opts o = opts_for(t->v, &l);
		char what[64];
		size_t n = 0;

		if (t->op == 0)
			l.report[t->off] ^= 0xff;
		else if (t->op == 1)
			l.report[t->off]++;
		else
			l.report[t->off] = (uint8_t)(t->op - 2);
		while (n < ARRAY_SIZE(t->reasons) && t->reasons[n])
			n++;
		snprintf(what, sizeof(what), "%s byte 0x%zx", t->v->name, t->off);
		expect_fail(what, l.report, l.report_len, &o, t->reasons, n);
		unload(&l);
	}
}

static void test_debug(void **state)
{
	static const char *const want[] = {
		"policy: the guest allows DEBUG (policy bit 19); refused without allow_debug"
	};
	struct loaded l = load(GOSEV);
	struct ward_report_opts o = opts_for(GOSEV, &l);
	struct ward_report_result r = { 0 };

	o.allow_debug = false;
	expect_fail("go-sev-guest without allow_debug", l.report, l.report_len, &o, want, 1);
	o.allow_debug = true;
	assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, NULL), 0);
	assert_int_equal(r.verdict, WARD_VERDICT_PASS);
	report_result_clear(&r);
	unload(&l);
}

static void test_report_data(void **state)
{
	static const char *const want[] = {
		"report_data: REPORT_DATA differs from the expected 64 bytes"
	};
	struct loaded l = load(GOSEV);
	struct ward_report_opts o = opts_for(GOSEV, &l);
	struct ward_report_result r = { 0 };

	o.has_report_data = true;
	memcpy(o.report_data, (const uint8_t[]){ 1, 2, 3, 4, 5 }, 5);
	assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, NULL), 0);
	assert_int_equal(r.verdict, WARD_VERDICT_PASS);
	report_result_clear(&r);
	/* Every one of the 64 bytes counts, the zero padding too. */
	o.report_data[63] = 1;
	expect_fail("report_data byte 63", l.report, l.report_len, &o, want, 1);
	o.report_data[63] = 0;
	o.report_data[4] = 6;
	expect_fail("report_data byte 4", l.report, l.report_len, &o, want, 1);
	unload(&l);
}

static void test_time(void **state)
{
	static const char *const expired[] = {
		"chain: the VLEK does not verify to an AMD root at the given time: certificate has "
		"expired (certificate at depth 0)"
	};
	static const char *const early[] = {
		"chain: the VLEK does not verify to an AMD root at the given time: certificate is not "
		"yet valid (certificate at depth 0)"
	};
	struct loaded l = load(VLEK);
	struct ward_report_opts o = opts_for(VLEK, &l);

	o.now = T_2026_01_01;
	expect_fail("VLEK in 2026", l.report, l.report_len, &o, expired, 1);
	o.now = T_2024_01_01;
	expect_fail("VLEK in 2024", l.report, l.report_len, &o, early, 1);
	unload(&l);
}

static void test_chain(void **state)
{
	static const char *const no_issuer[] = {
		"chain: the VCEK does not verify to an AMD root at the given time: unable to get local "
		"issuer certificate (certificate at depth 0)"
	};
	static const char *const bad_sig[] = {
		"chain: the VCEK does not verify to an AMD root at the given time: certificate "
		"signature failure (certificate at depth 0)"
	};
	static const char *const no_vcek[] = {
		"signature: no VCEK certificate was given to check the report's signature with"
	};
	struct loaded l = load(TRUSTEE);
	struct ward_report_opts o = opts_for(TRUSTEE, &l);
	size_t asvk_len, all_len;
	_cleanup_free_ uint8_t *all = test_vector("sev-snp/amd-roots/milan_ask_ark_asvk.pem",
						  &all_len);
	struct ward_report_result r = { 0 };
	const char *asvk;

	/* The ASVK (third in the file) and the ARK: right root, wrong kind of issuer. */
	asvk = strstr(strstr(strstr((char *)all, "-----END") + 1, "-----END") + 1, "-----BEGIN");
	assert_non_null(asvk);
	asvk_len = all_len - (size_t)((const uint8_t *)asvk - all);
	o.chain_pem = (const uint8_t *)asvk;
	o.chain_len = asvk_len;
	expect_fail("VCEK with --chain ASVK", l.report, l.report_len, &o, no_issuer, 1);
	/* All three: the ASK is there, the VCEK chains. */
	o.chain_pem = all;
	o.chain_len = all_len;
	assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, NULL), 0);
	assert_int_equal(r.verdict, WARD_VERDICT_PASS);
	report_result_clear(&r);
	o.chain_pem = NULL;
	/* The last byte of the VCEK is in AMD's signature over it. */
	l.vcek[l.vcek_len - 1] ^= 1;
	expect_fail("VCEK signature byte", l.report, l.report_len, &o, bad_sig, 1);
	o.vcek_der = NULL;
	o.vcek_len = 0;
	expect_fail("no VCEK", l.report, l.report_len, &o, no_vcek, 1);
	unload(&l);
}

static const struct malformed {
	const char *what;
	size_t off;
	uint8_t val;
	const char *msg;
} malformed[] = {
	{ "VERSION 1", 0x00, 1, "snp report: offset 0x0: VERSION 1, expected 2..5" },
	{ "VERSION 6", 0x00, 6, "snp report: offset 0x0: VERSION 6, expected 2..5" },
	{ "VERSION 2^24+2", 0x03, 1, "snp report: offset 0x0: VERSION 16777218, expected 2..5" },
	{ "SIGNATURE_ALGO 0", 0x34, 0,
	  "snp report: offset 0x34: SIGNATURE_ALGO 0, expected 1 (ECDSA P-384 with SHA-384)" },
	{ "POLICY bit 17 clear", 0x0a, 0x01,
	  "snp report: offset 0x8: POLICY bit 17 is clear (reserved, must be 1)" },
	{ "signer info bit 5", 0x48, 0x20,
	  "snp report: offset 0x48: reserved signer-info bits set (0x20)" },
	{ "signer info bit 31", 0x4b, 0x80,
	  "snp report: offset 0x48: reserved signer-info bits set (0x80000000)" },
};

static void test_malformed(void **state)
{
	struct loaded l = load(VIRTEE);
	struct ward_report_opts o = opts_for(VIRTEE, &l);
	struct ward_report_result r = { .n_reasons = 12345 };
	struct ward_diag d = { { 0 } };
	static const size_t lens[] = { 0, 1, 0x2a0, 0x4a0 - 1, 0x4a0 + 1 };
	_cleanup_free_ uint8_t *big = calloc(1, 0x4a1);

	for (size_t i = 0; i < ARRAY_SIZE(malformed); i++) {
		uint8_t save = l.report[malformed[i].off];

		l.report[malformed[i].off] = malformed[i].val;
		assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, &d), -EBADMSG);
		assert_string_equal(d.msg, malformed[i].msg);
		assert_int_equal(r.n_reasons, 12345); /* ret written only on success */
		l.report[malformed[i].off] = save;
	}
	assert_non_null(big);
	memcpy(big, l.report, l.report_len);
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		char want[64];

		assert_int_equal(report_verify_snp(big, lens[i], &o, &r, &d), -EBADMSG);
		snprintf(want, sizeof(want), "snp report: %zu bytes, expected 1184", lens[i]);
		assert_string_equal(d.msg, want);
	}
	/* The VCEK: cut, extended, or not DER at all. */
	o.vcek_len = l.vcek_len - 1;
	assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, &d), -EBADMSG);
	assert_string_equal(d.msg, "vcek: not one DER certificate");
	o.vcek_len = l.vcek_len;
	o.vcek_der = l.report;
	assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, &d), -EBADMSG);
	assert_string_equal(d.msg, "vcek: not one DER certificate");
	/* A --chain that holds no certificate. */
	o.vcek_der = l.vcek;
	o.chain_pem = (const uint8_t *)"not a certificate\n";
	o.chain_len = 18;
	assert_int_equal(report_verify_snp(l.report, l.report_len, &o, &r, &d), -EBADMSG);
	assert_string_equal(d.msg, "chain: no PEM certificate");
	assert_int_equal(r.n_reasons, 12345);
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),	       cmocka_unit_test(test_facts),
		cmocka_unit_test(test_tampered_report), cmocka_unit_test(test_debug),
		cmocka_unit_test(test_report_data),    cmocka_unit_test(test_time),
		cmocka_unit_test(test_chain),	       cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
