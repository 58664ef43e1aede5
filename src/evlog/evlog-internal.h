/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between the evlog parsers and writers; not part of libward's interface. */
#ifndef WARD_EVLOG_INTERNAL_H
#define WARD_EVLOG_INTERNAL_H

#include <stdbool.h>

#include "ward/evlog.h"

/* The legacy "ima" template: digest and name carry no field lengths, the name is hashed padded. */
bool evlog_template_is_legacy(const char *name);

/* The field list of a template name (built-in or custom). Return: 0 or -EBADMSG. */
int evlog_template_fields(const char *name, uint8_t *ids, uint8_t *ret_n);

/* "d-ng", "sig", ...: for messages and the ASCII writer. */
const char *evlog_field_name(enum ward_tfield id);

/*
 * Parse one binary record at @p (kernel layout, @dlen-byte template digest) into @r.
 * Return: bytes consumed, or -EBADMSG / -E2BIG / -ENOMEM with @d naming the problem (no
 * position: the caller knows it).
 */
long evlog_parse_binary_record(const uint8_t *p, size_t avail, size_t dlen,
			       struct ward_evlog_record *r, struct ward_diag *d);

/* Serialize the record in kernel binary layout with a template digest in @bank. */
int evlog_write_binary_record(const struct ward_evlog_record *r, enum ward_hash_alg bank,
			      struct buf *out);

/* Validate a security.ima signature field (empty allowed). Return: 0 or -EBADMSG. */
int evlog_check_sig(const uint8_t *p, uint32_t len, struct ward_diag *d);

/* ward's framed on-disk log (frames.c). */
#define WARD_LOG_FILE_HDR 16
#define WARD_LOG_FRAME_HDR 16
#define WARD_LOG_FRAME_CHECK 16

void evlog_file_header(uint8_t *hdr);
bool evlog_file_header_ok(const uint8_t *hdr, size_t len);

/* Append the frame of @r with sequence number @seq. Return: 0, -ENOMEM, -EIO. */
int evlog_frame_append(struct buf *b, const struct ward_evlog_record *r, uint64_t seq);

/*
 * Parse frames from @buf (file offset @base), expecting sequence *@seq first; records are pushed
 * onto @log. Stops at the first frame that does not check: *@ret_torn is set when no checked
 * frame follows it (a torn tail), and the call fails with -EUCLEAN when one does (damage).
 * Return: 0, -EUCLEAN, -ENOMEM.
 */
int evlog_frames_parse(const uint8_t *buf, size_t len, uint64_t base, uint64_t *seq,
		       struct ward_evlog *log, size_t *ret_consumed, bool *ret_torn,
		       struct ward_diag *d);

#endif
