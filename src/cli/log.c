/* SPDX-License-Identifier: Apache-2.0 */
/* ward log replay | show | export */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "core/cleanup-ossl.h"
#include "ward/decision.h"
#include "ward/state.h"

static void usage_log(FILE *f)
{
	fputs("Usage:\n"
	      "  ward log replay FILE [--format auto|binary|ascii] [--log-bank B] [--bank B]\n"
	      "                       [--pcr N] [--json]\n"
	      "      Replay any IMA-format measurement list (the kernel's, ward's export, or a state\n"
	      "      dir's own log file) and print the register value in hex.\n"
	      "      A binary list does not say its digest width: --log-bank\n"
	      "      names it (sha1 for binary_runtime_measurements, sha256 for ..._sha256), else it\n"
	      "      is detected and ambiguous input is refused. --bank picks the register bank\n"
	      "      (default: the list's own). Every template digest is checked first.\n"
	      "  ward log show [--state-dir DIR] [--json]\n"
	      "      Measurements, decisions, domains and services in the state dir's log.\n"
	      "  ward log export [--state-dir DIR] --format binary|ascii [--bank B] -o FILE\n"
	      "      The log in the kernel's binary_runtime_measurements or ascii_runtime_measurements\n"
	      "      format, template digests in bank B (default sha1, as the kernel's default files).\n"
	      "\n"
	      "B is one of sha1, sha256, sha384, sha512.\n"
	      "Exit status: 0 ok; 1 the log does not check out (a template digest mismatch);\n"
	      "2 malformed input (the message names the byte offset or line) or usage error.\n",
	      f);
}

static json_t *registers_json(const struct ward_evlog *log, uint32_t pcr, unsigned banks)
{
	json_t *o = json_object();

	for (unsigned a = 0; o && a < __WARD_HASH_MAX; a++) {
		uint8_t reg[WARD_HASH_MAX_SIZE] = { 0 };
		char hex[2 * WARD_HASH_MAX_SIZE + 1];

		if (!(banks & (1u << a)))
			continue;
		if (evlog_replay(log, 0, log->n, pcr, a, reg) < 0) {
			json_decref(o);
			return NULL;
		}
		hex_encode(reg, hash_alg_size(a), hex);
		json_object_set_new(o, hash_alg_name(a), json_string(hex));
	}
	return o;
}

static int log_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "log-bank", required_argument, NULL, 'L' },
		{ "bank", required_argument, NULL, 'b' },
		{ "pcr", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	enum ward_hash_alg log_bank = __WARD_HASH_MAX, bank = __WARD_HASH_MAX;
	const char *format = "auto";
	_cleanup_free_ unsigned char *buf = NULL;
	struct ward_evlog log;
	struct ward_diag d = { { 0 } };
	enum ward_verdict v;
	unsigned long pcr = WARD_IMA_PCR;
	bool json = false;
	size_t len, bad;
	int c, r, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			if (strcmp(format, "auto") && strcmp(format, "binary") && strcmp(format, "ascii"))
				return cli_error(EXIT_USAGE, "--format: auto, binary or ascii");
			break;
		case 'L':
			if ((r = cli_parse_bank("--log-bank", optarg, &log_bank)))
				return r;
			break;
		case 'b':
			if ((r = cli_parse_bank("--bank", optarg, &bank)))
				return r;
			break;
		case 'p': {
			char *e;
			pcr = strtoul(optarg, &e, 10);
			if (*e || pcr > 23)
				return cli_error(EXIT_USAGE, "--pcr: 0 to 23");
			break;
		}
		case 'j':
			json = true;
			break;
		case 'h':
			usage_log(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_error(EXIT_USAGE, "log replay: expected one FILE (see 'ward log --help')");
	if ((r = cli_read_input(argv[optind], WARD_LOG_FILE_MAX, "log", &buf, &len)))
		return r;

	evlog_init(&log);
	if (strcmp(format, "binary") == 0)
		r = evlog_parse_binary(buf, len, log_bank, &log, &d);
	else if (strcmp(format, "ascii") == 0)
		r = evlog_parse_ascii((const char *)buf, len, &log, &d);
	else
		r = evlog_parse_auto(buf, len, log_bank, &log, &d);
	if (r < 0) {
		evlog_free(&log);
		return cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "%s: %s", argv[optind],
				 d.msg[0] ? d.msg : strerror(-r));
	}
	r = evlog_check_digests(&log, &v, &bad, &d);
	if (r < 0 || v != WARD_VERDICT_PASS) {
		evlog_free(&log);
		return cli_error(EXIT_VERDICT, "%s: %s", argv[optind], r < 0 ? strerror(-r) : d.msg);
	}
	if (bank == __WARD_HASH_MAX)
		bank = log.log_bank;

	if (json) {
		_cleanup_json_ json_t *o = NULL;
		_cleanup_free_ char *text = NULL;

		o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "file", argv[optind], "format",
			      log.src_ascii ? "ascii" : "binary", "log_bank",
			      hash_alg_name(log.log_bank), "records", (json_int_t)log.n, "pcr",
			      (json_int_t)pcr, "registers", registers_json(&log, (uint32_t)pcr, WARD_HASH_ALL_MASK));
		text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
		ret = text ? (printf("%s\n", text), EXIT_OK) : cli_error(EXIT_VERDICT, "out of memory");
	} else {
		uint8_t reg[WARD_HASH_MAX_SIZE] = { 0 };
		char hex[2 * WARD_HASH_MAX_SIZE + 1];

		r = evlog_replay(&log, 0, log.n, (uint32_t)pcr, bank, reg);
		if (r < 0) {
			ret = cli_error(EXIT_VERDICT, "replay failed: %s", strerror(-r));
		} else {
			hex_encode(reg, hash_alg_size(bank), hex);
			printf("%s\n", hex);
			ret = EXIT_OK;
		}
	}
	evlog_free(&log);
	return ret;
}

