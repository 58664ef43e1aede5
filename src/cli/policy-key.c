/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward policy keygen | sign | verify: issuer keys and detached Ed25519 signatures of policy
 * files (ward/policy-sign.h). A policy names its signer ("issuer"); signing and verifying both
 * insist that the key is the one the policy names, so that a policy cannot be passed off as
 * another issuer's by re-signing it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/hash.h"
#include "ward/limits.h"
#include "ward/policy-sign.h"
#include "ward/policy.h"

static void policy_freep(struct ward_policy **p)
{
	policy_free(*p);
}

#define _cleanup_policy_ _cleanup_(policy_freep)

/* ---- keygen ---- */

static void keygen_usage(FILE *f)
{
	fputs("Usage: ward policy keygen -o KEY [--force]\n"
	      "\n"
	      "Make an Ed25519 key pair for signing policies: KEY, the private key (PKCS#8 PEM,\n"
	      "mode 0600), and KEY.pub, the public key (SubjectPublicKeyInfo PEM, mode 0644).\n"
	      "Prints the key id, \"ed25519:\" and the sha256 of the raw public key: put it in a\n"
	      "policy's \"issuer\" before signing it.\n"
	      "  -o, --output KEY   the private key file (required)\n"
	      "  --force            replace KEY and KEY.pub if they exist\n",
	      f);
}

int cli_policy_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_pkey_ EVP_PKEY *k = NULL;
	struct ward_diag d = { { 0 } };
	char id[WARD_KEY_ID_STR_MAX];
	const char *out = NULL;
	bool force = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			keygen_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_error(EXIT_USAGE, "policy keygen: unexpected argument '%s'", argv[optind]);
	if (!out) {
		keygen_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(out, "-") == 0)
		return cli_error(EXIT_USAGE, "policy keygen: -o names a file (a private key is "
					     "never written to standard output)");
	if (policy_key_generate(&k) < 0 || policy_key_id(k, id) < 0)
		return cli_error(EXIT_VERDICT, "policy keygen: cannot generate a key");
	r = force ? policy_key_replace(k, out, &d) : policy_key_save(k, out, &d);
	if (r == -EEXIST)
		return cli_error(EXIT_USAGE, "policy keygen: %s (use --force to replace %s and "
					     "%s.pub)", d.msg, out, out);
	if (r < 0)
		return cli_error(EXIT_USAGE, "policy keygen: %s", d.msg[0] ? d.msg : strerror(-r));
	printf("%s\n", id);
	return EXIT_OK;
}

/* ---- sign ---- */

static void sign_usage(FILE *f)
{
	fputs("Usage: ward policy sign --key KEY [-o SIG] FILE\n"
	      "\n"
	      "Sign the policy FILE with the private key KEY (from 'ward policy keygen'): the\n"
	      "detached Ed25519 signature of FILE's exact bytes, 64 raw bytes, is written to\n"
	      "FILE.sig (mode 0644, replaced atomically). FILE must be a valid policy whose\n"
	      "\"issuer\" is KEY's id.\n"
	      "  -k, --key KEY      the private key\n"
	      "  -o, --output SIG   write the signature to SIG instead ('-': standard output)\n",
	      f);
}

