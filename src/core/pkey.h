/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL public keys as the bytes ward stores, compares and pins. */
#ifndef WARD_CORE_PKEY_H
#define WARD_CORE_PKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/**
 * pkey_spki_der() - the DER SubjectPublicKeyInfo of @key, in malloc'd memory (free()).
 * Return: 0, -EIO when OpenSSL cannot encode it, -ENOMEM.
 */
int pkey_spki_der(EVP_PKEY *key, uint8_t **ret, size_t *ret_len);

#endif