/* The "policy" of a domain or service record: name, version, file digest, issuer, source. */
static json_t *policy_ref_json(const char *name, uint64_t version, const struct ward_policy_ref *ref)
{
	char hex[72] = "sha256:";

	hex_encode(ref->digest, sizeof(ref->digest), hex + 7);
	return json_pack("{s:s, s:I, s:s, s:o, s:s}", "name", name, "version", (json_int_t)version,
			 "digest", hex, "issuer", ref->issuer[0] ? json_string(ref->issuer) : json_null(),
			 "source", ref->installed ? "installed" : "file");
}

/* A ward-service record as `log show --json` gives it (docs/evidence-format.md). */
static json_t *service_json(const struct ward_service_event *sv)
{
	char manifest[sizeof("sha256:") + 2 * sizeof(sv->manifest_digest)];
	json_t *j;

	memcpy(manifest, "sha256:", 7);
	hex_encode(sv->manifest_digest, sizeof(sv->manifest_digest), manifest + 7);
	j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "service", sv->service, "domain",
		      sv->domain, "manifest", manifest, "mode", sv->mode, "anon_exec",
		      sv->anon_exec, "wx_elf", sv->wx_elf);
	if (j)
		json_object_set_new(j, "policy",
				    sv->has_policy ? policy_ref_json(sv->policy_name, sv->policy_version,
								     &sv->pref)
						   : json_null());
	return j;
}

