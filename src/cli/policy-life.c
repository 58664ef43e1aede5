/* SPDX-License-Identifier: Apache-2.0 */
/* ward policy trust | install | status | show | diff | revoke: a state dir's installed policy. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/policy-sign.h"
#include "ward/policy-state.h"

static const struct option state_opts[] = {
	{ "state-dir", required_argument, NULL, 's' },
	{ "sig", required_argument, NULL, 'S' },
	{ "json", no_argument, NULL, 'j' },
	{ "settings", no_argument, NULL, 'e' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct life_opts {
	const char *sig;
	bool json, settings;
};

/* Options shared by the subcommands; @allowed lists the long options beyond --state-dir. */
static int parse(int argc, char **argv, const char *allowed, const char *help, int min_args,
		 int max_args, struct life_opts *o)
{
	int c;

	while ((c = getopt_long(argc, argv, "+h", state_opts, NULL)) != -1) {
		if (c == 's') {
			cli_parse_common(c, optarg);
			continue;
		}
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK + 1000;
		}
		if (c == '?' || !strchr(allowed, c)) {
			if (c != '?')
				cli_error(EXIT_USAGE, "%s: unknown option", argv[0]);
			fputs(help, stderr);
			return EXIT_USAGE;
		}
		if (c == 'S')
			o->sig = optarg;
		else if (c == 'j')
			o->json = true;
		else if (c == 'e')
			o->settings = true;
	}
	if (argc - optind < min_args || argc - optind > max_args) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	return 0;
}

#define PARSE_OR_RETURN(...)                                         \
	do {                                                         \
		int _r = parse(__VA_ARGS__);                         \
		if (_r)                                              \
			return _r == EXIT_OK + 1000 ? EXIT_OK : _r; \
	} while (0)

static void digest_hex(const uint8_t *dg, char *out)
{
	hex_encode(dg, 32, out);
}

int cli_policy_trust(int argc, char **argv)
{
	static const char help[] =
		"Usage: ward policy trust [--state-dir DIR] KEY.pub\n"
		"\n"
		"Trust KEY.pub (an Ed25519 public key, 'ward policy keygen') as an issuer of\n"
		"policies in the state dir: 'ward policy install' accepts policies it signed.\n"
		"Prints the key id.\n";
	struct life_opts o = { 0 };
	_cleanup_free_ unsigned char *pem = NULL;
	struct ward_diag d = { { 0 } };
	struct ward_state *st = NULL;
	char id[WARD_KEY_ID_STR_MAX];
	size_t len;
	int r;

	PARSE_OR_RETURN(argc, argv, "", help, 1, 1, &o);
	if (cli_read_input(argv[optind], WARD_KEY_FILE_MAX, "key", &pem, &len))
		return EXIT_USAGE;
	if ((r = cli_open_state(0, &st)))
		return r;
	r = policy_state_trust(st, pem, len, id, &d);
	state_close(st);
	if (r == -EBADMSG)
		return cli_error(EXIT_USAGE, "%s: %s", argv[optind], d.msg);
	if (r < 0)
		return cli_error(EXIT_WARD, "%s", d.msg[0] ? d.msg : strerror(-r));
	printf("%s\n", id);
	return EXIT_OK;
}

static json_t *current_json(const struct ward_policy_current *c)
{
	char hex[65], dg[72], t[32];

	digest_hex(c->digest, hex);
	snprintf(dg, sizeof(dg), "sha256:%s", hex);
	rfc3339_format(c->since, t, sizeof(t));
	return json_pack("{s:s, s:I, s:s, s:s, s:I, s:s}", "name", c->name, "version",
			 (json_int_t)c->version, "digest", dg, "issuer", c->issuer, "record",
			 (json_int_t)c->record, "since", t);
}

/* One line of JSON: the transition's policy. Return: 0 or -ENOMEM. */
static int print_current(const struct ward_policy_current *c)
{
	_cleanup_json_ json_t *j = current_json(c);
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (!text)
		return -ENOMEM;
	printf("%s\n", text);
	return 0;
}

