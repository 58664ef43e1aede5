/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox manifest: strict parse of one service's program, files and resource bounds. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/hash.h"
#include "ward/manifest.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct ward_manifest *, manifest_free)
#define _cleanup_manifest_ _cleanup_(manifest_freep)

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void manifest_free(struct ward_manifest *m)
{
	if (!m)
		return;
	free_strv(m->argv, m->argc);
	free_strv(m->code, m->n_code);
	free_strv(m->files, m->n_files);
	free_strv(m->measure, m->n_measure);
	free_strv(m->env, m->n_env);
	free(m);
}

void manifest_digest_hex(const struct ward_manifest *m, char out[65])
{
	hex_encode(m->digest, sizeof(m->digest), out);
}

/*
 * A string value of @key (for messages: "argv[2]", "env.PATH"), with no NUL inside and at most
 * @max bytes. jansson hands out NUL-terminated strings, so an embedded "\u0000" would make
 * every C reader (execve, open) see a shorter string than the one the digest covers: one
 * document, two meanings. The document is parsed with JSON_ALLOW_NUL so that such a string
 * reaches this check and is refused with its key named.
 */
static int get_string(json_t *v, const char *key, size_t max, const char **ret, struct ward_diag *d)
{
	const char *s;

	if (!json_is_string(v))
		return diag_set(d, -EINVAL, "%s: must be a string", key);
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return diag_set(d, -EINVAL, "%s: must not contain a NUL character", key);
	if (json_string_length(v) > max)
		return diag_set(d, -E2BIG, "%s: longer than %zu bytes", key, max);
	*ret = s;
	return 0;
}

/*
 * Absolute and normalised: no empty, "." or ".." component and no trailing '/'. One file has
 * one spelling, so the sandbox's mounts, the measurements and the evidence all name it alike,
 * and no ".." can climb out of a listed directory.
 */
static bool path_normalised(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] != '/')
		return false;
	if (n == 1)
		return true;
	if (s[n - 1] == '/')
		return false;
	for (const char *c = s; *c; c++) {
		if (c[0] != '/')
			continue;
		if (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || c[2] == 0)) ||
		    (c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == 0)))
			return false;
	}
	return true;
}

static int get_path(json_t *v, const char *key, bool root_ok, const char **ret,
		    struct ward_diag *d)
{
	const char *s = NULL;
	int r;

	if ((r = get_string(v, key, WARD_MANIFEST_STR_MAX, &s, d)) < 0)
		return r;
	if (!path_normalised(s))
		return diag_set(d, -EINVAL,
				"%s: must be an absolute, normalised path (no //, . or .. parts, "
				"no trailing /)", key);
	if (!root_ok && strcmp(s, "/") == 0)
		return diag_set(d, -EINVAL, "%s: must not be / itself", key);
	*ret = s;
	return 0;
}

/* @s (a key from the document) fit for a one-line message: at most @size - 1 bytes, anything
 * but printable ASCII shown as '?', so a key cannot put terminal controls into a diagnostic. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = 0;
	return buf;
}

static int strv_push(char **v, size_t *n, const char *s)
{
	v[*n] = strdup(s);
	if (!v[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

bool manifest_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= WARD_SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

static int parse_name(json_t *root, struct ward_manifest *m, struct ward_diag *d)
{
	const char *s;
	size_t n;
	int r;

	if (!json_object_get(root, "name"))
		return diag_set(d, -EINVAL, "name: required");
	if ((r = get_string(json_object_get(root, "name"), "name", SIZE_MAX, &s, d)) < 0)
		return r;
	n = strlen(s);
	/* The name becomes part of cgroup and directory names: no '/', no leading '.' or '-'. */
	if (n == 0 || n >= WARD_SERVICE_NAME_MAX)
		return diag_set(d, -EINVAL, "name: must be 1 to %d characters",
				WARD_SERVICE_NAME_MAX - 1);
	if (!manifest_name_ok(s, n))
		return diag_set(d, -EINVAL, "name: must match [a-z0-9][a-z0-9._-]*");
	memcpy(m->name, s, n + 1);
	return 0;
}

