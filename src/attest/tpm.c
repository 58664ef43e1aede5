/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM 2.0 backend through tss2-esys: PCR extend/read/reset, the attestation key, quotes.
 *
 * The attestation key (AK) is a restricted ECC P-256 signing key under the owner hierarchy's
 * storage primary. A restricted key signs only digests the TPM computed itself (quotes,
 * certifications), never a digest that starts with TPM_GENERATED_VALUE supplied from outside,
 * so whoever can use the key still cannot forge a quote. Using it at all needs its auth value:
 * 32 random bytes kept with the TPM-wrapped key blob in one owner-only file of the state dir.
 * The storage primary is derived again from the owner seed on every load (same template, same
 * key), so nothing persists in the TPM's NV and the key survives TPM resets and reboots; a
 * TPM2_Clear (new owner seed) makes the blob unloadable and is reported, not repaired.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "attest/tpm.h"
#include "core/cleanup-ossl.h"
#include "core/cleanup.h"
#include "core/pkey.h"
#include "core/util.h"

#define AK_AUTH_LEN 32
#define AK_MAGIC "WARDTAK1"
#define AK_MAGIC_LEN 8
/* magic, auth, TPM2B_PUBLIC and TPM2B_PRIVATE at their largest */
#define AK_FILE_MAX (AK_MAGIC_LEN + AK_AUTH_LEN + sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE))

struct ward_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR ak; /* ESYS_TR_NONE until tpm_ak_create_or_load() */
	TPM2B_PUBLIC ak_public;
};

static inline void esys_freep(void *p)
{
	Esys_Free(*(void **)p);
}
#define _cleanup_esys_ _cleanup_(esys_freep)

/* The TPM's response code without the parameter/handle/session number of format-one codes. */
static TSS2_RC tpm_rc_base(TSS2_RC rc)
{
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3F);
	return rc & (TPM2_RC_VER1 | TPM2_RC_WARN | 0x7F);
}

