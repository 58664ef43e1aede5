/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An AMD SEV-SNP ATTESTATION_REPORT verified offline: its ECDSA P-384 signature by the VCEK or
 * VLEK, that certificate's chain to a built-in AMD root, the reported TCB against the
 * certificate, the guest policy and REPORT_DATA (layout: AMD SEV-SNP ABI, chapter 7.3).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/report.h"

#include "report-snp-roots.h"

#define SNP_REPORT_SIZE	  0x4a0
#define SNP_SIGNED_SIZE	  0x2a0 /* the signature covers bytes 0..0x29f */
#define SNP_SIG_COMPONENT 72	/* R and S: 72 little-endian bytes each */
#define SNP_VERSION_MIN	  2
#define SNP_VERSION_MAX	  5
/* Certificates accepted in a --chain PEM: ASK or ASVK, ARK, and room for both kinds at once. */
#define SNP_CHAIN_MAX 8

/* Field offsets (shared/vectors/SOURCES.md, from go-sev-guest abi/abi.go). */
enum {
	OFF_VERSION = 0x000,
	OFF_GUEST_SVN = 0x004,
	OFF_POLICY = 0x008,
	OFF_FAMILY_ID = 0x010,
	OFF_IMAGE_ID = 0x020,
	OFF_VMPL = 0x030,
	OFF_SIG_ALGO = 0x034,
	OFF_CURRENT_TCB = 0x038,
	OFF_PLATFORM_INFO = 0x040,
	OFF_SIGNER_INFO = 0x048,
	OFF_REPORT_DATA = 0x050,
	OFF_MEASUREMENT = 0x090,
	OFF_HOST_DATA = 0x0c0,
	OFF_ID_KEY_DIGEST = 0x0e0,
	OFF_AUTHOR_KEY_DIGEST = 0x110,
	OFF_REPORT_ID = 0x140,
	OFF_REPORT_ID_MA = 0x160,
	OFF_REPORTED_TCB = 0x180,
	OFF_CPUID = 0x188,
	OFF_CHIP_ID = 0x1a0,
	OFF_COMMITTED_TCB = 0x1e0,
	OFF_CURRENT_VERSION = 0x1e8,
	OFF_COMMITTED_VERSION = 0x1ec,
	OFF_LAUNCH_TCB = 0x1f0,
	OFF_SIG_R = 0x2a0,
	OFF_SIG_S = 0x2e8,
	OFF_SIG_REST = 0x330,
};

#define POLICY_SMT		 (1ull << 16)
#define POLICY_RESERVED1	 (1ull << 17)
#define POLICY_MIGRATE_MA	 (1ull << 18)
#define POLICY_DEBUG		 (1ull << 19)
#define POLICY_SINGLE_SOCKET	 (1ull << 20)
#define POLICY_CXL_ALLOW	 (1ull << 21)
#define POLICY_MEM_AES_256_XTS	 (1ull << 22)
#define POLICY_RAPL_DIS		 (1ull << 23)
#define POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define POLICY_PAGE_SWAP_DISABLE (1ull << 25)

#define SIGNER_AUTHOR_KEY_EN (1u << 0)
#define SIGNER_MASK_CHIP_KEY (1u << 1)
#define SIGNER_KEY(x)	     (((x) >> 2) & 7u)
#define SIGNER_RESERVED	     0xffffffe0u

enum snp_key { SNP_KEY_VCEK = 0, SNP_KEY_VLEK = 1, SNP_KEY_NONE = 7 };

enum snp_product { PRODUCT_UNKNOWN = -1, PRODUCT_MILAN, PRODUCT_GENOA, PRODUCT_TURIN };

static const struct {
	const char *name; /* as in the VCEK's product-name extension, before any "-stepping" */
	const char *pem;  /* ASK, ARK, ASVK */
} products[] = {
    [PRODUCT_MILAN] = {"Milan", snp_roots_milan},
    [PRODUCT_GENOA] = {"Genoa", snp_roots_genoa},
    [PRODUCT_TURIN] = {"Turin", snp_roots_turin},
};

