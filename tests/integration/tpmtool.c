/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test driver for the TPM backend (src/attest/tpm.c): one verb per call, so that tpm.sh can
 * assert each step against a swtpm and cross-check the results with tpm2-tools and openssl.
 * The TCTI comes from WARD_TPM_TCTI. A failure prints "tpmtool: VERB: ENAME: diagnostic" (ENAME
 * as strerrorname_np gives it, for exact assertions) and exits 1; a usage error exits 2.
 *
 *   banks                         active PCR banks, one name a line
 *   reset PCR
 *   extend PCR ALG=HEX...         one TPM2_PCR_Extend with a digest per bank
 *   read PCR ALG                  the value, hex
 *   ak STATEDIR [PEM]             load or create the AK: prints "created" or "loaded"
 *   quote STATEDIR NONCEHEX SEL PREFIX
 *                                 SEL as tpm2-tools: sha1:16,23+sha256:16. Writes PREFIX.attest
 *                                 (TPMS_ATTEST), PREFIX.sig (TPMT_SIGNATURE), PREFIX.public
 *                                 (TPMT_PUBLIC), PREFIX.pem, and PREFIX.pcrs (the selected
 *                                 PCRs' values concatenated in selection order, read after
 *                                 the quote: tpm2_checkquote's -f input with -l SEL)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/tpm.h"
#include "core/cleanup.h"
#include "core/util.h"

static const struct {
	const char *name;
	uint16_t alg;
} algs[] = {
	{ "sha1", WARD_TPM_ALG_SHA1 },
	{ "sha256", WARD_TPM_ALG_SHA256 },
	{ "sha384", WARD_TPM_ALG_SHA384 },
	{ "sha512", WARD_TPM_ALG_SHA512 },
};

static int alg_by_name(const char *s, size_t n, uint16_t *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++)
		if (strlen(algs[i].name) == n && strncmp(s, algs[i].name, n) == 0) {
			*ret = algs[i].alg;
			return 0;
		}
	return -EINVAL;
}

static const char *alg_name(uint16_t alg)
{
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return "unknown";
}

static int failed(const char *verb, int r, const struct ward_diag *d)
{
	const char *name = strerrorname_np(-r);

	fprintf(stderr, "tpmtool: %s: %s: %s\n", verb, name ? name : "?",
		d->msg[0] ? d->msg : strerror(-r));
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: tpmtool banks | reset PCR | extend PCR ALG=HEX... | read PCR ALG |"
			" ak STATEDIR [PEM] | quote STATEDIR NONCEHEX SEL PREFIX\n");
	return 2;
}

static int parse_pcr(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 1000)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* "sha1:16,23+sha256:16" */
static int parse_sel(const char *s, struct ward_tpm_pcr_sel *sel, size_t *ret_n)
{
	size_t n = 0;

	while (*s) {
		const char *colon = strchr(s, ':');
		char *end;

		if (!colon || n == WARD_TPM_BANKS_MAX)
			return -EINVAL;
		if (alg_by_name(s, (size_t)(colon - s), &sel[n].alg) < 0)
			return -EINVAL;
		sel[n].pcrs = 0;
		s = colon + 1;
		for (;;) {
			unsigned long v = strtoul(s, &end, 10);

			if (end == s || v >= WARD_TPM_PCR_MAX)
				return -EINVAL;
			sel[n].pcrs |= 1u << v;
			s = end;
			if (*s != ',')
				break;
			s++;
		}
		n++;
		if (*s == '+')
			s++;
		else if (*s)
			return -EINVAL;
	}
	*ret_n = n;
	return n ? 0 : -EINVAL;
}

static int write_out(const char *prefix, const char *ext, const void *buf, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s.%s", prefix, ext);
	return write_file_atomic(AT_FDCWD, path, buf, len, 0644);
}

