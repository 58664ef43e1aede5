/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/channel/tls-echo: the peer of the attested channel's benchmark, a plain OpenSSL TLS 1.3
 * echo with the same shape of exchange as one `ward call`: a fresh connection and a full
 * handshake per request, the client sends a u64 length (big-endian) and that many bytes, the
 * server reads them all and sends the length and the same bytes back, the client reads them
 * all, and closes.
 *
 * As wardd's endpoint (src/daemon/channel.c): TLS 1.3 only, an ECDSA P-256 key and a
 * self-signed certificate made at start and kept in memory, no session tickets and no session
 * cache, TCP_NODELAY. The server serves one connection at a time (the clients are sequential).
 *
 *   tls-echo server ADDR PORT [CIPHERSUITES [cat|floor]]
 *   tls-echo client HOST PORT SIZE N OUT.tsv [LABEL] [connect|floor]
 *
 * Two more servers give the floor of what issue 7 asks for, with nothing of ward in it:
 *   cat    the payload goes through a `cat` process that serves only this request (a pipe
 *          in, a pipe out, its exit status waited for), started and exec'd before the
 *          connection arrives, as a warm sandbox is (the next one is started after the
 *          answer, off the timed path when the client pauses between requests)
 *   floor  cat, and before the request the attestation round trip the protocol requires:
 *          the client sends a 32-byte nonce, the server signs SHA-256(nonce || the RFC 9266
 *          exporter) with its certificate's P-256 key, the client checks the signature
 *          ("floor" on the client side; its evidence and verify columns time it)
 *
 * The client times each request and writes one line per request to OUT.tsv (appended): label,
 * size, request number, total and its parts in µs, in the columns chclient.c uses (parts it
 * does not have are 0): setup (TCP connect, SSL_CTX), handshake, evidence (floor: nonce out,
 * signature in), verify (floor: the signature checked), upload, wait (the first byte of the
 * echo), download (+ close). With "connect" the request is the connection
 * alone (handshake, no payload frame: SIZE must be 0). The first request's echo is compared
 * with what was sent. The negotiated version, cipher suite and group go to stdout. CH_GAP_MS:
 * as for chclient.c, an untimed pause before every request.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CHUNK (64u << 10)

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "tls-echo: %s: %s\n", what, errno ? strerror(errno) : "");
	ERR_print_errors_fp(stderr);
	exit(1);
}

static int read_exact(SSL *s, uint8_t *p, size_t len)
{
	while (len) {
		size_t got = 0;

		if (SSL_read_ex(s, p, len, &got) != 1)
			return -1;
		p += got;
		len -= got;
	}
	return 0;
}

static int write_all(SSL *s, const uint8_t *p, size_t len)
{
	while (len) {
		size_t put = 0;

		if (SSL_write_ex(s, p, len, &put) != 1)
			return -1;
		p += put;
		len -= put;
	}
	return 0;
}