static int rc_errno(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER) {
		switch (tpm_rc_base(rc)) {
		case TPM2_RC_AUTH_FAIL:
		case TPM2_RC_BAD_AUTH:
		case TPM2_RC_AUTH_MISSING:
		case TPM2_RC_POLICY_FAIL:
			return -EACCES;
		case TPM2_RC_LOCALITY:
			return -EPERM;
		case TPM2_RC_LOCKOUT:
		case TPM2_RC_NV_RATE:
			return -EBUSY;
		case TPM2_RC_OBJECT_MEMORY:
		case TPM2_RC_SESSION_MEMORY:
		case TPM2_RC_MEMORY:
		case TPM2_RC_OBJECT_HANDLES:
		case TPM2_RC_SESSION_HANDLES:
			return -ENOSPC;
		case TPM2_RC_RETRY:
		case TPM2_RC_YIELDED:
		case TPM2_RC_TESTING:
		case TPM2_RC_CANCELED:
			return -EAGAIN;
		case TPM2_RC_INTEGRITY:
		case TPM2_RC_SIZE:
			return -EBADMSG;
		case TPM2_RC_VALUE:
		case TPM2_RC_HASH:
		case TPM2_RC_CURVE:
		case TPM2_RC_SCHEME:
		case TPM2_RC_HANDLE:
		case TPM2_RC_PCR:
		case TPM2_RC_ATTRIBUTES:
		case TPM2_RC_TYPE:
		case TPM2_RC_KEY:
			return -EINVAL;
		default:
			return -EIO;
		}
	}
	switch (rc & ~TSS2_RC_LAYER_MASK) {
	case TSS2_BASE_RC_NO_CONNECTION:
		return -ECONNREFUSED;
	case TSS2_BASE_RC_MEMORY:
		return -ENOMEM;
	case TSS2_BASE_RC_BAD_VALUE:
	case TSS2_BASE_RC_BAD_REFERENCE:
	case TSS2_BASE_RC_BAD_SIZE:
	case TSS2_BASE_RC_BAD_TCTI_STRUCTURE:
	case TSS2_BASE_RC_INSUFFICIENT_BUFFER:
		return -EINVAL;
	case TSS2_BASE_RC_NOT_IMPLEMENTED:
	case TSS2_BASE_RC_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case TSS2_BASE_RC_TRY_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* The one place a TSS2_RC becomes an errno: the decoded code goes into the diagnostics. */
static int tpm_fail(struct ward_diag *d, TSS2_RC rc, const char *what)
{
	return diag_set(d, rc_errno(rc), "TPM: %s: %s (0x%x)", what, Tss2_RC_Decode(rc),
			(unsigned)rc);
}

size_t tpm_alg_digest_len(uint16_t alg)
{
	switch (alg) {
	case WARD_TPM_ALG_SHA1:
		return 20;
	case WARD_TPM_ALG_SHA256:
		return 32;
	case WARD_TPM_ALG_SHA384:
		return 48;
	case WARD_TPM_ALG_SHA512:
		return 64;
	default:
		return 0;
	}
}

int tpm_open(const char *tcti_conf, struct ward_tpm **ret, struct ward_diag *d)
{
	struct ward_tpm *t;
	TSS2_RC rc;

	if (!tcti_conf || !*tcti_conf)
		return diag_set(d, -EINVAL, "TPM: no TCTI given (e.g. device:/dev/tpmrm0)");
	/*
	 * Library code does not print, and tss2 logs its warnings to stderr: every failure reaches
	 * the caller decoded in @d instead. TSS2_LOG set by the user (to debug) is left alone.
	 */
	setenv("TSS2_LOG", "all+none", 0);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ak = ESYS_TR_NONE;
	rc = Tss2_TctiLdr_Initialize(tcti_conf, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		int r = diag_set(d, rc_errno(rc), "TPM: cannot open TCTI '%s': %s (0x%x)",
				 tcti_conf, Tss2_RC_Decode(rc), (unsigned)rc);
		free(t);
		return r;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		int r = tpm_fail(d, rc, "Esys_Initialize");
		tpm_close(t);
		return r;
	}
	/* A kernel or swtpm --flags startup-clear has started it already: that answer is fine. */
	rc = Esys_Startup(t->esys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && tpm_rc_base(rc) != TPM2_RC_INITIALIZE) {
		int r = tpm_fail(d, rc, "TPM2_Startup");
		tpm_close(t);
		return r;
	}
	*ret = t;
	return 0;
}

void tpm_close(struct ward_tpm *t)
{
	if (!t)
		return;
	/* No resource manager behind a swtpm or /dev/tpm0: a transient object left loaded takes
	 * one of its few slots until the TPM restarts. */
	if (t->esys && t->ak != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, t->ak);
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	free(t);
}

static void prop_chars(uint32_t v, char *out)
{
	size_t n = 0;

	for (int sh = 24; sh >= 0; sh -= 8) {
		char c = (char)(v >> sh);

		if (c == '\0')
			continue;
		out[n++] = c >= 0x20 && c <= 0x7e ? c : '?';
	}
	out[n] = '\0';
}

int tpm_identity(struct ward_tpm *t, struct ward_tpm_identity *ret, struct ward_diag *d)
{
	_cleanup_esys_ TPMS_CAPABILITY_DATA *cap = NULL;
	struct ward_tpm_identity id = { 0 };
	uint32_t fw1 = 0, fw2 = 0;
	TPMI_YES_NO more;
	TSS2_RC rc;

	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 8, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_GetCapability(TPM_PROPERTIES)");
	for (uint32_t i = 0; i < cap->data.tpmProperties.count; i++) {
		const TPMS_TAGGED_PROPERTY *p = &cap->data.tpmProperties.tpmProperty[i];

		if (p->property == TPM2_PT_MANUFACTURER)
			prop_chars(p->value, id.manufacturer);
		else if (p->property >= TPM2_PT_VENDOR_STRING_1 &&
			 p->property <= TPM2_PT_VENDOR_STRING_4)
			prop_chars(p->value, id.vendor + strlen(id.vendor));
		else if (p->property == TPM2_PT_FIRMWARE_VERSION_1)
			fw1 = p->value;
		else if (p->property == TPM2_PT_FIRMWARE_VERSION_2)
			fw2 = p->value;
	}
	id.firmware = (uint64_t)fw1 << 32 | fw2;
	/* libtpms answers manufacturer "IBM" and vendor strings "SW  ", " TPM" */
	id.software = strcmp(id.manufacturer, "IBM") == 0 && strncmp(id.vendor, "SW", 2) == 0;
	*ret = id;
	return 0;
}

/* Transient object handles (Part 2, 7.4): tss2's TPM2_TRANSIENT_FIRST shifts a signed int into
 * its sign bit, which UBSan rightly refuses. */
#define TRANSIENT_FIRST 0x80000000u
#define TRANSIENT_LAST 0x80FFFFFFu

int tpm_flush_transients(struct ward_tpm *t, struct ward_diag *d)
{
	_cleanup_esys_ TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	int n = 0;

	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, TRANSIENT_FIRST, TPM2_MAX_CAP_HANDLES, &more,
				&cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_GetCapability(HANDLES)");
	for (uint32_t i = 0; i < cap->data.handles.count; i++) {
		TPM2_HANDLE h = cap->data.handles.handle[i];
		ESYS_TR tr;

		if (h < TRANSIENT_FIRST || h > TRANSIENT_LAST)
			continue;
		rc = Esys_TR_FromTPMPublic(t->esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					   &tr);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(d, rc, "TPM2_ReadPublic(leftover transient object)");
		rc = Esys_FlushContext(t->esys, tr);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(d, rc, "TPM2_FlushContext(leftover transient object)");
		n++;
	}
	return n;
}

int tpm_active_banks(struct ward_tpm *t, uint16_t *ret_algs, size_t *ret_n, struct ward_diag *d)
{
	_cleanup_esys_ TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	size_t n = 0;

	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS,
				0, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_GetCapability(PCRS)");
	for (uint32_t i = 0; i < cap->data.assignedPCR.count && n < WARD_TPM_BANKS_MAX; i++) {
		const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
		bool any = false;

		for (unsigned b = 0; b < s->sizeofSelect && b < TPM2_PCR_SELECT_MAX; b++)
			any |= s->pcrSelect[b] != 0;
		if (any)
			ret_algs[n++] = s->hash;
	}
	*ret_n = n;
	return 0;
}

static void select_pcr(TPMS_PCR_SELECTION *s, uint16_t alg, uint32_t pcrs)
{
	memset(s, 0, sizeof(*s));
	s->hash = alg;
	s->sizeofSelect = 3;
	for (unsigned i = 0; i < 3; i++)
		s->pcrSelect[i] = (uint8_t)(pcrs >> (8 * i));
}

int tpm_extend(struct ward_tpm *t, unsigned pcr, const struct ward_tpm_digest *digests, size_t n,
	       struct ward_diag *d)
{
	TPML_DIGEST_VALUES v = { 0 };
	TSS2_RC rc;

	if (pcr >= WARD_TPM_PCR_MAX)
		return diag_set(d, -EINVAL, "TPM: PCR %u out of range 0..%d", pcr,
				WARD_TPM_PCR_MAX - 1);
	if (n == 0 || n > WARD_TPM_BANKS_MAX)
		return diag_set(d, -EINVAL, "TPM: extend needs 1..%d digests, got %zu",
				WARD_TPM_BANKS_MAX, n);
	for (size_t i = 0; i < n; i++) {
		size_t len = tpm_alg_digest_len(digests[i].alg);

		if (len == 0)
			return diag_set(d, -EINVAL, "TPM: unknown PCR bank 0x%04x", digests[i].alg);
		v.digests[i].hashAlg = digests[i].alg;
		memcpy(&v.digests[i].digest, digests[i].digest, len);
	}
	v.count = (uint32_t)n;
	rc = Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			     ESYS_TR_NONE, &v);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_PCR_Extend");
	return 0;
}

