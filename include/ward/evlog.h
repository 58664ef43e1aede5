/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measurement log in Linux IMA's formats: records of the kernel's templates (ima, ima-ng,
 * ima-sig, ima-buf, ... and custom field lists), parsed from and written to the kernel's
 * binary_runtime_measurements (little-endian) and ascii_runtime_measurements, and replayed to
 * the register value of any bank. Persistence lives in evlog-store.h.
 */
#ifndef WARD_EVLOG_H
#define WARD_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/util.h"
#include "ward/hash.h"
#include "ward/limits.h"
#include "ward/verdict.h"

/* Template fields known to the kernel (security/integrity/ima/ima_template.c). */
enum ward_tfield {
	WARD_TF_D,
	WARD_TF_N,
	WARD_TF_D_NG,
	WARD_TF_D_NGV2,
	WARD_TF_N_NG,
	WARD_TF_SIG,
	WARD_TF_BUF,
	WARD_TF_D_MODSIG,
	WARD_TF_MODSIG,
	WARD_TF_EVMSIG,
	WARD_TF_XATTRNAMES,
	WARD_TF_XATTRLENGTHS,
	WARD_TF_XATTRVALUES,
	WARD_TF_IUID,
	WARD_TF_IGID,
	WARD_TF_IMODE,
	__WARD_TF_MAX,
};

#define WARD_IMA_PCR 10
/* The legacy "ima" template hashes its name field zero-padded to this size. */
#define WARD_IMA_LEGACY_NAME_SIZE 256

struct ward_evlog_record {
	uint32_t pcr;
	char *template_name;
	/*
	 * Template data exactly as the kernel's binary list carries it after the template data
	 * length: a sequence of u32 length + bytes, one per field. The legacy "ima" template has
	 * digest[20] || u32 len || name instead (no outer length, no length on the digest).
	 */
	uint8_t *data;
	uint32_t data_len;
	uint8_t nfields;
	uint8_t field_id[WARD_TEMPLATE_FIELDS_MAX];
	uint32_t field_off[WARD_TEMPLATE_FIELDS_MAX];
	uint32_t field_len[WARD_TEMPLATE_FIELDS_MAX];
	/* The template digest given by the source, in its log bank; all-zero marks a violation. */
	bool violation;
	bool has_given_digest;
	uint8_t given_digest[WARD_HASH_MAX_SIZE];
	/* Where the record came from: byte offset (binary) or 1-based line (ASCII). */
	uint64_t src_pos;
};

struct ward_evlog {
	struct ward_evlog_record *rec;
	size_t n, cap;
	/* The bank of the template digests the source carried (binary: --log-bank or detected). */
	enum ward_hash_alg log_bank;
	bool src_ascii;
};

/* Parsed view of a d-ng / d-ngv2 / d field. */
struct ward_file_digest {
	char alg[32];	 /* "sha256" (d: "sha1") */
	char type[16];	 /* d-ngv2 only: "ima" or "verity" */
	const uint8_t *digest;
	uint32_t len;
};

void evlog_init(struct ward_evlog *log);
void evlog_free(struct ward_evlog *log);
void evlog_record_free(struct ward_evlog_record *r);

/**
 * evlog_parse_binary() - parse a binary measurement list (kernel format, little-endian).
 * @buf: the bytes.
 * @len: their number.
 * @log_bank: digest width of the list (sha1 for binary_runtime_measurements, sha256 for
 *            binary_runtime_measurements_sha256, ...), or __WARD_HASH_MAX to detect: every
 *            width that parses the whole list and whose template digests all check is a
 *            candidate, and anything but exactly one candidate is refused as ambiguous.
 * @log: an initialised, empty log; filled on success.
 * @d: diagnostics naming the byte offset of the first error.
 *
 * Only structure is checked here; template digests are checked by evlog_check_digests().
 *
 * Return: 0, -EBADMSG for malformed input, -ENOTUNIQ when detection is ambiguous, -E2BIG above
 * the limits of ward/limits.h, -ENOMEM.
 */
