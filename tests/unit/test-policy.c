/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The allowlist policy: parser tables (every refusal, every setting, the validity window and its
 * RFC 3339 times), lookup, writer, index, and the tree walk that feeds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "ward/measure.h"
#include "ward/manifest.h"
#include "ward/policy.h"
#include "ward/state.h"
#include "core/util.h"

#define D64 "sha256:0000000000000000000000000000000000000000000000000000000000000001"

static void test_parse_table(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *msg;
	} rows[] = {
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":[]}", 0, "" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"" D64 "\",\"path\":\"/a\"}]}", 0, "" },
		{ "", -EBADMSG, "line" },
		{ "{\"ward_policy\":2}", -EBADMSG, "format 2" },
		{ "{\"ward_policy\":1,\"ward_policy\":1}", -EBADMSG, "duplicate" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"md5\",\"entries\":[]}", -EBADMSG,
		  "unknown hash" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":-1,\"hash\":\"sha256\",\"entries\":[]}",
		  -EBADMSG, "\"version\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":{}}",
		  -EBADMSG, "array" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":[],\"x\":0}",
		  -EBADMSG, "unknown key \"x\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"sha1:00\",\"path\":\"/a\"}]}", -EBADMSG, "entry 0" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"" D64 "\"}]}", -EBADMSG, "\"path\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"SHA256:00\",\"path\":\"/a\"}]}", -EBADMSG, "entry 0" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"" D64 "\",\"path\":\"/a\",\"path\":\"/b\"}]}", -EBADMSG, "duplicate" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_policy *p = NULL;
		struct ward_diag d = { { 0 } };
		int r = policy_parse((const uint8_t *)rows[i].in, strlen(rows[i].in), &p, &d);

		if (r != rows[i].err || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu: %d \"%s\", want %d \"%s\"", i, r, d.msg, rows[i].err,
				 rows[i].msg);
		policy_free(p);
	}
}

/*
 * Every refusal policy_parse() makes, one row each: the exact errno and words of the message
 * that tell the user what is wrong and where. Documents are built from the smallest valid one so
 * that each row differs from it in the one thing under test.
 */
#define H64 "0000000000000000000000000000000000000000000000000000000000000001"
#define H64B "00000000000000000000000000000000000000000000000000000000000000b2"
#define H40 "0000000000000000000000000000000000000001"
#define KID "ed25519:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HEAD "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\""
/* The minimal document plus @x (a list of members, each starting with a comma). */
#define DOC(x) HEAD x ",\"entries\":[]}"
#define DOM(x) DOC(",\"domain\":{" x "}")
#define DOM_PRE HEAD ",\"domain\":{"
#define DOM_POST "},\"entries\":[]}"
#define SBX(x) DOC(",\"sandbox\":{" x "}")
#define ENT(x) HEAD ",\"entries\":[" x "]}"
#define NB(t) DOC(",\"not_before\":" t)
#define NA(t) DOC(",\"not_after\":" t)
#define AE(x) DOM("\"anon_exec\":[" x "]")
#define AE1(dg) AE("{\"digest\":\"" dg "\",\"path\":\"/usr/bin/node\"}")
/* A name of 127 and of 128 bytes. */
#define N16 "abcdefghijklmnop"
#define N127 N16 N16 N16 N16 N16 N16 N16 "abcdefghijklmno"
#define N128 N127 "p"

struct parse_row {
	const char *in;
	int err;
	const char *msg;
};

/* Every row is checked and every wrong one reported, then the test fails if any was. */
static void check_rows(const struct parse_row *rows, size_t n)
{
	size_t wrong = 0;

	for (size_t i = 0; i < n; i++) {
		struct ward_policy *p = NULL;
		struct ward_diag d = { { 0 } };
		int r = policy_parse((const uint8_t *)rows[i].in, strlen(rows[i].in), &p, &d);

		if (r != rows[i].err || !strstr(d.msg, rows[i].msg)) {
			print_error("row %zu (%s): %d \"%s\", want %d \"%s\"\n", i, rows[i].in, r,
				    d.msg, rows[i].err, rows[i].msg);
			wrong++;
		}
		/* ret is written only on success. */
		if ((r == 0) != (p != NULL)) {
			print_error("row %zu: returned %d with policy %p\n", i, r, (void *)p);
			wrong++;
		}
		policy_free(p);
	}
	if (wrong)
		fail_msg("%zu of %zu rows wrong", wrong, n);
}

