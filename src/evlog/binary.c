/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's binary_runtime_measurements layout (ima_fs.c, ima_measurements_show):
 * pcr u32 | template digest | name len u32 | name | [data len u32] | data, little-endian.
 * The list does not say its digest width: the caller names it or asks for detection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup.h"
#include "evlog/evlog-internal.h"

#define WARD_PCR_INDEX_MAX 23

long evlog_parse_binary_record(const uint8_t *p, size_t avail, size_t dlen,
			       struct ward_evlog_record *ret, struct ward_diag *d)
{
	struct ward_evlog_record r = { 0 };
	size_t off = 0;
	uint32_t nlen, data_len;
	int err;

	if (avail < 4 + dlen + 4)
		return diag_set(d, -EBADMSG, "truncated record header");
	r.pcr = get_le32(p);
	if (r.pcr > WARD_PCR_INDEX_MAX)
		return diag_set(d, -EBADMSG, "PCR index %u out of range", (unsigned)r.pcr);
	memcpy(r.given_digest, p + 4, dlen);
	r.has_given_digest = dlen > 0;
	r.violation = dlen > 0; /* ward's own frames carry no digest and no violations */
	for (size_t i = 0; i < dlen; i++)
		if (r.given_digest[i]) {
			r.violation = false;
			break;
		}
	off = 4 + dlen;
	nlen = get_le32(p + off);
	off += 4;
	if (nlen == 0 || nlen >= WARD_TEMPLATE_NAME_MAX)
		return diag_set(d, -EBADMSG, "template name length %u invalid", (unsigned)nlen);
	if (avail - off < nlen)
		return diag_set(d, -EBADMSG, "truncated template name");
	for (uint32_t i = 0; i < nlen; i++)
		if (p[off + i] < 0x21 || p[off + i] > 0x7e)
			return diag_set(d, -EBADMSG, "template name has a non-printable byte");
	r.template_name = strndup((const char *)p + off, nlen);
	if (!r.template_name)
		return -ENOMEM;
	off += nlen;

	if (evlog_template_is_legacy(r.template_name)) {
		/* digest[20] || u32 len || name: the length of the whole is implied. */
		if (avail - off < 24) {
			err = diag_set(d, -EBADMSG, "truncated ima template data");
			goto fail;
		}
		data_len = 24 + get_le32(p + off + 20);
		if (data_len < 24 || data_len > 24 + WARD_IMA_LEGACY_NAME_SIZE) {
			err = diag_set(d, -EBADMSG, "ima template name length invalid");
			goto fail;
		}
	} else {
		if (avail - off < 4) {
			err = diag_set(d, -EBADMSG, "truncated template data length");
			goto fail;
		}
		data_len = get_le32(p + off);
		off += 4;
		if (data_len > WARD_TEMPLATE_DATA_MAX) {
			err = diag_set(d, -E2BIG, "template data of %u bytes exceeds the limit",
				       (unsigned)data_len);
			goto fail;
		}
	}
	if (avail - off < data_len) {
		err = diag_set(d, -EBADMSG, "truncated template data (%u bytes declared, %zu left)",
			       (unsigned)data_len, avail - off);
		goto fail;
	}
	r.data = malloc((size_t)data_len + 1);
	if (!r.data) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(r.data, p + off, data_len);
	r.data[data_len] = '\0';
	r.data_len = data_len;
	off += data_len;
	err = evlog_parse_template_data(&r, d);
	if (err < 0) {
		diag_prefix(d, "template %s: ", r.template_name);
		goto fail;
	}
	*ret = r;
	return (long)off;
fail:
	evlog_record_free(&r);
	return err;
}

static int parse_binary_width(const uint8_t *buf, size_t len, enum ward_hash_alg bank,
			      struct ward_evlog *log, struct ward_diag *d)
{
	size_t off = 0, dlen = hash_alg_size(bank);

	log->log_bank = bank;
	log->src_ascii = false;
	while (off < len) {
		struct ward_evlog_record r;
		long k = evlog_parse_binary_record(buf + off, len - off, dlen, &r, d);
		int err;

		if (k < 0) {
			diag_prefix(d, "offset %zu (record %zu): ", off, log->n);
			return (int)k;
		}
		r.src_pos = off;
		err = evlog_push(log, &r);
		if (err < 0) {
			evlog_record_free(&r);
			return diag_set(d, err, "offset %zu: too many records", off);
		}
		off += (size_t)k;
	}
	return 0;
}

