/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward report verify --type snp|tdx|tpm FILE [...]: a raw hardware report checked offline
 * (ward/report.h). Exit 0 valid, 1 invalid (reasons printed), 2 malformed input or usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/report.h"

/* Largest input of any kind read here: reports, quotes, certificates, collateral. */
#define REPORT_INPUT_MAX (1u << 20)

static void usage(FILE *f)
{
	fputs("Usage: ward report verify --type snp|tdx|tpm FILE [--vcek CERT] [--chain PEM]\n"
	      "                          [--tcb-info JSON] [--qe-identity JSON]\n"
	      "                          [--sig FILE --ak FILE [--nonce HEX]]\n"
	      "                          [--allow-debug] [--report-data HEX] [--now RFC3339] [--json]\n"
	      "\n"
	      "Verify a hardware attestation report offline and explain every failed check.\n"
	      "  --type snp    an SEV-SNP attestation report (1184 bytes): ECDSA P-384 signature by\n"
	      "                the VCEK or VLEK (--vcek, DER or PEM), its chain to the AMD root built in for\n"
	      "                Milan, Genoa and Turin (or --chain ASK/ASVK+ARK PEM), the reported\n"
	      "                TCB against the VCEK's, the guest policy\n"
	      "  --type tdx    a TDX quote (v4, v5): its signature by the attestation key, the QE\n"
	      "                report and its binding of that key, the PCK chain to the Intel SGX\n"
	      "                root built in, the TD attributes; --tcb-info and --qe-identity check\n"
	      "                the collateral when given\n"
	      "  --type tpm    a TPM 2.0 quote: FILE is TPMS_ATTEST, --sig its TPMT_SIGNATURE, --ak\n"
	      "                the attestation key's TPMT_PUBLIC; --nonce the qualifying data\n"
	      "  --allow-debug accept a debug guest or TD (refused by default)\n"
	      "  --report-data HEX  up to 64 bytes, zero-padded to 64, compared in full\n"
	      "  --now RFC3339 check certificate validity at this time (default: now)\n"
	      "  --json        the verdict and the report's fields as JSON\n"
	      "\n"
	      "Exit status: 0 valid, 1 invalid, 2 malformed input or usage error.\n",
	      f);
}

static int read_opt(const char *opt, const char *path, uint8_t **ret, size_t *ret_len)
{
	int r = read_file_full(path, REPORT_INPUT_MAX, ret, ret_len);

	if (r < 0)
		return cli_error(EXIT_USAGE, "%s %s: %s", opt, path,
				 r == -EFBIG ? "too large" : strerror(-r));
	return 0;
}

