/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a ward-domain record's buffer (canonical JSON in an ima-buf record), as the
 * verifier reads the domains a log carries. Whatever decodes must encode back to exactly the
 * input (one domain, one byte string).
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/decision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_evlog_record rec = { 0 }, again = { 0 };
	struct ward_domain_event ev;
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;
	int err;

	if (size > 2 * WARD_DECISION_MAX)
		return -1;
	FUZZ_ASSERT(evlog_record_new_buf(WARD_IMA_PCR, WARD_DOMAIN_RECORD_NAME, data,
					 (uint32_t)size, &rec) == 0);
	err = domain_event_from_record(&rec, &ev, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ENOMEM);
	if (err < 0) {
		FUZZ_ASSERT(err == -ENOMEM || d.msg[0] != '\0');
		evlog_record_free(&rec);
		return 0;
	}
	FUZZ_ASSERT(memchr(ev.domain, '\0', sizeof(ev.domain)));
	FUZZ_ASSERT(ev.n_code <= WARD_DOMAIN_DIRS_MAX && ev.n_data_dirs <= WARD_DOMAIN_DIRS_MAX);
	FUZZ_ASSERT(domain_event_record_new(WARD_IMA_PCR, &ev, &again) == 0);
	buf = evlog_record_field(&again, WARD_TF_BUF, &len);
	FUZZ_ASSERT(buf && len == size && memcmp(buf, data, size) == 0);
	domain_event_free(&ev);
	evlog_record_free(&again);
	evlog_record_free(&rec);
	return 0;
}
