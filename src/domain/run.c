/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The processes of a domain and how they fail closed.
 *
 *   monitor (M, the caller)   holds the fanotify group, the log, the leases; answers events
 *    └ keeper (K)             own session; holds a dup of the group; parent of the init
 *       └ init (I)            pid 1 of the domain's PID namespace; builds the mounts
 *          └ workload (W)     CMD: no capabilities, no_new_privs, Landlock, seccomp
 *
 * fanotify answers ALLOW for every pending event when the last reference to a group goes away
 * (fanotify_release), so the monitor's death alone would let unchecked grants through. The
 * keeper's dup keeps the group alive; when the monitor dies (the keeper sees its pipe hang
 * up), the keeper kills the domain's cgroup and its init, reaps the init (which returns only
 * once every process of the PID namespace is gone) and only then exits, dropping the last
 * reference to the group. The keeper runs in its own session, so a signal to the monitor's
 * process group does not reach it (domain-design-notes.md, Q3).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/fdpass.h"
#include "domain/domain-internal.h"
#include "ward/landlock.h"
#include "ward/policy-state.h"
#include "ward/privs.h"
#include "ward/seccomp.h"

/* Fixed fd numbers in the keeper and the init. */
enum {
	KFD_FAN = 3,	/* keeper: its reference to the group */
	KFD_ALIVE = 4,	/* keeper: read end of a pipe only the monitor can write */
	KFD_STATUS = 5, /* keeper: init's pid, then its wait status, to the monitor */
	KFD_SOCK = 6,	/* init: its channel to the monitor */
	KFD_PROCS = 7,	/* init: the cgroup's cgroup.procs */
	KFD_KILL = 8,	/* keeper: the cgroup's cgroup.kill */
	KFD_CGPARENT = 9,
	KFD_API = 10,	/* init: a sandbox's fd 3 for the workload, or closed */
	KFD_RES = 11,	/* keeper: the v1 cgroups' ward/ dirs (__RES_MAX of them), or closed */
	KFD_CGDIR = KFD_RES + __RES_MAX, /* keeper: the domain's cgroup, to clone the init into */
	KFD_FIRST_FREE,
};

enum msg_type {
	MSG_MOUNTS = 1,	    /* init -> monitor: the code mounts' fds, in plan order */
	MSG_SETUP_FAILED,   /* init -> monitor: err + text */
	MSG_GO,		    /* monitor -> init: the marks are in place */
	MSG_EXEC,	    /* init -> monitor: CMD's execve result (err, 0 = it runs) */
	MSG_ANON_LISTENER,  /* workload -> monitor: its seccomp filter's listener (1 fd) */
	MSG_CMD_END,	    /* init -> monitor: CMD was reaped (err = its wait status) */
};

struct msg {
	uint32_t type;
	int32_t err;
	char text[480];
};

/* Signals the monitor forwards to the workload (through the init). */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

_Static_assert(WARD_DOMAIN_CODE_MAX + 1 <= FDPASS_MAX, "the code mounts fit one message");

static int send_msg(int sock, const struct msg *m, const int *fds, size_t nfds)
{
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };

	return fdpass_send(sock, &iov, 1, fds, nfds) < 0 ? -EPIPE : 0;
}

static int recv_msg(int sock, struct msg *m, int *fds, size_t max_fds, size_t *ret_nfds)
{
	return fdpass_recv(sock, m, sizeof(*m), fds, max_fds, ret_nfds);
}

/* ---- the domain init and the workload (after fork: async-signal-safe only until exec) ---- */

static volatile pid_t init_workload = -1;
static bool init_cloned_into_cgroup;

static void init_forward(int sig)
{
	if (init_workload > 0)
		kill(init_workload, sig);
}

static _Noreturn void init_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void init_fail(int err, const char *fmt, ...)
{
	struct msg m = { .type = MSG_SETUP_FAILED, .err = err };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	(void)send_msg(KFD_SOCK, &m, NULL, 0);
	_exit(125);
}

struct run_ctx {
	const struct ward_domain_spec *spec;
	struct mount_plan plan;
	const char *code[WARD_DOMAIN_CODE_MAX + 1];
	char *code_buf[WARD_DOMAIN_CODE_MAX + 1];
	struct ward_domain_bind binds[WARD_DOMAIN_BINDS_MAX];
	char *bind_buf[2 * WARD_DOMAIN_BINDS_MAX];
	size_t n_bind_buf;
	char cwd[PATH_MAX];
	bool anon_exec; /* the policy at start names executables allowed anonymous exec memory */
	/* TCP ports no process of the domain may connect to: a TPM the state dir reaches over
	 * TCP (a swtpm's command and control ports). */
	uint16_t deny_ports[2];
	size_t n_deny_ports;
	const struct ward_domain_sandbox *sb;
	char id[WARD_DOMAIN_ID_MAX];
};

/* Async-signal-safe: one capget. */
static bool domain_has_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &h, data) < 0)
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

