/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel TDX quotes (v4, v5) verified offline: quote signature, QE report binding and signature,
 * PCK chain to the built-in Intel SGX Root CA, TD attributes, REPORT_DATA, and the optional
 * TCB info / QE identity collateral. Layout: shared/vectors/SOURCES.md (go-tdx-guest abi/abi.go).
 *
 * Checked: (1) the quote signature (ECDSA P-256) by the attestation key over header+body;
 * (2) QE REPORTDATA == SHA-256(attestation key || QE auth data) || 32 zero bytes; (3) the QE
 * report signature by the PCK leaf; (4) PCK leaf <- PCK CA <- Intel SGX Root CA at o->now, and
 * the quote's embedded root is that very root; (5) TD DEBUG refused unless o->allow_debug;
 * (6) REPORT_DATA (all 64 bytes) when o->has_report_data. With o->tcb_info: its signature by the
 * built-in Intel SGX TCB Signing key (chained to the root; the certificate's own dates are not
 * checked, Intel re-issued it with the same key), issueDate <= now <= nextUpdate, id "TDX",
 * fmspc == the PCK's FMSPC, and a TCB level whose SGX components and PCESVN (from the PCK) and
 * TDX components (TEE_TCB_SVN; bytes 0-1 are skipped when tdxModuleIdentities is present, as
 * Intel's algorithm compares them against the module identity, which is not checked here) are
 * met, whose status is not Revoked. With o->qe_identity: signature, dates, id "TD_QE", and the
 * QE report's MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES (masked) and an ISVSVN level not
 * Revoked. Not checked: CRLs (PCK / root revocation), the TDX module identity, QE TCB status
 * beyond Revoked (OutOfDate etc. are reported in the facts, a policy decision).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/report.h"

/*
 * Intel SGX Root CA: shared/vectors/tdx/intel-roots/Intel_SGX_Root_CA.pem (go-tdx-guest
 * verify/trusted_root.pem; https://certificates.trustedservices.intel.com/IntelSGXRootCA.der).
 */
static const char intel_sgx_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

/*
 * Intel SGX TCB Signing (signs TCB info and QE identity): the first certificate of
 * shared/vectors/tdx/go-tdx-guest-spr/tcb_info_and_qe_identity_issuer_chain.derived.pem
 * (go-tdx-guest testing/test_cases.go tcbInfoIssuerChain, the PCS TCB-Info-Issuer-Chain header).
 */
static const char intel_tcb_signing_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICizCCAjKgAwIBAgIUfjiC1ftVKUpASY5FhAPpFJG99FUwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNTAxMFoXDTI1MDUyMTEwNTAxMFowbDEeMBwG\n"
    "A1UEAwwVSW50ZWwgU0dYIFRDQiBTaWduaW5nMRowGAYDVQQKDBFJbnRlbCBDb3Jw\n"
    "b3JhdGlvbjEUMBIGA1UEBwwLU2FudGEgQ2xhcmExCzAJBgNVBAgMAkNBMQswCQYD\n"
    "VQQGEwJVUzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABENFG8xzydWRfK92bmGv\n"
    "P+mAh91PEyV7Jh6FGJd5ndE9aBH7R3E4A7ubrlh/zN3C4xvpoouGlirMba+W2lju\n"
    "ypajgbUwgbIwHwYDVR0jBBgwFoAUImUM1lqdNInzg7SVUr9QGzknBqwwUgYDVR0f\n"
    "BEswSTBHoEWgQ4ZBaHR0cHM6Ly9jZXJ0aWZpY2F0ZXMudHJ1c3RlZHNlcnZpY2Vz\n"
    "LmludGVsLmNvbS9JbnRlbFNHWFJvb3RDQS5kZXIwHQYDVR0OBBYEFH44gtX7VSlK\n"
    "QEmORYQD6RSRvfRVMA4GA1UdDwEB/wQEAwIGwDAMBgNVHRMBAf8EAjAAMAoGCCqG\n"
    "SM49BAMCA0cAMEQCIB9C8wOAN/ImxDtGACV246KcqjagZOR0kyctyBrsGGJVAiAj\n"
    "ftbrNGsGU8YH211dRiYNoPPu19Zp/ze8JmhujB0oBw==\n"
    "-----END CERTIFICATE-----\n";

#define HDR_LEN		    48
#define BODY_V4_LEN	    584 /* TDX 1.0 body */
#define BODY_V5_LEN	    648 /* TDX 1.5 body: v4 body + TEE_TCB_SVN2[16] + MRSERVICETD[48] */
#define QE_REPORT_LEN	    384
#define SIG_LEN		    64
#define KEY_LEN		    64
#define CERT_TYPE_QE_REPORT 6
#define CERT_TYPE_PCK_CHAIN 5
#define PCK_CHAIN_MAX	    (64 * 1024) /* a PEM chain of three certificates is ~4 KiB */
#define PCK_CHAIN_CERTS_MAX 8

/* Offsets inside the TD quote body (the same in both body types). */
#define B_TEE_TCB_SVN	0x00
#define B_MRSEAM	0x10
#define B_TDATTRIBUTES	0x78
#define B_XFAM		0x80
#define B_MRTD		0x88
#define B_MRCONFIGID	0xB8
#define B_MROWNER	0xE8
#define B_MROWNERCONFIG 0x118
#define B_RTMR0		0x148
#define B_REPORTDATA	0x208
#define B_MRSERVICETD	0x258 /* TDX 1.5 only */

/* Offsets inside the SGX QE report. */
#define Q_MISCSELECT 0x10
#define Q_ATTRIBUTES 0x30
#define Q_MRSIGNER   0x80
#define Q_ISVPRODID  0x100
#define Q_ISVSVN     0x102
#define Q_REPORTDATA 0x140

#define TD_ATTR_DEBUG (1ULL << 0)

/* The SGX extension of PCK certificates (Intel PCK Certificate and CRL Profile). */
static const uint8_t oid_sgx_ext_der[] = {0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01};

DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_OBJECT *, ASN1_OBJECT_free)