static json_t *record_json(const struct ward_evlog_record *r, size_t index)
{
	json_t *o = json_object();
	struct ward_file_digest fd;
	struct ward_decision dec;
	struct ward_diag d;
	const char *name = evlog_record_name(r);
	char hex[2 * WARD_HASH_MAX_SIZE + 1];

	json_object_set_new(o, "index", json_integer((json_int_t)index));
	json_object_set_new(o, "pcr", json_integer(r->pcr));
	json_object_set_new(o, "template", json_string(r->template_name));
	for (unsigned a = WARD_HASH_SHA1; a <= WARD_HASH_SHA256; a++) {
		uint8_t td[WARD_HASH_MAX_SIZE];
		char key[32];

		evlog_record_digest(r, a, td);
		hex_encode(td, hash_alg_size(a), hex);
		snprintf(key, sizeof(key), "template_%s", hash_alg_name(a));
		json_object_set_new(o, key, json_string(hex));
	}
	if (decision_from_record(r, &dec, &d) == 0) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "verdict",
				      decision_verdict_name(dec.verdict), "grant",
				      decision_grant_name(dec.grant), "domain", dec.domain, "path",
				      dec.path, "reason", dec.reason);
		if (dec.has_object) {
			char ds[WARD_DIGEST_STR_MAX];
			measure_digest_format(&dec.object, ds);
			json_object_set_new(j, "object", json_string(ds));
		}
		if (dec.has_policy)
			json_object_set_new(j, "policy", json_pack("{s:s, s:I}", "name", dec.policy_name,
								  "version", (json_int_t)dec.policy_version));
		json_object_set_new(o, "kind", json_string("decision"));
		json_object_set_new(o, "decision", j);
		return o;
	}
	{
		struct ward_domain_event ev;

		if (domain_event_from_record(r, &ev, &d) == 0) {
			json_t *j = json_pack("{s:s, s:s, s:b, s:b, s:[], s:[]}", "domain", ev.domain,
					      "mode", ev.mode, "anon_exec", ev.anon_exec, "wx_elf",
					      ev.wx_elf, "data_dirs", "code");

			for (size_t i = 0; j && i < ev.n_data_dirs; i++)
				json_array_append_new(json_object_get(j, "data_dirs"),
						      json_string(ev.data_dirs[i]));
			for (size_t i = 0; j && i < ev.n_code; i++)
				json_array_append_new(json_object_get(j, "code"),
						      json_string(ev.code[i]));
			if (j && ev.has_policy)
				json_object_set_new(j, "policy",
						    policy_ref_json(ev.policy_name, ev.policy_version,
								    &ev.pref));
			domain_event_free(&ev);
			json_object_set_new(o, "kind", json_string("domain"));
			json_object_set_new(o, "domain", j);
			return o;
		}
	}
	{
		struct ward_service_event sv;

		if (service_event_from_record(r, &sv, &d) == 0) {
			json_object_set_new(o, "kind", json_string("service"));
			json_object_set_new(o, "service", service_json(&sv));
			return o;
		}
	}
	{
		struct ward_policy_event pe;

		if (policy_event_from_record(r, &pe, &d) == 0) {
			char pd[72] = "sha256:";

			hex_encode(pe.digest, sizeof(pe.digest), pd + 7);
			json_object_set_new(o, "kind", json_string("policy"));
			json_object_set_new(o, "policy",
					    json_pack("{s:s, s:s, s:I, s:s, s:s, s:I}", "action",
						      policy_action_name(pe.action), "name", pe.name,
						      "version", (json_int_t)pe.version, "digest", pd,
						      "issuer", pe.issuer, "high_water",
						      (json_int_t)pe.high_water));
			return o;
		}
	}
	json_object_set_new(o, "kind", json_string("measurement"));
	if (evlog_record_file_digest(r, &fd) == 0) {
		_cleanup_free_ char *dh = malloc(2 * (size_t)fd.len + 1);
		char *full;

		if (dh) {
			hex_encode(fd.digest, fd.len, dh);
			if (asprintf(&full, "%s:%s", fd.alg, dh) >= 0) {
				json_object_set_new(o, "digest", json_string(full));
				free(full);
			}
		}
	}
	if (name)
		json_object_set_new(o, "path", json_string(name));
	return o;
}

static void record_line(const struct ward_evlog_record *r, size_t index)
{
	struct ward_file_digest fd;
	struct ward_decision dec;
	struct ward_diag d;
	const char *name = evlog_record_name(r);

	if (decision_from_record(r, &dec, &d) == 0) {
		printf("%6zu %2u decision %-5s %-13s %s%s%s domain=%s", index, (unsigned)r->pcr,
		       decision_verdict_name(dec.verdict), decision_grant_name(dec.grant), dec.path,
		       dec.reason[0] ? ": " : "", dec.reason, dec.domain);
		if (dec.has_policy)
			printf(" policy=%s@%llu", dec.policy_name, (unsigned long long)dec.policy_version);
		putchar('\n');
		return;
	}
	{
		struct ward_domain_event ev;

		if (domain_event_from_record(r, &ev, &d) == 0) {
			printf("%6zu %2u domain   %s mode=%s", index, (unsigned)r->pcr, ev.domain,
			       ev.mode);
			if (ev.has_policy)
				printf(" policy=%s@%llu", ev.policy_name,
				       (unsigned long long)ev.policy_version);
			printf("%s%s%s\n", ev.anon_exec ? " anon_exec" : "",
			       ev.wx_elf ? " wx_elf" : "", ev.n_data_dirs ? " data_dirs" : "");
			domain_event_free(&ev);
			return;
		}
	}
	{
		struct ward_service_event sv;

		if (service_event_from_record(r, &sv, &d) == 0) {
			char hex[2 * sizeof(sv.manifest_digest) + 1];

			hex_encode(sv.manifest_digest, sizeof(sv.manifest_digest), hex);
			printf("%6zu %2u service  %s manifest sha256:%s mode %s", index,
			       (unsigned)r->pcr, sv.service, hex, sv.mode);
			if (sv.has_policy)
				printf(" policy %s v%llu", sv.policy_name,
				       (unsigned long long)sv.policy_version);
			printf("%s%s\n", sv.anon_exec ? " anon_exec" : "", sv.wx_elf ? " wx_elf" : "");
			return;
		}
	}
	{
		struct ward_policy_event pe;

		if (policy_event_from_record(r, &pe, &d) == 0) {
			char hex[65];

			hex_encode(pe.digest, sizeof(pe.digest), hex);
			printf("%6zu %2u policy   %s %s@%llu sha256:%s issuer=%s high_water=%llu\n",
			       index, (unsigned)r->pcr, policy_action_name(pe.action), pe.name,
			       (unsigned long long)pe.version, hex, pe.issuer,
			       (unsigned long long)pe.high_water);
			return;
		}
	}
	printf("%6zu %2u %-8s ", index, (unsigned)r->pcr, r->template_name);
	if (evlog_record_file_digest(r, &fd) == 0) {
		printf("%s:", fd.alg);
		for (uint32_t i = 0; i < fd.len; i++)
			printf("%02x", fd.digest[i]);
	}
	printf(" %s\n", name ? name : "");
}

