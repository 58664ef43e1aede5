/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the kernel's binary measurement list (binary_runtime_measurements*), as
 * `ward log replay` reads one and as evidence carries one, with the digest width detected (which
 * parses the list once per width and checks digests to pick one). What parses is then used and
 * written back (evlog-common.c).
 */
#include <errno.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_diag d = { { 0 } };
	struct ward_evlog log;
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;
	data = fuzz_guarded_copy(data, size);

	evlog_init(&log);
	err = evlog_parse_binary(data, size, __WARD_HASH_MAX, &log, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ENOTUNIQ || err == -E2BIG);
	if (err < 0) {
		/* Refused input must be explained, and leave the log empty. */
		FUZZ_ASSERT(d.msg[0] != '\0');
		FUZZ_ASSERT(log.n == 0);
	} else {
		fuzz_use_log(&log);
		fuzz_binary_round_trip(&log, data, size);
		fuzz_ascii_round_trip(&log, false);
	}
	evlog_free(&log);
	return 0;
}