static void test_parse_rejections(void **state)
{
	static const struct parse_row rows[] = {
		/* Not JSON, trailing data, NUL, not an object. */
		{ "ward", -EBADMSG, "policy: line 1, column 4: invalid token" },
		{ HEAD, -EBADMSG, "policy: line 1" },
		{ DOC("") " x", -EBADMSG, "end of file expected" },
		{ DOC("") DOC(""), -EBADMSG, "end of file expected" },
		{ DOC(",\"issuer\":\"a\\u0000b\""), -EBADMSG, "NUL" },
		{ "[]", -EBADMSG, "policy: expected a JSON object" },
		{ "1", -EBADMSG, "policy: expected a JSON object" },
		{ "null", -EBADMSG, "policy: expected a JSON object" },
		{ "\"ward_policy\"", -EBADMSG, "policy: expected a JSON object" },
		/* Duplicate keys, at the top and in every nested object. */
		{ DOC(",\"name\":\"m\""), -EBADMSG, "duplicate object key" },
		{ DOM("\"mode\":\"audit\",\"mode\":\"enforce\""), -EBADMSG, "duplicate object key" },
		{ SBX("\"threads\":1,\"threads\":1"), -EBADMSG, "duplicate object key" },
		{ AE("{\"digest\":\"sha256:" H64 "\",\"path\":\"/a\",\"path\":\"/b\"}"), -EBADMSG,
		  "duplicate object key" },
		{ ENT("{\"digest\":\"sha256:" H64 "\",\"digest\":\"sha256:" H64 "\",\"path\":\"/a\"}"),
		  -EBADMSG, "duplicate object key" },
		/* Unknown keys, at every level (including the format's former "allow_anon_exec"). */
		{ DOC(",\"Name\":\"n\""), -EBADMSG, "policy: unknown key \"Name\"" },
		{ DOC(",\"signature\":\"\""), -EBADMSG, "policy: unknown key \"signature\"" },
		{ DOM("\"allow_anon_exec\":true"), -EBADMSG,
		  "policy: domain: unknown key \"allow_anon_exec\"" },
		{ SBX("\"memory\":64"), -EBADMSG, "policy: sandbox: unknown key \"memory\"" },
		{ ENT("{\"digest\":\"sha256:" H64 "\",\"path\":\"/a\",\"size\":1}"), -EBADMSG,
		  "policy: entry 0: unknown key \"size\"" },
		{ ENT("{\"digest\":\"sha256:" H64 "\",\"size\":1}"), -EBADMSG,
		  "policy: entry 0: unknown key \"size\"" },
		{ AE("{\"digest\":\"sha256:" H64 "\",\"path\":\"/a\",\"size\":1}"), -EBADMSG,
		  "policy: domain.anon_exec[0]: unknown key \"size\"" },
		/* Each required key missing, or of the wrong type. */
		{ "{\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":[]}", -EBADMSG,
		  "policy: \"ward_policy\" must be a non-negative integer" },
		{ "{\"ward_policy\":\"1\",\"name\":\"n\",\"version\":1,\"hash\":\"sha256\","
		  "\"entries\":[]}", -EBADMSG, "\"ward_policy\" must be a non-negative integer" },
		{ "{\"ward_policy\":1.0,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\","
		  "\"entries\":[]}", -EBADMSG, "\"ward_policy\" must be a non-negative integer" },
		{ "{\"ward_policy\":true,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\","
		  "\"entries\":[]}", -EBADMSG, "\"ward_policy\" must be a non-negative integer" },
		{ "{\"ward_policy\":1,\"version\":1,\"hash\":\"sha256\",\"entries\":[]}", -EBADMSG,
		  "policy: \"name\" must be a string" },
		{ "{\"ward_policy\":1,\"name\":1,\"version\":1,\"hash\":\"sha256\",\"entries\":[]}",
		  -EBADMSG, "policy: \"name\" must be a string" },
		{ "{\"ward_policy\":1,\"name\":null,\"version\":1,\"hash\":\"sha256\",\"entries\":[]}",
		  -EBADMSG, "policy: \"name\" must be a string" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"hash\":\"sha256\",\"entries\":[]}", -EBADMSG,
		  "policy: \"version\" must be a non-negative integer" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":\"1\",\"hash\":\"sha256\","
		  "\"entries\":[]}", -EBADMSG, "policy: \"version\" must be a non-negative integer" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1.5,\"hash\":\"sha256\","
		  "\"entries\":[]}", -EBADMSG, "policy: \"version\" must be a non-negative integer" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"entries\":[]}", -EBADMSG,
		  "policy: \"hash\" must be a string" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":256,\"entries\":[]}",
		  -EBADMSG, "policy: \"hash\" must be a string" },
		{ HEAD "}", -EBADMSG, "policy: \"entries\" must be an array" },
		{ HEAD ",\"entries\":null}", -EBADMSG, "policy: \"entries\" must be an array" },
		{ HEAD ",\"entries\":\"[]\"}", -EBADMSG, "policy: \"entries\" must be an array" },
		/* Only format 1 is known; the version is a JSON integer (at most 2^63-1). */
		{ "{\"ward_policy\":0}", -EBADMSG, "policy: format 0 is not supported (expected 1)" },
		{ "{\"ward_policy\":9223372036854775807}", -EBADMSG,
		  "policy: format 9223372036854775807 is not supported" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":9223372036854775808,"
		  "\"hash\":\"sha256\",\"entries\":[]}", -EBADMSG, "policy: line 1" },
		/* Unknown hashes: names are exact and lower case. */
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"SHA256\",\"entries\":[]}",
		  -EBADMSG, "policy: unknown hash \"SHA256\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha-256\",\"entries\":[]}",
		  -EBADMSG, "policy: unknown hash \"sha-256\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"\",\"entries\":[]}",
		  -EBADMSG, "policy: unknown hash \"\"" },
		/* The name: 1..127 bytes (it is copied into every decision record). */
		{ "{\"ward_policy\":1,\"name\":\"\",\"version\":1,\"hash\":\"sha256\",\"entries\":[]}",
		  -EBADMSG, "policy: \"name\" must be 1..127 bytes" },
		{ "{\"ward_policy\":1,\"name\":\"" N128 "\",\"version\":1,\"hash\":\"sha256\","
		  "\"entries\":[]}", -EBADMSG, "policy: \"name\" must be 1..127 bytes" },
		/* The issuer: "ed25519:" and exactly 64 lower-case hex digits. */
		{ DOC(",\"issuer\":\"ed448:" H64 "\""), -EBADMSG,
		  "policy: \"issuer\" must be a key id: ed25519:<64 lower-case hex digits>" },
		{ DOC(",\"issuer\":\"ED25519:" H64 "\""), -EBADMSG, "\"issuer\" must be a key id" },
		{ DOC(",\"issuer\":\"ed25519:" H64B "\""), 0, "" },
		{ DOC(",\"issuer\":\"ed25519:00000000000000000000000000000000000000000000000000000000"
		      "000000B2\""), -EBADMSG, "\"issuer\" must be a key id" },
		{ DOC(",\"issuer\":\"ed25519:00000000000000000000000000000000000000000000000000000000"
		      "0000000\""), -EBADMSG, "\"issuer\" must be a key id" },	/* 63 digits */
		{ DOC(",\"issuer\":\"ed25519:" H64 "0\""), -EBADMSG,
		  "\"issuer\" must be a key id" },				/* 65 digits */
		{ DOC(",\"issuer\":\"ed25519:00000000000000000000000000000000000000000000000000000000"
		      "0000000g\""), -EBADMSG, "\"issuer\" must be a key id" },
		{ DOC(",\"issuer\":\"ed25519:\""), -EBADMSG, "\"issuer\" must be a key id" },
		{ DOC(",\"issuer\":\"" H64 "\""), -EBADMSG, "\"issuer\" must be a key id" },
		{ DOC(",\"issuer\":\"\""), -EBADMSG, "\"issuer\" must be a key id" },
		{ DOC(",\"issuer\":null"), -EBADMSG, "\"issuer\" must be a key id" },
		{ DOC(",\"issuer\":1"), -EBADMSG, "\"issuer\" must be a key id" },
		/* The validity window: RFC 3339, every part checked. */
		{ NB("\"2026-13-01T00:00:00Z\""), -EBADMSG,
		  "policy: \"not_before\" must be an RFC 3339 time (e.g. 2026-01-31T00:00:00Z)" },
		{ NB("\"2026-00-01T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-00T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-32T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-02-30T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2025-02-29T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2100-02-29T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-04-31T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T24:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:60:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:61Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00.5\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00Zx\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00Z \""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00+02:00x\""), -EBADMSG,
		  "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00+0200\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00+2:00\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00+24:00\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00+02:60\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01T00:00:00.Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01 00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-01-01\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"26-01-01T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"2026-1-01T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"1969-12-31T23:59:59Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("\"0000-01-01T00:00:00Z\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		/* Instants before 1970 or after 9999 however spelled (see test_rfc3339). */
		{ NB("\"1970-01-01T00:00:00+00:01\""), -EBADMSG,
		  "\"not_before\" must be an RFC 3339 time" },
		{ NA("\"9999-12-31T23:59:59-00:01\""), -EBADMSG,
		  "\"not_after\" must be an RFC 3339 time" },
		{ NB("\"\""), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("1767225600"), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NB("null"), -EBADMSG, "\"not_before\" must be an RFC 3339 time" },
		{ NA("\"2026-13-01T00:00:00Z\""), -EBADMSG,
		  "policy: \"not_after\" must be an RFC 3339 time" },
		{ NA("\"2025-02-29T12:00:00Z\""), -EBADMSG, "\"not_after\" must be an RFC 3339 time" },
		{ NA("\"2026-01-01T00:00:00\""), -EBADMSG, "\"not_after\" must be an RFC 3339 time" },
		{ NA("\"2026-01-01T00:00:00Z!\""), -EBADMSG, "\"not_after\" must be an RFC 3339 time" },
		{ NA("\"1969-12-31T23:59:59Z\""), -EBADMSG, "\"not_after\" must be an RFC 3339 time" },
		{ NA("1"), -EBADMSG, "\"not_after\" must be an RFC 3339 time" },
		/* An empty window; the same instant spelled with offsets is compared as one. */
		{ DOC(",\"not_before\":\"2026-01-01T00:00:01Z\",\"not_after\":\"2026-01-01T00:00:00Z\""),
		  -EBADMSG, "policy: \"not_after\" is before \"not_before\"" },
		{ DOC(",\"not_before\":\"2026-01-01T02:00:00+02:00\","
		      "\"not_after\":\"2025-12-31T23:59:59Z\""), -EBADMSG,
		  "\"not_after\" is before \"not_before\"" },
		{ DOC(",\"not_before\":\"2026-01-01T02:00:00+02:00\","
		      "\"not_after\":\"2025-12-31T18:30:00-05:30\""), 0, "" },
		/* Entries: an array of {"digest", "path"} objects. */
		{ ENT("1"), -EBADMSG, "policy: entry 0: expected a JSON object" },
		{ ENT("null"), -EBADMSG, "policy: entry 0: expected a JSON object" },
		{ ENT("[]"), -EBADMSG, "policy: entry 0: expected a JSON object" },
		{ ENT("\"sha256:" H64 "\""), -EBADMSG, "policy: entry 0: expected a JSON object" },
		{ ENT("{\"digest\":\"sha256:" H64 "\",\"path\":\"/a\"},7"), -EBADMSG,
		  "policy: entry 1: expected a JSON object" },
		{ ENT("{}"), -EBADMSG, "policy: entry 0: \"digest\" must be a string" },
		{ ENT("{\"path\":\"/a\"}"), -EBADMSG, "policy: entry 0: \"digest\" must be a string" },
		{ ENT("{\"digest\":1,\"path\":\"/a\"}"), -EBADMSG,
		  "policy: entry 0: \"digest\" must be a string" },
		{ ENT("{\"digest\":\"sha256:" H64 "\",\"path\":null}"), -EBADMSG,
		  "policy: entry 0: \"path\" must be a string" },
		/* A digest: the policy's algorithm, its full length, lower-case hex. */
		{ ENT("{\"digest\":\"sha1:" H40 "\",\"path\":\"/a\"}"), -EBADMSG,
		  "policy: entry 0: digest must be sha256:<64 lower-case hex digits>" },
		{ ENT("{\"digest\":\"sha256:" H40 "\",\"path\":\"/a\"}"), -EBADMSG,
		  "entry 0: digest must be sha256:<64 lower-case hex digits>" },
		{ ENT("{\"digest\":\"sha256:" H64 "00\",\"path\":\"/a\"}"), -EBADMSG,
		  "entry 0: digest must be sha256" },
		{ ENT("{\"digest\":\"sha256:" H64 "0\",\"path\":\"/a\"}"), -EBADMSG,
		  "entry 0: digest must be sha256" },
		{ ENT("{\"digest\":\"sha256:00000000000000000000000000000000000000000000000000000000"
		      "000000B2\",\"path\":\"/a\"}"), -EBADMSG, "entry 0: digest must be sha256" },
		{ ENT("{\"digest\":\"SHA256:" H64 "\",\"path\":\"/a\"}"), -EBADMSG,
		  "entry 0: digest must be sha256" },
		{ ENT("{\"digest\":\"" H64 "\",\"path\":\"/a\"}"), -EBADMSG,
		  "entry 0: digest must be sha256" },
		{ ENT("{\"digest\":\"sha256:" H64 "\",\"path\":\"/a\"},{\"digest\":\"sha256 :" H64
		      "\",\"path\":\"/b\"}"), -EBADMSG, "entry 1: digest must be sha256" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha1\",\"entries\":"
		  "[{\"digest\":\"sha256:" H64 "\",\"path\":\"/a\"}]}", -EBADMSG,
		  "entry 0: digest must be sha1:<40 lower-case hex digits>" },
		/* domain and sandbox are objects. */
		{ DOC(",\"domain\":[]"), -EBADMSG, "policy: \"domain\" must be an object" },
		{ DOC(",\"domain\":null"), -EBADMSG, "policy: \"domain\" must be an object" },
		{ DOC(",\"sandbox\":1"), -EBADMSG, "policy: \"sandbox\" must be an object" },
		{ DOC(",\"sandbox\":null"), -EBADMSG, "policy: \"sandbox\" must be an object" },
		/* data_dirs and code_dirs: absolute, normalised, not "/". */
		{ DOM("\"data_dirs\":\"/usr/share\""), -EBADMSG,
		  "policy: domain.data_dirs must be an array" },
		{ DOM("\"code_dirs\":{}"), -EBADMSG, "policy: domain.code_dirs must be an array" },
		{ DOM("\"data_dirs\":[\"usr/share\"]"), -EBADMSG,
		  "policy: domain.data_dirs[0] must be an absolute, normalised directory other than / "
		  "(no trailing /, no . or .. parts)" },
		{ DOM("\"data_dirs\":[\"\"]"), -EBADMSG, "policy: domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/\"]"), -EBADMSG, "policy: domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"//\"]"), -EBADMSG, "policy: domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/usr/share/\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"//usr\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/usr//share\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/usr/./share\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/usr/../etc\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/usr/.\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/usr/..\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/.\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/..\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"./usr\"]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"data_dirs\":[\"/usr/share\",1]"), -EBADMSG, "domain.data_dirs[1] must be" },
		{ DOM("\"data_dirs\":[null]"), -EBADMSG, "domain.data_dirs[0] must be" },
		{ DOM("\"code_dirs\":[\"opt/app\"]"), -EBADMSG,
		  "policy: domain.code_dirs[0] must be an absolute, normalised directory" },
		{ DOM("\"code_dirs\":[\"/\"]"), -EBADMSG, "domain.code_dirs[0] must be" },
		{ DOM("\"code_dirs\":[\"/opt/app/\"]"), -EBADMSG, "domain.code_dirs[0] must be" },
		{ DOM("\"code_dirs\":[\"/opt//app\"]"), -EBADMSG, "domain.code_dirs[0] must be" },
		{ DOM("\"code_dirs\":[\"/opt/./app\"]"), -EBADMSG, "domain.code_dirs[0] must be" },
		{ DOM("\"code_dirs\":[\"/opt/app\",\"/opt/../etc\"]"), -EBADMSG,
		  "domain.code_dirs[1] must be" },
		/* Names that only look like . and .. parts are ordinary names. */
		{ DOM("\"data_dirs\":[\"/usr/.hidden\",\"/usr/..x\",\"/usr/...\",\"/a.\"]"), 0, "" },
		/* anon_exec: [{digest, path}], digests of the policy's algorithm, each once. */
		{ DOM("\"anon_exec\":{}"), -EBADMSG, "policy: domain.anon_exec must be an array" },
		{ DOM("\"anon_exec\":\"sha256:" H64 "\""), -EBADMSG,
		  "policy: domain.anon_exec must be an array" },
		{ AE("\"sha256:" H64 "\""), -EBADMSG, "policy: domain.anon_exec[0] must be an object" },
		{ AE("{\"digest\":\"sha256:" H64 "\",\"path\":\"/a\"},null"), -EBADMSG,
		  "policy: domain.anon_exec[1] must be an object" },
		{ AE("{\"path\":\"/a\"}"), -EBADMSG,
		  "policy: domain.anon_exec[0]: \"digest\" must be a string" },
		{ AE("{\"digest\":\"sha256:" H64 "\"}"), -EBADMSG,
		  "policy: domain.anon_exec[0]: \"path\" must be a string" },
		{ AE("{\"digest\":\"sha256:" H64 "\",\"path\":1}"), -EBADMSG,
		  "policy: domain.anon_exec[0]: \"path\" must be a string" },
		{ AE1("sha1:" H40), -EBADMSG,
		  "policy: domain.anon_exec[0]: digest must be sha256:<64 lower-case hex digits>" },
		{ AE1("sha256:" H40), -EBADMSG, "domain.anon_exec[0]: digest must be sha256" },
		{ AE1("sha256:00000000000000000000000000000000000000000000000000000000000000B2"),
		  -EBADMSG, "domain.anon_exec[0]: digest must be sha256" },
		{ AE1(H64), -EBADMSG, "domain.anon_exec[0]: digest must be sha256" },
		{ AE("{\"digest\":\"sha256:" H64 "\",\"path\":\"/usr/bin/node\"},"
		     "{\"digest\":\"sha256:" H64B "\",\"path\":\"/usr/bin/java\"},"
		     "{\"digest\":\"sha256:" H64 "\",\"path\":\"/usr/local/bin/node\"}"),
		  -EBADMSG, "policy: domain.anon_exec lists a digest twice" },
		/* domain.mode and the booleans. */
		{ DOM("\"mode\":\"permissive\""), -EBADMSG,
		  "policy: domain.mode must be \"enforce\" or \"audit\"" },
		{ DOM("\"mode\":\"Audit\""), -EBADMSG, "domain.mode must be \"enforce\" or \"audit\"" },
		{ DOM("\"mode\":\"measure\""), -EBADMSG, "domain.mode must be \"enforce\" or \"audit\"" },
		{ DOM("\"mode\":\"\""), -EBADMSG, "domain.mode must be \"enforce\" or \"audit\"" },
		{ DOM("\"mode\":1"), -EBADMSG, "domain.mode must be \"enforce\" or \"audit\"" },
		{ DOM("\"mode\":null"), -EBADMSG, "domain.mode must be \"enforce\" or \"audit\"" },
		{ DOM("\"mode\":true"), -EBADMSG, "domain.mode must be \"enforce\" or \"audit\"" },
		{ DOM("\"allow_wx_elf\":1"), -EBADMSG, "policy: domain.allow_wx_elf must be a boolean" },
		{ DOM("\"allow_wx_elf\":\"true\""), -EBADMSG, "domain.allow_wx_elf must be a boolean" },
		{ DOM("\"allow_wx_elf\":null"), -EBADMSG, "domain.allow_wx_elf must be a boolean" },
		{ DOM("\"strict_code_mounts\":0"), -EBADMSG,
		  "policy: domain.strict_code_mounts must be a boolean" },
	};

	(void)state;
	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/*
 * Each sandbox default: below its minimum, above its maximum, negative, not an integer; and its
 * minimum and maximum accepted. The ranges are docs/policy-format.md's, written out here rather
 * than taken from the parser, so that a changed range is a failing test.
 */
static void test_parse_sandbox_ranges(void **state)
{
	static const struct {
		const char *key;
		unsigned long long min, max;
		unsigned bit;
	} keys[] = {
		{ "memory_mb", 16, 65536, WARD_MANIFEST_GIVEN_MEMORY },
		{ "threads", 1, 1024, WARD_MANIFEST_GIVEN_THREADS },
		{ "cpu_percent", 1, 6400, WARD_MANIFEST_GIVEN_CPU },
		{ "timeout_s", 1, 3600, WARD_MANIFEST_GIVEN_TIMEOUT },
		{ "scratch_mb", 0, 65536, WARD_MANIFEST_GIVEN_SCRATCH },
		{ "max_input_bytes", 0, 1ull << 32, WARD_MANIFEST_GIVEN_INPUT },
		{ "max_output_bytes", 0, 1ull << 32, WARD_MANIFEST_GIVEN_OUTPUT },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char bad[8][48], msg[96], doc[1024];
		size_t nbad = 0;

		snprintf(bad[nbad++], sizeof(bad[0]), "%llu", keys[k].max + 1);
		snprintf(bad[nbad++], sizeof(bad[0]), "-1");
		snprintf(bad[nbad++], sizeof(bad[0]), "-9223372036854775808");
		snprintf(bad[nbad++], sizeof(bad[0]), "9223372036854775807");
		snprintf(bad[nbad++], sizeof(bad[0]), "%llu.0", keys[k].max);
		snprintf(bad[nbad++], sizeof(bad[0]), "\"%llu\"", keys[k].max);
		snprintf(bad[nbad++], sizeof(bad[0]), "true");
		if (keys[k].min > 0)
			snprintf(bad[nbad++], sizeof(bad[0]), "%llu", keys[k].min - 1);
		snprintf(msg, sizeof(msg), "policy: sandbox.%s must be an integer in %llu..%llu",
			 keys[k].key, keys[k].min, keys[k].max);
		for (size_t i = 0; i < nbad; i++) {
			struct ward_policy *p = NULL;
			struct ward_diag d = { { 0 } };
			int r;

			snprintf(doc, sizeof(doc), SBX("\"%s\":%s"), keys[k].key, bad[i]);
			r = policy_parse((const uint8_t *)doc, strlen(doc), &p, &d);
			if (r != -EBADMSG || !strstr(d.msg, msg))
				fail_msg("%s: %d \"%s\", want -EBADMSG \"%s\"", doc, r, d.msg, msg);
			assert_null(p);
		}
		for (int edge = 0; edge < 2; edge++) {
			unsigned long long v = edge ? keys[k].max : keys[k].min;
			struct ward_policy *p = NULL;
			struct ward_diag d = { { 0 } };
			const struct ward_policy_sandbox *sb;
			unsigned long long got;

			snprintf(doc, sizeof(doc), SBX("\"%s\":%llu"), keys[k].key, v);
			if (policy_parse((const uint8_t *)doc, strlen(doc), &p, &d) != 0)
				fail_msg("%s: %s", doc, d.msg);
			sb = &p->sandbox;
			assert_int_equal(sb->given, keys[k].bit);
			got = k == 0 ? sb->memory_mb : k == 1 ? sb->threads : k == 2 ? sb->cpu_percent :
			      k == 3 ? sb->timeout_s : k == 4 ? sb->scratch_mb :
			      k == 5 ? sb->max_input_bytes : sb->max_output_bytes;
			assert_int_equal(got, v);
			policy_free(p);
		}
	}
}

/* A JSON array of @n copies of @item, or with @numbered, of the strings "@item0", "@item1"... */
static char *json_list(size_t n, const char *item, bool numbered)
{
	size_t cap = n * (strlen(item) + 24) + 8, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	s[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			s[len++] = ',';
		if (numbered)
			len += (size_t)snprintf(s + len, cap - len, "\"%s%zu\"", item, i);
		else
			len += (size_t)snprintf(s + len, cap - len, "%s", item);
	}
	s[len++] = ']';
	s[len] = 0;
	return s;
}

/* Parse @pre @list @post; the policy must be returned exactly on success. */
static int parse_with(const char *pre, const char *list, const char *post, struct ward_diag *d)
{
	struct ward_policy *p = NULL;
	char *doc;
	int r;

	assert_true(asprintf(&doc, "%s%s%s", pre, list, post) > 0);
	r = policy_parse((const uint8_t *)doc, strlen(doc), &p, d);
	if ((r == 0) != (p != NULL))
		fail_msg("returned %d with policy %p", r, (void *)p);
	policy_free(p);
	free(doc);
	return r;
}

/*
 * The counted limits: code_dirs (WARD_DOMAIN_CODE_MAX), data_dirs and anon_exec
 * (WARD_POLICY_DATA_DIRS_MAX), entries (WARD_POLICY_ENTRIES_MAX), each accepted at the limit and
 * refused with -E2BIG one above. The entries are nulls: JSON's null is one shared value in
 * jansson, so 4 Mi of them cost 20 MiB of text and 32 MiB of array, and the count is checked
 * before any entry is read; at the limit, the first (null) entry is then refused as not an
 * object, which shows the count passed.
 */
static void test_parse_limits(void **state)
{
	struct ward_diag d = { { 0 } };
	char *list;

	(void)state;
	list = json_list(WARD_DOMAIN_CODE_MAX, "/opt/c", true);
	assert_int_equal(parse_with(DOM_PRE "\"code_dirs\":", list, DOM_POST, &d), 0);
	free(list);
	list = json_list(WARD_DOMAIN_CODE_MAX + 1, "/opt/c", true);
	assert_int_equal(parse_with(DOM_PRE "\"code_dirs\":", list, DOM_POST, &d), -E2BIG);
	assert_non_null(strstr(d.msg, "policy: domain.code_dirs: more than 64 dirs"));
	free(list);
	list = json_list(WARD_POLICY_DATA_DIRS_MAX + 1, "/opt/c", true);
	assert_int_equal(parse_with(DOM_PRE "\"code_dirs\":", list, DOM_POST, &d), -E2BIG);
	assert_non_null(strstr(d.msg, "policy: domain.code_dirs: more than"));
	free(list);

	list = json_list(WARD_POLICY_DATA_DIRS_MAX, "/usr/share/d", true);
	assert_int_equal(parse_with(DOM_PRE "\"data_dirs\":", list, DOM_POST, &d), 0);
	free(list);
	list = json_list(WARD_POLICY_DATA_DIRS_MAX + 1, "/usr/share/d", true);
	assert_int_equal(parse_with(DOM_PRE "\"data_dirs\":", list, DOM_POST, &d), -E2BIG);
	assert_non_null(strstr(d.msg, "policy: domain.data_dirs: more than 256 dirs"));
	free(list);

	/* anon_exec: distinct digests, as many as allowed, then one more. */
	for (size_t n = WARD_POLICY_DATA_DIRS_MAX; n <= WARD_POLICY_DATA_DIRS_MAX + 1; n++) {
		size_t cap = n * 128 + 8, len = 0;
		char *s = malloc(cap);

		assert_non_null(s);
		s[len++] = '[';
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(s + len, cap - len,
						"%s{\"digest\":\"sha256:%064zx\",\"path\":\"/j%zu\"}",
						i ? "," : "", i, i);
		s[len++] = ']';
		s[len] = 0;
		assert_int_equal(parse_with(DOM_PRE "\"anon_exec\":", s, DOM_POST, &d),
				 n > WARD_POLICY_DATA_DIRS_MAX ? -E2BIG : 0);
		if (n > WARD_POLICY_DATA_DIRS_MAX)
			assert_non_null(strstr(d.msg, "domain.anon_exec: more than 256 executables"));
		free(s);
	}

	list = json_list(WARD_POLICY_ENTRIES_MAX, "null", false);
	assert_int_equal(parse_with(HEAD ",\"entries\":", list, "}", &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "policy: entry 0: expected a JSON object"));
	free(list);
	list = json_list(WARD_POLICY_ENTRIES_MAX + 1, "null", false);
	assert_int_equal(parse_with(HEAD ",\"entries\":", list, "}", &d), -E2BIG);
	assert_non_null(strstr(d.msg, "policy: more than 4194304 entries"));
	free(list);
}

/* Every optional key at once, and what each becomes. */
static void test_parse_every_key(void **state)
{
	static const char doc[] =
		"{\"ward_policy\":1,\"name\":\"" N127 "\",\"version\":9223372036854775807,"
		"\"issuer\":\"" KID "\","
		"\"not_before\":\"2026-01-01T02:00:00+02:00\","
		"\"not_after\":\"2027-05-01T00:00:00.999Z\","
		"\"hash\":\"sha512\","
		"\"domain\":{\"mode\":\"audit\",\"anon_exec\":["
		"{\"digest\":\"sha512:" H64B H64B "\",\"path\":\"/usr/bin/java\"}"
		",{\"digest\":\"sha512:" H64 H64 "\",\"path\":\"/usr/bin/node\"}"
		"],\"allow_wx_elf\":true,\"data_dirs\":[\"/usr/share/zoneinfo\",\"/var/lib/app\"],"
		"\"code_dirs\":[\"/opt/app\"],\"strict_code_mounts\":true},"
		"\"sandbox\":{\"memory_mb\":512,\"threads\":8,\"cpu_percent\":150,\"timeout_s\":30,"
		"\"scratch_mb\":64,\"max_input_bytes\":4294967296,\"max_output_bytes\":0},"
		"\"entries\":["
		"{\"digest\":\"sha512:" H64B H64B "\",\"path\":\"/usr/bin/java\"},"
		"{\"digest\":\"sha512:" H64 H64 "\",\"path\":\"/usr/bin/node\"},"
		"{\"digest\":\"sha512:" H64 H64 "\",\"path\":\"/usr/bin/nodejs\"}]}";
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	uint8_t node[64] = { 0 }, java[64] = { 0 }, sum[32];

	(void)state;
	node[31] = node[63] = 0x01;
	java[31] = java[63] = 0xb2;
	if (policy_parse((const uint8_t *)doc, strlen(doc), &p, &d) != 0)
		fail_msg("%s", d.msg);
	assert_string_equal(p->name, N127);
	assert_true(p->version == INT64_MAX);
	assert_string_equal(p->issuer, KID);
	assert_true(p->has_not_before && p->not_before == 1767225600);
	assert_true(p->has_not_after && p->not_after == 1809129600); /* fraction ignored */
	assert_int_equal(p->hash, WARD_HASH_SHA512);
	assert_int_equal(p->n_paths, 3);
	assert_int_equal(p->n_entries, 2);
	assert_non_null(policy_lookup(p, "sha512", node, 64));
	hash_buf(WARD_HASH_SHA256, (const uint8_t *)doc, strlen(doc), sum);
	assert_memory_equal(p->file_digest, sum, 32);

	/* anon_exec: sorted by digest, found by digest and algorithm only. */
	assert_int_equal(p->domain.n_anon_exec, 2);
	assert_memory_equal(p->domain.anon_exec[0].digest, node, 64);
	assert_string_equal(p->domain.anon_exec[0].path, "/usr/bin/node");
	assert_string_equal(p->domain.anon_exec[1].path, "/usr/bin/java");
	assert_true(policy_anon_exec_allowed(p, "sha512", node, 64));
	assert_true(policy_anon_exec_allowed(p, "sha512", java, 64));
	assert_false(policy_anon_exec_allowed(p, "sha512", node, 48));
	assert_false(policy_anon_exec_allowed(p, "sha384", node, 48));
	assert_false(policy_anon_exec_allowed(p, "sha256", node, 32));
	node[0] ^= 1;
	assert_false(policy_anon_exec_allowed(p, "sha512", node, 64));

	assert_true(p->domain.audit && p->domain.allow_wx_elf && p->domain.strict_code_mounts);
	assert_int_equal(p->domain.n_data_dirs, 2);
	assert_string_equal(p->domain.data_dirs[1], "/var/lib/app");
	assert_int_equal(p->domain.n_code_dirs, 1);
	assert_string_equal(p->domain.code_dirs[0], "/opt/app");
	/* A data dir covers what lies below it, not itself nor a sibling sharing its prefix. */
	assert_string_equal(policy_data_dir(p, "/usr/share/zoneinfo/UTC"), "/usr/share/zoneinfo");
	assert_string_equal(policy_data_dir(p, "/var/lib/app/a/b"), "/var/lib/app");
	assert_null(policy_data_dir(p, "/usr/share/zoneinfo"));
	assert_null(policy_data_dir(p, "/usr/share/zoneinfo2/UTC"));
	assert_null(policy_data_dir(p, "/usr/share/UTC"));

	assert_int_equal(p->sandbox.given,
			 WARD_MANIFEST_GIVEN_MEMORY | WARD_MANIFEST_GIVEN_THREADS |
				 WARD_MANIFEST_GIVEN_CPU | WARD_MANIFEST_GIVEN_TIMEOUT |
				 WARD_MANIFEST_GIVEN_SCRATCH | WARD_MANIFEST_GIVEN_INPUT |
				 WARD_MANIFEST_GIVEN_OUTPUT);
	assert_int_equal(p->sandbox.memory_mb, 512);
	assert_int_equal(p->sandbox.threads, 8);
	assert_int_equal(p->sandbox.cpu_percent, 150);
	assert_int_equal(p->sandbox.timeout_s, 30);
	assert_int_equal(p->sandbox.scratch_mb, 64);
	assert_true(p->sandbox.max_input_bytes == 1ull << 32);
	assert_int_equal(p->sandbox.max_output_bytes, 0);
	policy_free(p);

	/* The same keys absent: nothing set, always valid, no opt-in. */
	assert_int_equal(policy_parse((const uint8_t *)DOC(""), strlen(DOC("")), &p, &d), 0);
	assert_string_equal(p->issuer, "");
	assert_false(p->has_not_before || p->has_not_after);
	assert_int_equal(policy_valid_at(p, INT64_MIN), 0);
	assert_int_equal(policy_valid_at(p, INT64_MAX), 0);
	assert_int_equal(p->domain.n_anon_exec, 0);
	assert_false(policy_anon_exec_allowed(p, "sha256", node, 32));
	assert_false(p->domain.audit || p->domain.allow_wx_elf || p->domain.strict_code_mounts);
	assert_null(policy_data_dir(p, "/usr/share/x"));
	assert_int_equal(p->sandbox.given, 0);
	policy_free(p);

	/* "mode": "enforce" is the default, spelled out. */
	assert_int_equal(policy_parse((const uint8_t *)DOM("\"mode\":\"enforce\""),
				      strlen(DOM("\"mode\":\"enforce\"")), &p, &d), 0);
	assert_false(p->domain.audit);
	policy_free(p);
}

static struct ward_policy *parse_ok(const char *doc)
{
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };

	if (policy_parse((const uint8_t *)doc, strlen(doc), &p, &d) != 0)
		fail_msg("%s: %s", doc, d.msg);
	return p;
}

