/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the reference-value allowlist (`ward policy scan` output, `ward verify --policy`
 * input). Whatever parses must be an index that policy_lookup() can search: sorted, one entry per
 * digest, every listed digest found again, nothing found under another algorithm.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/policy.h"

static const char *const alg_names[] = { "sha1", "sha256", "sha384", "sha512", "md5", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	uint8_t digest[WARD_HASH_MAX_SIZE];
	const char *own;
	size_t dlen;
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;

	err = policy_parse(data, size, &p, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -E2BIG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(p && p->name);
	own = hash_alg_name(p->hash);
	FUZZ_ASSERT(own);
	dlen = hash_alg_size(p->hash);
	FUZZ_ASSERT(p->n_entries <= p->n_paths);
	FUZZ_ASSERT(hash_buf(WARD_HASH_SHA256, data, size, digest) == 0);
	FUZZ_ASSERT(memcmp(digest, p->file_digest, sizeof(p->file_digest)) == 0);

	for (size_t i = 0; i < p->n_entries; i++) {
		const struct ward_policy_entry *e = &p->entries[i];

		FUZZ_ASSERT(e->path);
		if (i > 0)
			FUZZ_ASSERT(memcmp(p->entries[i - 1].digest, e->digest, dlen) < 0);
		FUZZ_ASSERT(policy_lookup(p, own, e->digest, dlen) == e);
		FUZZ_ASSERT(!policy_lookup(p, own, e->digest, dlen - 1));
		for (size_t k = 0; k < sizeof(alg_names) / sizeof(alg_names[0]); k++)
			if (strcmp(alg_names[k], own) != 0)
				FUZZ_ASSERT(!policy_lookup(p, alg_names[k], e->digest, dlen));
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
	/* Its index decodes to the same policy: settings, and every digest in order. */
	{
		struct ward_policy *q = NULL;
		uint8_t *idx = NULL;
		size_t ilen;

		FUZZ_ASSERT(policy_index_encode(p, &idx, &ilen) == 0);
		FUZZ_ASSERT(policy_index_decode(idx, ilen, p->file_digest, &q, &d) == 0);
		FUZZ_ASSERT(q->n_entries == p->n_entries && q->hash == p->hash &&
			    q->version == p->version && strcmp(q->name, p->name) == 0 &&
			    q->domain.allow_anon_exec == p->domain.allow_anon_exec &&
			    q->domain.allow_wx_elf == p->domain.allow_wx_elf &&
			    q->domain.n_data_dirs == p->domain.n_data_dirs);
		for (size_t i = 0; i < q->n_entries; i++)
			FUZZ_ASSERT(memcmp(q->entries[i].digest, p->entries[i].digest, dlen) == 0);
		policy_free(q);
		/* One flipped byte anywhere is refused (the check covers every byte). */
		idx[size % ilen] ^= 0x20;
		FUZZ_ASSERT(policy_index_decode(idx, ilen, p->file_digest, &q, &d) < 0);
		free(idx);
	}
	policy_free(p);
	/* The raw input as an index: refused or a consistent policy, never a crash. */
	{
		uint8_t fd[32] = { 0 };

		if (size >= 56)
			memcpy(fd, data + 24, 32);
		err = policy_index_decode(data, size, fd, &p, &d);
		FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ESTALE || err == -E2BIG);
		if (err == 0)
			policy_free(p);
	}
	return 0;
}
