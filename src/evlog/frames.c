/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The framed layout of ward's on-disk log (docs/evidence-format.md, "On-disk log"): shared by
 * the store, which appends and recovers, and by readers of a copied log file (`ward log
 * replay STATE_DIR/log`), which only parse.
 */
#include <errno.h>
#include <string.h>

#include "evlog/evlog-internal.h"

#define FILE_MAGIC "WARDLOG"
#define FRAME_MAGIC "WREC"
#define FRAME_VERSION 1

void evlog_file_header(uint8_t *hdr)
{
	memset(hdr, 0, WARD_LOG_FILE_HDR);
	memcpy(hdr, FILE_MAGIC, 8);
	put_le32(hdr + 8, FRAME_VERSION);
}

bool evlog_file_header_ok(const uint8_t *hdr, size_t len)
{
	return len >= WARD_LOG_FILE_HDR && memcmp(hdr, FILE_MAGIC, 8) == 0 &&
	       get_le32(hdr + 8) == FRAME_VERSION;
}

static int frame_check(const uint8_t *frame, size_t len, uint8_t *out)
{
	uint8_t full[WARD_HASH_MAX_SIZE];
	int r = hash_buf(WARD_HASH_SHA256, frame, len, full);

	if (r == 0)
		memcpy(out, full, WARD_LOG_FRAME_CHECK);
	return r;
}

/* Is there a complete frame whose check verifies at @p? */
static bool frame_valid_at(const uint8_t *p, size_t avail)
{
	uint8_t check[WARD_LOG_FRAME_CHECK];
	uint32_t plen;

	if (avail < WARD_LOG_FRAME_HDR + WARD_LOG_FRAME_CHECK || memcmp(p, FRAME_MAGIC, 4) != 0)
		return false;
	plen = get_le32(p + 4);
	if (plen > WARD_TEMPLATE_DATA_MAX + 2 * WARD_TEMPLATE_NAME_MAX ||
	    avail - WARD_LOG_FRAME_HDR - WARD_LOG_FRAME_CHECK < plen)
		return false;
	if (frame_check(p, WARD_LOG_FRAME_HDR + plen, check) < 0)
		return false;
	return memcmp(check, p + WARD_LOG_FRAME_HDR + plen, WARD_LOG_FRAME_CHECK) == 0;
}

int evlog_frame_append(struct buf *b, const struct ward_evlog_record *r, uint64_t seq)
{
	size_t start = b->len, nlen = strlen(r->template_name);
	uint8_t hdr[WARD_LOG_FRAME_HDR], check[WARD_LOG_FRAME_CHECK];
	uint32_t plen = (uint32_t)(4 + 4 + nlen + 4 + r->data_len);
	int err;

	memcpy(hdr, FRAME_MAGIC, 4);
	put_le32(hdr + 4, plen);
	put_le64(hdr + 8, seq);
	if ((err = buf_append(b, hdr, sizeof(hdr))) < 0 || (err = buf_append_le32(b, r->pcr)) < 0 ||
	    (err = buf_append_le32(b, (uint32_t)nlen)) < 0 ||
	    (err = buf_append(b, r->template_name, nlen)) < 0 ||
	    (err = buf_append_le32(b, r->data_len)) < 0 ||
	    (err = buf_append(b, r->data, r->data_len)) < 0)
		return err;
	if ((err = frame_check(b->data + start, b->len - start, check)) < 0)
		return err;
	return buf_append(b, check, sizeof(check));
}

int evlog_frames_parse(const uint8_t *buf, size_t len, uint64_t base, uint64_t *seq,
		       struct ward_evlog *log, size_t *ret_consumed, bool *ret_torn,
		       struct ward_diag *d)
{
	size_t off = 0;

	*ret_torn = false;
	while (off < len) {
		struct ward_evlog_record r;
		struct ward_diag pd;
		uint32_t plen;
		long k;
		int err;

		if (!frame_valid_at(buf + off, len - off))
			break;
		plen = get_le32(buf + off + 4);
		if (get_le64(buf + off + 8) != *seq)
			return diag_set(d, -EUCLEAN, "log offset %llu: record sequence %llu, expected %llu",
					(unsigned long long)(base + off),
					(unsigned long long)get_le64(buf + off + 8),
					(unsigned long long)*seq);
		k = evlog_parse_binary_record(buf + off + WARD_LOG_FRAME_HDR, plen, 0, &r, &pd);
		if (k < 0 || (uint32_t)k != plen) {
			if (k >= 0)
				evlog_record_free(&r);
			return diag_set(d, -EUCLEAN, "log offset %llu: checked record does not parse: %s",
					(unsigned long long)(base + off), k < 0 ? pd.msg : "trailing bytes");
		}
		if ((err = evlog_push(log, &r)) < 0) {
			evlog_record_free(&r);
			return err;
		}
		off += WARD_LOG_FRAME_HDR + plen + WARD_LOG_FRAME_CHECK;
		(*seq)++;
	}
	*ret_consumed = off;
	if (off == len)
		return 0;
	/* A frame that does not check: damage if any checked frame follows (a record reported
	 * appended may lie beyond it), else the torn tail of an append that never reported. */
	for (size_t p = off + 1; p + WARD_LOG_FRAME_HDR + WARD_LOG_FRAME_CHECK <= len; p++)
		if (buf[p] == 'W' && frame_valid_at(buf + p, len - p))
			return diag_set(d, -EUCLEAN,
					"log damaged at offset %llu, valid records follow at %llu: "
					"refusing to cut (restore the log or investigate)",
					(unsigned long long)(base + off), (unsigned long long)(base + p));
	*ret_torn = true;
	return 0;
}

int evlog_parse_ward_file(const uint8_t *buf, size_t len, struct ward_evlog *log,
			  struct ward_diag *d)
{
	uint64_t seq = 0;
	size_t consumed;
	bool torn;
	int r;

	if (!evlog_file_header_ok(buf, len))
		return diag_set(d, -EBADMSG, "not a ward log (bad header)");
	log->log_bank = WARD_HASH_SHA256;
	log->src_ascii = false;
	r = evlog_frames_parse(buf + WARD_LOG_FILE_HDR, len - WARD_LOG_FILE_HDR, WARD_LOG_FILE_HDR,
			       &seq, log, &consumed, &torn, d);
	if (r == -EUCLEAN)
		return -EBADMSG;
	if (r < 0)
		return r;
	if (torn)
		return diag_set(d, -EBADMSG,
				"offset %llu: torn tail of an interrupted append (ward cuts it when "
				"the state dir is next opened for writing)",
				(unsigned long long)(WARD_LOG_FILE_HDR + consumed));
	for (size_t i = 0; i < log->n; i++)
		log->rec[i].src_pos = i;
	return 0;
}
