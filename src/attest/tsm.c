/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tsm attester: the confidential VM's own SEV-SNP report or TDX quote, through the kernel's
 * configfs-tsm interface (Documentation/ABI/testing/configfs-tsm-report), vouches for the
 * statement. REPORT_DATA is SHA-512 of the encoded statement, which holds the verifier's
 * nonce, the log's registers and the monitor's key (bound_key); that Ed25519 key, kept in the
 * state dir like the soft attester's, signs the statement too, so that the report made for one
 * statement also authenticates the key a verifier can hold later statements to.
 *
 * One report per quote, each in a directory of its own under the report root (a unique name,
 * removed after), as the ABI advises: configfs shares nothing between report directories, but
 * another root process may still write into ours, so the write generation is read before the
 * request and after the report, and must have advanced by exactly our writes.
 *
 * No configfs-tsm exists on the machines this was developed on: the framing is tested against a
 * fake report root (tests/unit/test-tsm.c), never against a kernel with a TSM provider.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/attest-internal.h"
#include "core/cleanup.h"
#include "core/pkey.h"
#include "ward/hash.h"
#include "ward/limits.h"

#define TSM_KEY_FILE "tsm-key.pem"
#define TSM_INBLOB_SIZE 64
/* Report directories tried when another writer races ours, before giving up with -EBUSY. */
#define TSM_ATTEMPTS 3
#define TSM_ATTR_MAX 64 /* generation, provider */

struct tsm {
	int keyfd;     /* the monitor key file, checked owner-only when opened */
	EVP_PKEY *key; /* parsed when opened: the statement binds its public key */
	uint8_t *spki; /* DER SubjectPublicKeyInfo of key */
	size_t spki_len;
	int rootfd;		      /* the report root */
	char *root_path;	      /* for messages */
	char root[WARD_ROOT_STR_MAX]; /* "sev-snp" or "tdx", from the provider */
	char provider[32];
	bool set_privlevel;
	unsigned privlevel;
	char *service_provider, *service_guid;
	unsigned manifest_version;
	unsigned long seq; /* report directories this process made */
};

int attest_tsm_available(const char *root, struct ward_diag *d)
{
	struct stat st;

	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
		return diag_set(d, -EOPNOTSUPP,
				"no configfs-tsm (%s): the kernel has no TSM provider (not a "
				"SEV-SNP/TDX guest, or CONFIG_TSM_REPORTS off)",
				root);
	return 0;
}

static const char *root_of_provider(const char *provider)
{
	if (strcmp(provider, "sev_guest") == 0)
		return "sev-snp";
	if (strcmp(provider, "tdx_guest") == 0)
		return "tdx";
	return NULL;
}

static int read_attr(int dirfd, const char *name, size_t max, uint8_t **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	return read_fd_full(fd, max, ret, ret_len);
}

/* A text attribute (generation, provider): one line, its newline dropped. */
static int read_line(int dirfd, const char *name, char *out, size_t size)
{
	_cleanup_free_ uint8_t *b = NULL;
	size_t n;
	int r;

	if ((r = read_attr(dirfd, name, TSM_ATTR_MAX, &b, &n)) < 0)
		return r;
	if (n && b[n - 1] == '\n')
		n--;
	if (n == 0 || n >= size || memchr(b, '\0', n) || memchr(b, '\n', n))
		return -EBADMSG;
	memcpy(out, b, n);
	out[n] = '\0';
	return 0;
}

static int read_generation(int dirfd, unsigned long long *ret)
{
	char s[TSM_ATTR_MAX], *e;
	int r;

	if ((r = read_line(dirfd, "generation", s, sizeof(s))) < 0)
		return r;
	errno = 0;
	*ret = strtoull(s, &e, 10);
	return errno || *e || s[0] < '0' || s[0] > '9' ? -EBADMSG : 0;
}

/*
 * A write-only attribute. configfs hands a binary attribute's bytes (inblob) to the provider
 * only when the file is closed, and a failure there never reaches close(2): the generation
 * check after the report is what tells a dropped write.
 */
