/* SPDX-License-Identifier: Apache-2.0 */
/* Template digest checks and replay of a log into register values. */
#include <errno.h>
#include <string.h>

#include "evlog/evlog-internal.h"

/*
 * An ima-buf record's d-ng is the digest of its buffer: the kernel computes it, so a record
 * whose two disagree was not written by a kernel (or by ward) and does not check out.
 */
static bool buf_digest_matches(const struct ward_evlog_record *r)
{
	struct ward_file_digest fd;
	uint8_t digest[WARD_HASH_MAX_SIZE];
	enum ward_hash_alg alg;
	const uint8_t *buf;
	uint32_t len;

	buf = evlog_record_field(r, WARD_TF_BUF, &len);
	if (!buf || evlog_record_file_digest(r, &fd) < 0 || hash_alg_from_name(fd.alg, &alg) < 0)
		return true; /* not an ima-buf record, or an algorithm ward does not compute */
	if (hash_buf(alg, buf, len, digest) < 0)
		return false;
	return fd.len == hash_alg_size(alg) && memcmp(digest, fd.digest, fd.len) == 0;
}

int evlog_check_digests(const struct ward_evlog *log, enum ward_verdict *ret_verdict, size_t *ret_bad,
			struct ward_diag *d)
{
	uint8_t digest[WARD_HASH_MAX_SIZE];
	size_t n = hash_alg_size(log->log_bank);

	for (size_t i = 0; i < log->n; i++) {
		const struct ward_evlog_record *r = &log->rec[i];
		int err;

		/* The kernel zeroes a violation's digest and extends 0xff: nothing to recompute. */
		if (r->violation || !r->has_given_digest)
			continue;
		err = evlog_record_digest(r, log->log_bank, digest);
		if (err < 0)
			return err;
		bool td_ok = memcmp(digest, r->given_digest, n) == 0;

		if (!td_ok || !buf_digest_matches(r)) {
			*ret_verdict = WARD_VERDICT_FAIL;
			if (ret_bad)
				*ret_bad = i;
			diag_set(d, 0, "%s %llu (record %zu, %s): %s",
				 log->src_ascii ? "line" : "offset", (unsigned long long)r->src_pos, i,
				 evlog_record_name(r) ? evlog_record_name(r) : r->template_name,
				 td_ok ? "buffer digest does not match the buffer"
				       : "template digest does not match its data");
			return 0;
		}
	}
	*ret_verdict = WARD_VERDICT_PASS;
	return 0;
}

int evlog_replay(const struct ward_evlog *log, size_t first, size_t count, uint32_t pcr,
		 enum ward_hash_alg bank, uint8_t *reg)
{
	uint8_t digest[WARD_HASH_MAX_SIZE];

	if (first > log->n || count > log->n - first)
		return -ERANGE;
	for (size_t i = first; i < first + count; i++) {
		int err;

		if (log->rec[i].pcr != pcr)
			continue;
		if ((err = evlog_record_digest(&log->rec[i], bank, digest)) < 0 ||
		    (err = hash_extend(bank, reg, digest)) < 0)
			return err;
	}
	return 0;
}
