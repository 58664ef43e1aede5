/* SPDX-License-Identifier: Apache-2.0 */
/* IMA log parsing, replay and serialization against real kernel logs and a table of bad input. */
#include <errno.h>

#include "test-util.h"
#include "ward/decision.h"
#include "ward/evlog.h"

static const char *const banks[] = { "sha1", "sha256", "sha384", "sha512" };

/* imakvtpcr10.txt: one line per bank, "PCR 10: xx xx ..." */
static void expected_pcr10(uint8_t want[4][64])
{
	size_t len;
	char *txt = (char *)test_vector("ima/ibmtss-vtpm-boot/imakvtpcr10.txt", &len);
	char *line = txt, *save = NULL;
	int b = 0;

	for (line = strtok_r(txt, "\n", &save); line && b < 4; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, ":");
		size_t n = 0;

		assert_non_null(p);
		for (p++; *p; p++) {
			unsigned v;
			if (*p == ' ')
				continue;
			assert_int_equal(sscanf(p, "%2x", &v), 1);
			want[b][n++] = (uint8_t)v;
			p++;
		}
		assert_int_equal(n, hash_alg_size(b));
		b++;
	}
	assert_int_equal(b, 4);
	free(txt);
}

static void test_vtpm_boot_16_combinations(void **state)
{
	uint8_t want[4][64];

	expected_pcr10(want);
	for (int file = 0; file < 4; file++) {
		char rel[128];
		size_t len;
		uint8_t *buf;

		snprintf(rel, sizeof(rel), "ima/ibmtss-vtpm-boot/%s.log", banks[file]);
		buf = test_vector(rel, &len);
		for (int detect = 0; detect < 2; detect++) {
			struct ward_evlog log;
			struct ward_diag d;
			enum ward_verdict v;

			evlog_init(&log);
			assert_int_equal(evlog_parse_binary(buf, len, detect ? __WARD_HASH_MAX : file,
							    &log, &d), 0);
			assert_int_equal(log.n, 362);
			assert_int_equal(log.log_bank, file);
			assert_int_equal(evlog_check_digests(&log, &v, NULL, &d), 0);
			assert_int_equal(v, WARD_VERDICT_PASS);
			for (int bank = 0; bank < 4; bank++) {
				uint8_t reg[64] = { 0 };

				assert_int_equal(evlog_replay(&log, 0, log.n, 10, bank, reg), 0);
				if (memcmp(reg, want[bank], hash_alg_size(bank)) != 0)
					fail_msg("%s.log replayed into %s differs", banks[file], banks[bank]);
			}
			evlog_free(&log);
		}
		free(buf);
	}
}

static void replay_ascii(const char *rel, enum ward_hash_alg bank, const char *want_hex)
{
	struct ward_evlog log;
	struct ward_diag d = { { 0 } };
	enum ward_verdict v;
	uint8_t reg[64] = { 0 }, want[64];
	size_t len;
	uint8_t *buf = test_vector(rel, &len);

	evlog_init(&log);
	if (evlog_parse_ascii((const char *)buf, len, &log, &d) != 0)
		fail_msg("%s: %s", rel, d.msg);
	assert_int_equal(evlog_check_digests(&log, &v, NULL, &d), 0);
	if (v != WARD_VERDICT_PASS)
		fail_msg("%s: %s", rel, d.msg);
	assert_int_equal(evlog_replay(&log, 0, log.n, 10, bank, reg), 0);
	test_hex(want_hex, want, hash_alg_size(bank));
	assert_memory_equal(reg, want, hash_alg_size(bank));
	evlog_free(&log);
	free(buf);
}

static void test_ascii_vectors(void **state)
{
	replay_ascii("ima/ibmtss-vtpm-boot/sha1.log.ascii.derived.txt", WARD_HASH_SHA1,
		     "9be6bac02bf18d09d17e726c2df00bca4e8831ea");
	/* rebuilt template data replays in a bank the text never showed */
	replay_ascii("ima/ibmtss-vtpm-boot/sha1.log.ascii.derived.txt", WARD_HASH_SHA256,
		     "7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8");
	replay_ascii("ima/rust-keylime/ascii_runtime_measurements", WARD_HASH_SHA1,
		     "82231c67a69da98dc5b3aa10f6343d33109225fc");
	replay_ascii("ima/keylime-ima-sig/ascii_runtime_measurements.excerpt.txt", WARD_HASH_SHA1,
		     "357ad3dba1f24238f7818d82e4049a642854d17a");
}

