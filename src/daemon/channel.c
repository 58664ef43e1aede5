/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attested channel's server side (docs/channel.md). The parent (wardd's loop) only accepts,
 * counts, rate-limits quotes and forks; everything a client sends is parsed in the child that
 * serves its connection, so a malformed or hostile client can at worst end its own child.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/cleanup-ossl.h"
#include "core/cleanup.h"
#include "core/pkey.h"
#include "daemon/channel.h"
#include "ward/channel.h"
#include "ward/sandbox.h"
#include "ward/service-proto.h"
#include "ward/verify.h"

#define RELAY_CHUNK (64u << 10)

struct channel_server {
	int fd;
	SSL_CTX *ctx;
	uint8_t spki_sha256[32]; /* K of the binding */
	unsigned max_conns;
	pid_t *pids;
	unsigned n_pids;
	double tokens, rate;
	uint64_t last_ms;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int listen_tcp(const char *addr, struct ward_diag *d)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	char host[256], *colon;
	const char *port;
	struct addrinfo *res = NULL;
	int fd, one = 1, r;

	if (strlen(addr) >= sizeof(host))
		return diag_set(d, -EINVAL, "--listen %s: too long", addr);
	strcpy(host, addr);
	colon = strrchr(host, ':');
	if (!colon || !colon[1])
		return diag_set(d, -EINVAL, "--listen %s: ADDR:PORT expected", addr);
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			return diag_set(d, -EINVAL, "--listen %s: bad IPv6 literal", addr);
		host[n - 1] = '\0';
		memmove(host, host + 1, n - 1);
	}
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r != 0)
		return diag_set(d, -EINVAL, "--listen %s: %s", addr, gai_strerror(r));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 256) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return diag_set(d, r, "--listen %s: %s", addr, strerror(-r));
	}
	freeaddrinfo(res);
	return fd;
}

/* The key pair and a self-signed certificate: made here, kept in memory, never written. */
static int make_tls(struct channel_server *s, struct ward_diag *d)
{
	_cleanup_pkey_ EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	uint8_t *spki = NULL;
	size_t spki_len;
	int r = -EIO;

	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!key || !cert || !s->ctx)
		goto out;
	/* TLS 1.3 only; no resumption: every connection gets a full handshake and its own
	 * exporter, which the evidence is bound to. */
	if (!SSL_CTX_set_min_proto_version(s->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(s->ctx, TLS1_3_VERSION))
		goto out;
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(s->ctx, 0);
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	{
		uint8_t serial[16];

		if (RAND_bytes(serial, sizeof(serial)) != 1)
			goto out;
		serial[0] &= 0x7f;
		BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);

		if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert))) {
			BN_free(bn);
			goto out;
		}
		BN_free(bn);
	}
	name = X509_get_subject_name(cert);
	if (!X509_set_version(cert, 2) || !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"ward attested channel", -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key) ||
	    !X509_sign(cert, key, EVP_sha256()) || !SSL_CTX_use_certificate(s->ctx, cert) ||
	    !SSL_CTX_use_PrivateKey(s->ctx, key) || !SSL_CTX_check_private_key(s->ctx))
		goto out;
	if ((r = pkey_spki_der(key, &spki, &spki_len)) < 0)
		goto out;
	hash_buf(WARD_HASH_SHA256, spki, spki_len, s->spki_sha256);
	free(spki);
	r = 0;
out:
	X509_free(cert);
	if (r < 0)
		return diag_set(d, r, "the channel's TLS key and certificate could not be made");
	return 0;
}

int channel_open(const char *addr, unsigned max_conns, unsigned quote_rate,
		 struct channel_server **ret, struct ward_diag *d)
{
	struct channel_server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->max_conns = max_conns;
	s->rate = quote_rate;
	s->tokens = quote_rate;
	s->last_ms = mono_ms();
	s->pids = calloc(max_conns ? max_conns : 1, sizeof(*s->pids));
	if (!s->pids) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = listen_tcp(addr, d)) < 0)
		goto fail;
	s->fd = r;
	if ((r = make_tls(s, d)) < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	channel_close(s);
	return r;
}

