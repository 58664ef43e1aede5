/* SPDX-License-Identifier: Apache-2.0 */
/* What every hardware report verifier shares: the result and its reasons. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cleanup-ossl.h"
#include "ward/report.h"

int report_result_add_reason(struct ward_report_result *r, const char *fmt, ...)
{
	char **n = realloc(r->reasons, (r->n_reasons + 1) * sizeof(*n));
	va_list ap;
	int k;

	if (!n)
		return -ENOMEM;
	r->reasons = n;
	va_start(ap, fmt);
	k = vasprintf(&r->reasons[r->n_reasons], fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	r->n_reasons++;
	r->verdict = WARD_VERDICT_FAIL;
	return 0;
}

void report_result_clear(struct ward_report_result *r)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		free(r->reasons[i]);
	free(r->reasons);
	json_decref(r->facts);
	*r = (struct ward_report_result){ 0 };
}
