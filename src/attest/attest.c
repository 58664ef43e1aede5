/* SPDX-License-Identifier: Apache-2.0 */
/* Attester dispatch: picks the backend of a state dir and frames its quotes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/attest-internal.h"
#include "ward-config.h"

struct ward_attester {
	const struct ward_attester_ops *ops;
	void *priv;
};

static const char *const known_types[] = { "soft", "tpm", "tsm" };

bool attest_type_known(const char *type)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(type, known_types[i]) == 0)
			return true;
	return false;
}

const char *attest_default_type(void)
{
	return access("/dev/tpmrm0", F_OK) == 0 ? "tpm" : "soft";
}

int attest_available(const char *type, struct ward_diag *d)
{
	if (!attest_type_known(type))
		return diag_set(d, -EINVAL, "unknown attester '%s' (soft, tpm, tsm)", type);
	if (strcmp(type, "soft") != 0)
		return diag_set(d, -EOPNOTSUPP,
				"the %s attester is not part of this build yet (ward %s has the soft "
				"attester only)", type, WARD_VERSION);
	return 0;
}

int attest_open(const char *type, int state_dirfd, struct ward_attester **ret, struct ward_diag *d)
{
	struct ward_attester *a;
	int r;

	if ((r = attest_available(type, d)) < 0)
		return r;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->ops = &attest_soft_ops;
	r = a->ops->open(state_dirfd, &a->priv, d);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret = a;
	return 0;
}

int attest_quote(struct ward_attester *a, struct ward_quote_msg *msg, struct ward_quote *ret,
		 struct ward_diag *d)
{
	struct ward_quote q = { 0 };
	struct buf b = { 0 };
	int r;

	snprintf(msg->attester_type, sizeof(msg->attester_type), "%s", a->ops->type);
	r = quote_msg_encode(msg, &b);
	if (r < 0) {
		buf_free(&b);
		return diag_set(d, r, "cannot encode quote message");
	}
	snprintf(q.type, sizeof(q.type), "%s", a->ops->type);
	q.hardware_rooted = a->ops->hardware_rooted;
	q.message = b.data;
	q.message_len = b.len;
	r = a->ops->sign(a->priv, q.message, q.message_len, &q, d);
	if (r < 0) {
		attest_quote_clear(&q);
		return r;
	}
	*ret = q;
	return 0;
}

int attest_extend(struct ward_attester *a, const struct ward_evlog_record *r, struct ward_diag *d)
{
	return a->ops->extend ? a->ops->extend(a->priv, r, d) : 0;
}

int attest_pubkey_pem(struct ward_attester *a, char **ret_pem, struct ward_diag *d)
{
	return a->ops->pubkey_pem(a->priv, ret_pem, d);
}

void attest_quote_clear(struct ward_quote *q)
{
	free(q->message);
	free(q->signature);
	free(q->public_key);
	memset(q, 0, sizeof(*q));
}

void attest_close(struct ward_attester *a)
{
	if (!a)
		return;
	a->ops->close(a->priv);
	free(a);
}
