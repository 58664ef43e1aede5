/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: report_verify_tpm(), the TPM 2.0 quote verifier, on three untrusted inputs at
 * once. One input is split as u16 attest length, u16 signature length (big-endian), TPMS_ATTEST,
 * TPMT_SIGNATURE, and the rest is the key's TPMT_PUBLIC (the nonce is a plain comparison, not
 * fuzzed). Whatever parses must yield a verdict consistent with its reasons; whatever does not
 * must say why.
 */
#include <errno.h>
#include <jansson.h>

#include "fuzz.h"
#include "ward/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_report_result res = { 0 };
	struct ward_diag d = { { 0 } };
	struct ward_report_opts o = { 0 };
	const uint8_t *p;
	size_t alen, slen;
	int err;

	if (size > FUZZ_INPUT_MAX || size < 4)
		return -1;
	/* The key comes last so that a read past its end hits the guard page (guard.c). */
	p = fuzz_guarded_copy(data, size);
	alen = (size_t)p[0] << 8 | p[1];
	slen = (size_t)p[2] << 8 | p[3];
	if (alen + slen > size - 4)
		return -1;
	o.tpm_sig = p + 4 + alen;
	o.tpm_sig_len = slen;
	o.tpm_ak = p + 4 + alen + slen;
	o.tpm_ak_len = size - 4 - alen - slen;

	err = report_verify_tpm(p + 4, alen, &o, &res, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(json_is_object(res.facts));
	FUZZ_ASSERT(json_is_boolean(json_object_get(res.facts, "magic_ok")));
	FUZZ_ASSERT(json_is_string(json_object_get(res.facts, "key_name")));
	FUZZ_ASSERT((res.verdict == WARD_VERDICT_PASS) == (res.n_reasons == 0));
	for (size_t i = 0; i < res.n_reasons; i++)
		FUZZ_ASSERT(res.reasons[i] && res.reasons[i][0] != '\0');
	report_result_clear(&res);
	return 0;
}