struct tdx_quote {
	uint16_t version;
	uint32_t tee_type;
	const uint8_t *body;
	size_t body_len;
	size_t signed_len; /* bytes 0..signed_len-1 are signed by the attestation key */
	const uint8_t *sig, *att_key, *qe_report, *qe_sig, *qe_auth;
	size_t qe_auth_len;
	const char *pck_pem;
	size_t pck_pem_len;
};

struct pck_info {
	bool has_fmspc;
	uint8_t fmspc[6];
	bool has_tcb;
	int comp[16];
	int pcesvn;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int parse_quote(const uint8_t *buf, size_t len, struct tdx_quote *q, struct ward_diag *d)
{
	size_t off, sd_size, end, cert_size, pem_size;
	uint16_t att_key_type, cert_type;

	if (!buf || len < HDR_LEN)
		return diag_set(d, -EBADMSG, "quote: %zu bytes, shorter than its %d-byte header",
				len, HDR_LEN);
	q->version = le16(buf);
	att_key_type = le16(buf + 2);
	q->tee_type = le32(buf + 4);
	if (q->version != 4 && q->version != 5)
		return diag_set(d, -EBADMSG,
				"offset 0x0: quote format version %u not supported (4, 5)",
				q->version);
	if (att_key_type != 2)
		return diag_set(
		    d, -EBADMSG,
		    "offset 0x2: attestation key type %u not supported (2, ECDSA P-256)",
		    att_key_type);
	if (q->tee_type != 0x81)
		return diag_set(d, -EBADMSG, "offset 0x4: TEE type 0x%x is not TDX (0x81)",
				q->tee_type);
	if (q->version == 4) {
		off = HDR_LEN;
		q->body_len = BODY_V4_LEN;
	} else {
		uint16_t body_type;
		uint32_t body_size;

		if (len < HDR_LEN + 6)
			return diag_set(d, -EBADMSG, "quote v5: %zu bytes, no body descriptor",
					len);
		body_type = le16(buf + HDR_LEN);
		body_size = le32(buf + HDR_LEN + 2);
		if (!(body_type == 2 && body_size == BODY_V4_LEN) &&
		    !(body_type == 3 && body_size == BODY_V5_LEN))
			return diag_set(d, -EBADMSG,
					"offset 0x30: body type %u of size %u not supported "
					"(2/584 TDX 1.0, 3/648 TDX 1.5)",
					body_type, body_size);
		off = HDR_LEN + 6;
		q->body_len = body_size;
	}
	if (len - off < q->body_len + 4)
		return diag_set(d, -EBADMSG, "quote: %zu bytes, truncated in the TD quote body",
				len);
	q->body = buf + off;
	q->signed_len = off + q->body_len;
	off = q->signed_len;
	sd_size = le32(buf + off);
	off += 4;
	/* The length fields, never the file length: some quotes carry zero padding after them. */
	if (sd_size > len - off)
		return diag_set(
		    d, -EBADMSG,
		    "offset 0x%zx: signature data size %zu runs past the end (%zu bytes)", off - 4,
		    sd_size, len);
	end = off + sd_size;
	if (sd_size < SIG_LEN + KEY_LEN + 6)
		return diag_set(d, -EBADMSG, "offset 0x%zx: signature data size %zu too small",
				off - 4, sd_size);
	q->sig = buf + off;
	q->att_key = buf + off + SIG_LEN;
	off += SIG_LEN + KEY_LEN;
	cert_type = le16(buf + off);
	cert_size = le32(buf + off + 2);
	if (cert_type != CERT_TYPE_QE_REPORT)
		return diag_set(d, -EBADMSG,
				"offset 0x%zx: certification data type %u, expected %d (QE report)",
				off, cert_type, CERT_TYPE_QE_REPORT);
	off += 6;
	if (cert_size != end - off)
		return diag_set(d, -EBADMSG,
				"offset 0x%zx: size of certification data is 0x%zx, expected 0x%zx",
				off - 4, cert_size, end - off);
	if (end - off < QE_REPORT_LEN + SIG_LEN + 2)
		return diag_set(d, -EBADMSG, "offset 0x%zx: QE report certification data truncated",
				off);
	q->qe_report = buf + off;
	q->qe_sig = buf + off + QE_REPORT_LEN;
	off += QE_REPORT_LEN + SIG_LEN;
	q->qe_auth_len = le16(buf + off);
	off += 2;
	if (q->qe_auth_len > end - off)
		return diag_set(d, -EBADMSG,
				"offset 0x%zx: QE auth data size %zu runs past the end", off - 2,
				q->qe_auth_len);
	q->qe_auth = buf + off;
	off += q->qe_auth_len;
	if (end - off < 6)
		return diag_set(d, -EBADMSG, "offset 0x%zx: PCK certification data truncated", off);
	cert_type = le16(buf + off);
	pem_size = le32(buf + off + 2);
	if (cert_type != CERT_TYPE_PCK_CHAIN)
		return diag_set(
		    d, -EBADMSG,
		    "offset 0x%zx: certification data type %u, expected %d (PCK chain, PEM)", off,
		    cert_type, CERT_TYPE_PCK_CHAIN);
	off += 6;
	if (pem_size != end - off || pem_size == 0 || pem_size > PCK_CHAIN_MAX)
		return diag_set(d, -EBADMSG,
				"offset 0x%zx: PCK chain size %zu, expected %zu (at most %d)",
				off - 4, pem_size, end - off, PCK_CHAIN_MAX);
	q->pck_pem = (const char *)buf + off;
	q->pck_pem_len = pem_size;
	return 0;
}

static EVP_PKEY *p256_key(const uint8_t xy[KEY_LEN])
{
	_cleanup_pkey_ctx_ EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	uint8_t pt[1 + KEY_LEN] = {0x04};
	char group[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY *k = NULL;

	memcpy(pt + 1, xy, KEY_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		return NULL;
	return k;
}

/* ECDSA P-256 / SHA-256 of @msg with the raw big-endian r||s @rs: 1 valid, 0 not, -ENOMEM. */
static int ecdsa_verify_raw(EVP_PKEY *key, const uint8_t rs[SIG_LEN], const uint8_t *msg,
			    size_t msg_len)
{
	_cleanup_md_ctx_ EVP_MD_CTX *md = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	uint8_t *p = NULL;
	int n, ok;

	if (!sig || !r || !s) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return -ENOMEM;
	}
	ECDSA_SIG_set0(sig, r, s);
	n = i2d_ECDSA_SIG(sig, &p);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return -ENOMEM;
	der = p;
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) <= 0) {
		ERR_clear_error();
		return 0;
	}
	ok = EVP_DigestVerify(md, der, (size_t)n, msg, msg_len) == 1;
	ERR_clear_error();
	return ok;
}