static _Noreturn void workload_main(struct run_ctx *c, int errfd)
{
	const struct ward_domain_spec *spec = c->spec;
	struct ward_diag d = { 0 };
	sigset_t none;
	int err, listener = -1;

	sigemptyset(&none);
	for (size_t i = 0; i < N_FORWARDED; i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Kept only to hand the seccomp listener over (below). */
	if (!c->anon_exec)
		close(KFD_SOCK);
	if (c->sb) {
		/* No core dump (a pipe helper would carry its memory out: the sandbox layer
		 * refuses such a core_pattern), its declared tasks, its memory lockable. */
		struct rlimit core = { 0, 0 }, nproc = { c->sb->tasks, c->sb->tasks }, lock;

		/* Lockable up to its memory limit; without CAP_SYS_RESOURCE (some container
		 * hosts) the hard limit cannot be raised, and the memory cgroup's swap limit is
		 * what keeps its pages off swap. */
		if (getrlimit(RLIMIT_MEMLOCK, &lock) < 0)
			goto fail;
		if (lock.rlim_max != RLIM_INFINITY && lock.rlim_max < c->sb->memory_bytes &&
		    !domain_has_cap(CAP_SYS_RESOURCE))
			lock.rlim_cur = lock.rlim_max;
		else
			lock.rlim_cur = lock.rlim_max = c->sb->memory_bytes;
		if (setrlimit(RLIMIT_CORE, &core) < 0 ||
		    (c->sb->tasks && setrlimit(RLIMIT_NPROC, &nproc) < 0) ||
		    (c->sb->memory_bytes && setrlimit(RLIMIT_MEMLOCK, &lock) < 0))
			goto fail;
		if (fcntl(KFD_API, F_GETFD) >= 0) {
			if (dup2(KFD_API, 3) < 0)
				goto fail;
			close(KFD_API);
		}
		if (c->sb->envp)
			environ = (char **)c->sb->envp;
	}
	if (chdir(c->cwd) < 0 && chdir("/") < 0)
		goto fail;
	/* uid/gid first (needs CAP_SETUID), then every capability goes, then the seccomp
	 * filter (which needs no_new_privs, set by the drop). Landlock is inherited from init. */
	if (domain_drop_privs(spec->set_ids, spec->uid, spec->gid, &d) < 0 ||
	    domain_seccomp_install(c->anon_exec ? WARD_SECCOMP_NOTIFY_ANON_EXEC : 0, &listener,
				   &d) < 0) {
		errno = EPERM;
		goto fail;
	}
	if (c->anon_exec) {
		/*
		 * The listener answers for every process of the domain: it goes to the monitor and
		 * leaves this process before CMD runs (CMD could otherwise answer its own calls).
		 * Sent before the sandbox filter, which refuses sendmsg. Unsent, CMD does not run.
		 */
		struct msg m = { .type = MSG_ANON_LISTENER };

		err = send_msg(KFD_SOCK, &m, &listener, 1);
		close(listener);
		close(KFD_SOCK);
		if (err < 0) {
			errno = EPERM;
			goto fail;
		}
	}
	if (c->sb && domain_seccomp_install_sandbox(c->sb->allow_fork ? WARD_SECCOMP_ALLOW_FORK : 0,
						    &d) < 0) {
		errno = EPERM;
		goto fail;
	}
	if (spec->exec_path)
		execv(spec->exec_path, spec->argv);
	else
		execvp(spec->argv[0], spec->argv);
fail:
	err = errno;
	(void)!write(errfd, &err, sizeof(err));
	_exit(err == ENOENT ? 127 : 126);
}

static int landlock_domain(struct run_ctx *c, struct ward_diag *d)
{
	struct ward_landlock_rule rules[2 + 4 + WARD_DOMAIN_CODE_MAX + 1 + WARD_DOMAIN_BINDS_MAX];
	size_t n = 0;

	rules[n++] = (struct ward_landlock_rule){ "/", WARD_LL_READ };
	rules[n++] = (struct ward_landlock_rule){ "/dev", WARD_LL_DEV };
	if (!c->sb)
		rules[n++] = (struct ward_landlock_rule){ "/dev/shm", WARD_LL_WRITE };
	rules[n++] = (struct ward_landlock_rule){ "/tmp", WARD_LL_WRITE };
	for (size_t i = 0; i < c->plan.n_code; i++)
		rules[n++] = (struct ward_landlock_rule){ c->plan.code[i], WARD_LL_EXEC };
	for (size_t i = 0; i < c->plan.n_binds; i++)
		if (!c->plan.binds[i].ro)
			rules[n++] = (struct ward_landlock_rule){ c->plan.binds[i].dst, WARD_LL_WRITE };
	if (c->sb)
		return domain_landlock_apply_flags(rules, n, WARD_LL_DENY_NET, d);
	return domain_landlock_apply_ports(rules, n, c->deny_ports, c->n_deny_ports, d);
}

static _Noreturn void init_main(struct run_ctx *c)
{
	int fds[WARD_DOMAIN_CODE_MAX + 1], errp[2], status, err = 0;
	struct ward_diag d = { 0 };
	struct msg m = { .type = MSG_MOUNTS };
	struct sigaction sa = { .sa_handler = init_forward };
	size_t nfds;
	pid_t w;
	int fd;

	/* The keeper's death kills the domain too (the keeper also kills it explicitly). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* No reference to the group, the keeper's pipes or the kill switch may reach the
	 * domain: a process holding the group could answer its own events. */
	close(KFD_FAN);
	close(KFD_ALIVE);
	close(KFD_STATUS);
	close(KFD_KILL);
	close(KFD_CGPARENT);
	for (int i = 0; i < __RES_MAX; i++)
		close(KFD_RES + i);
	close(KFD_CGDIR);
	/* Created in its cgroup by clone3, or moved there now (a slower migration). */
	if (!init_cloned_into_cgroup &&
	    (err = cgroup_join_self(&(struct domain_cgroup){ .procs = KFD_PROCS })) < 0)
		init_fail(err, "join the domain's cgroup: %s", strerror(-err));
	close(KFD_PROCS);
	if (!c->sb)
		close(KFD_API);
	/* A sandbox also gets an empty network namespace: not even loopback is up. */
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | (c->sb ? CLONE_NEWNET : 0)) < 0)
		init_fail(errno, "unshare: %s", strerror(errno));
	if (sethostname("ward", 4) < 0)
		init_fail(errno, "sethostname: %s", strerror(errno));
	/* memfd_noexec is per PID namespace and inherited by nested ones: memfds can never be
	 * executed here (seccomp refuses memfd_create as well). Written through the host's /proc
	 * before it goes away; the domain's own /proc is read-only. */
	fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "2", 1) != 1)
		init_fail(errno, "vm.memfd_noexec=2 in the domain's PID namespace: %s",
			  strerror(errno));
	close(fd);
	if ((err = mounts_build(&c->plan, fds, &d)) < 0)
		init_fail(err, "%s", d.msg);
	if (send_msg(KFD_SOCK, &m, fds, c->plan.n_code) < 0)
		_exit(125);
	for (size_t i = 0; i < c->plan.n_code; i++)
		close(fds[i]);
	if (recv_msg(KFD_SOCK, &m, fds, 0, &nfds) < 0 || m.type != MSG_GO)
		_exit(125);
	/* Landlock before the workload is forked: its domain nests in this one, so init can
	 * forward signals to it and it cannot signal init. */
	if ((err = landlock_domain(c, &d)) < 0)
		init_fail(err, "Landlock: %s", d.msg);
	if (pipe2(errp, O_CLOEXEC) < 0)
		init_fail(errno, "pipe: %s", strerror(errno));
	/* The init keeps nothing of the sandbox's fd 3. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
	w = fork();
	if (w < 0)
		init_fail(errno, "fork: %s", strerror(errno));
	if (w == 0) {
		close(errp[0]);
		workload_main(c, errp[1]);
	}
	init_workload = w;
	close(errp[1]);
	close(KFD_API);
	/* CMD's stdio is CMD's: a pipe reaches EOF when CMD (and what it forked) closes it, not
	 * when the init ends after the domain's teardown. */
	for (int i = 0; i < 3; i++)
		close(i);
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	/* init holds nothing the workload wants, but keeps no privilege either. */
	if (domain_drop_privs(false, 0, 0, &d) < 0 ||
	    domain_seccomp_install(0, NULL, &d) < 0) {
		kill(w, SIGKILL);
		init_fail(EPERM, "drop privileges: %s", d.msg);
	}
	m = (struct msg){ .type = MSG_EXEC };
	for (;;) {
		ssize_t n = read(errp[0], &err, sizeof(err));

		if (n < 0 && errno == EINTR)
			continue;
		m.err = n == (ssize_t)sizeof(err) ? err : 0;
		break;
	}
	close(errp[0]);
	(void)send_msg(KFD_SOCK, &m, NULL, 0);
	/* As pid 1: reap everything; CMD's end is the domain's end. */
	for (;;) {
		pid_t p = waitpid(-1, &status, 0);

		if (p == w)
			break;
		if (p < 0 && errno != EINTR)
			_exit(125);
	}
	/* Told now, before this exit tears the namespaces down (which takes the better part of
	 * a millisecond): the same status the keeper reports after it. */
	m = (struct msg){ .type = MSG_CMD_END, .err = status };
	(void)send_msg(KFD_SOCK, &m, NULL, 0);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* ---- the keeper ---- */

