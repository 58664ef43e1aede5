/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quotes verified offline: TPMS_ATTEST, its TPMT_SIGNATURE and the attestation key's
 * TPMT_PUBLIC, parsed here from the TPM wire format (big-endian, TPM 2.0 Part 2) so that a
 * verifier needs no TPM software stack. Crypto is OpenSSL's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "core/pkey.h"
#include "ward/report-tpm.h"
#include "ward/report.h"

#define TPM_GENERATED_VALUE 0xff544347u
#define TPM_ST_ATTEST_QUOTE 0x8018

#define TPM_ALG_RSA 0x0001
#define TPM_ALG_NULL 0x0010
#define TPM_ALG_RSASSA 0x0014
#define TPM_ALG_RSAES 0x0015
#define TPM_ALG_RSAPSS 0x0016
#define TPM_ALG_ECDSA 0x0018
#define TPM_ALG_ECDAA 0x001A
#define TPM_ALG_ECC 0x0023

#define TPM_ECC_NIST_P256 0x0003
#define TPM_ECC_NIST_P384 0x0004
#define TPM_ECC_NIST_P521 0x0005

/* objectAttributes (Part 2, table 31) */
#define TPMA_OBJECT_RESTRICTED (1u << 16)
#define TPMA_OBJECT_SIGN (1u << 18)

/*
 * Limits on what the untrusted input declares, from the TPM 2.0 reference implementation's
 * sizes: a name or TPM2B_DATA is at most sizeof(TPMT_HA) (2 + 64), a digest 64 bytes, an RSA
 * modulus 4096 bits, an ECC coordinate 66 bytes (P-521), at most 16 PCR banks, and a PCR
 * bitmap of 8 bytes (64 PCRs; TPMs have 24).
 */
#define TPM_NAME_MAX 66
#define TPM_DATA_MAX 66
#define TPM_DIGEST_MAX 64
#define TPM_RSA_BYTES_MAX 512
#define TPM_ECC_BYTES_MAX 66
#define TPM_BANKS_MAX 16
#define TPM_PCR_SELECT_MAX 8

/* An RSA attestation key shorter than this is refused (NIST SP 800-57: 2048 bits since 2014). */
#define TPM_RSA_BITS_MIN 2048

DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM_BLD *, OSSL_PARAM_BLD_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM *, OSSL_PARAM_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free)

/* A cursor over one input; @what names it in diagnostics. */
struct rd {
	const uint8_t *p;
	size_t len, off;
	const char *what;
};

struct tpm2b {
	const uint8_t *b;
	uint16_t len;
};

struct pcr_bank {
	uint16_t hash;
	uint8_t n_select;
	uint8_t select[TPM_PCR_SELECT_MAX];
};

struct attest {
	uint32_t magic;
	uint16_t type;
	struct tpm2b signer, extra;
	uint64_t clock, firmware;
	uint32_t reset_count, restart_count;
	uint8_t safe;
	bool is_quote;
	uint32_t n_banks;
	struct pcr_bank banks[TPM_BANKS_MAX];
	struct tpm2b pcr_digest;
};

struct sig {
	uint16_t alg, hash;
	struct tpm2b rsa, r, s;
};

struct pubkey {
	uint16_t type, name_alg, scheme, scheme_hash, curve;
	uint32_t attrs, exponent;
	uint16_t key_bits;
	struct tpm2b modulus, x, y;
};

static int rd_bytes(struct rd *r, size_t n, const uint8_t **ret, struct ward_diag *d,
		    const char *field)
{
	/* -EBADMSG spelt out (not diag_set()'s value) so that the compiler sees *ret set on 0. */
	if (n > r->len - r->off) {
		diag_set(d, -EBADMSG, "%s: %s at offset %zu: %zu bytes needed, %zu left", r->what,
			 field, r->off, n, r->len - r->off);
		return -EBADMSG;
	}
	*ret = r->p + r->off;
	r->off += n;
	return 0;
}

static int rd_u8(struct rd *r, uint8_t *ret, struct ward_diag *d, const char *field)
{
	const uint8_t *b;
	int k = rd_bytes(r, 1, &b, d, field);

	if (k < 0)
		return k;
	*ret = b[0];
	return 0;
}

