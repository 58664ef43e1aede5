/* SPDX-License-Identifier: Apache-2.0 */
/* The backend interface behind ward/attest.h: one file per root of trust implements it. */
#ifndef WARD_ATTEST_INTERNAL_H
#define WARD_ATTEST_INTERNAL_H

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
	int (*mirror)(void *priv, const struct ward_evlog *log, size_t n, size_t *ret_extended,
		      struct ward_diag *d);
	int (*pubkey_pem)(void *priv, char **ret_pem, struct ward_diag *d);
	void (*close)(void *priv);
};

extern const struct ward_attester_ops attest_soft_ops;
extern const struct ward_attester_ops attest_tpm_ops;

#endif