static int move_fd(int from, int to)
{
	if (from == to)
		return fcntl(to, F_SETFD, 0) < 0 ? -errno : 0;
	if (dup2(from, to) < 0)
		return -errno;
	return 0;
}

/* The sandbox's v1 cgroups, once its tasks are gone (the monitor may be gone too). */
static void keeper_remove_res(const char *name)
{
	for (int i = 0; i < __RES_MAX; i++)
		for (int k = 0; fcntl(KFD_RES + i, F_GETFD) >= 0 && k < 200; k++) {
			if (unlinkat(KFD_RES + i, name, AT_REMOVEDIR) == 0 || errno != EBUSY)
				break;
			usleep(1000);
		}
}

static _Noreturn void keeper_main(struct run_ctx *c, const int *src, const char *cg_name)
{
	struct domain_cgroup cg = { .killfd = KFD_KILL, .parentfd = KFD_CGPARENT, .procs = -1,
				    .dirfd = -1 };
	int high[KFD_FIRST_FREE], status, pidfd;
	sigset_t none;
	pid_t init;

	snprintf(cg.name, sizeof(cg.name), "%s", cg_name);
	sigemptyset(&none);
	for (size_t i = 0; i < N_FORWARDED; i++)
		signal(forwarded[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Its own session: signals to the monitor's process group or terminal miss it. */
	if (setsid() < 0)
		_exit(125);
	/* A monitor gone must not kill the keeper through its status pipe. */
	signal(SIGPIPE, SIG_IGN);
	/* Move every fd it keeps to its fixed number (through high numbers: no clobbering). */
	for (int i = 0; i < KFD_FIRST_FREE; i++) {
		high[i] = -1;
		if (src[i] >= 0 && (high[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 100)) < 0)
			_exit(125);
	}
	for (int i = 0; i < KFD_FIRST_FREE; i++) {
		if (high[i] >= 0 && move_fd(high[i], i) < 0)
			_exit(125);
		if (high[i] < 0 && i >= 3)
			close(i); /* whatever the monitor had there is not the keeper's */
		if (high[i] < 0 && i < 3) {
			int n = open("/dev/null", O_RDWR);

			if (n < 0 || move_fd(n, i) < 0)
				_exit(125);
			if (n != i)
				close(n);
		}
	}
	close_range(KFD_FIRST_FREE, ~0U, 0);
	if (unshare(CLONE_NEWPID) < 0)
		_exit(125);
	/* Straight into the domain's cgroup: a migration (a write to cgroup.procs) takes the
	 * kernel's cgroup threadgroup lock for writing, which waits for an RCU grace period. */
	{
		struct clone_args ca = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
					 .cgroup = KFD_CGDIR };

		init_cloned_into_cgroup = true;
		init = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (init < 0) {
			init_cloned_into_cgroup = false; /* an older kernel: fork and join */
			init = fork();
		}
	}
	if (init < 0)
		_exit(125);
	if (init == 0)
		init_main(c);
	/* The domain's fds are the init's now; the keeper keeps none of them open. */
	for (int i = 0; i < 3; i++) {
		int n = open("/dev/null", O_RDWR);

		if (n >= 0 && n != i) {
			dup2(n, i);
			close(n);
		}
	}
	close(KFD_SOCK);
	close(KFD_PROCS);
	close(KFD_API);
	if (write(KFD_STATUS, &init, sizeof(init)) != (ssize_t)sizeof(init))
		goto kill;
	pidfd = pidfd_open(init, 0);
	if (pidfd < 0)
		goto kill;
	for (;;) {
		struct pollfd p[2] = { { KFD_ALIVE, POLLIN, 0 }, { pidfd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto kill;
		}
		if (p[1].revents) {
			if (waitpid(init, &status, 0) != init)
				goto kill;
			/* The status first (the domain is gone: nothing to wait for), then the
			 * cgroup. The v1 cgroups stay for the monitor, which reads their
			 * counters (OOM kills) before it removes them, unless it is gone (the
			 * init also ends on its own when the monitor dies during set-up). */
			struct pollfd ap = { KFD_ALIVE, POLLIN, 0 };
			bool told = write(KFD_STATUS, &status, sizeof(status)) ==
				    (ssize_t)sizeof(status);

			cgroup_remove(&cg);
			/* The v1 cgroups go once the monitor is done with them (it closes its
			 * pipe after reading them) or gone: whichever, they never outlive both. */
			if (told)
				while (poll(&ap, 1, -1) < 0 && errno == EINTR)
					;
			keeper_remove_res(cg.name);
			_exit(0);
		}
		if (p[0].revents)
			goto kill; /* the monitor is gone (or wrote, which it never does) */
	}
kill:
	/* Every domain process gets SIGKILL queued before any of them runs again; the pending
	 * permission events stay pending (this process still holds the group) until then. */
	(void)cgroup_kill(&cg);
	kill(init, SIGKILL);
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	cgroup_remove(&cg);
	keeper_remove_res(cg.name);
	_exit(0); /* only now the last reference to the group goes */
}

/* ---- the monitor ---- */

static bool path_normalised(const char *p)
{
	size_t n = strlen(p);

	if (n < 2 || p[0] != '/' || p[n - 1] == '/' || n >= PATH_MAX)
		return false;
	for (const char *c = p; *c; c++)
		if (c[0] == '/' && (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || !c[2])) ||
				    (c[1] == '.' && c[2] == '.' && (c[3] == '/' || !c[3]))))
			return false;
	return true;
}

