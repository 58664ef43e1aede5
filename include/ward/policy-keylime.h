/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keylime runtime policies, read so that `ward policy import-keylime` can turn their file digests
 * into a ward allowlist. Pure: no syscalls, the caller hands over the bytes.
 *
 * A Keylime policy says more than a ward policy can: regexes of paths that may run anything
 * ("excludes"), keys whose signatures make any file acceptable ("verification-keys"), digests of
 * keys and buffers ("keyrings", "ima-buf"). None of it is converted; all of it is counted, so
 * that the caller can say what the import leaves out. Leaving it out only ever denies more.
 */
#ifndef WARD_POLICY_KEYLIME_H
#define WARD_POLICY_KEYLIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "ward/hash.h"
#include "ward/policy.h"

/* The only runtime policy format Keylime defines (RUNTIME_POLICY_CURRENT_VERSION). */
#define WARD_KEYLIME_FORMAT 1

struct ward_keylime {
	enum ward_hash_alg hash;	   /* the algorithm imported */
	struct ward_policy_entry *entries; /* "digests" of that algorithm, in document order */
	size_t n_entries;
	size_t n_paths;		    /* keys of "digests" with at least one entry */
	size_t n_other_alg;	    /* digests of another length: skipped, never converted */
	size_t n_boot_aggregate;    /* digests listed under "boot_aggregate": PCR values */
	char **excludes;	    /* "excludes": regexes of paths Keylime does not check */
	size_t n_excludes;
	size_t n_keyrings, n_ima_buf; /* digests of keys and buffers: ignored */
	bool verification_keys;	    /* a non-empty "verification-keys": ignored */
	bool dm_policy;		    /* a non-null ima.dm_policy: ignored */
	bool rules;		    /* a "rules" text: ignored */
	bool has_release;
	uint64_t release;	    /* "release", when present */
};

/**
 * policy_keylime_parse() - parse a Keylime runtime policy strictly.
 * @buf: the JSON text.
 * @len: its length, at most WARD_POLICY_FILE_MAX.
 * @alg: the algorithm to import: digests of its length become entries, others are counted.
 * @ret: the parsed policy (free with policy_keylime_free()).
 * @d: diagnostics naming the key path at fault (e.g. digests["/usr/bin/ls"][1]).
 *
 * Return: 0; -EBADMSG for malformed input (not JSON, duplicate keys, unknown keys, a wrong type,
 * a digest that is not 40..128 lower-case hex digits, meta.version other than 1); -E2BIG above
 * WARD_POLICY_ENTRIES_MAX digests or excludes; -EFBIG above WARD_POLICY_FILE_MAX bytes; -EINVAL
 * for an invalid @alg; -ENOMEM.
 */
int policy_keylime_parse(const uint8_t *buf, size_t len, enum ward_hash_alg alg,
			 struct ward_keylime **ret, struct ward_diag *d);

/** policy_keylime_free() - free @k (NULL is fine). */
void policy_keylime_free(struct ward_keylime *k);

#endif