/* The window is inclusive at both ends; before it -ETIME, after it -EKEYEXPIRED. */
static void test_validity_window(void **state)
{
	const int64_t nb = 1793491200, na = 1809129600; /* 2026-11-01, 2027-05-01 */
	struct ward_policy *p;

	(void)state;
	p = parse_ok(DOC(",\"not_before\":\"2026-11-01T00:00:00Z\","
			 "\"not_after\":\"2027-05-01T00:00:00Z\""));
	assert_true(p->not_before == nb && p->not_after == na);
	assert_int_equal(policy_valid_at(p, nb), 0);
	assert_int_equal(policy_valid_at(p, na), 0);
	assert_int_equal(policy_valid_at(p, nb + 1), 0);
	assert_int_equal(policy_valid_at(p, nb - 1), -ETIME);
	assert_int_equal(policy_valid_at(p, na + 1), -EKEYEXPIRED);
	assert_int_equal(policy_valid_at(p, 0), -ETIME);
	assert_int_equal(policy_valid_at(p, INT64_MIN), -ETIME);
	assert_int_equal(policy_valid_at(p, INT64_MAX), -EKEYEXPIRED);
	policy_free(p);

	/* A window of one second (the same instant in two offsets). */
	p = parse_ok(DOC(",\"not_before\":\"2026-11-01T05:30:00+05:30\","
			 "\"not_after\":\"2026-10-31T19:00:00-05:00\""));
	assert_true(p->not_before == nb && p->not_after == nb);
	assert_int_equal(policy_valid_at(p, nb), 0);
	assert_int_equal(policy_valid_at(p, nb - 1), -ETIME);
	assert_int_equal(policy_valid_at(p, nb + 1), -EKEYEXPIRED);
	policy_free(p);

	/* Open at one end. */
	p = parse_ok(NB("\"2026-11-01T00:00:00Z\""));
	assert_true(p->has_not_before && !p->has_not_after);
	assert_int_equal(policy_valid_at(p, nb - 1), -ETIME);
	assert_int_equal(policy_valid_at(p, INT64_MAX), 0);
	policy_free(p);
	p = parse_ok(NA("\"2027-05-01T00:00:00Z\""));
	assert_true(!p->has_not_before && p->has_not_after);
	assert_int_equal(policy_valid_at(p, INT64_MIN), 0);
	assert_int_equal(policy_valid_at(p, na), 0);
	assert_int_equal(policy_valid_at(p, na + 1), -EKEYEXPIRED);
	policy_free(p);

	/* Offsets move the instant by exactly their amount. */
	p = parse_ok(NB("\"2026-01-01T02:00:00+02:00\""));
	assert_true(p->not_before == 1767225600);
	policy_free(p);
	p = parse_ok(NB("\"2025-12-31T18:30:00-05:30\""));
	assert_true(p->not_before == 1767225600);
	policy_free(p);
	p = parse_ok(NA("\"2026-01-01T00:00:00-00:01\""));
	assert_true(p->not_after == 1767225600 + 60);
	policy_free(p);
}