int tpm_pcr_read(struct ward_tpm *t, unsigned pcr, uint16_t alg, uint8_t *ret_digest,
		 size_t *ret_len, struct ward_diag *d)
{
	_cleanup_esys_ TPML_PCR_SELECTION *sel_out = NULL;
	_cleanup_esys_ TPML_DIGEST *values = NULL;
	TPML_PCR_SELECTION sel = { .count = 1 };
	size_t len = tpm_alg_digest_len(alg);
	UINT32 counter;
	TSS2_RC rc;

	if (pcr >= WARD_TPM_PCR_MAX)
		return diag_set(d, -EINVAL, "TPM: PCR %u out of range 0..%d", pcr,
				WARD_TPM_PCR_MAX - 1);
	if (len == 0)
		return diag_set(d, -EINVAL, "TPM: unknown PCR bank 0x%04x", alg);
	select_pcr(&sel.pcrSelections[0], alg, 1u << pcr);
	rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
			   &sel_out, &values);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_PCR_Read");
	/* An inactive bank is answered with an empty selection, not with an error. */
	if (values->count != 1)
		return diag_set(d, -ENOENT, "TPM: PCR bank 0x%04x is not active", alg);
	if (values->digests[0].size != len)
		return diag_set(d, -EIO, "TPM: PCR %u in bank 0x%04x has %u bytes, expected %zu",
				pcr, alg, values->digests[0].size, len);
	memcpy(ret_digest, values->digests[0].buffer, len);
	*ret_len = len;
	return 0;
}