int cli_policy_install(int argc, char **argv)
{
	static const char help[] =
		"Usage: ward policy install [--state-dir DIR] [--sig SIG] [--json] FILE\n"
		"\n"
		"Install a signed policy: FILE must parse, name an issuer trusted here ('ward policy\n"
		"trust'), carry a valid Ed25519 signature by it (FILE.sig, or --sig), be inside its\n"
		"validity window, and have a version above the state dir's high-water mark (a\n"
		"rollback to an older version is refused). The transition is recorded in the log\n"
		"first; every running 'ward run' monitor and wardd that follows the installed\n"
		"policy switches to it within a second, and its verdict caches are flushed.\n"
		"Nothing changes when any check fails.\n"
		"\n"
		"Exit status: 0 installed; 1 refused (issuer, signature, validity, rollback);\n"
		"2 malformed or unreadable input; 125 the state dir failed.\n";
	struct life_opts o = { 0 };
	_cleanup_free_ unsigned char *buf = NULL, *sig = NULL;
	_cleanup_free_ char *sigpath = NULL;
	struct ward_policy_current cur;
	struct ward_diag d = { { 0 } };
	struct ward_state *st = NULL;
	size_t len, siglen;
	const char *file;
	char hex[65];
	int r;

	PARSE_OR_RETURN(argc, argv, "Sj", help, 1, 1, &o);
	file = argv[optind];
	if (!o.sig && asprintf(&sigpath, "%s.sig", file) < 0)
		return cli_error(EXIT_WARD, "out of memory");
	if (cli_read_input(file, WARD_POLICY_FILE_MAX, "policy", &buf, &len))
		return EXIT_USAGE;
	r = read_file_full(o.sig ? o.sig : sigpath, 4096, &sig, &siglen);
	if (r == -ENOENT)
		return cli_error(EXIT_VERDICT,
				 "%s: unsigned (no %s): only signed policies can be installed ('ward "
				 "policy sign'); an unsigned file can still be used with 'ward run "
				 "--policy'", file, o.sig ? o.sig : sigpath);
	if (r < 0)
		return cli_error(EXIT_USAGE, "cannot read signature %s: %s",
				 o.sig ? o.sig : sigpath, strerror(-r));
	if ((r = cli_open_state(WARD_STATE_ATTESTER, &st)))
		return r;
	r = policy_state_install(st, buf, len, sig, siglen, time(NULL), &cur, &d);
	state_close(st);
	if (r < 0) {
		int code = r == -EBADMSG || r == -E2BIG ? EXIT_USAGE :
			   r == -ENOKEY || r == -EKEYREJECTED || r == -EKEYEXPIRED || r == -ETIME ||
					   r == -ESTALE ? EXIT_VERDICT :
							  EXIT_WARD;

		return cli_error(code, "%s: not installed: %s", file, d.msg[0] ? d.msg : strerror(-r));
	}
	if (o.json) {
		if (print_current(&cur) < 0)
			return cli_error(EXIT_WARD, "out of memory");
	} else {
		digest_hex(cur.digest, hex);
		printf("installed %s version %llu (sha256:%s), issuer %s\n", cur.name,
		       (unsigned long long)cur.version, hex, cur.issuer);
	}
	return EXIT_OK;
}

