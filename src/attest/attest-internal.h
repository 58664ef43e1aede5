/* SPDX-License-Identifier: Apache-2.0 */
/* The backend interface behind ward/attest.h: one file per root of trust implements it. */
#ifndef WARD_ATTEST_INTERNAL_H
#define WARD_ATTEST_INTERNAL_H

#include <openssl/evp.h>

#include "ward/attest.h"

struct ward_attester_ops {
	const char *type;
	int (*open)(int state_dirfd, const struct ward_attester_conf *c, void **ret_priv,
		    struct ward_diag *d);
	/* The statement's "root" (ward/abi/quote.h), fixed once opened. */
	const char *(*root)(void *priv);
	/* Sign the encoded statement; fill signature, public key and report of @q. */
	int (*sign)(void *priv, const uint8_t *msg, size_t len, struct ward_quote *q,
		    struct ward_diag *d);
	/* Bring the backend's registers up to the first @n records of @log (durable ones);
	 * NULL when the backend keeps no registers of its own. */
	int (*mirror)(void *priv, const struct ward_evlog *log, size_t n,
		      uint8_t (*final_reg)[WARD_HASH_MAX_SIZE], size_t *ret_extended,
		      struct ward_diag *d);
	int (*pubkey_pem)(void *priv, char **ret_pem, struct ward_diag *d);
	/* Drop the private key from memory (cleared as it is freed); it is read again from its
	 * file when next needed. NULL: the backend holds none (tpm: the key is in the TPM). */
	void (*forget)(void *priv);
	void (*close)(void *priv);
	/* The key the statement vouches for (DER SPKI, owned by the backend), put into the
	 * statement's bound_key before it is encoded; NULL when the backend binds none. */
	int (*bound_key)(void *priv, const uint8_t **ret_der, size_t *ret_len, struct ward_diag *d);
};

extern const struct ward_attester_ops attest_soft_ops;
extern const struct ward_attester_ops attest_tpm_ops;
extern const struct ward_attester_ops attest_tsm_ops;

/* The tsm attester's report root when the conf names none, and whether one exists (tsm.c). */
#define WARD_TSM_DEFAULT_ROOT "/sys/kernel/config/tsm/report"
int attest_tsm_available(const char *root, struct ward_diag *d);

/*
 * An Ed25519 key file in a state dir (soft.c; the soft key and the tsm monitor key):
 * attest_keyfile_open() opens @name, creating it first (mode 0600, never replacing one another
 * process created), and refuses a file others could read or replace (-EPERM);
 * attest_keyfile_load() parses the private key from that fd (-EBADMSG if not Ed25519).
 */
int attest_keyfile_open(int dirfd, const char *name, int *ret_fd, struct ward_diag *d);
int attest_keyfile_load(int fd, const char *name, EVP_PKEY **ret, struct ward_diag *d);
/* Ed25519 over @msg into q->signature, and q->public_key. Return: 0, -EIO, -ENOMEM. */
int attest_ed25519_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, struct ward_quote *q,
			struct ward_diag *d);
/* PEM SubjectPublicKeyInfo of @key (malloc'd). Return: 0, -EIO, -ENOMEM. */
int attest_key_pem(EVP_PKEY *key, char **ret_pem, struct ward_diag *d);

#endif
