/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the SEV-SNP certificate table a tsm bundle carries as "aux" (the sev_guest
 * auxblob; GHCB spec 56421, 4.1.8.1), as `ward verify` reads it to find the VCEK. Input: the
 * table. Every input must be refused as malformed with a message, or give entries that each lie
 * wholly after the table inside the input, are not empty, and neither repeat a GUID nor overlap;
 * and a lookup must agree with the entries.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "verify/verify-tsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsm_cert_entry e[WARD_TSM_CERT_ENTRIES_MAX];
	struct ward_diag d = {{0}};
	const uint8_t *buf, *cert = NULL;
	size_t n = SIZE_MAX, clen = 0, table_end;
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;
	buf = fuzz_guarded_copy(data, size);
	err = tsm_cert_table_parse(buf, size, e, &n, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		FUZZ_ASSERT(n == SIZE_MAX); /* written only on success */
		FUZZ_ASSERT(tsm_cert_table_find(buf, size, tsm_guid_vcek, &cert, &clen, &d) ==
			    -EBADMSG);
		return 0;
	}
	FUZZ_ASSERT(n <= WARD_TSM_CERT_ENTRIES_MAX);
	table_end = size ? (n + 1) * TSM_CERT_ENTRY_SIZE : 0;
	FUZZ_ASSERT(table_end <= size);
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = e[i].offset, hi = lo + e[i].length;

		FUZZ_ASSERT(e[i].length > 0 && lo >= table_end && hi <= size);
		for (size_t k = 0; k < i; k++) {
			FUZZ_ASSERT(memcmp(e[i].guid, e[k].guid, 16) != 0);
			FUZZ_ASSERT(hi <= e[k].offset || (uint64_t)e[k].offset + e[k].length <= lo);
		}
	}
	err = tsm_cert_table_find(buf, size, tsm_guid_vcek, &cert, &clen, &d);
	FUZZ_ASSERT(err == 0 || err == -ENOENT);
	if (err == 0) {
		bool listed = false;

		FUZZ_ASSERT(cert >= buf + table_end && cert + clen <= buf + size && clen > 0);
		for (size_t i = 0; i < n; i++)
			listed |= memcmp(e[i].guid, tsm_guid_vcek, 16) == 0 &&
				  buf + e[i].offset == cert && e[i].length == clen;
		FUZZ_ASSERT(listed);
	}
	return 0;
}
