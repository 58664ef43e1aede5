/* SPDX-License-Identifier: Apache-2.0 */
/* ward: entry point, global options and verb dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "core/util.h"
#include "ward-config.h"
#include "ward/limits.h"

struct cli_global cli_global = { .pcr = -1 };

static void __attribute__((format(printf, 1, 0))) vmsg(const char *fmt, va_list ap)
{
	fputs("ward: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return code;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

const char *cli_state_dir(void)
{
	const char *env;

	if (cli_global.state_dir)
		return cli_global.state_dir;
	env = getenv("WARD_STATE_DIR");
	if (env && *env)
		return env;
	return WARD_DEFAULT_STATE_DIR;
}

int cli_parse_bank(const char *opt, const char *s, enum ward_hash_alg *ret)
{
	if (hash_alg_from_name(s, ret) < 0)
		return cli_error(EXIT_USAGE, "%s: unknown bank '%s' (sha1, sha256, sha384, sha512)",
				 opt, s);
	return 0;
}

int cli_parse_nonce(const char *s, unsigned char *out, size_t *ret_len)
{
	size_t n = strlen(s);

	if (n == 0 || n > 2 * WARD_NONCE_MAX || hex_decode(s, n, out, WARD_NONCE_MAX, ret_len) < 0)
		return cli_error(EXIT_USAGE,
				 "--nonce: expected 1 to %d bytes as lower-case hex (2 to %d digits)",
				 WARD_NONCE_MAX, 2 * WARD_NONCE_MAX);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} verbs[] = {
	{ "run", verb_run, "run a command in an integrity domain (ward is its monitor)" },
	{ "log", verb_log, "show, export and replay measurement logs" },
	{ "measure", verb_measure, "measure files into the log" },
	{ "attester", verb_attester, "the state dir's root of trust (pubkey)" },
	{ "evidence", verb_evidence, "export signed evidence for a verifier's nonce" },
	{ "policy", verb_policy, "reference values: scan files into an allowlist" },
	{ "verify", verb_verify, "verify an evidence bundle (offline)" },
	{ "report", verb_report, "verify a raw SEV-SNP report, TDX quote or TPM quote (offline)" },
	{ "sandbox", verb_sandbox, "run one request in a sealed sandbox, here or through wardd" },
	{ "call", verb_call, "one request to a wardd service over the attested channel" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ward [--state-dir DIR] [--attester soft|tpm|tsm] [--tcti TCTI] [--pcr N] VERB\n"
		"            [ARGS]...\n"
		"\n"
		"ward measures and enforces the integrity of user-space code in confidential VMs\n"
		"and exports evidence that a remote verifier checks offline.\n"
		"\n"
		"Verbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f,
		"\n"
		"Global options:\n"
		"  --state-dir DIR   state directory (default: $WARD_STATE_DIR or %s)\n"
		"  --attester TYPE   root of trust fixed when a state dir is first used: soft,\n"
		"                    tpm (default where /dev/tpmrm0 exists) or tsm\n"
		"  --tcti TCTI       tpm: how to reach the TPM (default %s;\n"
		"                    swtpm:path=SOCK, swtpm:host=H,port=N, mssim:...)\n"
		"  --pcr N           the PCR of a new state dir (default 10, IMA's: a tpm state\n"
		"                    dir on a kernel whose IMA measures must name another)\n"
		"  -h, --help        this help; 'ward VERB --help' for a verb\n"
		"  -V, --version     print the version\n"
		"\n"
		"Exit status: 0 success or trusted, 1 negative verdict, 2 malformed input or usage.\n",
		WARD_DEFAULT_STATE_DIR, WARD_TPM_DEFAULT_TCTI);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "attester", required_argument, NULL, 'A' },
		{ "tcti", required_argument, NULL, CLI_OPT_TCTI },
		{ "pcr", required_argument, NULL, CLI_OPT_PCR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c;

	/* Global options stop at the verb: the verb parses the rest. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli_global.state_dir = optarg;
			break;
		case 'A':
		case CLI_OPT_TCTI:
		case CLI_OPT_PCR:
			cli_parse_common(c, optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("ward %s (%s)\n", WARD_VERSION, OpenSSL_version(OPENSSL_VERSION));
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0) {
			int vargc = argc - optind;
			char **vargv = argv + optind;

			optind = 0; /* reset getopt for the verb (0 also re-reads GNU extensions) */
			return verbs[i].fn(vargc, vargv);
		}
	return cli_error(EXIT_USAGE, "unknown verb '%s' (see 'ward --help')", argv[optind]);
}
