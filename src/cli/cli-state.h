/* SPDX-License-Identifier: Apache-2.0 */
/* CLI helpers for verbs that use the state dir. */
#ifndef WARD_CLI_STATE_H
#define WARD_CLI_STATE_H

#include "ward/decision.h"
#include "ward/policy-state.h"
#include "ward/state.h"

/* Open the state dir named by the global options; prints errors. Return: 0 or an exit code. */
int cli_open_state(unsigned flags, struct ward_state **ret);

/*
 * The policy a monitor starts with: @path when given (its signature @path.sig, when present,
 * must verify with a trusted issuer; without one it is recorded as unsigned), else the state
 * dir's installed policy (deny-all when revoked; *ret NULL when none was ever installed: the
 * domain is measure-only). Fills @ret_pref for the domain's records. Prints errors.
 * Return: 0 or an exit code.
 */
int cli_monitor_policy(struct ward_state *st, const char *path, struct ward_policy **ret,
		       struct ward_policy_ref *ret_pref, enum ward_policy_status *ret_status);

/* --pcr N: 0..23, or -2 for anything else (refused with its reason by state_open_with()). */
int cli_parse_pcr(const char *s);

/* Handle the common long options (state dir, attester, tcti, pcr). Return: 1 if handled. */
int cli_parse_common(int c, const char *arg);

#endif
