/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward policy import-keylime: a policy from a Keylime runtime policy (parsed by the library,
 * ward/policy-keylime.h); the settings options are policy-settings.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/policy-settings.h"
#include "core/cleanup.h"
#include "ward/limits.h"
#include "ward/policy-keylime.h"
#include "ward/policy.h"

static void import_usage(FILE *f)
{
	fputs("Usage: ward policy import-keylime KEYLIME.json --name NAME --version N [-o FILE]\n"
	      "                                  [OPTIONS]\n"
	      "\n"
	      "Convert a Keylime runtime policy (its \"digests\": path -> hex digests) into a ward\n"
	      "policy. Only digests of the --hash algorithm are imported (told apart by length);\n"
	      "others are counted and skipped, never converted. What a ward policy cannot say is\n"
	      "dropped and reported, never widened: \"excludes\" (regexes of paths Keylime lets\n"
	      "run unchecked: those files are denied), \"verification-keys\" (files accepted by\n"
	      "signature alone are denied), \"keyrings\" and \"ima-buf\" (ignored).\n"
	      "  --name NAME          policy name (required)\n"
	      "  --version N          policy version (required)\n" CLI_SETTINGS_HELP,
	      f);
}

static void import_report(const struct ward_keylime *k)
{
	const char *alg = hash_alg_name(k->hash);

	fprintf(stderr,
		"ward: %zu entries (%zu paths) imported; %zu digests of other algorithms skipped; "
		"%zu excludes dropped\n",
		k->n_entries, k->n_paths, k->n_other_alg, k->n_excludes);
	if (k->n_other_alg)
		cli_warn("%zu digests are not %s (by their length) and were skipped: files known "
			 "only by them will be denied (--hash selects the algorithm imported)",
			 k->n_other_alg, alg);
	if (k->n_excludes) {
		cli_warn("warning: %zu excludes dropped: files matching them will be denied unless "
			 "their digest is listed (a ward policy has no path patterns; fail closed):",
			 k->n_excludes);
		for (size_t i = 0; i < k->n_excludes && i < 10; i++)
			fprintf(stderr, "ward:   %s\n", k->excludes[i]);
		if (k->n_excludes > 10)
			fprintf(stderr, "ward:   ... and %zu more\n", k->n_excludes - 10);
	}
	if (k->verification_keys)
		cli_warn("warning: verification-keys ignored: files Keylime accepts by their IMA "
			 "signature alone will be denied unless their digest is listed");
	if (k->n_boot_aggregate)
		cli_warn("note: boot_aggregate (%zu digests) skipped: a digest of PCRs, not of a file",
			 k->n_boot_aggregate);
	if (k->n_keyrings || k->n_ima_buf)
		cli_warn("note: keyrings (%zu digests) and ima-buf (%zu digests) ignored: ward does "
			 "not check keys or buffers",
			 k->n_keyrings, k->n_ima_buf);
	if (k->dm_policy)
		cli_warn("note: ima.dm_policy ignored: ward does not check device-mapper tables");
	if (k->rules)
		cli_warn("note: \"rules\" ignored");
}

int cli_policy_import_keylime(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_SETTINGS_LONGOPTS,
		{},
	};
	_cleanup_(cli_settings_freep) struct cli_settings *o = cli_settings_new();
	struct ward_policy_builder b = { 0 };
	struct ward_keylime *k = NULL;
	struct ward_diag d = { { 0 } };
	_cleanup_free_ uint8_t *buf = NULL;
	const char *in;
	size_t len;
	int ch, r;

	if (!o)
		return cli_error(EXIT_VERDICT, "out of memory");
	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (ch == 'h') {
			import_usage(stdout);
			return EXIT_OK;
		}
		r = cli_settings_opt(o, ch, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			return r;
	}
	if (optind + 1 != argc) {
		import_usage(stderr);
		return EXIT_USAGE;
	}
	if (!o->has_name || !o->has_version)
		return cli_error(EXIT_USAGE, "policy import-keylime: --name and --version are "
					     "required");
	in = argv[optind];
	if (cli_read_input(in, WARD_POLICY_FILE_MAX, "Keylime policy", &buf, &len))
		return EXIT_USAGE;
	r = policy_keylime_parse(buf, len, o->hash, &k, &d);
	if (r == -ENOMEM)
		return cli_error(EXIT_VERDICT, "out of memory");
	if (r < 0)
		return cli_error(EXIT_USAGE, "%s: %s", in, d.msg);
	if ((r = cli_settings_finish(o, &b)))
		goto out;
	for (size_t i = 0; i < k->n_entries; i++)
		if ((r = policy_builder_add(&b, k->entries[i].digest, k->entries[i].path)) < 0) {
			r = cli_error(r == -E2BIG ? EXIT_USAGE : EXIT_VERDICT, "%s: %s", in,
				      r == -E2BIG ? "more entries than a policy holds" :
						    strerror(-r));
			goto out;
		}
	import_report(k);
	if ((r = cli_settings_write(o, &b)))
		goto out;
	if (!cli_settings_to_stdout(o))
		fprintf(stderr, "ward: written to %s\n", o->out);
out:
	policy_keylime_free(k);
	policy_builder_free(&b);
	return r;
}
