/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The soft attester: an Ed25519 key created in the state dir (mode 0600, owner only) signs the
 * quote message. It proves which key signed, not which machine: anyone with root on the host
 * or the key file can sign anything. Verifiers must pin the key and are told the evidence is
 * not hardware-rooted.
 *
 * The key-file helpers (attest_keyfile_*, attest_ed25519_*) are shared with the tsm attester,
 * whose monitor key is the same kind of file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/attest-internal.h"
#include "core/cleanup-ossl.h"
#include "core/pkey.h"

#define SOFT_KEY_FILE "soft-key.pem"

struct soft {
	int fd;	      /* the key file, checked owner-only when opened */
	EVP_PKEY *key; /* parsed on first use: measuring needs no key, only signing does */
};

static int create_key(int dirfd, const char *name, struct ward_diag *d)
{
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	_cleanup_bio_ BIO *mem = NULL;
	char tmp[128];
	char *pem;
	long n;
	int r;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	/* secure-heap BIO: the PEM text of the private key is wiped when freed */
	mem = BIO_new(BIO_s_secmem());
	if (!key || !mem || !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL))
		return diag_set(d, -EIO, "cannot generate the attester key %s", name);
	n = BIO_get_mem_data(mem, &pem);
	snprintf(tmp, sizeof(tmp), "%s.new.%d", name, (int)getpid());
	r = write_file_atomic(dirfd, tmp, pem, (size_t)n, 0600);
	if (r < 0)
		return diag_set(d, r, "cannot write %s: %s", tmp, strerror(-r));
	/* link(2) never replaces: if another process created a key first, keep that one. */
	if (linkat(dirfd, tmp, dirfd, name, 0) < 0 && errno != EEXIST) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return diag_set(d, r, "cannot install %s: %s", name, strerror(-r));
	}
	unlinkat(dirfd, tmp, 0);
	return fsync(dirfd) < 0 ? -errno : 0;
}

int attest_keyfile_open(int dirfd, const char *name, int *ret_fd, struct ward_diag *d)
{
	_cleanup_close_ int fd = -EBADF;
	mode_t mode = 0;
	int r;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		r = create_key(dirfd, name, d);
		if (r < 0)
			return r;
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return diag_set(d, -errno, "cannot open %s: %s", name, strerror(errno));
	if ((r = fd_check_owned(fd, 077, &mode)) < 0)
		return diag_set(d, r,
				"%s must be a regular file owned by uid %u with mode 0600 (is %04o): "
				"refusing a key others could read or replace",
				name, (unsigned)geteuid(), (unsigned)mode);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/*
 * The key from the PKCS#8 PEM the file holds (RFC 8410: PrivateKeyInfo whose privateKey is an
 * OCTET STRING of the 32-byte key), through OpenSSL's ASN.1 templates and the raw-key
 * constructor: PEM_read_bio_PrivateKey() goes through OpenSSL 3.0's generic decoder, which is
 * built anew for every key read and cost each channel connection some 0.4 ms. Every copy of
 * the key made on the way is wiped as it is freed; NULL if the file holds anything else
 * (PEM_STRING_PKCS8INF is "PRIVATE KEY", what PEM_write_bio_PrivateKey() writes).
 */
static EVP_PKEY *ed25519_from_pkcs8(BIO *bio)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const unsigned char *pk = NULL, *q;
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *raw = NULL;
	EVP_PKEY *key = NULL;
	char *nm = NULL, *hdr = NULL;
	unsigned char *der = NULL;
	long dl = 0;
	int pklen = 0;

	/* The DER in the secure heap, wiped as it is freed (a plain PEM read leaves it behind). */
	if (!PEM_read_bio_ex(bio, &nm, &hdr, &der, &dl, PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) ||
	    strcmp(nm, PEM_STRING_PKCS8INF) != 0)
		goto out;
	q = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, dl);
	if (!p8 || q != der + dl || !PKCS8_pkey_get0(NULL, &pk, &pklen, &alg, p8))
		goto out;
	X509_ALGOR_get0(&oid, NULL, NULL, alg);
	if (OBJ_obj2nid(oid) != NID_ED25519)
		goto out;
	q = pk;
	raw = d2i_ASN1_OCTET_STRING(NULL, &q, pklen);
	if (raw && q == pk + pklen && ASN1_STRING_length(raw) == 32)
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						   ASN1_STRING_get0_data(raw), 32);
out:
	if (raw)
		ASN1_STRING_clear_free(raw);
	PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key it holds */
	OPENSSL_secure_clear_free(der, dl > 0 ? (size_t)dl : 0);
	OPENSSL_secure_free(nm);
	OPENSSL_secure_free(hdr);
	return key;
}

