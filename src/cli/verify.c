/* SPDX-License-Identifier: Apache-2.0 */
/* ward verify EVIDENCE --nonce HEX [--soft-key PEM]... [--policy FILE] [--prior FILE]
 *             [--manifest-digest HEX] [--json] */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/expect.h"
#include "core/cleanup-ossl.h"
#include "ward/decision.h"
#include "ward/policy-sign.h"
#include "ward/verify.h"

static void usage(FILE *f)
{
	fputs("Usage: ward verify EVIDENCE --nonce HEX [--soft-key PEM]... [--ak-key PEM]...\n"
	      "                   [--policy FILE]\n"
	      "                   [--prior STATE] [--manifest-digest HEX]\n"
	      "                   [--min-policy-version N] [--policy-issuer KEY.pub] [--json]\n"
	      "                   [--allow-debug] [--now RFC3339] [--measurement HEX]\n"
	      "\n"
	      "Verify an evidence bundle offline: the attester's signature, the nonce, the log\n"
	      "replayed to the attested registers, and (with --policy) every measured object\n"
	      "against reference values. Explains every failed check.\n"
	      "  --nonce HEX      the nonce this verifier sent (1 to 64 bytes, lower-case hex)\n"
	      "  --soft-key PEM   a soft attester public key to accept (repeatable); soft\n"
	      "                   evidence is never trusted without one, and is never\n"
	      "                   hardware-rooted\n"
	      "  --ak-key PEM     a TPM attestation key to accept (repeatable; 'ward attester\n"
	      "                   pubkey' of a tpm state dir prints it): tpm evidence is trusted\n"
	      "                   only when quoted by one. Evidence from a software TPM (swtpm)\n"
	      "                   is reported as such, never as hardware-rooted\n"
	      "  --policy FILE    reference values ('ward policy scan' output)\n"
	      "  --prior STATE    the --json output of an earlier trusted verification of the same\n"
	      "                   log: evidence exported with --since is checked from there\n"
	      "  --manifest-digest HEX\n"
	      "                   the sha256 of a sandbox service's manifest (64 hex digits,\n"
	      "                   optionally prefixed sha256:): not trusted unless a\n"
	      "                   ward-service record in the evidence names it\n"
	      "  --min-policy-version N\n"
	      "                   every policy that governs code in the evidence (each domain's and\n"
	      "                   service's own policy file, and the installed policy at the end\n"
	      "                   of the log: its last 'ward policy install' or 'revoke') must have\n"
	      "                   version N or later; a measure-only domain or a revoked policy\n"
	      "                   fails the verdict\n"
	      "  --policy-issuer KEY.pub\n"
	      "                   ... and be signed by this issuer (unsigned policies fail)\n"
	      "  --json           machine-readable verdict (its \"state\" feeds --prior)\n"
	      "  --allow-debug    tsm: accept a debuggable SEV-SNP guest or TDX TD\n"
	      "  --now RFC3339    tsm: check certificates at this time (default: now)\n"
	      "  --measurement HEX\n"
	      "                   tsm: the SEV-SNP MEASUREMENT or TDX MRTD expected (96 hex digits)\n"
	      "The services the evidence registers are listed with their manifest digest and the\n"
	      "code measured for them (what their sandboxes ran or may run).\n"
	      "Exit status: 0 trusted, 1 not trusted, 2 malformed evidence or usage error.\n",
	      f);
}

static void manifest_str(const uint8_t dg[32], char out[sizeof("sha256:") + 64])
{
	memcpy(out, "sha256:", 7);
	hex_encode(dg, 32, out + 7);
}

