/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the payload of a RECORDS message on the control channel between a sandbox's
 * monitor and wardd (sandbox_ctl_records_decode, include/ward/sandbox.h), which wardd decodes
 * and writes to the log. Layout, per record, in host byte order: u32 pcr, u32 name length (1 to
 * 255), the template name, u32 data length, the template data.
 *
 * Whatever decodes must be records every later reader can use as it uses any parsed record
 * (fields inside the data, the name and digest readable, the sentinel NUL after the data), and
 * must encode back to exactly the input: the layout has one spelling per list of records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ward/decision.h"
#include "ward/sandbox.h"

static volatile unsigned fuzz_sink;

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		fuzz_sink += b[i];
}

static size_t put_u32(uint8_t *out, size_t off, uint32_t v)
{
	memcpy(out + off, &v, 4);
	return off + 4;
}

static void use_record(const struct ward_evlog_record *r)
{
	struct ward_file_digest fd;
	struct ward_decision dec;
	struct ward_service_event sev;
	const char *name;
	int err;

	FUZZ_ASSERT(r->template_name && r->data);
	FUZZ_ASSERT(strlen(r->template_name) >= 1 && strlen(r->template_name) <= 255);
	FUZZ_ASSERT(r->nfields > 0 && r->nfields <= WARD_TEMPLATE_FIELDS_MAX);
	for (uint8_t f = 0; f < r->nfields; f++) {
		FUZZ_ASSERT(r->field_id[f] < __WARD_TF_MAX);
		FUZZ_ASSERT(r->field_off[f] <= r->data_len);
		FUZZ_ASSERT(r->field_len[f] <= r->data_len - r->field_off[f]);
	}
	/* As after every parser (ward/evlog.h): the legacy name is read through it. */
	FUZZ_ASSERT(r->data[r->data_len] == '\0');
	name = evlog_record_name(r);
	if (name)
		touch(name, strlen(name) + 1);
	err = evlog_record_file_digest(r, &fd);
	FUZZ_ASSERT(err == 0 || err == -ENOENT);
	if (err == 0) {
		FUZZ_ASSERT(fd.digest >= r->data && fd.digest <= r->data + r->data_len);
		FUZZ_ASSERT(fd.len <= (size_t)(r->data + r->data_len - fd.digest));
		touch(fd.digest, fd.len);
	}
	err = decision_from_record(r, &dec, NULL);
	FUZZ_ASSERT(err == 0 || err == -ENOENT || err == -EBADMSG);
	err = service_event_from_record(r, &sev, NULL);
	FUZZ_ASSERT(err == 0 || err == -ENOENT || err == -EBADMSG || err == -ENOMEM);
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		uint8_t td[WARD_HASH_MAX_SIZE];

		FUZZ_ASSERT(evlog_record_digest(r, a, td) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_evlog_record *recs = NULL;
	const uint8_t *in;
	uint8_t *again;
	size_t n = 0, off = 0;
	int err;

	/* wardd never decodes a payload larger than one message. */
	if (size > WARD_SANDBOX_CTL_MAX)
		return -1;
	in = fuzz_guarded_copy(data, size); /* a read past the payload faults */
	err = sandbox_ctl_records_decode(in, size, &recs, &n);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ENOMEM);
	if (err < 0)
		return 0;
	FUZZ_ASSERT(n <= WARD_APPEND_BATCH_MAX);
	FUZZ_ASSERT(n == 0 || recs);
	again = malloc(size ? size : 1);
	FUZZ_ASSERT(again);
	for (size_t i = 0; i < n; i++) {
		uint32_t nl = (uint32_t)strlen(recs[i].template_name);

		use_record(&recs[i]);
		FUZZ_ASSERT(off + 8 + nl + 4 + (size_t)recs[i].data_len <= size);
		off = put_u32(again, off, recs[i].pcr);
		off = put_u32(again, off, nl);
		memcpy(again + off, recs[i].template_name, nl);
		off = put_u32(again, off + nl, recs[i].data_len);
		memcpy(again + off, recs[i].data, recs[i].data_len);
		off += recs[i].data_len;
	}
	FUZZ_ASSERT(off == size && memcmp(again, data, size) == 0);
	free(again);
	for (size_t i = 0; i < n; i++)
		evlog_record_free(&recs[i]);
	free(recs);
	return 0;
}
