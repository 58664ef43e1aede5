/* SPDX-License-Identifier: Apache-2.0 */
/* Cleanup functions for the OpenSSL and jansson objects ward owns. */
#ifndef WARD_CORE_CLEANUP_OSSL_H
#define WARD_CORE_CLEANUP_OSSL_H

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY_CTX *, EVP_PKEY_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
/* jansson provides json_decrefp() itself (json_auto_t). */

#define _cleanup_md_ctx_ _cleanup_(EVP_MD_CTX_freep)
#define _cleanup_pkey_ _cleanup_(EVP_PKEY_freep)
#define _cleanup_pkey_ctx_ _cleanup_(EVP_PKEY_CTX_freep)
#define _cleanup_bio_ _cleanup_(BIO_free_allp)
#define _cleanup_json_ _cleanup_(json_decrefp)

#endif
