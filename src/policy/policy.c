/* SPDX-License-Identifier: Apache-2.0 */
/* The allowlist policy document: strict parse, digest index, and the writer used by scan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/limits.h"
#include "ward/policy.h"

static int entry_cmp(const void *a, const void *b, void *size)
{
	return memcmp(((const struct ward_policy_entry *)a)->digest,
		      ((const struct ward_policy_entry *)b)->digest, *(size_t *)size);
}

static int entry_cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct ward_policy_entry *)a)->path,
		      ((const struct ward_policy_entry *)b)->path);
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

static int parse_domain(json_t *o, struct ward_policy_domain *dom, struct ward_diag *d)
{
	static const char *const keys[] = { "allow_anon_exec", "allow_wx_elf", "data_dirs", NULL };
	json_t *v, *dirs;
	size_t i;
	int r;

	if (!json_is_object(o))
		return diag_set(d, -EBADMSG, "policy: \"domain\" must be an object");
	if ((r = json_only_keys(o, keys, "policy: domain", d)) < 0)
		return r;
	if ((v = json_object_get(o, "allow_anon_exec"))) {
		if (!json_is_boolean(v))
			return diag_set(d, -EBADMSG, "policy: domain.allow_anon_exec must be a boolean");
		dom->allow_anon_exec = json_is_true(v);
	}
	if ((v = json_object_get(o, "allow_wx_elf"))) {
		if (!json_is_boolean(v))
			return diag_set(d, -EBADMSG, "policy: domain.allow_wx_elf must be a boolean");
		dom->allow_wx_elf = json_is_true(v);
	}
	dirs = json_object_get(o, "data_dirs");
	if (!dirs)
		return 0;
	if (!json_is_array(dirs))
		return diag_set(d, -EBADMSG, "policy: domain.data_dirs must be an array");
	if (json_array_size(dirs) > WARD_POLICY_DATA_DIRS_MAX)
		return diag_set(d, -E2BIG, "policy: more than %u data dirs", WARD_POLICY_DATA_DIRS_MAX);
	dom->data_dirs = calloc(json_array_size(dirs) + 1, sizeof(char *));
	if (!dom->data_dirs)
		return -ENOMEM;
	json_array_foreach(dirs, i, v) {
		if (!json_is_string(v) || !data_dir_valid(json_string_value(v)))
			return diag_set(d, -EBADMSG,
					"policy: domain.data_dirs[%zu] must be an absolute, normalised "
					"directory other than / (no trailing /, no . or .. parts)", i);
		dom->data_dirs[dom->n_data_dirs] = strdup(json_string_value(v));
		if (!dom->data_dirs[dom->n_data_dirs])
			return -ENOMEM;
		dom->n_data_dirs++;
	}
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
	static const char *const keys[] = { "ward_policy", "name", "version", "hash", "entries",
					    "domain", NULL };
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
	    (r = parse_domain(json_object_get(root, "domain"), &p->domain, d)) < 0)
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

int policy_builder_write(const struct ward_policy_builder *b, const char *name, uint64_t version,
			 char **ret_text)
{
	_cleanup_json_ json_t *root = NULL, *arr = json_array();
	char *text;

	if (!arr)
		return -ENOMEM;
	if (b->n)
		qsort(b->entries, b->n, sizeof(*b->entries), entry_cmp_path);
	for (size_t i = 0; i < b->n; i++) {
		struct ward_digest dg = { .alg = b->hash };
		char ds[WARD_DIGEST_STR_MAX];

		if (i > 0 && strcmp(b->entries[i].path, b->entries[i - 1].path) == 0)
			continue;
		memcpy(dg.bytes, b->entries[i].digest, hash_alg_size(b->hash));
		measure_digest_format(&dg, ds);
		if (json_array_append_new(arr, json_pack("{s:s, s:s}", "digest", ds, "path",
							 b->entries[i].path)) < 0)
			return -ENOMEM;
	}
	root = json_pack("{s:i, s:s, s:I, s:s, s:O}", "ward_policy", WARD_POLICY_FORMAT, "name",
			 name, "version", (json_int_t)version, "hash", hash_alg_name(b->hash),
			 "entries", arr);
	if (!root)
		return -ENOMEM;
	if (b->domain.allow_anon_exec || b->domain.allow_wx_elf || b->domain.n_data_dirs) {
		json_t *dirs = json_array();

		if (!dirs)
			return -ENOMEM;
		for (size_t i = 0; i < b->domain.n_data_dirs; i++)
			if (json_array_append_new(dirs, json_string(b->domain.data_dirs[i])) < 0) {
				json_decref(dirs);
				return -ENOMEM;
			}
		if (json_object_set_new(root, "domain",
					json_pack("{s:b, s:b, s:o}", "allow_anon_exec",
						  b->domain.allow_anon_exec, "allow_wx_elf",
						  b->domain.allow_wx_elf, "data_dirs", dirs)) < 0)
			return -ENOMEM;
	}
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
	struct ward_policy_builder b = { .hash = p->hash, .domain = p->domain };

	return policy_builder_write(&b, p->name, p->version, ret);
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
