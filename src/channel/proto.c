/* SPDX-License-Identifier: Apache-2.0 */
/* The channel's frames (ward/channel.h): strict, bounded, shared by server and client. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ward/channel.h"
#include "ward/hash.h"
#include "ward/manifest.h"

#define HELLO_MAX (2 + 1 + WARD_CH_NONCE_MAX + 1 + WARD_SERVICE_NAME_MAX - 1)
#define RESULT_FIXED (4 + 4 + 8 + 8 + 2)

size_t ch_payload_max(enum ward_ch_type type)
{
	switch (type) {
	case WARD_CH_HELLO:
		return HELLO_MAX;
	case WARD_CH_EVIDENCE:
		return WARD_CH_EVIDENCE_MAX;
	case WARD_CH_REQUEST:
		return 8;
	case WARD_CH_RESULT:
		return RESULT_FIXED + WARD_CH_MSG_MAX;
	case WARD_CH_ERROR:
		return 4 + WARD_CH_MSG_MAX;
	}
	return 0;
}

static const char *type_name(unsigned t)
{
	static const char *const names[] = { "?", "HELLO", "EVIDENCE", "REQUEST", "RESULT",
					     "ERROR" };

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

void ch_hdr_encode(uint8_t out[WARD_CH_HDR_LEN], enum ward_ch_type type, uint32_t len)
{
	out[0] = (uint8_t)type;
	out[1] = out[2] = out[3] = 0;
	put_be32(out + 4, len);
}

int ch_hdr_decode(const uint8_t in[WARD_CH_HDR_LEN], enum ward_ch_type want,
		  enum ward_ch_type *ret_type, uint32_t *ret_len, struct ward_diag *d)
{
	uint32_t len = get_be32(in + 4);
	size_t max = ch_payload_max((enum ward_ch_type)in[0]);

	if (max == 0)
		return diag_set(d, -EBADMSG, "channel: unknown frame type %u", in[0]);
	if (in[1] || in[2] || in[3])
		return diag_set(d, -EBADMSG, "channel: %s frame with non-zero reserved bytes",
				type_name(in[0]));
	if (want && in[0] != want && !(want == WARD_CH_RESULT && in[0] == WARD_CH_ERROR) &&
	    !(want == WARD_CH_EVIDENCE && in[0] == WARD_CH_ERROR))
		return diag_set(d, -EBADMSG, "channel: %s frame where %s was due", type_name(in[0]),
				type_name(want));
	if (len > max)
		return diag_set(d, -EBADMSG, "channel: %s frame of %u bytes (at most %zu)",
				type_name(in[0]), len, max);
	*ret_type = (enum ward_ch_type)in[0];
	*ret_len = len;
	return 0;
}

int ch_hello_encode(const struct ward_ch_hello *h, struct buf *out)
{
	size_t nl = strnlen(h->service, sizeof(h->service));
	uint8_t b[3];
	int r;

	if (h->nonce_len < WARD_CH_NONCE_MIN || h->nonce_len > WARD_CH_NONCE_MAX ||
	    !manifest_name_ok(h->service, nl))
		return -EINVAL;
	put_be16(b, WARD_CH_VERSION);
	b[2] = (uint8_t)h->nonce_len;
	if ((r = buf_append(out, b, 3)) < 0 || (r = buf_append(out, h->nonce, h->nonce_len)) < 0)
		return r;
	b[0] = (uint8_t)nl;
	if ((r = buf_append(out, b, 1)) < 0)
		return r;
	return buf_append(out, h->service, nl);
}

int ch_hello_decode(const uint8_t *p, size_t len, struct ward_ch_hello *ret, struct ward_diag *d)
{
	struct ward_ch_hello h = { 0 };
	size_t nl, sl;

	if (len < 3)
		return diag_set(d, -EBADMSG, "channel: HELLO of %zu bytes", len);
	if (get_be16(p) != WARD_CH_VERSION)
		return diag_set(d, -EBADMSG, "channel: HELLO version %u (this side speaks %d)",
				get_be16(p), WARD_CH_VERSION);
	nl = p[2];
	if (nl < WARD_CH_NONCE_MIN || nl > WARD_CH_NONCE_MAX)
		return diag_set(d, -EBADMSG, "channel: a nonce of %zu bytes (%d..%d)", nl,
				WARD_CH_NONCE_MIN, WARD_CH_NONCE_MAX);
	if (len < 3 + nl + 1)
		return diag_set(d, -EBADMSG, "channel: HELLO truncated");
	memcpy(h.nonce, p + 3, nl);
	h.nonce_len = nl;
	sl = p[3 + nl];
	if (len != 3 + nl + 1 + sl)
		return diag_set(d, -EBADMSG, "channel: HELLO of %zu bytes, its fields make %zu", len,
				3 + nl + 1 + sl);
	if (!manifest_name_ok((const char *)p + 4 + nl, sl))
		return diag_set(d, -EBADMSG, "channel: not a service name");
	memcpy(h.service, p + 4 + nl, sl);
	*ret = h;
	return 0;
}

void ch_request_encode(uint8_t out[8], uint64_t input_len)
{
	put_be64(out, input_len);
}

int ch_request_decode(const uint8_t *p, size_t len, uint64_t *ret_input_len, struct ward_diag *d)
{
	if (len != 8)
		return diag_set(d, -EBADMSG, "channel: REQUEST of %zu bytes (8)", len);
	*ret_input_len = get_be64(p);
	return 0;
}

int ch_result_encode(enum ward_ch_type type, const struct ward_ch_result *r, struct buf *out)
{
	size_t ml = strnlen(r->msg, WARD_CH_MSG_MAX);
	uint8_t b[RESULT_FIXED];
	int k;

	put_be32(b, r->status);
	if (type == WARD_CH_ERROR) {
		if ((k = buf_append(out, b, 4)) < 0)
			return k;
		return buf_append(out, r->msg, ml);
	}
	put_be32(b + 4, (uint32_t)r->exit_status);
	put_be64(b + 8, r->output_len);
	put_be64(b + 16, r->stderr_len);
	put_be16(b + 24, (uint16_t)ml);
	if ((k = buf_append(out, b, sizeof(b))) < 0)
		return k;
	return buf_append(out, r->msg, ml);
}

static int msg_copy(char *dst, const uint8_t *p, size_t n, struct ward_diag *d)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return diag_set(d, -EBADMSG, "channel: a message with a control byte");
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int ch_result_decode(enum ward_ch_type type, const uint8_t *p, size_t len,
		     struct ward_ch_result *ret, struct ward_diag *d)
{
	struct ward_ch_result r = { .exit_status = -1 };
	size_t ml;
	int k;

	if (type == WARD_CH_ERROR) {
		if (len < 4 || len > 4 + WARD_CH_MSG_MAX)
			return diag_set(d, -EBADMSG, "channel: ERROR of %zu bytes", len);
		r.status = get_be32(p);
		if ((k = msg_copy(r.msg, p + 4, len - 4, d)) < 0)
			return k;
		*ret = r;
		return 0;
	}
	if (type != WARD_CH_RESULT || len < RESULT_FIXED)
		return diag_set(d, -EBADMSG, "channel: RESULT of %zu bytes", len);
	r.status = get_be32(p);
	r.exit_status = (int32_t)get_be32(p + 4);
	r.output_len = get_be64(p + 8);
	r.stderr_len = get_be64(p + 16);
	ml = get_be16(p + 24);
	if (ml > WARD_CH_MSG_MAX || len != RESULT_FIXED + ml)
		return diag_set(d, -EBADMSG, "channel: RESULT of %zu bytes with a %zu-byte message",
				len, ml);
	if ((k = msg_copy(r.msg, p + RESULT_FIXED, ml, d)) < 0)
		return k;
	*ret = r;
	return 0;
}

void ch_binding_nonce(const uint8_t *nonce, size_t nonce_len,
		      const uint8_t exporter[WARD_CH_EXPORTER_LEN], const uint8_t spki_sha256[32],
		      const char *service, uint8_t out[64])
{
	uint8_t b[sizeof(WARD_CH_PURPOSE) + 1 + WARD_CH_NONCE_MAX + WARD_CH_EXPORTER_LEN + 32 + 1 +
		  WARD_SERVICE_NAME_MAX];
	size_t n = 0, sl = strnlen(service, WARD_SERVICE_NAME_MAX - 1);

	if (nonce_len > WARD_CH_NONCE_MAX)
		nonce_len = WARD_CH_NONCE_MAX;
	memcpy(b, WARD_CH_PURPOSE, sizeof(WARD_CH_PURPOSE)); /* with its NUL */
	n = sizeof(WARD_CH_PURPOSE);
	b[n++] = (uint8_t)nonce_len;
	memcpy(b + n, nonce, nonce_len);
	n += nonce_len;
	memcpy(b + n, exporter, WARD_CH_EXPORTER_LEN);
	n += WARD_CH_EXPORTER_LEN;
	memcpy(b + n, spki_sha256, 32);
	n += 32;
	b[n++] = (uint8_t)sl;
	memcpy(b + n, service, sl);
	n += sl;
	hash_buf(WARD_HASH_SHA512, b, n, out);
}
