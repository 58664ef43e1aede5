/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: an SEV-SNP attestation report with its VCEK, as `ward report verify --type snp`
 * judges them. Input: a flags byte, the report's length (u16 little-endian), the report, and
 * the rest is the VCEK/VLEK certificate (DER). The roots are the built-in AMD ones, so no
 * mutation may come out valid unless AMD's chain and the VCEK's signature still hold; every
 * input must be refused as malformed with a message, or judged with a reason per failed check.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/report.h"

/* The times the corpus's vectors verify at (shared/vectors/SOURCES.md §1). */
static const int64_t nows[] = {
	1704067200, /* 2024-01-01: virtee, trustee VCEK, Azure Milan */
	1748736000, /* 2025-06-01: trustee VLEK, Genoa */
	1664020800, /* 2022-09-24T12:00:00Z: go-sev-guest */
	1767225600, /* 2026-01-01: Azure Genoa; the VLEK has expired */
};

#define FLAG_ALLOW_DEBUG 0x01
#define FLAG_REPORT_DATA 0x02 /* expect REPORT_DATA = the report's first 64 bytes */
#define FLAG_NO_VCEK 0x04
#define FLAG_NOW_SHIFT 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_report_opts o = { 0 };
	struct ward_report_result res = { .n_reasons = 0 };
	struct ward_diag d = { { 0 } };
	const uint8_t *report, *buf;
	size_t report_len;
	uint8_t flags;
	int err;

	if (size > FUZZ_INPUT_MAX || size < 3)
		return -1;
	buf = fuzz_guarded_copy(data, size);
	flags = buf[0];
	report_len = (size_t)buf[1] | (size_t)buf[2] << 8;
	if (report_len > size - 3)
		return -1;
	report = buf + 3;
	o.now = nows[(flags >> FLAG_NOW_SHIFT) % (sizeof(nows) / sizeof(nows[0]))];
	o.allow_debug = flags & FLAG_ALLOW_DEBUG;
	if ((flags & FLAG_REPORT_DATA) && report_len >= 64) {
		o.has_report_data = true;
		memcpy(o.report_data, report, 64);
	}
	if (!(flags & FLAG_NO_VCEK)) {
		o.vcek_der = report + report_len;
		o.vcek_len = size - 3 - report_len;
	}

	err = report_verify_snp(report, report_len, &o, &res, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		/* ret is written only on success. */
		FUZZ_ASSERT(res.n_reasons == 0 && !res.facts && !res.reasons);
		return 0;
	}
	FUZZ_ASSERT(report_len == 1184);
	FUZZ_ASSERT(res.facts != NULL);
	if (res.verdict == WARD_VERDICT_PASS) {
		FUZZ_ASSERT(res.n_reasons == 0);
		/* A report that passes was signed by a certificate that was given. */
		FUZZ_ASSERT(o.vcek_der != NULL);
	} else {
		FUZZ_ASSERT(res.verdict == WARD_VERDICT_FAIL && res.n_reasons > 0);
		for (size_t i = 0; i < res.n_reasons; i++)
			FUZZ_ASSERT(res.reasons[i] && res.reasons[i][0]);
	}
	report_result_clear(&res);
	return 0;
}
