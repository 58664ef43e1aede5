/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy signatures: Ed25519 keys (PEM files) and detached signatures over a policy file's exact
 * bytes (ward/policy-sign.h). OpenSSL's error space ends here: every failure leaves as -errno
 * with one sentence in the diag, and the OpenSSL error queue is emptied so that it cannot be
 * mistaken later for an error of another call.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/policy-sign.h"

#define ED25519_RAW_SIZE 32

static int ossl_fail(struct ward_diag *d, int err, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return diag_set(d, err, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static bool is_ed25519(EVP_PKEY *k)
{
	return k && EVP_PKEY_get_id(k) == EVP_PKEY_ED25519;
}

int policy_key_generate(EVP_PKEY **ret)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (!k)
		return ossl_fail(NULL, -EIO, "");
	*ret = k;
	return 0;
}

/* The PEM text of @k's private (PKCS#8) or public (SubjectPublicKeyInfo) key, in a BIO. The
 * private key's text lives in the secure heap, wiped when the BIO is freed. */
static int key_pem(EVP_PKEY *k, bool private, BIO **ret_bio, const char **ret_pem, size_t *ret_len,
		   struct ward_diag *d)
{
	_cleanup_bio_ BIO *mem = BIO_new(private ? BIO_s_secmem() : BIO_s_mem());
	char *p;
	long n;

	if (!mem)
		return diag_set(d, -ENOMEM, "out of memory");
	if (!(private ? PEM_write_bio_PKCS8PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL)
		      : PEM_write_bio_PUBKEY(mem, k)))
		return ossl_fail(d, -EIO,
				 private ? "cannot encode the private key"
					 : "cannot encode the public key");
	n = BIO_get_mem_data(mem, &p);
	if (n <= 0)
		return diag_set(d, -EIO, "cannot encode the key");
	*ret_pem = p;
	*ret_len = (size_t)n;
	*ret_bio = TAKE_PTR(mem);
	return 0;
}

/* fsync the directory that holds @path, so that a created or renamed name survives a crash. */
static int fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	_cleanup_close_ int fd = -EBADF;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

/*
 * Fill @fd (just created, owned by us) with @len bytes and give it @mode. The mode is set with
 * fchmod so that the umask cannot widen or narrow it; the file was created with at most @mode,
 * so a private key is never readable by others, not even before the fchmod.
 */
static int fill(int fd, mode_t mode, const void *buf, size_t len)
{
	int r;

	if (fchmod(fd, mode) < 0)
		return -errno;
	if ((r = write_all(fd, buf, len)) < 0)
		return r;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

/* Create @path exclusively with @mode and write @buf there; nothing is left on failure. */
static int write_new(const char *path, mode_t mode, const void *buf, size_t len,
		     struct ward_diag *d)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	/* O_EXCL (which implies not following a symlink at @path): never write through a name
	 * someone else prepared. */
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0)
		return diag_set(d, -errno, "cannot create %s: %s", path, strerror(errno));
	if ((r = fill(fd, mode, buf, len)) < 0) {
		unlink(path);
		return diag_set(d, r, "cannot write %s: %s", path, strerror(-r));
	}
	return 0;
}

/* As write_new(), under a fresh random name next to @path (written to @ret_tmp). */
static int write_temp(const char *path, mode_t mode, const void *buf, size_t len,
		      char ret_tmp[PATH_MAX], struct ward_diag *d)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (snprintf(ret_tmp, PATH_MAX, "%s.XXXXXX", path) >= PATH_MAX)
		return diag_set(d, -ENAMETOOLONG, "%s: name too long", path);
	/* mkostemp creates with O_EXCL and mode 0600 whatever the umask. */
	fd = mkostemp(ret_tmp, O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, -errno, "cannot create a file next to %s: %s", path,
				strerror(errno));
	if ((r = fill(fd, mode, buf, len)) < 0) {
		unlink(ret_tmp);
		return diag_set(d, r, "cannot write %s: %s", ret_tmp, strerror(-r));
	}
	return 0;
}

static int pub_path(const char *path, char out[PATH_MAX], struct ward_diag *d)
{
	if (!path[0] || path[strlen(path) - 1] == '/')
		return diag_set(d, -EINVAL, "'%s' is not a file name", path);
	if (snprintf(out, PATH_MAX, "%s.pub", path) >= PATH_MAX)
		return diag_set(d, -ENAMETOOLONG, "%s: name too long", path);
	return 0;
}

int policy_key_save(EVP_PKEY *k, const char *path, struct ward_diag *d)
{
	_cleanup_bio_ BIO *priv_bio = NULL, *pub_bio = NULL;
	const char *priv, *pub;
	size_t priv_len, pub_len;
	char pubpath[PATH_MAX];
	int r;

	if (!is_ed25519(k))
		return diag_set(d, -EINVAL, "not an Ed25519 key");
	if ((r = pub_path(path, pubpath, d)) < 0 ||
	    (r = key_pem(k, true, &priv_bio, &priv, &priv_len, d)) < 0 ||
	    (r = key_pem(k, false, &pub_bio, &pub, &pub_len, d)) < 0)
		return r;
	if ((r = write_new(path, 0600, priv, priv_len, d)) < 0)
		return r;
	if ((r = write_new(pubpath, 0644, pub, pub_len, d)) < 0) {
		/* a private key without its public half would only confuse: take it back */
		unlink(path);
		return r;
	}
	(void)fsync_parent(path);
	return 0;
}

