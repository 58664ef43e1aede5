/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the prior state `ward verify --prior` reads (the --json output of an earlier
 * verification, or its "state" object alone). It decides where an incremental verification
 * starts, so whatever it accepts must be a state the verifier can use as is.
 */
#include <errno.h>

#include "fuzz.h"
#include "ward/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_verify_prior p;
	struct ward_diag d = { { 0 } };
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;

	err = verify_prior_parse(data, size, &p, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(p.pcr <= 23);
	FUZZ_ASSERT((p.banks & ~WARD_HASH_ALL_MASK) == 0);
	FUZZ_ASSERT(p.public_key_len <= sizeof(p.public_key));
	return 0;
}
