/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-adv-leaky: a malicious sandbox service, for tests/adversarial/sandbox-*.sh. It reads its
 * whole input first (in a sandbox with activation "stdin" every attempt then happens after
 * activation, holding the client's data), then tries each exit named on its command line to
 * carry that input out of the sandbox, to leave it behind for the next request, or to show it
 * to another process of the host; and exits 0, so that its report comes back as the result.
 *
 *	leaky STEP[=ARG]...
 *	leaky script		the input's first line is the data, each further line a step: one
 *				service (one manifest) whose behaviour depends on its input alone
 *
 * The same binary runs outside any sandbox, where each exit works (the tests' positive
 * controls: a listener receives the input, an IPC object holds it, ps shows it). The peek-*
 * steps are for the host side of a test: they look for what a run left in the host's IPC
 * namespace or root's keyring, print it and remove it.
 *
 * Output is one line per attempt, "STEP: RESULT": "ok", "errno=ENAME" (the errno's symbolic
 * name, as the kernel returned it) or a step-specific value. A refused attempt ends its step
 * only; the next step is still tried. Exit status: 0 (the report is the result), 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <mqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Its own command line (the argv step overwrites it). */
static char **self_argv;
static int self_argc;

/* The client's input: read whole before anything else. */
static char *input;
static size_t input_len;
#define INPUT_MAX (1u << 20)

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* Prints "STEP: errno=ENAME" for the current errno; returns false (the step stops). */
static bool refused(const char *step)
{
	printf("%s: errno=%s\n", step, ename(errno));
	return false;
}

static bool check(const char *step, bool ok)
{
	if (!ok)
		return refused(step);
	printf("%s: ok\n", step);
	return true;
}

static void read_input(void)
{
	size_t cap = 4096;

	input = malloc(cap + 1);
	if (!input)
		exit(2);
	for (;;) {
		ssize_t n;

		if (input_len == cap) {
			if (cap >= INPUT_MAX)
				break;
			cap *= 2;
			input = realloc(input, cap + 1);
			if (!input)
				exit(2);
		}
		n = read(STDIN_FILENO, input + input_len, cap - input_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		input_len += (size_t)n;
	}
	while (input_len && input[input_len - 1] == '\n')
		input_len--;
	input[input_len] = 0;
}

static bool send_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return true;
}

static int port_of(const char *arg)
{
	int p = atoi(arg ? arg : "");

	if (p <= 0 || p > 65535) {
		fprintf(stderr, "leaky: a port, not '%s'\n", arg ? arg : "");
		exit(2);
	}
	return p;
}

static struct sockaddr_in loopback(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* ---- the network ---- */

static void step_tcp(const char *arg)
{
	struct sockaddr_in sa = loopback(port_of(arg));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (check("socket-tcp", fd >= 0) &&
	    check("connect-tcp", connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0))
		check("send-tcp", send_all(fd, input, input_len));
	if (fd >= 0)
		close(fd);
}

static void step_udp(const char *arg)
{
	struct sockaddr_in sa = loopback(port_of(arg));
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (check("socket-udp", fd >= 0))
		check("sendto-udp", sendto(fd, input, input_len, 0, (struct sockaddr *)&sa,
					   sizeof(sa)) == (ssize_t)input_len);
	if (fd >= 0)
		close(fd);
}

/* A UNIX stream socket at a path (abstract: the name after a NUL byte). */
static void unix_connect(const char *what, const char *name, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name ? name : "");
	char step[64];
	int fd;

	if (!len || len + 1 >= sizeof(sa.sun_path)) {
		fprintf(stderr, "leaky: %s needs a name\n", what);
		exit(2);
	}
	memcpy(sa.sun_path + abstract, name, len);
	snprintf(step, sizeof(step), "socket-%s", what);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (check(step, fd >= 0)) {
		socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + len +
					   !abstract);

		snprintf(step, sizeof(step), "connect-%s", what);
		if (check(step, connect(fd, (struct sockaddr *)&sa, sl) == 0)) {
			snprintf(step, sizeof(step), "send-%s", what);
			check(step, send_all(fd, input, input_len));
		}
	}
	if (fd >= 0)
		close(fd);
}

