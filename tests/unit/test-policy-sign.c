/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy signatures (ward/policy-sign.h): the key id of a fixed key, RFC 8032's first Ed25519
 * vector, the round trip, every way a check fails with its exact errno, the public key parser's
 * table, and the key files (modes whatever the umask, no overwrite, nothing left behind).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "test-util.h"
#include "core/cleanup-ossl.h"
#include "ward/policy-sign.h"

/* RFC 8032 section 7.1, TEST 1: secret key, public key, signature of the empty message. */
#define RFC_SK "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC_SIG                                                                                    \
	"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970" \
	"1cf9b46bd25bf5f0595bbe24655141438e7a100b"
/* sha256 of RFC_PK's 32 bytes, computed outside ward (sha256sum of the raw bytes). */
#define RFC_ID "ed25519:21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"

static EVP_PKEY *rfc_key(void)
{
	uint8_t seed[32];
	EVP_PKEY *k;

	test_hex(RFC_SK, seed, sizeof(seed));
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	assert_non_null(k);
	return k;
}

static EVP_PKEY *public_only(EVP_PKEY *k)
{
	uint8_t raw[32];
	size_t len = sizeof(raw);
	EVP_PKEY *pub;

	assert_true(EVP_PKEY_get_raw_public_key(k, raw, &len));
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, len);
	assert_non_null(pub);
	return pub;
}

/* The PEM SubjectPublicKeyInfo of @k, malloc'd and NUL-terminated. */
static char *pub_pem(EVP_PKEY *k)
{
	_cleanup_bio_ BIO *mem = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(mem);
	assert_true(PEM_write_bio_PUBKEY(mem, k));
	n = BIO_get_mem_data(mem, &p);
	return strndup(p, (size_t)n);
}

static void test_key_id_fixed(void **state)
{
	_cleanup_pkey_ EVP_PKEY *k = rfc_key(), *pub = NULL;
	char id[WARD_KEY_ID_STR_MAX], id2[WARD_KEY_ID_STR_MAX];
	uint8_t raw[32], want[32], md[32];
	size_t len = sizeof(raw);
	unsigned int mdlen;

	/* the key built from the seed is RFC 8032's: its public half is the published one */
	assert_true(EVP_PKEY_get_raw_public_key(k, raw, &len));
	test_hex(RFC_PK, want, sizeof(want));
	assert_memory_equal(raw, want, 32);
	assert_int_equal(policy_key_id(k, id), 0);
	assert_string_equal(id, RFC_ID);
	assert_int_equal(strlen(id), WARD_KEY_ID_STR_MAX - 1);
	/* and it agrees with a sha256 of the raw key computed here */
	assert_true(EVP_Digest(want, 32, md, &mdlen, EVP_sha256(), NULL));
	test_hex(RFC_ID + 8, want, sizeof(want));
	assert_memory_equal(md, want, 32);
	/* the same id from the public half alone, and on every call */
	pub = public_only(k);
	assert_int_equal(policy_key_id(pub, id2), 0);
	assert_string_equal(id2, RFC_ID);
	assert_int_equal(policy_key_id(k, id2), 0);
	assert_string_equal(id2, id);
}

static void test_rfc8032_vector(void **state)
{
	_cleanup_pkey_ EVP_PKEY *k = rfc_key(), *pub = NULL;
	uint8_t sig[WARD_ED25519_SIG_SIZE], want[WARD_ED25519_SIG_SIZE];

	test_hex(RFC_SIG, want, sizeof(want));
	assert_int_equal(policy_sign_buf(k, (const uint8_t *)"", 0, sig), 0);
	assert_memory_equal(sig, want, sizeof(sig));
	pub = public_only(k);
	assert_int_equal(policy_sig_check(pub, (const uint8_t *)"", 0, want, sizeof(want)), 0);
}

static const uint8_t msg[] = "{\"ward_policy\":1,\"name\":\"n\",\"version\":7}\n";

