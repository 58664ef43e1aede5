/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: report_verify_tdx(), the TDX quote verifier, on a quote and collateral at once.
 * The input is u16 quote length (big-endian), the quote, and the rest, when not empty, is PCS
 * collateral JSON given both as TCB info and as QE identity (the two share one parser). Whatever
 * parses must yield a verdict consistent with its reasons and the facts a user is shown;
 * whatever does not must say why.
 */
#include <errno.h>
#include <jansson.h>

#include "fuzz.h"
#include "ward/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_report_result res = {0};
	struct ward_diag d = {{0}};
	/* 2023-07-01T01:00:00Z: the SPR seed's PCK chain is valid then. */
	struct ward_report_opts o = {.now = 1688173200LL};
	const uint8_t *p;
	size_t qlen;
	int err;

	if (size > FUZZ_INPUT_MAX || size < 2)
		return -1;
	/* The collateral comes last so that a read past its end hits the guard page (guard.c). */
	p = fuzz_guarded_copy(data, size);
	qlen = (size_t)p[0] << 8 | p[1];
	if (qlen > size - 2)
		return -1;
	if (size - 2 - qlen > 0) {
		o.tcb_info = o.qe_identity = p + 2 + qlen;
		o.tcb_info_len = o.qe_identity_len = size - 2 - qlen;
	}
	o.allow_debug = qlen & 1;

	err = report_verify_tdx(p + 2, qlen, &o, &res, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(json_is_object(res.facts));
	FUZZ_ASSERT(json_is_integer(json_object_get(res.facts, "version")));
	FUZZ_ASSERT(json_is_string(json_object_get(res.facts, "mrtd")));
	FUZZ_ASSERT(json_is_string(json_object_get(res.facts, "report_data")));
	FUZZ_ASSERT((res.verdict == WARD_VERDICT_PASS) == (res.n_reasons == 0));
	for (size_t i = 0; i < res.n_reasons; i++)
		FUZZ_ASSERT(res.reasons[i] && res.reasons[i][0] != '\0');
	report_result_clear(&res);
	return 0;
}