static void step_unix(const char *arg)
{
	unix_connect("unix", arg, false);
}

static void step_abstract(const char *arg)
{
	unix_connect("abstract", arg, true);
}

static void step_socketpair(const char *arg)
{
	int sv[2];

	(void)arg;
	if (check("socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0)) {
		close(sv[0]);
		close(sv[1]);
	}
}

static const char *h_errno_name(int h)
{
	switch (h) {
	case NETDB_INTERNAL: return "NETDB_INTERNAL";
	case NETDB_SUCCESS: return "NETDB_SUCCESS";
	case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
	case TRY_AGAIN: return "TRY_AGAIN";
	case NO_RECOVERY: return "NO_RECOVERY";
	case NO_DATA: return "NO_DATA";
	default: return "H?";
	}
}

static const char *eai_name(int e)
{
	switch (e) {
	case 0: return "ok";
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_BADFLAGS: return "EAI_BADFLAGS";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_MEMORY: return "EAI_MEMORY";
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_SERVICE: return "EAI_SERVICE";
	case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
	case EAI_SYSTEM: return "EAI_SYSTEM";
#ifdef EAI_NODATA
	case EAI_NODATA: return "EAI_NODATA";
#endif
	default: return "EAI_?";
	}
}

/*
 * The input as DNS names: "<label>.res.leak.test" (res_query) and "<label>.gai.leak.test"
 * (getaddrinfo), the label being the input's letters, digits and dashes. Both lookups go to the nameserver 127.0.0.1:PORT (the test's listener), through
 * the resolver state that getaddrinfo() shares with res_query().
 */
static void step_dns(const char *arg)
{
	struct sockaddr_in ns = loopback(port_of(arg));
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	unsigned char answer[512];
	char label[64], name[128];
	size_t k = 0;
	int r, e;

	for (size_t i = 0; i < input_len && k < 63; i++) {
		char c = input[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-')
			label[k++] = c;
	}
	if (!k)
		label[k++] = 'x';
	label[k] = 0;
	if (res_init() < 0) {
		refused("res_init");
		return;
	}
	_res.nscount = 1;
	_res.nsaddr_list[0] = ns;
	_res.retrans = 1;
	_res.retry = 1;
	_res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	errno = 0;
	h_errno = 0;
	snprintf(name, sizeof(name), "%s.res.leak.test", label);
	r = res_query(name, ns_c_in, ns_t_a, answer, sizeof(answer));
	e = errno;
	printf("res_query: %s h_errno=%s errno=%s\n", r >= 0 ? "answered" : "failed",
	       h_errno_name(h_errno), e ? ename(e) : "0");
	errno = 0;
	snprintf(name, sizeof(name), "%s.gai.leak.test", label);
	r = getaddrinfo(name, NULL, &hints, &ai);
	e = errno;
	if (r == EAI_SYSTEM)
		printf("getaddrinfo: EAI_SYSTEM errno=%s\n", ename(e));
	else
		printf("getaddrinfo: %s\n", eai_name(r));
	if (ai)
		freeaddrinfo(ai);
}

static void step_io_uring(const char *arg)
{
	struct io_uring_params p = { 0 };
	long fd = syscall(SYS_io_uring_setup, 4, &p);

	(void)arg;
	if (check("io_uring_setup", fd >= 0))
		close((int)fd);
}

/* The network interfaces this process's network namespace has (from /proc/net/dev). */
static void step_netdev(const char *arg)
{
	FILE *f = fopen("/proc/net/dev", "re");
	char line[512], names[512] = "";
	size_t used = 0;

	(void)arg;
	if (!f) {
		refused("netdev");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *s = line;

		if (!colon)
			continue;
		*colon = 0;
		while (*s == ' ')
			s++;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 used ? "," : "", s);
	}
	fclose(f);
	printf("netdev: %s\n", names);
}

/* ---- IPC and keyrings ---- */

static key_t key_of(const char *arg)
{
	long k = strtol(arg ? arg : "", NULL, 0);

	if (k <= 0) {
		fprintf(stderr, "leaky: an IPC key, not '%s'\n", arg ? arg : "");
		exit(2);
	}
	return (key_t)k;
}

static void step_shm(const char *arg)
{
	int id = shmget(key_of(arg), 4096, IPC_CREAT | IPC_EXCL | 0666);
	void *p;

	if (!check("shmget", id >= 0))
		return;
	p = shmat(id, NULL, 0);
	if (check("shmat", p != (void *)-1)) {
		memcpy(p, input, input_len < 4095 ? input_len : 4095);
		shmdt(p);
	}
}

struct leak_msg {
	long mtype;
	char text[4096];
};

static void step_msg(const char *arg)
{
	struct leak_msg m = { .mtype = 1 };
	size_t len = input_len < sizeof(m.text) ? input_len : sizeof(m.text);
	int id = msgget(key_of(arg), IPC_CREAT | IPC_EXCL | 0666);

	if (!check("msgget", id >= 0))
		return;
	memcpy(m.text, input, len);
	check("msgsnd", msgsnd(id, &m, len, IPC_NOWAIT) == 0);
}

static void step_sem(const char *arg)
{
	check("semget", semget(key_of(arg), 1, IPC_CREAT | IPC_EXCL | 0666) >= 0);
}

static void step_mq(const char *arg)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 4096 };
	mqd_t q = mq_open(arg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666, &a);

	if (!check("mq_open", q != (mqd_t)-1))
		return;
	check("mq_send", mq_send(q, input, input_len < 4096 ? input_len : 4096, 0) == 0);
	mq_close(q);
}

