/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks run on every log a fuzzed parser accepts: a log that parses is then trusted by replay,
 * the verifier and the writers, so each of them must cope with whatever the parser let through.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/decision.h"

/* Reads that the compiler cannot drop, so that ASan sees every byte a pointer claims. */
static volatile unsigned fuzz_sink;

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		fuzz_sink += b[i];
}

static void use_record(const struct ward_evlog_record *r)
{
	struct ward_file_digest fd;
	struct ward_decision dec;
	const char *name;
	int err;

	FUZZ_ASSERT(r->template_name && r->data);
	FUZZ_ASSERT(r->pcr <= 23);
	FUZZ_ASSERT(r->nfields > 0 && r->nfields <= WARD_TEMPLATE_FIELDS_MAX);
	for (uint8_t f = 0; f < r->nfields; f++) {
		FUZZ_ASSERT(r->field_id[f] < __WARD_TF_MAX);
		FUZZ_ASSERT(r->field_off[f] <= r->data_len);
		FUZZ_ASSERT(r->field_len[f] <= r->data_len - r->field_off[f]);
	}
	/* Every parser appends a NUL after the data: names are read through it. */
	FUZZ_ASSERT(r->data[r->data_len] == '\0');

	name = evlog_record_name(r);
	if (name)
		touch(name, strlen(name) + 1);

	err = evlog_record_file_digest(r, &fd);
	FUZZ_ASSERT(err == 0 || err == -ENOENT);
	if (err == 0) {
		FUZZ_ASSERT(memchr(fd.alg, '\0', sizeof(fd.alg)));
		FUZZ_ASSERT(memchr(fd.type, '\0', sizeof(fd.type)));
		FUZZ_ASSERT(fd.digest >= r->data && fd.digest <= r->data + r->data_len);
		FUZZ_ASSERT(fd.len <= (size_t)(r->data + r->data_len - fd.digest));
		touch(fd.digest, fd.len);
	}

	err = decision_from_record(r, &dec, NULL);
	FUZZ_ASSERT(err == 0 || err == -ENOENT || err == -EBADMSG);
	if (err == 0) {
		FUZZ_ASSERT(decision_verdict_name(dec.verdict));
		FUZZ_ASSERT(decision_grant_name(dec.grant));
	}
}

void fuzz_use_log(const struct ward_evlog *log)
{
	uint8_t reg[WARD_HASH_MAX_SIZE];
	struct ward_diag d = { { 0 } };
	enum ward_verdict v;
	size_t bad = SIZE_MAX;

	FUZZ_ASSERT((unsigned)log->log_bank < __WARD_HASH_MAX);
	FUZZ_ASSERT(log->n <= log->cap);

	FUZZ_ASSERT(evlog_check_digests(log, &v, &bad, &d) == 0);
	FUZZ_ASSERT(v == WARD_VERDICT_PASS || (v == WARD_VERDICT_FAIL && bad < log->n));

	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		memset(reg, 0, sizeof(reg));
		FUZZ_ASSERT(evlog_replay(log, 0, log->n, WARD_IMA_PCR, a, reg) == 0);
		if (log->n > 0 && log->rec[0].pcr != WARD_IMA_PCR)
			FUZZ_ASSERT(evlog_replay(log, 0, log->n, log->rec[0].pcr, a, reg) == 0);
	}
	/* A range past the end is refused, never read. */
	FUZZ_ASSERT(evlog_replay(log, log->n, 1, WARD_IMA_PCR, log->log_bank, reg) == -ERANGE);
	FUZZ_ASSERT(evlog_replay(log, 1, SIZE_MAX, WARD_IMA_PCR, log->log_bank, reg) == -ERANGE);

	for (size_t i = 0; i < log->n; i++)
		use_record(&log->rec[i]);
}