int evlog_parse_binary(const uint8_t *buf, size_t len, enum ward_hash_alg log_bank,
		       struct ward_evlog *log, struct ward_diag *d)
{
	struct ward_evlog cand[__WARD_HASH_MAX];
	struct ward_diag first_err = { { 0 } };
	unsigned parsed = 0, checked = 0, pick = 0;
	int first_errno = -EBADMSG;

	if (log_bank != __WARD_HASH_MAX)
		return parse_binary_width(buf, len, log_bank, log, d);

	/*
	 * Detection: a width is a candidate when the whole list parses with it; among several,
	 * only widths whose every template digest recomputes stay. Anything but one survivor is
	 * ambiguous and refused: a guessed width would replay to a meaningless value.
	 */
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		struct ward_diag e;
		int r;

		evlog_init(&cand[a]);
		r = parse_binary_width(buf, len, a, &cand[a], &e);
		if (r < 0) {
			if (r == -ENOMEM) {
				for (unsigned b = 0; b <= a; b++)
					evlog_free(&cand[b]);
				return -ENOMEM;
			}
			if (!first_err.msg[0] || a == WARD_HASH_SHA1) {
				first_err = e;
				first_errno = r;
			}
			evlog_free(&cand[a]);
			continue;
		}
		parsed |= 1u << a;
	}
	if (len == 0) {
		for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
			evlog_free(&cand[a]);
		return diag_set(d, -ENOTUNIQ, "empty list: the digest width cannot be detected, "
					      "name it with --log-bank");
	}
	if (!parsed) {
		if (d)
			*d = first_err;
		diag_prefix(d, "as sha1-width list: ");
		return first_errno;
	}
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		enum ward_verdict v;
		size_t bad;

		if (!(parsed & (1u << a)))
			continue;
		if (evlog_check_digests(&cand[a], &v, &bad, NULL) == 0 && v == WARD_VERDICT_PASS) {
			checked |= 1u << a;
			pick = a;
		}
	}
	if (__builtin_popcount(parsed) == 1 && !checked)
		pick = (unsigned)__builtin_ctz(parsed); /* one structural fit: its digests are judged later */
	else if (__builtin_popcount(checked) != 1) {
		for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
			evlog_free(&cand[a]);
		return diag_set(d, -ENOTUNIQ,
				"cannot tell the template digest width (%u widths fit): name it "
				"with --log-bank", __builtin_popcount(checked ? checked : parsed));
	}
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if (a != pick)
			evlog_free(&cand[a]);
	*log = cand[pick];
	return 0;
}

int evlog_write_binary_record(const struct ward_evlog_record *r, enum ward_hash_alg bank,
			      struct buf *out)
{
	uint8_t digest[WARD_HASH_MAX_SIZE] = { 0 };
	size_t nlen = strlen(r->template_name);
	int err;

	if (!r->violation && (err = evlog_record_digest(r, bank, digest)) < 0)
		return err;
	if ((err = buf_append_le32(out, r->pcr)) < 0 ||
	    (err = buf_append(out, digest, hash_alg_size(bank))) < 0 ||
	    (err = buf_append_le32(out, (uint32_t)nlen)) < 0 ||
	    (err = buf_append(out, r->template_name, nlen)) < 0)
		return err;
	if (!evlog_template_is_legacy(r->template_name) &&
	    (err = buf_append_le32(out, r->data_len)) < 0)
		return err;
	return buf_append(out, r->data, r->data_len);
}

int evlog_write_binary(const struct ward_evlog *log, size_t first, enum ward_hash_alg bank,
		       struct buf *out)
{
	for (size_t i = first; i < log->n; i++) {
		int err = evlog_write_binary_record(&log->rec[i], bank, out);
		if (err < 0)
			return err;
	}
	return 0;
}

int evlog_parse_auto(const uint8_t *buf, size_t len, enum ward_hash_alg log_bank,
		     struct ward_evlog *log, struct ward_diag *d)
{
	/* A binary list starts with a little-endian PCR index below 24: its first byte can be
	 * neither a digit nor the space that "%2d" puts before a one-digit PCR in ASCII. */
	if (evlog_file_header_ok(buf, len))
		return evlog_parse_ward_file(buf, len, log, d);
	if (len >= 1 && (buf[0] == ' ' || (buf[0] >= '0' && buf[0] <= '9')))
		return evlog_parse_ascii((const char *)buf, len, log, d);
	return evlog_parse_binary(buf, len, log_bank, log, d);
}