int evlog_parse_binary(const uint8_t *buf, size_t len, enum ward_hash_alg log_bank,
		       struct ward_evlog *log, struct ward_diag *d);

/**
 * evlog_parse_ascii() - parse an ascii_runtime_measurements list (any bank: the width of the
 * template digest column names it; all lines must agree).
 * @buf: the text.
 * @len: its length.
 * @log: an initialised, empty log; filled on success.
 * @d: diagnostics naming the line of the first error.
 *
 * Template data is rebuilt from the text fields, so that the log replays in every bank.
 * Supported templates: ima, ima-ng, ima-ngv2, ima-sig, ima-sigv2, ima-buf, ima-modsig and
 * custom lists of the same fields.
 *
 * Return: 0, -EBADMSG for malformed input, -EOPNOTSUPP for a template whose text form cannot be
 * parsed back, -E2BIG, -ENOMEM.
 */
int evlog_parse_ascii(const char *buf, size_t len, struct ward_evlog *log, struct ward_diag *d);

/**
 * evlog_parse_ward_file() - parse a copy of ward's on-disk log (STATE_DIR/log), strictly: a torn
 * tail or damage is malformed here (only the store, which owns the file, may cut a tail).
 * @buf: the file's bytes.
 * @len: their number.
 * @log: an initialised, empty log.
 * @d: diagnostics naming the offset.
 *
 * Return: 0, -EBADMSG, -ENOMEM.
 */
int evlog_parse_ward_file(const uint8_t *buf, size_t len, struct ward_evlog *log,
			  struct ward_diag *d);

/**
 * evlog_parse_auto() - binary, ASCII or ward's on-disk log, told apart by content (ward's
 * file starts with "WARDLOG"; ASCII lines with a decimal PCR index or a space; a binary list
 * with a little-endian u32 below 24).
 * @buf: input.
 * @len: its length.
 * @log_bank: as for evlog_parse_binary(); ignored for ASCII input.
 * @log: as above.
 * @d: diagnostics.
 *
 * Return: as the parser chosen.
 */
int evlog_parse_auto(const uint8_t *buf, size_t len, enum ward_hash_alg log_bank,
		     struct ward_evlog *log, struct ward_diag *d);

/**
 * evlog_record_digest() - the record's template digest in @bank (the bytes extended into the
 * register are this, or all 0xff for a violation).
 * @r: the record.
 * @bank: the bank.
 * @out: WARD_HASH_MAX_SIZE bytes.
 *
 * Return: 0 or -EIO.
 */
int evlog_record_digest(const struct ward_evlog_record *r, enum ward_hash_alg bank, uint8_t *out);

/**
 * evlog_check_digests() - recompute every template digest in the log's own bank and compare it
 * with the digest the source carried.
 * @log: the log.
 * @ret_verdict: PASS when all match.
 * @ret_bad: index of the first mismatch, on FAIL.
 * @d: diagnostics naming the record, its offset or line.
 *
 * Return: 0 (the verdict says the rest), -EIO.
 */
int evlog_check_digests(const struct ward_evlog *log, enum ward_verdict *ret_verdict, size_t *ret_bad,
			struct ward_diag *d);

/**
 * evlog_replay() - extend records [@first, @first + @count) into @reg.
 * @log: the log.
 * @first: first record index.
 * @count: number of records.
 * @pcr: only records of this PCR index are extended.
 * @bank: the bank.
 * @reg: register value (bank size), updated in place; start from all-zero for a full replay,
 *       or from a value already verified for an incremental one.
 *
 * Return: 0, -ERANGE when the range is outside the log, -EIO.
 */
int evlog_replay(const struct ward_evlog *log, size_t first, size_t count, uint32_t pcr,
		 enum ward_hash_alg bank, uint8_t *reg);

