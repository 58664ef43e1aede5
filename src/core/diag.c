/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/diag.h"

int diag_set(struct ward_diag *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return err;
}

void diag_prefix(struct ward_diag *d, const char *fmt, ...)
{
	char prefix[sizeof(d->msg)], old[sizeof(d->msg)];
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	size_t pl = strnlen(prefix, sizeof(prefix) - 1);

	memcpy(old, d->msg, sizeof(old));
	memcpy(d->msg, prefix, pl);
	/* The message keeps as much of its tail as fits; truncation is acceptable here. */
	memcpy(d->msg + pl, old, sizeof(d->msg) - pl - 1);
	d->msg[sizeof(d->msg) - 1] = '\0';
}
