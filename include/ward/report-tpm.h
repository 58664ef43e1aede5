/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quote helpers beyond report_verify_tpm() (ward/report.h): the PCR digest a quote
 * carries, recomputed from PCR values the caller has (a log replay, a reference manifest).
 */
#ifndef WARD_REPORT_TPM_H
#define WARD_REPORT_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/* TPM_ALG_ID values of the hashes ward knows (TPM 2.0 Part 2, table 9). */
#define WARD_TPM_ALG_SHA1 0x0004
#define WARD_TPM_ALG_SHA256 0x000B
#define WARD_TPM_ALG_SHA384 0x000C
#define WARD_TPM_ALG_SHA512 0x000D

/* The largest digest of those: SHA-512. */
#define WARD_TPM_DIGEST_MAX 64

/**
 * report_tpm_pcr_digest() - the pcrDigest of TPMS_QUOTE_INFO: @hash_alg over the selected PCR
 * values concatenated in selection order (banks as listed, ascending PCR index in each).
 * @hash_alg: the hash of the quote's signing scheme (a TPM_ALG_ID), which is not necessarily the
 *            hash of the banks quoted.
 * @values: the PCR values, concatenated.
 * @len: their total length.
 * @out: room for the digest.
 * @out_size: its size (WARD_TPM_DIGEST_MAX is always enough).
 * @ret_len: the digest's length, on success.
 *
 * Return: 0; -EOPNOTSUPP @hash_alg is not one of WARD_TPM_ALG_*; -EINVAL @out is too small;
 * -ENOMEM.
 */
int report_tpm_pcr_digest(uint16_t hash_alg, const uint8_t *values, size_t len, uint8_t *out,
			  size_t out_size, size_t *ret_len);

/* What a quote covers, for callers that hold the PCR values (struct of report_tpm_quoted()). */
struct ward_tpm_quoted {
	size_t n_banks;
	uint16_t alg[16];   /* each selection's bank, in the quote's order */
	uint64_t pcrs[16];  /* its PCR bitmap (bit N: PCR N) */
	uint16_t sig_hash;  /* the signature's hash: what pcrDigest was computed with */
	uint8_t pcr_digest[WARD_TPM_DIGEST_MAX];
	size_t pcr_digest_len;
	uint32_t reset_count, restart_count; /* obfuscated unless the AK is an endorsement key */
	uint64_t clock, firmware;
};

/**
 * report_tpm_quoted() - parse a quote (TPMS_ATTEST) and its TPMT_SIGNATURE for what they
 * cover. Parsing only: report_verify_tpm() makes the checks.
 * Return: 0, -EBADMSG (not a quote, malformed).
 */
int report_tpm_quoted(const uint8_t *attest, size_t len, const uint8_t *sig, size_t sig_len,
		      struct ward_tpm_quoted *ret, struct ward_diag *d);

/**
 * report_tpm_ak_spki() - the DER SubjectPublicKeyInfo of the key in a TPMT_PUBLIC (malloc'd),
 * to compare with a pinned PEM key.
 * Return: 0, -EBADMSG, -ENOMEM.
 */
int report_tpm_ak_spki(const uint8_t *pub, size_t len, uint8_t **ret_der, size_t *ret_len,
		       struct ward_diag *d);

#endif
