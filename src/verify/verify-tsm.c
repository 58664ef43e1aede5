/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tsm evidence: a SEV-SNP report or TDX quote whose REPORT_DATA is SHA-512 of the statement,
 * and the statement signed by the monitor key it binds. The report is the root: it vouches for
 * the statement (nonce, registers, bound key) exactly, so nothing needs pinning; the monitor's
 * Ed25519 signature proves that the key in the bundle is the one bound, and lets later uses hold
 * that key to statements without a new report.
 *
 * The SEV-SNP certificate table (GHCB spec 56421, 4.1.8.1, the sev_guest auxblob) supplies the
 * VCEK or VLEK; the AMD roots (and the ASK/ASVK) are the verifier's built-in ones, so an ASK or
 * ARK in the table is never trusted. A TDX quote carries its PCK chain itself.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/cleanup-ossl.h"
#include "verify/verify-tsm.h"
#include "ward/hash.h"

/* 63da758d-e664-4564-adc5-f4b93be8accd */
const uint8_t tsm_guid_vcek[16] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
				   0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
/* a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
const uint8_t tsm_guid_vlek[16] = {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
				   0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1};
/* 4ab7b379-bbac-4fe4-a02f-05aef327c782 */
const uint8_t tsm_guid_ask[16] = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
				  0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82};
/* c0b406a4-a803-4952-9743-3fb6014cd0ae */
const uint8_t tsm_guid_ark[16] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
				  0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};

#define SNP_REPORT_SIZE	     0x4a0
#define SNP_OFF_SIGNER_INFO  0x48
#define SNP_SIGNER_KEY(x)    (((x) >> 2) & 7u)
#define SNP_KEY_VLEK	     1
#define TEE_MEASUREMENT_SIZE 48

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int tsm_cert_table_parse(const uint8_t *buf, size_t len, struct tsm_cert_entry *ret, size_t *ret_n,
			 struct ward_diag *d)
{
	struct tsm_cert_entry e[WARD_TSM_CERT_ENTRIES_MAX];
	size_t n = 0, off = 0, end;

	if (len == 0) {
		*ret_n = 0;
		return 0;
	}
	for (;; off += TSM_CERT_ENTRY_SIZE) {
		const uint8_t *p = buf + off;

		if (len - off < TSM_CERT_ENTRY_SIZE)
			return diag_set(d, -EBADMSG,
					"certificate table: truncated at offset %zu (no all-zero "
					"entry ends it)",
					off);
		if (all_zero(p, TSM_CERT_ENTRY_SIZE))
			break;
		if (n == WARD_TSM_CERT_ENTRIES_MAX)
			return diag_set(d, -EBADMSG, "certificate table: more than %d entries",
					WARD_TSM_CERT_ENTRIES_MAX);
		if (all_zero(p, 16))
			return diag_set(d, -EBADMSG,
					"certificate table: entry at offset %zu has a zero GUID",
					off);
		memcpy(e[n].guid, p, 16);
		e[n].offset = le32(p + 16);
		e[n].length = le32(p + 20);
		n++;
	}
	end = off + TSM_CERT_ENTRY_SIZE; /* the entries and their terminator */
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = e[i].offset, hi = lo + e[i].length;

		if (e[i].length == 0)
			return diag_set(d, -EBADMSG, "certificate table: entry %zu is empty", i);
		if (lo < end || hi > len)
			return diag_set(d, -EBADMSG,
					"certificate table: entry %zu (offset %u, length %u) lies "
					"outside the %zu bytes after the table",
					i, e[i].offset, e[i].length, len - end);
		for (size_t k = 0; k < i; k++) {
			uint64_t klo = e[k].offset, khi = klo + e[k].length;

			if (memcmp(e[k].guid, e[i].guid, 16) == 0)
				return diag_set(d, -EBADMSG,
						"certificate table: entries %zu and %zu have the "
						"same GUID",
						k, i);
			if (lo < khi && klo < hi)
				return diag_set(d, -EBADMSG,
						"certificate table: entries %zu and %zu overlap", k,
						i);
		}
	}
	memcpy(ret, e, n * sizeof(e[0]));
	*ret_n = n;
	return 0;
}

int tsm_cert_table_find(const uint8_t *buf, size_t len, const uint8_t guid[16], const uint8_t **ret,
			size_t *ret_len, struct ward_diag *d)
{
	struct tsm_cert_entry e[WARD_TSM_CERT_ENTRIES_MAX];
	size_t n;
	int r;

	if ((r = tsm_cert_table_parse(buf, len, e, &n, d)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (memcmp(e[i].guid, guid, 16) == 0) {
			*ret = buf + e[i].offset;
			*ret_len = e[i].length;
			return 0;
		}
	}
	return -ENOENT;
}

static int check_ed25519(const uint8_t *spki, size_t spki_len, const uint8_t *msg, size_t msg_len,
			 const uint8_t *sig, size_t sig_len, bool *ret_ok, struct ward_diag *d)
{
	const unsigned char *p = spki;
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	_cleanup_md_ctx_ EVP_MD_CTX *ctx = NULL;

	key = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (!key || p != spki + spki_len || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		ERR_clear_error();
		return diag_set(d, -EBADMSG,
				"evidence: \"public_key\" is not an Ed25519 SubjectPublicKeyInfo");
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key))
		return -ENOMEM;
	*ret_ok = EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
	ERR_clear_error();
	return 0;
}