static int rd_u16(struct rd *r, uint16_t *ret, struct ward_diag *d, const char *field)
{
	const uint8_t *b;
	int k = rd_bytes(r, 2, &b, d, field);

	if (k < 0)
		return k;
	*ret = (uint16_t)(b[0] << 8 | b[1]);
	return 0;
}

static int rd_u32(struct rd *r, uint32_t *ret, struct ward_diag *d, const char *field)
{
	const uint8_t *b;
	int k = rd_bytes(r, 4, &b, d, field);

	if (k < 0)
		return k;
	*ret = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

static int rd_u64(struct rd *r, uint64_t *ret, struct ward_diag *d, const char *field)
{
	uint32_t hi, lo;
	int k;

	if ((k = rd_u32(r, &hi, d, field)) < 0 || (k = rd_u32(r, &lo, d, field)) < 0)
		return k;
	*ret = (uint64_t)hi << 32 | lo;
	return 0;
}

static int rd_tpm2b(struct rd *r, size_t max, struct tpm2b *ret, struct ward_diag *d,
		    const char *field)
{
	size_t at = r->off;
	uint16_t n;
	int k;

	if ((k = rd_u16(r, &n, d, field)) < 0)
		return k;
	if (n > max) {
		diag_set(d, -EBADMSG, "%s: %s at offset %zu: size %u exceeds %zu", r->what, field,
			 at, n, max);
		return -EBADMSG;
	}
	if ((k = rd_bytes(r, n, &ret->b, d, field)) < 0)
		return k;
	ret->len = n;
	return 0;
}

static int rd_end(struct rd *r, struct ward_diag *d)
{
	if (r->off != r->len)
		return diag_set(d, -EBADMSG, "%s: %zu trailing bytes at offset %zu", r->what,
				r->len - r->off, r->off);
	return 0;
}

static const EVP_MD *tpm_md(uint16_t alg)
{
	switch (alg) {
	case WARD_TPM_ALG_SHA1:
		return EVP_sha1();
	case WARD_TPM_ALG_SHA256:
		return EVP_sha256();
	case WARD_TPM_ALG_SHA384:
		return EVP_sha384();
	case WARD_TPM_ALG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static const char *alg_name(uint16_t alg, char buf[8])
{
	switch (alg) {
	case WARD_TPM_ALG_SHA1:
		return "sha1";
	case WARD_TPM_ALG_SHA256:
		return "sha256";
	case WARD_TPM_ALG_SHA384:
		return "sha384";
	case WARD_TPM_ALG_SHA512:
		return "sha512";
	case 0x0012:
		return "sm3_256";
	case TPM_ALG_NULL:
		return "null";
	case TPM_ALG_RSASSA:
		return "rsassa";
	case TPM_ALG_RSAPSS:
		return "rsapss";
	case TPM_ALG_ECDSA:
		return "ecdsa";
	default:
		snprintf(buf, 8, "0x%04x", alg);
		return buf;
	}
}

int report_tpm_pcr_digest(uint16_t hash_alg, const uint8_t *values, size_t len, uint8_t *out,
			  size_t out_size, size_t *ret_len)
{
	const EVP_MD *md = tpm_md(hash_alg);
	unsigned int n;

	if (!md)
		return -EOPNOTSUPP;
	if (out_size < (size_t)EVP_MD_get_size(md))
		return -EINVAL;
	if (!EVP_Digest(values, len, out, &n, md, NULL))
		return -ENOMEM;
	*ret_len = n;
	return 0;
}

static int parse_attest(const uint8_t *buf, size_t len, struct attest *a, struct ward_diag *d)
{
	struct rd r = { .p = buf, .len = len, .what = "TPMS_ATTEST" };
	int k;

	if ((k = rd_u32(&r, &a->magic, d, "magic")) < 0 ||
	    (k = rd_u16(&r, &a->type, d, "type")) < 0 ||
	    (k = rd_tpm2b(&r, TPM_NAME_MAX, &a->signer, d, "qualifiedSigner")) < 0 ||
	    (k = rd_tpm2b(&r, TPM_DATA_MAX, &a->extra, d, "extraData")) < 0 ||
	    (k = rd_u64(&r, &a->clock, d, "clockInfo.clock")) < 0 ||
	    (k = rd_u32(&r, &a->reset_count, d, "clockInfo.resetCount")) < 0 ||
	    (k = rd_u32(&r, &a->restart_count, d, "clockInfo.restartCount")) < 0 ||
	    (k = rd_u8(&r, &a->safe, d, "clockInfo.safe")) < 0 ||
	    (k = rd_u64(&r, &a->firmware, d, "firmwareVersion")) < 0)
		return k;
	if (a->safe > 1)
		return diag_set(d, -EBADMSG, "TPMS_ATTEST: clockInfo.safe at offset %zu is %u, not "
					     "a TPMI_YES_NO", r.off - 9, a->safe);
	/*
	 * Only a quote's body is parsed: any other type fails the type check, and the signature
	 * (over all the bytes) is still checked so that the reasons say which key signed what.
	 */
	a->is_quote = a->type == TPM_ST_ATTEST_QUOTE;
	if (!a->is_quote)
		return 0;
	if ((k = rd_u32(&r, &a->n_banks, d, "TPML_PCR_SELECTION.count")) < 0)
		return k;
	if (a->n_banks > TPM_BANKS_MAX)
		return diag_set(d, -EBADMSG, "TPMS_ATTEST: TPML_PCR_SELECTION.count at offset %zu "
					     "is %" PRIu32 ", more than %d banks",
				r.off - 4, a->n_banks, TPM_BANKS_MAX);
	for (uint32_t i = 0; i < a->n_banks; i++) {
		struct pcr_bank *b = &a->banks[i];
		const uint8_t *sel;

		if ((k = rd_u16(&r, &b->hash, d, "TPMS_PCR_SELECTION.hash")) < 0 ||
		    (k = rd_u8(&r, &b->n_select, d, "TPMS_PCR_SELECTION.sizeofSelect")) < 0)
			return k;
		if (b->n_select > TPM_PCR_SELECT_MAX)
			return diag_set(d, -EBADMSG,
					"TPMS_ATTEST: sizeofSelect at offset %zu is %u, "
					"more than %d",
					r.off - 1, b->n_select, TPM_PCR_SELECT_MAX);
		if ((k = rd_bytes(&r, b->n_select, &sel, d, "TPMS_PCR_SELECTION.pcrSelect")) < 0)
			return k;
		memcpy(b->select, sel, b->n_select);
	}
	if ((k = rd_tpm2b(&r, TPM_DIGEST_MAX, &a->pcr_digest, d, "pcrDigest")) < 0)
		return k;
	return rd_end(&r, d);
}

static int parse_sig(const uint8_t *buf, size_t len, struct sig *s, struct ward_diag *d)
{
	struct rd r = { .p = buf, .len = len, .what = "TPMT_SIGNATURE" };
	int k;

	if ((k = rd_u16(&r, &s->alg, d, "sigAlg")) < 0)
		return k;
	switch (s->alg) {
	case TPM_ALG_RSASSA:
	case TPM_ALG_RSAPSS:
		if ((k = rd_u16(&r, &s->hash, d, "hash")) < 0 ||
		    (k = rd_tpm2b(&r, TPM_RSA_BYTES_MAX, &s->rsa, d, "sig")) < 0)
			return k;
		break;
	case TPM_ALG_ECDSA:
		if ((k = rd_u16(&r, &s->hash, d, "hash")) < 0 ||
		    (k = rd_tpm2b(&r, TPM_ECC_BYTES_MAX, &s->r, d, "signatureR")) < 0 ||
		    (k = rd_tpm2b(&r, TPM_ECC_BYTES_MAX, &s->s, d, "signatureS")) < 0)
			return k;
		break;
	default:
		return diag_set(d, -EBADMSG, "TPMT_SIGNATURE: sigAlg 0x%04x at offset 0 is not "
					     "RSASSA, RSAPSS or ECDSA",
				s->alg);
	}
	return rd_end(&r, d);
}

/* TPMT_SYM_DEF_OBJECT: algorithm, then keyBits and mode unless NULL. */
static int parse_symmetric(struct rd *r, struct ward_diag *d)
{
	uint16_t alg, bits, mode;
	int k;

	if ((k = rd_u16(r, &alg, d, "symmetric.algorithm")) < 0)
		return k;
	if (alg == TPM_ALG_NULL)
		return 0;
	if ((k = rd_u16(r, &bits, d, "symmetric.keyBits")) < 0 ||
	    (k = rd_u16(r, &mode, d, "symmetric.mode")) < 0)
		return k;
	return 0;
}

/*
 * TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME: the scheme, then its details. Every
 * scheme's details start with a hash, except RSAES (none) and NULL; ECDAA adds a count.
 */
static int parse_scheme(struct rd *r, uint16_t *ret_scheme, uint16_t *ret_hash,
			struct ward_diag *d, const char *field)
{
	uint16_t scheme, hash = TPM_ALG_NULL, count;
	int k;

	if ((k = rd_u16(r, &scheme, d, field)) < 0)
		return k;
	if (scheme != TPM_ALG_NULL && scheme != TPM_ALG_RSAES) {
		if ((k = rd_u16(r, &hash, d, field)) < 0)
			return k;
		if (scheme == TPM_ALG_ECDAA && (k = rd_u16(r, &count, d, field)) < 0)
			return k;
	}
	*ret_scheme = scheme;
	*ret_hash = hash;
	return 0;
}

static int parse_public(const uint8_t *buf, size_t len, struct pubkey *p, struct ward_diag *d)
{
	struct rd r = { .p = buf, .len = len, .what = "TPMT_PUBLIC" };
	uint16_t kdf, kdf_hash;
	struct tpm2b policy;
	int k;

	if ((k = rd_u16(&r, &p->type, d, "type")) < 0 ||
	    (k = rd_u16(&r, &p->name_alg, d, "nameAlg")) < 0 ||
	    (k = rd_u32(&r, &p->attrs, d, "objectAttributes")) < 0 ||
	    (k = rd_tpm2b(&r, TPM_DIGEST_MAX, &policy, d, "authPolicy")) < 0)
		return k;
	/* The key's name is computed with nameAlg: a key ward cannot name is not accepted. */
	if (!tpm_md(p->name_alg))
		return diag_set(d, -EBADMSG,
				"TPMT_PUBLIC: nameAlg 0x%04x at offset 2 is not SHA-1, "
				"SHA-256, SHA-384 or SHA-512",
				p->name_alg);
	if (p->type == TPM_ALG_RSA) {
		if ((k = parse_symmetric(&r, d)) < 0 ||
		    (k = parse_scheme(&r, &p->scheme, &p->scheme_hash, d, "scheme")) < 0 ||
		    (k = rd_u16(&r, &p->key_bits, d, "keyBits")) < 0 ||
		    (k = rd_u32(&r, &p->exponent, d, "exponent")) < 0 ||
		    (k = rd_tpm2b(&r, TPM_RSA_BYTES_MAX, &p->modulus, d, "unique.rsa")) < 0)
			return k;
		if (p->modulus.len == 0 || p->modulus.len * 8u != p->key_bits)
			return diag_set(d, -EBADMSG,
					"TPMT_PUBLIC: keyBits %u but a %u-byte modulus",
					p->key_bits, p->modulus.len);
	} else if (p->type == TPM_ALG_ECC) {
		if ((k = parse_symmetric(&r, d)) < 0 ||
		    (k = parse_scheme(&r, &p->scheme, &p->scheme_hash, d, "scheme")) < 0 ||
		    (k = rd_u16(&r, &p->curve, d, "curveID")) < 0 ||
		    (k = parse_scheme(&r, &kdf, &kdf_hash, d, "kdf")) < 0 ||
		    (k = rd_tpm2b(&r, TPM_ECC_BYTES_MAX, &p->x, d, "unique.ecc.x")) < 0 ||
		    (k = rd_tpm2b(&r, TPM_ECC_BYTES_MAX, &p->y, d, "unique.ecc.y")) < 0)
			return k;
	} else {
		return diag_set(d, -EBADMSG,
				"TPMT_PUBLIC: type 0x%04x at offset 0 is not RSA or ECC", p->type);
	}
	return rd_end(&r, d);
}

static int curve_info(uint16_t curve, const char **ret_name, size_t *ret_bytes)
{
	switch (curve) {
	case TPM_ECC_NIST_P256:
		*ret_name = "P-256";
		*ret_bytes = 32;
		return 0;
	case TPM_ECC_NIST_P384:
		*ret_name = "P-384";
		*ret_bytes = 48;
		return 0;
	case TPM_ECC_NIST_P521:
		*ret_name = "P-521";
		*ret_bytes = 66;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* An EVP_PKEY from the key's unique field; key material OpenSSL refuses is malformed input. */
static int build_pkey(const struct pubkey *p, EVP_PKEY **ret, struct ward_diag *d)
{
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
	_cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
	_cleanup_pkey_ctx_ EVP_PKEY_CTX *ctx = NULL;
	_cleanup_pkey_ EVP_PKEY *pkey = NULL;
	uint8_t point[1 + 2 * TPM_ECC_BYTES_MAX];
	const char *curve = "";
	size_t cb = 0;

	if (!bld)
		return -ENOMEM;
	if (p->type == TPM_ALG_RSA) {
		n = BN_bin2bn(p->modulus.b, p->modulus.len, NULL);
		e = BN_new();
		if (!n || !e || !BN_set_word(e, p->exponent ? p->exponent : 65537) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			return -ENOMEM;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		if (curve_info(p->curve, &curve, &cb) < 0)
			return diag_set(d, -EBADMSG,
					"TPMT_PUBLIC: curveID 0x%04x is not NIST P-256, "
					"P-384 or P-521",
					p->curve);
		/* A TPM may drop leading zero bytes of a coordinate: pad back to the field size. */
		if (p->x.len > cb || p->y.len > cb)
			return diag_set(d, -EBADMSG,
					"TPMT_PUBLIC: ECC point coordinates of %u and %u "
					"bytes for %s",
					p->x.len, p->y.len, curve);
		memset(point, 0, sizeof(point));
		point[0] = 0x04;
		memcpy(point + 1 + cb - p->x.len, p->x.b, p->x.len);
		memcpy(point + 1 + 2 * cb - p->y.len, p->y.b, p->y.len);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
						      1 + 2 * cb))
			return -ENOMEM;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!ctx || !params || EVP_PKEY_fromdata_init(ctx) <= 0)
		return -ENOMEM;
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		if (p->type == TPM_ALG_ECC)
			return diag_set(d, -EBADMSG, "TPMT_PUBLIC: unique is not a point on %s",
					curve);
		return diag_set(d, -EBADMSG, "TPMT_PUBLIC: OpenSSL refuses the RSA key in unique");
	}
	if (p->type == TPM_ALG_ECC) {
		_cleanup_pkey_ctx_ EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

		if (!chk)
			return -ENOMEM;
		if (EVP_PKEY_public_check(chk) <= 0)
			return diag_set(d, -EBADMSG, "TPMT_PUBLIC: unique is not a point on %s",
					curve);
	}
	*ret = TAKE_PTR(pkey);
	return 0;
}

/* ECDSA r and s as the DER SEQUENCE EVP_DigestVerify takes. */
static int ecdsa_der(const struct sig *s, uint8_t **ret, size_t *ret_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(s->r.b, s->r.len, NULL), *ss = BN_bin2bn(s->s.b, s->s.len, NULL);
	unsigned char *der = NULL;
	int n;

	if (!es || !r || !ss || !ECDSA_SIG_set0(es, r, ss)) {
		ECDSA_SIG_free(es);
		BN_free(r);
		BN_free(ss);
		return -ENOMEM;
	}
	n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return -ENOMEM;
	*ret = der;
	*ret_len = (size_t)n;
	return 0;
}

/* Return: 1 the signature verifies, 0 it does not, -ENOMEM. */
static int check_signature(EVP_PKEY *pkey, const struct sig *s, const uint8_t *msg, size_t len)
{
	_cleanup_md_ctx_ EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	const uint8_t *sig;
	size_t sig_len;
	int k;

	if (!mctx)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(mctx, &pctx, tpm_md(s->hash), NULL, pkey) <= 0)
		return 0;
	if (s->alg == TPM_ALG_ECDSA) {
		if ((k = ecdsa_der(s, &der, &sig_len)) < 0)
			return k;
		sig = der;
	} else {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, s->alg == TPM_ALG_RSAPSS ?
							       RSA_PKCS1_PSS_PADDING :
							       RSA_PKCS1_PADDING) <= 0)
			return -ENOMEM;
		/* TPMs sign PSS with the largest salt or with a digest-sized one: accept both. */
		if (s->alg == TPM_ALG_RSAPSS &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) <= 0)
			return -ENOMEM;
		sig = s->rsa.b;
		sig_len = s->rsa.len;
	}
	k = EVP_DigestVerify(mctx, sig, sig_len, msg, len) == 1;
	OPENSSL_free(der);
	return k;
}

