/* SPDX-License-Identifier: Apache-2.0 */
/* ward sandbox run|call: one request to a sealed sandbox, here or through wardd. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "core/cleanup.h"
#include "core/util.h"
#include "ward/sandbox.h"
#include "ward/service-proto.h"

static void usage(FILE *f)
{
	fputs("Usage: ward sandbox run [--state-dir DIR] [--policy FILE [--audit]] [--json]\n"
	      "                        --manifest FILE\n"
	      "       ward sandbox call [--state-dir DIR] [--socket PATH] [--json] NAME\n"
	      "       ward sandbox digest MANIFEST\n"
	      "\n"
	      "A confidential sandbox runs a service's program (its manifest: docs/sandbox-manifest.md)\n"
	      "on one client's input and returns its result, and nothing else leaves: no network (an\n"
	      "empty network namespace), no storage but a size-capped private /tmp that dies with it,\n"
	      "a uid of its own, a seccomp allowlist, Landlock, cgroup limits on memory (no swap),\n"
	      "tasks and CPU, a time limit and caps on input and output. Its code is measured (and\n"
	      "checked against the policy) before its input arrives; after that nothing it does is\n"
	      "logged, and code not measured before is refused.\n"
	      "\n"
	      "  run               one-shot: stdin is the input; the result goes to stdout only when\n"
	      "                    the service succeeded (never a partial result)\n"
	      "    --manifest FILE the service\n"
	      "    --policy FILE   check its code against this policy (else the state dir's\n"
	      "                    installed policy; if that changes during the request, the\n"
	      "                    request fails with policy-changed; with neither: measure only)\n"
	      "    --audit         record what the policy would deny, deny nothing\n"
	      "    --json          print the outcome as JSON on stderr as well\n"
	      "  call NAME         send stdin to the service NAME of the wardd serving the state dir\n"
	      "    --socket PATH   wardd's socket (default: DIR/wardd.sock)\n"
	      "    --json          print the outcome as JSON on stderr as well\n"
	      "  digest MANIFEST   print the manifest's digest (sha256:HEX) as ward-service records\n"
	      "                    carry it: what a client expects ('ward call --manifest-digest')\n"
	      "\n"
	      "Exit status: 0 the service succeeded; 1 the request failed (the reason is printed:\n"
	      "the service's exit status or signal, a limit, a denial, a timeout); 2 usage or a\n"
	      "malformed manifest; 125 ward itself failed.\n",
	      f);
}

static int print_result(const char *what, const struct ward_sandbox_result *res, bool json)
{
	if (res->errout_len)
		(void)write_all(STDERR_FILENO, res->errout, res->errout_len);
	if (json) {
		json_t *o = json_pack("{s:s, s:i, s:s, s:I, s:I}", "status",
				      sandbox_status_name(res->status), "exit_status", res->exit_status,
				      "message", res->msg, "output_bytes", (json_int_t)res->output_len,
				      "denied_after_activation", (json_int_t)res->denied_after);
		char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (t)
			fprintf(stderr, "%s\n", t);
		free(t);
		json_decref(o);
	}
	if (res->status != WARD_SANDBOX_OK)
		return cli_error(EXIT_VERDICT, "%s: %s: %s", what, sandbox_status_name(res->status),
				 res->msg[0] ? res->msg : "failed");
	if (res->output_len && write_all(STDOUT_FILENO, res->output, res->output_len) < 0)
		return cli_error(EXIT_WARD, "%s: cannot write the result: %s", what, strerror(errno));
	return EXIT_OK;
}

static int sandbox_run_verb(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONGOPTS,
		{ "manifest", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "audit", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{},
	};
	bool json = false;
	const char *manifest_path = NULL, *policy_path = NULL;
	struct ward_sandbox_service svc = { 0 };
	struct ward_sandbox_result res = { 0 };
	struct ward_manifest *m = NULL;
	struct ward_policy *pol = NULL;
	struct ward_state *st = NULL;
	struct ward_diag d = { { 0 } };
	enum ward_domain_mode mode = WARD_MODE_MEASURE;
	enum ward_policy_status pstatus = WARD_POLICY_NONE;
	struct ward_policy_ref pref = { 0 };
	bool audit = false;
	int c, r, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (cli_parse_common(c, optarg))
			continue;
		switch (c) {
		case 'm':
			manifest_path = optarg;
			break;
		case 'p':
			policy_path = optarg;
			break;
		case 'a':
			audit = true;
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
	if (optind != argc || !manifest_path) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = manifest_load(manifest_path, &m, &d);
	if (r < 0)
		return cli_error(EXIT_USAGE, "%s", d.msg[0] ? d.msg : strerror(-r));
	if (geteuid() != 0) {
		manifest_free(m);
		return cli_error(EXIT_WARD, "sandbox run: needs root (namespaces, mounts, fanotify "
					    "permission events, cgroups)");
	}
	if (cli_open_state(WARD_STATE_ATTESTER, &st)) {
		manifest_free(m);
		return EXIT_WARD;
	}
	if ((rc = cli_monitor_policy(st, policy_path, &pol, &pref, &pstatus)))
		goto out;
	if (!pol && audit) {
		rc = cli_error(EXIT_USAGE, "--audit needs a policy (--policy FILE or an installed "
					   "one)");
		goto out;
	}
	mode = !pol ? WARD_MODE_MEASURE :
	       pstatus == WARD_POLICY_REVOKED ? WARD_MODE_ENFORCE :
	       audit || pol->domain.audit ? WARD_MODE_AUDIT : WARD_MODE_ENFORCE;
	r = sandbox_service_init(&svc, m, mode, pol, pol ? &pref : NULL, st, &d);
	if (r < 0) {
		rc = cli_error(r == -EINVAL || r == -EACCES || r == -ENOENT ? EXIT_USAGE : EXIT_WARD,
			       "%s: %s", manifest_path, d.msg[0] ? d.msg : strerror(-r));
		goto out;
	}
	m = NULL; /* the service's now */
	svc.policy_revoked = pstatus == WARD_POLICY_REVOKED;
	r = sandbox_run(&svc, &(struct ward_sandbox_opts){ .ctl_fd = -1, .in_fd = STDIN_FILENO,
							    .st = st, .follow_policy = true },
			&res, &d);
	if (r < 0) {
		rc = cli_error(EXIT_WARD, "sandbox: %s", d.msg[0] ? d.msg : strerror(-r));
		goto out;
	}
	rc = print_result("sandbox", &res, json);
