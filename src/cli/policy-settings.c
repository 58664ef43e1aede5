/* SPDX-License-Identifier: Apache-2.0 */
/* The settings options of `ward policy scan`, `ward policy import-keylime` (policy-settings.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/policy-settings.h"
#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/measure.h"
#include "ward/policy-sign.h"

struct cli_settings *cli_settings_new(void)
{
	struct cli_settings *o = calloc(1, sizeof(*o));

	if (o)
		o->hash = WARD_HASH_SHA256;
	return o;
}

void cli_settings_free(struct cli_settings *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->settings.domain.n_anon_exec; i++)
		free(o->anon[i].path);
	json_decref(o->sandbox);
	free(o);
}

/*
 * A domain dir: absolute, normalised, not "/" (trailing slashes are dropped first). The
 * policy parser refuses anything else; saying so here names the option.
 */
static int dir_opt(const char *opt, char *arg, char **dirs, size_t *n, size_t max)
{
	size_t len = strlen(arg);

	while (len > 1 && arg[len - 1] == '/')
		arg[--len] = 0;
	if (*n == max)
		return cli_error(EXIT_USAGE, "%s: at most %zu", opt, max);
	if (arg[0] != '/' || len < 2 || len >= WARD_PATH_MAX || strstr(arg, "//") ||
	    strstr(arg, "/./") || strstr(arg, "/../") || strcmp(arg + len - 2, "/.") == 0 ||
	    (len >= 3 && strcmp(arg + len - 3, "/..") == 0))
		return cli_error(EXIT_USAGE, "%s %s: an absolute, normalised directory other than /",
				 opt, arg);
	dirs[(*n)++] = arg;
	return 0;
}

static int u64_opt(const char *opt, const char *arg, unsigned long long max,
		   unsigned long long *ret)
{
	unsigned long long v;
	char *e;

	errno = 0;
	v = strtoull(arg, &e, 10);
	if (!arg[0] || arg[0] < '0' || arg[0] > '9' || *e || errno || v > max)
		return cli_error(EXIT_USAGE, "%s %s: an unsigned integer up to %llu", opt, arg, max);
	*ret = v;
	return 0;
}

static int time_opt(const char *opt, const char *arg, bool *ret_has, int64_t *ret)
{
	if (rfc3339_parse(arg, ret) < 0)
		return cli_error(EXIT_USAGE,
				 "%s %s: an RFC 3339 time such as 2026-01-31T00:00:00Z", opt, arg);
	*ret_has = true;
	return 0;
}

/* --sandbox KEY=N: gathered as JSON, so that the policy parser's table decides what is valid. */
static int sandbox_opt(struct cli_settings *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	unsigned long long v;
	char key[64], *e;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key))
		return cli_error(EXIT_USAGE, "--sandbox %s: KEY=N", arg);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = 0;
	if (!eq[1] || eq[1] < '0' || eq[1] > '9' || (errno = 0, v = strtoull(eq + 1, &e, 10), *e) ||
	    errno || v > INT64_MAX)
		return cli_error(EXIT_USAGE, "--sandbox %s: N must be an unsigned integer", arg);
	if (!o->sandbox && !(o->sandbox = json_object()))
		return cli_error(EXIT_VERDICT, "out of memory");
	if (json_object_get(o->sandbox, key))
		return cli_error(EXIT_USAGE, "--sandbox %s: given twice", key);
	if (json_object_set_new(o->sandbox, key, json_integer((json_int_t)v)) < 0)
		return cli_error(EXIT_VERDICT, "out of memory");
	return 0;
}

int cli_settings_opt(struct cli_settings *o, int ch, char *arg)
{
	struct ward_policy_domain *dom = &o->settings.domain;

	switch (ch) {
	case 'o':
		o->out = arg;
		return 0;
	case OPT_NAME:
		if (!arg[0] || strlen(arg) >= WARD_POLICY_NAME_MAX)
			return cli_error(EXIT_USAGE, "--name: 1..%d bytes", WARD_POLICY_NAME_MAX - 1);
		o->name = arg;
		o->has_name = true;
		return 0;
	case OPT_VERSION:
		o->has_version = true;
		return u64_opt("--version", arg, INT64_MAX, &o->version);
	case OPT_HASH:
		return cli_parse_bank("--hash", arg, &o->hash);
	case OPT_ISSUER:
		o->issuer = arg;
		return 0;
	case OPT_NOT_BEFORE:
		return time_opt("--not-before", arg, &o->settings.has_not_before,
				&o->settings.not_before);
	case OPT_NOT_AFTER:
		return time_opt("--not-after", arg, &o->settings.has_not_after,
				&o->settings.not_after);
	case OPT_ANON_EXEC:
		if (o->n_anon_files == WARD_POLICY_DATA_DIRS_MAX)
			return cli_error(EXIT_USAGE, "--anon-exec: at most %d",
					 WARD_POLICY_DATA_DIRS_MAX);
		o->anon_files[o->n_anon_files++] = arg;
		return 0;
	case OPT_CODE_DIR:
		dom->code_dirs = o->code_dirs;
		return dir_opt("--code-dir", arg, o->code_dirs, &dom->n_code_dirs,
			       WARD_DOMAIN_CODE_MAX);
	case OPT_STRICT_CODE_MOUNTS:
		dom->strict_code_mounts = true;
		return 0;
	case OPT_AUDIT:
		dom->audit = true;
		return 0;
	case OPT_DATA_DIR:
		dom->data_dirs = o->data_dirs;
		return dir_opt("--data-dir", arg, o->data_dirs, &dom->n_data_dirs,
			       WARD_POLICY_DATA_DIRS_MAX);
	case OPT_ALLOW_WX_ELF:
		dom->allow_wx_elf = true;
		return 0;
	case OPT_SANDBOX:
		return sandbox_opt(o, arg);
	default:
		return -1;
	}
}

