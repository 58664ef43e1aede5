/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/channel/chclient: times requests to a service of wardd over the attested channel
 * through libward-client (ward_client_call(), include/ward/client.h), one connection per
 * request, as `ward call` makes them but without a process start per request, and splits each
 * request into its parts. The parts come from the library's own calls into OpenSSL and the
 * verifier, seen through the linker's --wrap (bench/channel/run links this file with
 * -Wl,--wrap=SSL_connect,--wrap=SSL_write_ex,--wrap=SSL_read_ex,--wrap=verify_evidence):
 *
 *   setup     call start .. SSL_connect entered   (nonce, getaddrinfo, TCP connect, SSL_CTX)
 *   handshake SSL_connect                         (TLS 1.3 full handshake)
 *   evidence  SSL_connect returned .. verify_evidence entered (HELLO out, wardd makes the
 *             statement and its quote, the EVIDENCE frame in)
 *   verify    verify_evidence                     (the bundle checked as `ward verify` does)
 *   upload    verify_evidence returned .. the last SSL_write_ex returned (REQUEST + input)
 *   run       .. the first SSL_read_ex after it returned (the RESULT frame's header: wardd
 *             hands the input to a warm sandbox running the service and collects its output)
 *   download  .. call returned (output in, written to /dev/null, TLS closed)
 *
 * Usage: chclient HOST PORT SERVICE soft|ak KEY.pem SIZE N OUT.tsv [LABEL]
 * SIZE bytes of pseudo-random input (a memfd, so the library streams it as a regular file);
 * the first request's output is compared with the input (exit 1 if it differs); every
 * request must be trusted and answered ok (else exit 1). One line per request to OUT.tsv
 * (appended): label, size, request number, total and the seven parts in µs. The negotiated
 * TLS version, cipher suite and group, and the evidence size, go to stdout. With CH_GAP_MS
 * in the environment, an untimed pause of that many ms before every request (wardd refills
 * the service's warm pool in the meantime).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "ward/client.h"
#include "ward/verify.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* The events of one request. */
static struct {
	double conn_in, conn_out, ver_in, ver_out, last_write, first_read_after;
	size_t ev_len;
	char cipher[64], group[32], version[16];
} ev;

int __real_SSL_connect(SSL *s);
int __wrap_SSL_connect(SSL *s)
{
	int k;

	ev.conn_in = now_us();
	k = __real_SSL_connect(s);
	ev.conn_out = now_us();
	if (k == 1) {
		int nid = SSL_get_negotiated_group(s);
		const char *g = nid ? OBJ_nid2sn(nid) : NULL;

		snprintf(ev.cipher, sizeof(ev.cipher), "%s", SSL_get_cipher_name(s));
		snprintf(ev.version, sizeof(ev.version), "%s", SSL_get_version(s));
		snprintf(ev.group, sizeof(ev.group), "%s", g ? g : "?");
	}
	return k;
}

int __real_SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written);
int __wrap_SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written)
{
	int k = __real_SSL_write_ex(s, buf, num, written);

	if (ev.ver_out > 0)
		ev.last_write = now_us();
	return k;
}

int __real_SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes);
int __wrap_SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes)
{
	int k = __real_SSL_read_ex(s, buf, num, readbytes);

	if (ev.last_write > 0 && ev.first_read_after == 0)
		ev.first_read_after = now_us();
	return k;
}

int __real_verify_evidence(const uint8_t *buf, size_t len, const struct ward_verify_opts *o,
			   struct ward_verify_result *ret, struct ward_diag *d);
int __wrap_verify_evidence(const uint8_t *buf, size_t len, const struct ward_verify_opts *o,
			   struct ward_verify_result *ret, struct ward_diag *d)
{
	int k;