int tpm_pcr_read_banks(struct ward_tpm *t, unsigned pcr, const uint16_t *algs, size_t n,
		       uint8_t (*ret)[WARD_TPM_DIGEST_MAX], struct ward_diag *d)
{
	_cleanup_esys_ TPML_PCR_SELECTION *sel_out = NULL;
	_cleanup_esys_ TPML_DIGEST *values = NULL;
	TPML_PCR_SELECTION sel = { .count = (uint32_t)n };
	UINT32 counter;
	TSS2_RC rc;

	if (pcr >= WARD_TPM_PCR_MAX)
		return diag_set(d, -EINVAL, "TPM: PCR %u out of range 0..%d", pcr,
				WARD_TPM_PCR_MAX - 1);
	if (n == 0 || n > 8)
		return diag_set(d, -EINVAL, "TPM: read 1..8 banks at once, not %zu", n);
	for (size_t i = 0; i < n; i++) {
		if (tpm_alg_digest_len(algs[i]) == 0)
			return diag_set(d, -EINVAL, "TPM: unknown PCR bank 0x%04x", algs[i]);
		select_pcr(&sel.pcrSelections[i], algs[i], 1u << pcr);
	}
	rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
			   &sel_out, &values);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_PCR_Read");
	/* Inactive banks are left out of the answer, not refused: the selection says which. */
	if (values->count != n || sel_out->count != n)
		return diag_set(d, -ENOENT, "TPM: %u of %zu PCR banks answered (a bank is not active)",
				values->count, n);
	for (size_t i = 0; i < n; i++) {
		size_t len = tpm_alg_digest_len(algs[i]);

		if (sel_out->pcrSelections[i].hash != algs[i] || values->digests[i].size != len)
			return diag_set(d, -EIO, "TPM: PCR_Read answered bank 0x%04x with %u bytes "
						 "for bank 0x%04x", sel_out->pcrSelections[i].hash,
					values->digests[i].size, algs[i]);
		memcpy(ret[i], values->digests[i].buffer, len);
	}
	return 0;
}

int tpm_pcr_reset(struct ward_tpm *t, unsigned pcr, struct ward_diag *d)
{
	TSS2_RC rc;

	if (pcr >= WARD_TPM_PCR_MAX)
		return diag_set(d, -EINVAL, "TPM: PCR %u out of range 0..%d", pcr,
				WARD_TPM_PCR_MAX - 1);
	rc = Esys_PCR_Reset(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			    ESYS_TR_NONE);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_PCR_Reset");
	return 0;
}

/*
 * The owner hierarchy's ECC storage primary in the TCG provisioning guidance's template: the
 * same seed and template give the same key every time, so it need not be persisted.
 */
static int create_primary(struct ward_tpm *t, ESYS_TR *ret_primary, struct ward_diag *d)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation_pcr = { 0 };
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
					    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES,
					       .keyBits.aes = 128,
					       .mode.aes = TPM2_ALG_CFB },
				.scheme.scheme = TPM2_ALG_NULL,
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
			.unique.ecc = { .x.size = 32, .y.size = 32 },
		},
	};
	TSS2_RC rc;

	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &creation_pcr, ret_primary,
				NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_CreatePrimary(owner storage key)");
	return 0;
}

/* What ward asks for and accepts as an AK: anything else in a key file is refused. */
#define AK_ATTRS                                                                                   \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |        \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |                    \
	 TPMA_OBJECT_SIGN_ENCRYPT)