/*
 * One handshake with itself, in memory, before any connection's child is forked. OpenSSL 3
 * fetches and caches each algorithm's implementation on first use (the key exchange, the
 * certificate's signature, HKDF, the record cipher, the exporter); a child forked from a
 * process that never did a handshake pays for all of that on its client's clock (some 0.3 ms
 * a connection here, bench/results/channel.md). It is also a self-test of the TLS set-up.
 */
static int warm_tls(struct channel_server *s)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *c = NULL, *sv = NULL;
	BIO *cb = NULL, *sb = NULL;
	uint8_t x[WARD_CH_EXPORTER_LEN], byte = 0x5a, got = 0;
	bool c_done = false, s_done = false;
	size_t k;
	int r = -EIO;

	if (!cctx || !SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION))
		goto out;
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	c = SSL_new(cctx);
	sv = SSL_new(s->ctx);
	if (!c || !sv || !BIO_new_bio_pair(&cb, 0, &sb, 0))
		goto out;
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(sv, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(sv);
	for (int i = 0; i < 16 && !(c_done && s_done); i++) {
		int rc = c_done ? 1 : SSL_do_handshake(c), rs = s_done ? 1 : SSL_do_handshake(sv);

		if ((rc <= 0 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) ||
		    (rs <= 0 && SSL_get_error(sv, rs) != SSL_ERROR_WANT_READ))
			goto out;
		c_done = rc == 1;
		s_done = rs == 1;
	}
	if (!c_done || !s_done ||
	    SSL_export_keying_material(sv, x, sizeof(x), WARD_CH_EXPORTER_LABEL,
				       strlen(WARD_CH_EXPORTER_LABEL), NULL, 0, 0) != 1 ||
	    SSL_write_ex(sv, &byte, 1, &k) != 1 || SSL_read_ex(c, &got, 1, &k) != 1 || got != byte)
		goto out;
	r = 0;
out:
	SSL_free(c); /* each frees its end of the pair */
	SSL_free(sv);
	SSL_CTX_free(cctx);
	ERR_clear_error();
	return r;
}

/*
 * The same for what a soft quote does: an Ed25519 signature made, the public key encoded (with
 * a throw-away key: nothing is signed with the attester's). The attester's own key is not
 * loaded here: decoding it would leave copies of the private key in freed memory, and every
 * sandbox's monitor, keeper and init is forked from wardd (an ASan build of channel.sh found
 * them there). Each connection's child reads it (src/attest/soft.c, some 0.08 ms).
 */
static int warm_ed25519(void)
{
	_cleanup_pkey_ EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	_cleanup_md_ctx_ EVP_MD_CTX *mc = EVP_MD_CTX_new();
	uint8_t sig[64], msg[1] = { 0 }, *spki = NULL;
	size_t sl = sizeof(sig), spki_len;
	int r = -EIO;

	if (!k || !mc || EVP_DigestSignInit(mc, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(mc, sig, &sl, msg, sizeof(msg)) != 1)
		goto out;
	r = pkey_spki_der(k, &spki, &spki_len);
	free(spki);
out:
	ERR_clear_error();
	return r;
}

int channel_warm(struct channel_server *s, struct ward_diag *d)
{
	if (warm_tls(s) < 0)
		return diag_set(d, -EIO, "the channel's TLS set-up fails a handshake with itself");
	if (warm_ed25519() < 0)
		return diag_set(d, -EIO, "Ed25519 signing does not work");
	return 0;
}

void channel_forget(struct channel_server *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->ctx); /* its private key is cleared as it is freed */
	free(s->pids);
	free(s);
}

int channel_listen_fd(const struct channel_server *s)
{
	return s->fd;
}

unsigned channel_children(const struct channel_server *s)
{
	return s->n_pids;
}

bool channel_reaped(struct channel_server *s, pid_t pid)
{
	for (unsigned i = 0; i < s->n_pids; i++)
		if (s->pids[i] == pid) {
			s->pids[i] = s->pids[--s->n_pids];
			return true;
		}
	return false;
}

void channel_close(struct channel_server *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	SSL_CTX_free(s->ctx);
	free(s->pids);
	free(s);
}

