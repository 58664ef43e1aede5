/* SPDX-License-Identifier: Apache-2.0 */
/* ward attester pubkey */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-state.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("Usage: ward attester pubkey [--state-dir DIR] [--attester soft|tpm] [--tcti TCTI]\n"
	      "                           [--pcr N]\n"
	      "\n"
	      "Print the public key (PEM) that signs this state dir's evidence: the soft attester's\n"
	      "Ed25519 key, or the tpm attester's attestation key (ECC P-256, made in the TPM on\n"
	      "first use). A verifier pins it with 'ward verify --soft-key FILE' or '--ak-key FILE'.\n"
	      "The attester of a state dir is fixed when the dir is first used: tpm where a TPM\n"
	      "device exists, else soft, or as --attester says; --tcti tells the tpm attester how\n"
	      "to reach the TPM (default " WARD_TPM_DEFAULT_TCTI ", or e.g. swtpm:path=SOCK).\n",
	      f);
}

int verb_attester(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS, {} };
	struct ward_state *s = NULL;
	struct ward_diag d = { { 0 } };
	char *pem = NULL;
	int c, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "pubkey") != 0)
		return cli_error(EXIT_USAGE, "attester: unknown command '%s' (pubkey)", argv[1]);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (cli_parse_common(c, optarg))
			continue;
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind != argc)
		return cli_error(EXIT_USAGE, "attester pubkey: unexpected argument '%s'", argv[optind]);
	if ((r = cli_open_state(WARD_STATE_ATTESTER, &s)))
		return r;
	r = attest_pubkey_pem(s->att, &pem, &d);
	if (r < 0)
		r = cli_error(EXIT_VERDICT, "%s", d.msg);
	else
		fputs(pem, stdout);
	free(pem);
	state_close(s);
	return r < 0 ? EXIT_VERDICT : r;
}
