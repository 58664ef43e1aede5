/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IMA templates: which fields a template name stands for, how template data splits into those
 * fields, and what a record's template digest is in each bank. Follows the kernel's
 * security/integrity/ima/ima_template.c and ima_crypto.c (ima_calc_field_array_hash).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup.h"
#include "evlog/evlog-internal.h"

static const char *const field_names[__WARD_TF_MAX] = {
	[WARD_TF_D] = "d",
	[WARD_TF_N] = "n",
	[WARD_TF_D_NG] = "d-ng",
	[WARD_TF_D_NGV2] = "d-ngv2",
	[WARD_TF_N_NG] = "n-ng",
	[WARD_TF_SIG] = "sig",
	[WARD_TF_BUF] = "buf",
	[WARD_TF_D_MODSIG] = "d-modsig",
	[WARD_TF_MODSIG] = "modsig",
	[WARD_TF_EVMSIG] = "evmsig",
	[WARD_TF_XATTRNAMES] = "xattrnames",
	[WARD_TF_XATTRLENGTHS] = "xattrlengths",
	[WARD_TF_XATTRVALUES] = "xattrvalues",
	[WARD_TF_IUID] = "iuid",
	[WARD_TF_IGID] = "igid",
	[WARD_TF_IMODE] = "imode",
};

static const struct {
	const char *name;
	const char *fmt;
} builtin_templates[] = {
	{ "ima", "d|n" },
	{ "ima-ng", "d-ng|n-ng" },
	{ "ima-sig", "d-ng|n-ng|sig" },
	{ "ima-buf", "d-ng|n-ng|buf" },
	{ "ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig" },
	{ "evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode" },
	{ "ima-ngv2", "d-ngv2|n-ng" },
	{ "ima-sigv2", "d-ngv2|n-ng|sig" },
};

/* Digest sizes of the kernel's hash algorithms that may prefix a d-ng field. */
static const struct {
	const char *name;
	uint32_t size;
} ng_algs[] = {
	{ "md4", 16 },	   { "md5", 16 },	 { "sha1", 20 },       { "rmd160", 20 },
	{ "sha256", 32 },  { "sha384", 48 },	 { "sha512", 64 },     { "sha224", 28 },
	{ "rmd128", 16 },  { "rmd256", 32 },	 { "rmd320", 40 },     { "wp256", 32 },
	{ "wp384", 48 },   { "wp512", 64 },	 { "tgr128", 16 },     { "tgr160", 20 },
	{ "tgr192", 24 },  { "sm3", 32 },	 { "streebog256", 32 }, { "streebog512", 64 },
	{ "sha3-256", 32 }, { "sha3-384", 48 },	 { "sha3-512", 64 },
};

bool evlog_template_is_legacy(const char *name)
{
	return strcmp(name, "ima") == 0;
}

/* Resolve a template name to its field list; custom templates are their own field list. */
int evlog_template_fields(const char *name, uint8_t *ids, uint8_t *ret_n)
{
	const char *fmt = name;
	uint8_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(builtin_templates); i++)
		if (strcmp(name, builtin_templates[i].name) == 0) {
			fmt = builtin_templates[i].fmt;
			break;
		}
	while (*fmt) {
		size_t len = strcspn(fmt, "|");
		unsigned id;

		for (id = 0; id < __WARD_TF_MAX; id++)
			if (strlen(field_names[id]) == len && strncmp(fmt, field_names[id], len) == 0)
				break;
		if (id == __WARD_TF_MAX || n == WARD_TEMPLATE_FIELDS_MAX)
			return -EBADMSG;
		ids[n++] = (uint8_t)id;
		fmt += len;
		if (*fmt == '|') {
			fmt++;
			if (!*fmt)
				return -EBADMSG;
		}
	}
	if (n == 0)
		return -EBADMSG;
	*ret_n = n;
	return 0;
}

static int check_digest_ng(const uint8_t *p, uint32_t len, bool v2, bool may_be_empty,
			   struct ward_diag *d)
{
	const uint8_t *nul;
	char alg[32];
	size_t plen;
	const char *a;