/* ---- the child: one connection ---- */

static int ssl_read_full(SSL *ssl, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t k = 0;

		if (SSL_read_ex(ssl, (uint8_t *)buf + got, n - got, &k) <= 0)
			return -EPIPE;
		got += k;
	}
	return 0;
}

static int ssl_write_full(SSL *ssl, const void *buf, size_t n)
{
	size_t put = 0;

	while (put < n) {
		size_t k = 0;

		if (SSL_write_ex(ssl, (const uint8_t *)buf + put, n - put, &k) <= 0)
			return -EPIPE;
		put += k;
	}
	return 0;
}

static int send_frame(SSL *ssl, enum ward_ch_type type, const void *p, size_t len)
{
	uint8_t h[WARD_CH_HDR_LEN];

	ch_hdr_encode(h, type, (uint32_t)len);
	if (ssl_write_full(ssl, h, sizeof(h)) < 0)
		return -EPIPE;
	return ssl_write_full(ssl, p, len);
}

/*
 * After an ERROR, a client may still be sending its input: closing with unread bytes would
 * reset the connection and could destroy the ERROR before the client reads it. So the rest is
 * read and dropped, for at most DRAIN_MS and DRAIN_MAX bytes, before the close.
 */
#define DRAIN_MS 2000
#define DRAIN_MAX (64u << 20)

static void drain(int fd)
{
	uint64_t end = mono_ms() + DRAIN_MS;
	size_t total = 0;
	char b[16384];

	(void)shutdown(fd, SHUT_WR);
	while (total < DRAIN_MAX) {
		uint64_t t = mono_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (t >= end || poll(&p, 1, (int)(end - t)) <= 0)
			return;
		n = read(fd, b, sizeof(b));
		if (n <= 0)
			return;
		total += (size_t)n;
	}
}

static _Noreturn void fail_with(SSL *ssl, uint32_t status, const char *msg)
{
	struct ward_ch_result r = { .status = status };
	struct buf b = { 0 };

	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	if (ch_result_encode(WARD_CH_ERROR, &r, &b) == 0)
		(void)send_frame(ssl, WARD_CH_ERROR, b.data, b.len);
	buf_free(&b);
	SSL_shutdown(ssl);
	drain(SSL_get_fd(ssl));
	_exit(1);
}