/*
 * The window survives the index at the edges of what RFC 3339 times may say: the index stores
 * the settings as a policy document, so every instant the parser accepts must be written back in
 * a form it accepts again.
 */
static void test_index_keeps_window(void **state)
{
	static const char *const docs[] = {
		DOC(",\"not_before\":\"1970-01-01T00:00:00Z\",\"not_after\":\"9999-12-31T23:59:59Z\""),
		DOC(",\"not_before\":\"1970-01-01T05:00:00+05:00\","
		    "\"not_after\":\"9999-12-31T23:59:60Z\""),
		DOC(",\"not_before\":\"2026-01-01T02:00:00+02:00\""),
		DOC(",\"not_after\":\"2025-12-31T18:30:00.25-05:30\""),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct ward_policy *p = parse_ok(docs[i]), *q = NULL;
		struct ward_diag d = { { 0 } };
		uint8_t *idx;
		size_t len;

		assert_int_equal(policy_index_encode(p, &idx, &len), 0);
		if (policy_index_decode(idx, len, p->file_digest, &q, &d) != 0)
			fail_msg("%s: %s", docs[i], d.msg);
		assert_int_equal(q->has_not_before, p->has_not_before);
		assert_int_equal(q->has_not_after, p->has_not_after);
		assert_true(q->not_before == p->not_before && q->not_after == p->not_after);
		policy_free(q);
		policy_free(p);
		free(idx);
	}
}