static int set_hex(json_t *o, const char *key, const uint8_t *b, size_t len)
{
	_cleanup_free_ char *s = malloc(2 * len + 1);

	if (!s)
		return -ENOMEM;
	hex_encode(b, len, s);
	return json_object_set_new(o, key, json_string(s)) < 0 ? -ENOMEM : 0;
}

static int set_u64(json_t *o, const char *key, uint64_t v)
{
	char s[24];

	/* JSON integers here are signed 64-bit: a larger value is given as a decimal string. */
	if (v <= INT64_MAX)
		return json_object_set_new(o, key, json_integer((json_int_t)v)) < 0 ? -ENOMEM : 0;
	snprintf(s, sizeof(s), "%" PRIu64, v);
	return json_object_set_new(o, key, json_string(s)) < 0 ? -ENOMEM : 0;
}

static int set_str(json_t *o, const char *key, const char *v)
{
	return json_object_set_new(o, key, json_string(v)) < 0 ? -ENOMEM : 0;
}

static int attest_facts(json_t *f, const struct attest *a)
{
	char fw[19], t[8], nb[8];
	json_t *sel;
	int k;

	snprintf(fw, sizeof(fw), "0x%016" PRIx64, a->firmware);
	snprintf(t, sizeof(t), "0x%04x", a->type);
	if (json_object_set_new(f, "magic_ok", json_boolean(a->magic == TPM_GENERATED_VALUE)) < 0 ||
	    (k = set_str(f, "type", a->type == TPM_ST_ATTEST_QUOTE ? "quote" : t)) < 0 ||
	    (k = set_hex(f, "qualified_signer", a->signer.b, a->signer.len)) < 0 ||
	    (k = set_hex(f, "extra_data", a->extra.b, a->extra.len)) < 0 ||
	    (k = set_u64(f, "clock", a->clock)) < 0 ||
	    (k = set_u64(f, "reset_count", a->reset_count)) < 0 ||
	    (k = set_u64(f, "restart_count", a->restart_count)) < 0 ||
	    json_object_set_new(f, "safe", json_boolean(a->safe)) < 0 ||
	    (k = set_str(f, "firmware_version", fw)) < 0)
		return -ENOMEM;
	if (!a->is_quote)
		return 0;
	sel = json_object();
	if (!sel || json_object_set_new(f, "pcr_selection", sel) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->n_banks; i++) {
		const struct pcr_bank *b = &a->banks[i];
		const char *name = alg_name(b->hash, nb);
		json_t *list = json_object_get(sel, name);

		/* A bank listed twice adds its PCRs to one list, as the TPM would select them. */
		if (!list) {
			list = json_array();
			if (!list || json_object_set_new(sel, name, list) < 0)
				return -ENOMEM;
		}
		for (unsigned int pcr = 0; pcr < b->n_select * 8u; pcr++)
			if (b->select[pcr / 8] & (1u << (pcr % 8)) &&
			    json_array_append_new(list, json_integer(pcr)) < 0)
				return -ENOMEM;
	}
	return set_hex(f, "pcr_digest", a->pcr_digest.b, a->pcr_digest.len);
}

