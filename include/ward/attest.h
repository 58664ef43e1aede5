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

/* What an attester returns for one quote; every buffer is owned by the struct. */
struct ward_quote {
	char type[WARD_ATTESTER_TYPE_MAX];
	bool hardware_rooted;
	uint8_t *message; /* the signed statement (soft: encoded ward_quote_msg) */
	size_t message_len;
	uint8_t *signature;
	size_t signature_len;
	uint8_t *public_key; /* DER SubjectPublicKeyInfo of the signing key */
	size_t public_key_len;
};

/**
 * attest_default_type() - the attester a new state dir gets when none is asked for: "tpm"
 * where a TPM device exists (/dev/tpmrm0), else "soft". A software TPM is used only when asked.
 */
const char *attest_default_type(void);

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
 * @ret: the attester.
 * @d: diagnostics.
 *
 * Return: 0, -EINVAL for an unknown type, -EOPNOTSUPP for a backend this build or machine
 * cannot provide, -EPERM when a key file is readable by others, -ENOMEM, or an I/O errno.
 */
int attest_open(const char *type, int state_dirfd, struct ward_attester **ret, struct ward_diag *d);

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

/**
 * attest_extend() - mirror a durable log record into the attester's registers (no-op for soft,
 * whose registers are the log's replay).
 * Return: 0 or -errno.
 */
int attest_extend(struct ward_attester *a, const struct ward_evlog_record *r, struct ward_diag *d);

/** attest_pubkey_pem() - the signing key, PEM SubjectPublicKeyInfo (malloc'd). Return: 0 or -errno. */
int attest_pubkey_pem(struct ward_attester *a, char **ret_pem, struct ward_diag *d);

void attest_quote_clear(struct ward_quote *q);
void attest_close(struct ward_attester *a);

#endif
