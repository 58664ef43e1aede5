/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the kernel's ascii_runtime_measurements, as `ward log replay` reads one (and as
 * Keylime and others keep them). The input is handed over with its exact length, no NUL after it
 * and an unmapped page right after its last byte: the parser takes (buf, len) and must not read
 * past len. What parses is then used and written back in both formats (evlog-common.c).
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
	err = evlog_parse_ascii((const char *)data, size, &log, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -EOPNOTSUPP || err == -E2BIG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
	} else {
		FUZZ_ASSERT(log.n > 0);
		FUZZ_ASSERT(log.src_ascii);
		fuzz_use_log(&log);
		fuzz_binary_round_trip(&log, NULL, 0);
		fuzz_ascii_round_trip(&log, true);
	}
	evlog_free(&log);
	return 0;
}