static int key_facts(json_t *f, const struct pubkey *p, const uint8_t *ak, size_t ak_len)
{
	const EVP_MD *md = tpm_md(p->name_alg);
	uint8_t name[2 + EVP_MAX_MD_SIZE];
	char kt[24], nb[8];
	const char *curve;
	unsigned int n;
	size_t cb;

	if (p->type == TPM_ALG_RSA)
		snprintf(kt, sizeof(kt), "rsa-%u", p->key_bits);
	else if (curve_info(p->curve, &curve, &cb) == 0)
		snprintf(kt, sizeof(kt), "ecc-%s", curve);
	else
		snprintf(kt, sizeof(kt), "ecc-0x%04x", p->curve);
	if (set_str(f, "key_type", kt) < 0 ||
	    set_str(f, "key_name_alg", alg_name(p->name_alg, nb)) < 0)
		return -ENOMEM;
	/* Name = nameAlg || H_nameAlg(TPMT_PUBLIC) (Part 1, 16): what TPM commands call the key. */
	name[0] = (uint8_t)(p->name_alg >> 8);
	name[1] = (uint8_t)p->name_alg;
	if (!EVP_Digest(ak, ak_len, name + 2, &n, md, NULL))
		return -ENOMEM;
	return set_hex(f, "key_name", name, 2 + n);
}