static int parse_argv(json_t *root, struct ward_manifest *m, struct ward_diag *d)
{
	json_t *a = json_object_get(root, "argv"), *v;
	size_t i;
	int r;

	if (!a)
		return diag_set(d, -EINVAL, "argv: required");
	if (!json_is_array(a))
		return diag_set(d, -EINVAL, "argv: must be an array of strings");
	if (json_array_size(a) == 0)
		return diag_set(d, -EINVAL, "argv: must hold at least the program's path");
	if (json_array_size(a) > WARD_MANIFEST_ARGV_MAX)
		return diag_set(d, -E2BIG, "argv: more than %d entries", WARD_MANIFEST_ARGV_MAX);
	m->argv = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!m->argv)
		return -ENOMEM;
	json_array_foreach(a, i, v) {
		const char *s;
		char key[32];

		snprintf(key, sizeof(key), "argv[%zu]", i);
		/* argv[0] is what is executed: a path, so that what runs is never chosen by a
		 * search of $PATH inside the sandbox. */
		r = i == 0 ? get_path(v, key, false, &s, d)
			   : get_string(v, key, WARD_MANIFEST_STR_MAX, &s, d);
		if (r < 0)
			return r;
		if ((r = strv_push(m->argv, &m->argc, s)) < 0)
			return r;
	}
	return 0;
}

/* An optional array of unique paths ("code", "files", "measure"). */
static int parse_paths(json_t *root, const char *key, size_t max, bool root_ok, char ***ret_v,
		       size_t *ret_n, struct ward_diag *d)
{
	json_t *a = json_object_get(root, key), *v;
	size_t i;
	int r;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return diag_set(d, -EINVAL, "%s: must be an array of paths", key);
	if (json_array_size(a) > max)
		return diag_set(d, -E2BIG, "%s: more than %zu entries", key, max);
	*ret_v = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*ret_v)
		return -ENOMEM;
	json_array_foreach(a, i, v) {
		const char *s;
		char what[48];

		snprintf(what, sizeof(what), "%s[%zu]", key, i);
		if ((r = get_path(v, what, root_ok, &s, d)) < 0)
			return r;
		/* A list names each path once: two spellings of one list would digest apart. */
		for (size_t k = 0; k < *ret_n; k++)
			if (strcmp((*ret_v)[k], s) == 0)
				return diag_set(d, -EINVAL, "%s: duplicate of %s[%zu]", what, key,
						k);
		if ((r = strv_push(*ret_v, ret_n, s)) < 0)
			return r;
	}
	return 0;
}

static int env_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	/* Keys hold no '=': compare up to it, so "A=.." sorts before "AB=..". */
	while (*x == *y && *x != '=') {
		x++;
		y++;
	}
	return (*x == '=' ? 0 : (unsigned char)*x) - (*y == '=' ? 0 : (unsigned char)*y);
}

static int parse_env(json_t *root, struct ward_manifest *m, struct ward_diag *d)
{
	json_t *o = json_object_get(root, "env"), *v;
	const char *k;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return diag_set(d, -EINVAL, "env: must be an object of string values");
	if (json_object_size(o) > WARD_MANIFEST_ENV_MAX)
		return diag_set(d, -E2BIG, "env: more than %d variables", WARD_MANIFEST_ENV_MAX);
	m->env = calloc(json_object_size(o) + 1, sizeof(char *));
	if (!m->env)
		return -ENOMEM;
	json_object_foreach(o, k, v) {
		const char *val;
		char what[48], shown[33];
		size_t kl = strlen(k);
		int r;

		/* A key cannot hold a NUL: jansson refuses one even with JSON_ALLOW_NUL. */
		snprintf(what, sizeof(what), "env.%s%s", printable(k, shown, sizeof(shown)),
			 kl > 32 ? "..." : "");
		for (size_t i = 0; i < kl; i++) {
			char c = k[i];
			bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
				  (i > 0 && c >= '0' && c <= '9');

			if (!ok)
				return diag_set(d, -EINVAL, "%s: the name must match "
						"[A-Za-z_][A-Za-z0-9_]*", what);
		}
		if (kl == 0)
			return diag_set(d, -EINVAL, "env: empty variable name");
		/* WARD_* names are ward's own, for what it tells the program about its sandbox:
		 * a manifest must not be able to preset or redirect them. */
		if (strncmp(k, "WARD_", 5) == 0)
			return diag_set(d, -EINVAL, "%s: names starting with WARD_ are reserved",
					what);
		if ((r = get_string(v, what, WARD_MANIFEST_STR_MAX, &val, d)) < 0)
			return r;
		if (kl + 1 + strlen(val) > WARD_MANIFEST_STR_MAX)
			return diag_set(d, -E2BIG, "%s: NAME=VALUE longer than %d bytes", what,
					WARD_MANIFEST_STR_MAX);
		if (asprintf(&m->env[m->n_env], "%s=%s", k, val) < 0) {
			m->env[m->n_env] = NULL;
			return -ENOMEM;
		}
		m->n_env++;
	}
	/* Sorted, so that the environment a program sees does not depend on the hash order of
	 * the parser's object. */
	if (m->n_env)
		qsort(m->env, m->n_env, sizeof(char *), env_cmp);
	return 0;
}

