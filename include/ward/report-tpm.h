/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quote helpers beyond report_verify_tpm() (ward/report.h): the PCR digest a quote
 * carries, recomputed from PCR values the caller has (a log replay, a reference manifest).
 */
#ifndef WARD_REPORT_TPM_H
#define WARD_REPORT_TPM_H

#include <stddef.h>
#include <stdint.h>

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

#endif
