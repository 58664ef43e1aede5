// SPDX-License-Identifier: Apache-2.0
/*
 * repbench: libward-verify's report_verify_snp/tdx/tpm() in-process, in a loop, to separate
 * the verification itself from `ward report verify`'s process start and file reads.
 *
 * usage: repbench TYPE REPORT ROUNDS N TAG EXPECT [--vcek DER] [--tcb-info F] [--qe-identity F]
 *                 [--sig F --ak F] [--nonce HEX] [--now RFC3339]
 * The files are read once; each round times N calls together (CLOCK_MONOTONIC) and prints
 * "TAG ROUND NS N". Every call's verdict must be EXPECT (valid|invalid), or it exits 1, so
 * that a run whose verification fails early is never reported as a fast one.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "ward/report.h"

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what, int r, const struct ward_diag *d)
{
	fprintf(stderr, "repbench: %s: %s%s%s\n", what, strerror(-r), d && d->msg[0] ? ": " : "",
		d ? d->msg : "");
	exit(1);
}

static void slurp(const char *path, uint8_t **buf, size_t *len)
{
	int r = read_file_full(path, 64u << 20, buf, len);

	if (r < 0)
		die(path, r, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vcek", required_argument, NULL, 'v' },
		{ "tcb-info", required_argument, NULL, 'T' },
		{ "qe-identity", required_argument, NULL, 'Q' },
		{ "sig", required_argument, NULL, 's' },
		{ "ak", required_argument, NULL, 'a' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "now", required_argument, NULL, 'N' },
		{},
	};
	struct ward_report_opts o = { .now = time(NULL) };
	uint8_t *bufs[6] = { 0 }, *buf, nonce[64];
	size_t len, n;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			slurp(optarg, &bufs[0], &o.vcek_len);
			o.vcek_der = bufs[0];
			break;
		case 'T':
			slurp(optarg, &bufs[1], &o.tcb_info_len);
			o.tcb_info = bufs[1];
			break;
		case 'Q':
			slurp(optarg, &bufs[2], &o.qe_identity_len);
			o.qe_identity = bufs[2];
			break;
		case 's':
			slurp(optarg, &bufs[3], &o.tpm_sig_len);
			o.tpm_sig = bufs[3];
			break;
		case 'a':
			slurp(optarg, &bufs[4], &o.tpm_ak_len);
			o.tpm_ak = bufs[4];
			break;
		case 'n':
			if (hex_decode(optarg, strlen(optarg), nonce, sizeof(nonce), &n) < 0)
				die("--nonce", -EINVAL, NULL);
			o.nonce = nonce;
			o.nonce_len = n;
			break;
		case 'N':
			if (rfc3339_parse(optarg, &o.now) < 0)
				die("--now", -EINVAL, NULL);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 6) {
		fprintf(stderr, "usage: repbench TYPE REPORT ROUNDS N TAG valid|invalid [options]\n");
		return 2;
	}
	const char *type = argv[optind], *tag = argv[optind + 4];
	long rounds = atol(argv[optind + 2]), iters = atol(argv[optind + 3]);
	enum ward_verdict want = strcmp(argv[optind + 5], "valid") == 0 ? WARD_VERDICT_PASS :
									   WARD_VERDICT_FAIL;
	int (*fn)(const uint8_t *, size_t, const struct ward_report_opts *,
		  struct ward_report_result *, struct ward_diag *);

	if (strcmp(type, "snp") == 0)
		fn = report_verify_snp;
	else if (strcmp(type, "tdx") == 0)
		fn = report_verify_tdx;
	else if (strcmp(type, "tpm") == 0)
		fn = report_verify_tpm;
	else
		return 2;
	slurp(argv[optind + 1], &bufs[5], &len);
	buf = bufs[5];
	if (rounds < 1 || iters < 1)
		return 2;

	for (long round = 1; round <= rounds; round++) {
		long long t0 = now_ns();

		for (long i = 0; i < iters; i++) {
			struct ward_report_result res = { 0 };
			struct ward_diag d = { { 0 } };

			if ((r = fn(buf, len, &o, &res, &d)) < 0)
				die("verify", r, &d);
			if (res.verdict != want) {
				fprintf(stderr, "repbench: %s: verdict %d, want %d (%s)\n", tag,
					res.verdict, want, res.n_reasons ? res.reasons[0] : "");
				return 1;
			}
			report_result_clear(&res);
		}
		printf("%s %ld %lld %ld\n", tag, round, now_ns() - t0, iters);
	}
	for (size_t i = 0; i < 6; i++)
		free(bufs[i]);
	return 0;
}