static void ak_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	/*
	 * noDA: the 256-bit random auth cannot be guessed, so dictionary-attack counting would
	 * protect nothing and would let any local user lock the monitor out by failing on purpose.
	 */
	p->publicArea.objectAttributes = AK_ATTRS;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

static bool ak_public_ok(const TPM2B_PUBLIC *p)
{
	const TPMT_PUBLIC *a = &p->publicArea;

	return a->type == TPM2_ALG_ECC && a->nameAlg == TPM2_ALG_SHA256 &&
	       a->objectAttributes == AK_ATTRS &&
	       a->parameters.eccDetail.scheme.scheme == TPM2_ALG_ECDSA &&
	       a->parameters.eccDetail.scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256 &&
	       a->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 &&
	       a->unique.ecc.x.size == 32 && a->unique.ecc.y.size == 32;
}

/*
 * Create a new AK and install its file. Return 1 when it was installed, 0 when another process
 * installed one first (that one wins: this key was never written anywhere), or -errno.
 */
static int create_ak_file(struct ward_tpm *t, int dirfd, struct ward_diag *d)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation_pcr = { 0 };
	TPM2B_PUBLIC tmpl;
	_cleanup_esys_ TPM2B_PRIVATE *priv = NULL;
	_cleanup_esys_ TPM2B_PUBLIC *pub = NULL;
	uint8_t buf[AK_FILE_MAX];
	ESYS_TR primary = ESYS_TR_NONE;
	size_t off;
	char tmp[64];
	TSS2_RC rc;
	int r;

	sens.sensitive.userAuth.size = AK_AUTH_LEN;
	if (getrandom(sens.sensitive.userAuth.buffer, AK_AUTH_LEN, 0) != AK_AUTH_LEN)
		return diag_set(d, -EIO, "TPM: cannot draw the AK's auth value: %s",
				strerror(errno));
	ak_template(&tmpl);
	r = create_primary(t, &primary, d);
	if (r < 0)
		goto out;
	rc = Esys_Create(t->esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
			 &tmpl, &outside, &creation_pcr, &priv, &pub, NULL, NULL, NULL);
	Esys_FlushContext(t->esys, primary);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(d, rc, "TPM2_Create(attestation key)");
		goto out;
	}
	memcpy(buf, AK_MAGIC, AK_MAGIC_LEN);
	memcpy(buf + AK_MAGIC_LEN, sens.sensitive.userAuth.buffer, AK_AUTH_LEN);
	off = AK_MAGIC_LEN + AK_AUTH_LEN;
	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(d, rc, "marshalling the attestation key");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), WARD_TPM_AK_FILE ".new.%d", (int)getpid());
	r = write_file_atomic(dirfd, tmp, buf, off, 0600);
	if (r < 0) {
		diag_set(d, r, "cannot write %s: %s", tmp, strerror(-r));
		goto out;
	}
	/* link(2) never replaces: two monitors racing on a new state dir end up with one key. */
	r = 1;
	if (linkat(dirfd, tmp, dirfd, WARD_TPM_AK_FILE, 0) < 0) {
		if (errno != EEXIST) {
			r = -errno;
			unlinkat(dirfd, tmp, 0);
			diag_set(d, r, "cannot install %s: %s", WARD_TPM_AK_FILE, strerror(-r));
			goto out;
		}
		r = 0;
	}
	unlinkat(dirfd, tmp, 0);
	if (fsync(dirfd) < 0)
		r = -errno;
out:
	explicit_bzero(&sens, sizeof(sens));
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* Read and parse the key file from an fd checked owner-only: the file parsed is the one checked. */
static int read_ak_file(int fd, TPM2B_AUTH *auth, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv,
			struct ward_diag *d)
{
	uint8_t *buf = NULL;
	size_t len = 0, off;
	TSS2_RC rc;
	int r;