static void same_record(const struct ward_evlog_record *a, const struct ward_evlog_record *b)
{
	FUZZ_ASSERT(a->pcr == b->pcr);
	FUZZ_ASSERT(strcmp(a->template_name, b->template_name) == 0);
	FUZZ_ASSERT(a->data_len == b->data_len);
	FUZZ_ASSERT(memcmp(a->data, b->data, a->data_len) == 0);
	FUZZ_ASSERT(a->violation == b->violation);
	FUZZ_ASSERT(a->nfields == b->nfields);
}

void fuzz_binary_round_trip(const struct ward_evlog *log, const uint8_t *orig, size_t orig_len)
{
	struct ward_diag d = { { 0 } };
	struct ward_evlog again;
	uint8_t digest[WARD_HASH_MAX_SIZE];
	size_t bad, dlen = hash_alg_size(log->log_bank);
	enum ward_verdict v, v_again;
	struct buf out = { 0 };
	int err;

	FUZZ_ASSERT(evlog_write_binary(log, 0, log->log_bank, &out) == 0);

	evlog_init(&again);
	err = evlog_parse_binary(out.data, out.len, log->log_bank, &again, &d);
	if (err < 0)
		fprintf(stderr, "fuzz: reparse of the written binary list: %s\n", d.msg);
	FUZZ_ASSERT(err == 0);
	FUZZ_ASSERT(again.n == log->n);
	FUZZ_ASSERT(again.log_bank == log->log_bank);
	for (size_t i = 0; i < log->n; i++) {
		const struct ward_evlog_record *r = &again.rec[i];

		same_record(&log->rec[i], r);
		/* The writer computed each template digest: the copy carries exactly those. */
		if (!r->violation) {
			FUZZ_ASSERT(evlog_record_digest(r, again.log_bank, digest) == 0);
			FUZZ_ASSERT(memcmp(digest, r->given_digest, dlen) == 0);
		}
	}
	/*
	 * The check also judges content (an ima-buf's digest against its buffer), which writing
	 * leaves alone: when the original checks, so must the copy. A copy of an original that did
	 * not check may: its template digests were recomputed.
	 */
	FUZZ_ASSERT(evlog_check_digests(log, &v, &bad, NULL) == 0);
	FUZZ_ASSERT(evlog_check_digests(&again, &v_again, &bad, NULL) == 0);
	if (v == WARD_VERDICT_PASS) {
		FUZZ_ASSERT(v_again == WARD_VERDICT_PASS);
		if (orig) {
			FUZZ_ASSERT(out.len == orig_len);
			FUZZ_ASSERT(orig_len == 0 || memcmp(out.data, orig, orig_len) == 0);
		}
	}
	evlog_free(&again);
	buf_free(&out);
}

void fuzz_ascii_round_trip(const struct ward_evlog *log, bool strict)
{
	struct ward_diag d = { { 0 } };
	struct ward_evlog again;
	struct buf text = { 0 };
	int err;

	/*
	 * A name with a CR parses from text (the kernel prints names raw) but cannot be written
	 * back, since readers drop a CR before the newline: refusing it is right, whatever the
	 * source.
	 */
	err = evlog_write_ascii(log, 0, log->log_bank, &text);
	FUZZ_ASSERT(err == 0 || err == -EILSEQ || (!strict && err == -EOPNOTSUPP));
	if (err == 0) {
		evlog_init(&again);
		err = evlog_parse_ascii((const char *)text.data, text.len, &again, &d);
		if (err < 0 && strict)
			fprintf(stderr, "fuzz: reparse of the written ASCII list: %s\n", d.msg);
		FUZZ_ASSERT(err == 0 || !strict);
		/*
		 * Text that parses back must hold the very records written: what the writer cannot
		 * spell it must refuse, or an exported list would replay to another register (or,
		 * with a newline in a name, carry a forged record).
		 */
		if (err == 0) {
			FUZZ_ASSERT(again.n == log->n);
			FUZZ_ASSERT(again.log_bank == log->log_bank);
			for (size_t i = 0; i < log->n; i++)
				same_record(&log->rec[i], &again.rec[i]);
		}
		evlog_free(&again);
	}
	buf_free(&text);
}