/* An optional integer in [@min, @max], or @def. Reals, strings and booleans are refused: "1.5"
 * or "true" for a bound would otherwise be rounded or coerced into a meaning no one wrote. */
static int get_uint(json_t *root, const char *key, uint64_t min, uint64_t max, uint64_t def,
		    uint64_t *ret, struct ward_diag *d)
{
	json_t *v = json_object_get(root, key);
	json_int_t i;

	if (!v) {
		*ret = def;
		return 0;
	}
	if (!json_is_integer(v))
		return diag_set(d, -EINVAL, "%s: must be an integer", key);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return diag_set(d, -EINVAL, "%s: %lld is out of range %llu..%llu", key,
				(long long)i, (unsigned long long)min, (unsigned long long)max);
	*ret = (uint64_t)i;
	return 0;
}

static int get_u32(json_t *root, const char *key, uint32_t min, uint32_t max, uint32_t def,
		   uint32_t *ret, struct ward_diag *d)
{
	uint64_t v = 0;
	int r = get_uint(root, key, min, max, def, &v, d);

	if (r < 0)
		return r;
	*ret = (uint32_t)v;
	return 0;
}

static int get_bool(json_t *root, const char *key, bool def, bool *ret, struct ward_diag *d)
{
	json_t *v = json_object_get(root, key);

	if (!v) {
		*ret = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return diag_set(d, -EINVAL, "%s: must be true or false", key);
	*ret = json_is_true(v);
	return 0;
}

/* An optional string naming one of @words (NULL-terminated); its index, or 0 when absent. */
static int get_word(json_t *root, const char *key, const char *const *words, unsigned *ret,
		    struct ward_diag *d)
{
	json_t *v = json_object_get(root, key);

	if (!v) {
		*ret = 0;
		return 0;
	}
	if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
		for (unsigned i = 0; words[i]; i++)
			if (strcmp(json_string_value(v), words[i]) == 0) {
				*ret = i;
				return 0;
			}
	return diag_set(d, -EINVAL, "%s: must be \"%s\" or \"%s\"", key, words[0], words[1]);
}

static int parse_settings(json_t *root, struct ward_manifest *m, struct ward_diag *d)
{
	static const char *const stderr_words[] = { "drop", "client", NULL };
	static const char *const activation_words[] = { "stdin", "api", NULL };
	unsigned w;
	int r;

	if ((r = get_u32(root, "memory_mb", 16, 65536, 256, &m->memory_mb, d)) < 0 ||
	    (r = get_u32(root, "threads", 1, 1024, 1, &m->threads, d)) < 0 ||
	    (r = get_bool(root, "fork", false, &m->fork, d)) < 0 ||
	    (r = get_u32(root, "cpu_percent", 1, 6400, 100, &m->cpu_percent, d)) < 0 ||
	    (r = get_u32(root, "timeout_s", 1, 3600, 10, &m->timeout_s, d)) < 0 ||
	    (r = get_uint(root, "max_input_bytes", 0, 1ull << 32, 1048576, &m->max_input_bytes,
			  d)) < 0 ||
	    (r = get_uint(root, "max_output_bytes", 0, 1ull << 32, 1048576, &m->max_output_bytes,
			  d)) < 0 ||
	    (r = get_u32(root, "scratch_mb", 0, 65536, 16, &m->scratch_mb, d)) < 0 ||
	    (r = get_u32(root, "pool", 0, 64, 2, &m->pool, d)) < 0)
		return r;
	{
		static const struct { const char *key; unsigned bit; } given[] = {
			{ "memory_mb", WARD_MANIFEST_GIVEN_MEMORY },
			{ "threads", WARD_MANIFEST_GIVEN_THREADS },
			{ "cpu_percent", WARD_MANIFEST_GIVEN_CPU },
			{ "timeout_s", WARD_MANIFEST_GIVEN_TIMEOUT },
			{ "max_input_bytes", WARD_MANIFEST_GIVEN_INPUT },
			{ "max_output_bytes", WARD_MANIFEST_GIVEN_OUTPUT },
			{ "scratch_mb", WARD_MANIFEST_GIVEN_SCRATCH },
		};

		for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++)
			if (json_object_get(root, given[i].key))
				m->given |= given[i].bit;
	}
	/* /tmp is a tmpfs charged to the sandbox's memory: a larger one could never be filled. */
	if (m->scratch_mb > m->memory_mb)
		return diag_set(d, -EINVAL, "scratch_mb: %u is above memory_mb (%u)", m->scratch_mb,
				m->memory_mb);
	if ((r = get_word(root, "stderr", stderr_words, &w, d)) < 0)
		return r;
	m->stderr_to_client = w == 1;
	if ((r = get_word(root, "activation", activation_words, &w, d)) < 0)
		return r;
	m->activation = w == 1 ? WARD_ACTIVATE_API : WARD_ACTIVATE_STDIN;
	return 0;
}

