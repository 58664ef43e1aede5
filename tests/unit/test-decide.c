/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain's verdicts (one row per rule and mode), the policy's domain settings (parser
 * table, data dirs, writer round trip) and the ward-domain record codec.
 */
#include <errno.h>
#include <stdlib.h>

#include "test-util.h"
#include "ward/decision.h"
#include "ward/domain.h"
#include "ward/policy.h"

#define HEX1 "0000000000000000000000000000000000000000000000000000000000000001"
#define POLICY_HEAD "{\"ward_policy\":1,\"name\":\"p\",\"version\":7,\"hash\":\"sha256\","
#define ENTRY1 "\"entries\":[{\"digest\":\"sha256:" HEX1 "\",\"path\":\"/usr/bin/x\"}]"
#define HEX2 "0000000000000000000000000000000000000000000000000000000000000002"
#define ANON1 "{\"digest\":\"sha256:" HEX1 "\",\"path\":\"/usr/bin/x\"}"

static struct ward_policy *load(const char *text)
{
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };

	if (policy_parse((const uint8_t *)text, strlen(text), &p, &d) < 0)
		fail_msg("policy: %s", d.msg);
	return p;
}

static void test_domain_settings_table(void **state)
{
	static const struct {
		const char *domain;
		int err;
		const char *msg;
	} rows[] = {
		{ "{}", 0, "" },
		{ "{\"anon_exec\":[" ANON1 "],\"allow_wx_elf\":false,\"data_dirs\":[\"/usr/share\"]}", 0,
		  "" },
		{ "[]", -EBADMSG, "must be an object" },
		{ "{\"jit\":true}", -EBADMSG, "unknown key \"jit\"" },
		{ "{\"allow_anon_exec\":true}", -EBADMSG, "unknown key \"allow_anon_exec\"" },
		{ "{\"anon_exec\":true}", -EBADMSG, "anon_exec must be an array" },
		{ "{\"anon_exec\":[\"/usr/bin/x\"]}", -EBADMSG, "anon_exec[0] must be an object" },
		{ "{\"anon_exec\":[{\"digest\":\"sha256:" HEX1 "\"}]}", -EBADMSG,
		  "anon_exec[0]: \"path\" must be a string" },
		{ "{\"anon_exec\":[{\"digest\":\"sha256:01\",\"path\":\"/x\"}]}", -EBADMSG,
		  "anon_exec[0]: digest must be sha256:" },
		{ "{\"anon_exec\":[{\"digest\":\"sha1:" HEX1 "\",\"path\":\"/x\"}]}", -EBADMSG,
		  "anon_exec[0]: digest must be sha256:" },
		{ "{\"anon_exec\":[" ANON1 ",{\"digest\":\"sha256:" HEX1 "\",\"path\":\"/y\",\"x\":1}]}",
		  -EBADMSG, "anon_exec[1]: unknown key \"x\"" },
		{ "{\"anon_exec\":[" ANON1 "," ANON1 "]}", -EBADMSG, "lists a digest twice" },
		{ "{\"allow_wx_elf\":\"yes\"}", -EBADMSG, "allow_wx_elf must be a boolean" },
		{ "{\"data_dirs\":\"/usr\"}", -EBADMSG, "must be an array" },
		{ "{\"data_dirs\":[\"/\"]}", -EBADMSG, "data_dirs[0]" },
		{ "{\"data_dirs\":[\"usr/share\"]}", -EBADMSG, "data_dirs[0]" },
		{ "{\"data_dirs\":[\"/usr/share/\"]}", -EBADMSG, "data_dirs[0]" },
		{ "{\"data_dirs\":[\"/usr/./share\"]}", -EBADMSG, "data_dirs[0]" },
		{ "{\"data_dirs\":[\"/usr/share/..\"]}", -EBADMSG, "data_dirs[0]" },
		{ "{\"data_dirs\":[\"/usr//share\"]}", -EBADMSG, "data_dirs[0]" },
		{ "{\"data_dirs\":[\"/usr/share\",7]}", -EBADMSG, "data_dirs[1]" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[1024];
		struct ward_policy *p = NULL;
		struct ward_diag d = { { 0 } };
		int r;

		snprintf(text, sizeof(text), POLICY_HEAD ENTRY1 ",\"domain\":%s}", rows[i].domain);
		r = policy_parse((const uint8_t *)text, strlen(text), &p, &d);
		if (r != rows[i].err || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu: %d \"%s\", want %d \"%s\"", i, r, d.msg, rows[i].err,
				 rows[i].msg);
		policy_free(p);
	}
}

static void test_data_dir_match(void **state)
{
	struct ward_policy *p = load(POLICY_HEAD ENTRY1
				     ",\"domain\":{\"data_dirs\":[\"/usr/share\",\"/opt/a\"]}}");

	assert_string_equal(policy_data_dir(p, "/usr/share/x"), "/usr/share");
	assert_string_equal(policy_data_dir(p, "/opt/a/b/c"), "/opt/a");
	assert_null(policy_data_dir(p, "/usr/share"));	  /* the dir itself is not below it */
	assert_null(policy_data_dir(p, "/usr/shared/x")); /* a prefix is not a parent */
	assert_null(policy_data_dir(p, "/usr/bin/x"));
	policy_free(p);
}

static void test_anon_exec_lookup(void **state)
{
	struct ward_policy *p = load(POLICY_HEAD ENTRY1 ",\"domain\":{\"anon_exec\":[{\"digest\":"
				     "\"sha256:" HEX2 "\",\"path\":\"/usr/bin/b\"}," ANON1 "]}}");
	uint8_t one[32] = { [31] = 1 }, two[32] = { [31] = 2 }, three[32] = { [31] = 3 };

	assert_int_equal(p->domain.n_anon_exec, 2);
	assert_true(policy_anon_exec_allowed(p, "sha256", one, 32));
	assert_true(policy_anon_exec_allowed(p, "sha256", two, 32));
	assert_false(policy_anon_exec_allowed(p, "sha256", three, 32));
	/* another algorithm or length never matches */
	assert_false(policy_anon_exec_allowed(p, "sha384", one, 32));
	assert_false(policy_anon_exec_allowed(p, "sha256", one, 31));
	policy_free(p);
	/* no anon_exec: nobody */
	p = load(POLICY_HEAD ENTRY1 "}");
	assert_int_equal(p->domain.n_anon_exec, 0);
	assert_false(policy_anon_exec_allowed(p, "sha256", one, 32));
	policy_free(p);
}

static void test_builder_domain_roundtrip(void **state)
{
	struct ward_policy_builder b = { .hash = WARD_HASH_SHA256 };
	char *dirs[] = { "/usr/share", "/usr/lib/python3" };
	uint8_t dg[32] = { 1 };
	struct ward_policy_entry jit[1] = { { .digest = { 1 }, .path = "/usr/bin/a" } };
	struct ward_policy s = { .name = "n", .version = 3, .hash = WARD_HASH_SHA256,
				 .domain = { .anon_exec = jit, .n_anon_exec = 1, .data_dirs = dirs,
					     .n_data_dirs = 2 } };
	struct ward_policy *p;
	char *text = NULL;

	assert_int_equal(policy_builder_add(&b, dg, "/usr/bin/a"), 0);
	assert_int_equal(policy_builder_write(&b, &s, &text), 0);
	p = load(text);
	assert_int_equal(p->domain.n_anon_exec, 1);
	assert_true(policy_anon_exec_allowed(p, "sha256", dg, 32));
	assert_false(p->domain.allow_wx_elf);
	assert_int_equal(p->domain.n_data_dirs, 2);
	assert_string_equal(p->domain.data_dirs[1], "/usr/lib/python3");
	free(text);
	policy_free(p);
	policy_builder_free(&b);

	/* Without settings the document has no "domain" key (format unchanged). */
	b = (struct ward_policy_builder){ .hash = WARD_HASH_SHA256 };
	assert_int_equal(policy_builder_add(&b, dg, "/usr/bin/a"), 0);
	assert_int_equal(policy_builder_write(&b, &(struct ward_policy){ .name = "n", .version = 3,
									  .hash = WARD_HASH_SHA256 },
					      &text), 0);
	assert_null(strstr(text, "domain"));
	free(text);
	policy_builder_free(&b);
}

enum obj_kind {
	LISTED,
	UNLISTED,
	UNLISTED_DATA,
	WX,
	MALFORMED,
	UNREADABLE,
	NOT_REGULAR,
	UNTRUSTED,
	WRITER,
};

static void facts(enum obj_kind k, bool exec, struct ward_object_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->exec = exec;
	f->regular = k != NOT_REGULAR;
	f->path = k == UNLISTED_DATA ? "/usr/share/doc/x" : "/usr/bin/x";
	f->digest.alg = WARD_HASH_SHA256;
	f->digest.bytes[31] = k == LISTED || k == WX || k == UNTRUSTED || k == WRITER ? 1 : 2;
	f->writer = k == WRITER;
	f->elf.is_elf = k != UNLISTED_DATA;
	f->elf.wx_segment = k == WX;
	if (k == MALFORMED)
		f->elf_err = -EBADMSG;
	if (k == UNREADABLE)
		f->measure_err = -EIO;
	if (k == UNTRUSTED)
		f->unverified = "the file is owned by uid 1000";
}

static void test_verdict_table(void **state)
{
	static const enum ward_decision_verdict A = WARD_DECISION_ALLOW, D = WARD_DECISION_DENY,
						 U = WARD_DECISION_AUDIT;
	static const struct {
		enum obj_kind kind;
		bool exec;
		bool wx_opt_in;
		enum ward_decision_verdict want[__WARD_MODE_MAX]; /* enforce, audit, measure */
		const char *reason;
	} rows[] = {
		{ LISTED, true, false, { A, A, A }, "" },
		{ LISTED, false, false, { A, A, A }, "" },
		{ UNLISTED, true, false, { D, U, A }, "not in policy" },
		{ UNLISTED, false, false, { D, U, A }, "not in policy" },
		/* data dirs relax opens of non-ELF files only, never execs */
		{ UNLISTED_DATA, false, false, { A, A, A }, "data below /usr/share" },
		{ UNLISTED_DATA, true, false, { D, U, A }, "not in policy" },
		/* structural: holds in measure-only mode too */
		{ WX, true, false, { D, U, D }, "W+X segment" },
		{ WX, true, true, { A, A, D }, "" },
		{ MALFORMED, false, false, { D, U, D }, "malformed ELF" },
		{ NOT_REGULAR, false, false, { D, U, D }, "not a regular file" },
		/* listed content that someone has open for writing can change once measured */
		{ WRITER, false, false, { D, U, D }, "open for writing" },
		/* could not decide: denied in every mode */
		{ UNREADABLE, true, false, { D, D, D }, "could not be measured" },
		/* listed content, untrusted owner: an allowlist rule */
		{ UNTRUSTED, true, false, { D, U, A }, "unverified: the file is owned by uid 1000" },
	};
	struct ward_policy *plain = load(POLICY_HEAD ENTRY1 ",\"domain\":{\"data_dirs\":[\"/usr/share\"]}}");
	struct ward_policy *wx = load(POLICY_HEAD ENTRY1 ",\"domain\":{\"allow_wx_elf\":true}}");

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int m = 0; m < __WARD_MODE_MAX; m++) {
			struct ward_domain_rules rules = { .mode = m,
							   .policy = rows[i].wx_opt_in ? wx : plain };
			struct ward_object_facts f;
			char reason[256];
			enum ward_decision_verdict v;

			facts(rows[i].kind, rows[i].exec, &f);
			v = domain_decide(&rules, &f, reason);
			if (v != rows[i].want[m])
				fail_msg("row %zu mode %s: verdict %s, want %s (%s)", i,
					 domain_mode_name(m), decision_verdict_name(v),
					 decision_verdict_name(rows[i].want[m]), reason);
			if (m != WARD_MODE_MEASURE && v != WARD_DECISION_ALLOW &&
			    !strstr(reason, rows[i].reason))
				fail_msg("row %zu mode %s: reason \"%s\", want \"%s\"", i,
					 domain_mode_name(m), reason, rows[i].reason);
		}
	policy_free(plain);
	policy_free(wx);
}