/* The VCEK/VLEK extensions (go-sev-guest kds/kds.go). */
#define OID_AMD		 "1.3.6.1.4.1.3704.1."
#define OID_PRODUCT_NAME OID_AMD "2"
#define OID_BL_SPL	 OID_AMD "3.1"
#define OID_TEE_SPL	 OID_AMD "3.2"
#define OID_SNP_SPL	 OID_AMD "3.3"
#define OID_UCODE_SPL	 OID_AMD "3.8"
#define OID_FMC_SPL	 OID_AMD "3.9"
#define OID_HWID	 OID_AMD "4"
#define OID_CSP_ID	 OID_AMD "5"

struct snp_tcb {
	unsigned fmc, bl, tee, snp, ucode;
	bool has_fmc;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX *, X509_STORE_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_OBJECT *, ASN1_OBJECT_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_INTEGER *, ASN1_INTEGER_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_IA5STRING *, ASN1_IA5STRING_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ECDSA_SIG *, ECDSA_SIG_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free)

static void x509_stack_freep(STACK_OF(X509) * *p)
{
	if (*p)
		sk_X509_pop_free(*p, X509_free);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Milan and Genoa: [bl, tee, 0, 0, 0, 0, snp, ucode]; Turin: [fmc, bl, tee, snp, 0, 0, 0, ucode].
 */
static struct snp_tcb tcb_decode(const uint8_t *p, enum snp_product product)
{
	if (product == PRODUCT_TURIN)
		return (struct snp_tcb){.fmc = p[0],
					.bl = p[1],
					.tee = p[2],
					.snp = p[3],
					.ucode = p[7],
					.has_fmc = true};
	return (struct snp_tcb){.bl = p[0], .tee = p[1], .snp = p[6], .ucode = p[7]};
}

static int set_hex(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	if (n > 64)
		return -EINVAL;
	hex_encode(p, n, hex);
	return json_object_set_new(o, key, json_string(hex)) ? -ENOMEM : 0;
}

static int set_new(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) ? -ENOMEM : 0;
}