/* A byte string the report states, as the report verifier's facts give it (lower-case hex). */
static const char *fact_hex(const struct ward_report_result *rr, const char *key)
{
	json_t *v = rr->facts ? json_object_get(rr->facts, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int verify_tsm(const struct tsm_evidence *e, const struct ward_verify_opts *o,
	       struct ward_report_result *reasons, struct tsm_verdict *ret, struct ward_diag *d)
{
	struct ward_report_result rr = {.verdict = WARD_VERDICT_PASS};
	struct ward_report_opts ro = {0};
	struct tsm_verdict v = {.measurement_ok = true};
	uint8_t want[64];
	char want_hex[2 * 64 + 1], meas_hex[2 * TEE_MEASUREMENT_SIZE + 1];
	const char *name, *got, *meas_key;
	bool snp;
	int r;

	if (strcmp(e->report_type, "sev-snp") == 0)
		snp = true;
	else if (strcmp(e->report_type, "tdx") == 0)
		snp = false;
	else
		return diag_set(d, -EBADMSG,
				"evidence quote: \"report_type\" is '%s', not sev-snp or tdx",
				e->report_type);
	name = snp ? "SEV-SNP report" : "TDX quote";

	/* The monitor key signed this statement, and it is the key the statement binds. */
	if ((r = check_ed25519(e->public_key, e->public_key_len, e->message, e->message_len,
			       e->signature, e->signature_len, &v.signature_ok, d)) < 0)
		return r;
	if (!v.signature_ok &&
	    (r = report_result_add_reason(reasons, "the monitor key's signature over the "
						   "statement does not verify")) < 0)
		return r;
	v.key_bound = e->msg->bound_key_len == e->public_key_len &&
		      memcmp(e->msg->bound_key, e->public_key, e->public_key_len) == 0;
	if (!v.key_bound &&
	    (r = report_result_add_reason(reasons, "the bundle's public_key is not the monitor key "
						   "the statement binds (bound_key)")) < 0)
		return r;
	if (strcmp(e->msg->root, e->report_type) != 0 &&
	    (r = report_result_add_reason(reasons,
					  "the statement claims root '%s' but the report "
					  "is %s",
					  e->msg->root, e->report_type)) < 0)
		return r;

	ro.allow_debug = o->allow_debug;
	ro.now = o->now ? o->now : (int64_t)time(NULL);
	if (snp) {
		const uint8_t *guid = tsm_guid_vcek;

		/* The report names the key that signed it; the table may carry either. */
		if (e->report_len == SNP_REPORT_SIZE &&
		    SNP_SIGNER_KEY(le32(e->report + SNP_OFF_SIGNER_INFO)) == SNP_KEY_VLEK)
			guid = tsm_guid_vlek;
		r = tsm_cert_table_find(e->aux, e->aux_len, guid, &ro.vcek_der, &ro.vcek_len, d);
		if (r == -EBADMSG) {
			diag_prefix(d, "evidence quote: aux: ");
			return r;
		}
		if (r == -ENOENT) {
			/* Judged without a key, so that the report's other faults are still told.
			 */
			ro.vcek_der = NULL;
			ro.vcek_len = 0;
			if ((r = report_result_add_reason(reasons,
							  "the SEV-SNP certificate table "
							  "(aux) has no %s",
							  guid == tsm_guid_vlek ? "VLEK"
										: "VCEK")) < 0)
				return r;
		}
		r = report_verify_snp(e->report, e->report_len, &ro, &rr, d);
	} else {
		r = report_verify_tdx(e->report, e->report_len, &ro, &rr, d);
	}
	if (r < 0) {
		diag_prefix(d, "evidence quote: report: ");
		return r;
	}
	v.report_ok = rr.verdict == WARD_VERDICT_PASS;
	for (size_t i = 0; i < rr.n_reasons && r >= 0; i++)
		r = report_result_add_reason(reasons, "%s: %s", name, rr.reasons[i]);
	if (r < 0)
		goto out;

	/* For this statement. */
	if ((r = hash_buf(WARD_HASH_SHA512, e->message, e->message_len, want)) < 0)
		goto out;
	hex_encode(want, sizeof(want), want_hex);
	got = fact_hex(&rr, "report_data");
	v.report_data_ok = got && strcmp(got, want_hex) == 0;
	if (!v.report_data_ok &&
	    (r = report_result_add_reason(reasons, "report data does not match: the report's "
						   "REPORT_DATA is not SHA-512 of the "
						   "statement")) < 0)
		goto out;

	if (o->tee_measurement) {
		meas_key = snp ? "measurement" : "mrtd";
		got = fact_hex(&rr, meas_key);
		if (o->tee_measurement_len != TEE_MEASUREMENT_SIZE) {
			r = diag_set(d, -EINVAL, "the expected measurement must be %d bytes",
				     TEE_MEASUREMENT_SIZE);
			goto out;
		}
		hex_encode(o->tee_measurement, TEE_MEASUREMENT_SIZE, meas_hex);
		v.measurement_ok = got && strcmp(got, meas_hex) == 0;
		if (!v.measurement_ok &&
		    (r = report_result_add_reason(reasons,
						  "measurement does not match: the report's %s "
						  "is %s, expected %s",
						  snp ? "MEASUREMENT" : "MRTD",
						  got ? got : "absent", meas_hex)) < 0)
			goto out;
	}
	/* Hardware vouches only for a report that verifies and answers this statement. */
	v.hardware_rooted = v.report_ok && v.report_data_ok && v.measurement_ok && v.signature_ok &&
			    v.key_bound && strcmp(e->msg->root, e->report_type) == 0;
	*ret = v;
	r = 0;
out:
	report_result_clear(&rr);
	return r;
}
