/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's ascii_runtime_measurements (ima_fs.c, ima_ascii_measurements_show):
 * "%2d <template digest hex> <template name>" then " <field>" per field. Template data is
 * rebuilt from the fields so that an ASCII list replays in every bank, not only the one whose
 * digests it prints.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup.h"
#include "evlog/evlog-internal.h"

enum field_text {
	FT_HEX,	      /* sig, buf, modsig, evmsig, xattrvalues, d */
	FT_DIGEST_NG, /* "alg:hex" (d-ngv2: "type:alg:hex") */
	FT_STRING,    /* n, n-ng: the rest of the line */
	FT_NONE,      /* no text form ward parses back */
};

static enum field_text field_text(uint8_t id)
{
	switch (id) {
	case WARD_TF_D:
	case WARD_TF_SIG:
	case WARD_TF_BUF:
	case WARD_TF_MODSIG:
	case WARD_TF_EVMSIG:
	case WARD_TF_XATTRVALUES:
		return FT_HEX;
	case WARD_TF_D_NG:
	case WARD_TF_D_NGV2:
	case WARD_TF_D_MODSIG:
		return FT_DIGEST_NG;
	case WARD_TF_N:
	case WARD_TF_N_NG:
		return FT_STRING;
	default:
		return FT_NONE;
	}
}