static void test_imatest_templates(void **state)
{
	static const char *const names[] = { "d-ng|sig", "n-ng|d-ng", "n-ng|sig|d-ng", "n-ng|sig",
					     "n", "sig", "ima", "ima-ng", "ima-sig", "ima-modsig",
					     "ima-sigv2", "ima-buf", "evm-sig", "ima-ngv2" };
	struct ward_evlog log;
	struct ward_diag d;
	enum ward_verdict v;
	uint8_t reg[20] = { 0 }, want[20];
	size_t len, violations = 0;
	uint8_t *buf = test_vector("ima/ibmtss-templates/imatest.log", &len);

	evlog_init(&log);
	assert_int_equal(evlog_parse_binary(buf, len, WARD_HASH_SHA1, &log, &d), 0);
	assert_int_equal(log.n, 17);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		bool seen = false;
		for (size_t k = 0; k < log.n; k++)
			seen |= strcmp(log.rec[k].template_name, names[i]) == 0;
		if (!seen)
			fail_msg("template %s not parsed", names[i]);
	}
	for (size_t k = 0; k < log.n; k++)
		violations += log.rec[k].violation;
	assert_int_equal(violations, 1); /* the legacy "ima" entry carries a zero digest */
	assert_int_equal(evlog_check_digests(&log, &v, NULL, &d), 0);
	assert_int_equal(v, WARD_VERDICT_PASS);
	assert_int_equal(evlog_replay(&log, 0, log.n, 10, WARD_HASH_SHA1, reg), 0);
	test_hex("0ff68e1da514770e85581bffe693809776302a63", want, 20);
	assert_memory_equal(reg, want, 20);

	/* Serialize and reparse: byte-for-byte the same file. */
	{
		struct buf out = { 0 };
		assert_int_equal(evlog_write_binary(&log, 0, WARD_HASH_SHA1, &out), 0);
		assert_int_equal(out.len, len);
		assert_memory_equal(out.data, buf, len);
		buf_free(&out);
	}
	evlog_free(&log);
	free(buf);
}

/* The same events in four files: writing any of them in bank B gives the file of bank B. */
static void test_binary_writer_matches_kernel(void **state)
{
	size_t len[4];
	uint8_t *files[4];
	struct ward_evlog log;
	struct ward_diag d;

	for (int b = 0; b < 4; b++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "ima/ibmtss-vtpm-boot/%s.log", banks[b]);
		files[b] = test_vector(rel, &len[b]);
	}
	evlog_init(&log);
	assert_int_equal(evlog_parse_binary(files[0], len[0], WARD_HASH_SHA1, &log, &d), 0);
	for (int b = 0; b < 4; b++) {
		struct buf out = { 0 };
		assert_int_equal(evlog_write_binary(&log, 0, b, &out), 0);
		assert_int_equal(out.len, len[b]);
		assert_memory_equal(out.data, files[b], len[b]);
		buf_free(&out);
	}
	evlog_free(&log);
	for (int b = 0; b < 4; b++)
		free(files[b]);
}

/* ASCII written by ward, with the kernel's trailing space for an empty sig, equals the derived
 * text once that space is dropped, and parses back to the binary file. */
static void test_ascii_writer_parity(void **state)
{
	size_t blen, alen;
	uint8_t *bin = test_vector("ima/ibmtss-vtpm-boot/sha1.log", &blen);
	uint8_t *txt = test_vector("ima/ibmtss-vtpm-boot/sha1.log.ascii.derived.txt", &alen);
	struct ward_evlog log, back;
	struct buf out = { 0 }, rebin = { 0 };
	struct ward_diag d;
	size_t w = 0;

	evlog_init(&log);
	evlog_init(&back);
	assert_int_equal(evlog_parse_binary(bin, blen, WARD_HASH_SHA1, &log, &d), 0);
	assert_int_equal(evlog_write_ascii(&log, 0, WARD_HASH_SHA1, &out), 0);
	assert_int_equal(evlog_parse_ascii((const char *)out.data, out.len, &back, &d), 0);
	assert_int_equal(evlog_write_binary(&back, 0, WARD_HASH_SHA1, &rebin), 0);
	assert_int_equal(rebin.len, blen);
	assert_memory_equal(rebin.data, bin, blen);
	for (size_t r = 0; r < out.len; r++) {
		if (out.data[r] == ' ' && r + 1 < out.len && out.data[r + 1] == '\n')
			continue;
		out.data[w++] = out.data[r];
	}
	assert_int_equal(w, alen);
	assert_memory_equal(out.data, txt, alen);
	buf_free(&out);
	buf_free(&rebin);
	evlog_free(&log);
	evlog_free(&back);
	free(bin);
	free(txt);
}