static void step_key(const char *arg)
{
	long id = syscall(SYS_add_key, "user", arg, input, input_len, KEY_SPEC_USER_KEYRING);

	check("add_key", id >= 0);
	check("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) >=
				0);
	check("request_key", syscall(SYS_request_key, "user", arg, NULL, 0) >= 0);
}

static void step_memfd(const char *arg)
{
	long fd = syscall(SYS_memfd_create, arg && *arg ? arg : "leak", 0);

	if (check("memfd_create", fd >= 0))
		close((int)fd);
}

/* Host side: what a run left in the host's IPC namespace or root's keyrings, then removed. */
static void step_peek_shm(const char *arg)
{
	int id = shmget(key_of(arg), 0, 0);
	char *p;

	if (id < 0) {
		refused("peek-shm");
		return;
	}
	p = shmat(id, NULL, SHM_RDONLY);
	if (p != (void *)-1) {
		printf("peek-shm: %.*s\n", 4095, p);
		shmdt(p);
	}
	shmctl(id, IPC_RMID, NULL);
}

static void step_peek_msg(const char *arg)
{
	struct leak_msg m;
	int id = msgget(key_of(arg), 0);
	ssize_t n;

	if (id < 0) {
		refused("peek-msg");
		return;
	}
	n = msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT);
	printf("peek-msg: %.*s\n", n > 0 ? (int)n : 0, m.text);
	msgctl(id, IPC_RMID, NULL);
}

static void step_peek_sem(const char *arg)
{
	int id = semget(key_of(arg), 0, 0);

	if (id < 0) {
		refused("peek-sem");
		return;
	}
	printf("peek-sem: present\n");
	semctl(id, 0, IPC_RMID);
}

static void step_peek_mq(const char *arg)
{
	char buf[4096];
	mqd_t q = mq_open(arg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t n;

	if (q == (mqd_t)-1) {
		refused("peek-mq");
		return;
	}
	n = mq_receive(q, buf, sizeof(buf), NULL);
	printf("peek-mq: %.*s\n", n > 0 ? (int)n : 0, buf);
	mq_close(q);
	mq_unlink(arg);
}

static void step_peek_key(const char *arg)
{
	char buf[4096];
	long id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", arg, 0);
	long n;

	if (id < 0) {
		refused("peek-key");
		return;
	}
	n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf));
	printf("peek-key: %.*s\n", n > 0 ? (int)(n < (long)sizeof(buf) ? n : (long)sizeof(buf)) : 0,
	       buf);
	syscall(SYS_keyctl, KEYCTL_INVALIDATE, id);
}