	r = read_fd_full(fd, AK_FILE_MAX, &buf, &len);
	if (r < 0)
		return diag_set(d, r, "cannot read %s: %s", WARD_TPM_AK_FILE, strerror(-r));
	r = 0;
	if (len < AK_MAGIC_LEN + AK_AUTH_LEN || memcmp(buf, AK_MAGIC, AK_MAGIC_LEN) != 0) {
		r = diag_set(d, -EBADMSG, "%s: not a ward TPM key file", WARD_TPM_AK_FILE);
		goto out;
	}
	auth->size = AK_AUTH_LEN;
	memcpy(auth->buffer, buf + AK_MAGIC_LEN, AK_AUTH_LEN);
	off = AK_MAGIC_LEN + AK_AUTH_LEN;
	rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, pub);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, &off, priv);
	if (rc != TSS2_RC_SUCCESS || off != len) {
		r = diag_set(d, -EBADMSG, "%s: damaged at offset %zu", WARD_TPM_AK_FILE, off);
		goto out;
	}
	if (!ak_public_ok(pub))
		r = diag_set(d, -EBADMSG,
			     "%s: not a restricted ECC P-256 ECDSA-SHA256 signing key with "
			     "ward's attributes", WARD_TPM_AK_FILE);
out:
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

int tpm_ak_create_or_load(struct ward_tpm *t, int state_dirfd, int *ret_created,
			  struct ward_diag *d)
{
	_cleanup_close_ int fd = -EBADF;
	TPM2B_AUTH auth = { 0 };
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	ESYS_TR primary = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	mode_t mode = 0;
	int created = 0;
	TSS2_RC rc;
	int r;

	fd = openat(state_dirfd, WARD_TPM_AK_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		r = create_ak_file(t, state_dirfd, d);
		if (r < 0)
			return r;
		created = r;
		fd = openat(state_dirfd, WARD_TPM_AK_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return diag_set(d, -errno, "cannot open %s: %s", WARD_TPM_AK_FILE, strerror(errno));
	if ((r = fd_check_owned(fd, 077, &mode)) < 0)
		return diag_set(d, r,
				"%s must be a regular file owned by uid %u with mode 0600 (is %04o): "
				"refusing a key auth others could read or replace",
				WARD_TPM_AK_FILE, (unsigned)geteuid(), (unsigned)mode);
	r = read_ak_file(fd, &auth, &pub, &priv, d);
	if (r < 0)
		goto out;
	r = create_primary(t, &primary, d);
	if (r < 0)
		goto out;
	rc = Esys_Load(t->esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv,
		       &pub, &ak);
	/* The loaded child stays usable without its parent: free the parent's slot now. */
	Esys_FlushContext(t->esys, primary);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(d, rc, "TPM2_Load(attestation key; was the TPM cleared?)");
		goto out;
	}
	rc = Esys_TR_SetAuth(t->esys, ak, &auth);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_FlushContext(t->esys, ak);
		r = tpm_fail(d, rc, "setting the attestation key's auth");
		goto out;
	}
	if (t->ak != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, t->ak);
	t->ak = ak;
	t->ak_public = pub;
	if (ret_created)
		*ret_created = created;
	r = 0;
out:
	explicit_bzero(&auth, sizeof(auth));
	explicit_bzero(&priv, sizeof(priv));
	return r;
}

void tpm_quote_clear(struct ward_tpm_quote *q)
{
	if (!q)
		return;
	free(q->attest);
	free(q->signature);
	free(q->ak_public);
	memset(q, 0, sizeof(*q));
}

static int dup_buf(const void *p, size_t n, uint8_t **ret)
{
	uint8_t *b = malloc(n ? n : 1);

	if (!b)
		return -ENOMEM;
	memcpy(b, p, n);
	*ret = b;
	return 0;
}