static json_t *tcb_json(const uint8_t *p, enum snp_product product)
{
	struct snp_tcb t = tcb_decode(p, product);
	json_t *o = json_object();
	char raw[17];

	if (!o)
		return NULL;
	snprintf(raw, sizeof(raw), "%016llx", (unsigned long long)le64(p));
	if (set_new(o, "raw", json_string(raw)) < 0 ||
	    (t.has_fmc && set_new(o, "fmc", json_integer(t.fmc)) < 0) ||
	    set_new(o, "bootloader", json_integer(t.bl)) < 0 ||
	    set_new(o, "tee", json_integer(t.tee)) < 0 ||
	    set_new(o, "snp", json_integer(t.snp)) < 0 ||
	    set_new(o, "microcode", json_integer(t.ucode)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *policy_json(uint64_t pol)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} flags[] = {
	    {"smt", POLICY_SMT},
	    {"migrate_ma", POLICY_MIGRATE_MA},
	    {"debug", POLICY_DEBUG},
	    {"single_socket", POLICY_SINGLE_SOCKET},
	    {"cxl_allow", POLICY_CXL_ALLOW},
	    {"mem_aes_256_xts", POLICY_MEM_AES_256_XTS},
	    {"rapl_dis", POLICY_RAPL_DIS},
	    {"ciphertext_hiding", POLICY_CIPHERTEXT_HIDING},
	    {"page_swap_disable", POLICY_PAGE_SWAP_DISABLE},
	};
	json_t *o = json_object(), *fl = json_array();
	char raw[19];

	if (!o || !fl)
		goto fail;
	snprintf(raw, sizeof(raw), "0x%llx", (unsigned long long)pol);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if ((pol & flags[i].bit) && json_array_append_new(fl, json_string(flags[i].name)))
			goto fail;
	if (set_new(o, "raw", json_string(raw)) < 0 ||
	    set_new(o, "abi_major", json_integer((pol >> 8) & 0xff)) < 0 ||
	    set_new(o, "abi_minor", json_integer(pol & 0xff)) < 0 || set_new(o, "flags", fl) < 0)
		goto fail_o;
	return o;
fail:
	json_decref(fl);
fail_o:
	json_decref(o);
	return NULL;
}

/* Everything the report says, whatever the verdict; @product and @key may be unknown yet. */
static int report_facts(const uint8_t *b, enum snp_product product, const char *key, json_t **ret)
{
	_cleanup_json_ json_t *f = json_object();
	uint32_t signer = le32(b + OFF_SIGNER_INFO);
	char ver[32];
	int r;

	if (!f)
		return -ENOMEM;
	snprintf(ver, sizeof(ver), "%u.%u build %u", b[OFF_CURRENT_VERSION + 2],
		 b[OFF_CURRENT_VERSION + 1], b[OFF_CURRENT_VERSION]);
	if ((r = set_new(f, "version", json_integer(le32(b + OFF_VERSION)))) < 0 ||
	    (r = set_new(f, "product",
			 product == PRODUCT_UNKNOWN
			     ? json_null()
			     : json_string(product == PRODUCT_MILAN   ? "milan"
					   : product == PRODUCT_GENOA ? "genoa"
								      : "turin"))) < 0 ||
	    (r = set_new(f, "signing_key", key ? json_string(key) : json_null())) < 0 ||
	    (r = set_new(f, "guest_svn", json_integer(le32(b + OFF_GUEST_SVN)))) < 0 ||
	    (r = set_new(f, "policy", policy_json(le64(b + OFF_POLICY)))) < 0 ||
	    (r = set_new(f, "vmpl", json_integer(le32(b + OFF_VMPL)))) < 0 ||
	    (r = set_hex(f, "measurement", b + OFF_MEASUREMENT, 48)) < 0 ||
	    (r = set_hex(f, "report_data", b + OFF_REPORT_DATA, 64)) < 0 ||
	    (r = set_hex(f, "host_data", b + OFF_HOST_DATA, 32)) < 0 ||
	    (r = set_hex(f, "family_id", b + OFF_FAMILY_ID, 16)) < 0 ||
	    (r = set_hex(f, "image_id", b + OFF_IMAGE_ID, 16)) < 0 ||
	    (r = set_hex(f, "id_key_digest", b + OFF_ID_KEY_DIGEST, 48)) < 0 ||
	    (r = set_hex(f, "author_key_digest", b + OFF_AUTHOR_KEY_DIGEST, 48)) < 0 ||
	    (r = set_hex(f, "report_id", b + OFF_REPORT_ID, 32)) < 0 ||
	    (r = set_hex(f, "report_id_ma", b + OFF_REPORT_ID_MA, 32)) < 0 ||
	    (r = set_hex(f, "chip_id", b + OFF_CHIP_ID, 64)) < 0 ||
	    (r = set_new(f, "reported_tcb", tcb_json(b + OFF_REPORTED_TCB, product))) < 0 ||
	    (r = set_new(f, "current_tcb", tcb_json(b + OFF_CURRENT_TCB, product))) < 0 ||
	    (r = set_new(f, "committed_tcb", tcb_json(b + OFF_COMMITTED_TCB, product))) < 0 ||
	    (r = set_new(f, "launch_tcb", tcb_json(b + OFF_LAUNCH_TCB, product))) < 0 ||
	    (r = set_new(f, "platform_info",
			 json_integer((json_int_t)le64(b + OFF_PLATFORM_INFO)))) < 0 ||
	    (r = set_new(f, "author_key_en", json_boolean(signer & SIGNER_AUTHOR_KEY_EN))) < 0 ||
	    (r = set_new(f, "firmware", json_string(ver))) < 0)
		return r;
	if (le32(b + OFF_VERSION) >= 3) {
		char cpuid[16];

		snprintf(cpuid, sizeof(cpuid), "%02x/%02x/%02x", b[OFF_CPUID], b[OFF_CPUID + 1],
			 b[OFF_CPUID + 2]);
		if ((r = set_new(f, "cpuid_fam_mod_step", json_string(cpuid))) < 0)
			return r;
	}
	*ret = TAKE_PTR(f);
	return 0;
}

/*
 * The DER value of the extension @oid in @x, or NULL when absent. A certificate carrying it
 * twice is malformed: which copy counts would be the parser's choice, not AMD's.
 */
static int cert_ext(X509 *x, const char *oid, const ASN1_OCTET_STRING **ret, struct ward_diag *d)
{
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int i;

	if (!obj)
		return -ENOMEM;
	i = X509_get_ext_by_OBJ(x, obj, -1);
	if (i < 0) {
		*ret = NULL;
		return 0;
	}
	if (X509_get_ext_by_OBJ(x, obj, i) >= 0)
		return diag_set(d, -EBADMSG, "vcek: extension %s appears twice", oid);
	*ret = X509_EXTENSION_get_data(X509_get_ext(x, i));
	return 0;
}

/* An SPL extension: a DER INTEGER 0..255; @ret_present false when the certificate has none. */
static int cert_spl(X509 *x, const char *oid, unsigned *ret, bool *ret_present, struct ward_diag *d)
{
	_cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *n = NULL;
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	int64_t val;
	int r;

	if ((r = cert_ext(x, oid, &v, d)) < 0)
		return r;
	if (!v) {
		*ret_present = false;
		return 0;
	}
	p = ASN1_STRING_get0_data(v);
	n = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
	if (!n || p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) ||
	    !ASN1_INTEGER_get_int64(&val, n) || val < 0 || val > 255)
		return diag_set(d, -EBADMSG, "vcek: extension %s is not an INTEGER 0..255", oid);
	*ret = (unsigned)val;
	*ret_present = true;
	return 0;
}

