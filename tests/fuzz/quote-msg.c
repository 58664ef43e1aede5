/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the attested statement (quote message) that the attester signs and the verifier
 * decodes. The format allows one byte string per statement, so whatever decodes must encode back
 * to exactly the input: otherwise two different signed strings would mean the same statement.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/abi/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_quote_msg m;
	struct ward_diag d = { { 0 } };
	struct buf out = { 0 };
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;

	err = quote_msg_decode(data, size, &m, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(m.attester_type[0] != '\0');
	FUZZ_ASSERT(memchr(m.attester_type, '\0', sizeof(m.attester_type)));
	FUZZ_ASSERT(memchr(m.ward_version, '\0', sizeof(m.ward_version)));
	FUZZ_ASSERT(m.nonce_len > 0 && m.nonce_len <= WARD_NONCE_MAX);
	FUZZ_ASSERT(m.banks != 0 && (m.banks & ~WARD_HASH_ALL_MASK) == 0);

	FUZZ_ASSERT(m.root[0] != '\0' && memchr(m.root, '\0', sizeof(m.root)));
	FUZZ_ASSERT(m.pcr <= WARD_QUOTE_PCR_MAX);

	FUZZ_ASSERT(quote_msg_encode(&m, &out) == 0);
	if (memcmp(data, WARD_QUOTE_MAGIC_V1, 8) != 0) {
		FUZZ_ASSERT(out.len == size && memcmp(out.data, data, size) == 0);
	} else {
		/* a version 1 statement is re-encoded as version 2, with the same content */
		struct ward_quote_msg back;

		FUZZ_ASSERT(quote_msg_decode(out.data, out.len, &back, &d) == 0);
		FUZZ_ASSERT(strcmp(back.attester_type, m.attester_type) == 0 &&
			    strcmp(back.root, m.root) == 0 && back.pcr == m.pcr &&
			    back.nonce_len == m.nonce_len && back.banks == m.banks &&
			    back.first_record == m.first_record &&
			    back.record_count == m.record_count && back.flags == 0 &&
			    back.bound_key_len == 0 &&
			    memcmp(back.nonce, m.nonce, m.nonce_len) == 0 &&
			    memcmp(back.reg, m.reg, sizeof(m.reg)) == 0);
	}
	buf_free(&out);
	return 0;
}