static json_t *services_json(const struct ward_verify_result *res, const uint8_t *want)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < res->n_services; i++) {
		const struct ward_verify_service *sv = &res->services[i];
		json_t *code = json_array(), *o;
		char man[sizeof("sha256:") + 64];

		for (size_t k = 0; code && k < sv->n_code; k++)
			json_array_append_new(code, json_pack("{s:s, s:s, s:s, s:b}", "path",
							      sv->code[k].path, "digest",
							      sv->code[k].digest, "source",
							      sv->code[k].registered ? "measure"
										     : "decision",
							      "audit", sv->code[k].audit));
		o = json_pack("{s:s, s:s, s:o, s:I}", "name", sv->ev.service, "domain",
			      sv->ev.domain, "code", code, "denied", (json_int_t)sv->denied);
		if (!o)
			continue;
		if (sv->has_record) {
			manifest_str(sv->ev.manifest_digest, man);
			json_object_set_new(o, "record", json_integer((json_int_t)sv->record));
			json_object_set_new(o, "manifest", json_string(man));
			json_object_set_new(o, "mode", json_string(sv->ev.mode));
			json_object_set_new(o, "policy",
					    sv->ev.has_policy
						    ? json_pack("{s:s, s:I}", "name", sv->ev.policy_name,
								"version",
								(json_int_t)sv->ev.policy_version)
						    : json_null());
			json_object_set_new(o, "anon_exec", json_boolean(sv->ev.anon_exec));
			json_object_set_new(o, "wx_elf", json_boolean(sv->ev.wx_elf));
		} else {
			/* Its record lies before the evidence: only its decisions are here. */
			json_object_set_new(o, "record", json_null());
			json_object_set_new(o, "manifest", json_null());
			json_object_set_new(o, "mode", json_null());
			json_object_set_new(o, "policy", json_null());
			json_object_set_new(o, "anon_exec", json_null());
			json_object_set_new(o, "wx_elf", json_null());
		}
		if (want)
			json_object_set_new(o, "manifest_match",
					    json_boolean(sv->has_record &&
							 memcmp(sv->ev.manifest_digest, want, 32) == 0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *result_json(const struct ward_verify_result *res, const struct ward_policy *pol,
			   const uint8_t *want)
{
	json_t *o = json_object(), *regs = json_object(), *reasons = json_array(),
	       *unknown = json_array(), *state;
	char hex[2 * WARD_HASH_MAX_SIZE + 1], keyhex[2 * sizeof(res->public_key) + 1];

	for (size_t i = 0; i < res->n_reasons; i++)
		json_array_append_new(reasons, json_string(res->reasons[i]));
	for (size_t i = 0; i < res->n_unknown; i++)
		json_array_append_new(unknown, json_pack("{s:s, s:s}", "digest", res->unknown[i].digest,
							 "path", res->unknown[i].path));
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		if (!(res->msg.banks & (1u << a)))
			continue;
		hex_encode(res->msg.reg[a], hash_alg_size(a), hex);
		json_object_set_new(regs, hash_alg_name(a), json_string(hex));
	}
	hex_encode(res->public_key, res->public_key_len, keyhex);
	json_object_set_new(o, "trusted", json_boolean(res->verdict == WARD_VERDICT_PASS));
	json_object_set_new(o, "attester", json_string(res->msg.attester_type));
	json_object_set_new(o, "root", json_string(res->msg.root));
	json_object_set_new(o, "hardware_rooted", json_boolean(res->hardware_rooted));
	json_object_set_new(o, "ima_active", json_boolean(res->msg.flags & WARD_QUOTE_IMA_ACTIVE));
	json_object_set_new(o, "ward_version", json_string(res->msg.ward_version));
	json_object_set_new(o, "checks", json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
						   "key_pinned", res->key_pinned, "signature",
						   res->signature_ok, "nonce", res->nonce_ok,
						   "template_digests", res->log_ok, "registers",
						   res->registers_ok, "reference_values",
						   pol ? res->policy_ok : 1, "manifest",
						   res->manifest_ok));
	if (strcmp(res->msg.attester_type, "tpm") == 0)
		json_object_set_new(json_object_get(o, "checks"), "tpm_pcr",
				    json_boolean(res->tpm_pcr_ok));
	json_object_set_new(o, "reasons", reasons);
	json_object_set_new(o, "first_record", json_integer((json_int_t)res->msg.first_record));
	json_object_set_new(o, "records", json_integer((json_int_t)res->msg.record_count));
	json_object_set_new(o, "pcr", json_integer(res->msg.pcr));
	json_object_set_new(o, "registers", regs);
	json_object_set_new(o, "objects", json_integer((json_int_t)res->objects));
	json_object_set_new(o, "policy", pol ? json_pack("{s:s, s:I, s:I}", "name", pol->name,
							 "version", (json_int_t)pol->version,
							 "entries", (json_int_t)pol->n_entries)
					     : json_null());
	json_object_set_new(o, "unknown_objects", unknown);
	json_object_set_new(o, "decisions", json_pack("{s:I, s:I, s:I}", "allow",
						      (json_int_t)res->decisions_allow, "deny",
						      (json_int_t)res->decisions_deny, "audit",
						      (json_int_t)res->decisions_audit));
	json_object_set_new(o, "domains",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "total",
				      (json_int_t)res->domains, "enforce",
				      (json_int_t)res->domains_enforce, "audit",
				      (json_int_t)res->domains_audit, "measure",
				      (json_int_t)res->domains_measure, "anon_exec",
				      (json_int_t)res->domains_anon_exec, "wx_elf",
				      (json_int_t)res->domains_wx_elf, "data_dirs",
				      (json_int_t)res->domains_data_dirs));
	if (want) {
		char man[sizeof("sha256:") + 64];

		manifest_str(want, man);
		json_object_set_new(o, "manifest_digest", json_string(man));
	} else {
		json_object_set_new(o, "manifest_digest", json_null());
	}
	json_object_set_new(o, "services", services_json(res, want));
	json_object_set_new(o, "policy_transitions", json_integer((json_int_t)res->policy_transitions));
	if (res->installed.known) {
		char ph[65];

		hex_encode(res->installed.digest, 32, ph);
		json_object_set_new(o, "installed_policy",
				    json_pack("{s:s, s:s, s:I, s:s, s:s, s:I}", "status",
					      res->installed.revoked ? "revoked" : "active", "name",
					      res->installed.name, "version",
					      (json_int_t)res->installed.version, "digest", ph,
					      "issuer", res->installed.issuer, "record",
					      (json_int_t)res->installed.record));
	} else {
		json_object_set_new(o, "installed_policy", json_null());
	}
	json_object_set_new(o, "policy_requirements", json_boolean(res->policy_req_ok));
	state = json_pack("{s:I, s:I, s:O, s:s}", "records", (json_int_t)res->next.records, "pcr",
			  (json_int_t)res->next.pcr, "registers", regs, "public_key", keyhex);
	json_object_set_new(o, "state", res->verdict == WARD_VERDICT_PASS ? state : json_null());
	if (res->verdict != WARD_VERDICT_PASS)
		json_decref(state);
	return o;
}

