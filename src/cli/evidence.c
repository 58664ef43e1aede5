/* SPDX-License-Identifier: Apache-2.0 */
/* ward evidence --nonce HEX [-o FILE] [--since N] */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "ward/verify.h"

static void usage(FILE *f)
{
	fputs("Usage: ward evidence [--state-dir DIR] --nonce HEX [--since N] [-o FILE]\n"
	      "\n"
	      "Export an evidence bundle (JSON, docs/evidence-format.md): the attester's signature\n"
	      "over the verifier's nonce and the log's registers, and the log itself.\n"
	      "  --nonce HEX   the verifier's challenge, 1 to 64 bytes of lower-case hex\n"
	      "  --since N     carry records N.. only, for a verifier that already checked 0..N-1\n"
	      "                (it passes that verification's state with 'ward verify --prior')\n"
	      "  -o FILE       write to FILE instead of standard output\n",
	      f);
}

int verb_evidence(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		CLI_COMMON_LONGOPTS,
		{},
	};
	unsigned char nonce[WARD_NONCE_MAX];
	size_t nonce_len = 0;
	unsigned long long since = 0;
	const char *out = NULL;
	struct ward_state *s = NULL;
	struct ward_quote_msg msg;
	struct ward_quote q = { 0 };
	struct ward_diag d = { { 0 } };
	char *json = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (cli_parse_common(c, optarg))
			continue;
		switch (c) {
		case 'n':
			if ((r = cli_parse_nonce(optarg, nonce, &nonce_len)))
				return r;
			break;
		case 'S': {
			char *e;
			errno = 0;
			since = strtoull(optarg, &e, 10);
			if (*e || errno || optarg[0] == '-')
				return cli_error(EXIT_USAGE, "--since: a record number");
			break;
		}
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (!nonce_len)
		return cli_error(EXIT_USAGE, "evidence: --nonce HEX is required");
	if (optind != argc)
		return cli_error(EXIT_USAGE, "evidence: unexpected argument '%s'", argv[optind]);
	if ((r = cli_open_state(WARD_STATE_ATTESTER, &s)))
		return r;
	r = state_quote(s, nonce, nonce_len, since, &msg, &q, &d);
	if (r < 0) {
		r = cli_error(r == -ERANGE ? EXIT_USAGE : EXIT_VERDICT, "evidence: %s",
			      d.msg[0] ? d.msg : strerror(-r));
		goto out;
	}
	r = bundle_encode(&q, evlog_store_log(s->log), since, &json);
	if (r < 0) {
		r = cli_error(EXIT_VERDICT, "evidence: %s", strerror(-r));
		goto out;
	}
	r = cli_write_output(out, json, strlen(json), 0644);
	if (r == 0 && (!out || strcmp(out, "-") == 0))
		putchar('\n');
	else if (r == 0)
		fprintf(stderr, "ward: evidence for %llu records (from %llu) written to %s\n",
			(unsigned long long)msg.record_count, since, out);
out:
	free(json);
	attest_quote_clear(&q);
	state_close(s);
	return r;
}