static X509 *pem_cert(const char *pem, size_t len)
{
	_cleanup_bio_ BIO *b = BIO_new_mem_buf(pem, (int)len);

	return b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
}

static int hex_fact(json_t *facts, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	if (n > 64)
		return -EINVAL;
	hex_encode(p, n, hex);
	return json_object_set_new(facts, key, json_string(hex)) < 0 ? -ENOMEM : 0;
}

/*
 * Find the DER encoding of SGX-extension OID .1.13.1.<sub...> in @ext and return the value that
 * follows it (tag @tag), bounds-checked. The extension is a SEQUENCE of SEQUENCE{OID, value};
 * an exact match of the encoded OID followed by the expected tag is unambiguous in it.
 */
static const uint8_t *sgx_ext_value(const uint8_t *ext, size_t len, const uint8_t *sub,
				    size_t sub_len, uint8_t tag, size_t *ret_len)
{
	size_t oid_len = sizeof(oid_sgx_ext_der) + sub_len;

	for (size_t i = 0; i + 2 + oid_len + 2 <= len; i++) {
		const uint8_t *p = ext + i;

		if (p[0] != 0x06 || p[1] != oid_len ||
		    memcmp(p + 2, oid_sgx_ext_der, sizeof(oid_sgx_ext_der)) != 0 ||
		    memcmp(p + 2 + sizeof(oid_sgx_ext_der), sub, sub_len) != 0)
			continue;
		p += 2 + oid_len;
		if (p[0] != tag || p[1] > 0x7f || (size_t)(p + 2 - ext) + p[1] > len)
			return NULL;
		*ret_len = p[1];
		return p + 2;
	}
	return NULL;
}