static int open_statedir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int main(int argc, char **argv)
{
	struct ward_diag d = { 0 };
	struct ward_tpm *t = NULL;
	const char *tcti = getenv("WARD_TPM_TCTI");
	const char *verb;
	int r, rc = 0;

	if (argc < 2)
		return usage();
	verb = argv[1];
	r = tpm_open(tcti ? tcti : "", &t, &d);
	if (r < 0)
		return failed("open", r, &d);

	if (strcmp(verb, "banks") == 0 && argc == 2) {
		uint16_t b[WARD_TPM_BANKS_MAX];
		size_t n;

		r = tpm_active_banks(t, b, &n, &d);
		for (size_t i = 0; r >= 0 && i < n; i++)
			printf("%s\n", alg_name(b[i]));
	} else if (strcmp(verb, "reset") == 0 && argc == 3) {
		unsigned pcr;

		if (parse_pcr(argv[2], &pcr) < 0)
			rc = usage();
		else
			r = tpm_pcr_reset(t, pcr, &d);
	} else if (strcmp(verb, "extend") == 0 && argc >= 4) {
		struct ward_tpm_digest dg[WARD_TPM_BANKS_MAX] = { 0 };
		size_t n = 0, len;
		unsigned pcr;

		if (parse_pcr(argv[2], &pcr) < 0 || argc - 3 > WARD_TPM_BANKS_MAX) {
			rc = usage();
			goto out;
		}
		for (int i = 3; i < argc; i++, n++) {
			const char *eq = strchr(argv[i], '=');

			if (!eq || alg_by_name(argv[i], (size_t)(eq - argv[i]), &dg[n].alg) < 0 ||
			    hex_decode(eq + 1, strlen(eq + 1), dg[n].digest, sizeof(dg[n].digest),
				       &len) < 0 ||
			    len != tpm_alg_digest_len(dg[n].alg)) {
				rc = usage();
				goto out;
			}
		}
		r = tpm_extend(t, pcr, dg, n, &d);
	} else if (strcmp(verb, "read") == 0 && argc == 4) {
		uint8_t v[WARD_TPM_DIGEST_MAX];
		char hex[2 * WARD_TPM_DIGEST_MAX + 1];
		uint16_t alg = 0;
		size_t len;
		unsigned pcr;

		if (parse_pcr(argv[2], &pcr) < 0 || alg_by_name(argv[3], strlen(argv[3]), &alg) < 0) {
			rc = usage();
			goto out;
		}
		r = tpm_pcr_read(t, pcr, alg, v, &len, &d);
		if (r >= 0) {
			hex_encode(v, len, hex);
			printf("%s\n", hex);
		}
	} else if (strcmp(verb, "ak") == 0 && (argc == 3 || argc == 4)) {
		_cleanup_close_ int dfd = open_statedir(argv[2]);
		_cleanup_free_ char *pem = NULL;
		int created = 0;

		if (dfd < 0) {
			r = diag_set(&d, -errno, "cannot open %s", argv[2]);
			goto out;
		}
		r = tpm_ak_create_or_load(t, dfd, &created, &d);
		if (r >= 0 && argc == 4 && (r = tpm_ak_pubkey_pem(t, &pem, &d)) >= 0)
			r = write_file_atomic(AT_FDCWD, argv[3], pem, strlen(pem), 0644);
		if (r >= 0)
			printf("%s\n", created ? "created" : "loaded");
	} else if (strcmp(verb, "quote") == 0 && argc == 6) {
		_cleanup_close_ int dfd = open_statedir(argv[2]);
		_cleanup_free_ char *pem = NULL;
		struct ward_tpm_pcr_sel sel[WARD_TPM_BANKS_MAX];
		struct ward_tpm_quote q = { 0 };
		uint8_t nonce[WARD_TPM_NONCE_MAX + 1];
		struct buf pcrs = { 0 };
		size_t nsel, nonce_len;

		if (hex_decode(argv[3], strlen(argv[3]), nonce, sizeof(nonce), &nonce_len) < 0 ||
		    parse_sel(argv[4], sel, &nsel) < 0) {
			rc = usage();
			goto out;
		}
		if (dfd < 0) {
			r = diag_set(&d, -errno, "cannot open %s", argv[2]);
			goto out;
		}
		r = tpm_ak_create_or_load(t, dfd, NULL, &d);
		if (r >= 0)
			r = tpm_quote(t, nonce, nonce_len, sel, nsel, &q, &d);
		for (size_t i = 0; r >= 0 && i < nsel; i++)
			for (unsigned p = 0; r >= 0 && p < WARD_TPM_PCR_MAX; p++) {
				uint8_t v[WARD_TPM_DIGEST_MAX];
				size_t len;

				if (!(sel[i].pcrs & (1u << p)))
					continue;
				r = tpm_pcr_read(t, p, sel[i].alg, v, &len, &d);
				if (r >= 0)
					r = buf_append(&pcrs, v, len);
			}
		if (r >= 0)
			r = tpm_ak_pubkey_pem(t, &pem, &d);
		if (r >= 0)
			r = write_out(argv[5], "attest", q.attest, q.attest_len);
		if (r >= 0)
			r = write_out(argv[5], "sig", q.signature, q.signature_len);
		if (r >= 0)
			r = write_out(argv[5], "public", q.ak_public, q.ak_public_len);
		if (r >= 0)
			r = write_out(argv[5], "pcrs", pcrs.data, pcrs.len);
		if (r >= 0)
			r = write_out(argv[5], "pem", pem, strlen(pem));
		tpm_quote_clear(&q);
		buf_free(&pcrs);
	} else {
		rc = usage();
	}
out:
	tpm_close(t);
	if (rc)
		return rc;
	return r < 0 ? failed(verb, r, &d) : 0;
}