int tpm_quote(struct ward_tpm *t, const uint8_t *nonce, size_t nonce_len,
	      const struct ward_tpm_pcr_sel *sel, size_t nsel, struct ward_tpm_quote *ret,
	      struct ward_diag *d)
{
	_cleanup_esys_ TPM2B_ATTEST *quoted = NULL;
	_cleanup_esys_ TPMT_SIGNATURE *sig = NULL;
	struct ward_tpm_quote q = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL }; /* the key's own: ECDSA-SHA256 */
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_DATA qual = { 0 };
	uint8_t buf[sizeof(TPMT_PUBLIC) + sizeof(TPMT_SIGNATURE)];
	size_t off;
	TSS2_RC rc;

	if (t->ak == ESYS_TR_NONE)
		return diag_set(d, -EINVAL, "TPM: no attestation key loaded");
	if (nonce_len > WARD_TPM_NONCE_MAX)
		return diag_set(d, -EINVAL, "TPM: nonce of %zu bytes, at most %d", nonce_len,
				WARD_TPM_NONCE_MAX);
	if (nsel == 0 || nsel > WARD_TPM_BANKS_MAX)
		return diag_set(d, -EINVAL, "TPM: quote needs 1..%d PCR banks, got %zu",
				WARD_TPM_BANKS_MAX, nsel);
	for (size_t i = 0; i < nsel; i++) {
		if (tpm_alg_digest_len(sel[i].alg) == 0)
			return diag_set(d, -EINVAL, "TPM: unknown PCR bank 0x%04x", sel[i].alg);
		if (sel[i].pcrs >> WARD_TPM_PCR_MAX)
			return diag_set(d, -EINVAL, "TPM: PCR selection 0x%x beyond PCR %d",
					sel[i].pcrs, WARD_TPM_PCR_MAX - 1);
		select_pcr(&pcrs.pcrSelections[i], sel[i].alg, sel[i].pcrs);
	}
	pcrs.count = (uint32_t)nsel;
	qual.size = (uint16_t)nonce_len;
	if (nonce_len)
		memcpy(qual.buffer, nonce, nonce_len);

	rc = Esys_Quote(t->esys, t->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qual,
			&scheme, &pcrs, &quoted, &sig);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(d, rc, "TPM2_Quote");

	if (dup_buf(quoted->attestationData, quoted->size, &q.attest) < 0)
		goto oom;
	q.attest_len = quoted->size;
	off = 0;
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_quote_clear(&q);
		return tpm_fail(d, rc, "marshalling the quote's signature");
	}
	if (dup_buf(buf, off, &q.signature) < 0)
		goto oom;
	q.signature_len = off;
	off = 0;
	rc = Tss2_MU_TPMT_PUBLIC_Marshal(&t->ak_public.publicArea, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_quote_clear(&q);
		return tpm_fail(d, rc, "marshalling the attestation key");
	}
	if (dup_buf(buf, off, &q.ak_public) < 0)
		goto oom;
	q.ak_public_len = off;
	*ret = q;
	return 0;
oom:
	tpm_quote_clear(&q);
	return -ENOMEM;
}

static int ak_pkey(struct ward_tpm *t, EVP_PKEY **ret, struct ward_diag *d)
{
	const TPMS_ECC_POINT *pt = &t->ak_public.publicArea.unique.ecc;
	_cleanup_pkey_ctx_ EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *key = NULL;
	uint8_t point[1 + 2 * 32];

	if (t->ak == ESYS_TR_NONE)
		return diag_set(d, -EINVAL, "TPM: no attestation key loaded");
	/* ak_public_ok() held when it was loaded: both coordinates are 32 bytes. */
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, pt->x.buffer, 32);
	memcpy(point + 33, pt->y.buffer, 32);
	bld = OSSL_PARAM_BLD_new();
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
						   0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
		params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	if (!key)
		return diag_set(d, -EIO, "TPM: the attestation key is not a valid P-256 point");
	*ret = key;
	return 0;
}

int tpm_ak_pubkey_pem(struct ward_tpm *t, char **ret_pem, struct ward_diag *d)
{
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	_cleanup_bio_ BIO *mem = NULL;
	char *p, *out;
	long n;
	int r;

	if ((r = ak_pkey(t, &key, d)) < 0)
		return r;
	mem = BIO_new(BIO_s_mem());
	if (!mem || !PEM_write_bio_PUBKEY(mem, key))
		return diag_set(d, -EIO, "TPM: cannot encode the attestation key");
	n = BIO_get_mem_data(mem, &p);
	out = strndup(p, (size_t)n);
	if (!out)
		return -ENOMEM;
	*ret_pem = out;
	return 0;
}

int tpm_ak_pubkey_der(struct ward_tpm *t, uint8_t **ret_der, size_t *ret_len,
		      struct ward_diag *d)
{
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	int r;

	if ((r = ak_pkey(t, &key, d)) < 0)
		return r;
	r = pkey_spki_der(key, ret_der, ret_len);
	if (r == -EIO)
		return diag_set(d, r, "TPM: cannot encode the attestation key");
	return r;
}