	if (len == 0)
		return may_be_empty ? 0 : diag_set(d, -EBADMSG, "empty digest field");
	nul = memchr(p, '\0', len);
	if (!nul)
		return diag_set(d, -EBADMSG, "digest field without an algorithm prefix");
	plen = (size_t)(nul - p);
	if (plen < 2 || plen >= sizeof(alg) || p[plen - 1] != ':')
		return diag_set(d, -EBADMSG, "malformed digest algorithm prefix");
	memcpy(alg, p, plen - 1);
	alg[plen - 1] = '\0';
	a = alg;
	if (v2) {
		char *colon = strchr(alg, ':');
		if (!colon || (strncmp(alg, "ima:", 4) != 0 && strncmp(alg, "verity:", 7) != 0))
			return diag_set(d, -EBADMSG, "d-ngv2 digest type must be ima or verity");
		a = colon + 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ng_algs); i++)
		if (strcmp(a, ng_algs[i].name) == 0) {
			if (len - plen - 1 != ng_algs[i].size)
				return diag_set(d, -EBADMSG, "%s digest of %u bytes, expected %u", a,
						(unsigned)(len - plen - 1), ng_algs[i].size);
			return 0;
		}
	return diag_set(d, -EBADMSG, "unknown digest algorithm \"%.*s\"", (int)(sizeof(alg) - 1), a);
}

/*
 * The sig field holds a security.ima signature: type, version, hash algorithm, key id and a
 * big-endian signature size that must account for every remaining byte (an inconsistent size is
 * the classic forged-header case: keylime's BAD_SIGNATURES vector).
 */
int evlog_check_sig(const uint8_t *p, uint32_t len, struct ward_diag *d)
{
	if (len == 0)
		return 0;
	if (p[0] != 0x03 && p[0] != 0x06)
		return diag_set(d, -EBADMSG, "signature type 0x%02x is not a digital signature", p[0]);
	if (len < 2)
		return diag_set(d, -EBADMSG, "truncated signature header");
	if (p[1] == 1)
		return 0; /* v1 (pre-2013 RSA) headers carry MPIs, not a size: opaque here */
	if (p[1] != 2 && p[1] != 3)
		return diag_set(d, -EBADMSG, "unsupported signature version %u", p[1]);
	if (len < 9)
		return diag_set(d, -EBADMSG, "truncated signature header (%u bytes)", (unsigned)len);
	if ((uint32_t)get_be16(p + 7) + 9 != len)
		return diag_set(d, -EBADMSG, "signature header says %u bytes, field holds %u",
				(unsigned)get_be16(p + 7), (unsigned)(len - 9));
	return 0;
}

static int check_string(const uint8_t *p, uint32_t len, struct ward_diag *d)
{
	if (len == 0 || p[len - 1] != '\0')
		return diag_set(d, -EBADMSG, "name field is not NUL-terminated");
	if (memchr(p, '\0', len - 1))
		return diag_set(d, -EBADMSG, "name field has an embedded NUL");
	if (len > WARD_PATH_MAX)
		return diag_set(d, -EBADMSG, "name field longer than %u bytes", WARD_PATH_MAX);
	return 0;
}

static int check_field(uint8_t id, const uint8_t *p, uint32_t len, struct ward_diag *d)
{
	switch (id) {
	case WARD_TF_D:
		return len == 20 ? 0 : diag_set(d, -EBADMSG, "d field of %u bytes", (unsigned)len);
	case WARD_TF_D_NG:
		return check_digest_ng(p, len, false, false, d);
	case WARD_TF_D_MODSIG:
		return check_digest_ng(p, len, false, true, d);
	case WARD_TF_D_NGV2:
		return check_digest_ng(p, len, true, false, d);
	case WARD_TF_N:
	case WARD_TF_N_NG:
		return check_string(p, len, d);
	case WARD_TF_SIG:
		return evlog_check_sig(p, len, d);
	default:
		return 0;
	}
}

int evlog_parse_template_data(struct ward_evlog_record *r, struct ward_diag *d)
{
	uint32_t off = 0;
	int ret;

	if (evlog_template_fields(r->template_name, r->field_id, &r->nfields) < 0)
		return diag_set(d, -EBADMSG, "unknown template \"%s\"", r->template_name);

	if (evlog_template_is_legacy(r->template_name)) {
		uint32_t nlen;

		if (r->data_len < 24)
			return diag_set(d, -EBADMSG, "truncated ima template data");
		nlen = get_le32(r->data + 20);
		if (nlen != r->data_len - 24 || nlen >= WARD_IMA_LEGACY_NAME_SIZE)
			return diag_set(d, -EBADMSG, "ima template name length %u invalid",
					(unsigned)nlen);
		if (memchr(r->data + 24, '\0', nlen))
			return diag_set(d, -EBADMSG, "ima template name has an embedded NUL");
		r->field_off[0] = 0;
		r->field_len[0] = 20;
		r->field_off[1] = 24;
		r->field_len[1] = nlen;
		return 0;
	}

	for (uint8_t i = 0; i < r->nfields; i++) {
		uint32_t flen;

		if (r->data_len - off < 4)
			return diag_set(d, -EBADMSG, "template data ends inside field %u (%s)", i,
					field_names[r->field_id[i]]);
		flen = get_le32(r->data + off);
		off += 4;
		if (flen > r->data_len - off)
			return diag_set(d, -EBADMSG, "field %u (%s) length %u overruns template data",
					i, field_names[r->field_id[i]], (unsigned)flen);
		ret = check_field(r->field_id[i], r->data + off, flen, d);
		if (ret < 0) {
			diag_prefix(d, "%s field: ", field_names[r->field_id[i]]);
			return ret;
		}
		r->field_off[i] = off;
		r->field_len[i] = flen;
		off += flen;
	}
	if (off != r->data_len)
		return diag_set(d, -EBADMSG, "%u bytes of template data after the last field",
				(unsigned)(r->data_len - off));
	return 0;
}

