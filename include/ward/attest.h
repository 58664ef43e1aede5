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
	uint8_t *report; /* tpm: TPMS_ATTEST (extraData = SHA-256(message)); else NULL */
	size_t report_len;
	uint8_t *aux; /* tpm: the AK's TPMT_PUBLIC; else NULL */
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
 * attest_available() - can this build and machine provide attester @type?
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
 * Return: 0, -EINVAL, -EIO on a crypto failure, -ENOMEM.
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
 * @ret_extended: records extended now (may be NULL).
 * @d: diagnostics.
 *
 * Return: 0; -EUCLEAN when the register holds a value no prefix of the log explains (something
 * else extends that PCR, or the log was altered: reported, never papered over); or -errno.
 */
int attest_mirror(struct ward_attester *a, const struct ward_evlog *log, size_t n,
		  size_t *ret_extended, struct ward_diag *d);

/** attest_pubkey_pem() - the signing key, PEM SubjectPublicKeyInfo (malloc'd). Return: 0 or -errno. */
int attest_pubkey_pem(struct ward_attester *a, char **ret_pem, struct ward_diag *d);

void attest_quote_clear(struct ward_quote *q);
void attest_close(struct ward_attester *a);

#endif
