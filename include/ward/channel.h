/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attested client channel's wire format (docs/channel.md), shared by wardd's TLS endpoint
 * and the client library. Inside TLS 1.3 every message is a frame:
 *
 *   u8 type | u8[3] zero | u32 length (big-endian) | payload (length bytes)
 *
 * HELLO (client): u16 version | u8 nonce length (16..64) | nonce | u8 name length | service
 * EVIDENCE (server): an evidence bundle (docs/evidence-format.md), JSON
 * REQUEST (client): u64 input length; that many raw input bytes follow the frame
 * RESULT (server): u32 status | i32 exit status | u64 output length | u64 stderr length |
 *                  u16 message length | message; output then stderr follow the frame, raw
 * ERROR (server): u32 status | message; the server closes after it
 *
 * The statement's nonce binds the client's nonce to this TLS connection and the server's key:
 * ch_binding_nonce(). Pure codec: no I/O, no TLS.
 */
#ifndef WARD_CHANNEL_H
#define WARD_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/util.h"
#include "ward/limits.h"
#include "ward/manifest.h"

#define WARD_CH_VERSION 1
#define WARD_CH_HDR_LEN 8
/* RFC 9266: the tls-exporter channel binding, 32 bytes, no context. */
#define WARD_CH_EXPORTER_LABEL "EXPORTER-Channel-Binding"
#define WARD_CH_EXPORTER_LEN 32
#define WARD_CH_NONCE_MIN 16
#define WARD_CH_NONCE_MAX 64
#define WARD_CH_MSG_MAX 255
/* The largest EVIDENCE a client takes (a log of some 400,000 records). */
#define WARD_CH_EVIDENCE_MAX (64u << 20)
/* The label hashed into every channel statement's nonce (the statement also has the
 * WARD_QUOTE_CHANNEL flag): a channel statement is never taken for `ward evidence` output. */
#define WARD_CH_PURPOSE "ward channel v1"

enum ward_ch_type {
	WARD_CH_HELLO = 1,
	WARD_CH_EVIDENCE = 2,
	WARD_CH_REQUEST = 3,
	WARD_CH_RESULT = 4,
	WARD_CH_ERROR = 5,
};

struct ward_ch_hello {
	uint8_t nonce[WARD_CH_NONCE_MAX];
	size_t nonce_len;
	char service[WARD_SERVICE_NAME_MAX];
};

struct ward_ch_result {
	uint32_t status;     /* enum ward_sandbox_status */
	int32_t exit_status; /* the service's, -1 if it did not run */
	uint64_t output_len; /* RESULT: raw bytes that follow the frame */
	uint64_t stderr_len;
	char msg[WARD_CH_MSG_MAX + 1];
};

/** ch_payload_max() - the largest payload a frame of @type may have (0: unknown type). */
size_t ch_payload_max(enum ward_ch_type type);

/** ch_hdr_encode() - the 8-byte frame header. */
void ch_hdr_encode(uint8_t out[WARD_CH_HDR_LEN], enum ward_ch_type type, uint32_t len);

/**
 * ch_hdr_decode() - a frame header, checked: known type, @want (or any when 0), zero bytes,
 * length within ch_payload_max().
 * Return: 0, -EBADMSG (with the reason in @d).
 */
int ch_hdr_decode(const uint8_t in[WARD_CH_HDR_LEN], enum ward_ch_type want,
		  enum ward_ch_type *ret_type, uint32_t *ret_len, struct ward_diag *d);

/** ch_hello_encode() - a HELLO payload. Return: 0, -EINVAL (bad nonce or name), -ENOMEM. */
int ch_hello_encode(const struct ward_ch_hello *h, struct buf *out);
/** ch_hello_decode() - a HELLO payload, strictly (exact length, version, name). Return: 0,
 * -EBADMSG. */
int ch_hello_decode(const uint8_t *p, size_t len, struct ward_ch_hello *ret, struct ward_diag *d);

/** ch_request_encode() - a REQUEST payload (8 bytes). */
void ch_request_encode(uint8_t out[8], uint64_t input_len);
/** ch_request_decode() - a REQUEST payload. Return: 0, -EBADMSG. */
int ch_request_decode(const uint8_t *p, size_t len, uint64_t *ret_input_len, struct ward_diag *d);

/** ch_result_encode() - a RESULT or ERROR payload (ERROR: only status and msg). Return: 0,
 * -ENOMEM. */
int ch_result_encode(enum ward_ch_type type, const struct ward_ch_result *r, struct buf *out);
/** ch_result_decode() - a RESULT or ERROR payload, strictly. Return: 0, -EBADMSG. */
int ch_result_decode(enum ward_ch_type type, const uint8_t *p, size_t len,
		     struct ward_ch_result *ret, struct ward_diag *d);

/**
 * ch_binding_nonce() - the nonce the server's statement must carry:
 * SHA-512(WARD_CH_PURPOSE || 0x00 || u8 nonce length || nonce || exporter (32) ||
 *         SHA-256(server certificate's SubjectPublicKeyInfo) || u8 name length || service).
 * Both ends compute it from what they see of this TLS connection: a relay or a replay gives
 * another value.
 */
void ch_binding_nonce(const uint8_t *nonce, size_t nonce_len,
		      const uint8_t exporter[WARD_CH_EXPORTER_LEN], const uint8_t spki_sha256[32],
		      const char *service, uint8_t out[64]);

#endif