static int log_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{},
	};
	struct ward_state *s = NULL;
	const struct ward_evlog *log;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
		case 'A':
			cli_parse_common(c, optarg);
			break;
		case 'h':
			usage_log(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_error(EXIT_USAGE, "log show: unexpected argument '%s'", argv[optind]);
	if ((r = cli_open_state(WARD_STATE_READONLY, &s)))
		return r;
	log = evlog_store_log(s->log);
	if (json) {
		_cleanup_json_ json_t *o = NULL, *arr = json_array();
		_cleanup_free_ char *text = NULL;

		for (size_t i = 0; i < log->n; i++)
			json_array_append_new(arr, record_json(&log->rec[i], i));
		o = json_pack("{s:s, s:s, s:I, s:I, s:o, s:O}", "state_dir", s->path, "attester",
			      s->attester_type, "pcr", (json_int_t)s->pcr, "records",
			      (json_int_t)log->n, "registers", registers_json(log, s->pcr, s->banks),
			      "entries", arr);
		text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
		if (text)
			printf("%s\n", text);
		r = text ? EXIT_OK : cli_error(EXIT_VERDICT, "out of memory");
	} else {
		printf("%6s %2s %-8s %s\n", "#", "PCR", "TEMPLATE", "DIGEST / DECISION  PATH");
		for (size_t i = 0; i < log->n; i++)
			record_line(&log->rec[i], i);
		r = EXIT_OK;
	}
	state_close(s);
	return r;
}

static int log_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "bank", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		CLI_COMMON_LONGOPTS,
		{},
	};
	enum ward_hash_alg bank = WARD_HASH_SHA1;
	const char *format = NULL, *out = NULL;
	struct ward_state *s = NULL;
	struct buf b = { 0 };
	int c, r;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'b':
			if ((r = cli_parse_bank("--bank", optarg, &bank)))
				return r;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
		case 'A':
			cli_parse_common(c, optarg);
			break;
		case 'h':
			usage_log(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (!format || (strcmp(format, "binary") && strcmp(format, "ascii")))
		return cli_error(EXIT_USAGE, "log export: --format binary|ascii is required");
	if (!out)
		return cli_error(EXIT_USAGE, "log export: -o FILE is required ('-' for stdout)");
	if (optind != argc)
		return cli_error(EXIT_USAGE, "log export: unexpected argument '%s'", argv[optind]);
	if ((r = cli_open_state(WARD_STATE_READONLY, &s)))
		return r;
	r = strcmp(format, "binary") == 0 ? evlog_write_binary(evlog_store_log(s->log), 0, bank, &b)
					  : evlog_write_ascii(evlog_store_log(s->log), 0, bank, &b);
	if (r == -EILSEQ)
		r = cli_error(EXIT_VERDICT, "log export: a recorded path contains a newline or carriage "
					    "return, which the ASCII format cannot represent; use --format binary");
	else if (r < 0)
		r = cli_error(EXIT_VERDICT, "log export: %s", strerror(-r));
	else
		r = cli_write_output(out, b.data, b.len, 0644);
	buf_free(&b);
	state_close(s);
	return r;
}

int verb_log(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_log(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "replay") == 0)
		return log_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return log_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return log_export(argc - 1, argv + 1);
	return cli_error(EXIT_USAGE, "log: unknown command '%s' (replay, show, export)", argv[1]);
}