/* The product name extension ("Milan-B0", "Genoa", "Milan"): which built-in root applies. */
static int cert_product(X509 *x, enum snp_product *ret, char *name, size_t name_size,
			struct ward_diag *d)
{
	_cleanup_(ASN1_IA5STRING_freep) ASN1_IA5STRING *s = NULL;
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	size_t n;
	int r;

	*ret = PRODUCT_UNKNOWN;
	name[0] = '\0';
	if ((r = cert_ext(x, OID_PRODUCT_NAME, &v, d)) < 0 || !v)
		return r;
	p = ASN1_STRING_get0_data(v);
	s = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(v));
	if (!s || p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) ||
	    (size_t)ASN1_STRING_length(s) >= name_size ||
	    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)ASN1_STRING_length(s)))
		return diag_set(d, -EBADMSG,
				"vcek: the product name extension is not a short "
				"IA5String");
	memcpy(name, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
	name[ASN1_STRING_length(s)] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(products); i++) {
		n = strlen(products[i].name);
		if (strncmp(name, products[i].name, n) == 0 && (name[n] == '\0' || name[n] == '-'))
			*ret = (enum snp_product)i;
	}
	return 0;
}

static int pem_certs(const void *pem, size_t len, STACK_OF(X509) * sk, const char *what,
		     struct ward_diag *d)
{
	_cleanup_bio_ BIO *bio = NULL;
	X509 *x;
	int n = 0;

	if (len > INT_MAX)
		return diag_set(d, -EBADMSG, "%s: too large", what);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (++n > SNP_CHAIN_MAX || !sk_X509_push(sk, x)) {
			X509_free(x);
			return n > SNP_CHAIN_MAX
				   ? diag_set(d, -EBADMSG, "%s: more than %d certificates", what,
					      SNP_CHAIN_MAX)
				   : -ENOMEM;
		}
	}
	ERR_clear_error();
	if (n == 0)
		return diag_set(d, -EBADMSG, "%s: no PEM certificate", what);
	return 0;
}