/* ---- other processes ---- */

static pid_t pid_of(const char *arg)
{
	long p = strtol(arg ? arg : "", NULL, 10);

	if (p <= 0) {
		fprintf(stderr, "leaky: a pid, not '%s'\n", arg ? arg : "");
		exit(2);
	}
	return (pid_t)p;
}

static void step_kill(const char *arg)
{
	check("kill", kill(pid_of(arg), SIGKILL) == 0);
}

/* Signal 0 to pid 1: only the permission check (harmless on the host). */
static void step_kill_init(const char *arg)
{
	(void)arg;
	check("kill-init", kill(1, 0) == 0);
}

static void step_ptrace(const char *arg)
{
	pid_t pid = pid_of(arg);

	if (check("ptrace-attach", ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0)) {
		int st;

		(void)waitpid(pid, &st, __WALL);
		(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
}

/* 16 bytes of PID's first mapping (any address when its maps cannot be read: the call itself
 * is the question). */
static void step_vm_read(const char *arg)
{
	pid_t pid = pid_of(arg);
	unsigned long addr = 0x400000;
	char path[64], buf[16];
	struct iovec local = { buf, sizeof(buf) }, remote;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%lx", &addr) != 1)
			addr = 0x400000;
		fclose(f);
	}
	remote = (struct iovec){ (void *)addr, sizeof(buf) };
	check("process_vm_readv", syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0) ==
					  (long)sizeof(buf));
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The pids /proc shows, this process's pid, whether HOSTPID and its environ are seen, and whether
 * init's environ can be read. */
static void step_proc(const char *arg)
{
	long pids[4096];
	size_t n = 0;
	struct dirent *e;
	DIR *dir = opendir("/proc");
	char path[64], buf[256];
	int fd;

	if (!dir) {
		refused("proc-pids");
		return;
	}
	while ((e = readdir(dir)) && n < sizeof(pids) / sizeof(pids[0])) {
		char *end;
		long p = strtol(e->d_name, &end, 10);

		if (!*end && p > 0)
			pids[n++] = p;
	}
	closedir(dir);
	qsort(pids, n, sizeof(pids[0]), cmp_long);
	printf("proc-pids:");
	for (size_t i = 0; i < n; i++)
		printf(" %ld", pids[i]);
	printf("\nself: %d\n", (int)getpid());
	if (arg) {
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d", (int)pid_of(arg));
		check("proc-host-pid", stat(path, &st) == 0);
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid_of(arg));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (check("proc-host-environ", fd >= 0))
			close(fd);
	}
	fd = open("/proc/1/environ", O_RDONLY | O_CLOEXEC);
	if (check("proc-1-environ", fd >= 0)) {
		check("proc-1-environ-read", read(fd, buf, sizeof(buf)) >= 0);
		close(fd);
	}
}

static void step_fork(const char *arg)
{
	pid_t p = fork();

	(void)arg;
	if (p == 0)
		_exit(0);
	if (check("fork", p > 0))
		(void)waitpid(p, NULL, 0);
}

/* ---- storage ---- */

static void store_at(const char *step, const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (check(step, fd >= 0)) {
		if (write(fd, input, input_len) != (ssize_t)input_len)
			refused("write");
		close(fd);
	}
}

