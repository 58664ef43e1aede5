/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy signatures: detached Ed25519 (OpenSSL) over the policy file's exact bytes. A key pair
 * is a PKCS#8 PEM private key (mode 0600) and its SubjectPublicKeyInfo PEM public key (KEY.pub);
 * a signature file (FILE.sig) is the 64 raw signature bytes, nothing else. A key is named by its
 * id: "ed25519:" and the lower-case hex sha256 of the raw 32-byte public key.
 */
#ifndef WARD_POLICY_SIGN_H
#define WARD_POLICY_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "core/diag.h"
#include "ward/policy.h"

#define WARD_ED25519_SIG_SIZE 64
/* Largest PEM key file read. */
#define WARD_KEY_FILE_MAX (16 * 1024)

/** policy_key_generate() - a new Ed25519 key pair. Return: 0, -ENOMEM, -EIO. */
int policy_key_generate(EVP_PKEY **ret);

/**
 * policy_key_save() - write @k's private key to @path (mode 0600, created exclusively) and its
 * public key to @path.pub (0644, exclusively). Nothing is left behind on failure.
 * Return: 0, -EEXIST, or another -errno.
 */
int policy_key_save(EVP_PKEY *k, const char *path, struct ward_diag *d);

/**
 * policy_key_replace() - as policy_key_save(), replacing @path and @path.pub if they exist: both
 * files are written under temporary names (created exclusively, the private one mode 0600) and
 * then renamed into place; when the second rename fails the old private key is put back where
 * the file system can exchange names (renameat2 RENAME_EXCHANGE).
 * Return: 0, -EISDIR when a name is a directory, or another -errno.
 */
int policy_key_replace(EVP_PKEY *k, const char *path, struct ward_diag *d);

/**
 * policy_privkey_load() - an Ed25519 private key (unencrypted PEM; an encrypted one is refused,
 * never prompted for). The file's text is wiped from memory after parsing.
 * Return: 0, -EBADMSG (not a PEM private key, not Ed25519, larger than WARD_KEY_FILE_MAX),
 * -errno of open(2)/read(2).
 */
int policy_privkey_load(const char *path, EVP_PKEY **ret, struct ward_diag *d);

/**
 * policy_pubkey_parse() - an Ed25519 public key from PEM text (SubjectPublicKeyInfo only).
 * Return: 0, -EBADMSG (not PEM, not a public key, not Ed25519), -ENOMEM.
 */
int policy_pubkey_parse(const uint8_t *pem, size_t len, EVP_PKEY **ret, struct ward_diag *d);

/** policy_pubkey_load() - read a file of at most WARD_KEY_FILE_MAX and policy_pubkey_parse(). */
int policy_pubkey_load(const char *path, EVP_PKEY **ret, struct ward_diag *d);

/** policy_key_id() - the id of @k (public or private): "ed25519:<64 hex>". Return: 0, -EINVAL. */
int policy_key_id(EVP_PKEY *k, char ret[WARD_KEY_ID_STR_MAX]);

/** policy_sign_buf() - Ed25519 signature of @buf. Return: 0, -EINVAL (not Ed25519), -EIO. */
int policy_sign_buf(EVP_PKEY *priv, const uint8_t *buf, size_t len,
		    uint8_t ret_sig[WARD_ED25519_SIG_SIZE]);

/**
 * policy_sig_check() - is @sig a valid signature by @pub over @buf?
 * Return: 0 valid; -EBADMSG when @siglen is not 64; -EKEYREJECTED when the signature does not
 * verify; -EINVAL when @pub is not Ed25519; -ENOMEM or -EIO when OpenSSL cannot set up.
 */
int policy_sig_check(EVP_PKEY *pub, const uint8_t *buf, size_t len, const uint8_t *sig,
		     size_t siglen);

#endif
