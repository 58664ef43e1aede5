/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policies: for now the reference-value allowlist that `ward policy scan` writes and the
 * verifier and domains check measured objects against (docs/policy-format.md). Parsing and
 * lookup are pure: no syscalls besides reading the input the caller hands over.
 */
#ifndef WARD_POLICY_H
#define WARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/util.h"
#include "ward/measure.h"

#define WARD_POLICY_FORMAT 1

struct ward_policy_entry {
	uint8_t digest[WARD_HASH_MAX_SIZE];
	char *path; /* a hint for people; matching is by digest only */
};

/* What a policy lets an integrity domain do beyond running allowlisted code (optional
 * "domain" object; every opt-in is recorded in the domain's evidence). */
struct ward_policy_domain {
	bool allow_anon_exec; /* JIT runtimes: anonymous executable memory, mprotect(+X) */
	bool allow_wx_elf;    /* ELF objects with W+X segments, an executable stack, text relocs */
	char **data_dirs;     /* absolute, normalised, no trailing '/': non-ELF files opened
			       * (never executed) below them need no entry */
	size_t n_data_dirs;
};

struct ward_policy {
	char *name;
	uint64_t version;
	enum ward_hash_alg hash;
	struct ward_policy_entry *entries; /* sorted by digest, unique digests */
	size_t n_entries;
	size_t n_paths; /* entries as listed, before digests were merged */
	uint8_t file_digest[32]; /* sha256 of the policy file as read */
	struct ward_policy_domain domain;
};

/**
 * policy_data_dir() - the data dir of @p that @path lies below, or NULL.
 * @p: the policy.
 * @path: an absolute path.
 */
const char *policy_data_dir(const struct ward_policy *p, const char *path);

/**
 * policy_parse() - parse a policy document strictly.
 * @buf: the JSON text.
 * @len: its length.
 * @ret: the policy (free with policy_free()).
 * @d: diagnostics naming the key or entry index at fault.
 *
 * Return: 0, -EBADMSG for malformed or inconsistent input (duplicate keys, unknown keys, a
 * digest of the wrong algorithm or length), -E2BIG above WARD_POLICY_ENTRIES_MAX, -ENOMEM.
 */
int policy_parse(const uint8_t *buf, size_t len, struct ward_policy **ret, struct ward_diag *d);

/**
 * policy_lookup() - is @digest (of algorithm @alg, @len bytes) in the allowlist?
 * Return: the entry, or NULL (also when @alg is not the policy's algorithm).
 */
const struct ward_policy_entry *policy_lookup(const struct ward_policy *p, const char *alg,
					      const uint8_t *digest, size_t len);

/*
 * The policy index: a parsed policy in binary form (sorted digests plus its settings), so that a
 * monitor loads a policy of a whole /usr in milliseconds instead of re-parsing ~10^5 JSON
 * entries. It is derived data, bound to the sha256 of the policy file it came from, and is
 * trusted no more than the directory that holds it (the state dir: root-owned, mode 0700).
 * Paths are not kept (they are hints for people; matching is by digest).
 */
#define WARD_POLICY_INDEX_MAGIC "WARDPIX1"

/** policy_index_encode() - the index of @p. Return: 0 or -ENOMEM. */
int policy_index_encode(const struct ward_policy *p, uint8_t **ret_buf, size_t *ret_len);

/**
 * policy_index_decode() - a policy from its index, strictly checked.
 * @buf: the index.
 * @len: its length.
 * @file_digest: sha256 of the policy file it must have been built from.
 * @ret: the policy (entries without paths).
 * @d: diagnostics.
 *
 * Return: 0, -ESTALE when the index belongs to another policy file, -EBADMSG when it is
 * malformed (bad magic, sizes, check, unsorted digests, settings), -ENOMEM.
 */
int policy_index_decode(const uint8_t *buf, size_t len, const uint8_t *file_digest,
			struct ward_policy **ret, struct ward_diag *d);

/* A policy under construction, for `ward policy scan`. */
struct ward_policy_builder {
	struct ward_policy_entry *entries;
	size_t n, cap;
	enum ward_hash_alg hash;
	struct ward_policy_domain domain; /* written when any field is set; not owned */
};

/** policy_builder_add() - add one (digest, path) pair. Return: 0, -E2BIG, -ENOMEM. */
int policy_builder_add(struct ward_policy_builder *b, const uint8_t *digest, const char *path);

/**
 * policy_builder_write() - the policy document: entries sorted by path, one per path.
 * @b: the builder.
 * @name: policy name.
 * @version: policy version.
 * @ret_text: malloc'd JSON text.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_builder_write(const struct ward_policy_builder *b, const char *name, uint64_t version,
			 char **ret_text);

void policy_builder_free(struct ward_policy_builder *b);
void policy_free(struct ward_policy *p);

#endif