int cli_policy_status(int argc, char **argv)
{
	static const char help[] =
		"Usage: ward policy status [--state-dir DIR] [--json]\n"
		"\n"
		"The state dir's installed policy: active (name, version, digest, issuer), revoked\n"
		"or none; the high-water mark; the trusted issuers. With --json, one object:\n"
		"{\"status\", \"active\": {...} or null, \"revoked\": {...} or null,\n"
		" \"high_water\", \"trusted\": [ids]}.\n";
	struct life_opts o = { 0 };
	char ids[WARD_PINNED_KEYS_MAX][WARD_KEY_ID_STR_MAX];
	struct ward_policy_current cur;
	struct ward_diag d = { { 0 } };
	struct ward_state *st = NULL;
	int r, n;

	PARSE_OR_RETURN(argc, argv, "j", help, 0, 0, &o);
	if ((r = cli_open_state(0, &st)))
		return r;
	r = policy_state_current(st, &cur, &d);
	n = r < 0 ? 0 : policy_state_trusted(st, ids, WARD_PINNED_KEYS_MAX);
	state_close(st);
	if (r < 0)
		return cli_error(EXIT_WARD, "%s", d.msg[0] ? d.msg : strerror(-r));
	if (n < 0)
		return cli_error(EXIT_WARD, "trusted issuers: %s", strerror(-n));
	if (o.json) {
		_cleanup_json_ json_t *j = json_object(), *tr = json_array();
		_cleanup_free_ char *text = NULL;

		if (!j || !tr)
			return cli_error(EXIT_WARD, "out of memory");
		for (int i = 0; i < n; i++)
			json_array_append_new(tr, json_string(ids[i]));
		json_object_set_new(j, "status", json_string(policy_status_name(cur.status)));
		json_object_set_new(j, "active", cur.status == WARD_POLICY_ACTIVE ?
							 current_json(&cur) : json_null());
		json_object_set_new(j, "revoked", cur.status == WARD_POLICY_REVOKED ?
							  current_json(&cur) : json_null());
		json_object_set_new(j, "high_water", json_integer((json_int_t)cur.high_water));
		json_object_set(j, "trusted", tr);
		text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text)
			return cli_error(EXIT_WARD, "out of memory");
		printf("%s\n", text);
		return EXIT_OK;
	}
	if (cur.status == WARD_POLICY_NONE) {
		printf("status: none (no policy installed: domains without --policy are "
		       "measure-only)\n");
	} else {
		char hex[65], t[32];

		digest_hex(cur.digest, hex);
		rfc3339_format(cur.since, t, sizeof(t));
		printf("status: %s%s\n", policy_status_name(cur.status),
		       cur.status == WARD_POLICY_REVOKED ? " (every grant is denied)" : "");
		printf("policy: %s version %llu\ndigest: sha256:%s\nissuer: %s\nsince: %s (log record %llu)\n",
		       cur.name, (unsigned long long)cur.version, hex, cur.issuer, t,
		       (unsigned long long)cur.record);
	}
	printf("high-water mark: %llu\n", (unsigned long long)cur.high_water);
	for (int i = 0; i < n; i++)
		printf("trusted: %s\n", ids[i]);
	return EXIT_OK;
}

/* The active policy's bytes; prints errors. Return: 0 or an exit code. */
static int active_bytes(struct ward_state *st, struct ward_policy_current *cur, uint8_t **ret,
			size_t *ret_len)
{
	struct ward_diag d = { { 0 } };
	int r = policy_state_current(st, cur, &d);

	if (r < 0)
		return cli_error(EXIT_WARD, "%s", d.msg[0] ? d.msg : strerror(-r));
	if (cur->status != WARD_POLICY_ACTIVE)
		return cli_error(EXIT_VERDICT, "no policy is active (%s)",
				 policy_status_name(cur->status));
	r = policy_state_read_stored(st, cur->digest, ret, ret_len);
	if (r < 0)
		return cli_error(EXIT_WARD, "the active policy cannot be read: %s", strerror(-r));
	return 0;
}