static void test_domain_record_roundtrip(void **state)
{
	struct ward_domain_event ev = { .domain = "d-0123456789ab", .mode = "audit",
					.has_policy = true, .policy_name = "p", .policy_version = 9,
					.anon_exec = true, .n_data_dirs = 1,
					.data_dirs = { "/usr/share" }, .n_code = 2,
					.code = { "/usr", "/opt/app" } };
	struct ward_domain_event back;
	struct ward_evlog_record rec = { 0 };
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;

	assert_int_equal(domain_event_record_new(10, &ev, &rec), 0);
	assert_int_equal(domain_event_from_record(&rec, &back, &d), 0);
	assert_string_equal(back.domain, ev.domain);
	assert_string_equal(back.mode, "audit");
	assert_true(back.anon_exec);
	assert_false(back.wx_elf);
	assert_int_equal(back.policy_version, 9);
	assert_int_equal(back.n_code, 2);
	assert_string_equal(back.code[1], "/opt/app");
	assert_string_equal(back.data_dirs[0], "/usr/share");
	domain_event_free(&back);
	buf = evlog_record_field(&rec, WARD_TF_BUF, &len);
	assert_non_null(buf);
	assert_non_null(memmem(buf, len, "\"anon_exec\":true", 16));
	/* A decision record is not a domain record, and vice versa. */
	{
		struct ward_decision dec;

		assert_int_equal(decision_from_record(&rec, &dec, &d), -ENOENT);
	}
	evlog_record_free(&rec);
}

