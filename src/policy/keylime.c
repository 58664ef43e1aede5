/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Keylime runtime policy reader (ward/policy-keylime.h).
 *
 * The format is Keylime's, defined in keylime/keylime: keylime/ima/types.py (RuntimePolicyType)
 * and keylime/ima/ima.py (RUNTIME_POLICY_SCHEMA, checked by the verifier with jsonschema, and
 * RUNTIME_POLICY_CURRENT_VERSION = 1):
 *
 *   "meta": {"version": 1, "generator": 0..3, "timestamp": string}
 *   "release": integer >= 0
 *   "digests": {path: [hex digest, ...]}          at least one digest per path
 *   "excludes": [regex, ...]
 *   "keyrings": {keyring: [hex digest, ...]}
 *   "ima": {"ignored_keyrings": [string], "log_hash_alg": "sha1"|"sha256"|"sha384"|"sha512",
 *           "dm_policy": null}
 *   "ima-buf": {name: [hex digest, ...]}
 *   "verification-keys": string
 *   "rules": string                               (types.py only, not in the schema)
 *
 * Every digest matches ^[0-9a-f]{40,128}$; the schema names no algorithm: Keylime compares the
 * hex of the IMA log's digest with the listed strings, so the length is all that tells sha1
 * (40), sha256 (64), sha384 (96) and sha512 (128) apart. A digest of the length of the
 * algorithm imported becomes an entry; any other is counted and skipped (never converted: its
 * file's digest in our algorithm is unknown).
 *
 * Where we are stricter than Keylime, and why:
 * - Keylime's schema does not set additionalProperties, so it ignores keys it does not know. We
 *   refuse them, at every level: a key this reader does not know could carry a meaning (a later
 *   Keylime's) that a silent import would drop or, worse, that the user expects to be kept.
 * - The schema requires all eight top-level keys and meta.generator; we require "meta" (with
 *   its version) and "digests" only. Every other part can only make Keylime accept more, so a
 *   policy without it converts to the same ward entries.
 * - ima.dm_policy is null in the schema but an object in types.py; both are accepted, and
 *   ignored (device-mapper table checks have no ward equivalent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/limits.h"
#include "ward/policy-keylime.h"

#define WHAT "keylime policy"
/* Keylime's generator enum: Unknown, EmptyAllowList, CompatibleAllowList, LegacyAllowList. */
#define KEYLIME_GENERATOR_MAX 3
#define HEX_MIN 40
#define HEX_MAX 128

struct reader {
	struct ward_keylime *k;
	size_t dlen;	  /* bytes of a digest of k->hash */
	size_t n_digests; /* every digest read, of every part: bounded as a policy's entries */
	struct ward_diag *d;
};

void policy_keylime_free(struct ward_keylime *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n_entries; i++)
		free(k->entries[i].path);
	free(k->entries);
	for (size_t i = 0; i < k->n_excludes; i++)
		free(k->excludes[i]);
	free(k->excludes);
	free(k);
}

/* Keylime's digest pattern, ^[0-9a-f]{40,128}$. */
static bool hex_digest_valid(const char *s, size_t n)
{
	if (n < HEX_MIN || n > HEX_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int add_entry(struct reader *r, const char *hex, const char *path)
{
	struct ward_keylime *k = r->k;
	struct ward_policy_entry *e;
	size_t n;

	if (k->n_entries % 1024 == 0) {
		struct ward_policy_entry *ne =
			realloc(k->entries, (k->n_entries + 1024) * sizeof(*k->entries));

		if (!ne)
			return -ENOMEM;
		k->entries = ne;
	}
	e = &k->entries[k->n_entries];
	memset(e, 0, sizeof(*e));
	if (hex_decode(hex, 2 * r->dlen, e->digest, sizeof(e->digest), &n) < 0 || n != r->dlen)
		return diag_set(r->d, -EBADMSG, WHAT ": digests[\"%.200s\"]: bad digest", path);
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	k->n_entries++;
	return 0;
}

/*
 * A digests-object ({name: [hex, ...]}): "digests", "keyrings" or "ima-buf". Only "digests"
 * becomes entries (@import); the others are checked and counted in *@ret_count.
 */
static int read_digests(struct reader *r, json_t *obj, const char *part, bool import,
			size_t *ret_count)
{
	const char *name;
	json_t *list;
	int err;

	if (!json_is_object(obj))
		return diag_set(r->d, -EBADMSG, WHAT ": \"%s\" must be an object", part);
	json_object_foreach(obj, name, list) {
		size_t i, n_here = 0;
		json_t *v;

		if (!*name || strlen(name) >= WARD_PATH_MAX)
			return diag_set(r->d, -EBADMSG, WHAT ": %s: a name must be 1..%d bytes", part,
					WARD_PATH_MAX - 1);
		if (!json_is_array(list) || json_array_size(list) == 0)
			return diag_set(r->d, -EBADMSG,
					WHAT ": %s[\"%.200s\"] must be a non-empty array of digests",
					part, name);
		json_array_foreach(list, i, v) {
			const char *hex = json_string_value(v);
			size_t n = hex ? json_string_length(v) : 0;

			if (!hex || !hex_digest_valid(hex, n))
				return diag_set(r->d, -EBADMSG,
						WHAT ": %s[\"%.200s\"][%zu] must be %d..%d lower-case hex "
						"digits",
						part, name, i, HEX_MIN, HEX_MAX);
			if (++r->n_digests > WARD_POLICY_ENTRIES_MAX)
				return diag_set(r->d, -E2BIG, WHAT ": more than %u digests",
						WARD_POLICY_ENTRIES_MAX);
			if (!import) {
				(*ret_count)++;
				continue;
			}
			/* boot_aggregate is the IMA log's first record: a digest of PCRs 0-7 (or
			 * 0-9), not of a file. As an entry it would allow a file of that digest. */
			if (strcmp(name, "boot_aggregate") == 0) {
				r->k->n_boot_aggregate++;
				continue;
			}
			if (n != 2 * r->dlen) {
				r->k->n_other_alg++;
				continue;
			}
			if ((err = add_entry(r, hex, name)) < 0)
				return err;
			n_here++;
		}
		if (n_here)
			r->k->n_paths++;
	}
	return 0;
}

static int read_meta(struct reader *r, json_t *meta)
{
	static const char *const keys[] = { "version", "generator", "timestamp", NULL };
	uint64_t version;
	json_t *v;
	int err;

	if (!json_is_object(meta))
		return diag_set(r->d, -EBADMSG, WHAT ": \"meta\" must be an object");
	if ((err = json_only_keys(meta, keys, WHAT ": meta", r->d)) < 0 ||
	    (err = json_req_u64(meta, "version", WHAT ": meta", &version, r->d)) < 0)
		return err;
	if (version != WARD_KEYLIME_FORMAT)
		return diag_set(r->d, -EBADMSG,
				WHAT ": meta.version %llu is not supported (Keylime defines %d)",
				(unsigned long long)version, WARD_KEYLIME_FORMAT);
	if ((v = json_object_get(meta, "generator")) &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 ||
	     json_integer_value(v) > KEYLIME_GENERATOR_MAX))
		return diag_set(r->d, -EBADMSG, WHAT ": meta.generator must be an integer in 0..%d",
				KEYLIME_GENERATOR_MAX);
	if ((v = json_object_get(meta, "timestamp")) && !json_is_string(v))
		return diag_set(r->d, -EBADMSG, WHAT ": meta.timestamp must be a string");
	return 0;
}

static int read_excludes(struct reader *r, json_t *arr)
{
	struct ward_keylime *k = r->k;
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return diag_set(r->d, -EBADMSG, WHAT ": \"excludes\" must be an array of strings");
	if (json_array_size(arr) > WARD_POLICY_ENTRIES_MAX)
		return diag_set(r->d, -E2BIG, WHAT ": more than %u excludes",
				WARD_POLICY_ENTRIES_MAX);
	k->excludes = calloc(json_array_size(arr) + 1, sizeof(char *));
	if (!k->excludes)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || json_string_length(v) >= WARD_PATH_MAX)
			return diag_set(r->d, -EBADMSG,
					WHAT ": excludes[%zu] must be a string of less than %d bytes",
					i, WARD_PATH_MAX);
		k->excludes[k->n_excludes] = strdup(json_string_value(v));
		if (!k->excludes[k->n_excludes])
			return -ENOMEM;
		k->n_excludes++;
	}
	return 0;
}

static int read_ima(struct reader *r, json_t *ima)
{
	static const char *const keys[] = { "ignored_keyrings", "log_hash_alg", "dm_policy", NULL };
	enum ward_hash_alg alg;
	size_t i;
	json_t *v, *e;
	int err;

	if (!json_is_object(ima))
		return diag_set(r->d, -EBADMSG, WHAT ": \"ima\" must be an object");
	if ((err = json_only_keys(ima, keys, WHAT ": ima", r->d)) < 0)
		return err;
	if ((v = json_object_get(ima, "ignored_keyrings"))) {
		if (!json_is_array(v))
			return diag_set(r->d, -EBADMSG,
					WHAT ": ima.ignored_keyrings must be an array of strings");
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return diag_set(r->d, -EBADMSG,
						WHAT ": ima.ignored_keyrings[%zu] must be a string", i);
	}
	/* The algorithm of the log's template digests (Keylime replays PCR 10 with it); not the
	 * algorithm of "digests", which may mix lengths. */
	if ((v = json_object_get(ima, "log_hash_alg")) &&
	    (!json_is_string(v) || hash_alg_from_name(json_string_value(v), &alg) < 0))
		return diag_set(r->d, -EBADMSG,
				WHAT ": ima.log_hash_alg must be \"sha1\", \"sha256\", \"sha384\" or "
				     "\"sha512\"");
	if ((v = json_object_get(ima, "dm_policy")) && !json_is_null(v)) {
		if (!json_is_object(v))
			return diag_set(r->d, -EBADMSG,
					WHAT ": ima.dm_policy must be null or an object");
		r->k->dm_policy = true;
	}
	return 0;
}

int policy_keylime_parse(const uint8_t *buf, size_t len, enum ward_hash_alg alg,
			 struct ward_keylime **ret, struct ward_diag *d)
{
	static const char *const keys[] = { "meta", "release", "digests", "excludes", "keyrings",
					    "ima", "ima-buf", "verification-keys", "rules", NULL };
	_cleanup_json_ json_t *root = NULL;
	struct reader r = { .d = d };
	json_t *v;
	int err;

	if (!hash_alg_name(alg))
		return diag_set(d, -EINVAL, WHAT ": unknown hash algorithm %d", (int)alg);
	if (len > WARD_POLICY_FILE_MAX)
		return diag_set(d, -EFBIG, WHAT ": larger than %u bytes", WARD_POLICY_FILE_MAX);
	if ((err = json_parse_strict(buf, len, WHAT, &root, d)) < 0 ||
	    (err = json_only_keys(root, keys, WHAT, d)) < 0)
		return err;
	r.k = calloc(1, sizeof(*r.k));
	if (!r.k)
		return -ENOMEM;
	r.k->hash = alg;
	r.dlen = hash_alg_size(alg);

	if (!(v = json_object_get(root, "meta"))) {
		err = diag_set(d, -EBADMSG, WHAT ": \"meta\" is missing (not a runtime policy?)");
		goto fail;
	}
	if ((err = read_meta(&r, v)) < 0)
		goto fail;
	if ((v = json_object_get(root, "release"))) {
		if ((err = json_req_u64(root, "release", WHAT, &r.k->release, d)) < 0)
			goto fail;
		r.k->has_release = true;
	}
	if (!(v = json_object_get(root, "digests"))) {
		err = diag_set(d, -EBADMSG, WHAT ": \"digests\" is missing");
		goto fail;
	}
	if ((err = read_digests(&r, v, "digests", true, NULL)) < 0)
		goto fail;
	if ((v = json_object_get(root, "excludes")) && (err = read_excludes(&r, v)) < 0)
		goto fail;
	if ((v = json_object_get(root, "keyrings")) &&
	    (err = read_digests(&r, v, "keyrings", false, &r.k->n_keyrings)) < 0)
		goto fail;
	if ((v = json_object_get(root, "ima-buf")) &&
	    (err = read_digests(&r, v, "ima-buf", false, &r.k->n_ima_buf)) < 0)
		goto fail;
	if ((v = json_object_get(root, "ima")) && (err = read_ima(&r, v)) < 0)
		goto fail;
	if ((v = json_object_get(root, "verification-keys"))) {
		if (!json_is_string(v)) {
			err = diag_set(d, -EBADMSG, WHAT ": \"verification-keys\" must be a string");
			goto fail;
		}
		r.k->verification_keys = json_string_length(v) > 0;
	}
	if ((v = json_object_get(root, "rules"))) {
		if (!json_is_string(v)) {
			err = diag_set(d, -EBADMSG, WHAT ": \"rules\" must be a string");
			goto fail;
		}
		r.k->rules = true;
	}
	*ret = r.k;
	return 0;
fail:
	policy_keylime_free(r.k);
	return err;
}
