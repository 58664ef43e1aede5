/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a ward-service record's buffer (canonical JSON in an ima-buf record), as the
 * verifier and `ward log show` read the services a log registers. The input becomes the buf
 * field of a record named ward-service. A registration has exactly one byte string, so whatever
 * decodes must encode back to exactly the input.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/decision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_evlog_record rec = { 0 }, again = { 0 };
	struct ward_service_event ev;
	struct ward_decision dec;
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;
	int err;

	/* Twice the decoder's own limit: enough to reach its refusal of larger buffers. */
	if (size > 2 * WARD_DECISION_MAX)
		return -1;

	FUZZ_ASSERT(evlog_record_new_buf(WARD_IMA_PCR, WARD_SERVICE_RECORD_NAME, data,
					 (uint32_t)size, &rec) == 0);
	/* A service record is no other ward event, whatever it holds. */
	FUZZ_ASSERT(decision_from_record(&rec, &dec, NULL) == -ENOENT);
	err = service_event_from_record(&rec, &ev, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ENOMEM);
	if (err < 0) {
		FUZZ_ASSERT(err == -ENOMEM || d.msg[0] != '\0');
		evlog_record_free(&rec);
		return 0;
	}
	FUZZ_ASSERT(memchr(ev.service, '\0', sizeof(ev.service)));
	FUZZ_ASSERT(memchr(ev.domain, '\0', sizeof(ev.domain)));
	FUZZ_ASSERT(memchr(ev.mode, '\0', sizeof(ev.mode)));
	FUZZ_ASSERT(memchr(ev.policy_name, '\0', sizeof(ev.policy_name)));
	FUZZ_ASSERT(!strcmp(ev.mode, "enforce") || !strcmp(ev.mode, "audit") ||
		    !strcmp(ev.mode, "measure"));
	FUZZ_ASSERT(ev.has_policy || (ev.policy_name[0] == '\0' && ev.policy_version == 0));

	FUZZ_ASSERT(service_event_record_new(WARD_IMA_PCR, &ev, &again) == 0);
	buf = evlog_record_field(&again, WARD_TF_BUF, &len);
	FUZZ_ASSERT(buf && len == size && memcmp(buf, data, size) == 0);
	FUZZ_ASSERT(again.data_len == rec.data_len &&
		    memcmp(again.data, rec.data, rec.data_len) == 0);

	evlog_record_free(&again);
	evlog_record_free(&rec);
	return 0;
}
