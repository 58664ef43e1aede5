/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM 2.0 backend's own calls (tss2-esys through a TCTI loaded by name): PCR extend, read
 * and reset, the attestation key, quotes. The attester interface (attest-internal.h) is built on
 * these; tests drive them directly against a swtpm.
 *
 * TSS2_RC values never leave this module: every failure is a -errno with the decoded TSS2_RC
 * in the diagnostics.
 */
#ifndef WARD_ATTEST_TPM_H
#define WARD_ATTEST_TPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/* TPM_ALG_ID of the banks ward knows the digest size of. */
#define WARD_TPM_ALG_SHA1 0x0004
#define WARD_TPM_ALG_SHA256 0x000B
#define WARD_TPM_ALG_SHA384 0x000C
#define WARD_TPM_ALG_SHA512 0x000D

#define WARD_TPM_DIGEST_MAX 64 /* sizeof(TPMU_HA) */
#define WARD_TPM_BANKS_MAX 16  /* TPM2_NUM_PCR_BANKS */
#define WARD_TPM_PCR_MAX 24    /* PCRs 0..23 of the PC Client profile */
#define WARD_TPM_NONCE_MAX 64  /* sizeof(TPMU_HA): the largest qualifyingData a TPM takes */

/* The attestation key's file in the state dir: its auth value and its TPM-wrapped blob. */
#define WARD_TPM_AK_FILE "tpm-ak.key"

struct ward_tpm;

struct ward_tpm_digest {
	uint16_t alg; /* WARD_TPM_ALG_* */
	uint8_t digest[WARD_TPM_DIGEST_MAX];
};

/* One bank of a quote's PCR selection. */
struct ward_tpm_pcr_sel {
	uint16_t alg;
	uint32_t pcrs; /* bit N selects PCR N */
};

/* A quote as the TPM made it; every buffer is owned by the struct (tpm_quote_clear()). */
struct ward_tpm_quote {
	uint8_t *attest; /* TPMS_ATTEST, marshalled by the TPM (the signed bytes) */
	size_t attest_len;
	uint8_t *signature; /* TPMT_SIGNATURE, marshalled (tss2-mu) */
	size_t signature_len;
	uint8_t *ak_public; /* the AK's TPMT_PUBLIC, marshalled (tss2-mu) */
	size_t ak_public_len;
};

/** tpm_alg_digest_len() - digest size of bank @alg, 0 for one ward does not know. */
size_t tpm_alg_digest_len(uint16_t alg);

/**
 * tpm_open() - connect to a TPM through the TCTI named by @tcti_conf and start it if needed.
 * @tcti_conf: a tctildr string: "device:/dev/tpmrm0", "swtpm:path=SOCK" (the control channel is
 *             SOCK.ctrl), "swtpm:host=127.0.0.1,port=N", "mssim:...".
 * @ret: the connection; release with tpm_close().
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL for a TCTI string no TCTI accepts, -ECONNREFUSED when nothing answers,
 * -ENOMEM, -EIO.
 */
int tpm_open(const char *tcti_conf, struct ward_tpm **ret, struct ward_diag *d);

/* What the TPM says it is (TPM2_GetCapability, TPM_PROPERTIES). */
struct ward_tpm_identity {
	char manufacturer[5]; /* TPM_PT_MANUFACTURER as 4 characters: "IBM", "INTC", "MSFT"... */
	char vendor[17];      /* TPM_PT_VENDOR_STRING_1..4 */
	uint64_t firmware;    /* TPM_PT_FIRMWARE_VERSION_1 << 32 | _2 */
	bool software;	      /* libtpms (swtpm and the vTPMs built on it): "IBM" + "SW   TPM" */
};

/** tpm_identity() - the TPM's own description of itself. Return: 0 or -errno (-EIO). */
int tpm_identity(struct ward_tpm *t, struct ward_tpm_identity *ret, struct ward_diag *d);

/**
 * tpm_flush_transients() - flush every transient object loaded in the TPM. Only for a TPM
 * reached without a resource manager (swtpm, mssim, /dev/tpm0) and used one connection at a
 * time: there, an object still loaded when a connection starts was left by a client that died,
 * and would hold one of the TPM's few object slots until it restarts.
 * Return: the number flushed, or -errno.
 */
int tpm_flush_transients(struct ward_tpm *t, struct ward_diag *d);

/** tpm_close() - flush the loaded AK and disconnect. Accepts NULL. */
void tpm_close(struct ward_tpm *t);

/**
 * tpm_active_banks() - the PCR banks the TPM has allocated (any PCR selected), in its order.
 * @t: the TPM.
 * @ret_algs: WARD_TPM_BANKS_MAX entries.
 * @ret_n: how many were written.
 * @d: diagnostics.
 *
 * Return: 0 or -errno (-EIO, -ENOMEM).
 */
