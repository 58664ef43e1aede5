/* SPDX-License-Identifier: Apache-2.0 */
/* Attester dispatch: picks the backend of a state dir and frames its quotes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/attest-internal.h"
#include "attest/tpm.h"
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

bool attest_ima_active(void)
{
	/* securityfs shows IMA's files only when the kernel was built with IMA; with IMA built in,
	 * the boot aggregate is always measured, so a count above zero means it is extending. */
	char buf[32] = { 0 };
	int fd = open("/sys/kernel/security/ima/runtime_measurements_count", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && strtoul(buf, NULL, 10) > 0;
}

static const struct ward_attester_ops *ops_of(const char *type)
{
	if (strcmp(type, "soft") == 0)
		return &attest_soft_ops;
	if (strcmp(type, "tpm") == 0)
		return &attest_tpm_ops;
	if (strcmp(type, "tsm") == 0)
		return &attest_tsm_ops;
	return NULL;
}

/* Known and built in; what the machine offers is the backend's open() to find out. */
static int attest_buildable(const char *type, struct ward_diag *d)
{
	if (!attest_type_known(type))
		return diag_set(d, -EINVAL, "unknown attester '%s' (soft, tpm, tsm)", type);
	if (!ops_of(type))
		return diag_set(d, -EOPNOTSUPP,
				"the %s attester is not part of this build (ward %s)", type,
				WARD_VERSION);
	return 0;
}

int attest_available(const char *type, struct ward_diag *d)
{
	int r;

	if ((r = attest_buildable(type, d)) < 0)
		return r;
	if (strcmp(type, "tsm") == 0)
		return attest_tsm_available(WARD_TSM_DEFAULT_ROOT, d);
	return 0;
}

int attest_tpm_banks(const char *tcti, unsigned *ret_banks, struct ward_diag *d)
{
	struct ward_tpm *t = NULL;
	uint16_t algs[WARD_TPM_BANKS_MAX];
	unsigned banks = 0;
	size_t n = 0;
	int r;

	if ((r = tpm_open(tcti, &t, d)) < 0)
		return r;
	r = tpm_active_banks(t, algs, &n, d);
	tpm_close(t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		enum ward_hash_alg a;

		if (hash_alg_from_tpm_id(algs[i], &a) == 0)
			banks |= 1u << a;
	}
	if (!banks)
		return diag_set(d, -EOPNOTSUPP, "the TPM behind %s has no PCR bank ward can keep "
						"(sha1, sha256, sha384, sha512)", tcti);
	*ret_banks = banks;
	return 0;
}

int attest_open(const char *type, int state_dirfd, const struct ward_attester_conf *c,
		struct ward_attester **ret, struct ward_diag *d)
{
	struct ward_attester *a;
	int r;

	/* Not attest_available(): a tsm conf may name another report root. */
	if ((r = attest_buildable(type, d)) < 0)
		return r;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->ops = ops_of(type);
	r = a->ops->open(state_dirfd, c, &a->priv, d);
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
	snprintf(msg->root, sizeof(msg->root), "%s", a->ops->root(a->priv));
	if (attest_ima_active())
		msg->flags |= WARD_QUOTE_IMA_ACTIVE;
	if (a->ops->bound_key) {
		/* In the statement before it is encoded: the hardware report then vouches for
		 * the key that signs it (tsm: the monitor's key). */
		const uint8_t *der;
		size_t len;

		if ((r = a->ops->bound_key(a->priv, &der, &len, d)) < 0)
			return r;
		if (len > sizeof(msg->bound_key))
			return diag_set(d, -EINVAL, "bound key of %zu bytes", len);
		memcpy(msg->bound_key, der, len);
		msg->bound_key_len = len;
	}
	r = quote_msg_encode(msg, &b);
	if (r < 0) {
		buf_free(&b);
		return diag_set(d, r, "cannot encode quote message");
	}
	snprintf(q.type, sizeof(q.type), "%s", a->ops->type);
	snprintf(q.root, sizeof(q.root), "%s", msg->root);
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

const char *attest_root(const struct ward_attester *a)
{
	return a->ops->root(a->priv);
}

bool attest_has_registers(const struct ward_attester *a)
{
	return a->ops->mirror != NULL;
}

int attest_mirror(struct ward_attester *a, const struct ward_evlog *log, size_t n,
		  uint8_t (*final_reg)[WARD_HASH_MAX_SIZE], size_t *ret_extended,
		  struct ward_diag *d)
{
	size_t dummy;

	if (!ret_extended)
		ret_extended = &dummy;
	*ret_extended = 0;
	return a->ops->mirror ? a->ops->mirror(a->priv, log, n, final_reg, ret_extended, d) : 0;
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
	free(q->report);
	free(q->aux);
	memset(q, 0, sizeof(*q));
}

void attest_forget_key(struct ward_attester *a)
{
	if (a && a->ops->forget)
		a->ops->forget(a->priv);
}

void attest_close(struct ward_attester *a)
{
	if (!a)
		return;
	a->ops->close(a->priv);
	free(a);
}