/* RFC 3339 as policies spell it: exact values, round trips through the writer, refusals. */
static void test_rfc3339(void **state)
{
	static const struct {
		const char *in;
		int64_t t;
	} good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:01z", 1 },
		{ "2026-01-01T00:00:00Z", 1767225600 },
		{ "2026-01-01t00:00:00Z", 1767225600 },
		{ "2026-01-01T02:00:00+02:00", 1767225600 },
		{ "2025-12-31T18:30:00-05:30", 1767225600 },
		{ "2026-01-01T00:00:00+00:00", 1767225600 },
		{ "2026-01-01T00:00:00-00:00", 1767225600 },
		{ "2026-01-01T23:59:00+23:59", 1767225600 },
		{ "2026-01-01T00:00:00.5Z", 1767225600 },
		{ "2026-01-01T00:00:00.999999999+00:00", 1767225600 },
		{ "2024-02-29T12:00:00Z", 1709208000 },
		{ "2000-02-29T00:00:00Z", 951782400 },
		/* A leap second reads as the second before it. */
		{ "2016-12-31T23:59:60Z", 1483228799 },
		{ "9999-12-31T23:59:59Z", 253402300799 },
	};
	static const char *const bad[] = {
		"", "2026", "2026-01-01", "2026-01-01T00:00Z", "2026-01-01T00:00:00",
		"2026-01-01T00:00:00ZZ", "2026-01-01T00:00:00Z\n", " 2026-01-01T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-02-30T00:00:00Z",
		"2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-06-31T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z",
		"2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+00:60", "2026-01-01T00:00:00+01",
		"2026-01-01T00:00:00+01:00:00", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00,5Z",
		"2026-01-01X00:00:00Z", "2026/01/01T00:00:00Z", "+2026-01-01T00:00:00Z",
		"-026-01-01T00:00:00Z", "2026-01-01T-1:00:00Z", "1969-12-31T23:59:59Z",
		"0000-01-01T00:00:00Z",
		/* Instants outside 1970..9999 whatever the fields say: the writer could not spell
		 * them back (rfc3339_format gives 1969-... or 10000-...). */
		"1970-01-01T00:00:00+00:01", "1970-01-01T04:59:59+05:00",
		"9999-12-31T23:59:59-00:01",
	};
	static const int64_t round[] = { 0, 1, 59, 951782400, 1483228799, 1709208000,
					 1767225600, 4102444800, 253402300799 };
	char out[32];
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = -1;
		if (rfc3339_parse(good[i].in, &t) != 0 || t != good[i].t)
			fail_msg("%s: got %lld, want %lld", good[i].in, (long long)t,
				 (long long)good[i].t);
		/* The writer's form reads back to the same instant. */
		rfc3339_format(t, out, sizeof(out));
		assert_int_equal(strlen(out), 20);
		assert_int_equal(rfc3339_parse(out, &t), 0);
		assert_true(t == good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		if (rfc3339_parse(bad[i], &t) != -EINVAL)
			fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)t);
		assert_true(t == 42); /* ret written only on success */
	}
	rfc3339_format(1767225600, out, sizeof(out));
	assert_string_equal(out, "2026-01-01T00:00:00Z");
	rfc3339_format(253402300799, out, sizeof(out));
	assert_string_equal(out, "9999-12-31T23:59:59Z");
	rfc3339_format(0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		rfc3339_format(round[i], out, sizeof(out));
		assert_int_equal(rfc3339_parse(out, &t), 0);
		assert_true(t == round[i]);
	}
	/* A spread of instants over the whole range, one per ~46 days. */
	for (int64_t x = 0; x <= 253402300799; x += 3999971) {
		rfc3339_format(x, out, sizeof(out));
		if (rfc3339_parse(out, &t) != 0 || t != x)
			fail_msg("%lld -> %s -> %lld", (long long)x, out, (long long)t);
	}
}