	ev.ev_len = len;
	ev.ver_in = now_us();
	k = __real_verify_evidence(buf, len, o, ret, d);
	ev.ver_out = now_us();
	return k;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

int main(int argc, char **argv)
{
	struct ward_client_opts o = {0};
	EVP_PKEY *key;
	size_t size;
	long n, gap_ms;
	int in, out, devnull;
	uint8_t *data;
	FILE *tsv;

	if (argc < 9 || argc > 10) {
		fprintf(stderr, "usage: chclient HOST PORT SERVICE soft|ak KEY.pem SIZE N OUT.tsv "
				"[LABEL]\n");
		return 2;
	}
	key = read_key(argv[5]);
	if (!key) {
		fprintf(stderr, "chclient: cannot read the key %s\n", argv[5]);
		return 2;
	}
	if (strcmp(argv[4], "soft") == 0) {
		o.soft_keys = &key;
		o.n_soft_keys = 1;
	} else {
		o.ak_keys = &key;
		o.n_ak_keys = 1;
	}
	size = strtoull(argv[6], NULL, 10);
	n = strtol(argv[7], NULL, 10);
	o.max_input = o.max_output = size + 1;
	tsv = fopen(argv[8], "a");
	data = malloc(size ? size : 1);
	in = memfd_create("chclient-in", MFD_CLOEXEC);
	out = memfd_create("chclient-out", MFD_CLOEXEC);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!tsv || !data || in < 0 || out < 0 || devnull < 0) {
		perror("chclient");
		return 2;
	}
	srandom((unsigned)size);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(random() >> 7);
	if (write(in, data, size) != (ssize_t)size) {
		perror("chclient: memfd");
		return 2;
	}
	gap_ms = getenv("CH_GAP_MS") ? atol(getenv("CH_GAP_MS")) : 0;
	for (long i = 0; i < n; i++) {
		struct ward_client_result res;
		struct ward_diag d = {{0}};
		double t0, t1;
		int r;

		if (gap_ms > 0)
			nanosleep(&(struct timespec){gap_ms / 1000, (gap_ms % 1000) * 1000000},
				  NULL);
		memset(&ev, 0, sizeof(ev));
		lseek(in, 0, SEEK_SET);
		if (i == 0) {
			lseek(out, 0, SEEK_SET);
			if (ftruncate(out, 0) < 0)
				return 2;
		}
		t0 = now_us();
		r = ward_client_call(&o, argv[1], argv[2], argv[3], in, i == 0 ? out : devnull, -1,
				     &res, &d);
		t1 = now_us();
		if (r < 0 || !res.trusted || !res.answered || res.error_frame || res.status != 0 ||
		    res.output_bytes != size) {
			fprintf(stderr,
				"chclient: request %ld of %zu bytes: r=%d (%s) trusted=%d "
				"status=%s msg=%s output=%llu\n",
				i, size, r, d.msg, res.trusted, ward_client_status_name(res.status),
				res.msg, (unsigned long long)res.output_bytes);
			for (size_t j = 0; j < res.n_reasons; j++)
				fprintf(stderr, "  reason: %s\n", res.reasons[j]);
			return 1;
		}
		ward_client_result_clear(&res);
		if (i == 0) {
			uint8_t *back = malloc(size ? size : 1);

			if (!back || pread(out, back, size, 0) != (ssize_t)size ||
			    memcmp(back, data, size) != 0) {
				fprintf(stderr, "chclient: the output differs from the input\n");
				return 1;
			}
			free(back);
			printf("tls %s cipher %s group %s evidence %zu bytes\n", ev.version,
			       ev.cipher, ev.group, ev.ev_len);
		}
		/* a 0-byte request writes nothing after the REQUEST header: the upload ends
		 * with that header's write */
		fprintf(tsv, "%s\t%zu\t%ld\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n",
			argc == 10 ? argv[9] : "ward", size, i, t1 - t0, ev.conn_in - t0,
			ev.conn_out - ev.conn_in, ev.ver_in - ev.conn_out, ev.ver_out - ev.ver_in,
			ev.last_write - ev.ver_out, ev.first_read_after - ev.last_write,
			t1 - ev.first_read_after);
	}
	fclose(tsv);
	return 0;
}
