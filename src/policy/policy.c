/* SPDX-License-Identifier: Apache-2.0 */
/* The allowlist policy document: strict parse, digest index, and the writer used by scan. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/limits.h"
#include "ward/manifest.h"
#include "ward/policy.h"

static int entry_cmp(const void *a, const void *b, void *size)
{
	return memcmp(((const struct ward_policy_entry *)a)->digest,
		      ((const struct ward_policy_entry *)b)->digest, *(size_t *)size);
}

/* By path, then digest: a path may carry several digests (a Keylime policy lists every
 * version of a file it accepts). */
static int entry_cmp_path(const void *a, const void *b, void *size)
{
	const struct ward_policy_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : memcmp(x->digest, y->digest, *(size_t *)size);
}

void policy_free(struct ward_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_entries; i++)
		free(p->entries[i].path);
	for (size_t i = 0; i < p->domain.n_data_dirs; i++)
		free(p->domain.data_dirs[i]);
	free(p->domain.data_dirs);
	for (size_t i = 0; i < p->domain.n_code_dirs; i++)
		free(p->domain.code_dirs[i]);
	free(p->domain.code_dirs);
	for (size_t i = 0; i < p->domain.n_anon_exec; i++)
		free(p->domain.anon_exec[i].path);
	free(p->domain.anon_exec);
	free(p->entries);
	free(p->name);
	free(p);
}

/* A data dir: absolute, no empty, "." or ".." components, no trailing '/', not "/" itself
 * (that would waive the allowlist for every non-ELF file of every code mount). */
static bool data_dir_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n >= WARD_PATH_MAX || s[0] != '/' || s[n - 1] == '/')
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

static int parse_dirs(json_t *dirs, const char *key, char ***ret, size_t *ret_n,
		      struct ward_diag *d)
{
	json_t *v;
	size_t i;

	if (!json_is_array(dirs))
		return diag_set(d, -EBADMSG, "policy: domain.%s must be an array", key);
	if (json_array_size(dirs) > WARD_POLICY_DATA_DIRS_MAX)
		return diag_set(d, -E2BIG, "policy: domain.%s: more than %u dirs", key,
				WARD_POLICY_DATA_DIRS_MAX);
	*ret = calloc(json_array_size(dirs) + 1, sizeof(char *));
	if (!*ret)
		return -ENOMEM;
	json_array_foreach(dirs, i, v) {
		if (!json_is_string(v) || !data_dir_valid(json_string_value(v)))
			return diag_set(d, -EBADMSG,
					"policy: domain.%s[%zu] must be an absolute, normalised "
					"directory other than / (no trailing /, no . or .. parts)", key, i);
		(*ret)[*ret_n] = strdup(json_string_value(v));
		if (!(*ret)[*ret_n])
			return -ENOMEM;
		(*ret_n)++;
	}
	return 0;
}

static int digest_entry_cmp(const void *a, const void *b, void *size)
{
	return entry_cmp(a, b, size);
}

/* "anon_exec": [{"digest", "path"}...]: the executables allowed anonymous executable memory. */
static int parse_anon_exec(json_t *arr, enum ward_hash_alg alg, struct ward_policy_domain *dom,
			   struct ward_diag *d)
{
	static const char *const keys[] = { "digest", "path", NULL };
	size_t i, dlen = hash_alg_size(alg);
	json_t *e;
	int r;