/* @a equals @b or one lies below the other. */
static bool overlaps(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), n = na < nb ? na : nb;

	return strncmp(a, b, n) == 0 && (a[n] == 0 || a[n] == '/' || b[n] == 0 || b[n] == '/');
}

/*
 * What the monitor holds must stay out of every domain: the state dir (log, keys, the policy
 * store) and the TPM it extends (a swtpm's sockets, TPM devices). A process that could extend
 * the PCR or use the AK would forge the evidence. The domain's root is a fresh tmpfs, so only
 * a code dir or a bind could bring them in: one that is, holds or lies inside any of them is
 * refused. A TPM reached over TCP is kept out by Landlock (deny_ports).
 */
static int check_private(struct run_ctx *c, const struct ward_state *st, struct ward_diag *d)
{
	char *priv[2 + 8] = { 0 };
	size_t np = 0;
	int r = 0;

	priv[np++] = realpath(st->path, NULL);
	if (st->tcti) {
		const char *p = strstr(st->tcti, "path=");
		const char *dev = strncmp(st->tcti, "device:", 7) == 0 ? st->tcti + 7 : NULL;

		if (p && (p[-1] == ':' || p[-1] == ',')) {
			char path[PATH_MAX];
			size_t n = strcspn(p + 5, ",");

			if (n < sizeof(path)) {
				memcpy(path, p + 5, n);
				path[n] = '\0';
				priv[np++] = realpath(path, NULL);
			}
		} else if (dev) {
			priv[np++] = realpath(dev, NULL);
		}
		if (strstr(st->tcti, "host=") || strstr(st->tcti, "port=") ||
		    ((strncmp(st->tcti, "swtpm", 5) == 0 || strncmp(st->tcti, "mssim", 5) == 0) &&
		     !p)) {
			/* tss2's swtpm and mssim TCTIs: port= (default 2321), control at port+1 */
			const char *q = strstr(st->tcti, "port=");
			unsigned long port = q ? strtoul(q + 5, NULL, 10) : 2321;

			if (port == 0 || port > 65534) {
				r = diag_set(d, -EINVAL, "the state dir's TCTI %s names no usable TCP port",
					     st->tcti);
				goto out;
			}
			c->deny_ports[0] = (uint16_t)port;
			c->deny_ports[1] = (uint16_t)(port + 1);
			c->n_deny_ports = 2;
		}
	}
	/* TPM devices: a domain's /dev has none, but a bind of /dev or of one would. */
	{
		static const char *const devs[] = { "/dev/tpm0", "/dev/tpmrm0", "/dev/tpm1",
						    "/dev/tpmrm1" };

		for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]) && np < 10; i++)
			if (access(devs[i], F_OK) == 0)
				priv[np++] = strdup(devs[i]);
	}
	for (size_t k = 0; k < np && r == 0; k++) {
		if (!priv[k])
			continue;
		for (size_t i = 0; i < c->plan.n_code && r == 0; i++)
			if (overlaps(c->code[i], priv[k]))
				r = diag_set(d, -EINVAL, "code dir %s overlaps %s, which only the "
							 "monitor may reach (the state dir or its TPM)",
					     c->code[i], priv[k]);
		for (size_t i = 0; i < c->plan.n_binds && r == 0; i++)
			if (overlaps(c->binds[i].src, priv[k]))
				r = diag_set(d, -EINVAL, "bind %s overlaps %s, which only the monitor may "
							 "reach (the state dir or its TPM): a process that "
							 "could use them could forge the evidence",
					     c->binds[i].src, priv[k]);
	}
out:
	for (size_t k = 0; k < np; k++)
		free(priv[k]);
	return r;
}

