/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state directory: its fixed settings (attester, banks, PCR, file digest algorithm, chosen
 * once when the directory is first used), its measurement log and its attester. Every writer
 * of measurements goes through state_append(), which makes a record durable in the log before
 * the attester mirrors it, so a crash leaves at most records a hardware register lacks.
 */
#ifndef WARD_STATE_H
#define WARD_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ward/attest.h"
#include "ward/evlog-store.h"
#include "ward/policy.h"

enum {
	/* Do not create the dir, cut a torn tail or open the attester (log show/export). */
	WARD_STATE_READONLY = 1 << 0,
	/* Open the attester as well. */
	WARD_STATE_ATTESTER = 1 << 1,
};

#define WARD_TCTI_MAX 1024

struct ward_state {
	char *path;
	int dirfd;
	char attester_type[WARD_ATTESTER_TYPE_MAX];
	char *tcti; /* tpm: the TCTI (state.json's, or the one asked for this run) */
	unsigned banks;		       /* mask of enum ward_hash_alg kept by the log */
	uint32_t pcr;		       /* register ward's records go to */
	enum ward_hash_alg file_hash; /* algorithm of file digests in records */
	struct ward_evlog_store *log;
	struct ward_attester *att; /* NULL unless WARD_STATE_ATTESTER */
	size_t mirrored; /* records this process extended into the attester's register */
	size_t repaired; /* of those, the ones found missing when it opened */
};

/* What a state dir is created with, on first use (ignored after, except tcti: see below). */
struct ward_state_create {
	const char *attester; /* NULL: the dir's own, or attest_default_type() when new */
	const char *tcti;     /* tpm: the TCTI; a later open may name another way to the same TPM */
	int pcr;	      /* -1: 10, unless the tpm attester and the kernel's IMA is on */
};

/**
 * state_open() - open (creating on first use) the state directory @path.
 * @path: the directory.
 * @attester: the attester asked for, or NULL for the dir's own (or the default when new).
 * @flags: WARD_STATE_*.
 * @ret: the state.
 * @d: diagnostics.
 *
 * Return: 0, -EEXIST when @attester differs from the one the dir was created with, -ENOENT
 * (READONLY, no such dir), -EPERM when the dir or its files are open to other users,
 * -EBADMSG for a damaged config, -EUCLEAN for a damaged log, or another -errno.
 */
int state_open(const char *path, const char *attester, unsigned flags, struct ward_state **ret,
	       struct ward_diag *d);

/**
 * state_open_with() - state_open() with creation settings (--attester, --tcti, --pcr).
 * Return: as state_open(); -EINVAL for settings that do not fit (a PCR IMA uses, --tcti for
 * soft); -EUCLEAN when the attester's register does not match the log.
 */
int state_open_with(const char *path, const struct ward_state_create *c, unsigned flags,
		    struct ward_state **ret, struct ward_diag *d);

/**
 * state_choose_pcr() - the PCR a new state dir gets: @asked (-1 for the default) checked for
 * @attester and whether the kernel's IMA is on. Return: 0 or -EINVAL with the reason.
 */
int state_choose_pcr(const char *attester, int asked, bool ima_active, uint32_t *ret,
		     struct ward_diag *d);

/**
 * state_append() - append records durably, then mirror them into the attester.
 * @s: the state.
 * @recs: records (moved into the log on success).
 * @n: their number.
 * @d: diagnostics.
 *
 * Return: 0 or -errno (as evlog_store_append(), attest_extend()).
 */
int state_append(struct ward_state *s, struct ward_evlog_record *recs, size_t n,
		 struct ward_diag *d);

/**
 * state_append_flags() - state_append() with WARD_APPEND_* @flags: with WARD_APPEND_NOSYNC the
 * records are written (they survive the caller's death) and mirrored, and reach stable storage
 * at the caller's next evlog_store_sync().
 * Return: as state_append().
 */
int state_append_flags(struct ward_state *s, struct ward_evlog_record *recs, size_t n,
		       unsigned flags, struct ward_diag *d);

/**
 * state_quote() - catch up on the log and sign its registers over @nonce.
 * @s: the state, opened with WARD_STATE_ATTESTER.
 * @nonce: verifier nonce.
 * @nonce_len: 1..WARD_NONCE_MAX.
 * @first_record: first record the evidence carries (0 for a full log).
 * @ret_msg: the statement signed.
 * @ret_quote: the quote.
 * @d: diagnostics.
 *
 * Return: 0, -ERANGE when @first_record is beyond the log, or -errno.
 */
int state_quote(struct ward_state *s, const uint8_t *nonce, size_t nonce_len, uint64_t first_record,
		struct ward_quote_msg *ret_msg, struct ward_quote *ret_quote, struct ward_diag *d);

/**
 * state_quote_flags() - state_quote() with statement flags (WARD_QUOTE_CHANNEL).
 * Return: as state_quote(); -EINVAL for an unknown flag.
 */
int state_quote_flags(struct ward_state *s, const uint8_t *nonce, size_t nonce_len,
		      uint64_t first_record, uint32_t flags, struct ward_quote_msg *ret_msg,
		      struct ward_quote *ret_quote, struct ward_diag *d);

/**
 * state_load_policy() - parse the policy document @buf, through the state dir's policy index
 * cache: an index built from the same bytes (by sha256) is loaded instead of the JSON; else the
 * JSON is parsed strictly and its index written for next time (best effort).
 * @s: the state (writable, for the cache; read-only works without it).
 * @buf: the policy file's bytes.
 * @len: their length.
 * @ret: the policy.
 * @d: diagnostics (about the policy document; a bad cache entry is rebuilt silently).
 *
 * Return: as policy_parse().
 */
int state_load_policy(struct ward_state *s, const uint8_t *buf, size_t len,
		      struct ward_policy **ret, struct ward_diag *d);

/**
 * state_cache_policy_index() - write the index of @p (parsed from a file whose sha256 is
 * @p->file_digest) to the state's policy index cache, so the next state_load_policy() of that
 * file is fast. Return: 0 or -errno (the cache is best effort).
 */
int state_cache_policy_index(struct ward_state *s, const struct ward_policy *p);

void state_close(struct ward_state *s);

#endif