/* Build one binary record: pcr | digest | name | data (fields given pre-encoded). */
static void put_record(struct buf *b, uint32_t pcr, size_t dlen, const char *name,
		       const uint8_t *data, uint32_t data_len)
{
	uint8_t digest[64];

	assert_int_equal(hash_buf(dlen == 20 ? WARD_HASH_SHA1 : WARD_HASH_SHA256, data, data_len,
				  digest), 0);
	buf_append_le32(b, pcr);
	buf_append(b, digest, dlen);
	buf_append_le32(b, (uint32_t)strlen(name));
	buf_append(b, name, strlen(name));
	buf_append_le32(b, data_len);
	buf_append(b, data, data_len);
}

static void field(struct buf *b, const void *p, uint32_t n)
{
	buf_append_le32(b, n);
	buf_append(b, p, n);
}

static void ng_data(struct buf *b, const char *path)
{
	uint8_t dng[7 + 1 + 32] = "sha256:";

	memset(dng + 8, 0x5a, 32);
	dng[7] = '\0';
	field(b, dng, sizeof(dng));
	field(b, path, (uint32_t)strlen(path) + 1);
}

struct bad_row {
	const char *what;
	int err;
	const char *msg; /* substring of the diagnostic */
};

static void expect_binary(const struct buf *b, enum ward_hash_alg bank, const struct bad_row *row)
{
	struct ward_evlog log;
	struct ward_diag d = { { 0 } };
	int r;

	evlog_init(&log);
	r = evlog_parse_binary(b->data, b->len, bank, &log, &d);
	evlog_free(&log);
	if (r != row->err || !strstr(d.msg, row->msg))
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", row->what, r, d.msg, row->err, row->msg);
}