/* Writes the input as NAME in every place a next request (or the host) could look. */
static void step_store(const char *arg)
{
	char self[4096], *slash;
	ssize_t n;

	if (!arg || !*arg || strchr(arg, '/')) {
		fprintf(stderr, "leaky: store needs a file name\n");
		exit(2);
	}
	store_at("store-tmp", "/tmp", arg);
	store_at("store-dev-shm", "/dev/shm", arg);
	store_at("store-dev", "/dev", arg);
	store_at("store-root", "/", arg);
	store_at("store-usr", "/usr", arg);
	store_at("store-proc", "/proc", arg);
	store_at("store-home-root", "/root", arg);
	/* The directory this program was started from (a code dir). */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash && slash != self) {
			*slash = 0;
			store_at("store-code", self, arg);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a request finds: its /tmp's entries (sorted), and NAME in /tmp and /dev/shm. */
static void step_find(const char *arg)
{
	struct dirent *e;
	DIR *dir = opendir("/tmp");
	char path[4096];
	struct stat st;

	if (!arg || !*arg) {
		fprintf(stderr, "leaky: find needs a file name\n");
		exit(2);
	}
	if (!dir) {
		refused("tmp-entries");
	} else {
		char *names[256];
		size_t n = 0;

		while ((e = readdir(dir)) && n < sizeof(names) / sizeof(names[0]))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    (names[n] = strdup(e->d_name)))
				n++;
		closedir(dir);
		qsort(names, n, sizeof(names[0]), cmp_str);
		printf("tmp-entries:");
		for (size_t i = 0; i < n; i++) {
			printf(" %s", names[i]);
			free(names[i]);
		}
		printf("\n");
	}
	snprintf(path, sizeof(path), "/tmp/%s", arg);
	check("find-tmp", stat(path, &st) == 0);
	snprintf(path, sizeof(path), "/dev/shm/%s", arg);
	check("find-dev-shm", stat(path, &st) == 0);
}

/* Its own binary copied into the scratch dir ($TMPDIR), then executed from there. */
static void step_exec_copy(const char *arg)
{
	const char *tmp = getenv("TMPDIR");
	char dst[4096], buf[65536];
	int in, out;
	ssize_t n;

	(void)arg;
	snprintf(dst, sizeof(dst), "%s/leaky-copy", tmp && *tmp ? tmp : "/tmp");
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0) {
		refused("copy");
		return;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	if (!check("copy", n == 0 && fchmod(out, 0755) == 0 && close(out) == 0))
		return;
	fflush(stdout);
	execl(dst, dst, "ran", (char *)NULL);
	refused("exec-copy");
}

/* ---- what leaves with the process: stderr, environment, core ---- */

static void step_stderr(const char *arg)
{
	fprintf(stderr, "%s:%s\n", arg ? arg : "STDERR", input);
	fflush(stderr);
	printf("stderr: written\n");
}

static void step_env(const char *arg)
{
	(void)arg;
	for (char **e = environ; *e; e++)
		printf("env: %s\n", *e);
}

static void step_limits(const char *arg)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY }, cur;
	FILE *f = fopen("/proc/self/limits", "re");
	char line[256];

	(void)arg;
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Max core file size", 18)) {
				char soft[32], hard[32];

				if (sscanf(line + 18, "%31s %31s", soft, hard) == 2)
					printf("core-limit: %s %s\n", soft, hard);
			}
		fclose(f);
	} else {
		refused("core-limit");
	}
	check("raise-core", setrlimit(RLIMIT_CORE, &inf) == 0);
	if (getrlimit(RLIMIT_CORE, &cur) == 0)
		printf("core-limit-after: %llu %llu\n", (unsigned long long)cur.rlim_cur,
		       (unsigned long long)cur.rlim_max);
	check("set-dumpable", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
}

/* NULL, through a volatile pointer the compiler cannot see through. */
static int *volatile nowhere;

/* Asks for a core (dumpable, core limit as high as it goes), then dies of SIGSEGV. */
static void step_segv(const char *arg)
{
	struct rlimit lim;

	(void)arg;
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (getrlimit(RLIMIT_CORE, &lim) == 0) {
		lim.rlim_cur = lim.rlim_max;
		(void)setrlimit(RLIMIT_CORE, &lim);
	}
	printf("segv: now\n");
	fflush(stdout);
	signal(SIGSEGV, SIG_DFL);
	*nowhere = 1;
	raise(SIGSEGV);
}

/* ---- code ---- */