static int run_checks(struct ward_report_result *res, const struct attest *a,
		      const struct sig *s, const struct pubkey *p, EVP_PKEY *pkey,
		      const uint8_t *buf, size_t len, const struct ward_report_opts *o)
{
	char b1[8], b2[8], b3[8], b4[8];
	bool key_ok = true;
	int k;

	if (a->magic != TPM_GENERATED_VALUE &&
	    (k = report_result_add_reason(res,
					  "magic is 0x%08" PRIx32 ", not TPM_GENERATED_VALUE "
					  "(0xff544347): the TPM did not produce this structure",
					  a->magic)) < 0)
		return k;
	if (!a->is_quote && (k = report_result_add_reason(res, "type is 0x%04x, not "
							       "TPM_ST_ATTEST_QUOTE (0x8018)",
							  a->type)) < 0)
		return k;
	/*
	 * Only a restricted signing key makes the magic mean anything: the TPM refuses to sign
	 * with it any digest of data starting with TPM_GENERATED_VALUE that it did not make itself.
	 */
	if ((p->attrs & (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN)) !=
		    (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN) &&
	    (k = report_result_add_reason(res, "the attestation key is not a restricted signing "
					       "key (objectAttributes 0x%08" PRIx32 ")",
					  p->attrs)) < 0)
		return k;
	if (p->type == TPM_ALG_RSA && p->key_bits < TPM_RSA_BITS_MIN &&
	    (k = report_result_add_reason(res, "the attestation key is RSA-%u: fewer than %d bits",
					  p->key_bits, TPM_RSA_BITS_MIN)) < 0)
		return k;
	if ((s->alg == TPM_ALG_ECDSA) != (p->type == TPM_ALG_ECC)) {
		key_ok = false;
		if ((k = report_result_add_reason(res, "signature algorithm %s does not fit the "
						       "attestation key's type (%s)",
						  alg_name(s->alg, b1),
						  p->type == TPM_ALG_ECC ? "ECC" : "RSA")) < 0)
			return k;
	}
	if (p->scheme != TPM_ALG_NULL && (p->scheme != s->alg || p->scheme_hash != s->hash)) {
		key_ok = false;
		if ((k = report_result_add_reason(res,
						  "signature scheme %s/%s is not the attestation "
						  "key's scheme %s/%s",
						  alg_name(s->alg, b1), alg_name(s->hash, b2),
						  alg_name(p->scheme, b3),
						  alg_name(p->scheme_hash, b4))) < 0)
			return k;
	}
	if (!tpm_md(s->hash)) {
		key_ok = false;
		if ((k = report_result_add_reason(res, "signature hash %s is not supported",
						  alg_name(s->hash, b1))) < 0)
			return k;
	}
	if (key_ok) {
		k = check_signature(pkey, s, buf, len);
		if (k < 0)
			return k;
		if (k == 0 &&
		    (k = report_result_add_reason(res, "the signature does not verify with "
						       "the attestation key")) < 0)
			return k;
	}
	if (o->nonce && (o->nonce_len != a->extra.len ||
			 (a->extra.len && memcmp(o->nonce, a->extra.b, a->extra.len) != 0))) {
		_cleanup_free_ char *want = malloc(2 * o->nonce_len + 1);

		if (!want)
			return -ENOMEM;
		hex_encode(o->nonce, o->nonce_len, want);
		if ((k = report_result_add_reason(res, "extraData does not match the nonce %s",
						  want)) < 0)
			return k;
	}
	return 0;
}

