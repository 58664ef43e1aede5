/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a ward-policy record's buffer (canonical JSON in an ima-buf record), as the
 * verifier and `ward log show` read a state dir's policy transitions. The input becomes the buf
 * field of a record named ward-policy. A transition has exactly one byte string, so whatever
 * decodes must encode back to exactly the input, and it is no other kind of ward event.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/decision.h"

static bool key_id_ok(const char *s)
{
	if (strncmp(s, "ed25519:", 8) != 0 || strlen(s) != 72)
		return false;
	for (s += 8; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_evlog_record rec = { 0 }, again = { 0 };
	struct ward_policy_event ev;
	struct ward_decision dec;
	struct ward_domain_event dev;
	struct ward_service_event sev;
	struct ward_diag d = { { 0 } };
	const uint8_t *buf;
	uint32_t len;
	int err;

	/* Twice the decoder's own limit: enough to reach its refusal of larger buffers. */
	if (size > 2 * WARD_DECISION_MAX)
		return -1;

	FUZZ_ASSERT(evlog_record_new_buf(WARD_IMA_PCR, WARD_POLICY_RECORD_NAME, data,
					 (uint32_t)size, &rec) == 0);
	/* A policy record is no other ward event, whatever it holds. */
	FUZZ_ASSERT(decision_from_record(&rec, &dec, NULL) == -ENOENT);
	FUZZ_ASSERT(domain_event_from_record(&rec, &dev, NULL) == -ENOENT);
	FUZZ_ASSERT(service_event_from_record(&rec, &sev, NULL) == -ENOENT);
	err = policy_event_from_record(&rec, &ev, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ENOMEM);
	if (err < 0) {
		FUZZ_ASSERT(err == -ENOMEM || d.msg[0] != '\0');
		FUZZ_ASSERT(err == -ENOMEM || strncmp(d.msg, "ward-policy", 11) == 0);
		evlog_record_free(&rec);
		return 0;
	}
	FUZZ_ASSERT(policy_action_name(ev.action));
	FUZZ_ASSERT(memchr(ev.name, '\0', sizeof(ev.name)));
	FUZZ_ASSERT(key_id_ok(ev.issuer));
	FUZZ_ASSERT(ev.version <= INT64_MAX && ev.high_water <= INT64_MAX);

	FUZZ_ASSERT(policy_event_record_new(WARD_IMA_PCR, &ev, &again) == 0);
	buf = evlog_record_field(&again, WARD_TF_BUF, &len);
	FUZZ_ASSERT(buf && len == size && memcmp(buf, data, size) == 0);
	FUZZ_ASSERT(again.data_len == rec.data_len &&
		    memcmp(again.data, rec.data, rec.data_len) == 0);

	evlog_record_free(&again);
	evlog_record_free(&rec);
	return 0;
}