static void test_round_trip_and_failures(void **state)
{
	_cleanup_pkey_ EVP_PKEY *k = NULL, *other = NULL, *pub = NULL, *rsa = NULL;
	uint8_t sig[WARD_ED25519_SIG_SIZE], bad[WARD_ED25519_SIG_SIZE + 1], m[sizeof(msg)];
	char id1[WARD_KEY_ID_STR_MAX], id2[WARD_KEY_ID_STR_MAX];

	assert_int_equal(policy_key_generate(&k), 0);
	assert_int_equal(policy_key_generate(&other), 0);
	assert_int_equal(policy_key_id(k, id1), 0);
	assert_int_equal(policy_key_id(other, id2), 0);
	assert_string_not_equal(id1, id2);
	pub = public_only(k);

	assert_int_equal(policy_sign_buf(k, msg, sizeof(msg) - 1, sig), 0);
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg) - 1, sig, sizeof(sig)), 0);
	/* a private key checks too (it holds its public half) */
	assert_int_equal(policy_sig_check(k, msg, sizeof(msg) - 1, sig, sizeof(sig)), 0);

	/* wrong length, either way, before anything else */
	memcpy(bad, sig, sizeof(sig));
	bad[64] = 0;
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg) - 1, sig, 63), -EBADMSG);
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg) - 1, bad, 65), -EBADMSG);
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg) - 1, sig, 0), -EBADMSG);

	/* every single bit of the signature matters */
	for (size_t bit = 0; bit < 8 * sizeof(sig); bit++) {
		memcpy(bad, sig, sizeof(sig));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (policy_sig_check(pub, msg, sizeof(msg) - 1, bad, sizeof(sig)) != -EKEYREJECTED)
			fail_msg("signature bit %zu flipped: accepted", bit);
	}
	/* and so does every bit of the message, its length included */
	for (size_t bit = 0; bit < 8 * (sizeof(msg) - 1); bit++) {
		memcpy(m, msg, sizeof(msg));
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (policy_sig_check(pub, m, sizeof(msg) - 1, sig, sizeof(sig)) != -EKEYREJECTED)
			fail_msg("message bit %zu flipped: accepted", bit);
	}
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg) - 2, sig, sizeof(sig)),
			 -EKEYREJECTED);
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg), sig, sizeof(sig)), -EKEYREJECTED);
	/* another key */
	assert_int_equal(policy_sig_check(other, msg, sizeof(msg) - 1, sig, sizeof(sig)),
			 -EKEYREJECTED);
	/* all zeros is not a signature of anything */
	memset(bad, 0, sizeof(bad));
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg) - 1, bad, 64), -EKEYREJECTED);

	/* keys that are not Ed25519, or cannot sign */
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(rsa);
	assert_int_equal(policy_sig_check(rsa, msg, sizeof(msg) - 1, sig, sizeof(sig)), -EINVAL);
	assert_int_equal(policy_sign_buf(rsa, msg, sizeof(msg) - 1, bad), -EINVAL);
	assert_int_equal(policy_key_id(rsa, id2), -EINVAL);
	assert_int_equal(policy_sign_buf(pub, msg, sizeof(msg) - 1, bad), -EINVAL);
	assert_int_equal(policy_sig_check(NULL, msg, sizeof(msg) - 1, sig, sizeof(sig)), -EINVAL);
}