static void pck_extract(X509 *leaf, struct pck_info *pi)
{
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *obj = NULL;
	const uint8_t *ext, *v;
	size_t ext_len, vl;
	int idx;

	*pi = (struct pck_info){0};
	obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
	if (!obj)
		return;
	idx = X509_get_ext_by_OBJ(leaf, obj, -1);
	if (idx < 0)
		return;
	{
		ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));

		ext = ASN1_STRING_get0_data(os);
		ext_len = (size_t)ASN1_STRING_length(os);
	}
	v = sgx_ext_value(ext, ext_len, (const uint8_t[]){0x04}, 1, 0x04, &vl);
	if (v && vl == 6) {
		memcpy(pi->fmspc, v, 6);
		pi->has_fmspc = true;
	}
	pi->has_tcb = true;
	for (uint8_t k = 1; k <= 17; k++) {
		const uint8_t sub[] = {0x02, k};
		int val = 0;

		v = sgx_ext_value(ext, ext_len, sub, 2, 0x02, &vl);
		if (!v || vl < 1 || vl > 3 || (v[0] & 0x80)) {
			pi->has_tcb = false;
			return;
		}
		for (size_t j = 0; j < vl; j++)
			val = val << 8 | v[j];
		if (k <= 16)
			pi->comp[k - 1] = val;
		else
			pi->pcesvn = val;
	}
}

/*
 * The PCK chain: leaf <- intermediate(s) <- the built-in Intel SGX Root CA, at o->now. Returns
 * the leaf in @ret_leaf (even when the chain fails, so the QE report signature and the facts
 * can still be checked and reported); -EBADMSG when the PEM does not parse.
 */
static int pck_chain(const struct tdx_quote *q, const struct ward_report_opts *o,
		     struct ward_report_result *res, X509 **ret_leaf, struct ward_diag *d)
{
	_cleanup_bio_ BIO *b = BIO_new_mem_buf(q->pck_pem, (int)q->pck_pem_len);
	_cleanup_(X509_freep) X509 *root =
	    pem_cert(intel_sgx_root_pem, sizeof(intel_sgx_root_pem) - 1);
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *certs = NULL;
	X509 *c;
	int r = -ENOMEM, n;

	if (!b || !root)
		return -ENOMEM;
	certs = sk_X509_new_null();
	if (!certs)
		return -ENOMEM;
	while (sk_X509_num(certs) < PCK_CHAIN_CERTS_MAX &&
	       (c = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(certs, c)) {
			X509_free(c);
			goto out;
		}
	ERR_clear_error();
	n = sk_X509_num(certs);
	if (n < 2) {
		r = diag_set(
		    d, -EBADMSG,
		    "PCK certification data: %d PEM certificate(s) parsed, expected the PCK "
		    "leaf and its CA chain",
		    n);
		goto out;
	}
	/* The chain must end at the Intel root, not at any root the quote brings along. */
	if (X509_cmp(sk_X509_value(certs, n - 1), root) != 0) {
		r = report_result_add_reason(res, "the quote's root certificate is not the Intel "
						  "SGX Root CA");
		if (r < 0)
			goto out;
	}
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (!store || !ctx || X509_STORE_add_cert(store, root) != 1 ||
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(certs, 0), certs) != 1)
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)o->now);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		r = report_result_add_reason(res,
					     "PCK certificate chain does not verify to the Intel "
					     "SGX Root CA (certificate %d: %s)",
					     X509_STORE_CTX_get_error_depth(ctx),
					     X509_verify_cert_error_string(e));
		if (r < 0)
			goto out;
	}
	ERR_clear_error();
	*ret_leaf = sk_X509_shift(certs);
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

static size_t skip_ws(const char *js, size_t len, size_t j)
{
	while (j < len && (js[j] == ' ' || js[j] == '\t' || js[j] == '\n' || js[j] == '\r'))
		j++;
	return j;
}

/*
 * The raw bytes of the JSON object value of top-level @key in @js (what Intel signs). Only a
 * key at depth 1 outside strings counts: were the first "key" anywhere taken, a response could
 * nest a genuine signed object somewhere and put a forged one at the top, which is what the
 * checks read. The caller has parsed @js with jansson (valid JSON, duplicate keys rejected), so
 * the top-level key is unique and a depth-1 string followed by ':' is a key.
 */
