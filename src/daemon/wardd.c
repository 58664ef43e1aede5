/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wardd: the sandbox monitor daemon. It serves every manifest in a directory as a named service
 * on a UNIX socket, keeps a warm pool of sealed sandboxes per service (each a child process that
 * is the sandbox's monitor, see src/sandbox/sandbox.c), hands each client's connection to one
 * ready sandbox, which serves that one request and is destroyed, and refills the pool.
 *
 * Only wardd writes the log: a sandbox's monitor sends its records here, where identical records
 * of a service are written once (the log grows when a service's code or manifest changes, not
 * per request). wardd prints nothing per request: what it prints is counts.
 *
 * Fail-closed teardown: every sandbox monitor dies with wardd (PR_SET_PDEATHSIG), and each
 * monitor's keeper then kills its sandbox before any pending grant goes through.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "daemon/channel.h"
#include "daemon/wardd.h"
#include "ward-config.h"
#include "ward/evlog.h"
#include "ward/policy-state.h"
#include "ward/state.h"

static struct {
	const char *state_dir, *services_dir, *policy_path, *socket_path;
	bool audit, verbose;
	unsigned max_sandboxes, max_queue;
	uid_t allow[WARDD_ALLOW_UIDS_MAX];
	size_t n_allow;

	struct ward_state *st;
	struct ward_policy *policy;
	struct ward_policy_ref pref;
	enum ward_policy_status pstatus;
	int policy_watch; /* following the installed policy (no --policy), else -1 */
	struct ward_policy **old_policies; /* switched away from; services retired with them
					    * may still point at them until wardd ends */
	size_t n_old_policies;
	uint64_t switches;
	enum ward_domain_mode mode;
	struct service svcs[WARDD_SERVICES_MAX];
	size_t n_svcs;
	struct slot *slots;
	struct conn *conns[WARDD_CONNS_MAX];
	size_t n_conns;
	int listen_fd, sig_fd;
	bool stopping;
	uint64_t served, refused;
	/* --listen: the attested channel (docs/channel.md), or NULL */
	const char *listen_addr;
	unsigned ch_max_conns, ch_quote_rate;
	struct channel_server *ch;
} w = { .listen_fd = -1, .sig_fd = -1, .policy_watch = -1 };

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("wardd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fputs("Usage: wardd --state-dir DIR --services DIR [--policy FILE [--audit]]\n"
	      "             [--socket PATH] [--allow-uid UID]... [--max-sandboxes N]\n"
	      "             [--max-queue N] [--listen ADDR:PORT [--max-connections N]\n"
	      "             [--quote-rate N]] [--verbose]\n"
	      "\n"
	      "Serve every manifest DIR/*.json (docs/sandbox-manifest.md) as a named service of\n"
	      "confidential sandboxes. Clients call `ward sandbox call --state-dir DIR NAME`: their\n"
	      "stdin is the input, the result comes back only from a sandbox that served nobody\n"
	      "else. Each service keeps its manifest's \"pool\" of sealed, warmed-up sandboxes.\n"
	      "\n"
	      "  --state-dir DIR      the state dir (log, attester): records go to its log\n"
	      "  --services DIR       the manifests, one service per NAME.json\n"
	      "  --policy FILE        check every service's code against this policy (FILE.sig,\n"
	      "                       when present, must verify). Without it wardd follows the\n"
	      "                       state dir's installed policy ('ward policy install'): a\n"
	      "                       transition replaces every sandbox and re-registers every\n"
	      "                       service under the new policy. With neither: measure only\n"
	      "                       (structural rules hold in every mode)\n"
	      "  --audit              record what the policy would deny, deny nothing\n"
	      "  --socket PATH        where to listen (default DIR/wardd.sock, mode 0600)\n"
	      "  --allow-uid UID      also accept clients of this uid (peer credentials; root\n"
	      "                       always); the socket is then mode 0666\n"
	      "  --max-sandboxes N    sandboxes alive at once, warm or busy (default 8)\n"
	      "  --max-queue N        clients waiting for a sandbox (default 1024)\n"
	      "  --listen ADDR:PORT   also serve the attested channel (docs/channel.md): TLS 1.3\n"
	      "                       with a key made now; each client gets evidence bound to its\n"
	      "                       connection before it sends its input ('ward call')\n"
	      "  --max-connections N  channel connections at once (default 64; more are closed)\n"
	      "  --quote-rate N       channel quotes per second, burst N (default 20)\n"
	      "  --verbose            say when services are loaded and sandboxes fail to start\n"
	      "\n"
	      "Signals: TERM/INT stop (every sandbox is killed), HUP reloads the services dir (a\n"
	      "malformed manifest keeps the running set), USR1 prints the counts.\n"
	      "Requests that a policy switch interrupts fail with policy-changed.\n",
	      f);
}

static unsigned parse_unsigned(const char *opt, const char *s, unsigned max)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 10);
	if (!s[0] || *e || errno || s[0] == '-' || v > max) {
		logmsg("%s: a number up to %u", opt, max);
		exit(2);
	}
	return (unsigned)v;
}

/* ---- services ---- */

