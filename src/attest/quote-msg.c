/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding of the attested statement; shared by attesters and the verifier. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ward/abi/quote.h"

static int put_str16(struct buf *b, const void *s, size_t n)
{
	uint8_t be[2];
	int r;

	if (n > UINT16_MAX)
		return -EINVAL;
	put_be16(be, (uint16_t)n);
	if ((r = buf_append(b, be, 2)) < 0)
		return r;
	return buf_append(b, s, n);
}

int quote_msg_encode(const struct ward_quote_msg *m, struct buf *out)
{
	uint8_t tmp[8];
	unsigned nb = 0;
	int r;

	if (m->nonce_len == 0 || m->nonce_len > WARD_NONCE_MAX || !(m->banks & WARD_HASH_ALL_MASK) ||
	    m->bound_key_len > WARD_BOUND_KEY_MAX || (m->flags & ~WARD_QUOTE_FLAGS_KNOWN) ||
	    !m->root[0] || m->pcr > WARD_QUOTE_PCR_MAX)
		return -EINVAL;
	if ((r = buf_append(out, WARD_QUOTE_MAGIC, 8)) < 0 ||
	    (r = put_str16(out, m->attester_type, strnlen(m->attester_type, WARD_ATTESTER_TYPE_MAX))) < 0 ||
	    (r = put_str16(out, m->root, strnlen(m->root, WARD_ROOT_STR_MAX))) < 0 ||
	    (r = put_str16(out, m->ward_version, strnlen(m->ward_version, WARD_VERSION_STR_MAX))) < 0 ||
	    (r = put_str16(out, m->nonce, m->nonce_len)) < 0 ||
	    (r = put_str16(out, m->bound_key, m->bound_key_len)) < 0)
		return r;
	put_be32(tmp, m->flags);
	if ((r = buf_append(out, tmp, 4)) < 0)
		return r;
	put_be32(tmp, m->pcr);
	if ((r = buf_append(out, tmp, 4)) < 0)
		return r;
	put_be64(tmp, m->first_record);
	if ((r = buf_append(out, tmp, 8)) < 0)
		return r;
	put_be64(tmp, m->record_count);
	if ((r = buf_append(out, tmp, 8)) < 0)
		return r;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		nb += !!(m->banks & (1u << a));
	put_be16(tmp, (uint16_t)nb);
	if ((r = buf_append(out, tmp, 2)) < 0)
		return r;
	/* enum order is ascending TPM_ALG_ID order (0x04, 0x0b, 0x0c, 0x0d) */
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		if (!(m->banks & (1u << a)))
			continue;
		put_be16(tmp, hash_alg_tpm_id(a));
		if ((r = buf_append(out, tmp, 2)) < 0 ||
		    (r = buf_append(out, m->reg[a], hash_alg_size(a))) < 0)
			return r;
	}
	return 0;
}

struct cursor {
	const uint8_t *p;
	size_t len, off;
};

static int take(struct cursor *c, size_t n, const uint8_t **ret)
{
	if (c->len - c->off < n)
		return -EBADMSG;
	*ret = c->p + c->off;
	c->off += n;
	return 0;
}