static int raw_object(const char *js, size_t len, const char *key, const char **ret_p,
		      size_t *ret_len)
{
	char pat[64];
	size_t pl = (size_t)snprintf(pat, sizeof(pat), "\"%s\"", key);
	int depth = 0;
	bool in_str = false, in_val;

	for (size_t i = 0; i < len; i++) {
		char c = js[i];
		size_t j;

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
			continue;
		}
		if (c == '}' || c == ']') {
			depth--;
			continue;
		}
		if (c != '"')
			continue;
		in_str = true;
		if (depth != 1 || len - i < pl || memcmp(js + i, pat, pl) != 0)
			continue;
		j = skip_ws(js, len, i + pl);
		if (j >= len || js[j] != ':')
			continue;
		j = skip_ws(js, len, j + 1);
		if (j >= len || js[j] != '{')
			return -EBADMSG;
		in_val = false;
		for (size_t k = j, d = 0; k < len; k++) {
			c = js[k];
			if (in_val) {
				if (c == '\\')
					k++;
				else if (c == '"')
					in_val = false;
			} else if (c == '"') {
				in_val = true;
			} else if (c == '{' || c == '[') {
				d++;
			} else if ((c == '}' || c == ']') && --d == 0) {
				*ret_p = js + j;
				*ret_len = k + 1 - j;
				return 0;
			}
		}
		return -EBADMSG;
	}
	return -EBADMSG;
}

static int hex_field(json_t *obj, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t got;
	char lower[2 * 64 + 1];

	if (!s || strlen(s) != 2 * n || n > 64)
		return -EBADMSG;
	for (size_t i = 0; i < 2 * n; i++)
		lower[i] = (char)((s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 'a' : s[i]);
	lower[2 * n] = '\0';
	if (hex_decode(lower, 2 * n, out, n, &got) < 0 || got != n)
		return -EBADMSG;
	return 0;
}

/*
 * Parse collateral @buf (a PCS response {"KEY": {...}, "signature": hex}), check its signature
 * with the TCB signing key and its dates. Returns the parsed KEY object in @ret_obj (a new
 * reference) when the collateral is structurally sound; reasons for failed checks.
 */
static int collateral(const uint8_t *buf, size_t len, const char *key, const char *what,
		      const struct ward_report_opts *o, struct ward_report_result *res,
		      json_t **ret_obj, struct ward_diag *d)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_(X509_freep) X509 *signer = NULL, *root = NULL;
	_cleanup_pkey_ EVP_PKEY *root_key = NULL;
	json_t *obj;
	json_error_t je;
	const char *raw, *s;
	size_t raw_len;
	uint8_t sig[SIG_LEN];
	int64_t issue, next;
	int r;

	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return diag_set(d, -EBADMSG, "%s: line %d: %s", what, je.line, je.text);
	obj = json_object_get(j, key);
	if (!json_is_object(obj))
		return diag_set(d, -EBADMSG, "%s: no \"%s\" object", what, key);
	if (hex_field(j, "signature", sig, sizeof(sig)) < 0)
		return diag_set(d, -EBADMSG, "%s: \"signature\" is not 64 bytes of hex", what);
	if (raw_object((const char *)buf, len, key, &raw, &raw_len) < 0)
		return diag_set(d, -EBADMSG, "%s: cannot delimit the \"%s\" value", what, key);
	s = json_string_value(json_object_get(obj, "issueDate"));
	if (!s || rfc3339_parse(s, &issue) < 0)
		return diag_set(d, -EBADMSG, "%s: no valid issueDate", what);
	s = json_string_value(json_object_get(obj, "nextUpdate"));
	if (!s || rfc3339_parse(s, &next) < 0)
		return diag_set(d, -EBADMSG, "%s: no valid nextUpdate", what);

	signer = pem_cert(intel_tcb_signing_pem, sizeof(intel_tcb_signing_pem) - 1);
	root = pem_cert(intel_sgx_root_pem, sizeof(intel_sgx_root_pem) - 1);
	if (!signer || !root || !(root_key = X509_get_pubkey(root)))
		return -ENOMEM;
	/*
	 * The built-in TCB signing certificate is pinned and checked against the root, but not at
	 * o->now: Intel re-issues it with the same key, so the key (signed by the root) is what
	 * matters; the collateral's own dates bound its use.
	 */
	if (X509_verify(signer, root_key) != 1) {
		ERR_clear_error();
		return diag_set(d, -EIO, "built-in TCB signing certificate does not verify");
	}
	{
		_cleanup_pkey_ EVP_PKEY *k = X509_get_pubkey(signer);

		if (!k)
			return -ENOMEM;
		r = ecdsa_verify_raw(k, sig, (const uint8_t *)raw, raw_len);
		if (r < 0)
			return r;
		if (r == 0 &&
		    (r = report_result_add_reason(
			 res, "%s: signature by the Intel SGX TCB Signing key does not verify",
			 what)) < 0)
			return r;
	}
	if (o->now < issue && (r = report_result_add_reason(
				   res, "%s: issued after now (%s)", what,
				   json_string_value(json_object_get(obj, "issueDate")))) < 0)
		return r;
	if (o->now > next && (r = report_result_add_reason(
				  res, "%s: expired (nextUpdate %s)", what,
				  json_string_value(json_object_get(obj, "nextUpdate")))) < 0)
		return r;
	*ret_obj = json_incref(obj);
	return 0;
}

