/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's expectations on the command line (cli/expect.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/expect.h"
#include "core/cleanup.h"
#include "core/util.h"
#include "ward/policy-sign.h"
#include "ward/verify.h"

static int load_key(const char *opt, const char *path, bool ak, EVP_PKEY **keys, size_t *n)
{
	_cleanup_free_ unsigned char *in = NULL;
	struct ward_diag d = { { 0 } };
	size_t len;

	if (*n == WARD_PINNED_KEYS_MAX)
		return cli_error(EXIT_USAGE, "%s: at most %d keys", opt, WARD_PINNED_KEYS_MAX), -1;
	if (cli_read_input(path, WARD_PEM_MAX, "key", &in, &len))
		return -1;
	if ((ak ? verify_load_ak_pem(in, len, &keys[*n], &d)
		: verify_load_pubkey_pem(in, len, &keys[*n], &d)) < 0)
		return cli_error(EXIT_USAGE, "%s %s: %s", opt, path, d.msg), -1;
	(*n)++;
	return 1;
}

int cli_expect_parse(int c, const char *arg, struct cli_expect *e)
{
	struct ward_diag d = { { 0 } };

	switch (c) {
	case 'k':
		return load_key("--soft-key", arg, false, e->soft_keys, &e->n_soft_keys);
	case 'a':
		return load_key("--ak-key", arg, true, e->ak_keys, &e->n_ak_keys);
	case 'p': {
		_cleanup_free_ unsigned char *in = NULL;
		size_t len;
		int r;

		if (e->policy)
			return cli_error(EXIT_USAGE, "--policy: given twice"), -1;
		if (cli_read_input(arg, WARD_POLICY_FILE_MAX, "policy", &in, &len))
			return -1;
		if ((r = policy_parse(in, len, &e->policy, &d)) < 0)
			return cli_error(EXIT_USAGE, "%s: %s", arg, d.msg[0] ? d.msg : strerror(-r)), -1;
		return 1;
	}
	case 'm': {
		const char *hex = strncmp(arg, "sha256:", 7) == 0 ? arg + 7 : arg;
		size_t n = 0;

		if (e->has_manifest_digest)
			return cli_error(EXIT_USAGE, "--manifest-digest: given twice"), -1;
		if (strlen(hex) != 64 ||
		    hex_decode(hex, 64, e->manifest_digest, sizeof(e->manifest_digest), &n) < 0 ||
		    n != 32)
			return cli_error(EXIT_USAGE, "--manifest-digest: 64 lower-case hex digits (the "
						     "sha256 of the manifest file, as 'ward sandbox "
						     "digest MANIFEST' prints it), got '%s'", arg), -1;
		e->has_manifest_digest = true;
		return 1;
	}
	case 'V': {
		char *end;

		errno = 0;
		e->min_policy_version = strtoull(arg, &end, 10);
		if (*end || errno || !arg[0] || arg[0] == '-')
			return cli_error(EXIT_USAGE, "--min-policy-version: an unsigned integer"), -1;
		e->check_min_version = true;
		return 1;
	}
	case 'I': {
		EVP_PKEY *k = NULL;
		int r;

		if (e->issuer[0])
			return cli_error(EXIT_USAGE, "--policy-issuer: given twice"), -1;
		if (policy_pubkey_load(arg, &k, &d) < 0)
			return cli_error(EXIT_USAGE, "--policy-issuer %s: %s", arg, d.msg), -1;
		r = policy_key_id(k, e->issuer);
		EVP_PKEY_free(k);
		if (r < 0)
			return cli_error(EXIT_USAGE, "--policy-issuer %s: not an Ed25519 key", arg), -1;
		return 1;
	}
	case 'D':
		e->allow_debug = true;
		return 1;
	case 'T':
		if (rfc3339_parse(arg, &e->now) < 0)
			return cli_error(EXIT_USAGE, "--now: an RFC 3339 time (2026-01-31T00:00:00Z)"),
			       -1;
		return 1;
	case 'M':
		if (strlen(arg) != 96 ||
		    hex_decode(arg, 96, e->measurement, sizeof(e->measurement),
			       &e->measurement_len) < 0)
			return cli_error(EXIT_USAGE, "--measurement: 96 lower-case hex digits"), -1;
		return 1;
	default:
		return 0;
	}
}

void cli_expect_to_verify(const struct cli_expect *e, struct ward_verify_opts *o)
{
	o->soft_keys = e->soft_keys;
	o->n_soft_keys = e->n_soft_keys;
	o->ak_keys = e->ak_keys;
	o->n_ak_keys = e->n_ak_keys;
	o->policy = e->policy;
	o->manifest_digest = e->has_manifest_digest ? e->manifest_digest : NULL;
	o->check_min_version = e->check_min_version;
	o->min_policy_version = e->min_policy_version;
	o->policy_issuer = e->issuer[0] ? e->issuer : NULL;
	o->allow_debug = e->allow_debug;
	o->now = e->now;
	o->tee_measurement = e->measurement_len ? e->measurement : NULL;
	o->tee_measurement_len = e->measurement_len;
}

void cli_expect_free(struct cli_expect *e)
{
	for (size_t i = 0; i < e->n_soft_keys; i++)
		EVP_PKEY_free(e->soft_keys[i]);
	for (size_t i = 0; i < e->n_ak_keys; i++)
		EVP_PKEY_free(e->ak_keys[i]);
	policy_free(e->policy);
	memset(e, 0, sizeof(*e));
}
