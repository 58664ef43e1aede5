/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tpm attester: every durable log record is extended into the state dir's PCR in every bank
 * the log keeps (the TPM's active banks, fixed when the dir was created), and a quote is
 * TPM2_Quote by the state dir's attestation key over that PCR with qualifyingData =
 * SHA-256(statement), so the TPM signs the verifier's nonce and the log's registers (both in
 * the statement) and vouches for the PCR that the log must replay to.
 *
 * A connection to the TPM is made per operation and closed after it. Behind a swtpm or
 * /dev/tpm0 there is no resource manager and one client at a time: a monitor that kept its
 * connection would lock every other ward process out. The AK is loaded for each quote and
 * flushed after; transient objects a dead client left behind are flushed first (no resource
 * manager cleans them up). Without a resource manager every ward process holds one lock per
 * TPM (WARD_RUN_DIR/tpm-KEY.lock, flock) for its whole session, so that flushing what is
 * loaded never flushes a live peer's AK.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/attest-internal.h"
#include "attest/tpm.h"
#include "core/cleanup.h"
#include "ward-config.h"
#include "ward/hash.h"

struct tpm_att {
	char *tcti;
	int dirfd;
	uint32_t pcr;
	unsigned banks;
	bool resource_manager; /* /dev/tpmrm*: the kernel flushes what a dead client left */
	char lock_path[PATH_MAX]; /* without a resource manager: the TPM's session lock */
	int lockfd;		  /* held while connected */
	struct ward_tpm_identity id;
	char root[WARD_ROOT_STR_MAX];
	uint8_t *ak_der;
	size_t ak_der_len;
	char *ak_pem;
	/* What this process last saw in the PCR: the first ext_n records, giving ext_reg. */
	size_t ext_n;
	uint8_t ext_reg[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE];
};

/*
 * The name of a TPM's session lock: a hash of how it is reached, with a socket or device path
 * resolved, so that two spellings of one path share the lock. (Two different ways to one TPM,
 * a socket path and a TCP port, do not: do not mix them.)
 */
static int lock_path_of(const char *tcti, char *out, size_t size, struct ward_diag *d)
{
	char key[PATH_MAX + 64], real[PATH_MAX], hex[65];
	const char *p = strstr(tcti, "path=");
	uint8_t dg[32];

	if (strncmp(tcti, "device:", 7) == 0 && realpath(tcti + 7, real))
		snprintf(key, sizeof(key), "device:%s", real);
	else if (p && (p == tcti || p[-1] == ':' || p[-1] == ',')) {
		size_t n = strcspn(p + 5, ",");
		char path[PATH_MAX];

		if (n >= sizeof(path))
			return diag_set(d, -ENAMETOOLONG, "tpm: TCTI path too long");
		memcpy(path, p + 5, n);
		path[n] = '\0';
		snprintf(key, sizeof(key), "%.*s:path=%s", (int)strcspn(tcti, ":"), tcti,
			 realpath(path, real) ? real : path);
	} else {
		snprintf(key, sizeof(key), "%s", tcti);
	}
	hash_buf(WARD_HASH_SHA256, key, strlen(key), dg);
	hex_encode(dg, 16, hex);
	if ((size_t)snprintf(out, size, "%s/tpm-%s.lock", WARD_RUN_DIR, hex) >= size)
		return diag_set(d, -ENAMETOOLONG, "tpm: lock path too long");
	return 0;
}

static int lock_session(struct tpm_att *t, struct ward_diag *d)
{
	struct stat st;
	int fd;

	if (mkdir(WARD_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return diag_set(d, -errno, "cannot create %s: %s", WARD_RUN_DIR, strerror(errno));
	if (lstat(WARD_RUN_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022))
		return diag_set(d, -EPERM, "%s must be a directory owned by uid %u and not writable "
					   "by others: its TPM locks keep ward's TPM sessions apart",
				WARD_RUN_DIR, (unsigned)geteuid());
	fd = open(t->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return diag_set(d, -errno, "cannot open %s: %s", t->lock_path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;

			close(fd);
			return diag_set(d, r, "cannot lock %s: %s", t->lock_path, strerror(-r));
		}
	}
	t->lockfd = fd;
	return 0;
}

static void disconnect_tpm(struct tpm_att *t, struct ward_tpm *tpm)
{
	tpm_close(tpm);
	if (t->lockfd >= 0) {
		close(t->lockfd); /* releases the flock */
		t->lockfd = -EBADF;
	}
}

static int connect_tpm(struct tpm_att *t, struct ward_tpm **ret, struct ward_diag *d)
{
	struct ward_tpm *tpm = NULL;
	int r;

	if (!t->resource_manager && (r = lock_session(t, d)) < 0)
		return r;
	r = tpm_open(t->tcti, &tpm, d);
	if (r == 0 && !t->resource_manager) {
		/* Under the lock no other ward session is open: what is loaded was left by a
		 * client that died. */
		r = tpm_flush_transients(tpm, d);
		r = r > 0 ? 0 : r;
	}
	if (r < 0) {
		disconnect_tpm(t, tpm);
		return r;
	}
	*ret = tpm;
	return 0;
}

/* Load the AK (creating it on first use) and keep its public key. */
static int load_ak(struct tpm_att *t, struct ward_tpm *tpm, struct ward_diag *d)
{
	int r;

	if ((r = tpm_ak_create_or_load(tpm, t->dirfd, NULL, d)) < 0)
		return r;
	if (t->ak_der)
		return 0;
	if ((r = tpm_ak_pubkey_der(tpm, &t->ak_der, &t->ak_der_len, d)) < 0 ||
	    (r = tpm_ak_pubkey_pem(tpm, &t->ak_pem, d)) < 0) {
		free(t->ak_der);
		t->ak_der = NULL;
		return r;
	}
	return 0;
}

static int tpm_att_open(int dirfd, const struct ward_attester_conf *c, void **ret_priv,
			struct ward_diag *d)
{
	struct tpm_att *t;
	struct ward_tpm *tpm = NULL;
	int r;

	if (!c || !c->tcti)
		return diag_set(d, -EINVAL, "the tpm attester needs a TCTI");
	if (c->pcr >= WARD_TPM_PCR_MAX)
		return diag_set(d, -EINVAL, "PCR %u is out of range", c->pcr);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->dirfd = -EBADF;
	t->lockfd = -EBADF;
	t->pcr = c->pcr;
	t->banks = c->banks;
	t->tcti = strdup(c->tcti);
	if (!t->tcti) {
		r = -ENOMEM;
		goto fail;
	}
	t->resource_manager = strncmp(c->tcti, "device:/dev/tpmrm", 17) == 0 ||
			      strncmp(c->tcti, "tabrmd", 6) == 0;
	if (!t->resource_manager &&
	    (r = lock_path_of(c->tcti, t->lock_path, sizeof(t->lock_path), d)) < 0)
		goto fail;
	t->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (t->dirfd < 0) {
		r = -errno;
		goto fail;
	}
	/*
	 * The AK is made now when the state dir has none; else it is loaded only to quote: a
	 * TPM2_CreatePrimary (which every load needs) takes tens of milliseconds on a hardware
	 * TPM, and most opens (ward run, wardd, ward measure) only extend.
	 */
	if ((r = connect_tpm(t, &tpm, d)) < 0 || (r = tpm_identity(tpm, &t->id, d)) < 0)
		goto fail;
	{
		_cleanup_close_ int fd = openat(t->dirfd, WARD_TPM_AK_FILE,
						O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		mode_t mode = 0;

		if (fd < 0 && errno != ENOENT) {
			r = diag_set(d, -errno, "cannot open %s: %s", WARD_TPM_AK_FILE,
				     strerror(errno));
			goto fail;
		}
		/* Checked at every open, not only when quoting: a key auth others can read is
		 * reported before anything is recorded under it. */
		if (fd >= 0 && (r = fd_check_owned(fd, 077, &mode)) < 0) {
			diag_set(d, r, "%s must be a regular file owned by uid %u with mode 0600 (is "
				       "%04o): refusing a key auth others could read or replace",
				 WARD_TPM_AK_FILE, (unsigned)geteuid(), (unsigned)mode);
			goto fail;
		}
		if (fd < 0 && (r = load_ak(t, tpm, d)) < 0)
			goto fail;
	}
	disconnect_tpm(t, tpm);
	snprintf(t->root, sizeof(t->root), "%s", t->id.software ? "swtpm" : "tpm");
	*ret_priv = t;
	return 0;
fail:
	if (tpm)
		disconnect_tpm(t, tpm);
	attest_tpm_ops.close(t);
	return r;
}

static const char *tpm_att_root(void *priv)
{
	return ((struct tpm_att *)priv)->root;
}

/* Extend @reg (one value per bank) by record @rec, as the PCR would be. */
static int step(const struct tpm_att *t, uint8_t reg[][WARD_HASH_MAX_SIZE],
		const struct ward_evlog_record *rec)
{
	if (rec->pcr != t->pcr)
		return 0;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		uint8_t dg[WARD_HASH_MAX_SIZE];
		int r;

		if (!(t->banks & (1u << a)))
			continue;
		if ((r = evlog_record_digest(rec, a, dg)) < 0 || (r = hash_extend(a, reg[a], dg)) < 0)
			return r;
	}
	return 0;
}

static bool regs_equal(const struct tpm_att *t, uint8_t a[][WARD_HASH_MAX_SIZE],
		       uint8_t b[][WARD_HASH_MAX_SIZE])
{
	for (unsigned k = 0; k < __WARD_HASH_MAX; k++)
		if ((t->banks & (1u << k)) && memcmp(a[k], b[k], hash_alg_size(k)) != 0)
			return false;
	return true;
}

/*
 * The k in [@from, @n] whose prefix the PCR holds, starting from the register value @reg of
 * the first @from records; @reg is left at that prefix's value. -ESRCH when none.
 */
static int find_prefix(const struct tpm_att *t, const struct ward_evlog *log, size_t from,
		       size_t n, uint8_t reg[][WARD_HASH_MAX_SIZE],
		       uint8_t pcr[][WARD_HASH_MAX_SIZE], size_t *ret_k)
{
	for (size_t k = from;; k++) {
		int r;

		if (regs_equal(t, reg, pcr)) {
			*ret_k = k;
			return 0;
		}
		if (k == n)
			return -ESRCH;
		if ((r = step(t, reg, &log->rec[k])) < 0)
			return r;
	}
}

static int tpm_att_mirror(void *priv, const struct ward_evlog *log, size_t n,
			  uint8_t (*final_reg)[WARD_HASH_MAX_SIZE], size_t *ret_extended,
			  struct ward_diag *d)
{
	struct tpm_att *t = priv;
	uint8_t pcr[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE] = { { 0 } };
	uint8_t reg[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE];
	struct ward_tpm *tpm = NULL;
	size_t k = 0;
	int r;

	if (n < t->ext_n) {
		/* The log never shrinks under its lock: this is another log. */
		return diag_set(d, -EUCLEAN, "tpm: the log has %zu records, fewer than the %zu "
					     "already in PCR %u", n, t->ext_n, t->pcr);
	}
	if ((r = connect_tpm(t, &tpm, d)) < 0)
		return r;
	{
		uint8_t vals[__WARD_HASH_MAX][WARD_TPM_DIGEST_MAX];
		uint16_t algs[__WARD_HASH_MAX];
		unsigned which[__WARD_HASH_MAX];
		size_t nb = 0;

		for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
			if (t->banks & (1u << a)) {
				which[nb] = a;
				algs[nb++] = hash_alg_tpm_id(a);
			}
		if ((r = tpm_pcr_read_banks(tpm, t->pcr, algs, nb, vals, d)) < 0)
			goto out;
		for (size_t i = 0; i < nb; i++)
			memcpy(pcr[which[i]], vals[i], hash_alg_size(which[i]));
	}
	/* Already the whole log (others extended it): nothing to replay. Else usually the PCR is
	 * where this process left it, or some records further on (others' appends); after a TPM
	 * reset it is back at zero, and everything is extended again. */
	if (final_reg && regs_equal(t, final_reg, pcr)) {
		t->ext_n = n;
		memcpy(t->ext_reg, pcr, sizeof(pcr));
		r = 0;
		goto out;
	}
	memcpy(reg, t->ext_reg, sizeof(reg));
	r = find_prefix(t, log, t->ext_n, n, reg, pcr, &k);
	if (r == -ESRCH && t->ext_n > 0) {
		memset(reg, 0, sizeof(reg));
		r = find_prefix(t, log, 0, n, reg, pcr, &k);
	}
	if (r == -ESRCH) {
		r = diag_set(d, -EUCLEAN,
			     "tpm: PCR %u holds a value that no prefix of the log's %zu records "
			     "replays to: something else extends this PCR (the kernel's IMA, "
			     "another tool) or the log was altered; evidence from this state dir "
			     "cannot verify, and ward will not extend it further",
			     t->pcr, n);
		goto out;
	}
	if (r < 0)
		goto out;
	for (size_t i = k; i < n; i++) {
		const struct ward_evlog_record *rec = &log->rec[i];
		struct ward_tpm_digest dg[WARD_TPM_BANKS_MAX];
		size_t nd = 0;

		if (rec->pcr != t->pcr)
			continue;
		for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
			if (!(t->banks & (1u << a)))
				continue;
			dg[nd].alg = hash_alg_tpm_id(a);
			if ((r = evlog_record_digest(rec, a, dg[nd].digest)) < 0)
				goto out;
			nd++;
		}
		if ((r = tpm_extend(tpm, t->pcr, dg, nd, d)) < 0) {
			diag_prefix(d, "tpm: record %zu is in the log but not yet in PCR %u: ", i,
				    t->pcr);
			/* What the PCR holds now is unknown to us: look again next time. */
			t->ext_n = 0;
			memset(t->ext_reg, 0, sizeof(t->ext_reg));
			goto out;
		}
		(void)step(t, reg, rec);
	}
	t->ext_n = n;
	memcpy(t->ext_reg, reg, sizeof(reg));
	*ret_extended = n - k;
	r = 0;
out:
	disconnect_tpm(t, tpm);
	return r;
}

static int tpm_att_sign(void *priv, const uint8_t *msg, size_t len, struct ward_quote *q,
			struct ward_diag *d)
{
	struct tpm_att *t = priv;
	struct ward_tpm_pcr_sel sel[__WARD_HASH_MAX];
	struct ward_tpm_quote tq = { 0 };
	struct ward_tpm *tpm = NULL;
	uint8_t qual[32];
	size_t nsel = 0;
	int r;

	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if (t->banks & (1u << a))
			sel[nsel++] = (struct ward_tpm_pcr_sel){ hash_alg_tpm_id(a), 1u << t->pcr };
	if ((r = hash_buf(WARD_HASH_SHA256, msg, len, qual)) < 0)
		return r;
	if ((r = connect_tpm(t, &tpm, d)) < 0)
		return r;
	if ((r = load_ak(t, tpm, d)) < 0 ||
	    (r = tpm_quote(tpm, qual, sizeof(qual), sel, nsel, &tq, d)) < 0)
		goto out;
	q->public_key = malloc(t->ak_der_len);
	if (!q->public_key) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(q->public_key, t->ak_der, t->ak_der_len);
	q->public_key_len = t->ak_der_len;
	q->report = TAKE_PTR(tq.attest);
	q->report_len = tq.attest_len;
	q->signature = TAKE_PTR(tq.signature);
	q->signature_len = tq.signature_len;
	q->aux = TAKE_PTR(tq.ak_public);
	q->aux_len = tq.ak_public_len;
	r = 0;
out:
	tpm_quote_clear(&tq);
	disconnect_tpm(t, tpm);
	return r;
}

static int tpm_att_pubkey_pem(void *priv, char **ret_pem, struct ward_diag *d)
{
	struct tpm_att *t = priv;
	struct ward_tpm *tpm = NULL;
	char *p;
	int r;

	if (!t->ak_pem) {
		if ((r = connect_tpm(t, &tpm, d)) < 0)
			return r;
		r = load_ak(t, tpm, d);
		disconnect_tpm(t, tpm);
		if (r < 0)
			return r;
	}
	p = strdup(t->ak_pem);
	if (!p)
		return -ENOMEM;
	*ret_pem = p;
	return 0;
}

static void tpm_att_close(void *priv)
{
	struct tpm_att *t = priv;

	if (!t)
		return;
	free(t->tcti);
	free(t->ak_der);
	free(t->ak_pem);
	if (t->dirfd >= 0)
		close(t->dirfd);
	if (t->lockfd >= 0)
		close(t->lockfd);
	free(t);
}

const struct ward_attester_ops attest_tpm_ops = {
	.type = "tpm",
	.open = tpm_att_open,
	.root = tpm_att_root,
	.sign = tpm_att_sign,
	.mirror = tpm_att_mirror,
	.pubkey_pem = tpm_att_pubkey_pem,
	.close = tpm_att_close,
};