static int load_manifests(struct service *out, size_t *ret_n, bool quiet_ok)
{
	struct dirent **names = NULL;
	size_t n = 0;
	int k, r = 0;

	k = scandir(w.services_dir, &names, NULL, alphasort);
	if (k < 0) {
		logmsg("%s: %s", w.services_dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < k; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		struct ward_manifest *m = NULL;
		struct ward_diag d = { { 0 } };
		char path[4096];

		if (r < 0 || len < 6 || strcmp(nm + len - 5, ".json") != 0 || nm[0] == '.')
			continue;
		if (n == WARDD_SERVICES_MAX) {
			logmsg("%s: more than %d services", w.services_dir, WARDD_SERVICES_MAX);
			r = -E2BIG;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", w.services_dir, nm);
		r = manifest_load(path, &m, &d);
		if (r < 0) {
			logmsg("%s", d.msg[0] ? d.msg : strerror(-r));
			continue;
		}
		for (size_t j = 0; j < n; j++)
			if (strcmp(out[j].s.m->name, m->name) == 0) {
				logmsg("%s: service \"%s\" is also %s", path, m->name, out[j].path);
				r = -EEXIST;
			}
		if (r < 0) {
			manifest_free(m);
			continue;
		}
		memset(&out[n], 0, sizeof(out[n]));
		out[n].s.m = m;
		snprintf(out[n].path, sizeof(out[n].path), "%s", path);
		n++;
	}
	for (int i = 0; i < k; i++)
		free(names[i]);
	free(names);
	if (r == 0 && n == 0 && !quiet_ok) {
		logmsg("%s: no *.json manifest", w.services_dir);
		r = -ENOENT;
	}
	if (r < 0) {
		for (size_t j = 0; j < n; j++)
			manifest_free(out[j].s.m);
		return r;
	}
	*ret_n = n;
	return 0;
}

/* Registers @svc: its service record and "measure" paths go to the log. */
static int register_service(struct service *svc)
{
	struct ward_manifest *m = svc->s.m;
	struct ward_diag d = { { 0 } };
	char hex[65];
	int r;

	svc->s.m = NULL;
	r = sandbox_service_init(&svc->s, m, w.mode, w.policy, w.policy ? &w.pref : NULL, w.st, &d);
	if (r < 0) {
		logmsg("%s: %s", svc->path, d.msg[0] ? d.msg : strerror(-r));
		manifest_free(m);
		return r;
	}
	svc->s.policy_revoked = w.pstatus == WARD_POLICY_REVOKED;
	svc->live = true;
	manifest_digest_hex(svc->s.m, hex);
	if (w.verbose)
		logmsg("service %s (%s): manifest sha256:%s, pool %u", svc->s.m->name, svc->path,
		       hex, svc->s.m->pool);
	return 0;
}

/* ---- answers wardd itself gives (before a sandbox is chosen) ---- */

static void answer(int fd, enum ward_sandbox_status st, const char *msg)
{
	struct ward_svc_resp_hdr h = { .magic = WARD_SVC_RESP_MAGIC, .status = st,
				       .exit_status = -1 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)msg, strlen(msg) } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	h.msg_len = (uint32_t)strlen(msg);
	/* Best effort, never blocking: a client that does not read loses its answer. */
	(void)sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* ---- sandboxes ---- */

static size_t count_slots(int svc, enum slot_state st)
{
	size_t n = 0;

	for (unsigned i = 0; i < w.max_sandboxes; i++)
		if (w.slots[i].state == st && (svc < 0 || w.slots[i].svc == svc))
			n++;
	return n;
}

static size_t queued_for(int svc)
{
	size_t n = 0;

	for (size_t i = 0; i < w.n_conns; i++)
		if (w.conns[i]->queued && w.conns[i]->svc == svc)
			n++;
	return n;
}

/* Answers the client on its connection (fd 3 is the channel to wardd), as soon as the outcome
 * is known: before the sandbox's teardown. */
static void respond(void *ud, const struct ward_sandbox_result *res)
{
	struct ward_sandbox_ctl_hdr rh = { .type = WARD_CTL_RESPONDING };
	struct ward_svc_resp_hdr rs = { .magic = WARD_SVC_RESP_MAGIC, .status = res->status,
					.exit_status = res->exit_status };
	struct timeval tv = { .tv_sec = 30 };
	bool *responded = ud;

	if (*responded || res->conn_fd < 0)
		return;
	*responded = true;
	(void)sandbox_ctl_send(3, &rh, NULL, 0, -1);
	rs.msg_len = (uint32_t)strnlen(res->msg, 255);
	rs.output_len = res->output_len;
	rs.stderr_len = res->errout_len;
	(void)fcntl(res->conn_fd, F_SETFL, 0);
	(void)setsockopt(res->conn_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (write_all(res->conn_fd, &rs, sizeof(rs)) == 0 &&
	    write_all(res->conn_fd, res->msg, rs.msg_len) == 0 &&
	    (!res->output_len || write_all(res->conn_fd, res->output, res->output_len) == 0) &&
	    res->errout_len)
		(void)write_all(res->conn_fd, res->errout, res->errout_len);
	/* The client has its whole answer: it need not wait for the teardown. */
	(void)shutdown(res->conn_fd, SHUT_WR);
}

static _Noreturn void sandbox_child(struct service *svc, int ctl, pid_t wardd_pid)
{
	struct ward_sandbox_result res;
	struct ward_diag d = { { 0 } };
	struct ward_sandbox_ctl_hdr h = { .type = WARD_CTL_DONE };
	bool responded = false;
	int bufsz = 1 << 20;

	/* Dies with wardd; its keeper then kills the sandbox. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != wardd_pid)
		_exit(1); /* wardd died before the death signal was armed */
	/* Nothing of wardd's but the channel and stdio: not the listening socket, not other
	 * sandboxes' channels, not other clients. */
	if (ctl != 3 && (dup2(ctl, 3) < 0 || close(ctl) < 0))
		_exit(1);
	close_range(4, ~0U, 0);
	/* Nor the channel's TLS key or an attester's key (tsm loads its own when the state dir is
	 * opened): the sandbox's keeper and init are forked from here, and this process never
	 * signs. */
	channel_forget(w.ch);
	w.ch = NULL;
	attest_forget_key(w.st->att);
	(void)setsockopt(3, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz));
	{
		sigset_t none;

		/* Its own name (`pkill wardd` must not hit it), and deaf to the signals a
		 * `ward run` monitor would forward to its workload: nothing from outside reaches
		 * a sandbox; wardd stops it with SIGKILL. */
		static const int deaf[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
					    SIGWINCH, SIGPIPE };

		(void)prctl(PR_SET_NAME, "ward-sandbox");
		for (size_t i = 0; i < sizeof(deaf) / sizeof(deaf[0]); i++)
			signal(deaf[i], SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	(void)sandbox_run(&svc->s, &(struct ward_sandbox_opts){ .ctl_fd = 3, .in_fd = -1,
								 .st = w.st, .respond = respond,
								 .respond_ud = &responded },
			  &res, &d);
	if (res.conn_fd >= 0) {
		if (!responded)
			respond(&responded, &res);
		close(res.conn_fd);
	} else if (d.msg[0] || res.msg[0]) {
		/* The operator's diagnostic: why the sandbox did not become ready, never client
		 * data (no request was taken). */
		logmsg("service %s: sandbox: %s", svc->s.m->name, d.msg[0] ? d.msg : res.msg);
	}
	if (res.output)
		explicit_bzero(res.output, res.output_len);
	h.err = (int32_t)res.status;
	(void)sandbox_ctl_send(3, &h, NULL, 0, -1);
	_exit(0);
}

static int spawn(int svc)
{
	pid_t pid, self = getpid();
	int sv[2];

	for (unsigned i = 0; i < w.max_sandboxes; i++) {
		struct slot *sl = &w.slots[i];

		if (sl->state != SLOT_FREE)
			continue;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			return -errno;
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			close(sv[0]);
			close(sv[1]);
			return -errno;
		}
		if (pid == 0) {
			close(sv[0]);
			sandbox_child(&w.svcs[svc], sv[1], self);
		}
		close(sv[1]);
		*sl = (struct slot){ .state = SLOT_WARMING, .svc = svc, .pid = pid, .ctl = sv[0],
				     .conn = -1 };
		return 0;
	}
	return -EAGAIN;
}

/*
 * Every slot is taken and a client waits for @svc, which has no sandbox on the way: a ready
 * sandbox of a service nobody waits for goes (its request never came; nothing of a client is
 * in it), so that pools larger than --max-sandboxes cannot starve a service.
 */
static void evict_for(int svc)
{
	if (!queued_for(svc) || count_slots(svc, SLOT_WARMING) + count_slots(svc, SLOT_READY))
		return;
	for (unsigned i = 0; i < w.max_sandboxes; i++) {
		struct slot *sl = &w.slots[i];

		if (sl->state == SLOT_READY && sl->svc != svc && !queued_for(sl->svc)) {
			kill(sl->pid, SIGKILL);
			sl->state = SLOT_BUSY; /* until reaped; it holds no client */
			sl->done = true;
			return;
		}
	}
}

/* Enough sandboxes warming or ready for each live service: its pool, plus its queue. */
/* One pass over the services; false once no slot is free. */
static bool refill_pass(bool waiting_only, uint64_t t)
{
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < w.n_svcs; i++) {
			struct service *svc = &w.svcs[i];
			size_t waiting = queued_for((int)i);
			/* A busy sandbox counts toward the pool until its request is done, so a
			 * refill does not compete with the request for the CPUs; a waiting
			 * client gets one at once. */
			size_t have = count_slots((int)i, SLOT_WARMING) + count_slots((int)i, SLOT_READY) +
				      (waiting ? 0 : count_slots((int)i, SLOT_BUSY));

			if (!svc->live || (waiting_only && !waiting) ||
			    have >= svc->s.m->pool + waiting || t < svc->respawn_after_ms)
				continue;
			if (count_slots(-1, SLOT_FREE) == 0) {
				evict_for((int)i);
				return false;
			}
			if (spawn((int)i) == 0)
				progress = true;
		}
	}
	return true;
}

static void refill(void)
{
	uint64_t t = now_ms();

	/* Services with clients waiting first, then the pools. */
	if (!w.stopping && refill_pass(true, t))
		(void)refill_pass(false, t);
}

static void conn_free(size_t i)
{
	struct conn *c = w.conns[i];

	if (c->fd >= 0)
		close(c->fd);
	free(c);
	w.conns[i] = w.conns[--w.n_conns];
}

/* Hands the oldest client waiting for @svc to a ready sandbox of it, if both exist. */
static void dispatch(int svc)
{
	for (;;) {
		struct slot *sl = NULL;
		size_t ci = SIZE_MAX;

		for (unsigned i = 0; i < w.max_sandboxes && !sl; i++)
			if (w.slots[i].state == SLOT_READY && w.slots[i].svc == svc)
				sl = &w.slots[i];
		for (size_t i = 0; i < w.n_conns && ci == SIZE_MAX; i++)
			if (w.conns[i]->queued && w.conns[i]->svc == svc)
				ci = i;
		if (!sl || ci == SIZE_MAX)
			return;
		{
			struct conn *c = w.conns[ci];
			struct ward_sandbox_ctl_hdr h = { .type = WARD_CTL_REQUEST,
							  .len = c->input_len };

			if (sandbox_ctl_send(sl->ctl, &h, NULL, 0, c->fd) < 0) {
				/* That sandbox is gone: the client waits for the next. */
				kill(sl->pid, SIGKILL);
				sl->state = SLOT_BUSY;
				continue;
			}
			sl->state = SLOT_BUSY;
			sl->conn = c->fd; /* kept to answer if the sandbox dies first */
			c->fd = -1;
			conn_free(ci);
		}
	}
}

/* A sandbox of @svc could not start: the oldest client waiting for it is told now rather than
 * left waiting for a service that may never start. */
static void fail_one_waiting(int svc)
{
	for (size_t i = 0; i < w.n_conns; i++)
		if (w.conns[i]->queued && w.conns[i]->svc == svc) {
			answer(w.conns[i]->fd, WARD_SANDBOX_UNAVAILABLE,
			       "the service's sandbox could not start (see wardd's log)");
			w.svcs[svc].failed++;
			conn_free(i);
			return;
		}
}

static void slot_message(struct slot *sl)
{
	static uint8_t buf[sizeof(struct ward_sandbox_ctl_hdr) + WARD_SANDBOX_CTL_MAX];
	struct service *svc = &w.svcs[sl->svc];
	struct ward_sandbox_ctl_hdr h;
	ssize_t n = recv(sl->ctl, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < (ssize_t)sizeof(h)) {
		/* The child is gone (or spoke nonsense): reaped on SIGCHLD. */
		close(sl->ctl);
		sl->ctl = -1;
		if (n >= 0 || sl->state != SLOT_BUSY)
			kill(sl->pid, SIGKILL);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	switch (h.type) {
	case WARD_CTL_RECORDS: {
		struct ward_sandbox_ctl_hdr ack = { .type = WARD_CTL_ACK };
		struct ward_evlog_record *recs = NULL;
		struct ward_diag d = { { 0 } };
		size_t nrec = 0;
		int r;

		if (h.len != (uint64_t)n - sizeof(h))
			r = -EPROTO;
		else
			r = sandbox_ctl_records_decode(buf + sizeof(h), h.len, &recs, &nrec);
		if (r == 0 && nrec)
			r = sandbox_service_append(&svc->s, w.st, recs, nrec, &d);
		for (size_t i = 0; i < nrec; i++)
			evlog_record_free(&recs[i]);
		free(recs);
		if (r < 0)
			logmsg("service %s: cannot record: %s", svc->s.m->name,
			       d.msg[0] ? d.msg : strerror(-r));
		ack.err = r;
		(void)sandbox_ctl_send(sl->ctl, &ack, NULL, 0, -1);
		break;
	}
	case WARD_CTL_READY:
		if (sl->state == SLOT_WARMING) {
			sl->state = SLOT_READY;
			svc->respawn_after_ms = 0;
			dispatch(sl->svc);
		}
		break;
	case WARD_CTL_RESPONDING:
		sl->responding = true;
		break;
	case WARD_CTL_DONE:
		sl->done = true;
		if (sl->state == SLOT_BUSY) {
			w.served++;
			if (h.err == WARD_SANDBOX_OK)
				svc->ok++;
			else
				svc->failed++;
		} else {
			/* It never became ready: do not spin on a service that cannot start. */
			svc->respawn_after_ms = now_ms() + WARDD_RESPAWN_BACKOFF_MS;
			fail_one_waiting(sl->svc);
		}
		break;
	default:
		kill(sl->pid, SIGKILL);
		break;
	}
}

static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (w.ch && channel_reaped(w.ch, pid))
			continue;
		for (unsigned i = 0; i < w.max_sandboxes; i++) {
			struct slot *sl = &w.slots[i];

			if (sl->state == SLOT_FREE || sl->pid != pid)
				continue;
			/* Drain what it said before it went (its DONE, a last RECORDS). */
			while (sl->ctl >= 0) {
				struct pollfd p = { sl->ctl, POLLIN, 0 };

				if (poll(&p, 1, 0) <= 0)
					break;
				slot_message(sl);
			}
			if (sl->state == SLOT_BUSY && sl->conn >= 0 && !sl->responding &&
			    sl->policy_killed) {
				answer(sl->conn, WARD_SANDBOX_POLICY_CHANGED,
				       "the installed policy changed during the request: a sandbox "
				       "runs under one policy");
				w.svcs[sl->svc].failed++;
			} else if (sl->state == SLOT_BUSY && sl->conn >= 0 && !sl->responding) {
				answer(sl->conn, WARD_SANDBOX_UNAVAILABLE,
				       "the sandbox died before it answered");
				w.svcs[sl->svc].failed++;
			} else if (sl->state != SLOT_BUSY && !sl->done) {
				w.svcs[sl->svc].respawn_after_ms = now_ms() + WARDD_RESPAWN_BACKOFF_MS;
				fail_one_waiting(sl->svc);
			}
			if (sl->conn >= 0)
				close(sl->conn);
			if (sl->ctl >= 0)
				close(sl->ctl);
			*sl = (struct slot){ .state = SLOT_FREE, .ctl = -1, .conn = -1 };
		}
	}
}