int manifest_parse(const uint8_t *buf, size_t len, struct ward_manifest **ret, struct ward_diag *d)
{
	static const char *const keys[] = {
		"name", "argv", "code", "files", "measure", "env", "memory_mb", "threads", "fork",
		"cpu_percent", "timeout_s", "max_input_bytes", "max_output_bytes", "scratch_mb",
		"stderr", "activation", "pool", "description", NULL,
	};
	_cleanup_manifest_ struct ward_manifest *m = NULL;
	_cleanup_json_ json_t *root = NULL;
	json_error_t err;
	const char *key, *s;
	json_t *v;
	int r;

	if (len > WARD_MANIFEST_MAX_BYTES)
		return diag_set(d, -E2BIG, "larger than %d bytes", WARD_MANIFEST_MAX_BYTES);
	/* Duplicate keys refused (one meaning per document); trailing data and invalid UTF-8 are
	 * refused by jansson itself. NULs are let through to get_string(), which names the key. */
	root = json_loadb((const char *)buf, len,
			  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!root)
		return diag_set(d, -EINVAL, "line %d, column %d: %s", err.line, err.column,
				err.text);
	if (!json_is_object(root))
		return diag_set(d, -EINVAL, "a manifest must be a JSON object");
	json_object_foreach(root, key, v) {
		const char *const *k;
		char shown[65];

		for (k = keys; *k; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (!*k)
			return diag_set(d, -EINVAL, "unknown key \"%s\"",
					printable(key, shown, sizeof(shown)));
	}
	if ((v = json_object_get(root, "description")) &&
	    (r = get_string(v, "description", WARD_MANIFEST_DESCRIPTION_MAX, &s, d)) < 0)
		return r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if ((r = parse_name(root, m, d)) < 0 || (r = parse_argv(root, m, d)) < 0 ||
	    (r = parse_paths(root, "code", WARD_MANIFEST_CODE_MAX, false, &m->code, &m->n_code,
			     d)) < 0 ||
	    (r = parse_paths(root, "files", WARD_MANIFEST_FILES_MAX, false, &m->files, &m->n_files,
			     d)) < 0 ||
	    (r = parse_paths(root, "measure", WARD_MANIFEST_MEASURE_MAX, true, &m->measure,
			     &m->n_measure, d)) < 0 ||
	    (r = parse_env(root, m, d)) < 0 || (r = parse_settings(root, m, d)) < 0)
		return r;
	/* The digest covers the bytes as given, not a re-serialisation: a client computes it
	 * with sha256sum over the file it wrote, without a JSON library. */
	if (hash_buf(WARD_HASH_SHA256, buf, len, m->digest) < 0)
		return diag_set(d, -EIO, "cannot compute the manifest digest");
	*ret = TAKE_PTR(m);
	return 0;
}

int manifest_load(const char *path, struct ward_manifest **ret, struct ward_diag *d)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	size_t len;
	int r;

	/* O_NONBLOCK: a FIFO put where the manifest should be must not hang the caller. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		return diag_set(d, r, "%s: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		return diag_set(d, r, "%s: %s", path, strerror(-r));
	}
	if (S_ISDIR(st.st_mode))
		return diag_set(d, -EISDIR, "%s: is a directory, not a manifest", path);
	if (!S_ISREG(st.st_mode))
		return diag_set(d, -EINVAL, "%s: not a regular file", path);
	if (st.st_size > WARD_MANIFEST_MAX_BYTES)
		return diag_set(d, -EFBIG, "%s: larger than %d bytes", path,
				WARD_MANIFEST_MAX_BYTES);
	/* The size is checked again while reading: the file may grow after fstat(). */
	r = read_fd_full(fd, WARD_MANIFEST_MAX_BYTES, &buf, &len);
	if (r == -EFBIG)
		return diag_set(d, r, "%s: larger than %d bytes", path, WARD_MANIFEST_MAX_BYTES);
	if (r < 0)
		return diag_set(d, r, "%s: %s", path, strerror(-r));
	r = manifest_parse(buf, len, ret, d);
	if (r < 0)
		diag_prefix(d, "%s: ", path);
	return r;
}
