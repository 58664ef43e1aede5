/* SPDX-License-Identifier: Apache-2.0 */
/* The ward CLI: one file per verb over libward; shared conventions live here. */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/diag.h"
#include "ward/hash.h"

/* Exit codes, the same for every verb. */
enum {
	EXIT_OK = 0,	  /* success, trusted, allowed */
	EXIT_VERDICT = 1, /* a negative verdict: untrusted, invalid, denied */
	EXIT_USAGE = 2,	  /* malformed input or usage error */
	EXIT_WARD = 125,  /* ward run: ward itself failed */
	EXIT_DENIED = 126 /* ward run: the command was denied */
};

struct cli_global {
	const char *state_dir; /* NULL: WARD_STATE_DIR or the built-in default */
	const char *attester;  /* --attester, NULL when not given */
	const char *tcti;      /* --tcti, NULL when not given */
	int pcr;	       /* --pcr, -1 when not given */
};

enum { CLI_OPT_TCTI = 0x101, CLI_OPT_PCR };

extern struct cli_global cli_global;

/* Print "ward: <msg>" on stderr; returns @code for `return cli_error(...)`. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The state directory in force: --state-dir, WARD_STATE_DIR, then the default. */
const char *cli_state_dir(void);

/* Parse a bank name for an option; prints the error. Return: 0 or EXIT_USAGE. */
int cli_parse_bank(const char *opt, const char *s, enum ward_hash_alg *ret);

/* Parse --nonce HEX (1..64 bytes). Return: 0 or EXIT_USAGE. */
int cli_parse_nonce(const char *s, unsigned char *out, size_t *ret_len);

/* --state-dir, --attester, --tcti and --pcr inside a verb's option loop (cli_parse_common()). */
#define CLI_COMMON_LONGOPTS                                                                        \
	{ "state-dir", required_argument, NULL, 's' }, { "attester", required_argument, NULL, 'A' }, \
	{ "tcti", required_argument, NULL, CLI_OPT_TCTI },                                         \
	{ "pcr", required_argument, NULL, CLI_OPT_PCR }, { "help", no_argument, NULL, 'h' }

int verb_log(int argc, char **argv);
int verb_run(int argc, char **argv);
int verb_measure(int argc, char **argv);
int verb_attester(int argc, char **argv);
int verb_evidence(int argc, char **argv);
int verb_policy(int argc, char **argv);
/* ward policy SUBCOMMAND: argv[0] is the subcommand's name (policy-scan.c, policy-key.c,
 * policy-life.c). */
int cli_policy_scan(int argc, char **argv);
int cli_policy_import_keylime(int argc, char **argv);
int cli_policy_keygen(int argc, char **argv);
int cli_policy_sign(int argc, char **argv);
int cli_policy_verify(int argc, char **argv);
int cli_policy_trust(int argc, char **argv);
int cli_policy_install(int argc, char **argv);
int cli_policy_status(int argc, char **argv);
int cli_policy_show(int argc, char **argv);
int cli_policy_diff(int argc, char **argv);
int cli_policy_revoke(int argc, char **argv);
int verb_verify(int argc, char **argv);
int verb_report(int argc, char **argv);
int verb_sandbox(int argc, char **argv);
int verb_call(int argc, char **argv);


/* Write @len bytes to @path ("-" or NULL: stdout), replacing the file atomically. Return: 0 or exit code. */
int cli_write_output(const char *path, const void *buf, size_t len, mode_t mode);

/* Read a whole input file with a limit; prints the error. Return: 0 or EXIT_USAGE. */
int cli_read_input(const char *path, size_t max, const char *what, unsigned char **ret, size_t *ret_len);

#endif