int cli_policy_show(int argc, char **argv)
{
	static const char help[] =
		"Usage: ward policy show [--state-dir DIR] [--settings]\n"
		"\n"
		"Print the active policy file exactly as installed (its signature is the stored\n"
		"FILE.sig); with --settings, only its settings and the number of entries, as JSON.\n";
	struct life_opts o = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	struct ward_policy_current cur;
	struct ward_state *st = NULL;
	size_t len;
	int r;

	PARSE_OR_RETURN(argc, argv, "e", help, 0, 0, &o);
	if ((r = cli_open_state(0, &st)))
		return r;
	r = active_bytes(st, &cur, &buf, &len);
	if (r == 0 && o.settings) {
		struct ward_diag d = { { 0 } };
		struct ward_policy *p = NULL;
		_cleanup_json_ json_t *j = NULL;
		_cleanup_free_ char *text = NULL;

		r = state_load_policy(st, buf, len, &p, &d);
		if (r < 0) {
			state_close(st);
			return cli_error(EXIT_WARD, "%s", d.msg);
		}
		j = policy_settings_json(p);
		if (j)
			json_object_set_new(j, "entries", json_integer((json_int_t)p->n_entries));
		policy_free(p);
		text = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
		state_close(st);
		if (!text)
			return cli_error(EXIT_WARD, "out of memory");
		printf("%s\n", text);
		return EXIT_OK;
	}
	state_close(st);
	if (r)
		return r;
	return cli_write_output(NULL, buf, len, 0);
}

int cli_policy_diff(int argc, char **argv)
{
	static const char help[] =
		"Usage: ward policy diff [--state-dir DIR] [--json] FILE\n"
		"\n"
		"What installing FILE would change against the active policy: each setting that\n"
		"differs ('~ key: old -> new'), entries added ('+ DIGEST PATH') and removed\n"
		"('- DIGEST'). Entries match by digest (paths are hints).\n"
		"Exit status: 0 no difference, 1 differences, 2 malformed input, 125 failure.\n";
	struct life_opts o = { 0 };
	_cleanup_free_ uint8_t *abuf = NULL;
	_cleanup_free_ unsigned char *nbuf = NULL;
	_cleanup_json_ json_t *as = NULL, *ns = NULL, *out = NULL, *changed = NULL,
			     *added = NULL, *removed = NULL;
	struct ward_policy *a = NULL, *n = NULL;
	struct ward_policy_current cur;
	struct ward_diag d = { { 0 } };
	struct ward_state *st = NULL;
	size_t alen, nlen, ia = 0, in = 0, dlen;
	const char *key;
	json_t *v;
	int r;

	PARSE_OR_RETURN(argc, argv, "j", help, 1, 1, &o);
	if (cli_read_input(argv[optind], WARD_POLICY_FILE_MAX, "policy", &nbuf, &nlen))
		return EXIT_USAGE;
	if ((r = cli_open_state(0, &st)))
		return r;
	if ((r = active_bytes(st, &cur, &abuf, &alen))) {
		state_close(st);
		return r;
	}
	r = policy_parse(nbuf, nlen, &n, &d);
	if (r < 0) {
		state_close(st);
		return cli_error(EXIT_USAGE, "%s: %s", argv[optind], d.msg);
	}
	/* The stored file, parsed with its paths (the index keeps none). */
	r = policy_parse(abuf, alen, &a, &d);
	state_close(st);
	if (r < 0) {
		policy_free(n);
		return cli_error(EXIT_WARD, "the active policy: %s", d.msg);
	}
	as = policy_settings_json(a);
	ns = policy_settings_json(n);
	out = json_object();
	changed = json_object();
	added = json_array();
	removed = json_array();
	if (!as || !ns || !out || !changed || !added || !removed) {
		r = cli_error(EXIT_WARD, "out of memory");
		goto done;
	}
	json_object_foreach(ns, key, v) {
		json_t *old = json_object_get(as, key);

		if (!old || !json_equal(old, v))
			json_object_set_new(changed, key, json_pack("[O?, O]", old, v));
	}
	json_object_foreach(as, key, v)
		if (!json_object_get(ns, key))
			json_object_set_new(changed, key, json_pack("[O, n]", v));
	/* Both entry arrays are sorted by digest (zero-padded past the digest size). */
	dlen = a->hash == n->hash ? hash_alg_size(a->hash) : 0;
	while (ia < a->n_entries || in < n->n_entries) {
		int c = ia == a->n_entries ? 1 : in == n->n_entries ? -1 :
			a->hash != n->hash ? -2 : memcmp(a->entries[ia].digest, n->entries[in].digest, dlen);
		struct ward_digest dg;
		char ds[WARD_DIGEST_STR_MAX];

		if (c == -2) {
			/* Another algorithm: every entry differs. */
			c = ia < a->n_entries ? -1 : 1;
		}
		if (c == 0) {
			ia++;
			in++;
			continue;
		}
		if (c < 0) {
			dg.alg = a->hash;
			memcpy(dg.bytes, a->entries[ia].digest, hash_alg_size(a->hash));
			measure_digest_format(&dg, ds);
			json_array_append_new(removed, json_pack("{s:s, s:s}", "digest", ds, "path",
								 a->entries[ia].path ? a->entries[ia].path : ""));
			ia++;
		} else {
			dg.alg = n->hash;
			memcpy(dg.bytes, n->entries[in].digest, hash_alg_size(n->hash));
			measure_digest_format(&dg, ds);
			json_array_append_new(added, json_pack("{s:s, s:s}", "digest", ds, "path",
							       n->entries[in].path ? n->entries[in].path : ""));
			in++;
		}
	}
	json_object_set(out, "settings", changed);
	json_object_set(out, "added", added);
	json_object_set(out, "removed", removed);
	if (o.json) {
		_cleanup_free_ char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (!text) {
			r = cli_error(EXIT_WARD, "out of memory");
			goto done;
		}
		printf("%s\n", text);
	} else {
		size_t i;

		json_object_foreach(changed, key, v) {
			_cleanup_free_ char *o1 = json_dumps(json_array_get(v, 0),
							     JSON_COMPACT | JSON_ENCODE_ANY);
			_cleanup_free_ char *o2 = json_dumps(json_array_get(v, 1),
							     JSON_COMPACT | JSON_ENCODE_ANY);

			printf("~ %s: %s -> %s\n", key, o1 ? o1 : "?", o2 ? o2 : "?");
		}
		json_array_foreach(added, i, v)
			printf("+ %s %s\n", json_string_value(json_object_get(v, "digest")),
			       json_string_value(json_object_get(v, "path")));
		json_array_foreach(removed, i, v)
			printf("- %s %s\n", json_string_value(json_object_get(v, "digest")),
			       json_string_value(json_object_get(v, "path")));
	}
	r = json_object_size(changed) || json_array_size(added) || json_array_size(removed) ?
		    EXIT_VERDICT : EXIT_OK;
done:
	policy_free(a);
	policy_free(n);
	return r;
}