/* ---- clients ---- */

static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	if (cr.uid == 0)
		return true;
	for (size_t i = 0; i < w.n_allow; i++)
		if (w.allow[i] == cr.uid)
			return true;
	return false;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(w.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;
		if (!peer_allowed(fd)) {
			w.refused++;
			answer(fd, WARD_SANDBOX_BAD_REQUEST, "permission denied (peer credentials)");
			close(fd);
			continue;
		}
		if (w.n_conns == WARDD_CONNS_MAX || !(c = calloc(1, sizeof(*c)))) {
			answer(fd, WARD_SANDBOX_UNAVAILABLE, "too many clients");
			close(fd);
			continue;
		}
		c->fd = fd;
		c->svc = -1;
		c->deadline_ms = now_ms() + WARD_SVC_HEADER_TIMEOUT_MS;
		w.conns[w.n_conns++] = c;
	}
}

static size_t count_queued_total(void)
{
	size_t n = 0;

	for (size_t i = 0; i < w.n_conns; i++)
		n += w.conns[i]->queued;
	return n;
}

/* Reads more of @c's header; 1 when the request is complete (queued), 0 for more, -1 to drop. */
static int read_header(struct conn *c)
{
	struct ward_svc_req_hdr h;
	size_t want = sizeof(h);
	ssize_t n;

	if (c->got >= sizeof(h)) {
		memcpy(&h, c->hdr, sizeof(h));
		want += h.name_len;
	}
	n = recv(c->fd, c->hdr + c->got, want - c->got, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->got += (size_t)n;
	if (c->got < sizeof(h))
		return 0;
	memcpy(&h, c->hdr, sizeof(h));
	if (memcmp(h.magic, WARD_SVC_REQ_MAGIC, 8) != 0 || h.flags ||
	    h.name_len == 0 || h.name_len >= WARD_SERVICE_NAME_MAX) {
		answer(c->fd, WARD_SANDBOX_BAD_REQUEST, "malformed request header");
		return -1;
	}
	if (c->got < sizeof(h) + h.name_len)
		return c->got == sizeof(h) ? read_header(c) : 0;
	{
		char name[WARD_SERVICE_NAME_MAX];
		int svc = -1;

		memcpy(name, c->hdr + sizeof(h), h.name_len);
		name[h.name_len] = 0;
		for (size_t i = 0; i < w.n_svcs; i++)
			if (w.svcs[i].live && strcmp(w.svcs[i].s.m->name, name) == 0)
				svc = (int)i;
		if (svc < 0) {
			answer(c->fd, WARD_SANDBOX_UNKNOWN_SERVICE, "no such service");
			return -1;
		}
		if (h.input_len > w.svcs[svc].s.m->max_input_bytes) {
			char msg[96];

			snprintf(msg, sizeof(msg), "the input is larger than max_input_bytes (%llu)",
				 (unsigned long long)w.svcs[svc].s.m->max_input_bytes);
			answer(c->fd, WARD_SANDBOX_INPUT_TOO_LARGE, msg);
			return -1;
		}
		if (count_queued_total() >= w.max_queue) {
			answer(c->fd, WARD_SANDBOX_UNAVAILABLE, "busy: too many clients waiting");
			return -1;
		}
		c->svc = svc;
		c->input_len = h.input_len;
		c->queued = true;
		return 1;
	}
}

/* ---- reload, counts, the loop ---- */

/* @svc takes no more requests; its sandboxes that hold no client go. */
static void retire(size_t svc)
{
	w.svcs[svc].live = false;
	for (unsigned k = 0; k < w.max_sandboxes; k++)
		if (w.slots[k].state != SLOT_FREE && w.slots[k].state != SLOT_BUSY &&
		    w.slots[k].svc == (int)svc)
			kill(w.slots[k].pid, SIGKILL);
}

/*
 * Register what the services dir holds now. @all (a policy switch): every service registers
 * again, changed or not, and if the dir cannot be read every service stops (none may serve
 * under the old policy).
 */
static int reload_services(bool all)
{
	struct service fresh[WARDD_SERVICES_MAX];
	char names[WARDD_SERVICES_MAX][WARD_SERVICE_NAME_MAX];
	size_t n = 0;

	if (load_manifests(fresh, &n, true) < 0) {
		if (!all) {
			logmsg("reload: the services dir has errors; keeping the running services");
			return -EBADMSG;
		}
		logmsg("the services dir has errors: no service serves until it is fixed and "
		       "wardd reloads (HUP)");
		for (size_t j = 0; j < w.n_svcs; j++)
			if (w.svcs[j].live)
				retire(j);
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], sizeof(names[i]), "%s", fresh[i].s.m->name);
	/* Services whose manifest is gone stop taking requests. */
	for (size_t j = 0; j < w.n_svcs; j++) {
		bool present = false;

		for (size_t i = 0; i < n && !present; i++)
			present = strcmp(w.svcs[j].s.m->name, names[i]) == 0;
		if (w.svcs[j].live && !present)
			retire(j);
	}
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < w.n_svcs; j++)
			if (w.svcs[j].live && strcmp(w.svcs[j].s.m->name, names[i]) == 0)
				break;
		/* Unchanged: keep it (and its pool). */
		if (!all && j < w.n_svcs &&
		    memcmp(w.svcs[j].s.m->digest, fresh[i].s.m->digest, 32) == 0) {
			manifest_free(fresh[i].s.m);
			continue;
		}
		if (w.n_svcs == WARDD_SERVICES_MAX) {
			logmsg("reload: more than %d services over wardd's life; restart it",
			       WARDD_SERVICES_MAX);
			manifest_free(fresh[i].s.m);
			continue;
		}
		/* Changed or new: recorded first; a changed one replaces the old only once the
		 * new one is registered (one this host cannot serve leaves the old serving). */
		w.svcs[w.n_svcs] = fresh[i];
		if (register_service(&w.svcs[w.n_svcs]) < 0) {
			/* Under a new policy the old registration must not serve either. */
			if (all && j < w.n_svcs)
				retire(j);
			continue;
		}
		if (j < w.n_svcs)
			retire(j);
		w.n_svcs++;
	}
	logmsg("reloaded %s", w.services_dir);
	return 0;
}