static void put_u64(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t b[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void no_reuse(SSL_CTX *ctx)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
		die("TLS 1.3 only");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

/* The channel binding of the floor: SHA-256(nonce || RFC 9266 exporter). */
#define FLOOR_NONCE 32
#define FLOOR_LABEL "EXPORTER-Channel-Binding"

static int floor_digest(SSL *s, const uint8_t nonce[FLOOR_NONCE], uint8_t md[32])
{
	uint8_t x[32 + FLOOR_NONCE];

	memcpy(x, nonce, FLOOR_NONCE);
	if (SSL_export_keying_material(s, x + FLOOR_NONCE, 32, FLOOR_LABEL, strlen(FLOOR_LABEL),
				       NULL, 0, 0) != 1)
		return -1;
	return EVP_Digest(x, sizeof(x), md, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* ---- server ---- */

enum server_mode { MODE_ECHO, MODE_CAT, MODE_FLOOR };

static EVP_PKEY *server_key;

/* A `cat` exec'd and waiting on its stdin, for the next request. */
static struct warm {
	pid_t pid;
	int in, out; /* our ends */
} warm = { -1, -1, -1 };

static void warm_start(void)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe");
	warm.pid = fork();
	if (warm.pid < 0)
		die("fork");
	if (warm.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl("/usr/bin/cat", "cat", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* The best case for the pipes: as large as the system allows by default (1 MiB). */
	fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(out[0], F_SETPIPE_SZ, 1 << 20);
	warm.in = in[1];
	warm.out = out[0];
	fcntl(warm.in, F_SETFL, O_NONBLOCK);
	fcntl(warm.out, F_SETFL, O_NONBLOCK);
}

/* @len bytes of @in through the warm cat into *@ret (malloc'd, *@ret_len); its status. */
static int through_cat(const uint8_t *in, size_t len, uint8_t **ret, size_t *ret_len)
{
	size_t put = 0, got = 0, cap = len + 1;
	uint8_t *out = malloc(cap);
	int st;

	if (!out)
		return -1;
	if (len == 0) {
		close(warm.in);
		warm.in = -1;
	}
	while (warm.out >= 0) {
		struct pollfd p[2] = { { warm.out, POLLIN, 0 }, { warm.in, POLLOUT, 0 } };

		if (poll(p, warm.in >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (warm.in >= 0 && p[1].revents) {
			ssize_t k = write(warm.in, in + put, len - put);

			if (k > 0)
				put += (size_t)k;
			if ((k < 0 && errno != EAGAIN) || put == len) {
				close(warm.in);
				warm.in = -1;
			}
		}
		if (p[0].revents) {
			ssize_t k;

			if (got == cap) {
				uint8_t *n = realloc(out, cap *= 2);

				if (!n)
					break;
				out = n;
			}
			k = read(warm.out, out + got, cap - got);
			if (k > 0)
				got += (size_t)k;
			else if (k == 0 || errno != EAGAIN) {
				close(warm.out);
				warm.out = -1;
			}
		}
	}
	if (warm.in >= 0)
		close(warm.in);
	if (warm.out >= 0)
		close(warm.out);
	warm.in = warm.out = -1;
	while (waitpid(warm.pid, &st, 0) < 0 && errno == EINTR)
		;
	warm.pid = -1;
	*ret = out;
	*ret_len = got;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static SSL_CTX *server_ctx(const char *suites)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm;

	if (!ctx || !key || !x)
		die("server key");
	no_reuse(ctx);
	if (suites && !SSL_CTX_set_ciphersuites(ctx, suites))
		die("ciphersuites");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"tls-echo", -1,
				   -1, 0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, key);
	if (!X509_sign(x, key, EVP_sha256()) || SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		die("certificate");
	X509_free(x);
	server_key = key;
	return ctx;
}

static void serve(SSL_CTX *ctx, int c, enum server_mode mode)
{
	SSL *s = SSL_new(ctx);
	uint8_t hdr[8], *buf = NULL, *res = NULL;
	size_t res_len;
	uint64_t len;
	int one = 1;

	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!s || !SSL_set_fd(s, c) || SSL_accept(s) != 1)
		goto out;
	if (mode == MODE_FLOOR) {
		uint8_t nonce[FLOOR_NONCE], md[32], sig[4 + 80];
		size_t sl = sizeof(sig) - 4;
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(server_key, NULL);

		if (!pc || read_exact(s, nonce, sizeof(nonce)) < 0 || floor_digest(s, nonce, md) < 0 ||
		    EVP_PKEY_sign_init(pc) != 1 || EVP_PKEY_sign(pc, sig + 4, &sl, md, 32) != 1) {
			EVP_PKEY_CTX_free(pc);
			goto out;
		}
		EVP_PKEY_CTX_free(pc);
		sig[0] = sig[1] = sig[2] = 0;
		sig[3] = (uint8_t)sl;
		if (write_all(s, sig, 4 + sl) < 0)
			goto out;
	}
	if (read_exact(s, hdr, 8) < 0)
		goto out;
	len = get_u64(hdr);
	if (len > (1ull << 30))
		goto out;
	buf = malloc(len ? len : 1);
	if (!buf || read_exact(s, buf, len) < 0)
		goto out;
	if (mode != MODE_ECHO) {
		if (through_cat(buf, len, &res, &res_len) != 0)
			goto out;
		put_u64(hdr, res_len);
		if (write_all(s, hdr, 8) < 0 || write_all(s, res, res_len) < 0)
			goto out;
	} else if (write_all(s, hdr, 8) < 0 || write_all(s, buf, len) < 0) {
		goto out;
	}
	SSL_shutdown(s);
out:
	free(res);
	free(buf);
	SSL_free(s);
	ERR_clear_error();
	close(c);
}

static _Noreturn void server(const char *addr, const char *port, const char *suites,
			     enum server_mode mode)
{
	SSL_CTX *ctx = server_ctx(suites);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	signal(SIGPIPE, SIG_IGN);
	if (l < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("address");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 64) < 0)
		die("listen");
	fprintf(stderr, "tls-echo: serving on %s:%s\n", addr, port);
	for (;;) {
		int c;

		if (mode != MODE_ECHO && warm.pid < 0)
			warm_start();
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		serve(ctx, c, mode);
		if (warm.pid > 0) { /* a request that did not reach the cat: it serves nobody else */
			kill(warm.pid, SIGKILL);
			if (warm.in >= 0)
				close(warm.in);
			if (warm.out >= 0)
				close(warm.out);
			waitpid(warm.pid, NULL, 0);
			warm = (struct warm){ -1, -1, -1 };
		}
	}
}

/* ---- client ---- */

static int tcp_connect(const char *host, const char *port)
{
	const struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int fd = -1, one = 1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		die("getaddrinfo");
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int client(int argc, char **argv)
{
	const char *host = argv[2], *port = argv[3], *label = argc > 7 ? argv[7] : "tls-echo";
	size_t size = strtoull(argv[4], NULL, 10);
	long n = strtol(argv[5], NULL, 10);
	int connect_only = argc > 8 && strcmp(argv[8], "connect") == 0;
	int floor_mode = argc > 8 && strcmp(argv[8], "floor") == 0;
	uint8_t *data = malloc(size ? size : 1), *back = malloc(size ? size : 1);
	FILE *tsv = fopen(argv[6], "a");

	signal(SIGPIPE, SIG_IGN);
	if (!data || !back || !tsv)
		die("setup");
	srandom((unsigned)size);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(random() >> 7);
	long gap_ms = getenv("CH_GAP_MS") ? atol(getenv("CH_GAP_MS")) : 0;

	for (long i = 0; i < n; i++) {
		double t0, t1, t2, te, tv, t3, t4, t5, t6;
		uint8_t hdr[8];
		SSL_CTX *ctx;
		SSL *s;
		int fd;

		if (gap_ms > 0)
			nanosleep(&(struct timespec){gap_ms / 1000, (gap_ms % 1000) * 1000000},
				  NULL);
		t0 = now_us();
		fd = tcp_connect(host, port);
		ctx = SSL_CTX_new(TLS_client_method());
		if (!ctx)
			die("SSL_CTX_new");
		no_reuse(ctx);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		s = SSL_new(ctx);
		if (!s || !SSL_set_fd(s, fd))
			die("SSL_new");
		t1 = now_us();
		if (SSL_connect(s) != 1)
			die("handshake");
		t2 = now_us();
		te = tv = t2;
		if (floor_mode) {
			uint8_t nonce[FLOOR_NONCE], md[32], sig[80], sh[4];
			EVP_PKEY *pk = X509_get0_pubkey(SSL_get0_peer_certificate(s));
			EVP_PKEY_CTX *pc = pk ? EVP_PKEY_CTX_new(pk, NULL) : NULL;

			if (!pc || RAND_bytes(nonce, sizeof(nonce)) != 1 ||
			    write_all(s, nonce, sizeof(nonce)) < 0 || read_exact(s, sh, 4) < 0 ||
			    sh[3] > sizeof(sig) || read_exact(s, sig, sh[3]) < 0)
				die("floor: the signature");
			te = now_us();
			if (floor_digest(s, nonce, md) < 0 || EVP_PKEY_verify_init(pc) != 1 ||
			    EVP_PKEY_verify(pc, sig, sh[3], md, 32) != 1)
				die("floor: the signature does not verify");
			EVP_PKEY_CTX_free(pc);
			tv = now_us();
		}
		t3 = t4 = t5 = tv;
		if (!connect_only) {
			put_u64(hdr, size);
			if (write_all(s, hdr, 8) < 0 || write_all(s, data, size) < 0)
				die("send");
			t3 = now_us();
			if (read_exact(s, hdr, 8) < 0)
				die("receive");
			t4 = now_us();
			if (get_u64(hdr) != size || read_exact(s, back, size) < 0)
				die("receive");
			t5 = now_us();
			if (i == 0 && memcmp(back, data, size) != 0) {
				fprintf(stderr, "tls-echo: the echo differs\n");
				return 1;
			}
		}
		if (i == 0) {
			int nid = SSL_get_negotiated_group(s);

			printf("tls %s cipher %s group %s\n", SSL_get_version(s),
			       SSL_get_cipher_name(s), nid ? OBJ_nid2sn(nid) : "?");
		}
		SSL_shutdown(s);
		SSL_free(s);
		SSL_CTX_free(ctx);
		close(fd);
		t6 = now_us();
		(void)t5;
		fprintf(tsv, "%s\t%zu\t%ld\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n",
			label, size, i, t6 - t0, t1 - t0, t2 - t1, te - t2, tv - te, t3 - tv, t4 - t3,
			t6 - t4);
	}
	fclose(tsv);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 6 && strcmp(argv[1], "server") == 0) {
		enum server_mode m = MODE_ECHO;

		if (argc == 6 && strcmp(argv[5], "cat") == 0)
			m = MODE_CAT;
		else if (argc == 6 && strcmp(argv[5], "floor") == 0)
			m = MODE_FLOOR;
		else if (argc == 6)
			goto usage;
		server(argv[2], argv[3], argc >= 5 ? argv[4] : NULL, m);
	}
	if (argc >= 7 && argc <= 9 && strcmp(argv[1], "client") == 0)
		return client(argc, argv);
usage:
	fprintf(stderr, "usage: tls-echo server ADDR PORT [CIPHERSUITES [cat|floor]]\n"
			"       tls-echo client HOST PORT SIZE N OUT.tsv [LABEL] [connect|floor]\n");
	return 2;
}
