/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "core/pkey.h"

int pkey_spki_der(EVP_PKEY *key, uint8_t **ret, size_t *ret_len)
{
	unsigned char *der = NULL;
	uint8_t *out;
	int n;

	n = i2d_PUBKEY(key, &der);
	if (n <= 0)
		return -EIO;
	out = malloc((size_t)n);
	if (!out) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*ret = out;
	*ret_len = (size_t)n;
	return 0;
}
