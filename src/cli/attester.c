/* SPDX-License-Identifier: Apache-2.0 */
/* ward attester pubkey|status */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "core/cleanup-ossl.h"

static void usage(FILE *f)
{
	fputs("Usage: ward attester pubkey [--state-dir DIR] [--attester soft|tpm] [--tcti TCTI]\n"
	      "                           [--pcr N]\n"
	      "       ward attester status [--state-dir DIR] [--json]\n"
	      "\n"
	      "pubkey: print the public key (PEM) that signs this state dir's evidence: the soft\n"
	      "attester's Ed25519 key, or the tpm attester's attestation key (ECC P-256, made in the\n"
	      "TPM on first use). A verifier pins it with 'ward verify --soft-key FILE' or\n"
	      "'--ak-key FILE'. The attester of a state dir is fixed when the dir is first used: tpm\n"
	      "where a TPM device exists, else soft, or as --attester says; --tcti tells the tpm\n"
	      "attester how to reach the TPM (default " WARD_TPM_DEFAULT_TCTI ", or e.g.\n"
	      "swtpm:path=SOCK).\n"
	      "\n"
	      "status: the state dir's root of trust (attester, root, TCTI, PCR, banks) and, for\n"
	      "tpm, whether the PCR holds the log: it catches the PCR up as every open does (a\n"
	      "repair is reported), and exits 1 when the PCR holds a value no prefix of the log\n"
	      "replays to.\n",
	      f);
}

static int status(struct ward_state *s, bool json)
{
	const struct ward_evlog *log = evlog_store_log(s->log);
	_cleanup_json_ json_t *o = NULL, *banks = json_array();
	_cleanup_free_ char *text = NULL;

	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if (s->banks & (1u << a))
			json_array_append_new(banks, json_string(hash_alg_name(a)));
	o = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:O, s:I, s:b, s:I, s:b}", "state_dir", s->path,
		      "attester", s->attester_type, "root", attest_root(s->att), "tcti", s->tcti,
		      "pcr", (json_int_t)s->pcr, "banks", banks, "records", (json_int_t)log->n,
		      "registers_in_tpm", attest_has_registers(s->att), "repaired",
		      (json_int_t)s->repaired, "hardware_rooted",
		      strcmp(attest_root(s->att), "tpm") == 0);
	if (!o)
		return cli_error(EXIT_VERDICT, "out of memory");
	if (json) {
		text = json_dumps(o, JSON_INDENT(2));
		if (text)
			printf("%s\n", text);
		return EXIT_OK;
	}
	printf("state dir:  %s\n", s->path);
	printf("attester:   %s (root %s%s)\n", s->attester_type, attest_root(s->att),
	       strcmp(attest_root(s->att), "swtpm") == 0 ? ": a software TPM, not hardware-rooted"
	       : strcmp(attest_root(s->att), "soft") == 0 ? ": a key in a file, not hardware-rooted"
							  : "");
	if (s->tcti)
		printf("tcti:       %s\n", s->tcti);
	printf("pcr:        %u (", (unsigned)s->pcr);
	for (unsigned a = 0, first = 1; a < __WARD_HASH_MAX; a++)
		if (s->banks & (1u << a)) {
			printf("%s%s", first ? "" : " ", hash_alg_name(a));
			first = 0;
		}
	printf(")\n");
	printf("records:    %zu\n", log->n);
	if (attest_has_registers(s->att))
		printf("in the tpm: PCR %u holds all %zu records%s\n", (unsigned)s->pcr, log->n,
		       s->repaired ? " (after the repair above)" : "");
	return EXIT_OK;
}

int verb_attester(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
					      { "json", no_argument, NULL, 'j' },
					      {} };
	struct ward_state *s = NULL;
	struct ward_diag d = { { 0 } };
	char *pem = NULL;
	bool is_status, json = false;
	int c, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "pubkey") != 0 && strcmp(argv[1], "status") != 0)
		return cli_error(EXIT_USAGE, "attester: unknown command '%s' (pubkey, status)",
				 argv[1]);
	is_status = strcmp(argv[1], "status") == 0;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (cli_parse_common(c, optarg))
			continue;
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == 'j' && is_status) {
			json = true;
			continue;
		}
		return cli_error(EXIT_USAGE, "attester %s: unknown option (see --help)", argv[0]);
	}
	if (optind != argc)
		return cli_error(EXIT_USAGE, "attester %s: unexpected argument '%s'", argv[0],
				 argv[optind]);
	if ((r = cli_open_state(WARD_STATE_ATTESTER, &s)))
		return r;
	if (is_status) {
		r = status(s, json);
		state_close(s);
		return r;
	}
	r = attest_pubkey_pem(s->att, &pem, &d);
	if (r < 0)
		r = cli_error(EXIT_VERDICT, "%s", d.msg);
	else
		fputs(pem, stdout);
	free(pem);
	state_close(s);
	return r < 0 ? EXIT_VERDICT : r;
}