static bool is_hex(const char *s, size_t n)
{
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Text of one field -> its binary value, appended to @out with its u32 length. */
static int field_from_text(uint8_t id, const char *s, size_t n, bool legacy, struct buf *out,
			   struct ward_diag *d)
{
	_cleanup_free_ uint8_t *bin = NULL;
	size_t blen = 0;
	int err;

	switch (field_text(id)) {
	case FT_HEX:
		if (!is_hex(s, n))
			return diag_set(d, -EBADMSG, "%s field is not hex", evlog_field_name(id));
		bin = malloc(n / 2 + 1);
		if (!bin)
			return -ENOMEM;
		hex_decode(s, n, bin, n / 2 + 1, &blen);
		if (id == WARD_TF_D && blen != 20)
			return diag_set(d, -EBADMSG, "d field is not a SHA-1 digest");
		break;
	case FT_DIGEST_NG: {
		const char *colon = n ? memrchr(s, ':', n) : NULL;
		size_t plen, hlen;

		if (n == 0 && id == WARD_TF_D_MODSIG)
			break;
		if (!colon)
			return diag_set(d, -EBADMSG, "%s field lacks \"alg:\"", evlog_field_name(id));
		plen = (size_t)(colon - s) + 1;
		hlen = n - plen;
		if (!is_hex(colon + 1, hlen))
			return diag_set(d, -EBADMSG, "%s digest is not hex", evlog_field_name(id));
		bin = malloc(plen + 1 + hlen / 2 + 1);
		if (!bin)
			return -ENOMEM;
		memcpy(bin, s, plen);
		bin[plen] = '\0';
		hex_decode(colon + 1, hlen, bin + plen + 1, hlen / 2 + 1, &blen);
		blen += plen + 1;
		break;
	}
	case FT_STRING:
		if (n + 1 > WARD_PATH_MAX)
			return diag_set(d, -EBADMSG, "name longer than %u bytes", WARD_PATH_MAX);
		if (memchr(s, '\0', n))
			return diag_set(d, -EBADMSG, "name has a NUL byte");
		bin = malloc(n + 1);
		if (!bin)
			return -ENOMEM;
		memcpy(bin, s, n);
		bin[n] = '\0';
		blen = legacy ? n : n + 1; /* the legacy name carries no NUL */
		break;
	case FT_NONE:
		return diag_set(d, -EOPNOTSUPP, "field %s has no text form ward can parse",
				evlog_field_name(id));
	}
	if (!legacy || id != WARD_TF_D)
		if ((err = buf_append_le32(out, (uint32_t)blen)) < 0)
			return err;
	return buf_append(out, bin, blen);
}

/* Could @tok be the text of trailing field @id? A sig must look like a signature header. */
static bool token_fits(uint8_t id, const char *tok, size_t n)
{
	if (field_text(id) == FT_DIGEST_NG)
		return memchr(tok, ':', n) && is_hex((const char *)memrchr(tok, ':', n) + 1,
						   n - (size_t)((const char *)memrchr(tok, ':', n) + 1 - tok));
	if (!is_hex(tok, n))
		return false;
	if (id == WARD_TF_SIG)
		return n >= 4 && (strncmp(tok, "03", 2) == 0 || strncmp(tok, "06", 2) == 0) &&
		       tok[2] == '0' && tok[3] >= '1' && tok[3] <= '3';
	return true;
}

static int parse_line(const char *line, size_t len, uint64_t lineno, struct ward_evlog *log,
		      size_t *dlen, struct ward_diag *d)
{
	const char *p = line, *end = line + len, *sp;
	struct ward_evlog_record r = { .src_pos = lineno };
	const char *tok[WARD_TEMPLATE_FIELDS_MAX];
	size_t tlen[WARD_TEMPLATE_FIELDS_MAX];
	uint8_t ids[WARD_TEMPLATE_FIELDS_MAX], nf;
	char name[WARD_TEMPLATE_NAME_MAX];
	int sidx = -1, err;
	unsigned long pcr;
	size_t hlen, nlen;
	struct buf data = { 0 };
	bool legacy;
	char *e;

	while (p < end && *p == ' ')
		p++;
	/* By hand, not strtoul: the line is a slice, not a NUL-terminated string. */
	for (e = (char *)p, pcr = 0; e < end && *e >= '0' && *e <= '9' && pcr <= 23; e++)
		pcr = pcr * 10 + (unsigned long)(*e - '0');
	if (e == p || e >= end || *e != ' ' || pcr > 23)
		return diag_set(d, -EBADMSG, "line %lu: bad PCR index", (unsigned long)lineno);
	r.pcr = (uint32_t)pcr;
	p = e + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	hlen = sp ? (size_t)(sp - p) : 0;
	if (!sp || !is_hex(p, hlen) || hlen == 0 || hlen / 2 > WARD_HASH_MAX_SIZE ||
	    (hlen != 40 && hlen != 64 && hlen != 96 && hlen != 128))
		return diag_set(d, -EBADMSG, "line %lu: bad template digest", (unsigned long)lineno);
	if (*dlen && *dlen != hlen / 2)
		return diag_set(d, -EBADMSG, "line %lu: template digest width differs from line 1",
				(unsigned long)lineno);
	*dlen = hlen / 2;
	hex_decode(p, hlen, r.given_digest, sizeof(r.given_digest), &nlen);
	r.has_given_digest = true;
	r.violation = true;
	for (size_t i = 0; i < *dlen; i++)
		if (r.given_digest[i])
			r.violation = false;
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	nlen = sp ? (size_t)(sp - p) : (size_t)(end - p);
	if (nlen == 0 || nlen >= sizeof(name))
		return diag_set(d, -EBADMSG, "line %lu: bad template name", (unsigned long)lineno);
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	if (evlog_template_fields(name, ids, &nf) < 0)
		return diag_set(d, -EBADMSG, "line %lu: unknown template \"%s\"",
				(unsigned long)lineno, name);
	legacy = evlog_template_is_legacy(name);
	p = sp ? sp + 1 : end;

	for (int i = 0; i < nf; i++) {
		if (field_text(ids[i]) == FT_NONE)
			return diag_set(d, -EOPNOTSUPP,
					"line %lu: template %s: field %s has no text form ward can "
					"parse (use the binary list)",
					(unsigned long)lineno, name, evlog_field_name(ids[i]));
		if (field_text(ids[i]) == FT_STRING) {
			if (sidx >= 0)
				return diag_set(d, -EOPNOTSUPP, "line %lu: template %s has two text fields",
						(unsigned long)lineno, name);
			sidx = i;
		}
	}
	/* Leading fields are single tokens. */
	for (int i = 0; i < (sidx >= 0 ? sidx : nf); i++) {
		sp = memchr(p, ' ', (size_t)(end - p));
		tok[i] = p;
		tlen[i] = sp ? (size_t)(sp - p) : (size_t)(end - p);
		p = sp ? sp + 1 : end;
	}
	/* Trailing fields are peeled from the right; a trailing empty field may have lost its
	 * separating space to whitespace stripping, which keylime and others do. */
	if (sidx >= 0) {
		for (int i = nf - 1; i > sidx; i--) {
			const char *last = memrchr(p, ' ', (size_t)(end - p));
			size_t n = last ? (size_t)(end - last - 1) : 0;

			if (last && token_fits(ids[i], last + 1, n)) {
				tok[i] = last + 1;
				tlen[i] = n;
				end = last;
			} else if (last && n == 0) {
				tok[i] = end;
				tlen[i] = 0;
				end = last;
			} else if (ids[i] == WARD_TF_SIG || ids[i] == WARD_TF_D_MODSIG ||
				   ids[i] == WARD_TF_MODSIG) {
				tok[i] = end;
				tlen[i] = 0;
			} else {
				return diag_set(d, -EBADMSG, "line %lu: missing %s field",
						(unsigned long)lineno, evlog_field_name(ids[i]));
			}
		}
		tok[sidx] = p;
		tlen[sidx] = (size_t)(end - p);
	} else if (p != end) {
		return diag_set(d, -EBADMSG, "line %lu: text after the last field",
				(unsigned long)lineno);
	}

	for (int i = 0; i < nf; i++) {
		err = field_from_text(ids[i], tok[i], tlen[i], legacy, &data, d);
		if (err < 0) {
			buf_free(&data);
			diag_prefix(d, "line %lu: ", (unsigned long)lineno);
			return err;
		}
	}
	if (data.len > WARD_TEMPLATE_DATA_MAX || (err = buf_append(&data, "", 1)) < 0) {
		buf_free(&data);
		return diag_set(d, -E2BIG, "line %lu: template data too large", (unsigned long)lineno);
	}
	r.data = data.data;
	r.data_len = (uint32_t)(data.len - 1);
	r.template_name = strdup(name);
	if (!r.template_name) {
		evlog_record_free(&r);
		return -ENOMEM;
	}
	err = evlog_parse_template_data(&r, d);
	if (err < 0) {
		evlog_record_free(&r);
		diag_prefix(d, "line %lu: ", (unsigned long)lineno);
		return err;
	}
	err = evlog_push(log, &r);
	if (err < 0) {
		evlog_record_free(&r);
		return diag_set(d, err, "line %lu: too many records", (unsigned long)lineno);
	}
	return 0;
}

int evlog_parse_ascii(const char *buf, size_t len, struct ward_evlog *log, struct ward_diag *d)
{
	size_t off = 0, dlen = 0;
	uint64_t lineno = 0;
	int err;

	log->src_ascii = true;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - (buf + off)) : len - off;

		lineno++;
		if (llen && buf[off + llen - 1] == '\r')
			llen--;
		if (llen) {
			err = parse_line(buf + off, llen, lineno, log, &dlen, d);
			if (err < 0)
				return err;
		}
		off = nl ? (size_t)(nl - buf) + 1 : len;
	}
	if (log->n == 0)
		return diag_set(d, -EBADMSG, "no measurement lines");
	return hash_alg_from_size(dlen, &log->log_bank);
}