/* Code lines printed per service; --json lists all. */
#define SERVICE_CODE_LINES 100

static void services_text(const struct ward_verify_result *res, const uint8_t *want)
{
	if (res->n_services)
		printf("  services:     %zu\n", res->n_services);
	for (size_t i = 0; i < res->n_services; i++) {
		const struct ward_verify_service *sv = &res->services[i];
		char man[sizeof("sha256:") + 64];

		if (!sv->has_record) {
			printf("    service %s: registered before the evidence's first record "
			       "(manifest unknown here)\n", sv->ev.service);
		} else {
			manifest_str(sv->ev.manifest_digest, man);
			printf("    service %s manifest %s mode %s", sv->ev.service, man, sv->ev.mode);
			if (sv->ev.has_policy)
				printf(" policy %s v%llu", sv->ev.policy_name,
				       (unsigned long long)sv->ev.policy_version);
			printf("%s%s (record %llu)%s\n", sv->ev.anon_exec ? " anon_exec" : "",
			       sv->ev.wx_elf ? " wx_elf" : "", (unsigned long long)sv->record,
			       want && memcmp(sv->ev.manifest_digest, want, 32) == 0
				       ? " [the manifest asked for]"
				       : "");
		}
		printf("      code: %zu object%s, %zu denied\n", sv->n_code, sv->n_code == 1 ? "" : "s",
		       sv->denied);
		for (size_t k = 0; k < sv->n_code && k < SERVICE_CODE_LINES; k++)
			printf("        %s %s%s%s\n", sv->code[k].digest, sv->code[k].path,
			       sv->code[k].registered ? " (measure)" : "",
			       sv->code[k].audit ? " (audit: outside the policy)" : "");
		if (sv->n_code > SERVICE_CODE_LINES)
			printf("        ... and %zu more (--json lists all)\n",
			       sv->n_code - SERVICE_CODE_LINES);
	}
}