static int plan_domain(struct run_ctx *c, struct ward_diag *d)
{
	static const char *const reserved[] = { "/usr", "/proc", "/dev", "/bin", "/sbin",
						"/lib", "/lib32", "/lib64", "/libx32" };
	const struct ward_domain_spec *spec = c->spec;
	struct stat st;

	if (spec->n_code > WARD_DOMAIN_CODE_MAX)
		return diag_set(d, -E2BIG, "at most %d --code dirs", WARD_DOMAIN_CODE_MAX);
	if (spec->n_binds > WARD_DOMAIN_BINDS_MAX)
		return diag_set(d, -E2BIG, "at most %d binds", WARD_DOMAIN_BINDS_MAX);
	c->code[0] = "/usr";
	c->plan.n_code = 1;
	for (size_t i = 0; i < spec->n_code; i++) {
		char *rp = realpath(spec->code[i], NULL);

		if (!rp)
			return diag_set(d, -errno, "--code %s: %s", spec->code[i], strerror(errno));
		c->code_buf[i] = rp;
		if (stat(rp, &st) < 0 || !S_ISDIR(st.st_mode))
			return diag_set(d, -ENOTDIR, "--code %s: not a directory", spec->code[i]);
		if (strcmp(rp, "/") == 0)
			return diag_set(d, -EINVAL, "--code /: the whole tree cannot be code");
		for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
			if (overlaps(rp, reserved[k]))
				return diag_set(d, -EINVAL, "--code %s: overlaps %s", rp, reserved[k]);
		for (size_t k = 0; k < c->plan.n_code; k++)
			if (overlaps(rp, c->code[k]))
				return diag_set(d, -EINVAL, "--code %s: overlaps --code %s", rp,
						c->code[k]);
		c->code[c->plan.n_code++] = rp;
	}
	for (size_t i = 0; i < spec->n_binds; i++) {
		const struct ward_domain_bind *b = &spec->binds[i];
		char *src = realpath(b->src, NULL), *dst;

		if (!src)
			return diag_set(d, -errno, "bind %s: %s", b->src, strerror(errno));
		c->bind_buf[c->n_bind_buf++] = src;
		dst = strdup(b->dst ? b->dst : src);
		if (!dst)
			return -ENOMEM;
		c->bind_buf[c->n_bind_buf++] = dst;
		if (!path_normalised(dst))
			return diag_set(d, -EINVAL, "bind %s: destination %s must be an absolute, "
					"normalised path other than /", b->src, dst);
		/* No code inode may be writable (or even reachable another way) from inside:
		 * a bind of, below or above a code dir is refused, on either side. */
		for (size_t k = 0; k < c->plan.n_code; k++) {
			if (overlaps(src, c->code[k]))
				return diag_set(d, -EINVAL, "bind %s: overlaps code dir %s", src,
						c->code[k]);
			if (overlaps(dst, c->code[k]))
				return diag_set(d, -EINVAL, "bind %s: destination %s overlaps code "
						"dir %s", src, dst, c->code[k]);
		}
		for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
			if (overlaps(dst, reserved[k]))
				return diag_set(d, -EINVAL, "bind %s: destination %s overlaps %s",
						src, dst, reserved[k]);
		c->binds[i] = (struct ward_domain_bind){ .src = src, .dst = dst, .ro = b->ro };
	}
	c->plan.code = c->code;
	c->plan.binds = c->binds;
	c->plan.n_binds = spec->n_binds;
	if (c->sb)
		snprintf(c->cwd, sizeof(c->cwd), "/tmp");
	else if (!getcwd(c->cwd, sizeof(c->cwd)))
		snprintf(c->cwd, sizeof(c->cwd), "/");
	return 0;
}

static void ctx_free(struct run_ctx *c)
{
	for (size_t i = 0; i < WARD_DOMAIN_CODE_MAX + 1; i++)
		free(c->code_buf[i]);
	for (size_t i = 0; i < c->n_bind_buf; i++)
		free(c->bind_buf[i]);
}

struct monitor;

struct ward_domain_ctl {
	struct monitor *mo;
};

struct monitor {
	struct run_ctx *c;
	struct guard *g;
	struct anonexec *anon; /* NULL unless the policy names anon_exec executables */
	struct ward_state *st;
	struct ward_domain_rules *rules; /* changed in place by policy_switch() */
	struct ward_policy *owned_policy; /* loaded by policy_switch(); the caller's is not */
	enum ward_policy_status pstatus;
	int policy_watch; /* inotify on the installed policy, or -1 */
	struct relay *relay;
	struct domain_cgroup cg;
	struct domain_resources res;
	int sock, status_rd, alive_wr, sigfd;
	pid_t keeper, init, workload;
	bool exec_reported;
	bool cmd_ended; /* the init reported CMD reaped */
	struct ward_domain_ctl ctl;
};