int evlog_write_ascii(const struct ward_evlog *log, size_t first, enum ward_hash_alg bank,
		      struct buf *out)
{
	char hex[2 * WARD_HASH_MAX_SIZE + 1], head[32];
	uint8_t digest[WARD_HASH_MAX_SIZE];
	int err;

	for (size_t i = first; i < log->n; i++) {
		const struct ward_evlog_record *r = &log->rec[i];
		bool legacy = evlog_template_is_legacy(r->template_name);

		memset(digest, 0, sizeof(digest));
		if (!r->violation && (err = evlog_record_digest(r, bank, digest)) < 0)
			return err;
		hex_encode(digest, hash_alg_size(bank), hex);
		snprintf(head, sizeof(head), "%2u ", (unsigned)r->pcr);
		if ((err = buf_append(out, head, strlen(head))) < 0 ||
		    (err = buf_append(out, hex, strlen(hex))) < 0 ||
		    (err = buf_append(out, " ", 1)) < 0 ||
		    (err = buf_append(out, r->template_name, strlen(r->template_name))) < 0)
			return err;
		for (uint8_t f = 0; f < r->nfields; f++) {
			const uint8_t *v = r->data + r->field_off[f];
			uint32_t n = r->field_len[f];

			if ((err = buf_append(out, " ", 1)) < 0)
				return err;
			err = 0;
			switch (field_text(r->field_id[f])) {
			case FT_STRING:
				/* One line per record: a name with a newline would forge a second
				 * record in the text, and readers drop a CR before the newline.
				 * The binary format has neither problem. */
				if (memchr(v, '\n', n) || memchr(v, '\r', n))
					return -EILSEQ;
				/* n-ng carries its NUL; the legacy name does not */
				err = buf_append(out, v, legacy ? n : (n ? n - 1 : 0));
				break;
			case FT_DIGEST_NG: {
				const uint8_t *nul = n ? memchr(v, '\0', n) : NULL;
				size_t plen = nul ? (size_t)(nul - v) : 0;

				if ((err = buf_append(out, v, plen)) < 0)
					return err;
				v += nul ? plen + 1 : 0;
				n -= nul ? (uint32_t)plen + 1 : 0;
			}
				__attribute__((fallthrough));
			case FT_HEX:
				for (uint32_t k = 0; k < n && err >= 0; k++) {
					char two[3];
					hex_encode(v + k, 1, two);
					err = buf_append(out, two, 2);
				}
				break;
			case FT_NONE:
				return -EOPNOTSUPP;
			}
			if (err < 0)
				return err;
		}
		if ((err = buf_append(out, "\n", 1)) < 0)
			return err;
	}
	return 0;
}