static void step_anon_exec(const char *arg)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	(void)arg;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (check("mmap-anon-rwx", p != MAP_FAILED))
		munmap(p, len);
	p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (check("mmap-anon-rx", p != MAP_FAILED))
		munmap(p, len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		refused("mmap-anon-rw");
		return;
	}
	check("mprotect-rx", mprotect(p, len, PROT_READ | PROT_EXEC) == 0);
	munmap(p, len);
}

static void step_exec(const char *arg)
{
	fflush(stdout);
	execl(arg, arg, "ran", (char *)NULL);
	refused("exec");
}

static void step_open(const char *arg)
{
	char buf[4096];
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!check("open", fd >= 0))
		return;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		refused("read");
	else
		printf("read: %zd bytes\n", n);
	close(fd);
}

static void step_echo(const char *arg)
{
	(void)arg;
	printf("echo: %s\n", input);
}

static void step_ran(const char *arg)
{
	(void)arg;
	printf("ran: ok\n");
}


/* ---- what other processes of the host can observe of it ---- */

/* Its name (comm) set to the input's first 15 bytes. */
static void step_name(const char *arg)
{
	char name[16];

	(void)arg;
	snprintf(name, sizeof(name), "%s", input);
	check("prctl-set-name", prctl(PR_SET_NAME, name, 0, 0, 0) == 0);
}

/* Its command line's memory overwritten with the input (no system call involved). */
static void step_argv(const char *arg)
{
	char *start = self_argv[0], *end = self_argv[self_argc - 1] + strlen(self_argv[self_argc - 1]);
	size_t room = (size_t)(end - start), n = input_len < room ? input_len : room;

	(void)arg;
	memcpy(start, input, n);
	memset(start + n, 0, room - n);
	printf("argv: rewritten %zu bytes\n", n);
}

/*
 * The input's last dash-separated word, as hex, its first 15 digits: a number a byte-range
 * lock can carry (a lock's start is a non-negative off_t).
 */
static off_t input_number(void)
{
	const char *dash = strrchr(input, '-');
	char digits[16];

	snprintf(digits, sizeof(digits), "%s", dash ? dash + 1 : input);
	return (off_t)strtoll(digits, NULL, 16);
}

/* Locks on PATH (opened read-only): a POSIX read lock whose start is input_number(), an flock
 * and a read lease. Each one shows in the host's /proc/locks. */
static void step_lock(const char *arg)
{
	struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = input_number(),
			   .l_len = 1 };
	int fd = open(arg ? arg : "", O_RDONLY | O_CLOEXEC);

	if (!check("open-lock", fd >= 0))
		return;
	check("fcntl-lock", fcntl(fd, F_SETLK, &l) == 0);
	check("flock", flock(fd, LOCK_SH | LOCK_NB) == 0);
	check("lease", fcntl(fd, F_SETLEASE, F_RDLCK) == 0);
	/* Kept open (and so locked) until the process ends. */
}

static volatile sig_atomic_t resumed;

static void on_usr1(int sig)
{
	(void)sig;
	resumed = 1;
}

/* Waits in rt_sigsuspend until a SIGUSR1 (from the host's test, once it has looked). */
static void step_pause(const char *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, old;

	(void)arg;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGUSR1, &sa, NULL);
	fflush(stdout);
	while (!resumed)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("pause: resumed\n");
}

/* The controlling terminal: a way around stderr to whoever started the request. */
static void step_tty(const char *arg)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	(void)arg;
	if (!check("open-tty", fd >= 0))
		return;
	check("write-tty", dprintf(fd, "TTY:%s\n", input) > 0);
	close(fd);
}