static int take_str(struct cursor *c, char *out, size_t max, bool printable)
{
	const uint8_t *p;
	uint16_t n;

	if (take(c, 2, &p) < 0)
		return -EBADMSG;
	n = get_be16(p);
	if (n >= max || take(c, n, &p) < 0)
		return -EBADMSG;
	for (uint16_t i = 0; printable && i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return -EBADMSG;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int quote_msg_decode(const uint8_t *buf, size_t len, struct ward_quote_msg *ret,
		     struct ward_diag *d)
{
	struct cursor c = { buf, len, 0 };
	struct ward_quote_msg m = { 0 };
	const uint8_t *p;
	int prev = -1;
	uint16_t nb, nl;
	bool v1;

	if (take(&c, 8, &p) < 0 ||
	    (memcmp(p, WARD_QUOTE_MAGIC, 8) != 0 && memcmp(p, WARD_QUOTE_MAGIC_V1, 8) != 0))
		return diag_set(d, -EBADMSG, "quote message: bad magic");
	v1 = memcmp(p, WARD_QUOTE_MAGIC_V1, 8) == 0;
	if (take_str(&c, m.attester_type, sizeof(m.attester_type), true) < 0 || !m.attester_type[0])
		return diag_set(d, -EBADMSG, "quote message: bad attester type at offset %zu", c.off);
	if (v1)
		snprintf(m.root, sizeof(m.root), "%s", m.attester_type);
	else if (take_str(&c, m.root, sizeof(m.root), true) < 0 || !m.root[0])
		return diag_set(d, -EBADMSG, "quote message: bad root at offset %zu", c.off);
	if (take_str(&c, m.ward_version, sizeof(m.ward_version), true) < 0)
		return diag_set(d, -EBADMSG, "quote message: bad version at offset %zu", c.off);
	if (take(&c, 2, &p) < 0)
		return diag_set(d, -EBADMSG, "quote message: truncated at offset %zu", c.off);
	nl = get_be16(p);
	if (nl == 0 || nl > WARD_NONCE_MAX || take(&c, nl, &p) < 0)
		return diag_set(d, -EBADMSG, "quote message: bad nonce at offset %zu", c.off);
	memcpy(m.nonce, p, nl);
	m.nonce_len = nl;
	if (!v1) {
		if (take(&c, 2, &p) < 0)
			return diag_set(d, -EBADMSG, "quote message: truncated at offset %zu", c.off);
		nl = get_be16(p);
		if (nl > WARD_BOUND_KEY_MAX || take(&c, nl, &p) < 0)
			return diag_set(d, -EBADMSG, "quote message: bad bound key at offset %zu",
					c.off);
		memcpy(m.bound_key, p, nl);
		m.bound_key_len = nl;
		if (take(&c, 4, &p) < 0)
			return diag_set(d, -EBADMSG, "quote message: truncated at offset %zu", c.off);
		m.flags = get_be32(p);
		if (m.flags & ~WARD_QUOTE_FLAGS_KNOWN)
			return diag_set(d, -EBADMSG, "quote message: unknown flags 0x%08x",
					m.flags & ~WARD_QUOTE_FLAGS_KNOWN);
	}
	if (take(&c, 4 + 8 + 8 + 2, &p) < 0)
		return diag_set(d, -EBADMSG, "quote message: truncated at offset %zu", c.off);
	m.pcr = get_be32(p);
	if (m.pcr > WARD_QUOTE_PCR_MAX)
		return diag_set(d, -EBADMSG, "quote message: PCR %u beyond %d", m.pcr,
				WARD_QUOTE_PCR_MAX);
	m.first_record = get_be64(p + 4);
	m.record_count = get_be64(p + 12);
	nb = get_be16(p + 20);
	if (nb == 0 || nb > __WARD_HASH_MAX)
		return diag_set(d, -EBADMSG, "quote message: %u banks", nb);
	for (uint16_t i = 0; i < nb; i++) {
		enum ward_hash_alg a;

		if (take(&c, 2, &p) < 0 || hash_alg_from_tpm_id(get_be16(p), &a) < 0 || (int)a <= prev)
			return diag_set(d, -EBADMSG, "quote message: bad bank at offset %zu", c.off);
		prev = (int)a;
		if (take(&c, hash_alg_size(a), &p) < 0)
			return diag_set(d, -EBADMSG, "quote message: truncated register at offset %zu",
					c.off);
		memcpy(m.reg[a], p, hash_alg_size(a));
		m.banks |= 1u << a;
	}
	if (c.off != len)
		return diag_set(d, -EBADMSG, "quote message: %zu trailing bytes", len - c.off);
	*ret = m;
	return 0;
}