static int write_attr(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int make_report_dir(struct tsm *t, char *name, size_t size, struct ward_diag *d)
{
	for (int i = 0; i < 8; i++) {
		uint32_t rnd = 0;

		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return diag_set(d, -errno ?: -EIO, "getrandom: %s", strerror(errno));
		snprintf(name, size, "ward-%d-%lu-%08x", (int)getpid(), ++t->seq, rnd);
		if (mkdirat(t->rootfd, name, 0700) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		if (errno == ENXIO || errno == ENOENT)
			return diag_set(d, -EOPNOTSUPP,
					"%s: no TSM provider is registered (mkdir: %s)",
					t->root_path, strerror(errno));
		return diag_set(d, -errno, "%s: cannot create a report directory: %s", t->root_path,
				strerror(errno));
	}
	return diag_set(d, -EEXIST, "%s: no free report directory name", t->root_path);
}

struct tsm_blobs {
	uint8_t *out, *aux;
	size_t out_len, aux_len;
};

static void blobs_free(struct tsm_blobs *b)
{
	free(b->out);
	free(b->aux);
	*b = (struct tsm_blobs){0};
}

/* Write attribute @attr of report @name and count the write; -EBUSY passes silently (a race:
 * the caller retries), other errors are explained. */
static int write_counted(struct tsm *t, int dirfd, const char *name, const char *attr,
			 const void *val, size_t len, unsigned long long *writes, struct ward_diag *d)
{
	int r = write_attr(dirfd, attr, val, len);

	if (r == -EBUSY)
		return r;
	if (r < 0)
		return diag_set(d, r, "%s/%s/%s: %s", t->root_path, name, attr, strerror(-r));
	(*writes)++;
	return 0;
}

/*
 * One attempt in report directory @dirfd: the options and inblob written, the provider, outblob
 * and auxblob read, between two reads of the generation. -EBUSY when another writer changed
 * the request (the caller tries a new directory).
 */
static int request(struct tsm *t, int dirfd, const char *name, const uint8_t *inblob,
		   char *provider, size_t provider_size, struct tsm_blobs *ret, struct ward_diag *d)
{
	struct tsm_blobs b = {0};
	unsigned long long gen0, gen1, writes = 0;
	char num[32];
	int r;

	if ((r = read_generation(dirfd, &gen0)) < 0)
		return diag_set(d, r, "%s/%s/generation: %s", t->root_path, name, strerror(-r));
	if (t->set_privlevel) {
		snprintf(num, sizeof(num), "%u\n", t->privlevel);
		if ((r = write_counted(t, dirfd, name, "privlevel", num, strlen(num), &writes, d)) < 0)
			return r;
	}
	if (t->service_provider) {
		if ((r = write_counted(t, dirfd, name, "service_provider", t->service_provider,
				       strlen(t->service_provider), &writes, d)) < 0 ||
		    (t->service_guid &&
		     (r = write_counted(t, dirfd, name, "service_guid", t->service_guid,
					strlen(t->service_guid), &writes, d)) < 0))
			return r;
		snprintf(num, sizeof(num), "%u\n", t->manifest_version);
		if ((r = write_counted(t, dirfd, name, "service_manifest_version", num, strlen(num),
				       &writes, d)) < 0)
			return r;
	}
	if ((r = write_counted(t, dirfd, name, "inblob", inblob, TSM_INBLOB_SIZE, &writes, d)) < 0)
		return r;
	if ((r = read_line(dirfd, "provider", provider, provider_size)) < 0)
		return diag_set(d, r, "%s/%s/provider: %s", t->root_path, name, strerror(-r));
	/* Reading outblob makes the report (the provider is asked now, not at the write). */
	if ((r = read_attr(dirfd, "outblob", WARD_TSM_BLOB_MAX, &b.out, &b.out_len)) < 0) {
		if (r == -EBUSY)
			return r;
		return diag_set(d, r, "%s/%s/outblob: %s%s", t->root_path, name, strerror(-r),
				r == -EFBIG ? " (above the 64 KiB ward accepts)" : "");
	}
	if (b.out_len == 0) {
		blobs_free(&b);
		return diag_set(d, -EIO, "%s/%s/outblob: empty report", t->root_path, name);
	}
	/* Absent for providers without certificates (tdx_guest), empty when there are none. */
	r = read_attr(dirfd, "auxblob", WARD_TSM_BLOB_MAX, &b.aux, &b.aux_len);
	if (r == -ENOENT) {
		b.aux = NULL;
		b.aux_len = 0;
	} else if (r < 0) {
		blobs_free(&b);
		return r == -EBUSY
			   ? r
			   : diag_set(d, r, "%s/%s/auxblob: %s%s", t->root_path, name, strerror(-r),
				      r == -EFBIG ? " (above the 64 KiB ward accepts)" : "");
	}
	if ((r = read_generation(dirfd, &gen1)) < 0) {
		blobs_free(&b);
		return diag_set(d, r, "%s/%s/generation: %s", t->root_path, name, strerror(-r));
	}
	if (gen1 != gen0 + writes) {
		/* Someone else wrote an option or the inblob in between (or one of our writes
		 * was dropped): the report may answer another request. */
		blobs_free(&b);
		return -EBUSY;
	}
	*ret = b;
	return 0;
}

/*
 * A report over @inblob, retried in a fresh directory while another writer races ours. The
 * directory is removed whatever happened: configfs keeps a report's memory until it is.
 */
static int get_report(struct tsm *t, const uint8_t *inblob, char *provider, size_t provider_size,
		      struct tsm_blobs *ret, struct ward_diag *d)
{
	for (int attempt = 0; attempt < TSM_ATTEMPTS; attempt++) {
		_cleanup_close_ int dirfd = -EBADF;
		char name[64];
		int r;

		if ((r = make_report_dir(t, name, sizeof(name), d)) < 0)
			return r;
		dirfd = openat(t->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dirfd < 0)
			r = diag_set(d, -errno, "%s/%s: %s", t->root_path, name, strerror(errno));
		else
			r = request(t, dirfd, name, inblob, provider, provider_size, ret, d);
		(void)unlinkat(t->rootfd, name, AT_REMOVEDIR);
		if (r != -EBUSY)
			return r;
	}
	return diag_set(d, -EBUSY,
			"%s: another writer changed the report request %d times in a row "
			"(generation moved): no report is trusted to answer ours",
			t->root_path, TSM_ATTEMPTS);
}

static void tsm_close(void *priv)
{
	struct tsm *t = priv;

	if (!t)
		return;
	EVP_PKEY_free(t->key);
	free(t->spki);
	if (t->keyfd >= 0)
		close(t->keyfd);
	if (t->rootfd >= 0)
		close(t->rootfd);
	free(t->root_path);
	free(t->service_provider);
	free(t->service_guid);
	free(t);
}

/* Which provider answers: a report directory made and removed, with no request in it. */
static int probe_provider(struct tsm *t, struct ward_diag *d)
{
	_cleanup_close_ int dirfd = -EBADF;
	char name[64];
	const char *root;
	int r;

	if ((r = make_report_dir(t, name, sizeof(name), d)) < 0)
		return r;
	dirfd = openat(t->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd < 0)
		r = diag_set(d, -errno, "%s/%s: %s", t->root_path, name, strerror(errno));
	else if ((r = read_line(dirfd, "provider", t->provider, sizeof(t->provider))) < 0)
		diag_set(d, r, "%s/%s/provider: %s", t->root_path, name, strerror(-r));
	(void)unlinkat(t->rootfd, name, AT_REMOVEDIR);
	if (r < 0)
		return r;
	root = root_of_provider(t->provider);
	if (!root)
		return diag_set(
		    d, -EOPNOTSUPP,
		    "%s: TSM provider '%s' is neither sev_guest (SEV-SNP) nor tdx_guest "
		    "(TDX)",
		    t->root_path, t->provider);
	snprintf(t->root, sizeof(t->root), "%s", root);
	return 0;
}

static int tsm_open(int dirfd, const struct ward_attester_conf *c, void **ret_priv,
		    struct ward_diag *d)
{
	const char *root = c && c->tsm_root ? c->tsm_root : WARD_TSM_DEFAULT_ROOT;
	struct tsm *t;
	int r;

	if ((r = attest_tsm_available(root, d)) < 0)
		return r;
	if (c && c->tsm_set_privlevel && c->tsm_privlevel > 3)
		return diag_set(d, -EINVAL, "tsm privlevel %u: the ABI allows 0..3",
				c->tsm_privlevel);
	if (c && c->tsm_service_provider && strcmp(c->tsm_service_provider, "svsm") != 0)
		return diag_set(d, -EINVAL, "tsm service provider '%s': only \"svsm\" exists",
				c->tsm_service_provider);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->keyfd = -EBADF;
	t->rootfd = -EBADF;
	t->root_path = strdup(root);
	if (!t->root_path ||
	    (c && c->tsm_service_provider &&
	     !(t->service_provider = strdup(c->tsm_service_provider))) ||
	    (c && c->tsm_service_guid && !(t->service_guid = strdup(c->tsm_service_guid)))) {
		r = -ENOMEM;
		goto fail;
	}
	if (c) {
		t->set_privlevel = c->tsm_set_privlevel;
		t->privlevel = c->tsm_privlevel;
		t->manifest_version = c->tsm_service_manifest_version;
	}
	t->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0) {
		r = diag_set(d, -errno, "cannot open %s: %s", root, strerror(errno));
		goto fail;
	}
	if ((r = attest_keyfile_open(dirfd, TSM_KEY_FILE, &t->keyfd, d)) < 0 ||
	    (r = attest_keyfile_load(t->keyfd, TSM_KEY_FILE, &t->key, d)) < 0)
		goto fail;
	if ((r = pkey_spki_der(t->key, &t->spki, &t->spki_len)) < 0) {
		diag_set(d, r, "tsm attester: cannot encode the monitor key");
		goto fail;
	}
	if ((r = probe_provider(t, d)) < 0)
		goto fail;
	*ret_priv = t;
	return 0;
fail:
	tsm_close(t);
	return r;
}

static const char *tsm_root(void *priv)
{
	return ((struct tsm *)priv)->root;
}

static int tsm_bound_key(void *priv, const uint8_t **ret_der, size_t *ret_len, struct ward_diag *d)
{
	struct tsm *t = priv;

	(void)d;
	*ret_der = t->spki;
	*ret_len = t->spki_len;
	return 0;
}

static int tsm_sign(void *priv, const uint8_t *msg, size_t len, struct ward_quote *q,
		    struct ward_diag *d)
{
	struct tsm *t = priv;
	struct tsm_blobs b = {0};
	uint8_t inblob[TSM_INBLOB_SIZE];
	char provider[sizeof(t->provider)];
	int r;

	/* The statement holds the nonce, the registers and the monitor key: the hardware
	 * report over its digest vouches for all three at once. */
	if ((r = hash_buf(WARD_HASH_SHA512, msg, len, inblob)) < 0)
		return diag_set(d, r, "tsm attester: SHA-512 failed");
	if ((r = get_report(t, inblob, provider, sizeof(provider), &b, d)) < 0)
		return r;
	if (strcmp(provider, t->provider) != 0) {
		blobs_free(&b);
		return diag_set(d, -ESTALE,
				"%s: the TSM provider is now '%s', was '%s' when the attester was "
				"opened (the statement names root %s)",
				t->root_path, provider, t->provider, t->root);
	}
	if ((!t->key && (r = attest_keyfile_load(t->keyfd, TSM_KEY_FILE, &t->key, d)) < 0) ||
	    (r = attest_ed25519_sign(t->key, msg, len, q, d)) < 0) {
		blobs_free(&b);
		return r;
	}
	q->report = b.out;
	q->report_len = b.out_len;
	/* Never NULL for tsm, so that the bundle carries "aux" even when it is empty. */
	q->aux = b.aux ? b.aux : calloc(1, 1);
	q->aux_len = b.aux_len;
	if (!q->aux)
		return -ENOMEM;
	return 0;
}

static int tsm_pubkey_pem(void *priv, char **ret_pem, struct ward_diag *d)
{
	struct tsm *t = priv;
	int r;

	if (!t->key && (r = attest_keyfile_load(t->keyfd, TSM_KEY_FILE, &t->key, d)) < 0)
		return r;
	return attest_key_pem(t->key, ret_pem, d);
}

/* The public key stays (t->spki, bound into every statement); the private key goes. */
static void tsm_forget(void *priv)
{
	struct tsm *t = priv;

	EVP_PKEY_free(t->key);
	t->key = NULL;
}

const struct ward_attester_ops attest_tsm_ops = {
    .type = "tsm",
    .open = tsm_open,
    .root = tsm_root,
    .sign = tsm_sign,
    .mirror = NULL,
    .pubkey_pem = tsm_pubkey_pem,
    .forget = tsm_forget,
    .close = tsm_close,
    .bound_key = tsm_bound_key,
};