/* Parse the key from the fd checked at open: the file parsed is the file checked. */
int attest_keyfile_load(int fd, const char *name, EVP_PKEY **ret, struct ward_diag *d)
{
	_cleanup_bio_ BIO *bio = NULL;
	char pem[16384];
	size_t len = 0;
	EVP_PKEY *key;

	/*
	 * pread, not read: processes forked from one that opened the key (wardd's channel
	 * children) share this fd's file offset, and reading it concurrently would interleave.
	 */
	for (;;) {
		ssize_t n = pread(fd, pem + len, sizeof(pem) - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(pem))
			return diag_set(d, -EBADMSG, "%s is larger than a key file", name);
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		explicit_bzero(pem, sizeof(pem));
		return -ENOMEM;
	}
	key = ed25519_from_pkcs8(bio);
	explicit_bzero(pem, sizeof(pem));
	if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return diag_set(d, -EBADMSG, "%s is not an Ed25519 private key", name);
	}
	*ret = key;
	return 0;
}

int attest_ed25519_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, struct ward_quote *q,
			struct ward_diag *d)
{
	_cleanup_md_ctx_ EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 0;
	int r;

	if (!ctx || !EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) ||
	    !EVP_DigestSign(ctx, NULL, &siglen, msg, len))
		return diag_set(d, -EIO, "%s attester: signing failed", q->type);
	q->signature = malloc(siglen);
	if (!q->signature)
		return -ENOMEM;
	if (!EVP_DigestSign(ctx, q->signature, &siglen, msg, len))
		return diag_set(d, -EIO, "%s attester: signing failed", q->type);
	q->signature_len = siglen;
	r = pkey_spki_der(key, &q->public_key, &q->public_key_len);
	if (r == -EIO)
		return diag_set(d, r, "%s attester: cannot encode the public key", q->type);
	return r;
}

int attest_key_pem(EVP_PKEY *key, char **ret_pem, struct ward_diag *d)
{
	_cleanup_bio_ BIO *mem = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (!mem || !PEM_write_bio_PUBKEY(mem, key))
		return diag_set(d, -EIO, "cannot encode the attester's public key");
	n = BIO_get_mem_data(mem, &p);
	out = strndup(p, (size_t)n);
	if (!out)
		return -ENOMEM;
	*ret_pem = out;
	return 0;
}

static int soft_open(int dirfd, const struct ward_attester_conf *c, void **ret_priv,
		     struct ward_diag *d)
{
	struct soft *s;
	int fd = -EBADF, r;

	(void)c;
	if ((r = attest_keyfile_open(dirfd, SOFT_KEY_FILE, &fd, d)) < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	*ret_priv = s;
	return 0;
}

static int load_key(struct soft *s, struct ward_diag *d)
{
	return s->key ? 0 : attest_keyfile_load(s->fd, SOFT_KEY_FILE, &s->key, d);
}

static int soft_sign(void *priv, const uint8_t *msg, size_t len, struct ward_quote *q,
		     struct ward_diag *d)
{
	struct soft *s = priv;
	int r;

	if ((r = load_key(s, d)) < 0)
		return r;
	return attest_ed25519_sign(s->key, msg, len, q, d);
}

static int soft_pubkey_pem(void *priv, char **ret_pem, struct ward_diag *d)
{
	struct soft *s = priv;
	int r;

	if ((r = load_key(s, d)) < 0)
		return r;
	return attest_key_pem(s->key, ret_pem, d);
}

static void soft_forget(void *priv)
{
	struct soft *s = priv;

	EVP_PKEY_free(s->key);
	s->key = NULL;
}

static const char *soft_root(void *priv)
{
	(void)priv;
	return "soft";
}

static void soft_close(void *priv)
{
	struct soft *s = priv;

	if (!s)
		return;
	EVP_PKEY_free(s->key);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

const struct ward_attester_ops attest_soft_ops = {
	.type = "soft",
	.open = soft_open,
	.root = soft_root,
	.sign = soft_sign,
	.mirror = NULL,
	.pubkey_pem = soft_pubkey_pem,
	.forget = soft_forget,
	.close = soft_close,
};