static const char *cn_of(const X509_NAME *name, char *buf, size_t size)
{
	if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, buf, (int)size) < 0)
		snprintf(buf, size, "?");
	return buf;
}

/*
 * The VCEK/VLEK chain: trust anchors are always and only the built-in ARKs, so a --chain may
 * supply intermediates (and a copy of an ARK) but never a root of its own. Without --chain the
 * built-in ASKs and ASVKs are the intermediates. A VCEK must be issued by an ASK ("SEV-<product>")
 * and a VLEK by an ASVK ("SEV-VLEK-<product>"): AMD signs both with the same ARK, so the path
 * alone would not tell a VLEK passed off as a VCEK.
 */
static int check_chain(X509 *leaf, enum snp_key key, const struct ward_report_opts *o,
		       enum snp_product *ret_root, struct ward_report_result *res,
		       struct ward_diag *d)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	_cleanup_(x509_stack_freep) STACK_OF(X509) *inter = sk_X509_new_null();
	_cleanup_(x509_stack_freep) STACK_OF(X509) *builtin = sk_X509_new_null();
	STACK_OF(X509) * chain;
	char cn[128], want[64];
	X509 *issuer, *root;
	int r, ok, err;

	*ret_root = PRODUCT_UNKNOWN;
	if (!store || !ctx || !inter || !builtin)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(products); i++) {
		_cleanup_(x509_stack_freep) STACK_OF(X509) *sk = sk_X509_new_null();

		if (!sk)
			return -ENOMEM;
		if ((r = pem_certs(products[i].pem, strlen(products[i].pem), sk, "built-in roots",
				   d)) < 0)
			return r;
		/* ASK, ARK, ASVK */
		if (sk_X509_num(sk) != 3 || !X509_STORE_add_cert(store, sk_X509_value(sk, 1)))
			return diag_set(d, -ENOMEM, "built-in AMD roots unusable");
		for (int k = 0; k < 3; k += 2) {
			if (!X509_up_ref(sk_X509_value(sk, k)) ||
			    !sk_X509_push(builtin, sk_X509_value(sk, k)))
				return -ENOMEM;
		}
	}
	if (o->chain_pem && (r = pem_certs(o->chain_pem, o->chain_len, inter, "chain", d)) < 0)
		return r;

	if (!X509_STORE_CTX_init(ctx, store, leaf, o->chain_pem ? inter : builtin))
		return -ENOMEM;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)o->now);
	ok = X509_verify_cert(ctx);
	if (ok <= 0) {
		err = X509_STORE_CTX_get_error(ctx);
		ERR_clear_error();
		return report_result_add_reason(
		    res,
		    "chain: the %s does not verify to an AMD root at the given time: %s "
		    "(certificate at depth %d)",
		    key == SNP_KEY_VLEK ? "VLEK" : "VCEK", X509_verify_cert_error_string(err),
		    X509_STORE_CTX_get_error_depth(ctx));
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	if (sk_X509_num(chain) != 3)
		return report_result_add_reason(res,
						"chain: %d certificates from the %s to the "
						"ARK, expected 3",
						sk_X509_num(chain),
						key == SNP_KEY_VLEK ? "VLEK" : "VCEK");
	issuer = sk_X509_value(chain, 1);
	root = sk_X509_value(chain, 2);
	for (size_t i = 0; i < ARRAY_SIZE(products); i++) {
		snprintf(want, sizeof(want), "ARK-%s", products[i].name);
		if (strcmp(cn_of(X509_get_subject_name(root), cn, sizeof(cn)), want) == 0)
			*ret_root = (enum snp_product)i;
	}
	if (*ret_root == PRODUCT_UNKNOWN)
		return report_result_add_reason(res, "chain: root '%s' is not an AMD ARK", cn);
	snprintf(want, sizeof(want), key == SNP_KEY_VLEK ? "SEV-VLEK-%s" : "SEV-%s",
		 products[*ret_root].name);
	if (strcmp(cn_of(X509_get_subject_name(issuer), cn, sizeof(cn)), want) != 0)
		return report_result_add_reason(res,
						"chain: the %s is issued by '%s', expected '%s'",
						key == SNP_KEY_VLEK ? "VLEK" : "VCEK", cn, want);
	return 0;
}