/**
 * evlog_write_binary() - append records [@first, log->n) in the kernel's binary format.
 * @log: the log.
 * @first: first record.
 * @bank: bank of the template digest column (sha1 = binary_runtime_measurements).
 * @out: the buffer appended to.
 *
 * Return: 0, -ENOMEM, -EIO.
 */
int evlog_write_binary(const struct ward_evlog *log, size_t first, enum ward_hash_alg bank,
		       struct buf *out);

/**
 * evlog_write_ascii() - as evlog_write_binary(), in the kernel's ASCII format.
 *
 * Return: 0, -EOPNOTSUPP for a template with no defined text form, -EILSEQ for a name with a
 * newline or carriage return (it cannot be written unambiguously as text), -ENOMEM, -EIO.
 */
int evlog_write_ascii(const struct ward_evlog *log, size_t first, enum ward_hash_alg bank,
		      struct buf *out);

/** evlog_record_field() - pointer to and length of field @id, or NULL when absent. */
const uint8_t *evlog_record_field(const struct ward_evlog_record *r, enum ward_tfield id,
				  uint32_t *ret_len);

/** evlog_record_name() - the n-ng/n field as a string (NUL ensured by the parser), or NULL. */
const char *evlog_record_name(const struct ward_evlog_record *r);

/** evlog_record_file_digest() - the d-ng/d-ngv2/d field, or -ENOENT when the record has none. */
int evlog_record_file_digest(const struct ward_evlog_record *r, struct ward_file_digest *ret);

/**
 * evlog_record_new() - build a record from field values (ward's own records).
 * @pcr: PCR index.
 * @template_name: "ima-ng", "ima-sig", "ima-buf" or a field list.
 * @values: one pointer per field, in template order.
 * @lens: their lengths.
 * @n: number of fields.
 * @ret: the record (caller frees with evlog_record_free()).
 *
 * Return: 0, -EINVAL for an unknown template or a field count mismatch, -E2BIG, -ENOMEM.
 */
int evlog_record_new(uint32_t pcr, const char *template_name, const uint8_t *const *values,
		     const uint32_t *lens, size_t n, struct ward_evlog_record *ret);

/**
 * evlog_record_new_ng() - an ima-ng record (ima-sig when @sig is non-NULL) for a file.
 * @pcr: PCR index.
 * @alg: algorithm of @digest.
 * @digest: the file digest.
 * @path: the recorded path (NUL-terminated; at most WARD_PATH_MAX - 1 bytes).
 * @sig: signature field (may have length 0), or NULL for ima-ng.
 * @sig_len: its length.
 * @ret: the record.
 *
 * Return: as evlog_record_new().
 */
int evlog_record_new_ng(uint32_t pcr, enum ward_hash_alg alg, const uint8_t *digest,
			const char *path, const uint8_t *sig, uint32_t sig_len,
			struct ward_evlog_record *ret);

/**
 * evlog_record_new_buf() - an ima-buf record: d-ng = sha256(@buf), n-ng = @name, buf = @buf.
 *
 * Return: as evlog_record_new().
 */
int evlog_record_new_buf(uint32_t pcr, const char *name, const uint8_t *buf, uint32_t len,
			 struct ward_evlog_record *ret);

/** evlog_reserve() - room for @more records, so that the next pushes cannot fail. */
int evlog_reserve(struct ward_evlog *log, size_t more);

/** evlog_push() - move @r into @log (on success @r is owned by the log). Return: 0, -E2BIG, -ENOMEM. */
int evlog_push(struct ward_evlog *log, struct ward_evlog_record *r);

/**
 * evlog_parse_template_data() - split template data into fields for @template_name (used on
 * every record read, from any source).
 * @r: a record whose template_name, data and data_len are set; fields are filled in.
 * @d: diagnostics (without position: the caller prefixes it).
 *
 * Return: 0, -EBADMSG.
 */
int evlog_parse_template_data(struct ward_evlog_record *r, struct ward_diag *d);

#endif
