/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libward-client (ward/client.h): the client end of the attested channel. The order of the
 * exchange is the security argument: the input is sent only after evidence bound to this TLS
 * connection (exporter X, the server key's K, our fresh nonce, the service's name) has passed
 * every check; any failure before that point closes the connection with nothing sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/channel.h"
#include "ward/client.h"
#include "ward/hash.h"
#include "ward/manifest.h"
#include "ward/sandbox.h"
#include "ward/verify.h"

#define CLIENT_NONCE_LEN 32
#define IO_CHUNK (64u << 10)

const char *ward_client_status_name(uint32_t status)
{
	return sandbox_status_name((enum ward_sandbox_status)status);
}

void ward_client_result_clear(struct ward_client_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_reasons; i++)
		free(r->reasons[i]);
	free(r->reasons);
	memset(r, 0, sizeof(*r));
}

static int __attribute__((format(printf, 2, 3))) add_reason(struct ward_client_result *r,
							    const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = strv_append_vfmt(&r->reasons, &r->n_reasons, fmt, ap);
	va_end(ap);
	return k;
}

/* ---- SIGPIPE: a peer that closes must give EPIPE, not kill the application ---- */

struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	/* Consume only a SIGPIPE this call raised, so none is delivered when it is unblocked. */
	if (!g->was_pending && sigismember(&pending, SIGPIPE)) {
		const struct timespec zero = { 0, 0 };

		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- TCP ---- */

static int connect_one(const struct addrinfo *ai, int timeout_ms)
{
	_cleanup_close_ int fd = -EBADF;
	struct pollfd p;
	int err = 0, k;
	socklen_t el = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		p = (struct pollfd){ fd, POLLOUT, 0 };
		while ((k = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
			;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ETIMEDOUT;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			return -errno;
		if (err)
			return -err;
	}
	return TAKE_FD(fd);
}

static int tcp_connect(const char *host, const char *port, int timeout_ms, struct ward_diag *d)
{
	const struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd = -ENOENT, k, one = 1;

	k = getaddrinfo(host, port, &hints, &res);
	if (k != 0)
		return diag_set(d, k == EAI_MEMORY ? -ENOMEM : -ENOENT, "%s port %s: %s", host, port,
				k == EAI_SYSTEM ? strerror(errno) : gai_strerror(k));
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = connect_one(ai, timeout_ms);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return diag_set(d, fd, "connect to %s port %s: %s", host, port, strerror(-fd));
	/* Blocking from here on, every wait bounded: a stalled server or proxy is an error. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		k = -errno;
		close(fd);
		return diag_set(d, k, "socket options: %s", strerror(-k));
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* ---- TLS ---- */

struct conn {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static void conn_close(struct conn *c)
{
	if (c->ssl) {
		/* A close_notify and nothing else: never any input after a refusal. */
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->ctx = NULL;
	c->fd = -EBADF;
}

static int tls_error(struct ward_diag *d, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return diag_set(d, -EPROTO, "TLS %s: %s", what, buf[0] ? buf : "failed");
}

/* Maps a failed SSL_read/SSL_write/SSL_connect to -errno. */
static int ssl_fail(SSL *ssl, int k, const char *what, struct ward_diag *d)
{
	int saved = errno;

	switch (SSL_get_error(ssl, k)) {
	case SSL_ERROR_ZERO_RETURN:
		return diag_set(d, -ECONNRESET, "%s: the server closed the connection", what);
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return diag_set(d, -ETIMEDOUT, "%s: timed out", what);
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			return diag_set(d, -ETIMEDOUT, "%s: timed out", what);
		if (saved == 0 || saved == EPIPE || saved == ECONNRESET)
			return diag_set(d, -ECONNRESET, "%s: the connection ended", what);
		return diag_set(d, -saved, "%s: %s", what, strerror(saved));
	default:
		return tls_error(d, what);
	}
}

static int tls_connect(struct conn *c, const char *host, struct ward_diag *d)
{
	struct in6_addr a6;
	struct in_addr a4;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return -ENOMEM;
	/* TLS 1.3 only: its exporter (RFC 9266) is what the statement binds; no tickets and no
	 * session cache, so every connection is a full handshake with a fresh exporter. The
	 * certificate is not checked against any CA: the evidence authenticates the key. */
	if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c->ctx, TLS1_3_VERSION))
		return tls_error(d, "setup");
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		return tls_error(d, "setup");
	/* SNI for a proxy that routes by name; an address literal is not a name (RFC 6066). */
	if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1 &&
	    !SSL_set_tlsext_host_name(c->ssl, host))
		return tls_error(d, "setup");
	ERR_clear_error();
	{
		int k = SSL_connect(c->ssl);

		if (k != 1)
			return ssl_fail(c->ssl, k, "handshake", d);
	}
	if (SSL_version(c->ssl) != TLS1_3_VERSION)
		return diag_set(d, -EPROTO, "TLS handshake: not TLS 1.3");
	return 0;
}

/* K = SHA-256(the peer certificate's SubjectPublicKeyInfo, DER), X = the RFC 9266 exporter. */
static int tls_binding(SSL *ssl, uint8_t k[32], uint8_t x[WARD_CH_EXPORTER_LEN],
		       struct ward_diag *d)
{
	_cleanup_(X509_freep) X509 *cert = SSL_get1_peer_certificate(ssl);
	_cleanup_free_ uint8_t *der = NULL;
	int n;

	if (!cert)
		return diag_set(d, -EPROTO, "TLS: the server sent no certificate");
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (n <= 0)
		return tls_error(d, "server key");
	if (hash_buf(WARD_HASH_SHA256, der, (size_t)n, k) < 0)
		return diag_set(d, -ENOMEM, "hash failed");
	if (SSL_export_keying_material(ssl, x, WARD_CH_EXPORTER_LEN, WARD_CH_EXPORTER_LABEL,
				       strlen(WARD_CH_EXPORTER_LABEL), NULL, 0, 0) != 1)
		return tls_error(d, "exporter");
	return 0;
}

static int ssl_read_exact(SSL *ssl, void *buf, size_t len, const char *what, struct ward_diag *d)
{
	uint8_t *p = buf;

	while (len) {
		size_t got = 0;
		int k;

		ERR_clear_error();
		k = SSL_read_ex(ssl, p, len, &got);
		if (k != 1)
			return ssl_fail(ssl, k, what, d);
		p += got;
		len -= got;
	}
	return 0;
}

static int ssl_write_all(SSL *ssl, const void *buf, size_t len, const char *what,
			 struct ward_diag *d)
{
	const uint8_t *p = buf;

	while (len) {
		size_t put = 0;
		int k;

		ERR_clear_error();
		k = SSL_write_ex(ssl, p, len, &put);
		if (k != 1)
			return ssl_fail(ssl, k, what, d);
		p += put;
		len -= put;
	}
	return 0;
}

/* A frame of type @want (or the ERROR that may stand for it), its payload malloc'd. */
static int read_frame(SSL *ssl, enum ward_ch_type want, enum ward_ch_type *ret_type,
		      uint8_t **ret_payload, uint32_t *ret_len, struct ward_diag *d)
{
	uint8_t hdr[WARD_CH_HDR_LEN];
	_cleanup_free_ uint8_t *p = NULL;
	enum ward_ch_type type;
	uint32_t len;
	int r;

	if ((r = ssl_read_exact(ssl, hdr, sizeof(hdr), "reading a frame", d)) < 0)
		return r;
	if ((r = ch_hdr_decode(hdr, want, &type, &len, d)) < 0)
		return r;
	p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	if ((r = ssl_read_exact(ssl, p, len, "reading a frame", d)) < 0)
		return r;
	*ret_type = type;
	*ret_payload = TAKE_PTR(p);
	*ret_len = len;
	return 0;
}

static void take_error(struct ward_client_result *ret, const struct ward_ch_result *e)
{
	ret->answered = true;
	ret->error_frame = true;
	ret->status = e->status;
	ret->exit_status = -1;
	snprintf(ret->msg, sizeof(ret->msg), "%s", e->msg);
}

/* ---- the evidence ---- */

/*
 * verify_evidence() over the nonce this connection gives, then what only the channel asks: the
 * service asked for is registered in the evidence and, with a manifest digest, its latest
 * registration (the one wardd serves it under) names that manifest; verify_evidence() alone
 * accepts the digest in any service's record.
 */
static int check_evidence(const struct ward_client_opts *o, const char *service,
			  const uint8_t *ev, size_t ev_len, const uint8_t n[64],
			  struct ward_client_result *ret)
{
	struct ward_verify_opts vo = {
		.nonce = n,
		.nonce_len = 64,
		.soft_keys = o->soft_keys,
		.n_soft_keys = o->n_soft_keys,
		.ak_keys = o->ak_keys,
		.n_ak_keys = o->n_ak_keys,
		.channel = true,
		.policy = o->policy,
		.manifest_digest = o->manifest_digest,
		.check_min_version = o->check_min_version,
		.min_policy_version = o->min_policy_version,
		.policy_issuer = o->policy_issuer,
		.allow_debug = o->allow_debug,
		.now = o->now,
		.tee_measurement = o->tee_measurement,
		.tee_measurement_len = o->tee_measurement_len,
	};
	struct ward_verify_result res = { 0 };
	struct ward_diag vd = { { 0 } };
	const struct ward_verify_service *latest = NULL;
	bool pass;
	int r;

	r = verify_evidence(ev, ev_len, &vo, &res, &vd);
	if (r == -ENOMEM || r == -EINVAL) {
		verify_result_clear(&res);
		return r;
	}
	if (r < 0) {
		/* Malformed evidence is a refusal like any other: nothing is sent. */
		verify_result_clear(&res);
		return add_reason(ret, "%s evidence: %s",
				  r == -EBADMSG ? "malformed" : "unverifiable (this build)",
				  vd.msg[0] ? vd.msg : strerror(-r));
	}
	ret->evidence = true;
	if (res.msg_decoded) {
		snprintf(ret->attester, sizeof(ret->attester), "%s", res.msg.attester_type);
		snprintf(ret->root, sizeof(ret->root), "%s", res.msg.root);
	}
	ret->hardware_rooted = res.hardware_rooted;
	pass = res.verdict == WARD_VERDICT_PASS;
	ret->reasons = TAKE_PTR(res.reasons);
	ret->n_reasons = res.n_reasons;
	res.n_reasons = 0;
	for (size_t i = 0; i < res.n_services; i++)
		if (res.services[i].has_record && strcmp(res.services[i].ev.service, service) == 0)
			latest = &res.services[i];
	r = 0;
	if (!latest) {
		pass = false;
		r = add_reason(ret, "the evidence registers no service '%s'", service);
	} else if (o->manifest_digest &&
		   memcmp(latest->ev.manifest_digest, o->manifest_digest, 32) != 0) {
		char have[65], want[65];

		hex_encode(latest->ev.manifest_digest, 32, have);
		hex_encode(o->manifest_digest, 32, want);
		pass = false;
		r = add_reason(ret,
			       "service '%s' is registered (record %llu) with manifest sha256:%s, "
			       "not sha256:%s",
			       service, (unsigned long long)latest->record, have, want);
	}
	if (!pass && ret->n_reasons == 0 && r == 0)
		r = add_reason(ret, "the evidence is not trusted");
	ret->trusted = pass && r == 0;
	verify_result_clear(&res);
	return r;
}

/* ---- the request ---- */

struct input {
	int fd;
	bool stream; /* a regular file, sent from fd as it is read */
	uint8_t *buf; /* else: all of it */
	uint64_t len;
};

static void input_clear(struct input *in)
{
	if (in->buf) {
		explicit_bzero(in->buf, (size_t)in->len);
		free(in->buf);
	}
	in->buf = NULL;
}

/*
 * Before connecting: the length must be known up front, so a stream is read whole now; doing it
 * before the connection also means a slow producer cannot outlast the server's deadline for the
 * REQUEST, and input over the limit costs the server no quote.
 */
static int input_prepare(int in_fd, const struct ward_client_opts *o, struct input *ret,
			 struct ward_diag *d)
{
	uint64_t max = o->max_input ? o->max_input : WARD_CLIENT_INPUT_MAX_DEFAULT;
	struct input in = { .fd = in_fd };
	struct stat st;
	size_t blen = 0;
	int r;

	if (fstat(in_fd, &st) < 0)
		return diag_set(d, -EIO, "input: %s", strerror(errno));
	in.stream = S_ISREG(st.st_mode);
	if (in.stream) {
		off_t pos = lseek(in_fd, 0, SEEK_CUR);

		if (pos < 0)
			return diag_set(d, -EIO, "input: %s", strerror(errno));
		in.len = st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
	} else {
		r = read_fd_full(in_fd, max > SIZE_MAX - 2 ? SIZE_MAX - 2 : (size_t)max, &in.buf, &blen);
		if (r == -EFBIG)
			return diag_set(d, -EFBIG, "input: more than %llu bytes (nothing sent)",
					(unsigned long long)max);
		if (r < 0)
			return diag_set(d, r == -ENOMEM ? r : -EIO, "input: %s", strerror(-r));
		in.len = blen;
	}
	*ret = in;
	return 0;
}

static int send_input(SSL *ssl, const struct input *in, struct ward_client_result *ret,
		      struct ward_diag *d)
{
	uint8_t hdr[WARD_CH_HDR_LEN + 8];
	_cleanup_free_ uint8_t *chunk = NULL;
	uint64_t left = in->len;
	int r;

	ch_hdr_encode(hdr, WARD_CH_REQUEST, 8);
	ch_request_encode(hdr + WARD_CH_HDR_LEN, in->len);
	ret->input_sent = true;
	if ((r = ssl_write_all(ssl, hdr, sizeof(hdr), "sending the request", d)) < 0)
		return r;
	if (!in->stream) {
		if ((r = ssl_write_all(ssl, in->buf, (size_t)in->len, "sending the input", d)) < 0)
			return r;
		ret->input_bytes = in->len;
		return 0;
	}
	chunk = malloc(IO_CHUNK);
	if (!chunk)
		return -ENOMEM;
	while (left) {
		ssize_t k = read(in->fd, chunk, left < IO_CHUNK ? (size_t)left : IO_CHUNK);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* The file shrank: the server waits for bytes that never come. */
			r = diag_set(d, -EIO, "input: %s",
				     k < 0 ? strerror(errno) : "the file shrank while it was sent");
			break;
		}
		r = ssl_write_all(ssl, chunk, (size_t)k, "sending the input", d);
		if (r < 0)
			break;
		left -= (uint64_t)k;
	}
	explicit_bzero(chunk, IO_CHUNK);
	if (r == 0)
		ret->input_bytes = in->len;
	return r;
}

static int read_bounded(SSL *ssl, uint64_t len, uint64_t max, const char *what, uint8_t **ret,
			struct ward_diag *d)
{
	_cleanup_free_ uint8_t *b = NULL;
	int r;

	if (len > max)
		return diag_set(d, -E2BIG, "the server announces %llu bytes of %s (at most %llu "
				"taken; nothing written)", (unsigned long long)len, what,
				(unsigned long long)max);
	b = malloc(len ? (size_t)len : 1);
	if (!b)
		return -ENOMEM;
	if ((r = ssl_read_exact(ssl, b, (size_t)len, "reading the result", d)) < 0)
		return r;
	*ret = TAKE_PTR(b);
	return 0;
}

static int read_result(SSL *ssl, const struct ward_client_opts *o, int out_fd, int err_fd,
		       struct ward_client_result *ret, struct ward_diag *d)
{
	uint64_t max = o->max_output ? o->max_output : WARD_CLIENT_OUTPUT_MAX_DEFAULT;
	_cleanup_free_ uint8_t *p = NULL, *out = NULL, *err = NULL;
	struct ward_ch_result res;
	enum ward_ch_type type;
	uint32_t len;
	int r;

	if ((r = read_frame(ssl, WARD_CH_RESULT, &type, &p, &len, d)) < 0)
		return r;
	if ((r = ch_result_decode(type, p, len, &res, d)) < 0)
		return r;
	if (type == WARD_CH_ERROR) {
		take_error(ret, &res);
		return 0;
	}
	if (res.status != WARD_SANDBOX_OK && res.output_len)
		return diag_set(d, -EBADMSG, "channel: a RESULT with status %s and output",
				ward_client_status_name(res.status));
	/* The whole answer is held before any of it is written: a connection that drops in the
	 * middle leaves nothing behind that looks like a result. */
	if ((r = read_bounded(ssl, res.output_len, max, "output", &out, d)) < 0 ||
	    (r = read_bounded(ssl, res.stderr_len, WARD_CLIENT_STDERR_MAX, "stderr", &err, d)) < 0)
		return r;
	ret->answered = true;
	ret->status = res.status;
	ret->exit_status = res.exit_status;
	snprintf(ret->msg, sizeof(ret->msg), "%s", res.msg);
	if (res.status == WARD_SANDBOX_OK && res.output_len) {
		if ((r = write_all(out_fd, out, (size_t)res.output_len)) < 0)
			return diag_set(d, -EIO, "writing the output: %s", strerror(-r));
		ret->output_bytes = res.output_len;
	}
	if (err_fd >= 0 && res.stderr_len) {
		if ((r = write_all(err_fd, err, (size_t)res.stderr_len)) < 0)
			return diag_set(d, -EIO, "writing the service's stderr: %s", strerror(-r));
		ret->stderr_bytes = res.stderr_len;
	}
	return 0;
}

static int call(const struct ward_client_opts *o, const char *host, const char *port,
		const char *service, const struct input *in, int out_fd, int err_fd,
		struct ward_client_result *ret, struct ward_diag *d)
{
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : WARD_CLIENT_TIMEOUT_MS_DEFAULT;
	struct conn c = { .fd = -EBADF };
	struct ward_ch_hello h = { .nonce_len = CLIENT_NONCE_LEN };
	struct buf hello = { 0 };
	uint8_t k[32], x[WARD_CH_EXPORTER_LEN], n[64], hdr[WARD_CH_HDR_LEN];
	_cleanup_free_ uint8_t *p = NULL;
	enum ward_ch_type type;
	uint32_t len;
	int r;

	snprintf(h.service, sizeof(h.service), "%s", service);
	if (RAND_bytes(h.nonce, CLIENT_NONCE_LEN) != 1)
		return diag_set(d, -EIO, "no random nonce");
	if ((r = ch_hello_encode(&h, &hello)) < 0)
		return diag_set(d, r, "HELLO: %s", strerror(-r));
	ch_hdr_encode(hdr, WARD_CH_HELLO, (uint32_t)hello.len);
	c.fd = tcp_connect(host, port, timeout, d);
	if (c.fd < 0) {
		r = c.fd;
		goto out;
	}
	if ((r = tls_connect(&c, host, d)) < 0 || (r = tls_binding(c.ssl, k, x, d)) < 0)
		goto out;
	if ((r = ssl_write_all(c.ssl, hdr, sizeof(hdr), "sending HELLO", d)) < 0 ||
	    (r = ssl_write_all(c.ssl, hello.data, hello.len, "sending HELLO", d)) < 0)
		goto out;
	if ((r = read_frame(c.ssl, WARD_CH_EVIDENCE, &type, &p, &len, d)) < 0)
		goto out;
	if (type == WARD_CH_ERROR) {
		struct ward_ch_result e;

		if ((r = ch_result_decode(type, p, len, &e, d)) == 0)
			take_error(ret, &e);
		goto out;
	}
	/* The nonce the statement must carry, from what this end sees of the connection: a
	 * relay (another exporter, another key) or a replay (another nonce) gives another N. */
	ch_binding_nonce(h.nonce, h.nonce_len, x, k, h.service, n);
	if ((r = check_evidence(o, service, p, len, n, ret)) < 0 || !ret->trusted)
		goto out;
	free(TAKE_PTR(p));
	if ((r = send_input(c.ssl, in, ret, d)) < 0) {
		/* The server may have refused (too large) and closed while we were sending: its
		 * ERROR, if it is there, is what the caller needs to see. Nothing else is taken
		 * from a connection whose request did not go out whole. */
		struct ward_diag d2 = { { 0 } };
		struct ward_ch_result e;

		free(TAKE_PTR(p));
		if ((r == -ECONNRESET || r == -EPROTO) &&
		    read_frame(c.ssl, WARD_CH_RESULT, &type, &p, &len, &d2) == 0 &&
		    type == WARD_CH_ERROR && ch_result_decode(type, p, len, &e, &d2) == 0) {
			take_error(ret, &e);
			r = 0;
		}
		goto out;
	}
	r = read_result(c.ssl, o, out_fd, err_fd, ret, d);
out:
	buf_free(&hello);
	explicit_bzero(&h, sizeof(h));
	conn_close(&c);
	return r;
}

int ward_client_call(const struct ward_client_opts *o, const char *host, const char *port,
		     const char *service, int in_fd, int out_fd, int err_fd,
		     struct ward_client_result *ret, struct ward_diag *d)
{
	struct sigpipe_guard g;
	struct input in = { .fd = -EBADF };
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->exit_status = -1;
	if (!o || !host || !port || !service)
		return diag_set(d, -EINVAL, "no options, host, port or service");
	if (!manifest_name_ok(service, strlen(service)))
		return diag_set(d, -EINVAL, "not a service name: '%s'", service);
	if ((o->n_soft_keys && !o->soft_keys) || (o->n_ak_keys && !o->ak_keys) ||
	    (o->tee_measurement && o->tee_measurement_len != 48))
		return diag_set(d, -EINVAL, "bad client options");
	if ((r = input_prepare(in_fd, o, &in, d)) < 0)
		return r;
	sigpipe_block(&g);
	r = call(o, host, port, service, &in, out_fd, err_fd, ret, d);
	sigpipe_restore(&g);
	input_clear(&in);
	ERR_clear_error();
	return r;
}