static int svn_of(json_t *arr, size_t i)
{
	json_t *e = json_array_get(arr, i);
	json_t *v = json_is_object(e) ? json_object_get(e, "svn") : NULL;

	return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

static int check_tcb_info(const struct tdx_quote *q, const struct pck_info *pi,
			  const struct ward_report_opts *o, struct ward_report_result *res,
			  struct ward_diag *d)
{
	_cleanup_json_ json_t *ti = NULL;
	json_t *levels, *lv;
	uint8_t fmspc[6];
	const char *id;
	size_t i;
	bool skip_module;
	int r;

	r = collateral(o->tcb_info, o->tcb_info_len, "tcbInfo", "TCB info", o, res, &ti, d);
	if (r < 0)
		return r;
	id = json_string_value(json_object_get(ti, "id"));
	if (!id || strcmp(id, "TDX") != 0)
		return report_result_add_reason(res, "TCB info: id is \"%s\", not \"TDX\"",
						id ? id : "");
	if (hex_field(ti, "fmspc", fmspc, sizeof(fmspc)) < 0)
		return diag_set(d, -EBADMSG, "TCB info: fmspc is not 6 bytes of hex");
	if (!pi->has_fmspc)
		return report_result_add_reason(res, "PCK certificate carries no FMSPC");
	if (memcmp(fmspc, pi->fmspc, 6) != 0) {
		char a[13], b[13];

		hex_encode(fmspc, 6, a);
		hex_encode(pi->fmspc, 6, b);
		return report_result_add_reason(res, "TCB info is for FMSPC %s, the PCK's is %s", a,
						b);
	}
	if (!pi->has_tcb)
		return report_result_add_reason(res, "PCK certificate carries no SGX TCB");
	levels = json_object_get(ti, "tcbLevels");
	if (!json_is_array(levels))
		return diag_set(d, -EBADMSG, "TCB info: no tcbLevels array");
	skip_module = json_object_get(ti, "tdxModuleIdentities") != NULL;
	json_array_foreach(levels, i, lv)
	{
		json_t *tcb = json_object_get(lv, "tcb");
		json_t *sgx = json_object_get(tcb, "sgxtcbcomponents");
		json_t *tdx = json_object_get(tcb, "tdxtcbcomponents");
		json_t *pce = json_object_get(tcb, "pcesvn");
		const char *status = json_string_value(json_object_get(lv, "tcbStatus"));
		bool ok = json_array_size(sgx) == 16 && json_array_size(tdx) == 16 &&
			  json_is_integer(pce) && status;

		for (size_t k = 0; ok && k < 16; k++) {
			int s = svn_of(sgx, k), t = svn_of(tdx, k);

			if (s < 0 || t < 0) {
				ok = false;
				break;
			}
			if (pi->comp[k] < s ||
			    (!(skip_module && k < 2) && q->body[B_TEE_TCB_SVN + k] < t))
				ok = false;
		}
		if (!ok || pi->pcesvn < json_integer_value(pce))
			continue;
		if (json_object_set_new(res->facts, "tcb_status", json_string(status)) < 0)
			return -ENOMEM;
		if (strcmp(status, "Revoked") == 0)
			return report_result_add_reason(res,
							"TCB info: the platform TCB is Revoked");
		return 0;
	}
	return report_result_add_reason(res, "TCB info: no TCB level matches the platform's "
					     "(PCK SGX TCB, PCESVN, TEE_TCB_SVN)");
}

static int check_qe_identity(const struct tdx_quote *q, const struct ward_report_opts *o,
			     struct ward_report_result *res, struct ward_diag *d)
{
	_cleanup_json_ json_t *qi = NULL;
	json_t *levels, *lv, *v;
	uint8_t mrsigner[32], attr[16], attr_mask[16], misc[4], misc_mask[4];
	const char *id;
	size_t i;
	int r;

	r = collateral(o->qe_identity, o->qe_identity_len, "enclaveIdentity", "QE identity", o, res,
		       &qi, d);
	if (r < 0)
		return r;
	if (hex_field(qi, "mrsigner", mrsigner, sizeof(mrsigner)) < 0 ||
	    hex_field(qi, "attributes", attr, sizeof(attr)) < 0 ||
	    hex_field(qi, "attributesMask", attr_mask, sizeof(attr_mask)) < 0 ||
	    hex_field(qi, "miscselect", misc, sizeof(misc)) < 0 ||
	    hex_field(qi, "miscselectMask", misc_mask, sizeof(misc_mask)) < 0 ||
	    !json_is_integer(json_object_get(qi, "isvprodid")))
		return diag_set(d, -EBADMSG,
				"QE identity: mrsigner, attributes(Mask), "
				"miscselect(Mask) or isvprodid missing or malformed");
	id = json_string_value(json_object_get(qi, "id"));
	if ((!id || strcmp(id, "TD_QE") != 0) &&
	    (r = report_result_add_reason(res, "QE identity: id is \"%s\", not \"TD_QE\"",
					  id ? id : "")) < 0)
		return r;
	if (memcmp(mrsigner, q->qe_report + Q_MRSIGNER, 32) != 0 &&
	    (r = report_result_add_reason(res,
					  "QE report MRSIGNER does not match the QE identity")) < 0)
		return r;
	if (le16(q->qe_report + Q_ISVPRODID) !=
		json_integer_value(json_object_get(qi, "isvprodid")) &&
	    (r = report_result_add_reason(
		 res,
		 "QE report ISVPRODID %u does not match the QE "
		 "identity's %lld",
		 le16(q->qe_report + Q_ISVPRODID),
		 (long long)json_integer_value(json_object_get(qi, "isvprodid")))) < 0)
		return r;
	for (i = 0; i < 16; i++)
		if ((q->qe_report[Q_ATTRIBUTES + i] & attr_mask[i]) != (attr[i] & attr_mask[i]))
			break;
	if (i < 16 && (r = report_result_add_reason(res, "QE report ATTRIBUTES do not match the "
							 "QE identity")) < 0)
		return r;
	for (i = 0; i < 4; i++)
		if ((q->qe_report[Q_MISCSELECT + i] & misc_mask[i]) != (misc[i] & misc_mask[i]))
			break;
	if (i < 4 && (r = report_result_add_reason(res, "QE report MISCSELECT does not match the "
							"QE identity")) < 0)
		return r;
	levels = json_object_get(qi, "tcbLevels");
	if (!json_is_array(levels))
		return diag_set(d, -EBADMSG, "QE identity: no tcbLevels array");
	json_array_foreach(levels, i, lv)
	{
		const char *status = json_string_value(json_object_get(lv, "tcbStatus"));

		v = json_object_get(json_object_get(lv, "tcb"), "isvsvn");
		if (!json_is_integer(v) || !status ||
		    le16(q->qe_report + Q_ISVSVN) < json_integer_value(v))
			continue;
		if (json_object_set_new(res->facts, "qe_tcb_status", json_string(status)) < 0)
			return -ENOMEM;
		if (strcmp(status, "Revoked") == 0)
			return report_result_add_reason(res,
							"QE identity: the QE's TCB is Revoked");
		return 0;
	}
	return report_result_add_reason(res, "QE identity: no TCB level for QE ISVSVN %u",
					le16(q->qe_report + Q_ISVSVN));
}

static int td_attributes_fact(json_t *facts, uint64_t a)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
	    {0, "debug"}, {28, "sept_ve_disable"}, {30, "pks"}, {31, "kl"}, {63, "perfmon"}};
	json_t *o = json_object(), *flags = json_array();
	char hex[17];

	if (!o || !flags) {
		json_decref(o);
		json_decref(flags);
		return -ENOMEM;
	}
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)a);
	json_object_set_new(o, "value", json_string(hex));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (a & (1ULL << names[i].bit))
			json_array_append_new(flags, json_string(names[i].name));
	json_object_set_new(o, "flags", flags);
	return json_object_set_new(facts, "td_attributes", o) < 0 ? -ENOMEM : 0;
}