static void set_timeout(int fd, unsigned s)
{
	struct timeval tv = { .tv_sec = s };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Read one frame of @want (or ERROR where allowed); payload malloc'd. -1: end the child. */
static int read_frame(SSL *ssl, enum ward_ch_type want, uint8_t **ret, uint32_t *ret_len)
{
	struct ward_diag d = { { 0 } };
	uint8_t h[WARD_CH_HDR_LEN], *p;
	enum ward_ch_type type;
	uint32_t len;

	if (ssl_read_full(ssl, h, sizeof(h)) < 0)
		return -1;
	if (ch_hdr_decode(h, want, &type, &len, &d) < 0 || type != want)
		fail_with(ssl, WARD_SANDBOX_BAD_REQUEST, d.msg[0] ? d.msg : "unexpected frame");
	p = malloc(len ? len : 1);
	if (!p || ssl_read_full(ssl, p, len) < 0) {
		free(p);
		return -1;
	}
	*ret = p;
	*ret_len = len;
	return 0;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int read_full_fd(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (uint8_t *)buf + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -EPIPE;
		got += (size_t)k;
	}
	return 0;
}

/* Was the installed policy the same when the result was ready as when the evidence showed it? */
static bool policy_same(struct ward_state *st, const struct ward_policy_current *before)
{
	struct ward_policy_current now;
	struct ward_diag d = { { 0 } };

	if (policy_state_current(st, &now, &d) < 0)
		return false;
	return now.status == before->status && now.record == before->record &&
	       memcmp(now.digest, before->digest, sizeof(now.digest)) == 0;
}

static _Noreturn void serve(struct channel_server *s, int fd, bool has_token,
			    const struct channel_env *env)
{
	uint8_t exporter[WARD_CH_EXPORTER_LEN], nonce[64], buf[RELAY_CHUNK];
	struct ward_policy_current before = { 0 };
	struct ward_diag d = { { 0 } };
	struct ward_ch_hello hello;
	struct ward_quote_msg msg;
	struct ward_quote q = { 0 };
	struct ward_svc_req_hdr rq = { .magic = WARD_SVC_REQ_MAGIC };
	struct ward_svc_resp_hdr rs;
	struct ward_ch_result res = { 0 };
	struct buf b = { 0 };
	uint8_t *p = NULL;
	uint32_t len;
	uint64_t input_len, left;
	char *json = NULL;
	SSL *ssl;
	int u;

	/* Whole-phase deadlines (SIGALRM ends the child): a client trickling a byte at a time
	 * must not hold a connection slot. Each read and write also times out on its own. */
	alarm(WARDD_CH_HELLO_TIMEOUT_S);
	set_timeout(fd, WARDD_CH_HELLO_TIMEOUT_S);
	ssl = SSL_new(s->ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) <= 0)
		_exit(1);
	if (read_frame(ssl, WARD_CH_HELLO, &p, &len) < 0)
		_exit(1);
	if (ch_hello_decode(p, len, &hello, &d) < 0)
		fail_with(ssl, WARD_SANDBOX_BAD_REQUEST, d.msg);
	free(p);
	p = NULL;
	if (!has_token)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE,
			  "busy: the server's quote rate limit is reached, try again later");
	if (!env->service_live(hello.service))
		fail_with(ssl, WARD_SANDBOX_UNKNOWN_SERVICE, "no such service");
	if (env->follows_installed && policy_state_current(env->st, &before, &d) < 0)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "the installed policy cannot be read");
	if (SSL_export_keying_material(ssl, exporter, sizeof(exporter), WARD_CH_EXPORTER_LABEL,
				       strlen(WARD_CH_EXPORTER_LABEL), NULL, 0, 0) != 1)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "no TLS exporter");
	ch_binding_nonce(hello.nonce, hello.nonce_len, exporter, s->spki_sha256, hello.service,
			 nonce);
	if (state_quote_flags(env->st, nonce, sizeof(nonce), 0, WARD_QUOTE_CHANNEL, &msg, &q, &d) <
		    0 ||
	    bundle_encode(&q, evlog_store_log(env->st->log), 0, &json) < 0)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "the evidence could not be made");
	attest_quote_clear(&q);
	if (strlen(json) > WARD_CH_EVIDENCE_MAX)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "the evidence is larger than a client takes");
	if (send_frame(ssl, WARD_CH_EVIDENCE, json, strlen(json)) < 0)
		_exit(1);
	free(json);

	/* The client verifies; then its input, or it goes. */
	alarm(WARDD_CH_IDLE_TIMEOUT_S);
	set_timeout(fd, WARDD_CH_IDLE_TIMEOUT_S);
	if (read_frame(ssl, WARD_CH_REQUEST, &p, &len) < 0)
		_exit(1);
	if (ch_request_decode(p, len, &input_len, &d) < 0)
		fail_with(ssl, WARD_SANDBOX_BAD_REQUEST, d.msg);
	free(p);
	/* From here the input and the output take as long as they take; each read and write
	 * still has WARDD_CH_IDLE_TIMEOUT_S to make progress, and the service its timeout_s. */
	alarm(0);
	u = unix_connect(env->socket_path);
	if (u < 0)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "the sandbox pool cannot be reached");
	set_timeout(u, WARDD_CH_IDLE_TIMEOUT_S);
	rq.name_len = (uint32_t)strlen(hello.service);
	rq.input_len = input_len;
	if (write_all(u, &rq, sizeof(rq)) < 0 || write_all(u, hello.service, rq.name_len) < 0)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "the sandbox pool cannot be reached");
	/* The input, as it comes; a client that stops mid-way ends this child, and wardd
	 * destroys the sandbox that was reading it. wardd may answer before reading it all (too
	 * large): then the rest is not forwarded. */
	for (left = input_len; left > 0;) {
		size_t k = 0;

		if (SSL_read_ex(ssl, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf), &k) <= 0)
			_exit(1);
		left -= k;
		if (write_all(u, buf, k) < 0)
			break;
	}
	/* The answer comes when a sandbox has served the request: after its wait in wardd's queue
	 * (under load, many seconds) and the service's own time limit. wardd always answers or
	 * closes (and this child dies with it), so this read has no time limit of its own; the
	 * client has its own. */
	for (;;) {
		/* Until wardd answers, watch the client: one that hung up ends this child (closing
		 * the request's connection, so wardd destroys its sandbox) instead of holding a
		 * connection slot for an answer nobody will read. */
		struct pollfd pf[2] = { { u, POLLIN, 0 }, { fd, POLLRDHUP, 0 } };

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (pf[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
			_exit(1);
		if (pf[0].revents)
			break;
	}
	if (read_full_fd(u, &rs, sizeof(rs)) < 0 || memcmp(rs.magic, WARD_SVC_RESP_MAGIC, 8) != 0 ||
	    rs.msg_len > WARD_CH_MSG_MAX || read_full_fd(u, res.msg, rs.msg_len) < 0)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "the sandbox pool did not answer");
	res.msg[rs.msg_len] = '\0';
	/* The result is ready: it may leave only if the policy the evidence showed still holds. */
	if (rs.status == WARD_SANDBOX_OK && env->follows_installed && !policy_same(env->st, &before))
		fail_with(ssl, WARD_SANDBOX_POLICY_CHANGED,
			  "the installed policy changed after the evidence was made: the result of "
			  "a run under another policy is not returned");
	/* A failed request is a RESULT too (its status, the service's exit status, its stderr
	 * when the manifest returns it), never with output: wardd sends none then. */
	if (rs.status != WARD_SANDBOX_OK && rs.output_len != 0)
		fail_with(ssl, WARD_SANDBOX_UNAVAILABLE, "the sandbox pool answered out of protocol");
	res.status = rs.status;
	res.exit_status = rs.exit_status;
	res.output_len = rs.output_len;
	res.stderr_len = rs.stderr_len;
	if (ch_result_encode(WARD_CH_RESULT, &res, &b) < 0 ||
	    send_frame(ssl, WARD_CH_RESULT, b.data, b.len) < 0)
		_exit(1);
	buf_free(&b);
	for (left = rs.output_len + rs.stderr_len; left > 0;) {
		size_t k = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		if (read_full_fd(u, buf, k) < 0 || ssl_write_full(ssl, buf, k) < 0)
			_exit(1);
		left -= k;
	}
	SSL_shutdown(ssl);
	_exit(0);
}

