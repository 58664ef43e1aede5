/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Roots of trust. An attester signs the quote message (ward/abi/quote.h) over a verifier's
 * nonce and the log's registers, and may mirror every record into a hardware register as it
 * is appended. Backends: soft (Ed25519 key in the state dir, for development and for CVMs
 * without a vTPM; never hardware-rooted), tpm (TPM 2.0 quote) and tsm (configfs-tsm SEV-SNP/TDX
 * report) slot in behind the same calls.
 */
#ifndef WARD_ATTEST_H
#define WARD_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "ward/abi/quote.h"
#include "ward/evlog.h"

struct ward_attester;

/* A state dir's fixed attester settings (state.json). */
struct ward_attester_conf {
	const char *tcti; /* tpm: the tctildr string ("device:/dev/tpmrm0", "swtpm:path=SOCK") */
	uint32_t pcr;	  /* the register ward's records go to */
	unsigned banks;	  /* mask of enum ward_hash_alg the log keeps */
	/* tsm: the configfs-tsm report directory (NULL: /sys/kernel/config/tsm/report) */
	const char *tsm_root;
	bool tsm_set_privlevel; /* write tsm_privlevel (SEV-SNP: the VMPL the report is for) */
	unsigned tsm_privlevel; /* 0..3 */
	/* tsm: a service provider's report instead of the guest's own ("svsm"), or NULL; with
	 * it, the service GUID (NULL: all services) and manifest version */
	const char *tsm_service_provider;
	const char *tsm_service_guid;
	unsigned tsm_service_manifest_version;
};

/* What an attester returns for one quote; every buffer is owned by the struct. */
struct ward_quote {
	char type[WARD_ATTESTER_TYPE_MAX];
	char root[WARD_ROOT_STR_MAX];
	uint8_t *message; /* the signed statement (encoded ward_quote_msg) */
	size_t message_len;
	uint8_t *signature; /* soft: Ed25519 over message; tpm: TPMT_SIGNATURE over report */
	size_t signature_len;
	uint8_t *public_key; /* DER SubjectPublicKeyInfo of the signing key */
	size_t public_key_len;
	/* tpm: TPMS_ATTEST (extraData = SHA-256(message)); tsm: the configfs-tsm outblob (SEV-SNP
	 * report or TDX quote, REPORT_DATA = SHA-512(message)); else NULL */
	uint8_t *report;
	size_t report_len;
	/* tpm: the AK's TPMT_PUBLIC; tsm: the auxblob (SEV-SNP certificate table), may be
	 * empty; else NULL */
	uint8_t *aux;
	size_t aux_len;
};

/**
 * attest_default_type() - the attester a new state dir gets when none is asked for: "tpm"
 * where a TPM device exists (/dev/tpmrm0), else "soft". A software TPM is used only when asked.
 */
const char *attest_default_type(void);

/* The TCTI a tpm attester uses when none is given: the kernel's resource manager. */
#define WARD_TPM_DEFAULT_TCTI "device:/dev/tpmrm0"

/**
 * attest_ima_active() - is the kernel's IMA measuring (into PCR 10)? Read from securityfs.
 */
bool attest_ima_active(void);

/**
 * attest_tpm_banks() - the PCR banks of the TPM behind @tcti that ward can keep (sha1, sha256,
 * sha384, sha512), as a mask of enum ward_hash_alg; a new tpm state dir keeps exactly these.
 * Return: 0, -EOPNOTSUPP when the TPM has no such bank, or as tpm_open().
 */
int attest_tpm_banks(const char *tcti, unsigned *ret_banks, struct ward_diag *d);

/** attest_type_known() - true for "soft", "tpm", "tsm". */
bool attest_type_known(const char *type);

/**
 * attest_available() - can this build and machine provide attester @type? For "tsm": does
 * the kernel offer configfs-tsm reports (/sys/kernel/config/tsm/report exists)?
 * Return: 0, -EINVAL for an unknown type, -EOPNOTSUPP (with the reason in @d).
 */
int attest_available(const char *type, struct ward_diag *d);

/**
 * attest_open() - open the attester @type whose keys live in @state_dirfd (creating them on
 * first use).
 * @type: "soft", "tpm" or "tsm".
 * @state_dirfd: the state directory.
 * @c: the state dir's settings.
 * @ret: the attester.
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL for an unknown type, -EOPNOTSUPP for a backend this build or machine
 * cannot provide, -EPERM when a key file is readable by others, -ECONNREFUSED (no TPM
 * answers), -ENOMEM, or an I/O errno.
 */
int attest_open(const char *type, int state_dirfd, const struct ward_attester_conf *c,
		struct ward_attester **ret, struct ward_diag *d);

/** attest_root() - what this attester's statements rest on ("soft", "tpm", "swtpm"...). */
const char *attest_root(const struct ward_attester *a);

/**
 * attest_quote() - sign @msg (its attester_type is filled in by the backend).
 * @a: the attester.
 * @msg: the statement.
 * @ret: the quote; release with attest_quote_clear().
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL, -EIO on a crypto failure, -ENOMEM; tsm: -EBUSY when another writer
 * kept changing the report request, -EFBIG for a report or aux blob above 64 KiB, -EOPNOTSUPP
 * for a provider other than sev_guest or tdx_guest, or the errno of the configfs file.
 */
int attest_quote(struct ward_attester *a, struct ward_quote_msg *msg, struct ward_quote *ret,
		 struct ward_diag *d);

/** attest_has_registers() - does the attester keep registers of its own (tpm: a PCR)? */
bool attest_has_registers(const struct ward_attester *a);

/**
 * attest_mirror() - bring the attester's registers up to the first @n records of @log, which
 * must be durable; called with the log's exclusive lock held, so that records reach the
 * register in log order whichever process appended them. Records another process already
 * extended are recognised by replay and skipped; those missing (an append whose extend was cut
 * short by a crash) are extended now. No-op for soft, whose registers are the log's replay.
 * @a: the attester.
 * @log: the log.
 * @n: records of it that are durable.
 * @final_reg: the replay of all @n records per bank (enum ward_hash_alg), when the caller has
 *             it (the store does): a PCR already equal to it needs no replay. May be NULL.
 * @ret_extended: records extended now (may be NULL).
 * @d: diagnostics.
 *
 * Return: 0; -EUCLEAN when the register holds a value no prefix of the log explains (something
 * else extends that PCR, or the log was altered: reported, never papered over); or -errno.
 */
int attest_mirror(struct ward_attester *a, const struct ward_evlog *log, size_t n,
		  uint8_t (*final_reg)[WARD_HASH_MAX_SIZE], size_t *ret_extended,
		  struct ward_diag *d);

/** attest_pubkey_pem() - the signing key, PEM SubjectPublicKeyInfo (malloc'd). Return: 0 or -errno. */
int attest_pubkey_pem(struct ward_attester *a, char **ret_pem, struct ward_diag *d);

void attest_quote_clear(struct ward_quote *q);
/**
 * attest_forget_key() - drop the attester's private key from this process's memory (cleared as
 * it is freed), in a child that will never sign: it is read again from its file if it must.
 */
void attest_forget_key(struct ward_attester *a);

void attest_close(struct ward_attester *a);

#endif