static int sandbox_settings(struct cli_settings *o)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_free_ char *text = NULL;
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	int r;

	if (!o->sandbox)
		return 0;
	doc = json_pack("{s:i, s:s, s:i, s:s, s:[], s:O}", "ward_policy", WARD_POLICY_FORMAT,
			"name", "sandbox", "version", 0, "hash", "sha256", "entries", "sandbox",
			o->sandbox);
	if (!doc || !(text = json_dumps(doc, JSON_COMPACT)))
		return cli_error(EXIT_VERDICT, "out of memory");
	r = policy_parse((const uint8_t *)text, strlen(text), &p, &d);
	if (r == -ENOMEM)
		return cli_error(EXIT_VERDICT, "out of memory");
	if (r < 0)
		return cli_error(EXIT_USAGE, "--sandbox: %s", d.msg);
	o->settings.sandbox = p->sandbox;
	policy_free(p);
	return 0;
}

static int anon_exec_settings(struct cli_settings *o, struct ward_policy_builder *b)
{
	struct ward_policy_domain *dom = &o->settings.domain;
	size_t dlen = hash_alg_size(o->hash);

	dom->anon_exec = o->anon;
	for (size_t i = 0; i < o->n_anon_files; i++) {
		_cleanup_free_ char *abs = malloc(PATH_MAX);
		_cleanup_close_ int fd = -EBADF;
		struct ward_digest dg[__WARD_HASH_MAX];
		bool dup = false;
		int r;

		if (!abs)
			return cli_error(EXIT_VERDICT, "out of memory");
		r = measure_record_path(o->anon_files[i], abs);
		if (r < 0)
			return cli_error(EXIT_USAGE, "--anon-exec %s: %s", o->anon_files[i],
					 r == -EINVAL ? "not a regular file" : strerror(-r));
		fd = measure_open_regular(AT_FDCWD, abs);
		if (fd < 0)
			return cli_error(EXIT_USAGE, "--anon-exec %s: %s", o->anon_files[i],
					 fd == -EINVAL ? "not a regular file" : strerror(-fd));
		r = measure_fd(fd, 1u << o->hash, dg, NULL);
		if (r < 0)
			return cli_error(EXIT_VERDICT, "--anon-exec %s: %s", abs, strerror(-r));
		/* The executable is allowed to run too: anon_exec grants memory, not execution. */
		r = policy_builder_add(b, dg[o->hash].bytes, abs);
		if (r < 0)
			return cli_error(EXIT_VERDICT, "--anon-exec %s: %s", abs, strerror(-r));
		for (size_t k = 0; k < dom->n_anon_exec; k++)
			dup |= memcmp(o->anon[k].digest, dg[o->hash].bytes, dlen) == 0;
		if (dup)
			continue; /* the same content twice (a link, a copy): one digest grants it */
		memcpy(o->anon[dom->n_anon_exec].digest, dg[o->hash].bytes, dlen);
		o->anon[dom->n_anon_exec++].path = TAKE_PTR(abs);
	}
	return 0;
}

int cli_settings_finish(struct cli_settings *o, struct ward_policy_builder *b)
{
	struct ward_policy *s = &o->settings;
	int r;

	s->name = (char *)o->name;
	s->version = o->version;
	s->hash = o->hash;
	b->hash = o->hash;
	if (s->has_not_before && s->has_not_after && s->not_after < s->not_before)
		return cli_error(EXIT_USAGE, "--not-after is before --not-before");
	if (o->issuer) {
		_cleanup_pkey_ EVP_PKEY *k = NULL;
		struct ward_diag d = { { 0 } };

		r = policy_pubkey_load(o->issuer, &k, &d);
		if (r < 0)
			return cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "--issuer: %s",
					 d.msg[0] ? d.msg : strerror(-r));
		if (policy_key_id(k, s->issuer) < 0)
			return cli_error(EXIT_USAGE, "--issuer %s: not an Ed25519 key", o->issuer);
	}
	if ((r = sandbox_settings(o)) || (r = anon_exec_settings(o, b)))
		return r;
	return 0;
}

bool cli_settings_to_stdout(const struct cli_settings *o)
{
	return !o->out || strcmp(o->out, "-") == 0;
}

/*
 * The policy is parsed back before it is written: what ward writes, ward reads, and
 * a combination of settings the parser refuses is reported here rather than at the first
 * `ward run`.
 */
int cli_settings_write(struct cli_settings *o, struct ward_policy_builder *b)
{
	_cleanup_free_ char *text = NULL;
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	int r;

	r = policy_builder_write(b, &o->settings, &text);
	if (r < 0)
		return cli_error(EXIT_VERDICT, "out of memory");
	r = policy_parse((const uint8_t *)text, strlen(text), &p, &d);
	if (r == -ENOMEM)
		return cli_error(EXIT_VERDICT, "out of memory");
	if (r < 0)
		return cli_error(EXIT_USAGE, "the policy would not be valid: %s", d.msg);
	policy_free(p);
	r = cli_write_output(o->out, text, strlen(text), 0644);
	if (r == 0 && cli_settings_to_stdout(o))
		putchar('\n');
	return r;
}