static const struct {
	const char *name;
	void (*fn)(const char *arg);
} steps[] = {
	{ "tcp", step_tcp },
	{ "udp", step_udp },
	{ "unix", step_unix },
	{ "abstract", step_abstract },
	{ "socketpair", step_socketpair },
	{ "dns", step_dns },
	{ "io-uring", step_io_uring },
	{ "netdev", step_netdev },
	{ "shm", step_shm },
	{ "msg", step_msg },
	{ "sem", step_sem },
	{ "mq", step_mq },
	{ "key", step_key },
	{ "memfd", step_memfd },
	{ "peek-shm", step_peek_shm },
	{ "peek-msg", step_peek_msg },
	{ "peek-sem", step_peek_sem },
	{ "peek-mq", step_peek_mq },
	{ "peek-key", step_peek_key },
	{ "kill", step_kill },
	{ "kill-init", step_kill_init },
	{ "ptrace", step_ptrace },
	{ "vm-read", step_vm_read },
	{ "proc", step_proc },
	{ "fork", step_fork },
	{ "store", step_store },
	{ "find", step_find },
	{ "exec-copy", step_exec_copy },
	{ "stderr", step_stderr },
	{ "env", step_env },
	{ "limits", step_limits },
	{ "segv", step_segv },
	{ "anon-exec", step_anon_exec },
	{ "exec", step_exec },
	{ "open", step_open },
	{ "echo", step_echo },
	{ "ran", step_ran },
	{ "name", step_name },
	{ "argv", step_argv },
	{ "lock", step_lock },
	{ "pause", step_pause },
	{ "tty", step_tty },
};

static void usage(void)
{
	fputs("usage: leaky STEP[=ARG]...\n"
	      "  network: tcp=PORT udp=PORT unix=PATH abstract=NAME socketpair dns=PORT io-uring\n"
	      "           netdev\n"
	      "  ipc:     shm=KEY msg=KEY sem=KEY mq=/NAME key=DESC memfd\n"
	      "  host:    peek-shm=KEY peek-msg=KEY peek-sem=KEY peek-mq=/NAME peek-key=DESC\n"
	      "  procs:   kill=PID kill-init ptrace=PID vm-read=PID proc[=HOSTPID] fork\n"
	      "  storage: store=NAME find=NAME exec-copy\n"
	      "  exits:   stderr[=MARK] env limits segv tty\n"
	      "  observed: name argv lock=PATH pause\n"
	      "  code:    anon-exec exec=PATH open=PATH echo ran\n"
	      "  script:  the input's first line is the data, each further line a STEP[=ARG]\n"
	      "           (so what the service does depends on its input alone)\n",
	      stderr);
	exit(2);
}

/* The step named by @s (up to '=' or @len bytes), or NULL. */
static void (*find_step(const char *s, size_t len))(const char *)
{
	size_t n = strcspn(s, "=");

	if (n > len)
		n = len;
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
		if (strlen(steps[k].name) == n && !strncmp(s, steps[k].name, n))
			return steps[k].fn;
	return NULL;
}

static void run_step(const char *s)
{
	size_t n = strcspn(s, "=");

	find_step(s, n)(s[n] ? s + n + 1 : NULL);
}

/* The input's lines after the first, each run as a step; the first line is the data. */
static void run_script(void)
{
	char *rest = strchr(input, '\n'), *line;

	if (!rest)
		return;
	*rest++ = 0;
	input_len = strlen(input);
	while ((line = strsep(&rest, "\n"))) {
		if (!*line)
			continue;
		if (!find_step(line, strlen(line)) || !strncmp(line, "script", 6))
			printf("script: unknown step '%s'\n", line);
		else
			run_step(line);
	}
}

int main(int argc, char **argv)
{
	char *steps_todo[256];
	bool script = false;

	if (argc < 2 || argc > 256)
		usage();
	self_argv = argv;
	self_argc = argc;
	/* Every step is checked before the input is read: a typo is a usage error, not a
	 * report of nothing. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "script"))
			script = true;
		else if (!find_step(argv[i], strlen(argv[i])))
			usage();
	}
	/* The steps are copied: the argv step overwrites the command line's memory. */
	for (int i = 1; i < argc; i++)
		if (!(steps_todo[i] = strdup(argv[i])))
			return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_input();
	if (script)
		run_script();
	for (int i = 1; i < argc; i++)
		if (strcmp(steps_todo[i], "script"))
			run_step(steps_todo[i]);
	return 0;
}
