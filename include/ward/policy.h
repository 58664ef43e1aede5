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
	/* "anon_exec": the executables (by digest, in the policy's algorithm) whose processes may
	 * use anonymous executable memory and mprotect(+X) (JIT runtimes). One that is not also in
	 * the entries cannot run at all (an exec always needs an entry; `scan --anon-exec` adds both).
	 * Sorted by digest, unique. Every other process of the domain is refused (EPERM). */
	struct ward_policy_entry *anon_exec;
	size_t n_anon_exec;
	bool allow_wx_elf;    /* ELF objects with W+X segments, an executable stack, text relocs */
	char **data_dirs;     /* absolute, normalised, no trailing '/': non-ELF files opened
			       * (never executed) below them need no entry */
	size_t n_data_dirs;
	char **code_dirs;     /* "code_dirs": code dirs every domain under this policy gets */
	size_t n_code_dirs;
	bool strict_code_mounts; /* only /usr and code_dirs may be code mounts (no --code) */
	bool audit;              /* "mode": "audit": record what would be denied, deny nothing */
};

/* Defaults for sandbox manifests that leave a limit out ("sandbox" object). */
struct ward_policy_sandbox {
	unsigned given; /* WARD_MANIFEST_GIVEN_* (ward/manifest.h): the defaults this policy sets */
	uint32_t memory_mb, threads, cpu_percent, timeout_s, scratch_mb;
	uint64_t max_input_bytes, max_output_bytes;
};

/* "issuer": the key id of the Ed25519 key that signs the policy: "ed25519:" and the lower-case
 * hex sha256 of the raw 32-byte public key (policy_key_id(), ward/policy-sign.h). */
#define WARD_KEY_ID_STR_MAX (8 + 64 + 1)

struct ward_policy {
	char *name;
	uint64_t version;
	char issuer[WARD_KEY_ID_STR_MAX]; /* "" when the document names none */
	bool has_not_before, has_not_after;
	int64_t not_before, not_after; /* validity window, Unix seconds (RFC 3339 in the file) */
	enum ward_hash_alg hash;
	struct ward_policy_entry *entries; /* sorted by digest, unique digests */
	size_t n_entries;
	size_t n_paths; /* entries as listed, before digests were merged */
	uint8_t file_digest[32]; /* sha256 of the policy file as read */
	struct ward_policy_domain domain;
	struct ward_policy_sandbox sandbox;
};

/**
 * policy_anon_exec_allowed() - may a process running the executable of @digest (@alg, @len
 * bytes) use anonymous executable memory under @p?
 */
bool policy_anon_exec_allowed(const struct ward_policy *p, const char *alg, const uint8_t *digest,
			      size_t len);

/**
 * policy_valid_at() - is @now (Unix seconds) inside @p's validity window?
 * Return: 0, -EKEYEXPIRED after not_after, -ETIME before not_before.
 */
int policy_valid_at(const struct ward_policy *p, int64_t now);

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

/* A policy under construction, for `ward policy scan` and the Keylime import. */
struct ward_policy_builder {
	struct ward_policy_entry *entries;
	size_t n, cap;
	enum ward_hash_alg hash;
};

/** policy_builder_add() - add one (digest, path) pair. Return: 0, -E2BIG, -ENOMEM. */
int policy_builder_add(struct ward_policy_builder *b, const uint8_t *digest, const char *path);

/**
 * policy_builder_write() - the policy document: @settings' name, version, issuer, validity,
 * domain and sandbox settings (its entries are ignored), then the builder's entries sorted by
 * path, one per (path, digest).
 * @b: the builder (may be NULL: no entries).
 * @settings: the rest of the policy; its hash must be @b's.
 * @ret_text: malloc'd JSON text.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_builder_write(struct ward_policy_builder *b, const struct ward_policy *settings,
			 char **ret_text);

/**
 * policy_settings_json() - @p's settings (everything but the entries) as a JSON object, for
 * `ward policy show` and `diff`. Return: a new reference, or NULL when out of memory.
 */
struct json_t;
struct json_t *policy_settings_json(const struct ward_policy *p);

void policy_builder_free(struct ward_policy_builder *b);
void policy_free(struct ward_policy *p);

#endif
