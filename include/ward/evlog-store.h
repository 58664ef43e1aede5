/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The persistent measurement log: an append-only file in the state dir holding ward's records
 * in framed form (docs/evidence-format.md, "On-disk log"). An append is durable (fdatasync)
 * before it is reported; a torn tail left by a crash is detected and cut on open; damage
 * anywhere else is refused, never silently cut. Several processes may append: an exclusive
 * flock serialises them and each catches up on the others' records before it writes.
 */
#ifndef WARD_EVLOG_STORE_H
#define WARD_EVLOG_STORE_H

#include <stdint.h>

#include "ward/evlog.h"

struct ward_evlog_store;

enum {
	/* Open without cutting a torn tail or creating the file (readers, verifiers). */
	WARD_STORE_RDONLY = 1 << 0,
};

/**
 * evlog_store_open() - open (creating if needed) the log @name in @dirfd and load it.
 * @dirfd: the state directory.
 * @name: file name in it.
 * @banks: mask of banks whose registers are kept (bit per enum ward_hash_alg).
 * @pcr: register index ward's records use.
 * @flags: WARD_STORE_*.
 * @ret: the store.
 * @d: diagnostics: offset and reason of refused damage.
 *
 * Return: 0, -EUCLEAN when the file is damaged before its tail (valid records follow the
 * damage), -EBADMSG for a bad file header, -ENOENT (RDONLY, no log), -ENOMEM, or an I/O errno.
 */
int evlog_store_open(int dirfd, const char *name, unsigned banks, uint32_t pcr, unsigned flags,
		     struct ward_evlog_store **ret, struct ward_diag *d);

/**
 * evlog_store_append() - append records durably, as one group commit.
 * @s: the store.
 * @recs: records, moved into the store's log on success (left untouched on failure).
 * @n: their number (1..WARD_APPEND_BATCH_MAX).
 * @d: diagnostics.
 *
 * On return 0 every record is on stable storage. On failure none is reported appended and
 * the file is truncated back to its previous end.
 *
 * Return: 0, -EINVAL, -EUCLEAN (another writer left damage), -EROFS (opened RDONLY), -ENOMEM,
 * or an I/O errno.
 */
int evlog_store_append(struct ward_evlog_store *s, struct ward_evlog_record *recs, size_t n,
		       struct ward_diag *d);

enum {
	/* Written (visible to readers, kept if the writer dies) but not yet synced: the caller
	 * calls evlog_store_sync() soon, as one group commit for many appends. */
	WARD_APPEND_NOSYNC = 1 << 0,
};

/**
 * evlog_store_append_flags() - evlog_store_append() with WARD_APPEND_* @flags.
 * Return: as evlog_store_append().
 */
int evlog_store_append_flags(struct ward_evlog_store *s, struct ward_evlog_record *recs, size_t n,
			     unsigned flags, struct ward_diag *d);

/*
 * A mirror keeps registers outside the log (a TPM PCR) in step with it. The store calls it with
 * its exclusive lock held whenever records have become durable, with the @n records of @log
 * that are; records therefore reach the register in log order whichever process wrote them.
 */
typedef int (*evlog_store_mirror_fn)(void *ctx, const struct ward_evlog *log, size_t n,
				     struct ward_diag *d);

/**
 * evlog_store_set_mirror() - install @fn (NULL: none). An append (without WARD_APPEND_NOSYNC)
 * mirrors its records after its fdatasync; evlog_store_sync() and evlog_store_locked() mirror
 * everything in the file. When the mirror fails, the records stay appended (they are durable)
 * and the append returns the mirror's error.
 */
void evlog_store_set_mirror(struct ward_evlog_store *s, evlog_store_mirror_fn fn, void *ctx);

typedef int (*evlog_store_locked_fn)(void *ctx, struct ward_evlog_store *s, struct ward_diag *d);

/**
 * evlog_store_locked() - with the exclusive lock held: load others' records, make the whole
 * file durable, mirror it, then call @fn (may be NULL). Nothing can be appended while @fn runs,
 * so the registers it reads (evlog_store_register()) are those of the mirror too.
 * Return: 0, the mirror's or @fn's error, -EROFS, or an I/O errno.
 */
int evlog_store_locked(struct ward_evlog_store *s, evlog_store_locked_fn fn, void *ctx,
		       struct ward_diag *d);

/** evlog_store_sync() - make every record written so far durable (and mirrored). Return: 0 or
 * -errno. */
int evlog_store_sync(struct ward_evlog_store *s);

/** evlog_store_refresh() - load records other processes appended since. Return: as open. */
int evlog_store_refresh(struct ward_evlog_store *s, struct ward_diag *d);

/** evlog_store_log() - the records loaded so far (valid until the next append or refresh). */
const struct ward_evlog *evlog_store_log(const struct ward_evlog_store *s);

/**
 * evlog_store_register() - the replayed register value of @bank over every record loaded.
 * Return: 0, or -EINVAL when @bank is not kept.
 */
int evlog_store_register(const struct ward_evlog_store *s, enum ward_hash_alg bank, uint8_t *out);

/** evlog_store_cut_bytes() - bytes of torn tail cut when the store was opened. */
uint64_t evlog_store_cut_bytes(const struct ward_evlog_store *s);

void evlog_store_free(struct ward_evlog_store *s);

#endif
