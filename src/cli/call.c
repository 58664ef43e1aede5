/* SPDX-License-Identifier: Apache-2.0 */
/* ward call --connect HOST:PORT SERVICE: one request over the attested channel (libward-client). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/expect.h"
#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/client.h"
#include "ward/limits.h"
#include "ward/policy-sign.h"
#include "ward/verify.h"

static void usage(FILE *f)
{
	fputs("Usage: ward call --connect HOST:PORT SERVICE [--soft-key PEM]... [--ak-key PEM]...\n"
	      "                 [--manifest-digest HEX] [--policy-issuer KEY.pub]\n"
	      "                 [--min-policy-version N] [--policy FILE] [--allow-debug]\n"
	      "                 [--measurement HEX] [--now RFC3339] [--max-input BYTES]\n"
	      "                 [--max-output BYTES] [--timeout SECONDS] [--json]\n"
	      "\n"
	      "Send standard input to SERVICE of the wardd listening at HOST:PORT over the attested\n"
	      "channel (docs/channel.md): the evidence wardd sends, bound to this TLS connection,\n"
	      "is verified as 'ward verify' does before a byte of input leaves. The result goes to\n"
	      "standard output only when the whole of it arrived and the service succeeded; the\n"
	      "service's stderr (when its manifest returns it) to standard error.\n"
	      "  --connect HOST:PORT  wardd's --listen address, or a TCP proxy in front of it\n"
	      "                   (an IPv6 address in brackets: [::1]:7443)\n"
	      "  --soft-key PEM   a soft attester key to accept (repeatable: several wardd\n"
	      "                   instances behind one proxy)\n"
	      "  --ak-key PEM     a TPM attestation key to accept (repeatable)\n"
	      "  --manifest-digest HEX\n"
	      "                   the service must be registered with this manifest ('ward sandbox\n"
	      "                   digest MANIFEST' prints it)\n"
	      "  --min-policy-version N, --policy-issuer KEY.pub\n"
	      "                   every policy that governs code in the evidence meets them\n"
	      "  --policy FILE    reference values: every measured object must be in them\n"
	      "  --allow-debug, --measurement HEX, --now RFC3339\n"
	      "                   tsm evidence, as for 'ward verify'\n"
	      "  --max-input BYTES  the most of a standard input that is not a regular file read\n"
	      "                   before sending (default 64 MiB; over it nothing is sent)\n"
	      "  --max-output BYTES the most output taken (default 64 MiB)\n"
	      "  --timeout SECONDS  for connecting and every wait for the server (default 60; the\n"
	      "                   service's run counts)\n"
	      "  --json           print the verdict and outcome as JSON on standard error\n"
	      "Exit status: 0 the service succeeded; 1 the evidence was refused (nothing was\n"
	      "sent; every reason is printed) or the request failed; 2 usage; 125 ward failed\n"
	      "(network, TLS, a malformed answer).\n",
	      f);
}

/* HOST:PORT, [V6]:PORT. Writes into @buf. Return: 0 or -EINVAL. */
static int split_connect(char *s, char **ret_host, char **ret_port)
{
	char *colon;

	if (s[0] == '[') {
		char *end = strchr(s, ']');

		if (!end || end == s + 1 || end[1] != ':' || !end[2])
			return -EINVAL;
		*end = '\0';
		*ret_host = s + 1;
		*ret_port = end + 2;
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1] || strchr(s, ':') != colon)
		return -EINVAL;
	*colon = '\0';
	*ret_host = s;
	*ret_port = colon + 1;
	return 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *e;

	errno = 0;
	*ret = strtoull(s, &e, 10);
	return (*e || errno || !s[0] || s[0] == '-') ? -EINVAL : 0;
}

static void print_json(const char *service, const struct ward_client_result *res, int r,
		       const struct ward_diag *d)
{
	json_t *reasons = json_array(), *o;
	char *text;

	for (size_t i = 0; reasons && i < res->n_reasons; i++)
		json_array_append_new(reasons, json_string(res->reasons[i]));
	o = json_pack("{s:s, s:b, s:b, s:o, s:s, s:s, s:b, s:b, s:I}", "service", service,
		      "evidence", res->evidence, "trusted", res->trusted, "reasons", reasons,
		      "attester", res->attester, "root", res->root, "hardware_rooted",
		      res->hardware_rooted, "input_sent", res->input_sent, "input_bytes",
		      (json_int_t)res->input_bytes);
	if (!o)
		return;
	if (res->answered) {
		json_object_set_new(o, "status", json_string(ward_client_status_name(res->status)));
		json_object_set_new(o, "exit_status", json_integer(res->exit_status));
		json_object_set_new(o, "message", json_string(res->msg));
		json_object_set_new(o, "output_bytes", json_integer((json_int_t)res->output_bytes));
		json_object_set_new(o, "stderr_bytes", json_integer((json_int_t)res->stderr_bytes));
	} else {
		json_object_set_new(o, "status", json_null());
	}
	json_object_set_new(o, "error", r < 0 ? json_string(d->msg[0] ? d->msg : strerror(-r))
					      : json_null());
	text = json_dumps(o, JSON_COMPACT);
	if (text)
		fprintf(stderr, "%s\n", text);
	free(text);
	json_decref(o);
}

