/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: what wardd's channel endpoint parses from an anonymous client, in its order: a
 * frame header where HELLO is due, the HELLO, then a header where REQUEST is due and the
 * REQUEST. The input is the decrypted byte stream. The codec is strict, so whatever decodes
 * must encode back to exactly the bytes it came from (one meaning, one encoding).
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/channel.h"

static bool frame(const uint8_t **p, size_t *n, enum ward_ch_type want, const uint8_t **ret,
		  uint32_t *ret_len)
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
	/* the server takes nothing but what it asked for (ERROR stands only for server frames) */
	FUZZ_ASSERT(t == want);
	FUZZ_ASSERT(len <= ch_payload_max(t));
	*p += WARD_CH_HDR_LEN;
	*n -= WARD_CH_HDR_LEN;
	if (*n < len)
		return false;
	*ret = *p;
	*ret_len = len;
	*p += len;
	*n -= len;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_ch_hello h;
	struct ward_diag d = { { 0 } };
	struct buf out = { 0 };
	const uint8_t *p = data, *pl;
	size_t n = size;
	uint32_t len;
	uint64_t input_len;
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;
	if (!frame(&p, &n, WARD_CH_HELLO, &pl, &len))
		return 0;
	err = ch_hello_decode(pl, len, &h, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(h.nonce_len >= WARD_CH_NONCE_MIN && h.nonce_len <= WARD_CH_NONCE_MAX);
	FUZZ_ASSERT(memchr(h.service, '\0', sizeof(h.service)) && h.service[0]);
	FUZZ_ASSERT(ch_hello_encode(&h, &out) == 0);
	FUZZ_ASSERT(out.len == len && memcmp(out.data, pl, len) == 0);
	buf_free(&out);
	{
		uint8_t nn[64], x[WARD_CH_EXPORTER_LEN] = { 0 }, k[32] = { 0 };

		ch_binding_nonce(h.nonce, h.nonce_len, x, k, h.service, nn);
	}
	if (!frame(&p, &n, WARD_CH_REQUEST, &pl, &len))
		return 0;
	err = ch_request_decode(pl, len, &input_len, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err == 0) {
		uint8_t back[8];

		FUZZ_ASSERT(len == 8);
		ch_request_encode(back, input_len);
		FUZZ_ASSERT(memcmp(back, pl, 8) == 0);
	}
	return 0;
}
