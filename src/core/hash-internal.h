/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenSSL side of ward/hash.h, for modules that stream digests themselves. */
#ifndef WARD_CORE_HASH_INTERNAL_H
#define WARD_CORE_HASH_INTERNAL_H

#include <openssl/evp.h>

#include "ward/hash.h"

/** hash_alg_md() - the fetched EVP_MD for @alg (owned by the cache); NULL on failure. */
const EVP_MD *hash_alg_md(enum ward_hash_alg alg);

#endif