static void test_builder_lookup(void **state)
{
	struct ward_policy_builder b = { .hash = WARD_HASH_SHA256 };
	struct ward_policy *p = NULL;
	struct ward_diag d;
	uint8_t dg[3][32];
	char *text = NULL;

	for (int i = 0; i < 3; i++) {
		memset(dg[i], 0x10 * (3 - i), 32);
		assert_int_equal(policy_builder_add(&b, dg[i], i == 2 ? "/a" : "/z"), 0);
	}
	/* a second path with the digest of /a: one entry per path, lookups by digest */
	assert_int_equal(policy_builder_add(&b, dg[2], "/b"), 0);
	assert_int_equal(policy_builder_write(&b, &(struct ward_policy){ .name = "t", .version = 42,
									  .hash = WARD_HASH_SHA256 },
					      &text), 0);
	assert_int_equal(policy_parse((uint8_t *)text, strlen(text), &p, &d), 0);
	assert_string_equal(p->name, "t");
	assert_int_equal(p->version, 42);
	assert_int_equal(p->n_paths, 4); /* "/z" with each of its two digests */
	assert_true(strstr(text, "\"/a\"") < strstr(text, "\"/b\"")); /* sorted by path */
	assert_non_null(policy_lookup(p, "sha256", dg[2], 32));
	assert_null(policy_lookup(p, "sha1", dg[2], 20));
	assert_null(policy_lookup(p, "sha256", (uint8_t[32]){ 1 }, 32));
	policy_free(p);
	policy_builder_free(&b);
	free(text);
}

