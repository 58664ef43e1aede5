/* SPDX-License-Identifier: Apache-2.0 */
/* ward policy SUBCOMMAND: dispatch to one file per group of subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} subs[] = {
	{ "scan", cli_policy_scan, "write an allowlist of files, dirs or packages" },
	{ "import-keylime", cli_policy_import_keylime, "convert a Keylime runtime policy" },
	{ "keygen", cli_policy_keygen, "make an Ed25519 issuer key pair" },
	{ "sign", cli_policy_sign, "sign a policy file (FILE.sig)" },
	{ "verify", cli_policy_verify, "check a policy file's signature" },
	{ "trust", cli_policy_trust, "add a trusted issuer key to a state dir" },
	{ "install", cli_policy_install, "install a signed policy; running domains switch to it" },
	{ "status", cli_policy_status, "the active policy, the high-water mark, the issuers" },
	{ "show", cli_policy_show, "print the active (or a given) policy" },
	{ "diff", cli_policy_diff, "what a policy file changes against the active one" },
	{ "revoke", cli_policy_revoke, "withdraw the active policy: every exec is denied" },
};

static void usage(FILE *f)
{
	fputs("Usage: ward policy COMMAND [OPTIONS]\n"
	      "\n"
	      "Policies: signed, versioned allowlists and domain settings (docs/policy-format.md).\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		fprintf(f, "  %-15s %s\n", subs[i].name, subs[i].summary);
	fputs("\n'ward policy COMMAND --help' describes each.\n", f);
}

int verb_policy(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	return cli_error(EXIT_USAGE, "policy: unknown command '%s' (see 'ward policy --help')",
			 argv[1]);
}