	if (!json_is_array(arr))
		return diag_set(d, -EBADMSG, "policy: domain.anon_exec must be an array");
	if (json_array_size(arr) > WARD_POLICY_DATA_DIRS_MAX)
		return diag_set(d, -E2BIG, "policy: domain.anon_exec: more than %u executables",
				WARD_POLICY_DATA_DIRS_MAX);
	dom->anon_exec = calloc(json_array_size(arr) + 1, sizeof(*dom->anon_exec));
	if (!dom->anon_exec)
		return -ENOMEM;
	json_array_foreach(arr, i, e) {
		char what[48];
		const char *ds, *path;
		struct ward_digest dg;

		snprintf(what, sizeof(what), "policy: domain.anon_exec[%zu]", i);
		if (!json_is_object(e))
			return diag_set(d, -EBADMSG, "%s must be an object", what);
		if ((r = json_only_keys(e, keys, what, d)) < 0 ||
		    (r = json_req_string(e, "digest", what, &ds, d)) < 0 ||
		    (r = json_req_string(e, "path", what, &path, d)) < 0)
			return r;
		if (measure_digest_parse(ds, &dg) < 0 || dg.alg != alg)
			return diag_set(d, -EBADMSG, "%s: digest must be %s:<%zu lower-case hex digits>",
					what, hash_alg_name(alg), 2 * dlen);
		memcpy(dom->anon_exec[dom->n_anon_exec].digest, dg.bytes, dlen);
		dom->anon_exec[dom->n_anon_exec].path = strdup(path);
		if (!dom->anon_exec[dom->n_anon_exec].path)
			return -ENOMEM;
		dom->n_anon_exec++;
	}
	qsort_r(dom->anon_exec, dom->n_anon_exec, sizeof(*dom->anon_exec), digest_entry_cmp, &dlen);
	for (i = 1; i < dom->n_anon_exec; i++)
		if (memcmp(dom->anon_exec[i].digest, dom->anon_exec[i - 1].digest, dlen) == 0)
			return diag_set(d, -EBADMSG, "policy: domain.anon_exec lists a digest twice");
	return 0;
}

static int req_bool(json_t *o, const char *key, bool *ret, struct ward_diag *d)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return diag_set(d, -EBADMSG, "policy: domain.%s must be a boolean", key);
	*ret = json_is_true(v);
	return 0;
}

static int parse_domain(json_t *o, enum ward_hash_alg alg, struct ward_policy_domain *dom,
			struct ward_diag *d)
{
	static const char *const keys[] = { "anon_exec", "allow_wx_elf", "data_dirs", "code_dirs",
					    "strict_code_mounts", "mode", NULL };
	json_t *v;
	int r;

	if (!json_is_object(o))
		return diag_set(d, -EBADMSG, "policy: \"domain\" must be an object");
	if ((r = json_only_keys(o, keys, "policy: domain", d)) < 0 ||
	    (r = req_bool(o, "allow_wx_elf", &dom->allow_wx_elf, d)) < 0 ||
	    (r = req_bool(o, "strict_code_mounts", &dom->strict_code_mounts, d)) < 0)
		return r;
	if ((v = json_object_get(o, "mode"))) {
		const char *m = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(m, "enforce") && strcmp(m, "audit"))
			return diag_set(d, -EBADMSG,
					"policy: domain.mode must be \"enforce\" or \"audit\"");
		dom->audit = strcmp(m, "audit") == 0;
	}
	if ((v = json_object_get(o, "anon_exec")) && (r = parse_anon_exec(v, alg, dom, d)) < 0)
		return r;
	if ((v = json_object_get(o, "data_dirs")) &&
	    (r = parse_dirs(v, "data_dirs", &dom->data_dirs, &dom->n_data_dirs, d)) < 0)
		return r;
	if ((v = json_object_get(o, "code_dirs")) &&
	    (r = parse_dirs(v, "code_dirs", &dom->code_dirs, &dom->n_code_dirs, d)) < 0)
		return r;
	if (dom->n_code_dirs > WARD_DOMAIN_CODE_MAX)
		return diag_set(d, -E2BIG, "policy: domain.code_dirs: more than %d dirs",
				WARD_DOMAIN_CODE_MAX);
	return 0;
}