static int not_dir(const char *path, struct ward_diag *d)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return diag_set(d, -EISDIR, "%s is a directory", path);
	return 0;
}

int policy_key_replace(EVP_PKEY *k, const char *path, struct ward_diag *d)
{
	_cleanup_bio_ BIO *priv_bio = NULL, *pub_bio = NULL;
	char pubpath[PATH_MAX], tmp_priv[PATH_MAX], tmp_pub[PATH_MAX];
	const char *priv, *pub;
	size_t priv_len, pub_len;
	bool exchanged = false;
	int r;

	if (!is_ed25519(k))
		return diag_set(d, -EINVAL, "not an Ed25519 key");
	if ((r = pub_path(path, pubpath, d)) < 0 ||
	    (r = key_pem(k, true, &priv_bio, &priv, &priv_len, d)) < 0 ||
	    (r = key_pem(k, false, &pub_bio, &pub, &pub_len, d)) < 0)
		return r;
	/* An exchange would move a directory aside rather than fail on it. */
	if ((r = not_dir(path, d)) < 0 || (r = not_dir(pubpath, d)) < 0)
		return r;
	if ((r = write_temp(path, 0600, priv, priv_len, tmp_priv, d)) < 0)
		return r;
	if ((r = write_temp(pubpath, 0644, pub, pub_len, tmp_pub, d)) < 0) {
		unlink(tmp_priv);
		return r;
	}
	/*
	 * Both halves are complete on disk before either name changes. The private key goes in by
	 * exchange, so that if the public key cannot follow, the old private key can be put back
	 * and the pair on disk stays a pair.
	 */
	if (renameat2(AT_FDCWD, tmp_priv, AT_FDCWD, path, RENAME_EXCHANGE) == 0)
		exchanged = true;
	else if ((errno != ENOENT && errno != EINVAL) || rename(tmp_priv, path) < 0) {
		r = -errno;
		unlink(tmp_priv);
		unlink(tmp_pub);
		return diag_set(d, r, "cannot replace %s: %s", path, strerror(-r));
	}
	if (rename(tmp_pub, pubpath) < 0) {
		r = -errno;
		unlink(tmp_pub);
		if (exchanged &&
		    renameat2(AT_FDCWD, tmp_priv, AT_FDCWD, path, RENAME_EXCHANGE) == 0)
			unlink(tmp_priv);
		else if (!exchanged)
			unlink(path);
		return diag_set(d, r, "cannot replace %s: %s", pubpath, strerror(-r));
	}
	if (exchanged)
		unlink(tmp_priv); /* the old private key */
	(void)fsync_parent(path);
	return 0;
}

/* Read a private key file into @buf (on the caller's stack, wiped by the caller): no heap copy
 * of the secret is left to chance. Return: its length, -EFBIG, or the open/read errno. */
static ssize_t read_secret(const char *path, uint8_t *buf, size_t max)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k = read(fd, buf + len, max + 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return (ssize_t)len;
		len += (size_t)k;
		if (len > max)
			return -EFBIG;
	}
}