static void result_text(const struct ward_verify_result *res, const struct ward_policy *pol,
			const uint8_t *want)
{
	bool ok = res->verdict == WARD_VERDICT_PASS;

	printf("verdict: %s\n", ok ? "TRUSTED" : "NOT TRUSTED");
	printf("  attester:     %s, root %s (%s)\n", res->msg.attester_type, res->msg.root,
	       strcmp(res->msg.attester_type, "tsm") == 0
		       ? (res->hardware_rooted ? "hardware-rooted: the SEV-SNP/TDX report answers "
						 "this statement"
					       : "NOT hardware-rooted: the SEV-SNP/TDX report "
						 "does not hold (see the reasons)")
	       : res->hardware_rooted
		       ? "hardware-rooted: a TPM quote by the pinned attestation key"
	       : strcmp(res->msg.root, "swtpm") == 0
		       ? "software TPM: NOT hardware-rooted; it protects the log only as far as "
			 "the host that runs the swtpm is trusted"
		       : "NOT hardware-rooted: a software key; trust rests on pinning it");
	if (strcmp(res->msg.attester_type, "tpm") == 0)
		printf("  tpm pcr:      %s\n", res->tpm_pcr_ok ? "the quoted PCR is the statement's "
							      "registers"
							    : "MISMATCH");
	if (res->msg.flags & WARD_QUOTE_IMA_ACTIVE)
		printf("  kernel IMA:   active when quoted (ward's PCR is %u)\n",
		       (unsigned)res->msg.pcr);
	printf("  key:          %s\n", res->key_pinned ? "pinned" : "NOT pinned");
	printf("  signature:    %s\n", res->signature_ok ? "ok" : "BAD");
	printf("  nonce:        %s\n", res->nonce_ok ? "ok" : "MISMATCH");
	printf("  log:          records %llu..%llu, template digests %s\n",
	       (unsigned long long)res->msg.first_record,
	       (unsigned long long)(res->msg.record_count ? res->msg.record_count - 1 : 0),
	       res->log_ok ? "ok" : "BAD");
	printf("  registers:    %s (pcr %u:", res->registers_ok ? "replay matches" : "MISMATCH",
	       (unsigned)res->msg.pcr);
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if (res->msg.banks & (1u << a))
			printf(" %s", hash_alg_name(a));
	printf(")\n");
	if (pol)
		printf("  objects:      %zu measured, %zu outside policy '%s' v%llu\n", res->objects,
		       res->n_unknown, pol->name, (unsigned long long)pol->version);
	else
		printf("  objects:      %zu measured (no reference values given)\n", res->objects);
	for (size_t i = 0; i < res->n_unknown && i < 20; i++)
		printf("    unknown: %s %s\n", res->unknown[i].digest, res->unknown[i].path);
	if (res->n_unknown > 20)
		printf("    ... and %zu more (--json lists all)\n", res->n_unknown - 20);
	printf("  decisions:    %zu allow, %zu deny, %zu audit\n", res->decisions_allow,
	       res->decisions_deny, res->decisions_audit);
	if (res->domains)
		printf("  domains:      %zu (%zu enforce, %zu audit, %zu measure-only); opt-ins: %zu "
		       "anonymous exec (JIT), %zu W+X ELF, %zu data dirs\n",
		       res->domains, res->domains_enforce, res->domains_audit, res->domains_measure,
		       res->domains_anon_exec, res->domains_wx_elf, res->domains_data_dirs);
	services_text(res, want);
	if (res->installed.known)
		printf("  installed:    policy '%s' version %llu, issuer %s, %s (record %llu; %zu "
		       "transition%s in the evidence)\n",
		       res->installed.name, (unsigned long long)res->installed.version,
		       res->installed.issuer[0] ? res->installed.issuer : "unsigned",
		       res->installed.revoked ? "REVOKED" : "active",
		       (unsigned long long)res->installed.record, res->policy_transitions,
		       res->policy_transitions == 1 ? "" : "s");
	if (want) {
		char man[sizeof("sha256:") + 64];

		manifest_str(want, man);
		printf("  manifest:     %s %s\n", man,
		       res->manifest_ok ? "registered" : "NOT in the evidence");
	}
	for (size_t i = 0; i < res->n_reasons; i++)
		printf("  reason: %s\n", res->reasons[i]);
}