static void test_pubkey_parse_table(void **state)
{
	_cleanup_pkey_ EVP_PKEY *ed = rfc_key(), *ec = NULL, *rsa = NULL;
	_cleanup_free_ char *edpem = pub_pem(ed), *ecpem = NULL, *rsapem = NULL, *privpem = NULL,
			    *two = NULL, *ws = NULL, *trail = NULL, *lead = NULL, *big = NULL;
	_cleanup_bio_ BIO *mem = BIO_new(BIO_s_mem());
	char *p;
	long n;

	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(ec);
	assert_non_null(rsa);
	ecpem = pub_pem(ec);
	rsapem = pub_pem(rsa);
	assert_true(PEM_write_bio_PKCS8PrivateKey(mem, ed, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(mem, &p);
	privpem = strndup(p, (size_t)n);
	assert_true(asprintf(&two, "%s%s", edpem, edpem) > 0);
	assert_true(asprintf(&ws, "\n \t%s\n\n", edpem) > 0);
	assert_true(asprintf(&trail, "%sx\n", edpem) > 0);
	assert_true(asprintf(&lead, "comment\n%s", edpem) > 0);
	big = calloc(1, WARD_KEY_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '\n', WARD_KEY_FILE_MAX + 1);
	memcpy(big, edpem, strlen(edpem));

	const struct {
		const char *what;
		const char *pem;
		size_t len;
		int err;
		const char *msg;
	} rows[] = {
		{ "Ed25519", edpem, strlen(edpem), 0, "" },
		{ "Ed25519 in white space", ws, strlen(ws), 0, "" },
		{ "ECDSA P-256", ecpem, strlen(ecpem), -EBADMSG, "not Ed25519" },
		{ "RSA", rsapem, strlen(rsapem), -EBADMSG, "not Ed25519" },
		{ "private key", privpem, strlen(privpem), -EBADMSG, "but a private key" },
		{ "garbage", "garbage\n", 8, -EBADMSG, "not a PEM public key" },
		{ "empty", "", 0, -EBADMSG, "not a PEM public key" },
		{ "text before", lead, strlen(lead), -EBADMSG, "not a PEM public key" },
		{ "two keys", two, strlen(two), -EBADMSG, "text after" },
		{ "text after", trail, strlen(trail), -EBADMSG, "text after" },
		{ "truncated", edpem, strlen(edpem) - 30, -EBADMSG, "not a valid PEM public key" },
		{ "header only", "-----BEGIN PUBLIC KEY-----\n", 27, -EBADMSG, "not a valid" },
		{ "too large", big, WARD_KEY_FILE_MAX + 1, -EBADMSG, "larger than" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct ward_diag d = { { 0 } };
		EVP_PKEY *k = NULL;
		int r = policy_pubkey_parse((const uint8_t *)rows[i].pem, rows[i].len, &k, &d);

		if (r != rows[i].err || !strstr(d.msg, rows[i].msg))
			fail_msg("%s: %d \"%s\", want %d \"%s\"", rows[i].what, r, d.msg,
				 rows[i].err, rows[i].msg);
		if ((r == 0) != (k != NULL))
			fail_msg("%s: ret_key %s on %d", rows[i].what, k ? "set" : "unset", r);
		if (k) {
			char id[WARD_KEY_ID_STR_MAX];

			assert_int_equal(policy_key_id(k, id), 0);
			assert_string_equal(id, RFC_ID);
		}
		EVP_PKEY_free(k);
	}
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void test_key_files(void **state)
{
	_cleanup_pkey_ EVP_PKEY *k = rfc_key(), *k2 = NULL, *priv = NULL, *pub = NULL;
	char *dir = test_tmpdir();
	_cleanup_free_ char *key = path_in(dir, "issuer"), *keypub = path_in(dir, "issuer.pub"),
			    *key2 = path_in(dir, "second"), *key2pub = path_in(dir, "second.pub"),
			    *enc = path_in(dir, "enc"), *missing = path_in(dir, "missing"),
			    *sub = path_in(dir, "no/such/dir/key");
	char id[WARD_KEY_ID_STR_MAX], id2[WARD_KEY_ID_STR_MAX];
	struct ward_diag d = { { 0 } };
	uint8_t sig[WARD_ED25519_SIG_SIZE];
	mode_t old = umask(0);

	/* modes are exact whatever the umask: 0 would leave 0644 wide open if passed through,
	 * 0777 would leave nobody able to read */
	assert_int_equal(policy_key_save(k, key, &d), 0);
	assert_int_equal(mode_of(key), 0600);
	assert_int_equal(mode_of(keypub), 0644);
	umask(0777);
	assert_int_equal(policy_key_generate(&k2), 0);
	assert_int_equal(policy_key_save(k2, key2, &d), 0);
	umask(old);
	assert_int_equal(mode_of(key2), 0600);
	assert_int_equal(mode_of(key2pub), 0644);

	/* the files hold the key */
	assert_int_equal(policy_privkey_load(key, &priv, &d), 0);
	assert_int_equal(policy_pubkey_load(keypub, &pub, &d), 0);
	assert_int_equal(policy_key_id(priv, id), 0);
	assert_string_equal(id, RFC_ID);
	assert_int_equal(policy_key_id(pub, id), 0);
	assert_string_equal(id, RFC_ID);
	assert_int_equal(policy_sign_buf(priv, msg, sizeof(msg) - 1, sig), 0);
	assert_int_equal(policy_sig_check(pub, msg, sizeof(msg) - 1, sig, sizeof(sig)), 0);
	EVP_PKEY_free(TAKE_PTR(priv));
	EVP_PKEY_free(TAKE_PTR(pub));

	/* each load refuses the other half, and what is not there */
	assert_int_equal(policy_privkey_load(keypub, &priv, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, keypub));
	assert_null(priv);
	assert_int_equal(policy_pubkey_load(key, &pub, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, key));
	assert_null(pub);
	assert_int_equal(policy_privkey_load(missing, &priv, &d), -ENOENT);
	assert_int_equal(policy_pubkey_load(missing, &pub, &d), -ENOENT);

	/* an encrypted private key is refused, not prompted for */
	{
		FILE *f = fopen(enc, "w");

		assert_non_null(f);
		assert_true(PEM_write_PKCS8PrivateKey(f, k, EVP_aes_256_cbc(), "pw", 2, NULL,
						      NULL));
		fclose(f);
		assert_int_equal(policy_privkey_load(enc, &priv, &d), -EBADMSG);
		assert_null(priv);
	}

	/* never overwritten: KEY exists; KEY.pub exists (and KEY is not left behind) */
	assert_int_equal(policy_key_save(k2, key, &d), -EEXIST);
	assert_int_equal(policy_pubkey_load(keypub, &pub, &d), 0);
	assert_int_equal(policy_key_id(pub, id), 0);
	assert_string_equal(id, RFC_ID);
	EVP_PKEY_free(TAKE_PTR(pub));
	assert_int_equal(unlink(key2), 0);
	assert_int_equal(policy_key_save(k, key2, &d), -EEXIST);
	assert_non_null(strstr(d.msg, key2pub));
	assert_int_equal(access(key2, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(policy_key_save(k, sub, &d), -ENOENT);
	assert_int_equal(policy_key_save(k, "", &d), -EINVAL);

	/* replace: both halves are the new key, with the same modes */
	assert_int_equal(policy_key_id(k2, id2), 0);
	assert_int_equal(policy_key_replace(k2, key, &d), 0);
	assert_int_equal(mode_of(key), 0600);
	assert_int_equal(mode_of(keypub), 0644);
	assert_int_equal(policy_privkey_load(key, &priv, &d), 0);
	assert_int_equal(policy_pubkey_load(keypub, &pub, &d), 0);
	assert_int_equal(policy_key_id(priv, id), 0);
	assert_string_equal(id, id2);
	assert_int_equal(policy_key_id(pub, id), 0);
	assert_string_equal(id, id2);
	/* replace where nothing was: it creates */
	assert_int_equal(unlink(key2pub), 0);
	assert_int_equal(policy_key_replace(k, key2, &d), 0);
	assert_int_equal(mode_of(key2), 0600);
	/* a directory in the way is refused, not moved aside */
	assert_int_equal(unlink(key2pub), 0);
	assert_int_equal(mkdir(key2pub, 0755), 0);
	assert_int_equal(policy_key_replace(k, key2, &d), -EISDIR);
	{
		struct stat st;

		assert_int_equal(lstat(key2pub, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
	/* no temporary file stayed behind anywhere */
	{
		char *cmd;

		assert_true(asprintf(&cmd, "test $(ls -A '%s' | wc -l) -eq 5", dir) > 0);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_id_fixed),
		cmocka_unit_test(test_rfc8032_vector),
		cmocka_unit_test(test_round_trip_and_failures),
		cmocka_unit_test(test_pubkey_parse_table),
		cmocka_unit_test(test_key_files),
	};

	return cmocka_run_group_tests(tests, 0, NULL);
}
