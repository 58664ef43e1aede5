/* SPDX-License-Identifier: Apache-2.0 */
/* Pieces of the sandbox layer shared between its files; not part of libward's API. */
#ifndef WARD_SANDBOX_INTERNAL_H
#define WARD_SANDBOX_INTERNAL_H

#include "ward/sandbox.h"

/**
 * sandbox_service_note() - remember the objects @recs measured as known to @svc (in this
 * process: a sandbox's monitor under wardd notes what wardd wrote for it).
 * Return: 0, -E2BIG beyond WARD_SANDBOX_KNOWN_MAX, -ENOMEM.
 */
int sandbox_service_note(struct ward_sandbox_service *svc, const struct ward_evlog_record *recs,
			 size_t n);

/**
 * sandbox_host_check() - the host settings no sandbox may run without: kernel.core_pattern
 * not a pipe or socket helper, /proc mounted with hidepid=invisible (or ptraceable).
 * Checked when a service is registered and again before every sandbox.
 * Return: 0, -EPERM with the reason in @d, or -errno.
 */
int sandbox_host_check(struct ward_diag *d);

#endif