int cli_policy_revoke(int argc, char **argv)
{
	static const char help[] =
		"Usage: ward policy revoke [--state-dir DIR] [--json]\n"
		"\n"
		"Withdraw the active policy. Every monitor that follows the installed policy falls\n"
		"back to deny-all within a second (never to allow-all): every exec and every open\n"
		"of code is denied until a policy with a version above the high-water mark is\n"
		"installed. The revocation is recorded in the log.\n";
	struct life_opts o = { 0 };
	struct ward_policy_current cur;
	struct ward_diag d = { { 0 } };
	struct ward_state *st = NULL;
	int r;

	PARSE_OR_RETURN(argc, argv, "j", help, 0, 0, &o);
	if ((r = cli_open_state(WARD_STATE_ATTESTER, &st)))
		return r;
	r = policy_state_revoke(st, &cur, &d);
	state_close(st);
	if (r == -ENOENT)
		return cli_error(EXIT_VERDICT, "%s", d.msg);
	if (r < 0)
		return cli_error(EXIT_WARD, "%s", d.msg[0] ? d.msg : strerror(-r));
	if (o.json) {
		if (print_current(&cur) < 0)
			return cli_error(EXIT_WARD, "out of memory");
	} else {
		printf("revoked %s version %llu: every grant is denied until a newer policy is "
		       "installed\n", cur.name, (unsigned long long)cur.version);
	}
	return EXIT_OK;
}