static int quote_facts(const struct tdx_quote *q, const struct pck_info *pi, json_t *f)
{
	static const char *rtmr[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
	const uint8_t *b = q->body;
	char tee[8];
	int r = 0;

	snprintf(tee, sizeof(tee), "0x%x", q->tee_type);
	if (json_object_set_new(f, "version", json_integer(q->version)) < 0 ||
	    json_object_set_new(f, "tee_type", json_string(tee)) < 0)
		return -ENOMEM;
	r = r ?: hex_fact(f, "tee_tcb_svn", b + B_TEE_TCB_SVN, 16);
	r = r ?: hex_fact(f, "mrseam", b + B_MRSEAM, 48);
	r = r ?: hex_fact(f, "mrtd", b + B_MRTD, 48);
	for (int i = 0; i < 4; i++)
		r = r ?: hex_fact(f, rtmr[i], b + B_RTMR0 + 48 * i, 48);
	r = r ?: hex_fact(f, "mrconfigid", b + B_MRCONFIGID, 48);
	r = r ?: hex_fact(f, "mrowner", b + B_MROWNER, 48);
	r = r ?: hex_fact(f, "mrownerconfig", b + B_MROWNERCONFIG, 48);
	r = r ?: td_attributes_fact(f, le64(b + B_TDATTRIBUTES));
	r = r ?: hex_fact(f, "xfam", b + B_XFAM, 8);
	r = r ?: hex_fact(f, "report_data", b + B_REPORTDATA, 64);
	if (q->body_len == BODY_V5_LEN)
		r = r ?: hex_fact(f, "mrservicetd", b + B_MRSERVICETD, 48);
	r = r ?: hex_fact(f, "qe_mrsigner", q->qe_report + Q_MRSIGNER, 32);
	if (r)
		return r;
	if (json_object_set_new(f, "qe_isvprodid", json_integer(le16(q->qe_report + Q_ISVPRODID))) <
		0 ||
	    json_object_set_new(f, "qe_isvsvn", json_integer(le16(q->qe_report + Q_ISVSVN))) < 0)
		return -ENOMEM;
	if (pi->has_fmspc)
		r = hex_fact(f, "fmspc", pi->fmspc, 6);
	return r;
}

int report_verify_tdx(const uint8_t *buf, size_t len, const struct ward_report_opts *o,
		      struct ward_report_result *ret, struct ward_diag *d)
{
	struct ward_report_result res = {.verdict = WARD_VERDICT_PASS};
	struct tdx_quote q = {0};
	struct pck_info pi = {0};
	_cleanup_(X509_freep) X509 *leaf = NULL;
	_cleanup_pkey_ EVP_PKEY *att = NULL, *pck_key = NULL;
	uint8_t h[32];
	unsigned int hl = 0;
	_cleanup_md_ctx_ EVP_MD_CTX *md = NULL;
	int r;

	r = parse_quote(buf, len, &q, d);
	if (r < 0)
		return r;
	res.facts = json_object();
	if (!res.facts) {
		r = -ENOMEM;
		goto fail;
	}

	/* (1) The attestation key signs header and body. */
	att = p256_key(q.att_key);
	if (!att) {
		ERR_clear_error();
		r = report_result_add_reason(&res, "attestation key is not a P-256 point");
	} else {
		r = ecdsa_verify_raw(att, q.sig, buf, q.signed_len);
		if (r == 0)
			r = report_result_add_reason(&res, "quote signature by the attestation key "
							   "does not verify");
	}
	if (r < 0)
		goto fail;

	/* (2) The QE vouches for that key: REPORTDATA = SHA-256(key || auth data) || 0^32. */
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, q.att_key, KEY_LEN) != 1 ||
	    EVP_DigestUpdate(md, q.qe_auth, q.qe_auth_len) != 1 ||
	    EVP_DigestFinal_ex(md, h, &hl) != 1) {
		r = -ENOMEM;
		goto fail;
	}
	{
		static const uint8_t zero[32];

		if ((memcmp(q.qe_report + Q_REPORTDATA, h, 32) != 0 ||
		     memcmp(q.qe_report + Q_REPORTDATA + 32, zero, 32) != 0) &&
		    (r = report_result_add_reason(&res,
						  "QE report REPORTDATA is not SHA-256(attestation "
						  "key || QE auth data) padded with zeros")) < 0)
			goto fail;
	}

	/* (4) The PCK chain, then (3) the PCK key signs the QE report. */
	r = pck_chain(&q, o, &res, &leaf, d);
	if (r < 0)
		goto fail;
	pck_key = X509_get_pubkey(leaf);
	if (!pck_key) {
		ERR_clear_error();
		r = report_result_add_reason(&res, "PCK certificate key cannot be read");
	} else {
		r = ecdsa_verify_raw(pck_key, q.qe_sig, q.qe_report, QE_REPORT_LEN);
		if (r == 0)
			r = report_result_add_reason(&res,
						     "QE report signature by the PCK key does "
						     "not verify");
	}
	if (r < 0)
		goto fail;
	pck_extract(leaf, &pi);

	r = quote_facts(&q, &pi, res.facts);
	if (r < 0)
		goto fail;

	/* (5) A debuggable TD's memory and state are open to the host. */
	if ((le64(q.body + B_TDATTRIBUTES) & TD_ATTR_DEBUG) && !o->allow_debug &&
	    (r = report_result_add_reason(&res, "TD attributes have DEBUG set (refused without "
						"allow_debug)")) < 0)
		goto fail;
	/* (6) */
	if (o->has_report_data && memcmp(q.body + B_REPORTDATA, o->report_data, 64) != 0 &&
	    (r = report_result_add_reason(&res, "REPORT_DATA does not match the expected value")) <
		0)
		goto fail;

	if (o->tcb_info && (r = check_tcb_info(&q, &pi, o, &res, d)) < 0)
		goto fail;
	if (o->qe_identity && (r = check_qe_identity(&q, o, &res, d)) < 0)
		goto fail;

	*ret = res;
	return 0;
fail:
	ERR_clear_error();
	report_result_clear(&res);
	return r;
}