static void test_binary_bad_input_table(void **state)
{
	struct buf ok = { 0 }, data = { 0 }, b;

	ng_data(&data, "/usr/bin/true");
	put_record(&ok, 10, 20, "ima-ng", data.data, (uint32_t)data.len);

	/* truncations at every byte of a valid record: each is an error naming offset 0 */
	for (size_t cut = 1; cut < ok.len; cut++) {
		struct bad_row row = { "truncated", -EBADMSG, "offset 0" };
		b = (struct buf){ ok.data, cut, cut };
		expect_binary(&b, WARD_HASH_SHA1, &row);
	}

	{
		struct bad_row rows[] = {
			{ "pcr 24", -EBADMSG, "PCR index 24" },
			{ "name length 0", -EBADMSG, "template name length 0" },
			{ "unknown template", -EBADMSG, "unknown template \"ima-xx\"" },
			{ "non-printable name", -EBADMSG, "non-printable" },
			{ "data length huge", -E2BIG, "exceeds the limit" },
			{ "field overruns", -EBADMSG, "overruns template data" },
			{ "trailing field bytes", -EBADMSG, "after the last field" },
			{ "d-ng without NUL", -EBADMSG, "without an algorithm prefix" },
			{ "d-ng wrong size", -EBADMSG, "sha256 digest of 31 bytes" },
			{ "n-ng without NUL", -EBADMSG, "not NUL-terminated" },
			{ "sig wrong type", -EBADMSG, "signature type 0x04" },
			{ "sig size mismatch", -EBADMSG, "signature header says 72 bytes, field holds 71" },
			{ "second record torn", -EBADMSG, "offset " },
		};
		struct buf t;
		uint8_t sig[9 + 71] = { 0x03, 0x02, 0x04, 1, 2, 3, 4, 0x00, 72 };

		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			t = (struct buf){ 0 };
			switch (i) {
			case 0:
				put_record(&t, 24, 20, "ima-ng", data.data, (uint32_t)data.len);
				break;
			case 1:
				put_record(&t, 10, 20, "", data.data, (uint32_t)data.len);
				break;
			case 2:
				put_record(&t, 10, 20, "ima-xx", data.data, (uint32_t)data.len);
				break;
			case 3:
				put_record(&t, 10, 20, "ima\x01ng", data.data, (uint32_t)data.len);
				break;
			case 4:
				buf_append(&t, ok.data, ok.len);
				put_le32(t.data + 4 + 20 + 4 + 6, 0x7fffffff);
				break;
			case 5: {
				struct buf dd = { 0 };
				ng_data(&dd, "/x");
				put_le32(dd.data + 4 + 40, 1000);
				put_record(&t, 10, 20, "ima-ng", dd.data, (uint32_t)dd.len);
				buf_free(&dd);
				break;
			}
			case 6: {
				struct buf dd = { 0 };
				ng_data(&dd, "/x");
				buf_append(&dd, "zz", 2);
				put_record(&t, 10, 20, "ima-ng", dd.data, (uint32_t)dd.len);
				buf_free(&dd);
				break;
			}
			case 7: {
				struct buf dd = { 0 };
				field(&dd, "sha256abcdefgh", 14);
				field(&dd, "/x", 3);
				put_record(&t, 10, 20, "ima-ng", dd.data, (uint32_t)dd.len);
				buf_free(&dd);
				break;
			}
			case 8: {
				struct buf dd = { 0 };
				uint8_t dng[39] = "sha256:";
				field(&dd, dng, sizeof(dng));
				field(&dd, "/x", 3);
				put_record(&t, 10, 20, "ima-ng", dd.data, (uint32_t)dd.len);
				buf_free(&dd);
				break;
			}
			case 9: {
				struct buf dd = { 0 };
				ng_data(&dd, "/x");
				dd.len--; /* drop the NUL of n-ng */
				put_le32(dd.data + 44, 2);
				put_record(&t, 10, 20, "ima-ng", dd.data, (uint32_t)dd.len);
				buf_free(&dd);
				break;
			}
			case 10:
			case 11: {
				struct buf dd = { 0 };
				uint8_t s2[sizeof(sig)];
				memcpy(s2, sig, sizeof(sig));
				if (i == 10)
					s2[0] = 0x04;
				ng_data(&dd, "/x");
				field(&dd, s2, sizeof(s2));
				put_record(&t, 10, 20, "ima-sig", dd.data, (uint32_t)dd.len);
				buf_free(&dd);
				break;
			}
			case 12:
				buf_append(&t, ok.data, ok.len);
				buf_append(&t, ok.data, ok.len - 3);
				break;
			}
			expect_binary(&t, WARD_HASH_SHA1, &rows[i]);
			buf_free(&t);
		}
	}
	/* auto-detection: nothing to detect from, or a width that only one of two fits */
	{
		struct bad_row row = { "empty", -ENOTUNIQ, "--log-bank" };
		b = (struct buf){ 0 };
		expect_binary(&b, __WARD_HASH_MAX, &row);
	}
	buf_free(&ok);
	buf_free(&data);
}