/* Sandbox defaults: the manifest's limits and their ranges (docs/sandbox-manifest.md). */
static const struct sandbox_key {
	const char *key;
	uint64_t min, max;
	size_t off;
	bool wide;
	unsigned bit;
} sandbox_keys[] = {
#define SB(k, lo, hi, f, wide, bit) { k, lo, hi, offsetof(struct ward_policy_sandbox, f), wide, bit }
	SB("memory_mb", 16, 65536, memory_mb, false, WARD_MANIFEST_GIVEN_MEMORY),
	SB("threads", 1, 1024, threads, false, WARD_MANIFEST_GIVEN_THREADS),
	SB("cpu_percent", 1, 6400, cpu_percent, false, WARD_MANIFEST_GIVEN_CPU),
	SB("timeout_s", 1, 3600, timeout_s, false, WARD_MANIFEST_GIVEN_TIMEOUT),
	SB("scratch_mb", 0, 65536, scratch_mb, false, WARD_MANIFEST_GIVEN_SCRATCH),
	SB("max_input_bytes", 0, 1ull << 32, max_input_bytes, true, WARD_MANIFEST_GIVEN_INPUT),
	SB("max_output_bytes", 0, 1ull << 32, max_output_bytes, true, WARD_MANIFEST_GIVEN_OUTPUT),
#undef SB
};
#define N_SANDBOX_KEYS (sizeof(sandbox_keys) / sizeof(sandbox_keys[0]))

static int parse_sandbox(json_t *o, struct ward_policy_sandbox *sb, struct ward_diag *d)
{
	const char *keys[N_SANDBOX_KEYS + 1] = { NULL };
	int r;

	if (!json_is_object(o))
		return diag_set(d, -EBADMSG, "policy: \"sandbox\" must be an object");
	for (size_t i = 0; i < N_SANDBOX_KEYS; i++)
		keys[i] = sandbox_keys[i].key;
	if ((r = json_only_keys(o, keys, "policy: sandbox", d)) < 0)
		return r;
	for (size_t i = 0; i < N_SANDBOX_KEYS; i++) {
		const struct sandbox_key *k = &sandbox_keys[i];
		json_t *v = json_object_get(o, k->key);
		json_int_t n;

		if (!v)
			continue;
		n = json_is_integer(v) ? json_integer_value(v) : -1;
		if (n < 0 || (uint64_t)n < k->min || (uint64_t)n > k->max)
			return diag_set(d, -EBADMSG, "policy: sandbox.%s must be an integer in %llu..%llu",
					k->key, (unsigned long long)k->min,
					(unsigned long long)k->max);
		if (k->wide)
			*(uint64_t *)((char *)sb + k->off) = (uint64_t)n;
		else
			*(uint32_t *)((char *)sb + k->off) = (uint32_t)n;
		sb->given |= k->bit;
	}
	return 0;
}

static int parse_time(json_t *root, const char *key, bool *ret_has, int64_t *ret,
		      struct ward_diag *d)
{
	json_t *v = json_object_get(root, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || rfc3339_parse(json_string_value(v), ret) < 0)
		return diag_set(d, -EBADMSG,
				"policy: \"%s\" must be an RFC 3339 time (e.g. 2026-01-31T00:00:00Z)",
				key);
	*ret_has = true;
	return 0;
}

bool policy_anon_exec_allowed(const struct ward_policy *p, const char *alg, const uint8_t *digest,
			      size_t len)
{
	size_t dlen = hash_alg_size(p->hash);

	if (strcmp(alg, hash_alg_name(p->hash)) != 0 || len != dlen)
		return false;
	for (size_t i = 0; i < p->domain.n_anon_exec; i++)
		if (memcmp(p->domain.anon_exec[i].digest, digest, dlen) == 0)
			return true;
	return false;
}

int policy_valid_at(const struct ward_policy *p, int64_t now)
{
	if (p->has_not_before && now < p->not_before)
		return -ETIME;
	if (p->has_not_after && now > p->not_after)
		return -EKEYEXPIRED;
	return 0;
}

const char *policy_data_dir(const struct ward_policy *p, const char *path)
{
	for (size_t i = 0; i < p->domain.n_data_dirs; i++) {
		const char *dir = p->domain.data_dirs[i];
		size_t n = strlen(dir);

		if (strncmp(path, dir, n) == 0 && path[n] == '/')
			return dir;
	}
	return NULL;
}