static void test_domain_record_malformed(void **state)
{
	static const struct {
		const char *buf;
		const char *msg;
	} rows[] = {
		{ "{}", "\"v\"" },
		{ "{\"v\":3}", "version 3" },
		{ "{\"anon_exec\":false,\"code\":[],\"data_dirs\":[],\"domain\":\"d\",\"mode\":\"lax\",\"v\":1,\"wx_elf\":false}",
		  "unknown mode" },
		{ "{\"anon_exec\":0,\"code\":[],\"data_dirs\":[],\"domain\":\"d\",\"mode\":\"audit\",\"v\":1,\"wx_elf\":false}",
		  "anon_exec" },
		{ "{\"anon_exec\":false,\"code\":[1],\"data_dirs\":[],\"domain\":\"d\",\"mode\":\"audit\",\"v\":1,\"wx_elf\":false}",
		  "non-string" },
		/* keys out of order: not canonical */
		{ "{\"v\":1,\"anon_exec\":false,\"code\":[],\"data_dirs\":[],\"domain\":\"d\",\"mode\":\"audit\",\"wx_elf\":false}",
		  "canonical" },
		{ "{\"anon_exec\":false,\"code\":[],\"data_dirs\":[],\"domain\":\"d\",\"extra\":1,\"mode\":\"audit\",\"v\":1,\"wx_elf\":false}",
		  "unknown key" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_evlog_record rec = { 0 };
		struct ward_domain_event ev;
		struct ward_diag d = { { 0 } };
		int r;

		assert_int_equal(evlog_record_new_buf(10, WARD_DOMAIN_RECORD_NAME,
						      (const uint8_t *)rows[i].buf,
						      (uint32_t)strlen(rows[i].buf), &rec),
				 0);
		r = domain_event_from_record(&rec, &ev, &d);
		if (r != -EBADMSG || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu: %d \"%s\", want -EBADMSG \"%s\"", i, r, d.msg, rows[i].msg);
		evlog_record_free(&rec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_settings_table),
		cmocka_unit_test(test_data_dir_match),
		cmocka_unit_test(test_anon_exec_lookup),
		cmocka_unit_test(test_builder_domain_roundtrip),
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_domain_record_roundtrip),
		cmocka_unit_test(test_domain_record_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