int report_verify_tpm(const uint8_t *buf, size_t len, const struct ward_report_opts *o,
		      struct ward_report_result *ret, struct ward_diag *d)
{
	struct ward_report_result res = { .verdict = WARD_VERDICT_PASS };
	_cleanup_pkey_ EVP_PKEY *pkey = NULL;
	struct pubkey p = { 0 };
	struct attest a = { 0 };
	struct sig s = { 0 };
	char b1[8], b2[8];
	int k;

	/* Fail closed: a check the caller asked for and this report type cannot make. */
	if (o->has_report_data)
		return diag_set(d, -EINVAL, "a TPM quote has no report data: its qualifying data "
					    "is the nonce");
	if (!o->tpm_sig || !o->tpm_ak)
		return diag_set(d, -EBADMSG, "a TPM quote needs its TPMT_SIGNATURE and the "
					     "attestation key's TPMT_PUBLIC");
	if ((k = parse_attest(buf, len, &a, d)) < 0 ||
	    (k = parse_sig(o->tpm_sig, o->tpm_sig_len, &s, d)) < 0 ||
	    (k = parse_public(o->tpm_ak, o->tpm_ak_len, &p, d)) < 0 ||
	    (k = build_pkey(&p, &pkey, d)) < 0)
		return k;

	res.facts = json_object();
	if (!res.facts)
		return -ENOMEM;
	if ((k = attest_facts(res.facts, &a)) < 0 ||
	    (k = set_str(res.facts, "signature_scheme", alg_name(s.alg, b1))) < 0 ||
	    (k = set_str(res.facts, "signature_hash", alg_name(s.hash, b2))) < 0 ||
	    (k = key_facts(res.facts, &p, o->tpm_ak, o->tpm_ak_len)) < 0 ||
	    (k = run_checks(&res, &a, &s, &p, pkey, buf, len, o)) < 0) {
		report_result_clear(&res);
		return k;
	}
	*ret = res;
	return 0;
}

