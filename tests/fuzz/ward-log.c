/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a copy of ward's own on-disk log (framed records), as `ward log replay
 * STATE_DIR/log` reads one. What parses is used and written back like a kernel list.
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
	err = evlog_parse_ward_file(data, size, &log, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0)
		FUZZ_ASSERT(d.msg[0] != '\0');
	else
		fuzz_use_log(&log);
	evlog_free(&log);
	return 0;
}