/* The report's signature: R and S little-endian, re-encoded as the DER ECDSA-Sig-Value. */
static int check_signature(const uint8_t *b, EVP_PKEY *pkey, const char *keyname,
			   struct ward_report_result *res)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
	_cleanup_(BN_freep) BIGNUM *r = BN_lebin2bn(b + OFF_SIG_R, SNP_SIG_COMPONENT, NULL);
	_cleanup_(BN_freep) BIGNUM *s = BN_lebin2bn(b + OFF_SIG_S, SNP_SIG_COMPONENT, NULL);
	_cleanup_md_ctx_ EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_free_ unsigned char *der = NULL;
	int n, ok;

	if (!sig || !r || !s || !ctx || !ECDSA_SIG_set0(sig, r, s))
		return -ENOMEM;
	r = s = NULL; /* owned by sig */
	n = i2d_ECDSA_SIG(sig, &der);
	if (n <= 0)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, pkey) != 1)
		return -ENOMEM;
	ok = EVP_DigestVerify(ctx, der, (size_t)n, b, SNP_SIGNED_SIZE);
	ERR_clear_error();
	if (ok != 1)
		return report_result_add_reason(res,
						"signature: the report's ECDSA P-384 signature "
						"does not verify with the %s",
						keyname);
	return 0;
}

static int check_tcb(const uint8_t *b, X509 *leaf, enum snp_product product, const char *keyname,
		     struct ward_report_result *res, struct ward_diag *d)
{
	struct snp_tcb t = tcb_decode(b + OFF_REPORTED_TCB, product);
	const struct {
		const char *oid, *ext, *field;
		unsigned reported;
		bool needed;
	} spl[] = {
	    {OID_BL_SPL, "blSPL", "bootloader", t.bl, true},
	    {OID_TEE_SPL, "teeSPL", "tee", t.tee, true},
	    {OID_SNP_SPL, "snpSPL", "snp", t.snp, true},
	    {OID_UCODE_SPL, "ucodeSPL", "microcode", t.ucode, true},
	    {OID_FMC_SPL, "fmcSPL", "fmc", t.fmc, t.has_fmc},
	};
	unsigned v = 0;
	bool present = false;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(spl); i++) {
		if ((r = cert_spl(leaf, spl[i].oid, &v, &present, d)) < 0)
			return r;
		if (!present) {
			if (spl[i].needed && (r = report_result_add_reason(
						  res, "tcb: the %s has no %s extension (%s)",
						  keyname, spl[i].ext, spl[i].oid)) < 0)
				return r;
			continue;
		}
		if (v != spl[i].reported &&
		    (r = report_result_add_reason(res,
						  "tcb: REPORTED_TCB %s SPL %u differs from the "
						  "%s's %s %u",
						  spl[i].field, spl[i].reported, keyname,
						  spl[i].ext, v)) < 0)
			return r;
	}
	return 0;
}

/*
 * CHIP_ID against the VCEK's hwID: zero CHIP_ID means the host masked it (MASK_CHIP_ID). A Turin
 * hwID is 8 bytes, CHIP_ID's first 8 with the rest zero (go-sev-guest kds.TurinHWIDSize).
 */
static int check_hwid(const uint8_t *b, X509 *leaf, enum snp_product product,
		      struct ward_report_result *res, struct ward_diag *d)
{
	size_t want = product == PRODUCT_TURIN ? 8 : 64;
	const ASN1_OCTET_STRING *v;
	int r;