out:
	sandbox_result_free(&res);
	sandbox_service_free(&svc);
	manifest_free(m);
	policy_free(pol);
	state_close(st);
	return rc;
}

static int read_exact(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t k = read(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -ECONNRESET;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static int read_alloc(int fd, uint64_t len, uint64_t max, uint8_t **ret)
{
	uint8_t *b;
	int r;

	if (len > max)
		return -EPROTO;
	b = malloc(len ? len : 1);
	if (!b)
		return -ENOMEM;
	if ((r = read_exact(fd, b, len)) < 0) {
		free(b);
		return r;
	}
	*ret = b;
	return 0;
}

static int sandbox_call_verb(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 'k' },
		{},
	};
	const char *socket_path = NULL;
	struct ward_svc_req_hdr rq = { .magic = WARD_SVC_REQ_MAGIC };
	struct ward_svc_resp_hdr rs;
	struct ward_sandbox_result res = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ uint8_t *input = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t input_len = 0;
	const char *name;
	bool json = false;
	int c, r, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (cli_parse_common(c, optarg))
			continue;
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'k':
			socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	name = argv[optind];
	/* wardd may answer (input-too-large) and close while the input is still being sent. */
	signal(SIGPIPE, SIG_IGN);
	if (!name[0] || strlen(name) >= WARD_SERVICE_NAME_MAX)
		return cli_error(EXIT_USAGE, "sandbox call: a service name of 1 to %d bytes",
				 WARD_SERVICE_NAME_MAX - 1);
	if ((socket_path ? (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path) :
			   (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", cli_state_dir(),
					    WARD_SVC_SOCKET)) >= sizeof(sa.sun_path))
		return cli_error(EXIT_USAGE, "sandbox call: socket path too long");
	/* The length goes first: the whole input is read before anything is sent. */
	r = read_fd_full(STDIN_FILENO, (size_t)1 << 34, &input, &input_len);
	if (r < 0)
		return cli_error(EXIT_USAGE, "sandbox call: reading stdin: %s", strerror(-r));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cli_error(EXIT_WARD, "sandbox call: %s: %s (is wardd running with this "
				 "state dir?)", sa.sun_path, strerror(errno));
	rq.name_len = (uint32_t)strlen(name);
	rq.input_len = input_len;
	if (write_all(fd, &rq, sizeof(rq)) < 0 || write_all(fd, name, rq.name_len) < 0 ||
	    (input_len && write_all(fd, input, input_len) < 0)) {
		/* wardd may have refused early (too large): its answer is still there. */
		if (errno != EPIPE && errno != ECONNRESET)
			return cli_error(EXIT_WARD, "sandbox call: send: %s", strerror(errno));
	}
	explicit_bzero(input, input_len);
	shutdown(fd, SHUT_WR);
	if ((r = read_exact(fd, &rs, sizeof(rs))) < 0)
		return cli_error(EXIT_WARD, "sandbox call: no answer from wardd: %s", strerror(-r));
	if (memcmp(rs.magic, WARD_SVC_RESP_MAGIC, 8) != 0 || rs.msg_len > 255 ||
	    rs.status >= __WARD_SANDBOX_STATUS_MAX)
		return cli_error(EXIT_WARD, "sandbox call: malformed answer from wardd");
	res.status = rs.status;
	res.exit_status = rs.exit_status;
	if ((r = read_exact(fd, res.msg, rs.msg_len)) < 0 ||
	    (r = read_alloc(fd, rs.output_len, (uint64_t)1 << 34, &res.output)) < 0 ||
	    (r = read_alloc(fd, rs.stderr_len, WARD_SANDBOX_STDERR_MAX, &res.errout)) < 0) {
		sandbox_result_free(&res);
		return cli_error(EXIT_WARD, "sandbox call: truncated answer from wardd: %s",
				 strerror(-r));
	}
	res.output_len = rs.output_len;
	res.errout_len = rs.stderr_len;
	{
		char what[64];

		snprintf(what, sizeof(what), "sandbox call %s", name);
		rc = print_result(what, &res, json);
	}
	sandbox_result_free(&res);
	return rc;
}