const char *evlog_field_name(enum ward_tfield id)
{
	return (unsigned)id < __WARD_TF_MAX ? field_names[id] : "?";
}

int evlog_record_digest(const struct ward_evlog_record *r, enum ward_hash_alg bank, uint8_t *out)
{
	if (r->violation) {
		memset(out, 0xff, hash_alg_size(bank));
		return 0;
	}
	if (evlog_template_is_legacy(r->template_name)) {
		uint8_t in[20 + WARD_IMA_LEGACY_NAME_SIZE] = { 0 };

		memcpy(in, r->data, 20);
		memcpy(in + 20, r->data + 24, r->field_len[1]);
		return hash_buf(bank, in, sizeof(in), out);
	}
	return hash_buf(bank, r->data, r->data_len, out);
}

const uint8_t *evlog_record_field(const struct ward_evlog_record *r, enum ward_tfield id,
				  uint32_t *ret_len)
{
	for (uint8_t i = 0; i < r->nfields; i++)
		if (r->field_id[i] == id) {
			*ret_len = r->field_len[i];
			return r->data + r->field_off[i];
		}
	return NULL;
}

const char *evlog_record_name(const struct ward_evlog_record *r)
{
	uint32_t len;
	const uint8_t *p = evlog_record_field(r, WARD_TF_N_NG, &len);

	if (!p)
		p = evlog_record_field(r, WARD_TF_N, &len);
	/* n-ng and custom n carry their NUL; the legacy name is followed by the sentinel NUL
	 * every parser appends after the data. */
	return (const char *)p;
}

int evlog_record_file_digest(const struct ward_evlog_record *r, struct ward_file_digest *ret)
{
	uint32_t len;
	const uint8_t *p;
	bool v2 = false;

	p = evlog_record_field(r, WARD_TF_D_NG, &len);
	if (!p) {
		p = evlog_record_field(r, WARD_TF_D_NGV2, &len);
		v2 = true;
	}
	if (p) {
		const uint8_t *nul = memchr(p, '\0', len);
		size_t plen = (size_t)(nul - p);
		char prefix[48];

		memcpy(prefix, p, plen - 1);
		prefix[plen - 1] = '\0';
		memset(ret, 0, sizeof(*ret));
		if (v2) {
			char *colon = strchr(prefix, ':');
			*colon = '\0';
			snprintf(ret->type, sizeof(ret->type), "%.*s", (int)sizeof(ret->type) - 1, prefix);
			snprintf(ret->alg, sizeof(ret->alg), "%.*s", (int)sizeof(ret->alg) - 1, colon + 1);
		} else {
			snprintf(ret->alg, sizeof(ret->alg), "%.*s", (int)sizeof(ret->alg) - 1, prefix);
		}
		ret->digest = nul + 1;
		ret->len = len - (uint32_t)plen - 1;
		return 0;
	}
	p = evlog_record_field(r, WARD_TF_D, &len);
	if (!p)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	strcpy(ret->alg, "sha1");
	ret->digest = p;
	ret->len = len;
	return 0;
}

void evlog_record_free(struct ward_evlog_record *r)
{
	if (!r)
		return;
	free(r->template_name);
	free(r->data);
	r->template_name = NULL;
	r->data = NULL;
}

void evlog_init(struct ward_evlog *log)
{
	memset(log, 0, sizeof(*log));
	log->log_bank = WARD_HASH_SHA1;
}

void evlog_free(struct ward_evlog *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->n; i++)
		evlog_record_free(&log->rec[i]);
	free(log->rec);
	log->rec = NULL;
	log->n = log->cap = 0;
}