	if ((r = cert_ext(leaf, OID_HWID, &v, d)) < 0)
		return r;
	if (!v)
		return report_result_add_reason(res, "chip: the VCEK has no hwID extension (%s)",
						OID_HWID);
	if ((size_t)ASN1_STRING_length(v) != want)
		return diag_set(d, -EBADMSG, "vcek: hwID extension is %d bytes, expected %zu",
				ASN1_STRING_length(v), want);
	if (all_zero(b + OFF_CHIP_ID, 64))
		return 0;
	if (memcmp(ASN1_STRING_get0_data(v), b + OFF_CHIP_ID, want) != 0 ||
	    !all_zero(b + OFF_CHIP_ID + want, 64 - want))
		return report_result_add_reason(res, "chip: CHIP_ID differs from the VCEK's hwID");
	return 0;
}

/* Which key the certificate is: a VCEK carries the chip's hwID, a VLEK its CSP's id. */
static int cert_kind(X509 *leaf, enum snp_key *ret, struct ward_diag *d)
{
	const ASN1_OCTET_STRING *hwid, *csp;
	char cn[64];
	int r;

	if ((r = cert_ext(leaf, OID_HWID, &hwid, d)) < 0 ||
	    (r = cert_ext(leaf, OID_CSP_ID, &csp, d)) < 0)
		return r;
	cn_of(X509_get_subject_name(leaf), cn, sizeof(cn));
	if (csp && !hwid && strcmp(cn, "SEV-VLEK") == 0)
		*ret = SNP_KEY_VLEK;
	else if (!csp && strcmp(cn, "SEV-VCEK") == 0)
		*ret = SNP_KEY_VCEK;
	else
		*ret = SNP_KEY_NONE;
	return 0;
}

static int verify(const uint8_t *b, const struct ward_report_opts *o,
		  struct ward_report_result *res, struct ward_diag *d)
{
	uint32_t signer = le32(b + OFF_SIGNER_INFO);
	enum snp_key key = SIGNER_KEY(signer), cert_key;
	const char *keyname = key == SNP_KEY_VLEK ? "VLEK" : "VCEK";
	enum snp_product product = PRODUCT_UNKNOWN, root = PRODUCT_UNKNOWN;
	_cleanup_(X509_freep) X509 *leaf = NULL;
	EVP_PKEY *pkey;
	char name[64];
	int r;

	if (key != SNP_KEY_VCEK && key != SNP_KEY_VLEK) {
		r = report_result_add_reason(res,
					     "signature: SIGNING_KEY %u: the report is not "
					     "signed by a VCEK or VLEK",
					     key);
		goto facts;
	}
	if (signer & SIGNER_MASK_CHIP_KEY) {
		r = report_result_add_reason(res, "signature: MASK_CHIP_KEY is set: the firmware "
						  "did not sign the report");
		goto facts;
	}
	if (!o->vcek_der) {
		r = report_result_add_reason(res,
					     "signature: no %s certificate was given to check "
					     "the report's signature with",
					     keyname);
		goto facts;
	}
	{
		const unsigned char *p = o->vcek_der;

		if (o->vcek_len > LONG_MAX || !(leaf = d2i_X509(NULL, &p, (long)o->vcek_len)) ||
		    p != o->vcek_der + o->vcek_len) {
			ERR_clear_error();
			return diag_set(d, -EBADMSG, "vcek: not one DER certificate");
		}
	}
	if ((r = cert_product(leaf, &product, name, sizeof(name), d)) < 0 ||
	    (r = cert_kind(leaf, &cert_key, d)) < 0)
		return r;
	pkey = X509_get0_pubkey(leaf);
	{
		char group[32] = "";
		size_t glen;

		if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
		    !EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) ||
		    strcmp(group, "secp384r1") != 0) {
			ERR_clear_error();
			return diag_set(d, -EBADMSG, "vcek: the key is not ECDSA P-384");
		}
	}
	if (cert_key != key && (r = report_result_add_reason(
				    res,
				    "signature: the report names the %s as its signing "
				    "key but the certificate is %s",
				    keyname,
				    cert_key == SNP_KEY_VCEK   ? "a VCEK"
				    : cert_key == SNP_KEY_VLEK ? "a VLEK"
							       : "neither a VCEK nor a VLEK")) < 0)
		return r;
	if ((r = check_signature(b, pkey, keyname, res)) < 0)
		return r;
	if ((r = check_chain(leaf, key, o, &root, res, d)) < 0)
		return r;
	if (product == PRODUCT_UNKNOWN &&
	    (r = report_result_add_reason(res,
					  "chain: the %s names product '%s', not one of "
					  "Milan, Genoa, Turin",
					  keyname, name)) < 0)
		return r;
	if (product != PRODUCT_UNKNOWN && root != PRODUCT_UNKNOWN && product != root &&
	    (r = report_result_add_reason(res, "chain: the %s is for %s but chains to ARK-%s",
					  keyname, name, products[root].name)) < 0)
		return r;
	if ((r = check_tcb(b, leaf, product, keyname, res, d)) < 0)
		return r;
	if (key == SNP_KEY_VCEK && cert_key == SNP_KEY_VCEK &&
	    (r = check_hwid(b, leaf, product, res, d)) < 0)
		return r;
	r = 0;