int report_tpm_quoted(const uint8_t *attest, size_t len, const uint8_t *sig, size_t sig_len,
		      struct ward_tpm_quoted *ret, struct ward_diag *d)
{
	struct ward_tpm_quoted q = { 0 };
	struct attest a = { 0 };
	struct sig s = { 0 };
	int k;

	if ((k = parse_attest(attest, len, &a, d)) < 0 || (k = parse_sig(sig, sig_len, &s, d)) < 0)
		return k;
	if (!a.is_quote)
		return diag_set(d, -EBADMSG, "TPMS_ATTEST: type 0x%04x is not a quote", a.type);
	q.n_banks = a.n_banks;
	for (uint32_t i = 0; i < a.n_banks; i++) {
		q.alg[i] = a.banks[i].hash;
		for (unsigned b = 0; b < a.banks[i].n_select; b++)
			q.pcrs[i] |= (uint64_t)a.banks[i].select[b] << (8 * b);
	}
	q.sig_hash = s.hash;
	memcpy(q.pcr_digest, a.pcr_digest.b, a.pcr_digest.len);
	q.pcr_digest_len = a.pcr_digest.len;
	q.reset_count = a.reset_count;
	q.restart_count = a.restart_count;
	q.clock = a.clock;
	q.firmware = a.firmware;
	*ret = q;
	return 0;
}

int report_tpm_ak_spki(const uint8_t *pub, size_t len, uint8_t **ret_der, size_t *ret_len,
		       struct ward_diag *d)
{
	_cleanup_pkey_ EVP_PKEY *pkey = NULL;
	struct pubkey p = { 0 };
	int k;

	if ((k = parse_public(pub, len, &p, d)) < 0 || (k = build_pkey(&p, &pkey, d)) < 0)
		return k;
	k = pkey_spki_der(pkey, ret_der, ret_len);
	return k == -EIO ? -ENOMEM : k;
}