static void test_ascii_bad_input_table(void **state)
{
	static const struct {
		const char *line;
		int err;
		const char *msg;
	} rows[] = {
		{ "x 0c8a ima-ng sha1:00 /a", -EBADMSG, "line 1: bad PCR index" },
		{ "10 0c8a ima-ng sha1:00 /a", -EBADMSG, "line 1: bad template digest" },
		{ "10 0c8a706a75a5689c1e168f0a573a3cbec33061bZ ima-ng sha1:00 /a", -EBADMSG,
		  "bad template digest" },
		{ "10 0c8a706a75a5689c1e168f0a573a3cbec33061b5 ima-qq sha1:00 /a", -EBADMSG,
		  "unknown template" },
		{ "10 0c8a706a75a5689c1e168f0a573a3cbec33061b5 ima-ng sha1 /a", -EBADMSG,
		  "lacks \"alg:\"" },
		{ "10 0c8a706a75a5689c1e168f0a573a3cbec33061b5 ima-ng sha1:0g /a", -EBADMSG,
		  "not hex" },
		{ "10 0c8a706a75a5689c1e168f0a573a3cbec33061b5 ima-sig "
		  "sha256:e4cb9f5709c88376b5fc3743cd88e76b9aae8f3d992d845678de5215edb31216 /a "
		  "030204f3452d230100aa",
		  -EBADMSG, "signature header says 256 bytes" },
		{ "10 0c8a706a75a5689c1e168f0a573a3cbec33061b5 evm-sig sha256:00 /a", -EOPNOTSUPP,
		  "no text form" },
		{ "10 0c8a706a75a5689c1e168f0a573a3cbec33061b5 ima-ng "
		  "sha1:0000000000000000000000000000000000000000 /a\n"
		  "10 7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8 ima-ng "
		  "sha1:0000000000000000000000000000000000000000 /a",
		  -EBADMSG, "line 2: template digest width differs" },
		{ "\n\n", -EBADMSG, "no measurement lines" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_evlog log;
		struct ward_diag d = { { 0 } };
		int r;

		evlog_init(&log);
		r = evlog_parse_ascii(rows[i].line, strlen(rows[i].line), &log, &d);
		evlog_free(&log);
		if (r != rows[i].err || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu: got %d \"%s\", want %d \"%s\"", i, r, d.msg, rows[i].err,
				 rows[i].msg);
	}
	/* the keylime vector with a forged signature size */
	{
		size_t len;
		uint8_t *buf = test_vector("ima/keylime-ima-sig/bad_signature_size.excerpt.txt", &len);
		struct ward_evlog log;
		struct ward_diag d = { { 0 } };

		evlog_init(&log);
		assert_int_equal(evlog_parse_ascii((const char *)buf, len, &log, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "line 1"));
		evlog_free(&log);
		free(buf);
	}
}

/* A flipped byte inside a path keeps the structure: parse succeeds, the digest check fails. */
static void test_digest_mismatch_is_a_verdict(void **state)
{
	size_t len;
	uint8_t *buf = test_vector("ima/ibmtss-vtpm-boot/sha256.log", &len);
	uint8_t *p = memmem(buf, len, "/usr/bin/kmod", 13);
	struct ward_evlog log;
	struct ward_diag d = { { 0 } };
	enum ward_verdict v;
	size_t bad = 0;

	assert_non_null(p);
	p[5] = 'B';
	evlog_init(&log);
	assert_int_equal(evlog_parse_binary(buf, len, WARD_HASH_SHA256, &log, &d), 0);
	assert_int_equal(evlog_check_digests(&log, &v, &bad, &d), 0);
	assert_int_equal(v, WARD_VERDICT_FAIL);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(d.msg, "offset "));
	evlog_free(&log);
	free(buf);
}

static void test_violation_extends_ff(void **state)
{
	struct ward_evlog log;
	struct ward_diag d;
	struct buf b = { 0 }, data = { 0 };
	uint8_t reg[32] = { 0 }, want[32] = { 0 }, ff[32];

	ng_data(&data, "/violated");
	put_record(&b, 10, 20, "ima-ng", data.data, (uint32_t)data.len);
	memset(b.data + 4, 0, 20); /* a violation: zero template digest */
	evlog_init(&log);
	assert_int_equal(evlog_parse_binary(b.data, b.len, WARD_HASH_SHA1, &log, &d), 0);
	assert_true(log.rec[0].violation);
	assert_int_equal(evlog_replay(&log, 0, 1, 10, WARD_HASH_SHA256, reg), 0);
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(hash_extend(WARD_HASH_SHA256, want, ff), 0);
	assert_memory_equal(reg, want, 32);
	/* a record of another PCR does not touch PCR 10 */
	memset(reg, 0, sizeof(reg));
	log.rec[0].pcr = 11;
	assert_int_equal(evlog_replay(&log, 0, 1, 10, WARD_HASH_SHA256, reg), 0);
	assert_memory_equal(reg, (uint8_t[32]){ 0 }, 32);
	assert_int_equal(evlog_replay(&log, 1, 1, 10, WARD_HASH_SHA256, reg), -ERANGE);
	evlog_free(&log);
	buf_free(&b);
	buf_free(&data);
}