int cli_policy_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_pkey_ EVP_PKEY *k = NULL;
	_cleanup_policy_ struct ward_policy *p = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_free_ char *defsig = NULL;
	struct ward_diag d = { { 0 } };
	char id[WARD_KEY_ID_STR_MAX];
	uint8_t sig[WARD_ED25519_SIG_SIZE];
	const char *key = NULL, *out = NULL, *file;
	size_t len;
	int c, r;

	while ((c = getopt_long(argc, argv, "hk:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			sign_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !key) {
		sign_usage(stderr);
		return EXIT_USAGE;
	}
	file = argv[optind];
	if (!out && strcmp(file, "-") == 0)
		return cli_error(EXIT_USAGE, "policy sign: a policy read from standard input needs "
					     "-o SIG");
	if (!out) {
		if (asprintf(&defsig, "%s.sig", file) < 0)
			return cli_error(EXIT_VERDICT, "out of memory");
		out = defsig;
	}
	r = policy_privkey_load(key, &k, &d);
	if (r < 0)
		return cli_error(EXIT_USAGE, "policy sign: %s", d.msg);
	if (policy_key_id(k, id) < 0)
		return cli_error(EXIT_VERDICT, "policy sign: %s: cannot compute the key id", key);
	/* One read: the bytes parsed and checked below are the bytes signed. */
	if (cli_read_input(file, WARD_POLICY_FILE_MAX, "policy", &buf, &len))
		return EXIT_USAGE;
	r = policy_parse(buf, len, &p, &d);
	if (r < 0)
		return cli_error(EXIT_USAGE, "policy sign: %s: not a valid policy: %s", file,
				 d.msg[0] ? d.msg : strerror(-r));
	if (!p->issuer[0])
		return cli_error(EXIT_VERDICT,
				 "policy sign: %s names no issuer: add \"issuer\": \"%s\" to sign "
				 "it with %s",
				 file, id, key);
	if (strcmp(p->issuer, id) != 0)
		return cli_error(EXIT_VERDICT,
				 "policy sign: %s names issuer %s, but %s is %s: refusing to sign",
				 file, p->issuer, key, id);
	if (policy_sign_buf(k, buf, len, sig) < 0)
		return cli_error(EXIT_VERDICT, "policy sign: signing failed");
	/* Check what goes out, as signify does: a fault while signing must not ship. */
	if (policy_sig_check(k, buf, len, sig, sizeof(sig)) < 0)
		return cli_error(EXIT_VERDICT, "policy sign: the signature made does not verify");
	r = cli_write_output(out, sig, sizeof(sig), 0644);
	if (r)
		return r;
	if (strcmp(out, "-") != 0)
		fprintf(stderr, "ward: signed %s (policy %s version %llu) as %s: %s\n", file,
			p->name, (unsigned long long)p->version, id, out);
	return EXIT_OK;
}

/* ---- verify ---- */

static void verify_usage(FILE *f)
{
	fputs("Usage: ward policy verify --key KEY.pub [--sig SIG] [--json] FILE\n"
	      "\n"
	      "Check the policy FILE's detached signature (FILE.sig unless --sig) with the public\n"
	      "key KEY.pub, and that FILE is a valid policy whose \"issuer\" is that key's id.\n"
	      "Prints one line: a good signature and the policy's name and version, or why not.\n"
	      "Exit status: 0 good; 1 the signature does not verify or the policy names another\n"
	      "issuer; 2 a file is missing or malformed (a signature not of 64 bytes, not a\n"
	      "public key, not a policy).\n"
	      "  -k, --key KEY.pub   the issuer's public key\n"
	      "  --sig SIG           the signature file (default: FILE.sig)\n"
	      "  --json              {\"valid\", \"key\", \"issuer\", \"name\", \"version\", \"digest\",\n"
	      "                      \"error\"} on standard output instead\n",
	      f);
}

struct verify_out {
	const char *file;
	char key_id[WARD_KEY_ID_STR_MAX]; /* "" until the key is loaded */
	const struct ward_policy *p;	  /* NULL until parsed */
	bool has_digest;
	uint8_t digest[32];
	char error[1024];
};

static int verify_fail(struct verify_out *o, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int verify_fail(struct verify_out *o, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->error, sizeof(o->error), fmt, ap);
	va_end(ap);
	return code;
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static int verify_report(const struct verify_out *o, int code, bool json)
{
	if (json) {
		char hex[sizeof("sha256:") + 64] = "sha256:";
		_cleanup_json_ json_t *j = NULL;
		_cleanup_free_ char *text = NULL;

		hex_encode(o->digest, sizeof(o->digest), hex + 7);
		j = json_object();
		if (!j)
			return cli_error(EXIT_VERDICT, "out of memory");
		json_object_set_new(j, "valid", json_boolean(code == EXIT_OK));
		json_object_set_new(j, "key", str_or_null(o->key_id));
		json_object_set_new(j, "issuer", str_or_null(o->p ? o->p->issuer : NULL));
		json_object_set_new(j, "name", o->p ? json_string(o->p->name) : json_null());
		json_object_set_new(j, "version",
				    o->p ? json_integer((json_int_t)o->p->version) : json_null());
		json_object_set_new(j, "digest", o->has_digest ? json_string(hex) : json_null());
		json_object_set_new(j, "error", code == EXIT_OK ? json_null() : json_string(o->error));
		text = json_dumps(j, JSON_INDENT(2));
		if (!text)
			return cli_error(EXIT_VERDICT, "out of memory");
		printf("%s\n", text);
		return code;
	}
	if (code == EXIT_OK)
		printf("%s: good signature by %s; policy %s version %llu\n", o->file, o->key_id,
		       o->p->name, (unsigned long long)o->p->version);
	else if (code == EXIT_VERDICT)
		printf("%s: %s\n", o->file, o->error);
	else
		cli_error(code, "policy verify: %s", o->error);
	return code;
}

static int do_verify(const char *file, const char *keyfile, const char *sigfile,
		     struct verify_out *o, struct ward_policy **ret_p)
{
	_cleanup_pkey_ EVP_PKEY *k = NULL;
	_cleanup_free_ uint8_t *buf = NULL, *sig = NULL;
	struct ward_diag d = { { 0 } };
	size_t len, siglen;
	int r;

	r = policy_pubkey_load(keyfile, &k, &d);
	if (r < 0)
		return verify_fail(o, r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "%s", d.msg);
	if (policy_key_id(k, o->key_id) < 0)
		return verify_fail(o, EXIT_VERDICT, "%s: cannot compute the key id", keyfile);
	r = read_file_full(file, WARD_POLICY_FILE_MAX, &buf, &len);
	if (r == -EFBIG)
		return verify_fail(o, EXIT_USAGE, "%s: larger than %u bytes: not a policy", file,
				   WARD_POLICY_FILE_MAX);
	if (r < 0)
		return verify_fail(o, EXIT_USAGE, "cannot read %s: %s", file, strerror(-r));
	if (hash_buf(WARD_HASH_SHA256, buf, len, o->digest) < 0)
		return verify_fail(o, EXIT_VERDICT, "cannot hash %s", file);
	o->has_digest = true;
	/* One byte more than a signature: a longer file is reported as such, not read whole. */
	r = read_file_full(sigfile, WARD_ED25519_SIG_SIZE, &sig, &siglen);
	if (r == -EFBIG)
		return verify_fail(o, EXIT_USAGE, "%s: not a signature (longer than %d bytes)",
				   sigfile, WARD_ED25519_SIG_SIZE);
	if (r < 0)
		return verify_fail(o, EXIT_USAGE, "cannot read %s: %s", sigfile, strerror(-r));
	/*
	 * The signature is checked before the file is parsed: a file altered after signing is a
	 * bad signature (exit 1) whatever the alteration did to its syntax.
	 */
	r = policy_sig_check(k, buf, len, sig, siglen);
	if (r == -EBADMSG)
		return verify_fail(o, EXIT_USAGE, "%s: not a signature (%zu bytes, not %d)", sigfile,
				   siglen, WARD_ED25519_SIG_SIZE);
	if (r == -EKEYREJECTED)
		return verify_fail(o, EXIT_VERDICT, "BAD signature: %s does not verify with %s (%s)",
				   sigfile, keyfile, o->key_id);
	if (r < 0)
		return verify_fail(o, EXIT_VERDICT, "cannot check the signature: %s",
				   strerror(-r));
	r = policy_parse(buf, len, ret_p, &d);
	if (r < 0)
		return verify_fail(o, r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE,
				   "%s: signed by %s, but not a valid policy: %s", file, o->key_id,
				   d.msg[0] ? d.msg : strerror(-r));
	o->p = *ret_p;
	if (!o->p->issuer[0])
		return verify_fail(o, EXIT_VERDICT,
				   "signed by %s, but the policy names no issuer: a policy must "
				   "name the key that signs it",
				   o->key_id);
	if (strcmp(o->p->issuer, o->key_id) != 0)
		return verify_fail(o, EXIT_VERDICT,
				   "signed by %s, but the policy names issuer %s", o->key_id,
				   o->p->issuer);
	return EXIT_OK;
}

int cli_policy_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "sig", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_policy_ struct ward_policy *p = NULL;
	_cleanup_free_ char *defsig = NULL;
	struct verify_out o = { 0 };
	const char *key = NULL, *sig = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 's':
			sig = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			verify_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !key) {
		verify_usage(stderr);
		return EXIT_USAGE;
	}
	o.file = argv[optind];
	if (!sig && strcmp(o.file, "-") == 0)
		return cli_error(EXIT_USAGE, "policy verify: a policy read from standard input "
					     "needs --sig SIG");
	if (!sig) {
		if (asprintf(&defsig, "%s.sig", o.file) < 0)
			return cli_error(EXIT_VERDICT, "out of memory");
		sig = defsig;
	}
	return verify_report(&o, do_verify(o.file, key, sig, &o, &p), json);
}