facts:
	if (r < 0)
		return r;
	if ((le64(b + OFF_POLICY) & POLICY_DEBUG) && !o->allow_debug &&
	    (r = report_result_add_reason(res, "policy: the guest allows DEBUG (policy bit 19); "
					       "refused without allow_debug")) < 0)
		return r;
	if (o->has_report_data && memcmp(o->report_data, b + OFF_REPORT_DATA, 64) != 0 &&
	    (r = report_result_add_reason(res, "report_data: REPORT_DATA differs from the "
					       "expected 64 bytes")) < 0)
		return r;
	if (!all_zero(b + OFF_SIG_REST, SNP_REPORT_SIZE - OFF_SIG_REST) &&
	    (r = report_result_add_reason(res,
					  "signature: bytes 0x%x..0x%x after S are not "
					  "zero",
					  OFF_SIG_REST, SNP_REPORT_SIZE - 1)) < 0)
		return r;
	return report_facts(b, product,
			    key == SNP_KEY_VCEK	  ? "vcek"
			    : key == SNP_KEY_VLEK ? "vlek"
						  : NULL,
			    &res->facts);
}

int report_verify_snp(const uint8_t *buf, size_t len, const struct ward_report_opts *o,
		      struct ward_report_result *ret, struct ward_diag *d)
{
	struct ward_report_result res = {.verdict = WARD_VERDICT_PASS};
	uint32_t version, algo, signer;
	int r;

	if (len != SNP_REPORT_SIZE)
		return diag_set(d, -EBADMSG, "snp report: %zu bytes, expected %u", len,
				SNP_REPORT_SIZE);
	version = le32(buf + OFF_VERSION);
	if (version < SNP_VERSION_MIN || version > SNP_VERSION_MAX)
		return diag_set(d, -EBADMSG, "snp report: offset 0x0: VERSION %u, expected %u..%u",
				version, SNP_VERSION_MIN, SNP_VERSION_MAX);
	algo = le32(buf + OFF_SIG_ALGO);
	if (algo != 1)
		return diag_set(d, -EBADMSG,
				"snp report: offset 0x34: SIGNATURE_ALGO %u, expected 1 "
				"(ECDSA P-384 with SHA-384)",
				algo);
	/* The firmware refuses to launch a guest whose policy has it clear (SNP ABI, 4.3). */
	if (!(le64(buf + OFF_POLICY) & POLICY_RESERVED1))
		return diag_set(d, -EBADMSG,
				"snp report: offset 0x8: POLICY bit 17 is clear (reserved, must be 1)");
	signer = le32(buf + OFF_SIGNER_INFO);
	if (signer & SIGNER_RESERVED)
		return diag_set(d, -EBADMSG,
				"snp report: offset 0x48: reserved signer-info bits set "
				"(0x%x)",
				signer);
	r = verify(buf, o, &res, d);
	if (r < 0) {
		report_result_clear(&res);
		return r == -ENOMEM ? diag_set(d, r, "out of memory") : r;
	}
	*ret = res;
	return 0;
}
