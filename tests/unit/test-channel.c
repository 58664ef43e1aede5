/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attested channel: the frame codec (src/channel/proto.c) row by row, and libward-client
 * against a fake wardd: a TLS 1.3 server thread with a self-signed key made here, speaking the
 * protocol with real evidence from a soft state dir (state_quote_flags() + bundle_encode()).
 * The property that matters most is checked from the server's side: when the client refuses
 * the evidence, not one byte after the HELLO reaches the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "test-util.h"
#include "core/cleanup-ossl.h"
#include "ward/abi/quote.h"
#include "ward/channel.h"
#include "ward/client.h"
#include "ward/decision.h"
#include "ward/sandbox.h"
#include "ward/state.h"
#include "ward/verify.h"

/* ---- codec rows ---- */

static void test_hdr(void **state)
{
	static const struct {
		uint8_t hdr[8];
		enum ward_ch_type want;
		int ret;
		const char *msg;
	} rows[] = {
		{ { 1, 0, 0, 0, 0, 0, 0, 95 }, WARD_CH_HELLO, 0, NULL },
		{ { 1, 0, 0, 0, 0, 0, 0, 96 }, WARD_CH_HELLO, -EBADMSG, "HELLO frame of 96 bytes" },
		{ { 0, 0, 0, 0, 0, 0, 0, 1 }, 0, -EBADMSG, "unknown frame type 0" },
		{ { 6, 0, 0, 0, 0, 0, 0, 1 }, 0, -EBADMSG, "unknown frame type 6" },
		{ { 255, 0, 0, 0, 0, 0, 0, 0 }, 0, -EBADMSG, "unknown frame type 255" },
		{ { 2, 1, 0, 0, 0, 0, 0, 1 }, 0, -EBADMSG, "non-zero reserved" },
		{ { 2, 0, 0, 1, 0, 0, 0, 1 }, 0, -EBADMSG, "non-zero reserved" },
		{ { 2, 0, 0, 0, 0x04, 0, 0, 0 }, WARD_CH_EVIDENCE, 0, NULL }, /* 64 MiB exactly */
		{ { 2, 0, 0, 0, 0x04, 0, 0, 1 }, WARD_CH_EVIDENCE, -EBADMSG, "at most 67108864" },
		{ { 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, 0, -EBADMSG, "EVIDENCE frame of 4294967295" },
		{ { 5, 0, 0, 0, 0, 0, 0, 4 }, WARD_CH_EVIDENCE, 0, NULL }, /* ERROR stands for it */
		{ { 5, 0, 0, 0, 0, 0, 1, 3 }, WARD_CH_RESULT, 0, NULL },   /* 259 */
		{ { 5, 0, 0, 0, 0, 0, 1, 4 }, WARD_CH_RESULT, -EBADMSG, "ERROR frame of 260" },
		{ { 4, 0, 0, 0, 0, 0, 1, 25 }, WARD_CH_RESULT, 0, NULL }, /* 26 + 255 */
		{ { 4, 0, 0, 0, 0, 0, 1, 26 }, WARD_CH_RESULT, -EBADMSG, "RESULT frame of 282" },
		{ { 3, 0, 0, 0, 0, 0, 0, 8 }, WARD_CH_REQUEST, 0, NULL },
		{ { 3, 0, 0, 0, 0, 0, 0, 9 }, WARD_CH_REQUEST, -EBADMSG, "REQUEST frame of 9" },
		{ { 4, 0, 0, 0, 0, 0, 0, 26 }, WARD_CH_EVIDENCE, -EBADMSG, "RESULT frame where "
									   "EVIDENCE was due" },
		{ { 5, 0, 0, 0, 0, 0, 0, 4 }, WARD_CH_REQUEST, -EBADMSG, "ERROR frame where REQUEST" },
		{ { 5, 0, 0, 0, 0, 0, 0, 4 }, WARD_CH_HELLO, -EBADMSG, "ERROR frame where HELLO" },
		{ { 2, 0, 0, 0, 0, 0, 0, 4 }, WARD_CH_RESULT, -EBADMSG, "EVIDENCE frame where RESULT" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct ward_diag d = { { 0 } };
		enum ward_ch_type t = 99;
		uint32_t len = 99;
		int r = ch_hdr_decode(rows[i].hdr, rows[i].want, &t, &len, &d);

		if (r != rows[i].ret)
			fail_msg("row %zu: %d, want %d (%s)", i, r, rows[i].ret, d.msg);
		if (r == 0) {
			assert_int_equal(t, rows[i].hdr[0]);
			assert_int_equal(len, get_be32(rows[i].hdr + 4));
		} else {
			/* nothing written on failure */
			assert_int_equal(t, 99);
			assert_int_equal(len, 99);
			if (!strstr(d.msg, rows[i].msg))
				fail_msg("row %zu: '%s' lacks '%s'", i, d.msg, rows[i].msg);
		}
	}
	assert_int_equal(ch_payload_max(0), 0);
	assert_int_equal(ch_payload_max(6), 0);
	/* encode: the decoder's inverse */
	{
		uint8_t h[8];
		enum ward_ch_type t;
		uint32_t len;

		ch_hdr_encode(h, WARD_CH_EVIDENCE, 0x01020304);
		assert_memory_equal(h, ((uint8_t[]){ 2, 0, 0, 0, 1, 2, 3, 4 }), 8);
		assert_int_equal(ch_hdr_decode(h, 0, &t, &len, NULL), 0);
		assert_int_equal(t, WARD_CH_EVIDENCE);
		assert_int_equal(len, 0x01020304);
	}
}

static void hello_bytes(struct buf *b, size_t nonce_len, const char *name)
{
	struct ward_ch_hello h = { .nonce_len = nonce_len };

	memset(h.nonce, 0x5a, sizeof(h.nonce));
	snprintf(h.service, sizeof(h.service), "%s", name);
	assert_int_equal(ch_hello_encode(&h, b), 0);
}

static void test_hello(void **state)
{
	struct buf b = { 0 };
	struct ward_ch_hello h;
	struct ward_diag d = { { 0 } };

	(void)state;
	/* round trip at both nonce bounds and the longest name */
	for (size_t nl = WARD_CH_NONCE_MIN; nl <= WARD_CH_NONCE_MAX; nl += 48) {
		const char *name = "a23456789012345678901234567";

		b.len = 0;
		hello_bytes(&b, nl, name);
		assert_int_equal(b.len, 2 + 1 + nl + 1 + 27);
		memset(&h, 0xee, sizeof(h));
		assert_int_equal(ch_hello_decode(b.data, b.len, &h, &d), 0);
		assert_int_equal(h.nonce_len, nl);
		assert_string_equal(h.service, name);
		for (size_t i = 0; i < nl; i++)
			assert_int_equal(h.nonce[i], 0x5a);
	}
	assert_int_equal(b.len, ch_payload_max(WARD_CH_HELLO)); /* the largest HELLO fits */

	/* every truncation, and a trailing byte, refused */
	b.len = 0;
	hello_bytes(&b, 16, "upper");
	for (size_t n = 0; n < b.len; n++) {
		memset(&h, 0xee, sizeof(h));
		if (ch_hello_decode(b.data, n, &h, &d) != -EBADMSG)
			fail_msg("HELLO of %zu of %zu bytes accepted", n, b.len);
		assert_int_equal(((uint8_t *)&h)[0], 0xee);
	}
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(ch_hello_decode(b.data, b.len, &h, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "its fields make"));
	b.len--;

	/* version */
	b.data[1] = 2;
	assert_int_equal(ch_hello_decode(b.data, b.len, &h, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "HELLO version 2"));
	b.data[1] = 1;
	b.data[0] = 1;
	assert_int_equal(ch_hello_decode(b.data, b.len, &h, &d), -EBADMSG);
	b.data[0] = 0;
	assert_int_equal(ch_hello_decode(b.data, b.len, &h, &d), 0);

	/* nonce bounds on the wire */
	{
		static const uint8_t n15[] = { 0, 1, 15 };
		uint8_t n65[3 + 65 + 2] = { 0, 1, 65 };

		assert_int_equal(ch_hello_decode(n15, sizeof(n15), &h, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "a nonce of 15 bytes"));
		n65[3 + 65] = 1;
		n65[3 + 65 + 1] = 'a';
		assert_int_equal(ch_hello_decode(n65, sizeof(n65), &h, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "a nonce of 65 bytes"));
	}

	/* names on the wire: empty, upper case, leading punctuation, slash, NUL, 28 bytes */
	{
		static const char *const bad[] = { "", "Upper", "-x", ".x", "a/b", "a b", "a\xff" };

		for (size_t i = 0; i < ARRAY_SIZE(bad) + 2; i++) {
			struct buf w = { 0 };
			uint8_t pre[3 + 16] = { 0, 1, 16 };
			char name[32];
			size_t nl;

			if (i < ARRAY_SIZE(bad)) {
				nl = strlen(bad[i]);
				memcpy(name, bad[i], nl);
			} else if (i == ARRAY_SIZE(bad)) {
				memcpy(name, "a\0b", 3); /* a NUL inside */
				nl = 3;
			} else {
				memset(name, 'a', 28);
				nl = 28;
			}
			assert_int_equal(buf_append(&w, pre, sizeof(pre)), 0);
			assert_int_equal(buf_append(&w, &(uint8_t){ (uint8_t)nl }, 1), 0);
			assert_int_equal(buf_append(&w, name, nl), 0);
			if (ch_hello_decode(w.data, w.len, &h, &d) != -EBADMSG)
				fail_msg("bad name row %zu accepted", i);
			buf_free(&w);
		}
	}

	/* the encoder refuses what the decoder would */
	{
		struct ward_ch_hello e = { .nonce_len = 15, .service = "upper" };
		struct buf w = { 0 };

		assert_int_equal(ch_hello_encode(&e, &w), -EINVAL);
		e.nonce_len = 65;
		assert_int_equal(ch_hello_encode(&e, &w), -EINVAL);
		e.nonce_len = 16;
		snprintf(e.service, sizeof(e.service), "Upper");
		assert_int_equal(ch_hello_encode(&e, &w), -EINVAL);
		e.service[0] = '\0';
		assert_int_equal(ch_hello_encode(&e, &w), -EINVAL);
		assert_int_equal(w.len, 0);
		buf_free(&w);
	}
	buf_free(&b);
}

static void test_request(void **state)
{
	uint8_t p[9];
	uint64_t v = 7;
	struct ward_diag d = { { 0 } };

	(void)state;
	ch_request_encode(p, 0x0102030405060708ull);
	assert_memory_equal(p, ((uint8_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 }), 8);
	assert_int_equal(ch_request_decode(p, 8, &v, &d), 0);
	assert_true(v == 0x0102030405060708ull);
	v = 7;
	assert_int_equal(ch_request_decode(p, 7, &v, &d), -EBADMSG);
	assert_int_equal(ch_request_decode(p, 9, &v, &d), -EBADMSG);
	assert_int_equal(ch_request_decode(p, 0, &v, &d), -EBADMSG);
	assert_true(v == 7);
}

static void test_result(void **state)
{
	struct ward_ch_result r = { .status = WARD_SANDBOX_FAILED, .exit_status = -3,
				    .output_len = 1ull << 40, .stderr_len = 17, .msg = "exit 3" };
	struct ward_ch_result back;
	struct ward_diag d = { { 0 } };
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(ch_result_encode(WARD_CH_RESULT, &r, &b), 0);
	assert_int_equal(b.len, 26 + 6);
	assert_int_equal(ch_result_decode(WARD_CH_RESULT, b.data, b.len, &back, &d), 0);
	assert_int_equal(back.status, r.status);
	assert_int_equal(back.exit_status, -3);
	assert_true(back.output_len == 1ull << 40);
	assert_true(back.stderr_len == 17);
	assert_string_equal(back.msg, "exit 3");
	for (size_t n = 0; n < b.len; n++) {
		memset(&back, 0xee, sizeof(back));
		if (ch_result_decode(WARD_CH_RESULT, b.data, n, &back, &d) != -EBADMSG)
			fail_msg("RESULT of %zu of %zu bytes accepted", n, b.len);
		assert_int_equal(back.status, 0xeeeeeeeeu);
	}
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(ch_result_decode(WARD_CH_RESULT, b.data, b.len, &back, &d), -EBADMSG);
	b.len--;
	b.data[26] = '\n'; /* a control byte in the message */
	assert_int_equal(ch_result_decode(WARD_CH_RESULT, b.data, b.len, &back, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "control byte"));
	/* a RESULT is not an ERROR, nor the reverse */
	assert_int_equal(ch_result_decode(WARD_CH_REQUEST, b.data, b.len, &back, &d), -EBADMSG);
	buf_free(&b);

	/* the longest message; a message length over 255 */
	memset(r.msg, 'm', WARD_CH_MSG_MAX);
	r.msg[WARD_CH_MSG_MAX] = '\0';
	assert_int_equal(ch_result_encode(WARD_CH_RESULT, &r, &b), 0);
	assert_int_equal(b.len, ch_payload_max(WARD_CH_RESULT));
	assert_int_equal(ch_result_decode(WARD_CH_RESULT, b.data, b.len, &back, &d), 0);
	assert_int_equal(strlen(back.msg), WARD_CH_MSG_MAX);
	put_be16(b.data + 24, 256);
	assert_int_equal(buf_append(&b, "m", 1), 0);
	assert_int_equal(ch_result_decode(WARD_CH_RESULT, b.data, b.len, &back, &d), -EBADMSG);
	buf_free(&b);

	/* ERROR: status and message only */
	{
		struct ward_ch_result e = { .status = WARD_SANDBOX_POLICY_CHANGED,
					    .exit_status = 5, .output_len = 9,
					    .msg = "policy-changed" };

		assert_int_equal(ch_result_encode(WARD_CH_ERROR, &e, &b), 0);
		assert_int_equal(b.len, 4 + 14);
		memset(&back, 0xee, sizeof(back));
		assert_int_equal(ch_result_decode(WARD_CH_ERROR, b.data, b.len, &back, &d), 0);
		assert_int_equal(back.status, WARD_SANDBOX_POLICY_CHANGED);
		assert_int_equal(back.exit_status, -1);
		assert_true(back.output_len == 0 && back.stderr_len == 0);
		assert_string_equal(back.msg, "policy-changed");
		for (size_t n = 0; n < 4; n++)
			assert_int_equal(ch_result_decode(WARD_CH_ERROR, b.data, n, &back, &d),
					 -EBADMSG);
		/* an empty message is fine */
		assert_int_equal(ch_result_decode(WARD_CH_ERROR, b.data, 4, &back, &d), 0);
		assert_string_equal(back.msg, "");
		buf_free(&b);
		{
			uint8_t big[4 + 256];

			memset(big, 'a', sizeof(big));
			assert_int_equal(ch_result_decode(WARD_CH_ERROR, big, sizeof(big), &back,
							  &d), -EBADMSG);
			assert_int_equal(ch_result_decode(WARD_CH_ERROR, big, sizeof(big) - 1,
							  &back, &d), 0);
			big[10] = 0x7f;
			assert_int_equal(ch_result_decode(WARD_CH_ERROR, big, 20, &back, &d),
					 -EBADMSG);
		}
	}
}

static void test_binding_nonce(void **state)
{
	uint8_t n[32], x[32], k[32], out[64], out2[64], want[64];

	(void)state;
	for (int i = 0; i < 32; i++) {
		n[i] = (uint8_t)i;
		x[i] = (uint8_t)(0x40 + i);
		k[i] = (uint8_t)(0x80 + i);
	}
	/*
	 * Computed independently:
	 * python3 -c "import hashlib; n=bytes(range(32)); x=bytes(0x40+i for i in range(32));
	 *   k=bytes(0x80+i for i in range(32)); s=b'upper';
	 *   print(hashlib.sha512(b'ward channel v1\x00'+bytes([len(n)])+n+x+k+bytes([len(s)])+s)
	 *   .hexdigest())"
	 */
	test_hex("e4b09472173c7b7c0e2df29cd96eac531a613abc700c0964c3072827678a4872"
		 "852c5b36b053c7cdebab0ca827eece447e8d4f2ef20cd73afd1dada7675a3c9b",
		 want, 64);
	ch_binding_nonce(n, 32, x, k, "upper", out);
	assert_memory_equal(out, want, 64);
	/* ... with n = 16 x 0xaa and service "a" */
	test_hex("17afe668fd2d810047a033c1f29de45d174e513ee86fa5cf212621526c14fd91"
		 "0ac964596fa148d6ced619f3a3c5be74d39d122d80308f6552b5546d43a371c2",
		 want, 64);
	memset(n, 0xaa, 16);
	ch_binding_nonce(n, 16, x, k, "a", out);
	assert_memory_equal(out, want, 64);
	/* every input matters */
	for (int which = 0; which < 4; which++) {
		uint8_t n2[16], x2[32], k2[32];

		memcpy(n2, n, 16);
		memcpy(x2, x, 32);
		memcpy(k2, k, 32);
		if (which == 0)
			n2[15] ^= 1;
		if (which == 1)
			x2[0] ^= 1;
		if (which == 2)
			k2[31] ^= 1;
		ch_binding_nonce(n2, which == 3 ? 15 : 16, x2, k2, "a", out2);
		assert_memory_not_equal(out, out2, 64);
	}
	ch_binding_nonce(n, 16, x, k, "b", out2);
	assert_memory_not_equal(out, out2, 64);
}

/* The client's status names are sandbox_status_name()'s (it cannot link that table). */
static void test_status_names(void **state)
{
	(void)state;
	for (uint32_t s = 0; s <= __WARD_SANDBOX_STATUS_MAX; s++)
		assert_string_equal(ward_client_status_name(s), sandbox_status_name(s));
	assert_string_equal(ward_client_status_name(1000), "unknown");
}

/* ---- the client against a fake server ---- */

#define SERVICE "upper"

enum mode {
	GOOD,		  /* evidence over the right N; echoes the input upper-cased */
	WRONG_NONCE,	  /* a statement over another client nonce (a replay) */
	WRONG_EXPORTER,	  /* ... over another connection's exporter (a relay) */
	WRONG_KEY,	  /* ... over another server key (a MITM's) */
	NO_CHANNEL_FLAG,  /* `ward evidence` output: the statement lacks CHANNEL */
	ERROR_AT_HELLO,	  /* ERROR instead of EVIDENCE */
	ERROR_AT_REQUEST, /* ERROR instead of RESULT */
	FAILED,		  /* RESULT failed, exit 3, with stderr */
	TRUNC_EVIDENCE,	  /* the EVIDENCE frame's payload cut short, then close */
	OVERSIZED_EVIDENCE, /* a header announcing 64 MiB + 1 */
	GARBAGE_EVIDENCE,   /* a well-framed payload that is not a bundle */
	BAD_HEADER,	  /* reserved bytes set */
	TRUNC_OUTPUT,	  /* RESULT announces 100 output bytes, 50 come, then close */
	HUGE_OUTPUT,	  /* RESULT announces 1 MiB + 1 of output */
	RESULT_WITH_OUTPUT_ON_FAILURE, /* status failed yet output bytes */
	EARLY_ERROR,	  /* ERROR input-too-large right after the REQUEST, input drained */
};

struct server {
	int lfd;
	uint16_t port;
	SSL_CTX *ctx;
	EVP_PKEY *other_key; /* WRONG_KEY */
	struct ward_state *st;
	enum mode mode;
	/* what it saw */
	bool hello_ok;
	char service[WARD_SERVICE_NAME_MAX];
	size_t after_evidence; /* bytes received after the EVIDENCE was sent */
	uint8_t input[4096];
	size_t input_len;
	uint64_t announced;
	char err[600];
};

struct fixture {
	char *dir;
	struct ward_state *st;
	EVP_PKEY *key;	     /* the soft attester's public key */
	EVP_PKEY *tls_key;   /* the fake server's */
	X509 *cert;
	uint8_t manifest[32];
	struct server srv;
};

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static X509 *self_signed(EVP_PKEY *k)
{
	X509 *c = X509_new();
	X509_NAME *n;

	assert_non_null(c);
	assert_int_equal(X509_set_version(c, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	assert_int_equal(X509_set_pubkey(c, k), 1);
	n = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"wardd", -1, -1,
				   0);
	X509_set_issuer_name(c, n);
	assert_true(X509_sign(c, k, EVP_sha256()) > 0);
	return c;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ward_diag d = { { 0 } };
	struct ward_service_event ev = { .service = SERVICE, .domain = "svc:" SERVICE,
					 .mode = "enforce" };
	struct ward_evlog_record rec = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char *pem = NULL;

	f->dir = test_tmpdir();
	if (state_open(f->dir, "soft", WARD_STATE_ATTESTER, &f->st, &d) != 0)
		fail_msg("state_open: %s", d.msg);
	assert_int_equal(attest_pubkey_pem(f->st->att, &pem, &d), 0);
	assert_int_equal(verify_load_pubkey_pem((uint8_t *)pem, strlen(pem), &f->key, &d), 0);
	free(pem);
	/* The service as wardd registers it: an older registration of another manifest, then
	 * the current one (the client holds the latest to --manifest-digest). */
	memset(ev.manifest_digest, 0x11, 32);
	assert_int_equal(service_event_record_new(10, &ev, &rec), 0);
	assert_int_equal(state_append(f->st, &rec, 1, &d), 0);
	memset(f->manifest, 0x22, 32);
	memcpy(ev.manifest_digest, f->manifest, 32);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(service_event_record_new(10, &ev, &rec), 0);
	assert_int_equal(state_append(f->st, &rec, 1, &d), 0);

	f->tls_key = ec_key();
	f->cert = self_signed(f->tls_key);
	f->srv.ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(f->srv.ctx);
	SSL_CTX_set_min_proto_version(f->srv.ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(f->srv.ctx, SSL_OP_NO_TICKET);
	assert_int_equal(SSL_CTX_use_certificate(f->srv.ctx, f->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(f->srv.ctx, f->tls_key), 1);
	f->srv.other_key = ec_key();
	f->srv.st = f->st;
	f->srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->srv.lfd >= 0);
	assert_int_equal(bind(f->srv.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->srv.lfd, 4), 0);
	assert_int_equal(getsockname(f->srv.lfd, (struct sockaddr *)&sa, &sl), 0);
	f->srv.port = ntohs(sa.sin_port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->srv.lfd);
	SSL_CTX_free(f->srv.ctx);
	EVP_PKEY_free(f->srv.other_key);
	X509_free(f->cert);
	EVP_PKEY_free(f->tls_key);
	EVP_PKEY_free(f->key);
	state_close(f->st);
	test_rmtree(f->dir);
	free(f);
	return 0;
}

static int srv_read(SSL *ssl, void *p, size_t n)
{
	size_t got;

	while (n) {
		if (SSL_read_ex(ssl, p, n, &got) != 1)
			return -1;
		p = (uint8_t *)p + got;
		n -= got;
	}
	return 0;
}

static int srv_write(SSL *ssl, const void *p, size_t n)
{
	size_t put;

	return n == 0 || SSL_write_ex(ssl, p, n, &put) == 1 ? 0 : -1;
}

static int srv_frame(SSL *ssl, enum ward_ch_type t, const void *p, size_t n)
{
	uint8_t h[8];

	ch_hdr_encode(h, t, (uint32_t)n);
	return srv_write(ssl, h, 8) < 0 ? -1 : srv_write(ssl, p, n);
}

static void srv_result(SSL *ssl, enum ward_ch_type t, uint32_t status, int32_t exit_status,
		       const void *out, uint64_t out_len, const void *err, uint64_t err_len,
		       const char *msg)
{
	struct ward_ch_result r = { .status = status, .exit_status = exit_status,
				    .output_len = out_len, .stderr_len = err_len };
	struct buf b = { 0 };

	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	assert_int_equal(ch_result_encode(t, &r, &b), 0);
	(void)srv_frame(ssl, t, b.data, b.len);
	buf_free(&b);
}

static void spki_sha256(EVP_PKEY *k, uint8_t out[32])
{
	uint8_t *der = NULL;
	int n = i2d_PUBKEY(k, &der);

	assert_true(n > 0);
	hash_buf(WARD_HASH_SHA256, der, (size_t)n, out);
	OPENSSL_free(der);
}

/* Counts what arrives until the client closes: it must be nothing after a refusal. */
static size_t drain(SSL *ssl)
{
	uint8_t b[4096];
	size_t got, total = 0;

	while (SSL_read_ex(ssl, b, sizeof(b), &got) == 1)
		total += got;
	return total;
}

static void serve(struct server *s, SSL *ssl)
{
	uint8_t hdr[8], hp[128], x[32], k[32], n[64];
	struct ward_ch_hello h;
	struct ward_quote_msg msg;
	struct ward_quote q = { 0 };
	struct ward_diag d = { { 0 } };
	enum ward_ch_type t;
	uint32_t len;
	char *json = NULL;

	if (SSL_accept(ssl) != 1) {
		snprintf(s->err, sizeof(s->err), "accept failed");
		return;
	}
	if (srv_read(ssl, hdr, 8) < 0 || ch_hdr_decode(hdr, WARD_CH_HELLO, &t, &len, &d) < 0 ||
	    srv_read(ssl, hp, len) < 0 || ch_hello_decode(hp, len, &h, &d) < 0) {
		snprintf(s->err, sizeof(s->err), "HELLO: %s", d.msg);
		return;
	}
	s->hello_ok = true;
	snprintf(s->service, sizeof(s->service), "%s", h.service);
	switch (s->mode) {
	case ERROR_AT_HELLO:
		srv_result(ssl, WARD_CH_ERROR, WARD_SANDBOX_UNAVAILABLE, 0, NULL, 0, NULL, 0,
			   "quote rate exceeded");
		return;
	case TRUNC_EVIDENCE:
		ch_hdr_encode(hdr, WARD_CH_EVIDENCE, 1000);
		(void)srv_write(ssl, hdr, 8);
		(void)srv_write(ssl, "{\"ward_evidence\":", 17);
		return;
	case OVERSIZED_EVIDENCE:
		ch_hdr_encode(hdr, WARD_CH_EVIDENCE, WARD_CH_EVIDENCE_MAX + 1);
		(void)srv_write(ssl, hdr, 8);
		s->after_evidence = drain(ssl);
		return;
	case BAD_HEADER:
		ch_hdr_encode(hdr, WARD_CH_EVIDENCE, 2);
		hdr[2] = 1;
		(void)srv_write(ssl, hdr, 8);
		(void)srv_write(ssl, "{}", 2);
		s->after_evidence = drain(ssl);
		return;
	case GARBAGE_EVIDENCE:
		(void)srv_frame(ssl, WARD_CH_EVIDENCE, "[1,2,3]", 7);
		s->after_evidence = drain(ssl);
		return;
	default:
		break;
	}
	assert_int_equal(SSL_export_keying_material(ssl, x, 32, WARD_CH_EXPORTER_LABEL,
						    strlen(WARD_CH_EXPORTER_LABEL), NULL, 0, 0),
			 1);
	spki_sha256(s->mode == WRONG_KEY ? s->other_key : SSL_get_privatekey(ssl), k);
	if (s->mode == WRONG_NONCE)
		h.nonce[0] ^= 1;
	if (s->mode == WRONG_EXPORTER)
		x[5] ^= 1;
	ch_binding_nonce(h.nonce, h.nonce_len, x, k, h.service, n);
	if (state_quote_flags(s->st, n, sizeof(n), 0,
			      s->mode == NO_CHANNEL_FLAG ? 0 : WARD_QUOTE_CHANNEL, &msg, &q,
			      &d) < 0 ||
	    bundle_encode(&q, evlog_store_log(s->st->log), 0, &json) < 0) {
		snprintf(s->err, sizeof(s->err), "quote: %s", d.msg);
		attest_quote_clear(&q);
		return;
	}
	attest_quote_clear(&q);
	(void)srv_frame(ssl, WARD_CH_EVIDENCE, json, strlen(json));
	free(json);
	if (s->mode == WRONG_NONCE || s->mode == WRONG_EXPORTER || s->mode == WRONG_KEY ||
	    s->mode == NO_CHANNEL_FLAG) {
		s->after_evidence = drain(ssl);
		return;
	}
	/* A client that refuses (another service, another manifest) sends nothing: the REQUEST
	 * read fails and after_evidence stays 0. */
	if (srv_read(ssl, hdr, 8) < 0)
		return;
	s->after_evidence += 8;
	if (ch_hdr_decode(hdr, WARD_CH_REQUEST, &t, &len, &d) < 0 || srv_read(ssl, hp, len) < 0 ||
	    ch_request_decode(hp, len, &s->announced, &d) < 0) {
		snprintf(s->err, sizeof(s->err), "REQUEST: %s", d.msg);
		return;
	}
	s->after_evidence += len;
	if (s->mode == EARLY_ERROR) {
		srv_result(ssl, WARD_CH_ERROR, WARD_SANDBOX_INPUT_TOO_LARGE, 0, NULL, 0, NULL, 0,
			   "the input is larger than max_input_bytes");
		s->after_evidence += drain(ssl);
		return;
	}
	if (s->announced > sizeof(s->input) || srv_read(ssl, s->input, s->announced) < 0) {
		snprintf(s->err, sizeof(s->err), "input of %llu", (unsigned long long)s->announced);
		return;
	}
	s->input_len = s->announced;
	s->after_evidence += s->input_len;
	switch (s->mode) {
	case GOOD: {
		uint8_t out[4096];

		for (size_t i = 0; i < s->input_len; i++)
			out[i] = (uint8_t)((s->input[i] >= 'a' && s->input[i] <= 'z')
						   ? s->input[i] - 32
						   : s->input[i]);
		srv_result(ssl, WARD_CH_RESULT, WARD_SANDBOX_OK, 0, NULL, s->input_len, "note\n",
			   5, "");
		(void)srv_write(ssl, out, s->input_len);
		(void)srv_write(ssl, "note\n", 5);
		break;
	}
	case ERROR_AT_REQUEST:
		srv_result(ssl, WARD_CH_ERROR, WARD_SANDBOX_POLICY_CHANGED, 0, NULL, 0, NULL, 0,
			   "the installed policy changed");
		break;
	case FAILED:
		srv_result(ssl, WARD_CH_RESULT, WARD_SANDBOX_FAILED, 3, NULL, 0, "boom\n", 5,
			   "exit status 3");
		(void)srv_write(ssl, "boom\n", 5);
		break;
	case TRUNC_OUTPUT:
		srv_result(ssl, WARD_CH_RESULT, WARD_SANDBOX_OK, 0, NULL, 100, NULL, 0, "");
		(void)srv_write(ssl, s->input, 50 < s->input_len ? 50 : s->input_len);
		break;
	case HUGE_OUTPUT:
		srv_result(ssl, WARD_CH_RESULT, WARD_SANDBOX_OK, 0, NULL, (1u << 20) + 1, NULL, 0,
			   "");
		break;
	case RESULT_WITH_OUTPUT_ON_FAILURE:
		srv_result(ssl, WARD_CH_RESULT, WARD_SANDBOX_FAILED, 1, NULL, 4, NULL, 0, "");
		(void)srv_write(ssl, "LEAK", 4);
		break;
	default:
		break;
	}
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct timeval tv = { 20, 0 }; /* only so that a broken client cannot hang the test */
	sigset_t pipe_set;
	int fd;
	SSL *ssl;

	/* The fake server writes to clients that hang up; SIGPIPE is the client library's to
	 * handle, in its own thread (test_call_sigpipe), not this one's. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0) {
		snprintf(s->err, sizeof(s->err), "accept: %s", strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ssl = SSL_new(s->ctx);
	SSL_set_fd(ssl, fd);
	serve(s, ssl);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	ERR_clear_error();
	return NULL;
}

struct run {
	int r;
	struct ward_client_result res;
	struct ward_diag d;
	char out[4096];
	size_t out_len;
	char err[4096];
	size_t err_len;
};

static int mem_fd(const char *name, const void *p, size_t n)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (n)
		assert_int_equal(write_all(fd, p, n), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int pipe_fd(const void *p, size_t n)
{
	int fds[2];

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	if (n)
		assert_int_equal(write_all(fds[1], p, n), 0);
	close(fds[1]);
	return fds[0];
}

/* One call against the server in @mode; @in_fd is consumed. */
static void run_call(struct fixture *f, enum mode mode, const char *service,
		     struct ward_client_opts *o, int in_fd, struct run *ret)
{
	pthread_t th;
	char port[8];
	int out = mem_fd("out", NULL, 0), err = mem_fd("err", NULL, 0);
	ssize_t k;

	memset(&f->srv.hello_ok, 0, sizeof(*&f->srv) - offsetof(struct server, hello_ok));
	f->srv.mode = mode;
	memset(ret, 0, sizeof(*ret));
	assert_int_equal(pthread_create(&th, NULL, server_main, &f->srv), 0);
	snprintf(port, sizeof(port), "%u", f->srv.port);
	ret->r = ward_client_call(o, "127.0.0.1", port, service, in_fd, out, err, &ret->res,
				  &ret->d);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(in_fd);
	k = pread(out, ret->out, sizeof(ret->out), 0);
	assert_true(k >= 0);
	ret->out_len = (size_t)k;
	k = pread(err, ret->err, sizeof(ret->err), 0);
	assert_true(k >= 0);
	ret->err_len = (size_t)k;
	close(out);
	close(err);
}

static struct ward_client_opts pinned(struct fixture *f)
{
	return (struct ward_client_opts){ .soft_keys = &f->key, .n_soft_keys = 1 };
}

static bool has_reason(const struct ward_client_result *r, const char *s)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (strstr(r->reasons[i], s))
			return true;
	return false;
}

/* (a) evidence that holds: the input goes, the result comes back whole. */
static void test_call_good(void **state)
{
	struct fixture *f = *state;
	struct ward_client_opts o = pinned(f);
	struct run r;

	o.manifest_digest = f->manifest;
	run_call(f, GOOD, SERVICE, &o, pipe_fd("hello world", 11), &r);
	if (r.r != 0)
		fail_msg("call: %d %s (server: %s)", r.r, r.d.msg, f->srv.err);
	assert_true(r.res.evidence);
	assert_true(r.res.trusted);
	assert_int_equal(r.res.n_reasons, 0);
	assert_string_equal(r.res.attester, "soft");
	assert_string_equal(r.res.root, "soft");
	assert_false(r.res.hardware_rooted);
	assert_true(r.res.input_sent);
	assert_true(r.res.answered);
	assert_false(r.res.error_frame);
	assert_int_equal(r.res.status, WARD_SANDBOX_OK);
	assert_true(r.res.input_bytes == 11 && r.res.output_bytes == 11 && r.res.stderr_bytes == 5);
	assert_string_equal(f->srv.service, SERVICE);
	assert_int_equal(f->srv.input_len, 11);
	assert_memory_equal(f->srv.input, "hello world", 11);
	assert_int_equal(r.out_len, 11);
	assert_memory_equal(r.out, "HELLO WORLD", 11);
	assert_int_equal(r.err_len, 5);
	assert_memory_equal(r.err, "note\n", 5);
	ward_client_result_clear(&r.res);

	/* a regular file is streamed from its offset; an empty input is a request too */
	{
		int fd = mem_fd("in", "skip:abc", 8);

		assert_int_equal(lseek(fd, 5, SEEK_SET), 5);
		run_call(f, GOOD, SERVICE, &o, fd, &r);
		assert_int_equal(r.r, 0);
		assert_true(r.res.trusted);
		assert_true(f->srv.announced == 3);
		assert_memory_equal(r.out, "ABC", 3);
		assert_int_equal(r.out_len, 3);
		ward_client_result_clear(&r.res);
	}
	run_call(f, GOOD, SERVICE, &o, pipe_fd(NULL, 0), &r);
	assert_int_equal(r.r, 0);
	assert_true(r.res.answered && r.res.status == WARD_SANDBOX_OK);
	assert_true(f->srv.announced == 0);
	assert_int_equal(r.out_len, 0);
	ward_client_result_clear(&r.res);

	/* Two soft keys pinned, the server's among them (several wardd behind one proxy). */
	{
		EVP_PKEY *keys[2] = { f->srv.other_key, f->key };
		struct ward_client_opts o2 = { .soft_keys = keys, .n_soft_keys = 2 };

		/* other_key is EC, not a soft (Ed25519) key: load a real second one */
		EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

		assert_non_null(ed);
		keys[0] = ed;
		run_call(f, GOOD, SERVICE, &o2, pipe_fd("x", 1), &r);
		assert_int_equal(r.r, 0);
		assert_true(r.res.trusted);
		assert_memory_equal(r.out, "X", 1);
		ward_client_result_clear(&r.res);
		EVP_PKEY_free(ed);
	}
}

/* The refusals: the server must see nothing after its EVIDENCE. */
static void expect_refused(struct fixture *f, enum mode mode, const char *service,
			   struct ward_client_opts *o, const char *reason)
{
	struct run r;

	run_call(f, mode, service, o, pipe_fd("secret input", 12), &r);
	if (r.r != 0)
		fail_msg("mode %d: %d %s (server: %s)", mode, r.r, r.d.msg, f->srv.err);
	assert_true(f->srv.hello_ok);
	assert_false(r.res.trusted);
	assert_false(r.res.input_sent);
	assert_false(r.res.answered);
	assert_int_equal(f->srv.after_evidence, 0);
	assert_int_equal(f->srv.input_len, 0);
	assert_int_equal(r.out_len, 0);
	assert_int_equal(r.err_len, 0);
	if (!has_reason(&r.res, reason)) {
		for (size_t i = 0; i < r.res.n_reasons; i++)
			print_error("  reason: %s\n", r.res.reasons[i]);
		fail_msg("mode %d: no reason with '%s'", mode, reason);
	}
	ward_client_result_clear(&r.res);
}

/* (b) evidence for another nonce, exporter or key, or not a channel statement. */
static void test_call_refused(void **state)
{
	struct fixture *f = *state;
	struct ward_client_opts o = pinned(f);
	uint8_t other[32];

	expect_refused(f, WRONG_NONCE, SERVICE, &o, "the evidence is not bound to this connection");
	expect_refused(f, WRONG_EXPORTER, SERVICE, &o, "the evidence is not bound to this connection");
	expect_refused(f, WRONG_KEY, SERVICE, &o, "the evidence is not bound to this connection");
	expect_refused(f, NO_CHANNEL_FLAG, SERVICE, &o, "not made for the attested channel");
	/* the right evidence, but for requirements it does not meet */
	expect_refused(f, GOOD, "other", &o, "registers no service 'other'");
	/* The service's older registration: verify_evidence() alone takes a digest any record
	 * names; the client holds the registration in force to it. */
	memset(other, 0x11, 32);
	o.manifest_digest = other;
	expect_refused(f, GOOD, SERVICE, &o,
		       "is registered (record 1) with manifest sha256:2222");
	o.manifest_digest = NULL;
	o.check_min_version = true;
	o.min_policy_version = 1;
	expect_refused(f, GOOD, SERVICE, &o, "service 'upper' ran enforce, without a policy");
	/* no key pinned: soft evidence is never trusted */
	{
		struct ward_client_opts none = { 0 };

		expect_refused(f, GOOD, SERVICE, &none, "--soft-key");
	}
	/* a well-framed EVIDENCE that is no bundle is refused the same way */
	{
		struct run r;

		run_call(f, GARBAGE_EVIDENCE, SERVICE, &o, pipe_fd("secret", 6), &r);
		assert_int_equal(r.r, 0);
		assert_false(r.res.evidence);
		assert_false(r.res.trusted);
		assert_false(r.res.input_sent);
		assert_true(has_reason(&r.res, "malformed evidence"));
		assert_int_equal(f->srv.after_evidence, 0);
		ward_client_result_clear(&r.res);
	}
}

/* (c) ERROR frames, before the evidence and instead of the result. */
static void test_call_errors(void **state)
{
	struct fixture *f = *state;
	struct ward_client_opts o = pinned(f);
	struct run r;

	run_call(f, ERROR_AT_HELLO, SERVICE, &o, pipe_fd("secret", 6), &r);
	assert_int_equal(r.r, 0);
	assert_false(r.res.evidence);
	assert_false(r.res.trusted);
	assert_false(r.res.input_sent);
	assert_true(r.res.answered && r.res.error_frame);
	assert_int_equal(r.res.status, WARD_SANDBOX_UNAVAILABLE);
	assert_int_equal(r.res.exit_status, -1);
	assert_string_equal(r.res.msg, "quote rate exceeded");
	ward_client_result_clear(&r.res);

	run_call(f, ERROR_AT_REQUEST, SERVICE, &o, pipe_fd("abc", 3), &r);
	assert_int_equal(r.r, 0);
	assert_true(r.res.trusted && r.res.input_sent);
	assert_true(r.res.answered && r.res.error_frame);
	assert_int_equal(r.res.status, WARD_SANDBOX_POLICY_CHANGED);
	assert_string_equal(r.res.msg, "the installed policy changed");
	assert_int_equal(r.out_len, 0);
	ward_client_result_clear(&r.res);

	/* a failed service: its stderr comes, no output */
	run_call(f, FAILED, SERVICE, &o, pipe_fd("abc", 3), &r);
	assert_int_equal(r.r, 0);
	assert_true(r.res.answered);
	assert_false(r.res.error_frame);
	assert_int_equal(r.res.status, WARD_SANDBOX_FAILED);
	assert_int_equal(r.res.exit_status, 3);
	assert_string_equal(r.res.msg, "exit status 3");
	assert_int_equal(r.out_len, 0);
	assert_int_equal(r.err_len, 5);
	assert_memory_equal(r.err, "boom\n", 5);
	ward_client_result_clear(&r.res);

	/* refused on its announced length while the input still streams (a regular file) */
	{
		size_t n = 2u << 20;
		uint8_t *big = malloc(n);

		assert_non_null(big);
		memset(big, 'q', n);
		run_call(f, EARLY_ERROR, SERVICE, &o, mem_fd("big", big, n), &r);
		free(big);
		if (r.r != 0)
			fail_msg("early error: %d %s", r.r, r.d.msg);
		assert_true(r.res.input_sent && r.res.answered && r.res.error_frame);
		assert_int_equal(r.res.status, WARD_SANDBOX_INPUT_TOO_LARGE);
		assert_true(f->srv.announced == n);
		assert_int_equal(r.out_len, 0);
		ward_client_result_clear(&r.res);
	}
}

/* (d) truncated, oversized and malformed frames: clean errors, nothing written. */
static void test_call_bad_frames(void **state)
{
	struct fixture *f = *state;
	struct ward_client_opts o = pinned(f);
	struct run r;

	run_call(f, TRUNC_EVIDENCE, SERVICE, &o, pipe_fd("secret", 6), &r);
	assert_int_equal(r.r, -ECONNRESET);
	assert_false(r.res.input_sent);
	ward_client_result_clear(&r.res);

	run_call(f, OVERSIZED_EVIDENCE, SERVICE, &o, pipe_fd("secret", 6), &r);
	assert_int_equal(r.r, -EBADMSG);
	assert_non_null(strstr(r.d.msg, "EVIDENCE frame of 67108865 bytes"));
	assert_false(r.res.input_sent);
	assert_int_equal(f->srv.after_evidence, 0);
	ward_client_result_clear(&r.res);

	run_call(f, BAD_HEADER, SERVICE, &o, pipe_fd("secret", 6), &r);
	assert_int_equal(r.r, -EBADMSG);
	assert_non_null(strstr(r.d.msg, "reserved"));
	assert_int_equal(f->srv.after_evidence, 0);
	ward_client_result_clear(&r.res);

	/* the connection drops mid-output: nothing of it is written */
	run_call(f, TRUNC_OUTPUT, SERVICE, &o, pipe_fd("0123456789abcdef", 16), &r);
	assert_int_equal(r.r, -ECONNRESET);
	assert_true(r.res.input_sent);
	assert_false(r.res.answered);
	assert_int_equal(r.out_len, 0);
	ward_client_result_clear(&r.res);

	/* more output than the client takes */
	o.max_output = 1u << 20;
	run_call(f, HUGE_OUTPUT, SERVICE, &o, pipe_fd("x", 1), &r);
	assert_int_equal(r.r, -E2BIG);
	assert_int_equal(r.out_len, 0);
	ward_client_result_clear(&r.res);
	o.max_output = 0;

	/* output with a failed status is a malformed answer, and is not written */
	run_call(f, RESULT_WITH_OUTPUT_ON_FAILURE, SERVICE, &o, pipe_fd("x", 1), &r);
	assert_int_equal(r.r, -EBADMSG);
	assert_int_equal(r.out_len, 0);
	ward_client_result_clear(&r.res);
}

/*
 * The library keeps SIGPIPE from the application: an output pipe whose reader is gone gives
 * -EIO (EPIPE), with SIGPIPE at its default disposition (it would kill this process), and no
 * SIGPIPE left pending or unblocked behind.
 */
static void test_call_sigpipe(void **state)
{
	struct fixture *f = *state;
	struct ward_client_opts o = pinned(f);
	struct ward_client_result res;
	struct ward_diag d = { { 0 } };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigset_t mask, pending;
	pthread_t th;
	char port[8];
	int out[2], in = pipe_fd("abc", 3);

	assert_int_equal(sigaction(SIGPIPE, &dfl, &old), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	close(out[0]);
	memset(&f->srv.hello_ok, 0, sizeof(f->srv) - offsetof(struct server, hello_ok));
	f->srv.mode = GOOD;
	assert_int_equal(pthread_create(&th, NULL, server_main, &f->srv), 0);
	snprintf(port, sizeof(port), "%u", f->srv.port);
	assert_int_equal(ward_client_call(&o, "127.0.0.1", port, SERVICE, in, out[1], -1, &res, &d),
			 -EIO);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_non_null(strstr(d.msg, "writing the output"));
	assert_true(res.trusted && res.answered && res.status == WARD_SANDBOX_OK);
	assert_int_equal(sigpending(&pending), 0);
	assert_false(sigismember(&pending, SIGPIPE));
	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
	assert_false(sigismember(&mask, SIGPIPE));
	ward_client_result_clear(&res);
	close(out[1]);
	close(in);
	sigaction(SIGPIPE, &old, NULL);
}

/* Input over max_input (a stream): nothing after the HELLO; bad arguments. */
static void test_call_limits(void **state)
{
	struct fixture *f = *state;
	struct ward_client_opts o = pinned(f);
	struct ward_client_result res;
	struct ward_diag d = { { 0 } };
	struct run r;

	o.max_input = 10;
	{
		/* A stream is read before connecting: over the limit, the server never hears of
		 * it (no connection waits on the listening socket). */
		struct pollfd p = { f->srv.lfd, POLLIN, 0 };
		int in = pipe_fd("0123456789a", 11);
		char port[8];

		snprintf(port, sizeof(port), "%u", f->srv.port);
		assert_int_equal(ward_client_call(&o, "127.0.0.1", port, SERVICE, in, 1, 2, &res,
						  &d), -EFBIG);
		close(in);
		assert_non_null(strstr(d.msg, "more than 10 bytes"));
		assert_false(res.input_sent);
		assert_int_equal(poll(&p, 1, 0), 0);
		ward_client_result_clear(&res);
	}
	/* exactly at the limit goes */
	run_call(f, GOOD, SERVICE, &o, pipe_fd("0123456789", 10), &r);
	assert_int_equal(r.r, 0);
	assert_memory_equal(r.out, "0123456789", 10);
	ward_client_result_clear(&r.res);

	assert_int_equal(ward_client_call(&o, "127.0.0.1", "1", "Bad", 0, 1, 2, &res, &d), -EINVAL);
	assert_int_equal(ward_client_call(&o, "127.0.0.1", "1", "", 0, 1, 2, &res, &d), -EINVAL);
	o.tee_measurement = (const uint8_t *)"short";
	o.tee_measurement_len = 5;
	assert_int_equal(ward_client_call(&o, "127.0.0.1", "1", "a", 0, 1, 2, &res, &d), -EINVAL);
	ward_client_result_clear(&res);
	ward_client_result_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_binding_nonce),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_call_good),
		cmocka_unit_test(test_call_refused),
		cmocka_unit_test(test_call_errors),
		cmocka_unit_test(test_call_bad_frames),
		cmocka_unit_test(test_call_limits),
		cmocka_unit_test(test_call_sigpipe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