/* A certificate given as PEM becomes DER (the library takes DER); DER stays as it is. */
static int cert_der(const char *opt, uint8_t **buf, size_t *len)
{
	_cleanup_bio_ BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL;
	int n;

	if (*len < 11 || memcmp(*buf, "-----BEGIN ", 11) != 0)
		return 0;
	bio = BIO_new_mem_buf(*buf, (int)*len);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	n = x ? i2d_X509(x, &der) : -1;
	X509_free(x);
	if (n <= 0)
		return cli_error(EXIT_USAGE, "%s: not a PEM certificate", opt);
	free(*buf);
	*buf = malloc((size_t)n);
	if (!*buf) {
		OPENSSL_free(der);
		return cli_error(EXIT_VERDICT, "out of memory");
	}
	memcpy(*buf, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return 0;
}

static int report_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "vcek", required_argument, NULL, 'v' },
		{ "chain", required_argument, NULL, 'c' },
		{ "tcb-info", required_argument, NULL, 'T' },
		{ "qe-identity", required_argument, NULL, 'Q' },
		{ "sig", required_argument, NULL, 's' },
		{ "ak", required_argument, NULL, 'a' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "allow-debug", no_argument, NULL, 'D' },
		{ "report-data", required_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_free_ uint8_t *buf = NULL, *vcek = NULL, *chain = NULL, *tcb = NULL, *qe = NULL,
			       *sig = NULL, *ak = NULL;
	struct ward_report_opts o = { .now = time(NULL) };
	struct ward_report_result res = { 0 };
	struct ward_diag d = { { 0 } };
	unsigned char nonce[64];
	const char *type = NULL;
	bool json = false;
	size_t len, n;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 'v':
			if ((r = read_opt("--vcek", optarg, &vcek, &o.vcek_len)) ||
			    (r = cert_der("--vcek", &vcek, &o.vcek_len)))
				return r;
			o.vcek_der = vcek;
			break;
		case 'c':
			if ((r = read_opt("--chain", optarg, &chain, &o.chain_len)))
				return r;
			o.chain_pem = chain;
			break;
		case 'T':
			if ((r = read_opt("--tcb-info", optarg, &tcb, &o.tcb_info_len)))
				return r;
			o.tcb_info = tcb;
			break;
		case 'Q':
			if ((r = read_opt("--qe-identity", optarg, &qe, &o.qe_identity_len)))
				return r;
			o.qe_identity = qe;
			break;
		case 's':
			if ((r = read_opt("--sig", optarg, &sig, &o.tpm_sig_len)))
				return r;
			o.tpm_sig = sig;
			break;
		case 'a':
			if ((r = read_opt("--ak", optarg, &ak, &o.tpm_ak_len)))
				return r;
			o.tpm_ak = ak;
			break;
		case 'n':
			if ((r = cli_parse_nonce(optarg, nonce, &o.nonce_len)))
				return r;
			o.nonce = nonce;
			break;
		case 'D':
			o.allow_debug = true;
			break;
		case 'r':
			if (strlen(optarg) > 128 || strlen(optarg) % 2 ||
			    hex_decode(optarg, strlen(optarg), o.report_data, sizeof(o.report_data),
				       &n) < 0)
				return cli_error(EXIT_USAGE, "--report-data: up to 64 bytes of lower-case "
							     "hex");
			o.has_report_data = true;
			break;
		case 'N':
			if (rfc3339_parse(optarg, &o.now) < 0)
				return cli_error(EXIT_USAGE, "--now: an RFC 3339 time "
							     "(2026-01-31T00:00:00Z)");
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!type || optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (read_opt("report", argv[optind], &buf, &len))
		return EXIT_USAGE;
	if (strcmp(type, "snp") == 0)
		r = report_verify_snp(buf, len, &o, &res, &d);
	else if (strcmp(type, "tdx") == 0)
		r = report_verify_tdx(buf, len, &o, &res, &d);
	else if (strcmp(type, "tpm") == 0)
		r = report_verify_tpm(buf, len, &o, &res, &d);
	else
		return cli_error(EXIT_USAGE, "--type: snp, tdx or tpm");
	if (r == -EOPNOTSUPP)
		return cli_error(EXIT_WARD, "report verify --type %s: %s", type, d.msg);
	if (r < 0)
		return cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "%s: malformed: %s",
				 argv[optind], d.msg[0] ? d.msg : strerror(-r));
	if (json) {
		_cleanup_json_ json_t *j = json_object(), *rs = json_array();
		_cleanup_free_ char *text = NULL;

		for (size_t i = 0; rs && i < res.n_reasons; i++)
			json_array_append_new(rs, json_string(res.reasons[i]));
		json_object_set_new(j, "valid", json_boolean(res.verdict == WARD_VERDICT_PASS));
		json_object_set_new(j, "type", json_string(type));
		json_object_set(j, "reasons", rs);
		json_object_set(j, "report", res.facts ? res.facts : json_null());
		text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
	} else {
		const char *key;
		json_t *v;

		printf("verdict: %s\n", res.verdict == WARD_VERDICT_PASS ? "VALID" : "INVALID");
		json_object_foreach(res.facts, key, v) {
			_cleanup_free_ char *s = json_is_string(v) ? NULL :
						  json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			printf("  %-20s %s\n", key, json_is_string(v) ? json_string_value(v) :
								   s ? s : "?");
		}
		for (size_t i = 0; i < res.n_reasons; i++)
			printf("  reason: %s\n", res.reasons[i]);
	}
	r = res.verdict == WARD_VERDICT_PASS ? EXIT_OK : EXIT_VERDICT;
	report_result_clear(&res);
	return r;
}

int verb_report(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "verify") == 0)
		return report_verify(argc - 1, argv + 1);
	return cli_error(EXIT_USAGE, "report: unknown command '%s' (verify)", argv[1]);
}