int verb_call(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		CLI_EXPECT_LONGOPTS,
		{ "max-input", required_argument, NULL, 'i' },
		{ "max-output", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli_expect e = { 0 };
	struct ward_client_opts o = { 0 };
	struct ward_client_result res = { 0 };
	struct ward_diag d = { { 0 } };
	_cleanup_free_ char *connect_arg = NULL;
	char *host = NULL, *port = NULL;
	const char *where = NULL; /* --connect as given */
	bool json = false;
	int c, r, ret = EXIT_USAGE;

	/* Options may follow SERVICE, as the usage line shows them (main() reset getopt). */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((r = cli_expect_parse(c, optarg, &e)) < 0)
			goto out;
		if (r > 0)
			continue;
		switch (c) {
		case 'c':
			free(connect_arg);
			where = optarg;
			connect_arg = strdup(optarg);
			if (!connect_arg || split_connect(connect_arg, &host, &port) < 0) {
				cli_error(EXIT_USAGE, "--connect: HOST:PORT or [IPV6]:PORT, got '%s'",
					  optarg);
				goto out;
			}
			break;
		case 'i':
			if (parse_u64(optarg, &o.max_input) < 0 || o.max_input == 0) {
				cli_error(EXIT_USAGE, "--max-input: a positive number of bytes");
				goto out;
			}
			break;
		case 'o':
			if (parse_u64(optarg, &o.max_output) < 0 || o.max_output == 0) {
				cli_error(EXIT_USAGE, "--max-output: a positive number of bytes");
				goto out;
			}
			break;
		case 't': {
			uint64_t s;

			if (parse_u64(optarg, &s) < 0 || s == 0 || s > 86400) {
				cli_error(EXIT_USAGE, "--timeout: 1 to 86400 seconds");
				goto out;
			}
			o.timeout_ms = (int)(s * 1000);
			break;
		}
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		cli_error(EXIT_USAGE, "call: expected one SERVICE (see 'ward call --help')");
		goto out;
	}
	if (!host) {
		cli_error(EXIT_USAGE, "call: --connect HOST:PORT is required");
		goto out;
	}
	o.soft_keys = e.soft_keys;
	o.n_soft_keys = e.n_soft_keys;
	o.ak_keys = e.ak_keys;
	o.n_ak_keys = e.n_ak_keys;
	o.policy = e.policy;
	o.manifest_digest = e.has_manifest_digest ? e.manifest_digest : NULL;
	o.check_min_version = e.check_min_version;
	o.min_policy_version = e.min_policy_version;
	o.policy_issuer = e.issuer[0] ? e.issuer : NULL;
	o.allow_debug = e.allow_debug;
	o.now = e.now;
	o.tee_measurement = e.measurement_len ? e.measurement : NULL;
	o.tee_measurement_len = e.measurement_len;
	r = ward_client_call(&o, host, port, argv[optind], STDIN_FILENO, STDOUT_FILENO,
			     STDERR_FILENO, &res, &d);
	if (json)
		print_json(argv[optind], &res, r, &d);
	if (r == -EINVAL || r == -EFBIG) {
		ret = cli_error(EXIT_USAGE, "call: %s", d.msg[0] ? d.msg : strerror(-r));
		goto out;
	}
	if (r < 0) {
		ret = cli_error(EXIT_WARD, "call: %s: %s%s", where,
				d.msg[0] ? d.msg : strerror(-r),
				res.input_sent && !res.answered
					? " (the input was sent; the request's fate is unknown)"
					: "");
		goto out;
	}
	if (res.evidence && !res.trusted) {
		cli_error(EXIT_VERDICT, "call: %s: evidence refused (%s, root %s); nothing was "
			  "sent:", where, res.attester[0] ? res.attester : "?",
			  res.root[0] ? res.root : "?");
		for (size_t i = 0; i < res.n_reasons; i++)
			fprintf(stderr, "  reason: %s\n", res.reasons[i]);
		ret = EXIT_VERDICT;
		goto out;
	}
	if (!res.evidence && !res.answered) {
		/* Only a malformed bundle gives this: refused before it was even judged. */
		cli_error(EXIT_VERDICT, "call: %s: evidence refused; nothing was sent:", where);
		for (size_t i = 0; i < res.n_reasons; i++)
			fprintf(stderr, "  reason: %s\n", res.reasons[i]);
		ret = EXIT_VERDICT;
		goto out;
	}
	if (res.error_frame || res.status != 0) {
		if (res.error_frame)
			cli_error(EXIT_VERDICT, "call %s: %s%s%s%s", argv[optind],
				  ward_client_status_name(res.status), res.msg[0] ? " (" : "",
				  res.msg, res.msg[0] ? ")" : "");
		else if (res.exit_status >= 0)
			cli_error(EXIT_VERDICT, "call %s: %s, exit status %d%s%s%s", argv[optind],
				  ward_client_status_name(res.status), res.exit_status,
				  res.msg[0] ? " (" : "", res.msg, res.msg[0] ? ")" : "");
		else /* the service did not run */
			cli_error(EXIT_VERDICT, "call %s: %s%s%s%s", argv[optind],
				  ward_client_status_name(res.status), res.msg[0] ? " (" : "",
				  res.msg, res.msg[0] ? ")" : "");
		ret = EXIT_VERDICT;
		goto out;
	}
	ret = EXIT_OK;
out:
	ward_client_result_clear(&res);
	cli_expect_free(&e);
	return ret;
}