/* A passphrase callback that refuses: an encrypted key fails instead of prompting. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int policy_privkey_load(const char *path, EVP_PKEY **ret, struct ward_diag *d)
{
	uint8_t buf[WARD_KEY_FILE_MAX + 1];
	_cleanup_bio_ BIO *bio = NULL;
	EVP_PKEY *k = NULL;
	ssize_t n;
	int r = 0;

	n = read_secret(path, buf, WARD_KEY_FILE_MAX);
	if (n == -EFBIG)
		r = diag_set(d, -EBADMSG, "%s: larger than %d bytes: not a key", path,
			     WARD_KEY_FILE_MAX);
	else if (n < 0)
		r = diag_set(d, (int)n, "cannot read %s: %s", path, strerror((int)-n));
	else if (!(bio = BIO_new_mem_buf(buf, (int)n)))
		r = diag_set(d, -ENOMEM, "out of memory");
	else if (!(k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)))
		r = ossl_fail(d, -EBADMSG, "not an unencrypted PEM private key");
	else if (!is_ed25519(k))
		r = diag_set(d, -EBADMSG, "is a %s key, not Ed25519", EVP_PKEY_get0_type_name(k));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r < 0) {
		EVP_PKEY_free(k);
		if (r == -EBADMSG)
			diag_prefix(d, "%s: ", path);
		return r;
	}
	*ret = k;
	return 0;
}

static bool all_space(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

int policy_pubkey_parse(const uint8_t *pem, size_t len, EVP_PKEY **ret, struct ward_diag *d)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----";
	_cleanup_bio_ BIO *bio = NULL;
	_cleanup_pkey_ EVP_PKEY *k = NULL;
	size_t skip = 0;
	long left;

	if (len > WARD_KEY_FILE_MAX)
		return diag_set(d, -EBADMSG, "larger than %d bytes: not a public key",
				WARD_KEY_FILE_MAX);
	/*
	 * One SubjectPublicKeyInfo block and nothing else: PEM readers skip any text and other
	 * blocks before the one they look for, and a trust anchor must not be a file whose key
	 * depends on which reader looked.
	 */
	while (skip < len && all_space(pem + skip, 1))
		skip++;
	if (len - skip < sizeof(begin) - 1 || memcmp(pem + skip, begin, sizeof(begin) - 1) != 0) {
		const char *nl = memchr(pem + skip, '\n', len - skip);
		size_t first = nl ? (size_t)(nl - (const char *)(pem + skip)) : len - skip;

		if (memmem(pem + skip, first, "PRIVATE KEY-----", 16))
			return diag_set(d, -EBADMSG,
					"not a PEM public key but a private key (the "
					"public key is in the .pub file)");
		return diag_set(d, -EBADMSG, "not a PEM public key (\"%s\")", begin);
	}
	bio = BIO_new_mem_buf(pem + skip, (int)(len - skip));
	if (!bio)
		return diag_set(d, -ENOMEM, "out of memory");
	k = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (!k)
		return ossl_fail(d, -EBADMSG, "not a valid PEM public key");
	if (!is_ed25519(k))
		return diag_set(d, -EBADMSG, "is a %s key, not Ed25519",
				EVP_PKEY_get0_type_name(k));
	left = BIO_pending(bio);
	if (left > 0) {
		const uint8_t *rest = pem + len - (size_t)left;

		if (!all_space(rest, (size_t)left))
			return diag_set(d, -EBADMSG, "text after the public key");
	}
	*ret = TAKE_PTR(k);
	return 0;
}

int policy_pubkey_load(const char *path, EVP_PKEY **ret, struct ward_diag *d)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;
	int r = read_file_full(path, WARD_KEY_FILE_MAX, &buf, &len);

	if (r == -EFBIG)
		return diag_set(d, -EBADMSG, "%s: larger than %d bytes: not a public key", path,
				WARD_KEY_FILE_MAX);
	if (r < 0)
		return diag_set(d, r, "cannot read %s: %s", path, strerror(-r));
	r = policy_pubkey_parse(buf, len, ret, d);
	if (r == -EBADMSG)
		diag_prefix(d, "%s: ", path);
	return r;
}

int policy_key_id(EVP_PKEY *k, char ret[WARD_KEY_ID_STR_MAX])
{
	uint8_t raw[ED25519_RAW_SIZE], md[32];
	size_t len = sizeof(raw);
	unsigned int mdlen = 0;

	if (!is_ed25519(k))
		return -EINVAL;
	if (!EVP_PKEY_get_raw_public_key(k, raw, &len) || len != sizeof(raw) ||
	    !EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof(md))
		return ossl_fail(NULL, -EINVAL, "");
	memcpy(ret, "ed25519:", 8);
	hex_encode(md, sizeof(md), ret + 8);
	return 0;
}

int policy_sign_buf(EVP_PKEY *priv, const uint8_t *buf, size_t len,
		    uint8_t ret_sig[WARD_ED25519_SIG_SIZE])
{
	_cleanup_md_ctx_ EVP_MD_CTX *ctx = NULL;
	uint8_t sig[WARD_ED25519_SIG_SIZE];
	size_t siglen = sizeof(sig), privlen = 0;

	/* A public-only key has no raw private half: it cannot sign, and that is the caller's
	 * mistake, not a failure of the library. */
	if (!is_ed25519(priv) || !EVP_PKEY_get_raw_private_key(priv, NULL, &privlen)) {
		ERR_clear_error();
		return -EINVAL;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	/* Ed25519 hashes the message itself (PureEdDSA): no digest, one-shot. */
	if (!EVP_DigestSignInit(ctx, NULL, NULL, NULL, priv) ||
	    !EVP_DigestSign(ctx, sig, &siglen, buf, len) || siglen != sizeof(sig))
		return ossl_fail(NULL, -EIO, "");
	memcpy(ret_sig, sig, sizeof(sig));
	return 0;
}

int policy_sig_check(EVP_PKEY *pub, const uint8_t *buf, size_t len, const uint8_t *sig,
		     size_t siglen)
{
	_cleanup_md_ctx_ EVP_MD_CTX *ctx = NULL;
	int v;

	if (siglen != WARD_ED25519_SIG_SIZE)
		return -EBADMSG;
	if (!is_ed25519(pub))
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (!EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub))
		return ossl_fail(NULL, -EIO, "");
	v = EVP_DigestVerify(ctx, sig, siglen, buf, len);
	/* Anything but an explicit "valid" is a rejection: fail closed. */
	if (v != 1) {
		ERR_clear_error();
		return -EKEYREJECTED;
	}
	return 0;
}