int verb_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		CLI_EXPECT_LONGOPTS,
		{ "prior", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli_expect e = { 0 };
	unsigned char nonce[WARD_NONCE_MAX];
	struct ward_verify_opts o = { 0 };
	struct ward_verify_result res = { 0 };
	struct ward_verify_prior prior;
	const struct ward_policy *pol;
	struct ward_diag d = { { 0 } };
	_cleanup_free_ unsigned char *buf = NULL;
	size_t len;
	bool json = false;
	int c, r, ret = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		_cleanup_free_ unsigned char *in = NULL;
		size_t inlen;

		if ((r = cli_expect_parse(c, optarg, &e)) < 0)
			goto out;
		if (r > 0)
			continue;
		switch (c) {
		case 'n':
			if ((r = cli_parse_nonce(optarg, nonce, &o.nonce_len)))
				goto out;
			o.nonce = nonce;
			break;
		case 'P':
			if (cli_read_input(optarg, 1 << 20, "prior state", &in, &inlen))
				goto out;
			if (verify_prior_parse(in, inlen, &prior, &d) < 0) {
				cli_error(EXIT_USAGE, "%s: %s", optarg, d.msg);
				goto out;
			}
			o.prior = &prior;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			goto out;
		}
	}
	if (optind + 1 != argc) {
		cli_error(EXIT_USAGE, "verify: expected one EVIDENCE file (see 'ward verify --help')");
		goto out;
	}
	if (!o.nonce) {
		cli_error(EXIT_USAGE, "verify: --nonce HEX is required: evidence is only fresh for "
				      "the nonce you sent");
		goto out;
	}
	if (cli_read_input(argv[optind], WARD_EVIDENCE_MAX, "evidence", &buf, &len))
		goto out;
	cli_expect_to_verify(&e, &o);
	pol = e.policy;
	r = verify_evidence(buf, len, &o, &res, &d);
	if (r < 0) {
		ret = cli_error(r == -ENOMEM || r == -EIO ? EXIT_VERDICT : EXIT_USAGE,
				"%s: malformed evidence: %s", argv[optind], d.msg[0] ? d.msg : strerror(-r));
		goto out;
	}
	if (json) {
		_cleanup_json_ json_t *j = result_json(&res, pol, o.manifest_digest);
		_cleanup_free_ char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

		if (text)
			printf("%s\n", text);
	} else {
		result_text(&res, pol, o.manifest_digest);
	}
	ret = res.verdict == WARD_VERDICT_PASS ? EXIT_OK : EXIT_VERDICT;
out:
	verify_result_clear(&res);
	cli_expect_free(&e);
	return ret;
}
