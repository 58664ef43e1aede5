/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics: library code never prints; a fallible function that can explain itself takes an
 * optional struct ward_diag and writes one sentence there (where: file, offset or line; what).
 * The caller, usually the CLI, decides whether and how to show it.
 */
#ifndef WARD_CORE_DIAG_H
#define WARD_CORE_DIAG_H

#include <stddef.h>

struct ward_diag {
	char msg[512];
};

/**
 * diag_set() - record why an operation failed, printf-style.
 * @d: the diagnostics buffer, or NULL to discard.
 * @err: the negative errno the caller is about to return.
 * @fmt: format of the message.
 *
 * Return: @err, so that callers can write `return diag_set(d, -EBADMSG, "...")`.
 */
int diag_set(struct ward_diag *d, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * diag_prefix() - prepend context ("evidence: ") to a message already recorded.
 * @d: the diagnostics buffer, or NULL.
 * @fmt: format of the prefix.
 */
void diag_prefix(struct ward_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