pid_t domain_ctl_workload_pid(struct ward_domain_ctl *ctl)
{
	struct monitor *mo = ctl->mo;
	char path[96], buf[64];
	ssize_t n;
	int fd;

	if (mo->workload > 0 || mo->init <= 0)
		return mo->workload > 0 ? mo->workload : -1;
	/* The init's first child: it forks nothing else before CMD. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)mo->init, (int)mo->init);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	mo->workload = (pid_t)strtol(buf, NULL, 10);
	return mo->workload > 0 ? mo->workload : -1;
}

bool domain_ctl_exec_done(const struct ward_domain_ctl *ctl)
{
	return ctl->mo->exec_reported;
}

void domain_ctl_activate(struct ward_domain_ctl *ctl)
{
	guard_activate(ctl->mo->g);
}

void domain_ctl_kill(struct ward_domain_ctl *ctl)
{
	(void)cgroup_kill(&ctl->mo->cg);
}

uint64_t domain_ctl_denied_after(const struct ward_domain_ctl *ctl)
{
	return guard_denied_after(ctl->mo->g);
}

uint64_t domain_ctl_oom_kills(const struct ward_domain_ctl *ctl)
{
	return resources_oom_kills(&ctl->mo->res);
}

static void decision_cb(void *ud, const struct ward_decision *dec, bool first)
{
	const struct ward_domain_spec *spec = ud;

	if (spec->on_decision)
		spec->on_decision(spec->userdata, dec, first);
}

static int setup_phase(struct monitor *mo, struct ward_diag *d)
{
	int fds[WARD_DOMAIN_CODE_MAX + 1];
	struct msg m;
	size_t nfds;
	int r;

	r = recv_msg(mo->sock, &m, fds, WARD_DOMAIN_CODE_MAX + 1, &nfds);
	if (r < 0)
		return diag_set(d, r, "the domain's init went away during set-up");
	if (m.type == MSG_SETUP_FAILED) {
		m.text[sizeof(m.text) - 1] = 0;
		return diag_set(d, m.err > 0 ? -m.err : -EIO, "building the domain: %s", m.text);
	}
	if (m.type != MSG_MOUNTS || nfds != mo->c->plan.n_code) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return diag_set(d, -EPROTO, "building the domain: unexpected message");
	}
	for (size_t i = 0; i < nfds; i++) {
		char why[256];
		const char *u = dir_untrusted(mo->c->plan.code[i], why, sizeof(why));

		r = guard_add_mount(mo->g, mo->c->plan.code[i], fds[i], u, d);
		if (r < 0) {
			for (size_t k = i + 1; k < nfds; k++)
				close(fds[k]);
			return r;
		}
	}
	if (!mo->c->sb) {
		r = guard_record_start(mo->g, mo->c->plan.code, mo->c->plan.n_code,
				       mo->c->anon_exec, d);
		if (r < 0)
			return r;
	}
	m = (struct msg){ .type = MSG_GO };
	if (send_msg(mo->sock, &m, NULL, 0) < 0)
		return diag_set(d, -EPIPE, "the domain's init went away during set-up");
	return 0;
}

/*
 * A monitor that follows the installed policy: `current` was replaced. Between two batches of
 * events (the loop is single-threaded), the rules change in place and the guard drops every
 * cached verdict: no grant is decided by a mix of the two. A policy that cannot be loaded
 * leaves deny-all in force, never the old policy and never allow-all.
 */
static int policy_switch(struct monitor *mo, struct ward_diag *d)
{
	const struct ward_domain_spec *spec = mo->c->spec;
	struct ward_policy_current cur;
	struct ward_policy *p = NULL;
	struct ward_diag ld = { { 0 } };
	int r;

	if (!policy_state_drain(mo->policy_watch))
		return 0;
	r = policy_state_current(mo->st, &cur, &ld);
	if (r == 0 && cur.status == mo->pstatus && memcmp(cur.digest, mo->rules->pref.digest, 32) == 0)
		return 0; /* not a transition (another file in the dir) */
	if (r == 0 && cur.status != WARD_POLICY_NONE)
		r = policy_state_load(mo->st, &cur, &p, &ld);
	if (r == 0 && !p)
		r = -ENOENT;
	if (r == 0 && cur.status == WARD_POLICY_ACTIVE && policy_valid_at(p, time(NULL)) < 0) {
		diag_set(&ld, -EKEYEXPIRED, "policy %s version %llu is outside its validity window",
			 p->name, (unsigned long long)p->version);
		policy_free(p);
		p = NULL;
		r = -EKEYEXPIRED;
	}
	if (r < 0) {
		/* Fail closed: deny-all under the name of what was there. */
		struct ward_policy_current none = cur;

		if (r == -ENOENT || none.status == WARD_POLICY_NONE)
			snprintf(none.name, sizeof(none.name), "%s", "unavailable");
		if (policy_deny_all(&none, &p) < 0)
			return diag_set(d, -ENOMEM, "policy switch: out of memory");
		cur.status = WARD_POLICY_REVOKED;
		if (spec->on_policy)
			spec->on_policy(spec->userdata, &mo->ctl, p, false, ld.msg[0] ? ld.msg : strerror(-r));
	}
	mo->rules->policy = p;
	mo->rules->mode = cur.status == WARD_POLICY_REVOKED ? WARD_MODE_ENFORCE :
			  spec->audit_forced || p->domain.audit ? WARD_MODE_AUDIT :
								 WARD_MODE_ENFORCE;
	memcpy(mo->rules->pref.digest, cur.digest, 32);
	snprintf(mo->rules->pref.issuer, sizeof(mo->rules->pref.issuer), "%s", cur.issuer);
	guard_rules_changed(mo->g);
	policy_free(mo->owned_policy);
	mo->owned_policy = p;
	mo->pstatus = cur.status;
	if (r == 0 && spec->on_policy)
		spec->on_policy(spec->userdata, &mo->ctl, p, cur.status == WARD_POLICY_ACTIVE, NULL);
	return 0;
}

/*
 * A message from the domain after set-up: the workload's seccomp listener (when the policy names
 * anon_exec executables), then the init's report of CMD's execve. Return: 0, or -errno to tear
 * the domain down.
 */
static int monitor_message(struct monitor *mo, struct ward_diag *d)
{
	struct msg m;
	size_t nfds = 0;
	int fds[1], r;

	r = recv_msg(mo->sock, &m, fds, 1, &nfds);
	if (r == 0 && m.type == MSG_ANON_LISTENER && nfds == 1 && mo->anon &&
	    anonexec_set_listener(mo->anon, fds[0]) == 0)
		nfds = 0;
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (r == 0 && m.type == MSG_EXEC) {
		mo->exec_reported = true;
		if (m.err && mo->c->spec->on_exec_failed)
			mo->c->spec->on_exec_failed(mo->c->spec->userdata, mo->c->spec->argv[0],
						    -m.err);
	} else if (r == 0 && m.type == MSG_SETUP_FAILED) {
		m.text[sizeof(m.text) - 1] = 0;
		return diag_set(d, m.err > 0 ? -m.err : -EIO, "domain: %s", m.text);
	} else if (r == 0 && m.type == MSG_CMD_END && mo->exec_reported && !mo->cmd_ended) {
		const struct ward_domain_sandbox *sb = mo->c->sb;
		int ws = m.err;

		mo->cmd_ended = true;
		/* Events still queued belong to processes now dead, or to what CMD forked. */
		if ((r = guard_handle_events(mo->g, d)) < 0)
			return r;
		if (sb && sb->on_cmd_end)
			sb->on_cmd_end(sb->ud, &mo->ctl,
				       WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
	}
	if (r < 0 || (m.type != MSG_EXEC && m.type != MSG_ANON_LISTENER)) {
		close(mo->sock);
		mo->sock = -1;
	}
	return 0;
}

/* Until the keeper reports the init's end. */
static int monitor_loop(struct monitor *mo, int *ret_wstatus, struct ward_diag *d)
{
	const struct ward_domain_sandbox *sb = mo->c->sb;

	for (;;) {
		enum { SLOT_FAN, SLOT_LEASE, SLOT_FWD, SLOT_STATUS, SLOT_SOCK, SLOT_ANON, SLOT_POLICY,
		       SLOT_HOOKS };
		struct pollfd p[SLOT_HOOKS + WARD_DOMAIN_HOOK_FDS] = {
			[SLOT_FAN] = { guard_fanotify_fd(mo->g), POLLIN, 0 },
			[SLOT_LEASE] = { guard_signal_fd(mo->g), POLLIN, 0 },
			[SLOT_FWD] = { mo->sigfd, POLLIN, 0 },
			[SLOT_STATUS] = { mo->status_rd, POLLIN, 0 },
			[SLOT_SOCK] = { mo->sock, POLLIN, 0 },
			[SLOT_ANON] = { anonexec_fd(mo->anon), POLLIN, 0 },
			[SLOT_POLICY] = { mo->policy_watch, POLLIN, 0 },
		};
		int r, n, timeout = guard_sync_timeout(mo->g);
		size_t nhook = 0;

		/* Unused slots stay (ignored with fd -1) so the hooks' fds come after them. */
		if (sb && sb->poll_fds)
			nhook = sb->poll_fds(sb->ud, p + SLOT_HOOKS, WARD_DOMAIN_HOOK_FDS, &timeout);
		/* Records reach stable storage within GUARD_SYNC_MS of being written, many
		 * appends sharing one fdatasync. */
		n = poll(p, SLOT_HOOKS + nhook, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return diag_set(d, -errno, "poll: %s", strerror(errno));
		}
		if (guard_sync_timeout(mo->g) == 0 && (r = guard_sync(mo->g, d)) < 0)
			return r;
		if (p[SLOT_LEASE].revents && (r = guard_handle_signals(mo->g, d)) < 0)
			return r;
		/* A policy switch comes before the events: those queued are decided by it. */
		if (p[SLOT_POLICY].revents && (r = policy_switch(mo, d)) < 0)
			return r;
		if (p[SLOT_FAN].revents && (r = guard_handle_events(mo->g, d)) < 0)
			return r;
		if (p[SLOT_FWD].revents) {
			struct signalfd_siginfo si;

			while (read(mo->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				kill(mo->init, (int)si.ssi_signo);
		}
		if (mo->sock >= 0 && p[SLOT_SOCK].revents && (r = monitor_message(mo, d)) < 0)
			return r;
		/* After a policy switch, like the file events: decided by the policy now in force.
		 * A hang-up: no process is left under the filter, none will ever ask again. */
		if ((p[SLOT_ANON].revents & POLLIN) && (r = anonexec_handle(mo->anon, d)) < 0)
			return r;
		if (p[SLOT_ANON].revents && !(p[SLOT_ANON].revents & POLLIN)) {
			anonexec_free(mo->anon);
			mo->anon = NULL;
		}
		if (sb && sb->on_poll && (r = sb->on_poll(sb->ud, &mo->ctl, p + SLOT_HOOKS, nhook, d)) < 0)
			return r;
		if (p[SLOT_STATUS].revents) {
			int ws;
			ssize_t k = read(mo->status_rd, &ws, sizeof(ws));

			if (k != (ssize_t)sizeof(ws))
				return diag_set(d, -ECHILD, "the keeper died");
			/* Events still queued belong to processes now dead. */
			(void)guard_handle_events(mo->g, d);
			*ret_wstatus = ws;
			if (sb && sb->on_end)
				sb->on_end(sb->ud, &mo->ctl,
					   WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
			return 0;
		}
	}
}

static void make_id(char *out)
{
	uint8_t rnd[6] = { 0 };

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd[0] ^= (uint8_t)getpid();
	snprintf(out, WARD_DOMAIN_ID_MAX, "d-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5]);
}

int domain_run(const struct ward_domain_spec *spec, struct ward_state *st, int *ret_status,
	       char *ret_id, struct ward_diag *d)
{
	const struct ward_domain_sandbox *sb = spec->sandbox;
	struct run_ctx c = { .spec = spec, .sb = sb };
	struct monitor mo = { .c = &c, .sock = -1, .status_rd = -1, .alive_wr = -1, .sigfd = -1,
			      .policy_watch = -1, .st = st,
			      .cg = { .dirfd = -1, .procs = -1, .killfd = -1, .parentfd = -1 } };
	int sb_fds[4] = { -1, -1, -1, -1 };
	struct ward_domain_rules rules = { .mode = spec->mode, .policy = spec->policy,
					   .pref = spec->pref };
	int dfds[3], alive[2] = { -1, -1 }, status[2] = { -1, -1 }, sv[2] = { -1, -1 };
	int r, ws = 0;
	sigset_t ss, old;
	struct rlimit rl;

	mo.ctl.mo = &mo;
	mo.rules = &rules;
	for (int i = 0; i < __RES_MAX; i++)
		mo.res.dirfd[i] = mo.res.parentfd[i] = -1;
	if (sb) {
		/* Taken over: closed here on every path. */
		for (int i = 0; i < 3; i++)
			sb_fds[i] = sb->stdio[i];
		sb_fds[3] = sb->api_fd;
		c.plan.scratch_bytes = sb->scratch_bytes ? sb->scratch_bytes : 4096;
	}
	r = 0;
	if (!spec->argv || !spec->argv[0])
		r = diag_set(d, -EINVAL, "no command");
	else if (spec->mode != WARD_MODE_MEASURE && !spec->policy)
		r = diag_set(d, -EINVAL, "enforce and audit mode need a policy");
	else if (sb && (sb->stdio[0] < 0 || sb->stdio[1] < 0 || sb->stdio[2] < 0))
		r = diag_set(d, -EINVAL, "a sandbox needs its three stdio fds");
	if (r < 0) {
		for (int i = 0; i < 4; i++)
			if (sb_fds[i] >= 0)
				close(sb_fds[i]);
		return r;
	}
	c.anon_exec = spec->policy && spec->mode != WARD_MODE_MEASURE &&
		      spec->policy->domain.n_anon_exec > 0;
	if ((r = plan_domain(&c, d)) < 0 || (r = check_private(&c, st, d)) < 0)
		goto out_ctx;
	make_id(c.id);
	if (ret_id)
		snprintf(ret_id, WARD_DOMAIN_ID_MAX, "%s", c.id);
	/* Every cached file holds an fd (its lease). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Lease breaks and forwarded signals are read from signalfds; blocked before any
	 * thread (the relays) exists, so no thread takes them. */
	sigemptyset(&ss);
	sigaddset(&ss, GUARD_LEASE_SIGNAL);
	sigaddset(&ss, SIGIO);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaddset(&ss, forwarded[i]);
	sigaddset(&ss, SIGPIPE);
	sigprocmask(SIG_BLOCK, &ss, &old);
	sigdelset(&ss, GUARD_LEASE_SIGNAL);
	sigdelset(&ss, SIGIO);
	sigdelset(&ss, SIGPIPE);
	mo.sigfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	if (mo.sigfd < 0) {
		r = diag_set(d, -errno, "signalfd: %s", strerror(errno));
		goto out_mask;
	}
	if ((r = guard_new(st, &rules, c.id, decision_cb, (void *)spec, &mo.g, d)) < 0)
		goto out_mask;
	if (spec->pref.installed && spec->follow_policy) {
		mo.pstatus = !spec->policy ? WARD_POLICY_NONE :
			     spec->policy_revoked ? WARD_POLICY_REVOKED : WARD_POLICY_ACTIVE;
		mo.policy_watch = policy_state_watch(st);
		if (mo.policy_watch < 0) {
			r = diag_set(d, mo.policy_watch, "cannot watch the installed policy: %s",
				     strerror(-mo.policy_watch));
			goto out_guard;
		}
	}
	if (sb) {
		guard_set_sandbox(mo.g, sb->record_domain ? sb->record_domain : c.id, sb->append,
				  sb->known, sb->ud);
		for (int i = 0; i < 3; i++)
			dfds[i] = sb_fds[i];
	} else if ((r = relay_setup(&mo.relay, dfds)) < 0) {
		diag_set(d, r, "stdio relays: %s", strerror(-r));
		goto out_guard;
	}
	if ((r = cgroup_create(c.id, &mo.cg, d)) < 0)
		goto out_relay;
	if (sb && (r = resources_create(&mo.cg, sb, &mo.res, d)) < 0)
		goto out_cg;
	if (pipe2(alive, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = diag_set(d, -errno, "pipes: %s", strerror(errno));
		goto out_cg;
	}
	fflush(NULL);
	mo.keeper = fork();
	if (mo.keeper < 0) {
		r = diag_set(d, -errno, "fork: %s", strerror(errno));
		goto out_cg;
	}
	if (mo.keeper == 0) {
		int src[KFD_FIRST_FREE] = {
			dfds[0], dfds[1], dfds[2], guard_fanotify_fd(mo.g), alive[0], status[1],
			sv[1], mo.cg.procs, mo.cg.killfd, mo.cg.parentfd, sb_fds[3],
			mo.res.parentfd[0], mo.res.parentfd[1], mo.res.parentfd[2], mo.cg.dirfd,
		};

		keeper_main(&c, src, mo.cg.name);
	}
	close(alive[0]);
	close(status[1]);
	close(sv[1]);
	for (int i = 0; i < 4; i++)
		if (sb_fds[i] >= 0) {
			close(sb_fds[i]);
			sb_fds[i] = -1;
		}
	mo.alive_wr = alive[1];
	mo.status_rd = status[0];
	mo.sock = sv[0];
	if (mo.relay && (r = relay_start(mo.relay)) < 0) {
		diag_set(d, r, "stdio relays: %s", strerror(-r));
		goto out_kill;
	}
	if (read(mo.status_rd, &mo.init, sizeof(mo.init)) != (ssize_t)sizeof(mo.init)) {
		r = diag_set(d, -ECHILD, "the keeper could not start the domain");
		goto out_kill;
	}
	/* Into the limits before it forks anything (it waits for GO before it does). */
	if (sb && (r = resources_attach(&mo.res, mo.init, d)) < 0)
		goto out_kill;
	/* Only what the policy names may have anonymous executable memory: the monitor answers
	 * the workload filter's questions (its listener comes over the socket). */
	if (c.anon_exec &&
	    (r = anonexec_new(mo.g, &rules, st, c.plan.code, c.plan.n_code, &mo.anon, d)) < 0)
		goto out_kill;
	if ((r = setup_phase(&mo, d)) < 0)
		goto out_kill;
	r = monitor_loop(&mo, &ws, d);
	if (r < 0)
		goto out_kill;
	(void)guard_sync(mo.g, d);
	*ret_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	if (spec->stats) {
		const struct guard_stats *gs = guard_stats(mo.g);

		*spec->stats = (struct ward_domain_stats){
			.events = gs->events, .allowed = gs->allowed, .denied = gs->denied,
			.audited = gs->audited, .cached = gs->cached, .hashed_bytes = gs->hashed_bytes,
			.lease_breaks = gs->lease_breaks, .reused = gs->reused,
			.denied_after = guard_denied_after(mo.g),
			.oom_kills = sb ? resources_oom_kills(&mo.res) : 0,
		};
	}
	goto out_wait;
out_kill:
	/* The monitor gives up: the domain goes first, then the group. */
	(void)cgroup_kill(&mo.cg);
	if (mo.init > 0)
		kill(mo.init, SIGKILL);
	(void)guard_sync(mo.g, NULL);
out_wait:
	if (mo.alive_wr >= 0)
		close(mo.alive_wr);
	if (sb && r >= 0) {
		/*
		 * The domain is gone (the keeper reported it): closing the group can wait for
		 * an SRCU grace period (tens of ms), and so can the keeper's exit. The monitor
		 * closes its reference now and leaves the keeper, which holds the last one, to
		 * exit on its own (it is reaped here if it already has, else by init).
		 */
		guard_free(mo.g);
		mo.g = NULL;
		(void)waitpid(mo.keeper, NULL, WNOHANG);
	} else {
		while (waitpid(mo.keeper, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (mo.sock >= 0)
		close(mo.sock);
	anonexec_free(mo.anon);
	if (mo.status_rd >= 0)
		close(mo.status_rd);
out_cg:
	for (int i = 0; i < 2; i++) {
		if (mo.keeper <= 0 && alive[i] >= 0)
			close(alive[i]);
		if (mo.keeper <= 0 && status[i] >= 0)
			close(status[i]);
		if (mo.keeper <= 0 && sv[i] >= 0)
			close(sv[i]);
	}
	cgroup_remove(&mo.cg);
	cgroup_close(&mo.cg);
	resources_remove(&mo.res);
out_relay:
	relay_finish(mo.relay);
out_guard:
	guard_free(mo.g);
	if (mo.policy_watch >= 0)
		close(mo.policy_watch);
	policy_free(mo.owned_policy);
out_mask:
	if (mo.sigfd >= 0)
		close(mo.sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
out_ctx:
	for (int i = 0; i < 4; i++)
		if (sb_fds[i] >= 0)
			close(sb_fds[i]);
	ctx_free(&c);
	return r < 0 ? r : 0;
}