static void reload(void)
{
	(void)reload_services(false);
}

static int reload_services(bool all);

/*
 * The installed policy changed (`ward policy install` or `revoke`). Every sandbox lives under
 * one policy: those of the old one go (a request not yet answered fails with policy-changed;
 * one whose result is already on its way completes), and every service registers again under
 * the new one (a new ward-service record), with fresh pools. A policy that cannot be loaded
 * leaves deny-all in force.
 */
static void policy_changed(void)
{
	struct ward_policy *p = NULL, **old;
	struct ward_policy_ref pref = { 0 };
	enum ward_policy_status status = WARD_POLICY_NONE;
	struct ward_diag d = { { 0 } };
	int r;

	if (!policy_state_drain(w.policy_watch))
		return;
	r = policy_state_for_monitor(w.st, NULL, time(NULL), &p, &pref, &status, &d);
	if (r == 0 && status == w.pstatus && memcmp(pref.digest, w.pref.digest, 32) == 0) {
		policy_free(p);
		return;
	}
	if (r < 0 || status == WARD_POLICY_NONE) {
		struct ward_policy_current none = { .status = WARD_POLICY_REVOKED };

		snprintf(none.name, sizeof(none.name), "unavailable");
		logmsg("the installed policy cannot be used (%s): every service denies everything",
		       r < 0 ? (d.msg[0] ? d.msg : strerror(-r)) : "none installed");
		if (policy_deny_all(&none, &p) < 0) {
			logmsg("out of memory: stopping");
			w.stopping = true;
			return;
		}
		pref = (struct ward_policy_ref){ .installed = true };
		status = WARD_POLICY_REVOKED;
	}
	old = realloc(w.old_policies, (w.n_old_policies + 1) * sizeof(*old));
	if (!old) {
		policy_free(p);
		logmsg("out of memory: stopping");
		w.stopping = true;
		return;
	}
	w.old_policies = old;
	if (w.policy)
		w.old_policies[w.n_old_policies++] = w.policy;
	w.policy = p;
	w.pref = pref;
	w.pstatus = status;
	w.mode = status == WARD_POLICY_REVOKED ? WARD_MODE_ENFORCE :
		 w.audit || p->domain.audit ? WARD_MODE_AUDIT : WARD_MODE_ENFORCE;
	w.switches++;
	/* Every sandbox of the old policy goes; those answering already finish. */
	for (unsigned k = 0; k < w.max_sandboxes; k++) {
		struct slot *sl = &w.slots[k];

		if (sl->state == SLOT_FREE || (sl->state == SLOT_BUSY && sl->responding))
			continue;
		sl->policy_killed = true;
		kill(sl->pid, SIGKILL);
	}
	logmsg("policy %s: %s version %llu", status == WARD_POLICY_REVOKED ? "revoked" : "switched",
	       p->name, (unsigned long long)p->version);
	(void)reload_services(true);
}

