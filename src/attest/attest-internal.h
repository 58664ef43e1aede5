/* SPDX-License-Identifier: Apache-2.0 */
/* The backend interface behind ward/attest.h: one file per root of trust implements it. */
#ifndef WARD_ATTEST_INTERNAL_H
#define WARD_ATTEST_INTERNAL_H

#include "ward/attest.h"

struct ward_attester_ops {
	const char *type;
	bool hardware_rooted;
	int (*open)(int state_dirfd, void **ret_priv, struct ward_diag *d);
	/* Sign the encoded statement; fill signature and public key of @q. */
	int (*sign)(void *priv, const uint8_t *msg, size_t len, struct ward_quote *q,
		    struct ward_diag *d);
	/* NULL when the backend keeps no registers of its own. */
	int (*extend)(void *priv, const struct ward_evlog_record *r, struct ward_diag *d);
	int (*pubkey_pem)(void *priv, char **ret_pem, struct ward_diag *d);
	void (*close)(void *priv);
};

extern const struct ward_attester_ops attest_soft_ops;

#endif