int policy_parse(const uint8_t *buf, size_t len, struct ward_policy **ret, struct ward_diag *d)
{
	static const char *const keys[] = { "ward_policy", "name", "version", "issuer",
					    "not_before", "not_after", "hash", "entries",
					    "domain", "sandbox", NULL };
	static const char *const entry_keys[] = { "digest", "path", NULL };
	_cleanup_json_ json_t *root = NULL;
	struct ward_policy *p = NULL;
	const char *name, *hash;
	uint64_t fmt;
	json_t *entries, *e;
	size_t i, dlen;
	int r;

	if ((r = json_parse_strict(buf, len, "policy", &root, d)) < 0 ||
	    (r = json_only_keys(root, keys, "policy", d)) < 0 ||
	    (r = json_req_u64(root, "ward_policy", "policy", &fmt, d)) < 0)
		return r;
	if (fmt != WARD_POLICY_FORMAT)
		return diag_set(d, -EBADMSG, "policy: format %llu is not supported (expected %d)",
				(unsigned long long)fmt, WARD_POLICY_FORMAT);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if ((r = json_req_string(root, "name", "policy", &name, d)) < 0 ||
	    (r = json_req_u64(root, "version", "policy", &p->version, d)) < 0 ||
	    (r = json_req_string(root, "hash", "policy", &hash, d)) < 0)
		goto fail;
	if (hash_alg_from_name(hash, &p->hash) < 0) {
		r = diag_set(d, -EBADMSG, "policy: unknown hash \"%s\"", hash);
		goto fail;
	}
	if (!*name || strlen(name) >= WARD_POLICY_NAME_MAX) {
		r = diag_set(d, -EBADMSG, "policy: \"name\" must be 1..%d bytes",
			     WARD_POLICY_NAME_MAX - 1);
		goto fail;
	}
	if ((e = json_object_get(root, "issuer"))) {
		if (!json_is_string(e) || !key_id_valid(json_string_value(e))) {
			r = diag_set(d, -EBADMSG, "policy: \"issuer\" must be a key id: "
						  "ed25519:<64 lower-case hex digits>");
			goto fail;
		}
		snprintf(p->issuer, sizeof(p->issuer), "%s", json_string_value(e));
	}
	if ((r = parse_time(root, "not_before", &p->has_not_before, &p->not_before, d)) < 0 ||
	    (r = parse_time(root, "not_after", &p->has_not_after, &p->not_after, d)) < 0)
		goto fail;
	if (p->has_not_before && p->has_not_after && p->not_after < p->not_before) {
		r = diag_set(d, -EBADMSG, "policy: \"not_after\" is before \"not_before\"");
		goto fail;
	}
	entries = json_object_get(root, "entries");
	if (!json_is_array(entries)) {
		r = diag_set(d, -EBADMSG, "policy: \"entries\" must be an array");
		goto fail;
	}
	if (json_array_size(entries) > WARD_POLICY_ENTRIES_MAX) {
		r = diag_set(d, -E2BIG, "policy: more than %u entries", WARD_POLICY_ENTRIES_MAX);
		goto fail;
	}
	p->name = strdup(name);
	p->entries = calloc(json_array_size(entries) + 1, sizeof(*p->entries));
	if (!p->name || !p->entries) {
		r = -ENOMEM;
		goto fail;
	}
	dlen = hash_alg_size(p->hash);
	json_array_foreach(entries, i, e) {
		json_t *jd = json_object_get(e, "digest"), *jp = json_object_get(e, "path");
		struct ward_digest dg;
		char what[48];

		/* Policies of a whole /usr hold ~10^5 entries: the common, well-formed case is
		 * checked without building messages; anything else takes the explaining path. */
		if (json_object_size(e) != 2 || !json_is_string(jd) || !json_is_string(jp)) {
			const char *ds, *path;

			snprintf(what, sizeof(what), "policy: entry %zu", i);
			if ((r = json_only_keys(e, entry_keys, what, d)) < 0 ||
			    (r = json_req_string(e, "digest", what, &ds, d)) < 0 ||
			    (r = json_req_string(e, "path", what, &path, d)) < 0)
				goto fail;
			r = diag_set(d, -EBADMSG, "%s: malformed", what);
			goto fail;
		}
		if (measure_digest_parse(json_string_value(jd), &dg) < 0 || dg.alg != p->hash) {
			snprintf(what, sizeof(what), "policy: entry %zu", i);
			r = diag_set(d, -EBADMSG, "%s: digest must be %s:<%zu lower-case hex digits>",
				     what, hash, 2 * dlen);
			goto fail;
		}
		memcpy(p->entries[p->n_entries].digest, dg.bytes, dlen);
		p->entries[p->n_entries].path = strdup(json_string_value(jp));
		if (!p->entries[p->n_entries].path) {
			r = -ENOMEM;
			goto fail;
		}
		p->n_entries++;
	}
	p->n_paths = p->n_entries;
	if (json_object_get(root, "domain") &&
	    (r = parse_domain(json_object_get(root, "domain"), p->hash, &p->domain, d)) < 0)
		goto fail;
	if (json_object_get(root, "sandbox") &&
	    (r = parse_sandbox(json_object_get(root, "sandbox"), &p->sandbox, d)) < 0)
		goto fail;
	/* Index by digest; several paths may share one (hard links, copies): keep the first. */
	qsort_r(p->entries, p->n_entries, sizeof(*p->entries), entry_cmp, &dlen);
	if (p->n_entries) {
		size_t w = 1;
		for (size_t k = 1; k < p->n_entries; k++) {
			if (memcmp(p->entries[k].digest, p->entries[w - 1].digest, dlen) == 0) {
				free(p->entries[k].path);
				continue;
			}
			p->entries[w++] = p->entries[k];
		}
		p->n_entries = w;
	}
	hash_buf(WARD_HASH_SHA256, buf, len, p->file_digest);
	*ret = p;
	return 0;
fail:
	policy_free(p);
	return r;
}

