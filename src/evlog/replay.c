/* SPDX-License-Identifier: Apache-2.0 */
/* Template digest checks and replay of a log into register values. */
#include <errno.h>
#include <string.h>

#include "evlog/evlog-internal.h"

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
		if (memcmp(digest, r->given_digest, n) != 0) {
			*ret_verdict = WARD_VERDICT_FAIL;
			if (ret_bad)
				*ret_bad = i;
			diag_set(d, 0, "%s %llu (record %zu, %s): template digest does not match its data",
				 log->src_ascii ? "line" : "offset", (unsigned long long)r->src_pos, i,
				 evlog_record_name(r) ? evlog_record_name(r) : r->template_name);
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
