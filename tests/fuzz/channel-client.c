/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: what libward-client parses from the server (or from whoever sits in the
 * middle), in its order: a header where EVIDENCE is due (an ERROR may stand for it), its
 * payload (the bundle itself is fuzz-evidence's), then a header where RESULT is due and the
 * RESULT or ERROR. The input is the decrypted byte stream. Whatever decodes must encode back
 * to exactly its bytes, and a message never carries a control byte to the client's terminal.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/channel.h"

static bool frame(const uint8_t **p, size_t *n, enum ward_ch_type want,
		  enum ward_ch_type *ret_type, const uint8_t **ret, uint32_t *ret_len)
{
	struct ward_diag d = { { 0 } };
	enum ward_ch_type t = 0;
	uint32_t len = 0;
	int err;

	if (*n < WARD_CH_HDR_LEN)
		return false;
	err = ch_hdr_decode(*p, want, &t, &len, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return false;
	}
	FUZZ_ASSERT(t == want || t == WARD_CH_ERROR);
	FUZZ_ASSERT(len <= ch_payload_max(t));
	*p += WARD_CH_HDR_LEN;
	*n -= WARD_CH_HDR_LEN;
	if (*n < len)
		return false;
	*ret_type = t;
	*ret = *p;
	*ret_len = len;
	*p += len;
	*n -= len;
	return true;
}

/* A RESULT or ERROR payload: strict, canonical, printable. */
static void answer(enum ward_ch_type t, const uint8_t *pl, uint32_t len)
{
	struct ward_ch_result r;
	struct ward_diag d = { { 0 } };
	struct buf out = { 0 };
	int err = ch_result_decode(t, pl, len, &r, &d);

	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return;
	}
	FUZZ_ASSERT(strlen(r.msg) <= WARD_CH_MSG_MAX);
	for (const char *c = r.msg; *c; c++)
		FUZZ_ASSERT(*c >= 0x20 && *c <= 0x7e);
	if (t == WARD_CH_ERROR)
		FUZZ_ASSERT(r.exit_status == -1 && r.output_len == 0 && r.stderr_len == 0);
	FUZZ_ASSERT(ch_result_encode(t, &r, &out) == 0);
	FUZZ_ASSERT(out.len == len && memcmp(out.data, pl, len) == 0);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *pl;
	size_t n = size;
	enum ward_ch_type t;
	uint32_t len;

	if (size > FUZZ_INPUT_MAX)
		return -1;
	if (!frame(&p, &n, WARD_CH_EVIDENCE, &t, &pl, &len))
		return 0;
	if (t == WARD_CH_ERROR) {
		answer(t, pl, len);
		return 0;
	}
	if (!frame(&p, &n, WARD_CH_RESULT, &t, &pl, &len))
		return 0;
	answer(t, pl, len);
	return 0;
}