const struct ward_policy_entry *policy_lookup(const struct ward_policy *p, const char *alg,
					      const uint8_t *digest, size_t len)
{
	size_t lo = 0, hi = p->n_entries, dlen = hash_alg_size(p->hash);

	if (strcmp(alg, hash_alg_name(p->hash)) != 0 || len != dlen)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(digest, p->entries[mid].digest, dlen);

		if (c == 0)
			return &p->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int policy_builder_add(struct ward_policy_builder *b, const uint8_t *digest, const char *path)
{
	if (b->n >= WARD_POLICY_ENTRIES_MAX)
		return -E2BIG;
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		struct ward_policy_entry *ne = realloc(b->entries, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		b->entries = ne;
		b->cap = ncap;
	}
	memcpy(b->entries[b->n].digest, digest, hash_alg_size(b->hash));
	b->entries[b->n].path = strdup(path);
	if (!b->entries[b->n].path)
		return -ENOMEM;
	b->n++;
	return 0;
}

static json_t *dirs_json(char *const *dirs, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(dirs[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *policy_settings_json(const struct ward_policy *p)
{
	_cleanup_json_ json_t *root = NULL;
	const struct ward_policy_domain *dom = &p->domain;
	char t[32];

	root = json_pack("{s:i, s:s, s:I}", "ward_policy", WARD_POLICY_FORMAT, "name", p->name,
			 "version", (json_int_t)p->version);
	if (!root)
		return NULL;
	if (p->issuer[0] && json_object_set_new(root, "issuer", json_string(p->issuer)) < 0)
		return NULL;
	if (p->has_not_before) {
		rfc3339_format(p->not_before, t, sizeof(t));
		if (json_object_set_new(root, "not_before", json_string(t)) < 0)
			return NULL;
	}
	if (p->has_not_after) {
		rfc3339_format(p->not_after, t, sizeof(t));
		if (json_object_set_new(root, "not_after", json_string(t)) < 0)
			return NULL;
	}
	if (json_object_set_new(root, "hash", json_string(hash_alg_name(p->hash))) < 0)
		return NULL;
	if (dom->n_anon_exec || dom->allow_wx_elf || dom->n_data_dirs || dom->n_code_dirs ||
	    dom->strict_code_mounts || dom->audit) {
		json_t *o = json_object(), *ae = json_array();
		size_t dlen = hash_alg_size(p->hash);

		if (!o || !ae || json_object_set_new(root, "domain", o) < 0) {
			json_decref(ae);
			return NULL;
		}
		if (json_object_set_new(o, "mode", json_string(dom->audit ? "audit" : "enforce")) < 0 ||
		    json_object_set_new(o, "anon_exec", ae) < 0)
			return NULL;
		for (size_t i = 0; i < dom->n_anon_exec; i++) {
			struct ward_digest dg = { .alg = p->hash };
			char ds[WARD_DIGEST_STR_MAX];

			memcpy(dg.bytes, dom->anon_exec[i].digest, dlen);
			measure_digest_format(&dg, ds);
			if (json_array_append_new(ae, json_pack("{s:s, s:s}", "digest", ds, "path",
								dom->anon_exec[i].path ?
									dom->anon_exec[i].path : "")) < 0)
				return NULL;
		}
		if (json_object_set_new(o, "allow_wx_elf", json_boolean(dom->allow_wx_elf)) < 0 ||
		    json_object_set_new(o, "data_dirs", dirs_json(dom->data_dirs, dom->n_data_dirs)) < 0 ||
		    json_object_set_new(o, "code_dirs", dirs_json(dom->code_dirs, dom->n_code_dirs)) < 0 ||
		    json_object_set_new(o, "strict_code_mounts",
					json_boolean(dom->strict_code_mounts)) < 0)
			return NULL;
	}
	{
		json_t *o = json_object();

		if (!o)
			return NULL;
		for (size_t i = 0; i < N_SANDBOX_KEYS; i++) {
			const struct sandbox_key *k = &sandbox_keys[i];
			uint64_t v = k->wide ? *(const uint64_t *)((const char *)&p->sandbox + k->off) :
					       *(const uint32_t *)((const char *)&p->sandbox + k->off);
			if ((p->sandbox.given & k->bit) && json_object_set_new(o, k->key, json_integer((json_int_t)v)) < 0) {
				json_decref(o);
				return NULL;
			}
		}
		if (json_object_size(o) == 0)
			json_decref(o);
		else if (json_object_set_new(root, "sandbox", o) < 0)
			return NULL;
	}
	return TAKE_PTR(root);
}

int policy_builder_write(struct ward_policy_builder *b, const struct ward_policy *settings,
			 char **ret_text)
{
	_cleanup_json_ json_t *root = policy_settings_json(settings), *arr = json_array();
	size_t dlen = b ? hash_alg_size(b->hash) : 0;
	char *text;

	if (!root || !arr)
		return -ENOMEM;
	if (b && b->n)
		qsort_r(b->entries, b->n, sizeof(*b->entries), entry_cmp_path, &dlen);
	for (size_t i = 0; b && i < b->n; i++) {
		struct ward_digest dg = { .alg = b->hash };
		char ds[WARD_DIGEST_STR_MAX];

		if (i > 0 && entry_cmp_path(&b->entries[i], &b->entries[i - 1], &dlen) == 0)
			continue;
		memcpy(dg.bytes, b->entries[i].digest, hash_alg_size(b->hash));
		measure_digest_format(&dg, ds);
		if (json_array_append_new(arr, json_pack("{s:s, s:s}", "digest", ds, "path",
							 b->entries[i].path)) < 0)
			return -ENOMEM;
	}
	if (json_object_set(root, "entries", arr) < 0)
		return -ENOMEM;
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text)
		return -ENOMEM;
	*ret_text = text;
	return 0;
}

void policy_builder_free(struct ward_policy_builder *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->entries[i].path);
	free(b->entries);
	memset(b, 0, sizeof(*b));
}

/*
 * Index layout (little-endian): magic[8] | u32 hash alg | u32 settings length | u64 entries |
 * policy file sha256[32] | settings (a policy document with no entries: name, version, hash,
 * domain) | digests, strictly ascending | sha256 of everything before[32].
 */
#define INDEX_HEAD (8 + 4 + 4 + 8 + 32)

static int settings_json(const struct ward_policy *p, char **ret)
{
	return policy_builder_write(NULL, p, ret);
}

int policy_index_encode(const struct ward_policy *p, uint8_t **ret_buf, size_t *ret_len)
{
	size_t dlen = hash_alg_size(p->hash), slen, len;
	_cleanup_free_ char *settings = NULL;
	uint8_t *buf, *w;
	int r;

	if ((r = settings_json(p, &settings)) < 0)
		return r;
	slen = strlen(settings);
	len = INDEX_HEAD + slen + p->n_entries * dlen + 32;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	w = buf;
	memcpy(w, WARD_POLICY_INDEX_MAGIC, 8);
	put_le32(w + 8, (uint32_t)p->hash);
	put_le32(w + 12, (uint32_t)slen);
	put_le64(w + 16, p->n_entries);
	memcpy(w + 24, p->file_digest, 32);
	w += INDEX_HEAD;
	memcpy(w, settings, slen);
	w += slen;
	for (size_t i = 0; i < p->n_entries; i++, w += dlen)
		memcpy(w, p->entries[i].digest, dlen);
	hash_buf(WARD_HASH_SHA256, buf, len - 32, w);
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int policy_index_decode(const uint8_t *buf, size_t len, const uint8_t *file_digest,
			struct ward_policy **ret, struct ward_diag *d)
{
	struct ward_policy *p = NULL;
	uint8_t check[32];
	uint64_t n;
	uint32_t alg, slen;
	size_t dlen;
	const uint8_t *dg;
	int r;

	if (len < INDEX_HEAD + 32 || memcmp(buf, WARD_POLICY_INDEX_MAGIC, 8) != 0)
		return diag_set(d, -EBADMSG, "policy index: bad magic or size");
	hash_buf(WARD_HASH_SHA256, buf, len - 32, check);
	if (memcmp(check, buf + len - 32, 32) != 0)
		return diag_set(d, -EBADMSG, "policy index: check does not match");
	if (memcmp(buf + 24, file_digest, 32) != 0)
		return diag_set(d, -ESTALE, "policy index: built from another policy file");
	alg = get_le32(buf + 8);
	slen = get_le32(buf + 12);
	n = get_le64(buf + 16);
	dlen = alg < __WARD_HASH_MAX ? hash_alg_size(alg) : 0;
	if (!dlen || n > WARD_POLICY_ENTRIES_MAX || slen > len - INDEX_HEAD - 32 ||
	    (len - INDEX_HEAD - 32 - slen) != n * dlen)
		return diag_set(d, -EBADMSG, "policy index: inconsistent sizes");
	r = policy_parse(buf + INDEX_HEAD, slen, &p, d);
	if (r < 0) {
		diag_prefix(d, "policy index: settings: ");
		return r == -ENOMEM ? r : -EBADMSG;
	}
	if (p->hash != (enum ward_hash_alg)alg || p->n_entries) {
		policy_free(p);
		return diag_set(d, -EBADMSG, "policy index: settings disagree with the header");
	}
	free(p->entries);
	p->entries = calloc(n + 1, sizeof(*p->entries));
	if (!p->entries) {
		policy_free(p);
		return -ENOMEM;
	}
	dg = buf + INDEX_HEAD + slen;
	for (uint64_t i = 0; i < n; i++, dg += dlen) {
		/* Strictly ascending: the binary search relies on it, and digests are unique. */
		if (i > 0 && memcmp(dg - dlen, dg, dlen) >= 0) {
			p->n_entries = (size_t)i;
			policy_free(p);
			return diag_set(d, -EBADMSG, "policy index: digests not strictly ascending");
		}
		memcpy(p->entries[i].digest, dg, dlen);
	}
	p->n_entries = p->n_paths = (size_t)n;
	memcpy(p->file_digest, file_digest, 32);
	*ret = p;
	return 0;
}