int evlog_reserve(struct ward_evlog *log, size_t more)
{
	size_t ncap = log->cap ? log->cap : 64;
	struct ward_evlog_record *nr;

	if (more > WARD_LOG_RECORDS_MAX || log->n > WARD_LOG_RECORDS_MAX - more)
		return -E2BIG;
	if (log->n + more <= log->cap)
		return 0;
	while (ncap < log->n + more)
		ncap *= 2;
	nr = realloc(log->rec, ncap * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	log->rec = nr;
	log->cap = ncap;
	return 0;
}

int evlog_push(struct ward_evlog *log, struct ward_evlog_record *r)
{
	int err = evlog_reserve(log, 1);

	if (err < 0)
		return err;
	log->rec[log->n++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

int evlog_record_new(uint32_t pcr, const char *template_name, const uint8_t *const *values,
		     const uint32_t *lens, size_t n, struct ward_evlog_record *ret)
{
	struct ward_evlog_record r = { .pcr = pcr };
	struct buf b = { 0 };
	int err;

	if (evlog_template_is_legacy(template_name))
		return -EINVAL; /* ward never writes the SHA-1-only legacy template */
	for (size_t i = 0; i < n; i++) {
		if ((err = buf_append_le32(&b, lens[i])) < 0 ||
		    (err = buf_append(&b, values[i], lens[i])) < 0)
			goto fail;
	}
	if (b.len > WARD_TEMPLATE_DATA_MAX) {
		err = -E2BIG;
		goto fail;
	}
	if ((err = buf_append(&b, "", 1)) < 0) /* sentinel NUL, not part of the data */
		goto fail;
	r.data = b.data;
	r.data_len = (uint32_t)(b.len - 1);
	r.template_name = strdup(template_name);
	if (!r.template_name) {
		evlog_record_free(&r);
		return -ENOMEM;
	}
	err = evlog_parse_template_data(&r, NULL);
	if (err < 0 || r.nfields != n) {
		evlog_record_free(&r);
		return -EINVAL;
	}
	*ret = r;
	return 0;
fail:
	buf_free(&b);
	return err;
}

static int digest_ng_field(enum ward_hash_alg alg, const uint8_t *digest, uint8_t *out,
			   uint32_t *ret_len)
{
	const char *name = hash_alg_name(alg);
	size_t nlen = strlen(name), dlen = hash_alg_size(alg);

	memcpy(out, name, nlen);
	out[nlen] = ':';
	out[nlen + 1] = '\0';
	memcpy(out + nlen + 2, digest, dlen);
	*ret_len = (uint32_t)(nlen + 2 + dlen);
	return 0;
}

int evlog_record_new_ng(uint32_t pcr, enum ward_hash_alg alg, const uint8_t *digest,
			const char *path, const uint8_t *sig, uint32_t sig_len,
			struct ward_evlog_record *ret)
{
	uint8_t dng[16 + WARD_HASH_MAX_SIZE];
	const uint8_t *values[3];
	uint32_t lens[3];
	size_t plen = strlen(path) + 1;

	if (plen > WARD_PATH_MAX || !hash_alg_size(alg))
		return -EINVAL;
	digest_ng_field(alg, digest, dng, &lens[0]);
	values[0] = dng;
	values[1] = (const uint8_t *)path;
	lens[1] = (uint32_t)plen;
	values[2] = sig;
	lens[2] = sig_len;
	return evlog_record_new(pcr, sig ? "ima-sig" : "ima-ng", values, lens, sig ? 3 : 2, ret);
}

int evlog_record_new_buf(uint32_t pcr, const char *name, const uint8_t *buf, uint32_t len,
			 struct ward_evlog_record *ret)
{
	uint8_t digest[WARD_HASH_MAX_SIZE], dng[16 + WARD_HASH_MAX_SIZE];
	const uint8_t *values[3];
	uint32_t lens[3];
	int r;

	if (strlen(name) + 1 > WARD_PATH_MAX)
		return -EINVAL;
	r = hash_buf(WARD_HASH_SHA256, buf, len, digest);
	if (r < 0)
		return r;
	digest_ng_field(WARD_HASH_SHA256, digest, dng, &lens[0]);
	values[0] = dng;
	values[1] = (const uint8_t *)name;
	lens[1] = (uint32_t)strlen(name) + 1;
	values[2] = buf;
	lens[2] = len;
	return evlog_record_new(pcr, "ima-buf", values, lens, 3, ret);
}