struct seen {
	char paths[8][256];
	size_t n, errors;
};

static int on_file(void *u, const char *path, const struct ward_digest *dg, uint64_t size)
{
	struct seen *s = u;
	assert_true(s->n < 8);
	snprintf(s->paths[s->n++], sizeof(s->paths[0]), "%s", path);
	return 0;
}

static void on_err(void *u, const char *path, int err)
{
	((struct seen *)u)->errors++;
}

static bool has(const struct seen *s, const char *suffix)
{
	for (size_t i = 0; i < s->n; i++) {
		size_t a = strlen(s->paths[i]), b = strlen(suffix);
		if (a >= b && strcmp(s->paths[i] + a - b, suffix) == 0)
			return true;
	}
	return false;
}

static void test_tree_walk(void **state)
{
	char *dir = test_tmpdir(), p[512];
	struct seen s = { 0 };
	struct ward_digest dg[__WARD_HASH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	snprintf(p, sizeof(p), "%s/link-to-file", dir);
	assert_int_equal(symlink("sub/file", p), 0);
	snprintf(p, sizeof(p), "%s/link-to-dir", dir);
	assert_int_equal(symlink("sub", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0644), 0);

	assert_int_equal(measure_tree(dir, WARD_HASH_SHA256, on_file, on_err, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "/sub/file"));
	assert_true(has(&s, "/link-to-file"));
	assert_false(has(&s, "/link-to-dir/file"));

	/* the digest is the content's: sha256("abc") */
	snprintf(p, sizeof(p), "%s/sub/file", dir);
	fd = measure_open_regular(AT_FDCWD, p);
	assert_true(fd >= 0);
	assert_int_equal(measure_fd(fd, 1u << WARD_HASH_SHA256 | 1u << WARD_HASH_SHA1, dg, NULL), 0);
	close(fd);
	{
		uint8_t want[32];
		test_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
		assert_memory_equal(dg[WARD_HASH_SHA256].bytes, want, 32);
	}
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(measure_open_regular(AT_FDCWD, p), -EINVAL);
	assert_int_equal(measure_tree("/nonexistent/ward", WARD_HASH_SHA256, on_file, on_err, &s),
			 -ENOENT);
	assert_int_equal(measure_fd(0, 0, dg, NULL), -EINVAL);
	test_rmtree(dir);
}

/* Chunk boundaries and large files: measure_fd() hashes exactly the file's bytes. */
static void test_measure_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 131071, 131072, 131073, (4u << 20) - 1, 4u << 20,
					(5u << 20) + 17 };
	char *dir = test_tmpdir(), p[512];
	uint8_t *data = malloc((5u << 20) + 17);

	for (size_t i = 0; i < (5u << 20) + 17; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct ward_digest dg[__WARD_HASH_MAX];
		uint8_t want[64];
		uint64_t size = 99;
		int fd;

		snprintf(p, sizeof(p), "%s/f%zu", dir, k);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_int_equal(write_all(fd, data, sizes[k]), 0);
		close(fd);
		fd = measure_open_regular(AT_FDCWD, p);
		assert_true(fd >= 0);
		assert_int_equal(measure_fd(fd, 1u << WARD_HASH_SHA1 | 1u << WARD_HASH_SHA384, dg, &size),
				 0);
		close(fd);
		assert_int_equal(size, sizes[k]);
		assert_int_equal(hash_buf(WARD_HASH_SHA1, data, sizes[k], want), 0);
		assert_memory_equal(dg[WARD_HASH_SHA1].bytes, want, 20);
		assert_int_equal(hash_buf(WARD_HASH_SHA384, data, sizes[k], want), 0);
		assert_memory_equal(dg[WARD_HASH_SHA384].bytes, want, 48);
	}
	free(data);
	test_rmtree(dir);
}