/* ward sandbox digest MANIFEST: the digest ward-service records carry for it (what a client
 * passes as --manifest-digest). The manifest is parsed first: a file wardd would refuse has no
 * digest worth expecting. */
static int sandbox_digest_verb(int argc, char **argv)
{
	struct ward_manifest *m = NULL;
	struct ward_diag d = { { 0 } };
	char hex[65];
	int r;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("Usage: ward sandbox digest MANIFEST\n"
		     "Print sha256:HEX of the manifest file's bytes, as ward-service records carry\n"
		     "it ('ward call --manifest-digest', 'ward verify --manifest-digest').");
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_error(EXIT_USAGE, "sandbox digest: expected one MANIFEST file");
	r = manifest_load(argv[1], &m, &d);
	if (r < 0)
		return cli_error(EXIT_USAGE, "sandbox digest: %s", d.msg[0] ? d.msg : strerror(-r));
	manifest_digest_hex(m, hex);
	printf("sha256:%s\n", hex);
	manifest_free(m);
	return EXIT_OK;
}

int verb_sandbox(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "run") == 0)
		return sandbox_run_verb(argc - 1, argv + 1);
	if (strcmp(argv[1], "call") == 0)
		return sandbox_call_verb(argc - 1, argv + 1);
	if (strcmp(argv[1], "digest") == 0)
		return sandbox_digest_verb(argc - 1, argv + 1);
	return cli_error(EXIT_USAGE, "sandbox: unknown command '%s' (run, call, digest)", argv[1]);
}
