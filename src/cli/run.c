/* SPDX-License-Identifier: Apache-2.0 */
/* ward run: CMD in a new integrity domain, this process its monitor. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "ward/domain.h"
#include "ward/limits.h"

static void usage(FILE *f)
{
	fputs("Usage: ward run [--state-dir DIR] [--policy FILE] [--audit] [--code DIR]...\n"
	      "                [--bind SRC[:DST]]... [--bind-ro SRC[:DST]]... [--uid N [--gid N]]\n"
	      "                [--quiet] [--stats] -- CMD [ARG]...\n"
	      "\n"
	      "Run CMD in a new integrity domain (mount, PID, IPC and UTS namespaces) with this\n"
	      "process as its monitor. Only /usr and each --code DIR are executable, read-only;\n"
	      "every file opened or executed from them is measured into the state dir's log and\n"
	      "checked against the policy before the kernel lets it through. Everything else\n"
	      "(binds, a private /tmp and /dev/shm, a minimal /dev, a read-only /proc) is noexec.\n"
	      "Anonymous and memfd executable memory, W+X mappings, ptrace, new namespaces and\n"
	      "mounts are refused (seccomp, Landlock). If the monitor dies, the domain dies first.\n"
	      "\n"
	      "  --policy FILE     policy file ('ward policy scan'; FILE.sig, when present, must\n"
	      "                    verify with a trusted issuer). Without it, the state dir's\n"
	      "                    installed policy ('ward policy install'), which the domain\n"
	      "                    follows: installs and revocations switch it within a second.\n"
	      "                    With neither the domain is measure-only: everything is\n"
	      "                    measured, only structural rules deny\n"
	      "  --audit           record what the policy would deny, deny nothing\n"
	      "  --code DIR        another executable, read-only code dir, at the same path; it and\n"
	      "                    the dirs above it must be root-owned, not group/other-writable\n"
	      "  --bind SRC[:DST]  SRC (a host file or dir) at DST, writable, noexec\n"
	      "  --bind-ro SRC[:DST] the same, read-only\n"
	      "  --uid N, --gid N  run CMD as N (default: uid 0, always without capabilities)\n"
	      "  -q, --quiet       do not print audit findings (denials are always printed)\n"
	      "  --stats           at the end, print what the monitor did on stderr (one line)\n"
	      "\n"
	      "Exit status: CMD's (128+N when killed by signal N); 126 when CMD was denied or is\n"
	      "not on a code mount; 127 when not found; 125 when ward itself failed.\n",
	      f);
}

struct run_opts {
	bool quiet;
	const char *cmd;
	int exec_err;
};

static void on_decision(void *ud, const struct ward_decision *dec, bool first)
{
	const struct run_opts *o = ud;
	char ds[WARD_DIGEST_STR_MAX] = "?";

	if (dec->verdict == WARD_DECISION_ALLOW)
		return;
	if (dec->verdict == WARD_DECISION_AUDIT && (o->quiet || !first))
		return;
	if (dec->has_object)
		measure_digest_format(&dec->object, ds);
	fprintf(stderr, "ward: %s %s of '%s' (%s): %s\n",
		dec->verdict == WARD_DECISION_DENY ? "denied" : "audit: would deny",
		decision_grant_name(dec->grant), dec->path, ds, dec->reason);
}

static void on_policy(void *ud, struct ward_domain_ctl *ctl, const struct ward_policy *p,
		      bool active, const char *error)
{
	(void)ctl;
	const struct run_opts *o = ud;

	if (error)
		fprintf(stderr, "ward: the installed policy cannot be used (%s): every grant is "
				"denied\n", error);
	else if (!active)
		fprintf(stderr, "ward: the installed policy was revoked: every grant is denied\n");
	else if (!o->quiet)
		fprintf(stderr, "ward: switched to policy %s version %llu\n", p->name,
			(unsigned long long)p->version);
}

static void on_exec_failed(void *ud, const char *cmd, int err)
{
	struct run_opts *o = ud;

	o->exec_err = err;
	fprintf(stderr, "ward: cannot execute '%s': %s%s\n", cmd, strerror(-err),
		err == -EACCES ? " (only /usr and --code dirs are executable in a domain)" :
		err == -ENOENT ? " (not found in the domain)" : "");
}

static int parse_bind(char *arg, bool ro, struct ward_domain_bind *b)
{
	char *colon = strchr(arg, ':');

	if (colon)
		*colon = 0;
	if (!arg[0] || (colon && !colon[1]))
		return cli_error(EXIT_USAGE, "--bind%s: SRC[:DST]", ro ? "-ro" : "");
	*b = (struct ward_domain_bind){ .src = arg, .dst = colon ? colon + 1 : NULL, .ro = ro };
	return 0;
}

static int parse_id(const char *opt, const char *s, unsigned *ret)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 10);
	if (!s[0] || *e || errno || s[0] == '-' || v >= 0xffffffffUL)
		return cli_error(EXIT_USAGE, "%s: a numeric id", opt);
	*ret = (unsigned)v;
	return 0;
}

int verb_run(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONGOPTS,
		{ "policy", required_argument, NULL, 'p' },
		{ "audit", no_argument, NULL, 'a' },
		{ "code", required_argument, NULL, 'c' },
		{ "bind", required_argument, NULL, 'b' },
		{ "bind-ro", required_argument, NULL, 'r' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 'S' },
		{},
	};
	static const char *code[WARD_DOMAIN_CODE_MAX + 1];
	static struct ward_domain_bind binds[WARD_DOMAIN_BINDS_MAX + 1];
	struct ward_domain_spec spec = { .mode = WARD_MODE_ENFORCE };
	struct run_opts o = { 0 };
	struct ward_domain_stats stats = { 0 };
	const char *policy_path = NULL;
	struct ward_policy *pol = NULL;
	struct ward_state *st = NULL;
	struct ward_diag d = { { 0 } };
	char id[WARD_DOMAIN_ID_MAX] = "";
	bool audit = false, gid_set = false;
	enum ward_policy_status pstatus = WARD_POLICY_NONE;
	unsigned uid = 0, gid = 0;
	int c, r, status = 0;

	while ((c = getopt_long(argc, argv, "+hq", opts, NULL)) != -1) {
		if (cli_parse_common(c, optarg))
			continue;
		switch (c) {
		case 'p':
			policy_path = optarg;
			break;
		case 'a':
			audit = true;
			break;
		case 'c':
			if (spec.n_code == WARD_DOMAIN_CODE_MAX)
				return cli_error(EXIT_USAGE, "--code: at most %d", WARD_DOMAIN_CODE_MAX);
			code[spec.n_code++] = optarg;
			break;
		case 'b':
		case 'r':
			if (spec.n_binds == WARD_DOMAIN_BINDS_MAX)
				return cli_error(EXIT_USAGE, "at most %d binds", WARD_DOMAIN_BINDS_MAX);
			if ((r = parse_bind(optarg, c == 'r', &binds[spec.n_binds])))
				return r;
			spec.n_binds++;
			break;
		case 'u':
			if ((r = parse_id("--uid", optarg, &uid)))
				return r;
			spec.set_ids = true;
			break;
		case 'g':
			if ((r = parse_id("--gid", optarg, &gid)))
				return r;
			gid_set = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'S':
			spec.stats = &stats;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (gid_set && !spec.set_ids)
		return cli_error(EXIT_USAGE, "--gid needs --uid");
	if (geteuid() != 0)
		return cli_error(EXIT_WARD, "run: needs root (fanotify permission events, "
					    "namespaces, mounts)");
	if (cli_open_state(WARD_STATE_ATTESTER, &st))
		return EXIT_WARD;
	if ((r = cli_monitor_policy(st, policy_path, &pol, &spec.pref, &pstatus))) {
		state_close(st);
		return r;
	}
	if (!pol && audit) {
		state_close(st);
		return cli_error(EXIT_USAGE, "--audit needs a policy (--policy FILE or an installed "
					     "one); without one the domain is measure-only anyway");
	}
	/* Revoked: deny-all, in every mode (audit would allow everything). */
	spec.mode = !pol ? WARD_MODE_MEASURE :
		    pstatus == WARD_POLICY_REVOKED ? WARD_MODE_ENFORCE :
		    audit || pol->domain.audit ? WARD_MODE_AUDIT : WARD_MODE_ENFORCE;
	spec.audit_forced = audit;
	spec.policy_revoked = pstatus == WARD_POLICY_REVOKED;
	spec.on_policy = on_policy;
	spec.follow_policy = spec.pref.installed;
	if (pstatus == WARD_POLICY_REVOKED)
		cli_warn("the installed policy is revoked: every exec is denied");
	if (pol) {
		/* The policy's code dirs come first; with strict_code_mounts they are the only ones. */
		size_t n = 0;
		const char *all[WARD_DOMAIN_CODE_MAX + 1];

		for (size_t i = 0; i < pol->domain.n_code_dirs; i++)
			all[n++] = pol->domain.code_dirs[i];
		for (size_t i = 0; i < spec.n_code; i++) {
			bool listed = false;

			for (size_t k = 0; k < pol->domain.n_code_dirs; k++)
				listed |= strcmp(code[i], pol->domain.code_dirs[k]) == 0;
			if (listed)
				continue;
			if (pol->domain.strict_code_mounts) {
				r = cli_error(EXIT_USAGE,
					      "--code %s: the policy %s allows only its own code dirs "
					      "(strict_code_mounts)", code[i], pol->name);
				state_close(st);
				policy_free(pol);
				return r;
			}
			if (n == WARD_DOMAIN_CODE_MAX) {
				state_close(st);
				policy_free(pol);
				return cli_error(EXIT_USAGE, "--code: at most %d with the policy's",
						 WARD_DOMAIN_CODE_MAX);
			}
			all[n++] = code[i];
		}
		memcpy(code, all, n * sizeof(*all));
		spec.n_code = n;
	}
	spec.policy = pol;
	spec.code = code;
	spec.binds = binds;
	spec.uid = uid;
	spec.gid = gid_set ? gid : uid;
	spec.argv = argv + optind;
	spec.on_decision = on_decision;
	spec.on_exec_failed = on_exec_failed;
	spec.userdata = &o;
	o.cmd = argv[optind];
	if (spec.mode == WARD_MODE_MEASURE)
		cli_warn("no policy (none given, none installed): the domain is measure-only (every object is measured and "
			 "recorded; only structural rules deny)");
	r = domain_run(&spec, st, &status, id, &d);
	state_close(st);
	policy_free(pol);
	if (r < 0)
		return cli_error(EXIT_WARD, "%s", d.msg[0] ? d.msg : strerror(-r));
	if (spec.stats)
		fprintf(stderr,
			"ward: domain %s: %llu events, %llu allowed, %llu denied, %llu audited, %llu "
			"cached, %llu reused, %llu bytes hashed, %llu lease breaks\n",
			id, (unsigned long long)stats.events, (unsigned long long)stats.allowed,
			(unsigned long long)stats.denied, (unsigned long long)stats.audited,
			(unsigned long long)stats.cached, (unsigned long long)stats.reused,
			(unsigned long long)stats.hashed_bytes,
			(unsigned long long)stats.lease_breaks);
	return status;
}
