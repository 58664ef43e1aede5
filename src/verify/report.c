/* SPDX-License-Identifier: Apache-2.0 */
/* What every hardware report verifier shares: the result and its reasons. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/report.h"

int report_result_add_reason(struct ward_report_result *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	r->verdict = WARD_VERDICT_FAIL;
	va_start(ap, fmt);
	k = strv_append_vfmt(&r->reasons, &r->n_reasons, fmt, ap);
	va_end(ap);
	return k;
}

void report_result_clear(struct ward_report_result *r)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		free(r->reasons[i]);
	free(r->reasons);
	json_decref(r->facts);
	*r = (struct ward_report_result){ 0 };
}
