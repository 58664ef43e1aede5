/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a ward-decision record's buffer (canonical JSON in an ima-buf record), as the
 * verifier reads the decisions a log carries. The input becomes the buf field of a record named
 * ward-decision. A decision has exactly one byte string, so whatever decodes must encode back to
 * exactly the input.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/decision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_evlog_record rec = { 0 }, again = { 0 };
	struct ward_decision dec;
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;
	int err;

	/* Twice the decoder's own limit: enough to reach its refusal of larger buffers. */
	if (size > 2 * WARD_DECISION_MAX)
		return -1;

	FUZZ_ASSERT(evlog_record_new_buf(WARD_IMA_PCR, WARD_DECISION_NAME, data, (uint32_t)size,
					 &rec) == 0);
	err = decision_from_record(&rec, &dec, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		evlog_record_free(&rec);
		return 0;
	}
	FUZZ_ASSERT(decision_verdict_name(dec.verdict) && decision_grant_name(dec.grant));
	FUZZ_ASSERT(memchr(dec.domain, '\0', sizeof(dec.domain)));
	FUZZ_ASSERT(memchr(dec.path, '\0', sizeof(dec.path)));
	FUZZ_ASSERT(memchr(dec.reason, '\0', sizeof(dec.reason)));
	FUZZ_ASSERT(memchr(dec.policy_name, '\0', sizeof(dec.policy_name)));

	FUZZ_ASSERT(decision_record_new(WARD_IMA_PCR, &dec, &again) == 0);
	buf = evlog_record_field(&again, WARD_TF_BUF, &len);
	FUZZ_ASSERT(buf && len == size && memcmp(buf, data, size) == 0);
	FUZZ_ASSERT(again.data_len == rec.data_len &&
		    memcmp(again.data, rec.data, rec.data_len) == 0);

	evlog_record_free(&again);
	evlog_record_free(&rec);
	return 0;
}
