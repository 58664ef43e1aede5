/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hardware attestation reports verified offline (`ward report verify`): AMD SEV-SNP attestation
 * reports with their VCEK/VLEK certificate chain, Intel TDX quotes (v4, v5) with their PCK chain,
 * and TPM 2.0 quotes (TPMS_ATTEST, TPMT_SIGNATURE, TPMT_PUBLIC). Pure: the caller hands over the
 * bytes; nothing here reads files or the clock. Part of libward-verify.
 *
 * A report that cannot be parsed is an error (-EBADMSG, with where and why in the diag); a
 * report that parses but fails a check is a verdict (WARD_VERDICT_FAIL) with one reason per
 * failed check, never an error.
 */
#ifndef WARD_REPORT_H
#define WARD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "ward/verdict.h"

struct json_t;

struct ward_report_opts {
	/* --report-data: up to 64 bytes, zero-padded to 64 and compared in full */
	bool has_report_data;
	uint8_t report_data[64];
	bool allow_debug;     /* a DEBUG guest policy / TD attribute is refused unless set */
	int64_t now;	      /* certificate validity is checked at this time (Unix seconds) */
	/* SEV-SNP */
	const uint8_t *vcek_der; /* the VCEK or VLEK certificate (DER), or NULL */
	size_t vcek_len;
	const uint8_t *chain_pem; /* ASK+ARK (or ASVK+ARK) PEM, or NULL: the built-in roots */
	size_t chain_len;
	/* TDX collateral, optional (JSON as Intel PCS serves it) */
	const uint8_t *tcb_info;
	size_t tcb_info_len;
	const uint8_t *qe_identity;
	size_t qe_identity_len;
	/* TPM: the quote is TPMS_ATTEST; these are TPMT_SIGNATURE and TPMT_PUBLIC (the AK) */
	const uint8_t *tpm_sig;
	size_t tpm_sig_len;
	const uint8_t *tpm_ak;
	size_t tpm_ak_len;
	const uint8_t *nonce; /* the qualifying data the quote must carry, or NULL */
	size_t nonce_len;
};

struct ward_report_result {
	enum ward_verdict verdict;
	char **reasons; /* one sentence per failed check */
	size_t n_reasons;
	struct json_t *facts; /* what the report says (fields, TCB, measurement...): a JSON object */
};

/**
 * report_verify_snp() - an SEV-SNP ATTESTATION_REPORT (1184 bytes).
 * Return: 0 with a verdict in @ret; -EBADMSG malformed input (report, certificates); -ENOMEM.
 */
int report_verify_snp(const uint8_t *buf, size_t len, const struct ward_report_opts *o,
		      struct ward_report_result *ret, struct ward_diag *d);

/** report_verify_tdx() - a TDX quote, version 4 or 5. Return: as report_verify_snp(). */
int report_verify_tdx(const uint8_t *buf, size_t len, const struct ward_report_opts *o,
		      struct ward_report_result *ret, struct ward_diag *d);

/**
 * report_verify_tpm() - a TPM2 quote: @buf is TPMS_ATTEST (as TPM2_Quote returns it, marshalled),
 * o->tpm_sig the TPMT_SIGNATURE, o->tpm_ak the TPMT_PUBLIC of the attestation key.
 * Return: as report_verify_snp().
 */
int report_verify_tpm(const uint8_t *buf, size_t len, const struct ward_report_opts *o,
		      struct ward_report_result *ret, struct ward_diag *d);

/** report_result_add_reason() - append a reason and set the verdict to FAIL. Return: 0, -ENOMEM. */
int report_result_add_reason(struct ward_report_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void report_result_clear(struct ward_report_result *r);

#endif