static void print_counts(void)
{
	logmsg("%llu requests served, %llu connections refused (peer credentials)",
	       (unsigned long long)w.served, (unsigned long long)w.refused);
	for (size_t i = 0; i < w.n_svcs; i++)
		if (w.svcs[i].live)
			logmsg("service %s: %llu ok, %llu failed, %zu ready, %zu warming, %zu busy, "
			       "%zu waiting", w.svcs[i].s.m->name, (unsigned long long)w.svcs[i].ok,
			       (unsigned long long)w.svcs[i].failed, count_slots((int)i, SLOT_READY),
			       count_slots((int)i, SLOT_WARMING), count_slots((int)i, SLOT_BUSY),
			       queued_for((int)i));
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		logmsg("%s: path too long for a UNIX socket", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket left by a wardd that died: nobody answers on it. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		logmsg("%s: another wardd is serving this socket", path);
		close(fd);
		return -EADDRINUSE;
	}
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, w.n_allow ? 0666 : 0600) < 0 || listen(fd, 256) < 0) {
		int r = -errno;

		logmsg("%s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

/* In a channel child: wardd's own fds are not its business (a copy held there would keep a
 * client or a sandbox from seeing wardd close them). */
static void close_inherited(void)
{
	close(w.listen_fd);
	close(w.sig_fd);
	if (w.policy_watch >= 0)
		close(w.policy_watch);
	for (unsigned i = 0; i < w.max_sandboxes; i++) {
		if (w.slots[i].ctl >= 0)
			close(w.slots[i].ctl);
		if (w.slots[i].conn >= 0)
			close(w.slots[i].conn);
	}
	for (size_t i = 0; i < w.n_conns; i++)
		if (w.conns[i]->fd >= 0)
			close(w.conns[i]->fd);
}

static bool service_live(const char *name)
{
	for (size_t i = 0; i < w.n_svcs; i++)
		if (w.svcs[i].live && strcmp(w.svcs[i].s.m->name, name) == 0)
			return true;
	return false;
}

static void loop(void)
{
	static struct pollfd p[4 + WARDD_SANDBOXES_MAX + WARDD_CONNS_MAX];
	const struct channel_env env = { .st = w.st, .socket_path = w.socket_path,
					 .follows_installed = !w.policy_path,
					 .service_live = service_live };

	while (!w.stopping) {
		size_t n = 0, slot_base, conn_base;
		uint64_t t = now_ms();
		int timeout = -1;

		refill();
		p[n++] = (struct pollfd){ w.sig_fd, POLLIN, 0 };
		p[n++] = (struct pollfd){ w.listen_fd, POLLIN, 0 };
		p[n++] = (struct pollfd){ w.policy_watch, POLLIN, 0 };
		p[n++] = (struct pollfd){ w.ch ? channel_listen_fd(w.ch) : -1, POLLIN, 0 };
		slot_base = n;
		for (unsigned i = 0; i < w.max_sandboxes; i++)
			p[n++] = (struct pollfd){ w.slots[i].ctl, POLLIN, 0 };
		conn_base = n;
		for (size_t i = 0; i < w.n_conns; i++) {
			struct conn *c = w.conns[i];

			/* Queued clients are not read (their input is the sandbox's to read). */
			p[n++] = (struct pollfd){ c->queued ? -1 : c->fd, POLLIN, 0 };
			if (!c->queued) {
				int left = c->deadline_ms > t ? (int)(c->deadline_ms - t) : 0;

				timeout = timeout < 0 || left < timeout ? left : timeout;
			}
		}
		for (size_t i = 0; i < w.n_svcs; i++)
			if (w.svcs[i].respawn_after_ms > t) {
				int left = (int)(w.svcs[i].respawn_after_ms - t);

				timeout = timeout < 0 || left < timeout ? left : timeout;
			}
		if (poll(p, n, timeout) < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			return;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			while (read(w.sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					w.stopping = true;
				else if (si.ssi_signo == SIGHUP)
					reload();
				else if (si.ssi_signo == SIGUSR1)
					print_counts();
				else if (si.ssi_signo == SIGCHLD)
					reap();
			}
		}
		if (p[2].revents)
			policy_changed();
		for (unsigned i = 0; i < w.max_sandboxes; i++)
			if (w.slots[i].state != SLOT_FREE && w.slots[i].ctl >= 0 &&
			    p[slot_base + i].revents)
				slot_message(&w.slots[i]);
		/* Connections, from the last (conn_free moves the last into the hole). */
		t = now_ms();
		for (size_t i = w.n_conns; i-- > 0;) {
			struct conn *c = w.conns[i];
			int r = 0;

			if (c->queued)
				continue;
			if (conn_base + i < n && p[conn_base + i].fd == c->fd && p[conn_base + i].revents)
				r = read_header(c);
			else if (t >= c->deadline_ms)
				r = -1; /* too slow: dropped without an answer */
			if (r < 0)
				conn_free(i);
			else if (r > 0)
				dispatch(c->svc);
		}
		if (p[1].revents)
			accept_clients();
		if (p[3].revents)
			channel_accept(w.ch, &env, close_inherited);
		reap();
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "services", required_argument, NULL, 'S' },
		{ "policy", required_argument, NULL, 'p' },
		{ "audit", no_argument, NULL, 'a' },
		{ "socket", required_argument, NULL, 'k' },
		{ "allow-uid", required_argument, NULL, 'u' },
		{ "max-sandboxes", required_argument, NULL, 'm' },
		{ "max-queue", required_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "listen", required_argument, NULL, 'L' },
		{ "max-connections", required_argument, NULL, 'C' },
		{ "quote-rate", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	struct service loaded[WARDD_SERVICES_MAX];
	struct ward_diag d = { { 0 } };
	char sock[4096];
	sigset_t ss;
	size_t n = 0;
	int c, r;

	w.max_sandboxes = WARDD_SANDBOXES_DEFAULT;
	w.max_queue = WARDD_QUEUE_DEFAULT;
	w.ch_max_conns = WARDD_CH_CONNS_DEFAULT;
	w.ch_quote_rate = WARDD_CH_QUOTE_RATE_DEFAULT;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			w.state_dir = optarg;
			break;
		case 'S':
			w.services_dir = optarg;
			break;
		case 'p':
			w.policy_path = optarg;
			break;
		case 'a':
			w.audit = true;
			break;
		case 'k':
			w.socket_path = optarg;
			break;
		case 'u':
			if (w.n_allow == WARDD_ALLOW_UIDS_MAX) {
				logmsg("--allow-uid: at most %d", WARDD_ALLOW_UIDS_MAX);
				return 2;
			}
			w.allow[w.n_allow++] = parse_unsigned("--allow-uid", optarg, 0xfffffffeU);
			break;
		case 'm':
			w.max_sandboxes = parse_unsigned("--max-sandboxes", optarg, WARDD_SANDBOXES_MAX);
			break;
		case 'q':
			w.max_queue = parse_unsigned("--max-queue", optarg, WARDD_CONNS_MAX);
			break;
		case 'v':
			w.verbose = true;
			break;
		case 'L':
			w.listen_addr = optarg;
			break;
		case 'C':
			w.ch_max_conns = parse_unsigned("--max-connections", optarg, WARDD_CH_CONNS_MAX);
			break;
		case 'R':
			w.ch_quote_rate = parse_unsigned("--quote-rate", optarg, 100000);
			break;
		case 'V':
			printf("wardd %s\n", WARD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !w.services_dir) {
		usage(stderr);
		return 2;
	}
	if (!w.state_dir)
		w.state_dir = getenv("WARD_STATE_DIR") ? getenv("WARD_STATE_DIR") :
							  WARD_DEFAULT_STATE_DIR;
	if (w.max_sandboxes == 0) {
		logmsg("--max-sandboxes: at least 1");
		return 2;
	}
	if (geteuid() != 0) {
		logmsg("needs root (namespaces, mounts, fanotify permission events, cgroups)");
		return 125;
	}
	/* Manifests first: a malformed one stops wardd before anything is recorded. */
	if (load_manifests(loaded, &n, false) < 0)
		return 2;
	if ((r = state_open(w.state_dir, NULL, WARD_STATE_ATTESTER, &w.st, &d)) < 0) {
		logmsg("state dir %s: %s", w.state_dir, d.msg[0] ? d.msg : strerror(-r));
		return 125;
	}
	r = policy_state_for_monitor(w.st, w.policy_path, time(NULL), &w.policy, &w.pref,
				     &w.pstatus, &d);
	if (r < 0) {
		logmsg("%s", d.msg[0] ? d.msg : strerror(-r));
		return r == -EBADMSG || r == -E2BIG ? 2 : 125;
	}
	if (w.audit && !w.policy) {
		logmsg("--audit needs a policy (--policy FILE or an installed one)");
		return 2;
	}
	w.mode = !w.policy ? WARD_MODE_MEASURE :
		 w.pstatus == WARD_POLICY_REVOKED ? WARD_MODE_ENFORCE :
		 w.audit || w.policy->domain.audit ? WARD_MODE_AUDIT : WARD_MODE_ENFORCE;
	if (!w.policy_path) {
		w.policy_watch = policy_state_watch(w.st);
		if (w.policy_watch < 0) {
			logmsg("cannot watch the installed policy: %s", strerror(-w.policy_watch));
			return 125;
		}
	}
	if (w.pstatus == WARD_POLICY_REVOKED)
		logmsg("the installed policy is revoked: every service denies everything");
	else if (!w.policy && w.verbose)
		logmsg("no policy (none given, none installed): sandboxes are measure-only (their "
		       "code is measured and recorded; structural rules deny)");
	for (size_t i = 0; i < n; i++) {
		w.svcs[w.n_svcs] = loaded[i];
		if (register_service(&w.svcs[w.n_svcs]) < 0) {
			for (size_t k = i + 1; k < n; k++)
				manifest_free(loaded[k].s.m);
			return 2;
		}
		w.n_svcs++;
	}
	w.slots = calloc(w.max_sandboxes, sizeof(*w.slots));
	if (!w.slots)
		return 125;
	for (unsigned i = 0; i < w.max_sandboxes; i++)
		w.slots[i] = (struct slot){ .state = SLOT_FREE, .ctl = -1, .conn = -1 };
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	w.sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w.sig_fd < 0)
		return 125;
	if (!w.socket_path) {
		snprintf(sock, sizeof(sock), "%s/%s", w.state_dir, WARD_SVC_SOCKET);
		w.socket_path = sock;
	}
	sandbox_uid_sweep();
	w.listen_fd = listen_on(w.socket_path);
	if (w.listen_fd < 0)
		return 125;
	if (w.listen_addr) {
		if (w.ch_max_conns == 0 || w.ch_quote_rate == 0) {
			logmsg("--max-connections and --quote-rate: at least 1");
			return 2;
		}
		if ((r = channel_open(w.listen_addr, w.ch_max_conns, w.ch_quote_rate, &w.ch, &d)) < 0) {
			logmsg("%s", d.msg[0] ? d.msg : strerror(-r));
			return r == -EINVAL ? 2 : 125;
		}
		if ((r = channel_warm(w.ch, &d)) < 0) {
			logmsg("%s", d.msg[0] ? d.msg : strerror(-r));
			return 125;
		}
		logmsg("attested channel on %s (TLS 1.3; at most %u connections, %u quotes/s)",
		       w.listen_addr, w.ch_max_conns, w.ch_quote_rate);
	}
	{
		unsigned pools = 0;

		for (size_t i = 0; i < w.n_svcs; i++)
			pools += w.svcs[i].s.m->pool;
		if (pools > w.max_sandboxes)
			logmsg("the services' pools add up to %u sandboxes, more than --max-sandboxes "
			       "(%u): not every service stays warm", pools, w.max_sandboxes);
	}
	logmsg("serving %zu service(s) on %s", w.n_svcs, w.socket_path);
	loop();
	/* Stop: every sandbox goes (its monitor's keeper kills it), then the socket. */
	close(w.listen_fd);
	if (w.ch) {
		/* Channel children die with wardd (PDEATHSIG); their clients see the close. */
		channel_close(w.ch);
	}
	(void)unlink(w.socket_path);
	for (unsigned i = 0; i < w.max_sandboxes; i++)
		if (w.slots[i].state != SLOT_FREE)
			kill(w.slots[i].pid, SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	print_counts();
	for (size_t i = 0; i < w.n_conns; i++)
		close(w.conns[i]->fd);
	for (size_t i = 0; i < w.n_svcs; i++)
		sandbox_service_free(&w.svcs[i].s);
	policy_free(w.policy);
	for (size_t i = 0; i < w.n_old_policies; i++)
		policy_free(w.old_policies[i]);
	free(w.old_policies);
	if (w.policy_watch >= 0)
		close(w.policy_watch);
	state_close(w.st);
	return 0;
}
