/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the policy document (`ward policy scan` output; `ward policy install`, `ward run
 * --policy`, `ward verify --policy` input). Whatever parses must be what the monitor relies on:
 * an index policy_lookup() can search (sorted, one entry per digest, every listed digest found
 * again, nothing found under another algorithm), anon_exec executables found by digest, valid
 * dirs, a well-formed name and issuer, an ordered validity window, sandbox defaults in range; and
 * its binary index must decode to the same policy, which also fuzzes the index decoder through
 * every policy the fuzzer reaches. The raw input is tried as an index too.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/limits.h"
#include "ward/manifest.h"
#include "ward/policy.h"

static const char *const alg_names[] = { "sha1", "sha256", "sha384", "sha512", "md5", "" };

/* docs/policy-format.md: absolute, normalised, not "/", no trailing '/', no empty, . or .. part. */
static bool dir_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n >= WARD_PATH_MAX || s[0] != '/' || s[n - 1] == '/')
		return false;
	for (const char *c = s; *c; c++)
		if (c[0] == '/' && (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || !c[2])) ||
				    (c[1] == '.' && c[2] == '.' && (c[3] == '/' || !c[3]))))
			return false;
	return true;
}

static bool key_id_ok(const char *s)
{
	if (strncmp(s, "ed25519:", 8) != 0 || strlen(s) != 72)
		return false;
	for (s += 8; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void check_dirs(const struct ward_policy *p, char *const *dirs, size_t n, bool data)
{
	for (size_t i = 0; i < n; i++) {
		char below[WARD_PATH_MAX + 2];
		const char *hit;

		FUZZ_ASSERT(dirs[i] && dir_ok(dirs[i]));
		if (!data)
			continue;
		/* Whatever lies below a data dir is covered, by a dir that is a prefix of it. */
		snprintf(below, sizeof(below), "%s/x", dirs[i]);
		hit = policy_data_dir(p, below);
		FUZZ_ASSERT(hit && strncmp(below, hit, strlen(hit)) == 0 && below[strlen(hit)] == '/');
	}
}

/* The sandbox defaults the policy sets, each in its documented range. */
static void check_sandbox(const struct ward_policy_sandbox *sb)
{
	static const struct {
		unsigned bit;
		uint64_t min, max;
	} r[] = {
		{ WARD_MANIFEST_GIVEN_MEMORY, 16, 65536 },
		{ WARD_MANIFEST_GIVEN_THREADS, 1, 1024 },
		{ WARD_MANIFEST_GIVEN_CPU, 1, 6400 },
		{ WARD_MANIFEST_GIVEN_TIMEOUT, 1, 3600 },
		{ WARD_MANIFEST_GIVEN_SCRATCH, 0, 65536 },
		{ WARD_MANIFEST_GIVEN_INPUT, 0, 1ull << 32 },
		{ WARD_MANIFEST_GIVEN_OUTPUT, 0, 1ull << 32 },
	};
	const uint64_t v[] = { sb->memory_mb,	 sb->threads,	      sb->cpu_percent,
			       sb->timeout_s,	 sb->scratch_mb,      sb->max_input_bytes,
			       sb->max_output_bytes };
	unsigned all = 0;

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		all |= r[i].bit;
		if (sb->given & r[i].bit)
			FUZZ_ASSERT(v[i] >= r[i].min && v[i] <= r[i].max);
		else
			FUZZ_ASSERT(v[i] == 0);
	}
	FUZZ_ASSERT((sb->given & ~all) == 0);
}

/* @paths: entries carry their paths (parsed from a document, not decoded from an index). */
static void check_policy(const struct ward_policy *p, bool paths, const uint8_t *data, size_t size)
{
	const struct ward_policy_domain *dom = &p->domain;
	uint8_t digest[WARD_HASH_MAX_SIZE];
	const char *own = hash_alg_name(p->hash);
	size_t dlen = hash_alg_size(p->hash);

	FUZZ_ASSERT(own);
	FUZZ_ASSERT(p->name && p->name[0] && strlen(p->name) < WARD_POLICY_NAME_MAX);
	FUZZ_ASSERT(p->version <= INT64_MAX);
	FUZZ_ASSERT(p->issuer[0] == '\0' || key_id_ok(p->issuer));
	FUZZ_ASSERT(p->n_entries <= p->n_paths && p->n_paths <= WARD_POLICY_ENTRIES_MAX);

	for (size_t i = 0; i < p->n_entries; i++) {
		const struct ward_policy_entry *e = &p->entries[i];

		FUZZ_ASSERT(paths ? e->path != NULL : e->path == NULL);
		if (i > 0)
			FUZZ_ASSERT(memcmp(p->entries[i - 1].digest, e->digest, dlen) < 0);
		FUZZ_ASSERT(policy_lookup(p, own, e->digest, dlen) == e);
		FUZZ_ASSERT(!policy_lookup(p, own, e->digest, dlen - 1));
		for (size_t k = 0; k < sizeof(alg_names) / sizeof(alg_names[0]); k++)
			if (strcmp(alg_names[k], own) != 0)
				FUZZ_ASSERT(!policy_lookup(p, alg_names[k], e->digest, dlen));
	}

	/* anon_exec: sorted, unique, each found by its digest in the policy's algorithm only. */
	FUZZ_ASSERT(dom->n_anon_exec <= WARD_POLICY_DATA_DIRS_MAX);
	for (size_t i = 0; i < dom->n_anon_exec; i++) {
		const uint8_t *dg = dom->anon_exec[i].digest;

		FUZZ_ASSERT(dom->anon_exec[i].path);
		if (i > 0)
			FUZZ_ASSERT(memcmp(dom->anon_exec[i - 1].digest, dg, dlen) < 0);
		FUZZ_ASSERT(policy_anon_exec_allowed(p, own, dg, dlen));
		FUZZ_ASSERT(!policy_anon_exec_allowed(p, own, dg, dlen - 1));
		for (size_t k = 0; k < sizeof(alg_names) / sizeof(alg_names[0]); k++)
			if (strcmp(alg_names[k], own) != 0)
				FUZZ_ASSERT(!policy_anon_exec_allowed(p, alg_names[k], dg, dlen));
	}

	/* A digest built from the input itself: found only if it is listed. */
	memset(digest, 0, sizeof(digest));
	memcpy(digest, data, size < dlen ? size : dlen);
	if (policy_lookup(p, own, digest, dlen)) {
		bool listed = false;

		for (size_t i = 0; i < p->n_entries; i++)
			listed |= memcmp(p->entries[i].digest, digest, dlen) == 0;
		FUZZ_ASSERT(listed);
	}
	if (policy_anon_exec_allowed(p, own, digest, dlen)) {
		bool listed = false;

		for (size_t i = 0; i < dom->n_anon_exec; i++)
			listed |= memcmp(dom->anon_exec[i].digest, digest, dlen) == 0;
		FUZZ_ASSERT(listed);
	}

	FUZZ_ASSERT(dom->n_data_dirs <= WARD_POLICY_DATA_DIRS_MAX);
	FUZZ_ASSERT(dom->n_code_dirs <= WARD_DOMAIN_CODE_MAX);
	check_dirs(p, dom->data_dirs, dom->n_data_dirs, true);
	check_dirs(p, dom->code_dirs, dom->n_code_dirs, false);
	check_sandbox(&p->sandbox);

	/* The validity window: ordered, inclusive, within what RFC 3339 times can say. */
	FUZZ_ASSERT(p->has_not_before || p->not_before == 0);
	FUZZ_ASSERT(p->has_not_after || p->not_after == 0);
	if (p->has_not_before) {
		FUZZ_ASSERT(p->not_before >= 0 && p->not_before <= 253402300799);
		FUZZ_ASSERT(policy_valid_at(p, p->not_before - 1) == -ETIME);
	}
	if (p->has_not_after) {
		FUZZ_ASSERT(p->not_after >= 0 && p->not_after <= 253402300799);
		FUZZ_ASSERT(policy_valid_at(p, p->not_after + 1) == -EKEYEXPIRED);
	}
	if (p->has_not_before && p->has_not_after)
		FUZZ_ASSERT(p->not_before <= p->not_after);
	if (p->has_not_before)
		FUZZ_ASSERT(policy_valid_at(p, p->not_before) == 0);
	if (p->has_not_after)
		FUZZ_ASSERT(policy_valid_at(p, p->not_after) == 0);
	if (!p->has_not_before && !p->has_not_after)
		FUZZ_ASSERT(policy_valid_at(p, INT64_MIN) == 0 && policy_valid_at(p, INT64_MAX) == 0);
}

static bool same_dirs(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* @q, decoded from @p's index, holds every setting and digest of @p (paths aside). */
static void check_same(const struct ward_policy *p, const struct ward_policy *q)
{
	const struct ward_policy_domain *a = &p->domain, *b = &q->domain;
	size_t dlen = hash_alg_size(p->hash);

	FUZZ_ASSERT(q->hash == p->hash && strcmp(q->name, p->name) == 0 &&
		    q->version == p->version && strcmp(q->issuer, p->issuer) == 0);
	FUZZ_ASSERT(q->has_not_before == p->has_not_before && q->not_before == p->not_before);
	FUZZ_ASSERT(q->has_not_after == p->has_not_after && q->not_after == p->not_after);
	FUZZ_ASSERT(memcmp(q->file_digest, p->file_digest, sizeof(p->file_digest)) == 0);
	FUZZ_ASSERT(q->n_entries == p->n_entries);
	for (size_t i = 0; i < q->n_entries; i++)
		FUZZ_ASSERT(memcmp(q->entries[i].digest, p->entries[i].digest, dlen) == 0);

	FUZZ_ASSERT(b->allow_wx_elf == a->allow_wx_elf && b->audit == a->audit &&
		    b->strict_code_mounts == a->strict_code_mounts);
	FUZZ_ASSERT(b->n_anon_exec == a->n_anon_exec);
	for (size_t i = 0; i < b->n_anon_exec; i++)
		FUZZ_ASSERT(memcmp(b->anon_exec[i].digest, a->anon_exec[i].digest, dlen) == 0 &&
			    strcmp(b->anon_exec[i].path, a->anon_exec[i].path) == 0);
	FUZZ_ASSERT(same_dirs(a->data_dirs, a->n_data_dirs, b->data_dirs, b->n_data_dirs));
	FUZZ_ASSERT(same_dirs(a->code_dirs, a->n_code_dirs, b->code_dirs, b->n_code_dirs));

	FUZZ_ASSERT(q->sandbox.given == p->sandbox.given &&
		    q->sandbox.memory_mb == p->sandbox.memory_mb &&
		    q->sandbox.threads == p->sandbox.threads &&
		    q->sandbox.cpu_percent == p->sandbox.cpu_percent &&
		    q->sandbox.timeout_s == p->sandbox.timeout_s &&
		    q->sandbox.scratch_mb == p->sandbox.scratch_mb &&
		    q->sandbox.max_input_bytes == p->sandbox.max_input_bytes &&
		    q->sandbox.max_output_bytes == p->sandbox.max_output_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	uint8_t sum[32];
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;

	err = policy_parse(data, size, &p, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -E2BIG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0' && !p);
		goto as_index;
	}
	FUZZ_ASSERT(p);
	FUZZ_ASSERT(hash_buf(WARD_HASH_SHA256, data, size, sum) == 0);
	FUZZ_ASSERT(memcmp(sum, p->file_digest, sizeof(p->file_digest)) == 0);
	check_policy(p, true, data, size);

	/* Its index decodes to the same policy: settings, and every digest in order. */
	{
		struct ward_policy *q = NULL;
		uint8_t *idx = NULL;
		size_t ilen;

		FUZZ_ASSERT(policy_index_encode(p, &idx, &ilen) == 0);
		err = policy_index_decode(idx, ilen, p->file_digest, &q, &d);
		if (err != 0)
			fprintf(stderr, "index of a parsed policy refused: %d %s\n", err, d.msg);
		FUZZ_ASSERT(err == 0);
		check_same(p, q);
		check_policy(q, false, data, size);
		policy_free(q);
		/* One flipped byte anywhere is refused (the check covers every byte). */
		idx[size % ilen] ^= 0x20;
		q = NULL;
		FUZZ_ASSERT(policy_index_decode(idx, ilen, p->file_digest, &q, &d) < 0 && !q);
		free(idx);
	}
	policy_free(p);
	p = NULL;

as_index:
	/* The raw input as an index: refused or a consistent policy, never a crash. */
	{
		uint8_t fd[32] = { 0 };

		if (size >= 56)
			memcpy(fd, data + 24, 32);
		err = policy_index_decode(data, size, fd, &p, &d);
		FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ESTALE || err == -E2BIG);
		if (err == 0) {
			FUZZ_ASSERT(memcmp(p->file_digest, fd, 32) == 0);
			check_policy(p, false, data, 0);
			policy_free(p);
		}
	}
	return 0;
}