/* Incremental replay: registers after k records, continued over k..n, equal a full replay. */
static void test_incremental_replay(void **state)
{
	size_t len;
	uint8_t *buf = test_vector("ima/ibmtss-vtpm-boot/sha384.log", &len);
	struct ward_evlog log;
	struct ward_diag d;

	evlog_init(&log);
	assert_int_equal(evlog_parse_binary(buf, len, WARD_HASH_SHA384, &log, &d), 0);
	for (size_t k = 0; k <= log.n; k += 61) {
		uint8_t full[64] = { 0 }, part[64] = { 0 };

		assert_int_equal(evlog_replay(&log, 0, log.n, 10, WARD_HASH_SHA384, full), 0);
		assert_int_equal(evlog_replay(&log, 0, k, 10, WARD_HASH_SHA384, part), 0);
		assert_int_equal(evlog_replay(&log, k, log.n - k, 10, WARD_HASH_SHA384, part), 0);
		assert_memory_equal(full, part, 48);
	}
	evlog_free(&log);
	free(buf);
}

static void test_decision_records(void **state)
{
	struct ward_decision dec = { .verdict = WARD_DECISION_DENY, .grant = WARD_GRANT_SHLIB,
				     .has_policy = true, .policy_version = 7, .has_object = true };
	struct ward_decision back;
	struct ward_evlog_record r;
	struct ward_diag d = { { 0 } };
	struct ward_evlog log;
	struct buf bin = { 0 };
	enum ward_verdict v;

	strcpy(dec.domain, "d-1");
	strcpy(dec.policy_name, "prod");
	strcpy(dec.path, "/usr/lib/x86_64-linux-gnu/libevil.so");
	strcpy(dec.reason, "not in policy");
	dec.object.alg = WARD_HASH_SHA256;
	memset(dec.object.bytes, 0xab, 32);
	assert_int_equal(decision_record_new(10, &dec, &r), 0);
	assert_string_equal(r.template_name, "ima-buf");
	assert_int_equal(decision_from_record(&r, &back, &d), 0);
	assert_int_equal(back.verdict, WARD_DECISION_DENY);
	assert_int_equal(back.grant, WARD_GRANT_SHLIB);
	assert_string_equal(back.path, dec.path);
	assert_int_equal(back.policy_version, 7);
	assert_memory_equal(back.object.bytes, dec.object.bytes, 32);

	/* IMA-compatible: it survives the kernel's binary format and its own digest checks */
	evlog_init(&log);
	assert_int_equal(evlog_push(&log, &r), 0);
	assert_int_equal(evlog_write_binary(&log, 0, WARD_HASH_SHA1, &bin), 0);
	evlog_free(&log);
	evlog_init(&log);
	assert_int_equal(evlog_parse_binary(bin.data, bin.len, __WARD_HASH_MAX, &log, &d), 0);
	assert_int_equal(evlog_check_digests(&log, &v, NULL, &d), 0);
	assert_int_equal(v, WARD_VERDICT_PASS);
	assert_int_equal(decision_from_record(&log.rec[0], &back, &d), 0);

	/* not canonical (a space added, digest fixed up): refused */
	{
		const char *text = "{\"domain\": \"d\",\"grant\":\"exec\",\"path\":\"/x\",\"reason\":\"\","
				   "\"v\":1,\"verdict\":\"allow\"}";
		struct ward_evlog_record nc;

		assert_int_equal(evlog_record_new_buf(10, WARD_DECISION_NAME, (const uint8_t *)text,
						      (uint32_t)strlen(text), &nc), 0);
		assert_int_equal(decision_from_record(&nc, &back, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "canonical"));
		evlog_record_free(&nc);
	}
	/* other ima-buf records are not decisions */
	{
		struct ward_evlog_record other;
		assert_int_equal(evlog_record_new_buf(10, ".ima", (const uint8_t *)"k", 1, &other), 0);
		assert_int_equal(decision_from_record(&other, &back, &d), -ENOENT);
		evlog_record_free(&other);
	}
	evlog_free(&log);
	buf_free(&bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtpm_boot_16_combinations),
		cmocka_unit_test(test_ascii_vectors),
		cmocka_unit_test(test_imatest_templates),
		cmocka_unit_test(test_binary_writer_matches_kernel),
		cmocka_unit_test(test_ascii_writer_parity),
		cmocka_unit_test(test_binary_bad_input_table),
		cmocka_unit_test(test_ascii_bad_input_table),
		cmocka_unit_test(test_digest_mismatch_is_a_verdict),
		cmocka_unit_test(test_violation_extends_ff),
		cmocka_unit_test(test_incremental_replay),
		cmocka_unit_test(test_decision_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
