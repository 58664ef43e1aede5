/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attested statement ("quote message") that a ward attester signs: what the verifier holds
 * the log to. Encoded big-endian like TPM structures (docs/evidence-format.md, "Quote message"):
 *
 *   magic "WARDQ002" (8) | u16 len + attester type | u16 len + root | u16 len + ward version |
 *   u16 len + nonce | u16 len + bound key | u32 flags | u32 pcr | u64 first record |
 *   u64 record count | u16 bank count | per bank, ascending TPM_ALG_ID: u16 TPM_ALG_ID +
 *   register value
 *
 * "root" says what the signature rests on, as the attester found it: "soft", "tpm" (a TPM
 * that does not call itself a software TPM), "swtpm" (libtpms: swtpm, or a host's vTPM built
 * on it), "sev-snp", "tdx". "bound key" is a public key the statement vouches for (the
 * monitor's key for tsm, a channel key later), empty when none. Version 1 statements
 * ("WARDQ001": no root, no bound key, no flags) still decode, with root = attester type.
 *
 * No field is optional and nothing may follow: one byte string per statement.
 */
#ifndef WARD_ABI_QUOTE_H
#define WARD_ABI_QUOTE_H

#include <stdint.h>

#include "core/diag.h"
#include "core/util.h"
#include "ward/hash.h"
#include "ward/limits.h"

#define WARD_QUOTE_MAGIC "WARDQ002"
#define WARD_QUOTE_MAGIC_V1 "WARDQ001"
#define WARD_ATTESTER_TYPE_MAX 16
#define WARD_VERSION_STR_MAX 32
#define WARD_ROOT_STR_MAX 16
#define WARD_QUOTE_PCR_MAX 23 /* PCRs 0..23 of the PC Client profile: ward writes no other */
#define WARD_BOUND_KEY_MAX 1024 /* DER SubjectPublicKeyInfo: RSA-4096 fits */

/* flags */
#define WARD_QUOTE_IMA_ACTIVE (1u << 0) /* the kernel's IMA was measuring when quoted */
/* made for a client of the attested channel (ward/channel.h), never `ward evidence` output */
#define WARD_QUOTE_CHANNEL (1u << 1)
#define WARD_QUOTE_FLAGS_KNOWN (WARD_QUOTE_IMA_ACTIVE | WARD_QUOTE_CHANNEL)

struct ward_quote_msg {
	char attester_type[WARD_ATTESTER_TYPE_MAX];
	char root[WARD_ROOT_STR_MAX];
	char ward_version[WARD_VERSION_STR_MAX];
	uint8_t nonce[WARD_NONCE_MAX];
	size_t nonce_len;
	uint8_t bound_key[WARD_BOUND_KEY_MAX];
	size_t bound_key_len;
	uint32_t flags; /* WARD_QUOTE_* */
	uint32_t pcr;
	uint64_t first_record;
	uint64_t record_count;
	unsigned banks; /* mask of enum ward_hash_alg */
	uint8_t reg[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE];
};

/**
 * quote_msg_encode() - serialise @m.
 * @m: the statement.
 * @out: buffer appended to.
 *
 * Return: 0, -EINVAL for an out-of-range field, -ENOMEM.
 */
int quote_msg_encode(const struct ward_quote_msg *m, struct buf *out);

/**
 * quote_msg_decode() - parse a statement strictly (exact length, known banks, ascending, known
 * flags); a version 1 statement gets root = attester type, no bound key, no flags.
 * @buf: bytes.
 * @len: their number.
 * @ret: the statement.
 * @d: diagnostics naming the offset.
 *
 * Return: 0 or -EBADMSG.
 */
int quote_msg_decode(const uint8_t *buf, size_t len, struct ward_quote_msg *ret,
		     struct ward_diag *d);

#endif