static struct ward_policy *index_fixture(char **ret_text)
{
	struct ward_policy_builder b = { .hash = WARD_HASH_SHA256 };
	char *dirs[] = { "/usr/share" }, *code[] = { "/opt/app", "/srv/lib" };
	struct ward_policy_entry jit[1] = { { .digest = { 7, 7, 7 }, .path = "/usr/bin/node" } };
	struct ward_policy s = {
		.name = "idx", .version = 4, .hash = WARD_HASH_SHA256,
		.issuer = "ed25519:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		.has_not_before = true, .not_before = 1700000000,
		.has_not_after = true, .not_after = 1900000000,
		.domain = { .allow_wx_elf = true, .data_dirs = dirs, .n_data_dirs = 1,
			    .code_dirs = code, .n_code_dirs = 2, .strict_code_mounts = true,
			    .audit = true, .anon_exec = jit, .n_anon_exec = 1 },
		.sandbox = { .given = WARD_MANIFEST_GIVEN_MEMORY | WARD_MANIFEST_GIVEN_OUTPUT,
			     .memory_mb = 512, .max_output_bytes = 0 },
	};
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	char *text = NULL;

	for (unsigned i = 0; i < 100; i++) {
		uint8_t dg[32] = { 0 };
		char path[32];

		dg[0] = (uint8_t)(i * 37);
		dg[31] = (uint8_t)i;
		snprintf(path, sizeof(path), "/usr/bin/f%u", i);
		assert_int_equal(policy_builder_add(&b, dg, path), 0);
	}
	assert_int_equal(policy_builder_write(&b, &s, &text), 0);
	policy_builder_free(&b);
	assert_int_equal(policy_parse((const uint8_t *)text, strlen(text), &p, &d), 0);
	*ret_text = text;
	return p;
}

static void test_index_roundtrip_and_damage(void **state)
{
	char *text;
	struct ward_policy *p = index_fixture(&text), *q = NULL;
	struct ward_diag d = { { 0 } };
	uint8_t *idx, other[32] = { 1 };
	size_t len;

	assert_int_equal(policy_index_encode(p, &idx, &len), 0);
	assert_int_equal(policy_index_decode(idx, len, p->file_digest, &q, &d), 0);
	assert_int_equal(q->n_entries, p->n_entries);
	assert_string_equal(q->name, "idx");
	assert_int_equal(q->version, 4);
	/* Every setting survives the index. */
	assert_string_equal(q->issuer, p->issuer);
	assert_true(q->has_not_before && q->not_before == 1700000000);
	assert_true(q->has_not_after && q->not_after == 1900000000);
	assert_true(q->domain.audit && q->domain.strict_code_mounts && q->domain.allow_wx_elf);
	assert_int_equal(q->domain.n_code_dirs, 2);
	assert_string_equal(q->domain.code_dirs[1], "/srv/lib");
	assert_int_equal(q->domain.n_anon_exec, 1);
	assert_int_equal(q->domain.anon_exec[0].digest[2], 7);
	assert_true(policy_anon_exec_allowed(q, "sha256", q->domain.anon_exec[0].digest, 32));
	assert_int_equal(q->sandbox.given, WARD_MANIFEST_GIVEN_MEMORY | WARD_MANIFEST_GIVEN_OUTPUT);
	assert_int_equal(q->sandbox.memory_mb, 512);
	assert_int_equal(q->sandbox.max_output_bytes, 0);
	assert_true(q->domain.allow_wx_elf);
	assert_string_equal(q->domain.data_dirs[0], "/usr/share");
	assert_memory_equal(q->file_digest, p->file_digest, 32);
	for (size_t i = 0; i < p->n_entries; i++)
		assert_ptr_equal(policy_lookup(q, "sha256", p->entries[i].digest, 32),
				 &q->entries[i]);
	policy_free(q);

	/* Built from another policy file: stale, not used. */
	assert_int_equal(policy_index_decode(idx, len, other, &q, &d), -ESTALE);
	/* Every single-byte change anywhere is refused. */
	for (size_t i = 0; i < len; i++) {
		idx[i] ^= 0x01;
		if (policy_index_decode(idx, len, p->file_digest, &q, &d) != -EBADMSG)
			fail_msg("byte %zu of %zu: a changed index was accepted", i, len);
		idx[i] ^= 0x01;
	}
	/* Truncated, or with the digests out of order (check recomputed): refused. */
	assert_int_equal(policy_index_decode(idx, len - 1, p->file_digest, &q, &d), -EBADMSG);
	{
		size_t first = len - 32 - p->n_entries * 32;
		uint8_t tmp[32];

		memcpy(tmp, idx + first, 32);
		memcpy(idx + first, idx + first + 32, 32);
		memcpy(idx + first + 32, tmp, 32);
		hash_buf(WARD_HASH_SHA256, idx, len - 32, idx + len - 32);
		assert_int_equal(policy_index_decode(idx, len, p->file_digest, &q, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "ascending"));
	}
	free(idx);
	free(text);
	policy_free(p);
}

static void test_state_policy_cache(void **state)
{
	char *dir = test_tmpdir(), path[4200], *text;
	struct ward_policy *p = index_fixture(&text), *a = NULL, *b = NULL;
	struct ward_state *st = NULL;
	struct ward_diag d = { { 0 } };
	char hex[65];
	int fd;

	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(state_open(path, "soft", 0, &st, &d), 0);
	/* First load parses and writes the index; the second loads the index. */
	assert_int_equal(state_load_policy(st, (const uint8_t *)text, strlen(text), &a, &d), 0);
	hex_encode(p->file_digest, 32, hex);
	snprintf(path, sizeof(path), "%s/state/policy-index/%s", dir, hex);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(state_load_policy(st, (const uint8_t *)text, strlen(text), &b, &d), 0);
	assert_null(b->entries[0].path); /* from the index: no paths */
	assert_int_equal(b->n_entries, a->n_entries);
	policy_free(b);
	/* A damaged index is ignored and rewritten from the document. */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 100), 1);
	close(fd);
	assert_int_equal(state_load_policy(st, (const uint8_t *)text, strlen(text), &b, &d), 0);
	assert_non_null(b->entries[0].path); /* parsed again */
	policy_free(b);
	/* A malformed document is refused whatever the cache holds. */
	assert_int_equal(state_load_policy(st, (const uint8_t *)"{}", 2, &b, &d), -EBADMSG);
	policy_free(a);
	policy_free(p);
	free(text);
	state_close(st);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_rejections),
		cmocka_unit_test(test_parse_sandbox_ranges),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_every_key),
		cmocka_unit_test(test_validity_window),
		cmocka_unit_test(test_index_keeps_window),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_builder_lookup),
		cmocka_unit_test(test_tree_walk),
		cmocka_unit_test(test_measure_sizes),
		cmocka_unit_test(test_index_roundtrip_and_damage),
		cmocka_unit_test(test_state_policy_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
