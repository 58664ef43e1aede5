/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: Keylime runtime policies (`ward policy import-keylime` input). Whatever parses
 * must account for every digest under "digests" in each algorithm alike, carry only entries of
 * the algorithm asked for, and convert into a ward policy that parses and finds each entry.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/limits.h"
#include "ward/policy-keylime.h"
#include "ward/policy.h"

/* Every entry of @k, written as a ward policy, parses back and is found by its digest. */
static void check_conversion(const struct ward_keylime *k)
{
	struct ward_policy_builder b = { .hash = k->hash };
	struct ward_policy settings = { .name = (char *)"fuzz", .version = 1, .hash = k->hash };
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	size_t dlen = hash_alg_size(k->hash);
	char *text = NULL;

	for (size_t i = 0; i < k->n_entries; i++)
		FUZZ_ASSERT(policy_builder_add(&b, k->entries[i].digest, k->entries[i].path) == 0);
	FUZZ_ASSERT(policy_builder_write(&b, &settings, &text) == 0);
	FUZZ_ASSERT(policy_parse((const uint8_t *)text, strlen(text), &p, &d) == 0);
	FUZZ_ASSERT(p->n_entries <= k->n_entries);
	for (size_t i = 0; i < k->n_entries; i++) {
		bool shared = false;

		if (policy_lookup(p, hash_alg_name(k->hash), k->entries[i].digest, dlen))
			continue;
		/* policy_builder_write() keeps one entry per path: a digest may be missing only
		 * where its path was listed with another digest. */
		for (size_t j = 0; j < k->n_entries; j++)
			shared |= j != i && strcmp(k->entries[j].path, k->entries[i].path) == 0;
		FUZZ_ASSERT(shared);
	}
	policy_free(p);
	policy_builder_free(&b);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_keylime *k[__WARD_HASH_MAX] = { 0 };
	size_t total = 0;
	int err[__WARD_HASH_MAX];

	if (size > FUZZ_INPUT_MAX)
		return -1;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		struct ward_diag d = { { 0 } };

		err[a] = policy_keylime_parse(data, size, a, &k[a], &d);
		FUZZ_ASSERT(err[a] == 0 || err[a] == -EBADMSG || err[a] == -E2BIG);
		/* The algorithm only sorts digests into entries and others: it never decides
		 * whether a document is valid. */
		FUZZ_ASSERT(err[a] == err[0]);
		if (err[a] < 0) {
			FUZZ_ASSERT(d.msg[0] != '\0');
			continue;
		}
		FUZZ_ASSERT(k[a]->hash == a);
		FUZZ_ASSERT(k[a]->n_paths <= k[a]->n_entries);
		for (size_t i = 0; i < k[a]->n_entries; i++) {
			const char *path = k[a]->entries[i].path;

			FUZZ_ASSERT(path && path[0] && strlen(path) < WARD_PATH_MAX);
			FUZZ_ASSERT(strcmp(path, "boot_aggregate") != 0);
		}
		for (size_t i = 0; i < k[a]->n_excludes; i++)
			FUZZ_ASSERT(k[a]->excludes[i]);
		/* Every digest of "digests" is an entry, another algorithm's, or boot_aggregate's,
		 * whichever algorithm is imported. */
		if (a == 0)
			total = k[a]->n_entries + k[a]->n_other_alg + k[a]->n_boot_aggregate;
		FUZZ_ASSERT(k[a]->n_entries + k[a]->n_other_alg + k[a]->n_boot_aggregate == total);
		FUZZ_ASSERT(k[a]->n_boot_aggregate == k[0]->n_boot_aggregate &&
			    k[a]->n_excludes == k[0]->n_excludes &&
			    k[a]->n_keyrings == k[0]->n_keyrings && k[a]->n_ima_buf == k[0]->n_ima_buf);
		check_conversion(k[a]);
	}
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		policy_keylime_free(k[a]);
	return 0;
}
