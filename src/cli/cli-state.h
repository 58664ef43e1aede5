/* SPDX-License-Identifier: Apache-2.0 */
/* CLI helpers for verbs that use the state dir. */
#ifndef WARD_CLI_STATE_H
#define WARD_CLI_STATE_H

#include "ward/state.h"

/* Open the state dir named by the global options; prints errors. Return: 0 or an exit code. */
int cli_open_state(unsigned flags, struct ward_state **ret);

/* Load the policy file @path through @st's policy index cache; prints errors.
 * Return: 0 or an exit code (EXIT_WARD). */
int cli_load_policy(struct ward_state *st, const char *path, struct ward_policy **ret);

/* Handle the common long options ('s' state dir, 'A' attester). Return: 1 if handled. */
int cli_parse_common(int c, const char *arg);

#endif