/* A token of the quote rate, if one is left (refilled continuously, burst = rate). */
static bool take_token(struct channel_server *s)
{
	uint64_t t = mono_ms();

	s->tokens += (double)(t - s->last_ms) * s->rate / 1000.0;
	if (s->tokens > s->rate)
		s->tokens = s->rate;
	s->last_ms = t;
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}

/* Reap the channel's children that have ended (wardd's loop reaps them too, a little later). */
static void reap_finished(struct channel_server *s)
{
	for (unsigned i = 0; i < s->n_pids;) {
		if (waitpid(s->pids[i], NULL, WNOHANG) == s->pids[i])
			s->pids[i] = s->pids[--s->n_pids];
		else
			i++;
	}
}

void channel_accept(struct channel_server *s, const struct channel_env *env,
		    void (*close_fds)(void))
{
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		bool token;
		pid_t pid;

		if (fd < 0)
			return;
		/* Frames are small writes answered by the peer: without this, each one can wait for
		 * a delayed ACK (some 40 ms a connection, bench/results/channel.md). */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		if (s->n_pids >= s->max_conns)
			reap_finished(s); /* children that answered but are not reaped yet */
		if (s->n_pids >= s->max_conns) {
			close(fd); /* over the limit: nothing is spent on it */
			continue;
		}
		token = take_token(s);
		pid = fork();
		if (pid == 0) {
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGPIPE, SIG_IGN);
			signal(SIGCHLD, SIG_DFL);
			signal(SIGALRM, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close_fds();
			close(s->fd);
			serve(s, fd, token, env);
		}
		close(fd);
		if (pid > 0)
			s->pids[s->n_pids++] = pid;
	}
}