int tpm_active_banks(struct ward_tpm *t, uint16_t *ret_algs, size_t *ret_n, struct ward_diag *d);

/**
 * tpm_extend() - extend PCR @pcr with one digest per bank, in one TPM2_PCR_Extend.
 * @t: the TPM.
 * @pcr: 0..23.
 * @digests: @n digests, one per bank; a bank of the TPM left out keeps its value.
 * @n: 1..WARD_TPM_BANKS_MAX.
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL (bad PCR, unknown or inactive bank), -EACCES (the PCR's auth refused it),
 * -EIO.
 */
int tpm_extend(struct ward_tpm *t, unsigned pcr, const struct ward_tpm_digest *digests, size_t n,
	       struct ward_diag *d);

/**
 * tpm_pcr_read() - the value of PCR @pcr in bank @alg.
 * @t: the TPM.
 * @pcr: 0..23.
 * @alg: the bank.
 * @ret_digest: WARD_TPM_DIGEST_MAX bytes.
 * @ret_len: the digest's length.
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL (bad PCR or unknown bank), -ENOENT (bank not active), -EIO.
 */
int tpm_pcr_read(struct ward_tpm *t, unsigned pcr, uint16_t alg, uint8_t *ret_digest,
		 size_t *ret_len, struct ward_diag *d);

/**
 * tpm_pcr_read_banks() - PCR @pcr in each of @n banks, in one TPM2_PCR_Read.
 * @t: the TPM.
 * @pcr: 0..23.
 * @algs: the banks (1..8: a TPM answers at most 8 digests per command).
 * @n: their number.
 * @ret: one value per bank, in @algs' order (each tpm_alg_digest_len() bytes).
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL, -ENOENT (a bank is not active), -EIO.
 */
int tpm_pcr_read_banks(struct ward_tpm *t, unsigned pcr, const uint16_t *algs, size_t n,
		       uint8_t (*ret)[WARD_TPM_DIGEST_MAX], struct ward_diag *d);

/**
 * tpm_pcr_reset() - reset PCR @pcr in every bank (only the debug/application PCRs 16 and 23
 * allow it at locality 0).
 * Return: 0, -EINVAL, -EPERM (the PCR is not resettable here), -EIO.
 */
int tpm_pcr_reset(struct ward_tpm *t, unsigned pcr, struct ward_diag *d);

/**
 * tpm_ak_create_or_load() - load the attestation key of the state dir, creating it on first
 * use: an ECC P-256 restricted signing key (ECDSA-SHA256) under the owner hierarchy's storage
 * primary, with a random 32-byte auth value. Auth and key blob live in WARD_TPM_AK_FILE (mode
 * 0600): only who can read that file can make the TPM sign with the key.
 * @t: the TPM.
 * @state_dirfd: the state directory.
 * @ret_created: set to 1 when the key was created now, 0 when loaded (may be NULL).
 * @d: diagnostics.
 *
 * Return: 0, -EPERM (the key file is not owner-only), -EBADMSG (the key file is damaged or
 * holds a key of another kind), -EACCES (the owner hierarchy needs an auth ward does not
 * have), -ENOSPC (no TPM object slot free), -ENOMEM, -EIO.
 */
int tpm_ak_create_or_load(struct ward_tpm *t, int state_dirfd, int *ret_created,
			  struct ward_diag *d);

/**
 * tpm_quote() - TPM2_Quote with the loaded AK over @nonce and the PCRs in @sel.
 * @t: the TPM (AK loaded).
 * @nonce: the qualifying data, 0..WARD_TPM_NONCE_MAX bytes.
 * @nonce_len: its length.
 * @sel: one selection per bank.
 * @nsel: 1..WARD_TPM_BANKS_MAX.
 * @ret: the quote; release with tpm_quote_clear().
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL (bad selection, nonce too long, no AK loaded), -EACCES, -ENOMEM, -EIO.
 */
int tpm_quote(struct ward_tpm *t, const uint8_t *nonce, size_t nonce_len,
	      const struct ward_tpm_pcr_sel *sel, size_t nsel, struct ward_tpm_quote *ret,
	      struct ward_diag *d);

void tpm_quote_clear(struct ward_tpm_quote *q);

/**
 * tpm_ak_pubkey_pem() - the loaded AK as a PEM SubjectPublicKeyInfo (malloc'd).
 * Return: 0, -EINVAL (no AK loaded), -ENOMEM, -EIO.
 */
int tpm_ak_pubkey_pem(struct ward_tpm *t, char **ret_pem, struct ward_diag *d);

/**
 * tpm_ak_pubkey_der() - the loaded AK as a DER SubjectPublicKeyInfo (malloc'd).
 * Return: 0, -EINVAL (no AK loaded), -ENOMEM, -EIO.
 */
int tpm_ak_pubkey_der(struct ward_tpm *t, uint8_t **ret_der, size_t *ret_len,
		      struct ward_diag *d);

#endif
