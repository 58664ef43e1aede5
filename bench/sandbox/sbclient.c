// SPDX-License-Identifier: Apache-2.0
// sbclient: the timing client of bench/sandbox. One request = the same input in, the whole
// result out, timed with CLOCK_MONOTONIC in this process, in one of three modes:
//
//   exec   fork + execve PATH ARG... (no shell, no PATH search); the input is written to its
//          stdin (a pipe) while its stdout (a pipe) is read to EOF; then waitpid. Timed from
//          before fork() to after waitpid(). PATH is the filter itself (native), bwrap, or
//          the ward CLI (`ward sandbox run`, `ward sandbox call`).
//   warm   the same process, started untimed and left to warm up until its main thread sleeps
//          in a read of fd 0 (/proc/PID/syscall: ward's own readiness test for activation
//          "stdin"); timed from the first byte of input to waitpid(). The native counterpart
//          of a warm-pool sandbox: start-up hidden, only the request's own work timed.
//   proto  one connection to wardd's socket speaking include/ward/service-proto.h: request
//          header, service name, input; read the response header, message, output and stderr
//          to EOF. Timed from before socket() to after the last byte and close().
//
// -W COMM -P PID: before each request (untimed, after the -g pause), wait until a process named
// COMM below PID (wardd) waits for input on fd 0, i.e. the pool holds a ready sandbox of the
// service, then 5 ms more; WAIT_NS below is how long that took (0 without -W).
//
// Prints one line per timed run: "TAG RUN NS OUTPUT_BYTES FNV1A64(OUTPUT) CPU_NS WAIT_NS", and
// "TAG wN ..." for untimed warm-up requests. CPU_NS is the child's CPU time (wait4's rusage):
// all of it in mode exec (for bwrap and the ward CLIs: the CLI's and what it reaped), only
// what it used from the first input byte on in mode warm (less its /proc/PID/task/*/schedstat
// run time before that); -1 in mode proto. Any failed request (exit status != 0, a signal, a
// wardd status other than ok) stops sbclient with status 1 and says why: a failed request would
// be timed as a fast one. The child's environment is exactly the -E entries; its stderr goes to the
// -e file (default /dev/null). Compiled by bench/sandbox/run into its work dir.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ward/service-proto.h"

#define MAX_ENV 32

static const char *usage =
    "usage: sbclient -m exec|warm|proto -i INPUT [-r RUNS] [-w WARMUP] [-g GAP_MS] [-t TAG]\n"
    "                [-s SOCKET -n SERVICE] [-E VAR=VALUE]... [-C DIR] [-e STDERR_FILE]\n"
    "                [-W COMM -P WARDD_PID]\n"
    "                [-- PATH [ARG]...]\n";

static const uint8_t *in_buf;
static size_t in_len;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "sbclient: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(1);
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "sbclient: not a count: %s\n", s);
		exit(2);
	}
	return v;
}

struct result {
	uint64_t len;
	uint64_t fnv;
};

static void fnv_update(struct result *r, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r->fnv ^= p[i];
		r->fnv *= 0x100000001b3ULL;
	}
	r->len += n;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Writes the whole input to @wfd (closed at the end; -1: nothing to write) while reading @rfd
// to EOF, each chunk of it through @sink.
static void pump(int wfd, int rfd, void (*sink)(void *, const uint8_t *, size_t), void *ud)
{
	static uint8_t buf[1 << 16];
	size_t off = 0;

	if (wfd >= 0)
		set_nonblock(wfd);
	set_nonblock(rfd);
	if (wfd >= 0 && in_len == 0) {
		close(wfd);
		wfd = -1;
	}
	while (rfd >= 0) {
		struct pollfd p[2];
		int n = 0, ri, wi = -1;

		ri = n;
		p[n++] = (struct pollfd){rfd, POLLIN, 0};
		if (wfd >= 0) {
			wi = n;
			p[n++] = (struct pollfd){wfd, POLLOUT, 0};
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (wi >= 0 && p[wi].revents) {
			ssize_t k = write(wfd, in_buf + off, in_len - off);

			if (k < 0 && errno != EAGAIN && errno != EINTR) {
				// It stopped reading: the rest is not needed (as ward does).
				close(wfd);
				wfd = -1;
			} else if (k > 0) {
				off += (size_t)k;
				if (off == in_len) {
					close(wfd);
					wfd = -1;
				}
			}
		}
		if (p[ri].revents) {
			for (;;) {
				ssize_t k = read(rfd, buf, sizeof(buf));

				if (k > 0) {
					sink(ud, buf, (size_t)k);
					continue;
				}
				if (k == 0) {
					close(rfd);
					rfd = -1;
				} else if (errno != EAGAIN && errno != EINTR) {
					die("read: %s", strerror(errno));
				}
				break;
			}
		}
	}
	if (wfd >= 0)
		close(wfd);
}

static void sink_result(void *ud, const uint8_t *p, size_t n)
{
	fnv_update(ud, p, n);
}

struct child {
	pid_t pid;
	int in_w, out_r;
};

static struct child start(char **argv, char **envp, const char *dir, const char *errfile)
{
	int in[2], out[2];
	struct child c;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	c.pid = fork();
	if (c.pid < 0)
		die("fork: %s", strerror(errno));
	if (c.pid == 0) {
		int e = open(errfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (e < 0 || dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		if (dir && chdir(dir) < 0)
			_exit(127);
		execve(argv[0], argv, envp);
		_exit(150 + (errno & 0x3f));
	}
	close(in[0]);
	close(out[1]);
	c.in_w = in[1];
	c.out_r = out[0];
	return c;
}

// Returns the child's CPU time (user + system, ns) from wait4's rusage.
static long long reap(pid_t pid, const char *what, const char *errfile)
{
	struct rusage ru;
	int st;

	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	if (WIFEXITED(st))
		fprintf(stderr, "sbclient: %s exited %d%s (its stderr: %s)\n", what,
			WEXITSTATUS(st), WEXITSTATUS(st) >= 150 ? " (150 + errno of execve?)" : "",
			errfile);
	else
		fprintf(stderr, "sbclient: %s killed by signal %d (its stderr: %s)\n", what,
			WTERMSIG(st), errfile);
	exit(1);
}

// The same test as ward's waits_for_input() (src/sandbox/sandbox.c): the main thread sleeps
// in a read of fd 0, or in a poll/select/epoll.
static int waits_for_input(pid_t pid)
{
	char path[64], buf[256];
	long nr;
	unsigned long a0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%ld %lx", &nr, &a0) != 2)
		return 0;
	switch (nr) {
	case SYS_read:
	case SYS_readv:
	case SYS_pread64:
	case SYS_preadv:
	case SYS_preadv2:
		return a0 == 0;
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		return 1;
	default:
		return 0;
	}
}

static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	return (pid_t)strtol(p + 4, NULL, 10); // ") S PPID"
}

// Is there a process named @comm below @ancestor that waits for its input on fd 0 (a warm
// sandbox's service, ready for a request)?
static int ready_sandbox(const char *comm, pid_t ancestor)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (!d)
		die("/proc: %s", strerror(errno));
	while (!found && (e = readdir(d))) {
		char path[300], buf[64];
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10), p;
		ssize_t n;
		int fd, depth;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (strcmp(buf, comm))
			continue;
		for (p = pid, depth = 0; p > 1 && p != ancestor && depth < 16; depth++)
			p = ppid_of(p);
		if (p == ancestor && waits_for_input(pid))
			found = 1;
	}
	closedir(d);
	return found;
}

// Untimed: wait (1 ms steps, at most 120 s) until wardd's pool holds a ready sandbox of the
// service; returns how long that took.
static long long wait_ready(const char *comm, pid_t ancestor)
{
	long long t0 = now_ns();

	for (int i = 0; !ready_sandbox(comm, ancestor); i++) {
		struct timespec ts = {0, 1000000};

		if (i >= 120000)
			die("no ready sandbox running %s within 120 s", comm);
		nanosleep(&ts, NULL);
	}
	return now_ns() - t0;
}

// CPU time (ns) the threads of @pid have run so far: the first field of each
// /proc/PID/task/TID/schedstat (the scheduler's sum_exec_runtime).
static long long cpu_so_far(pid_t pid)
{
	char path[320], buf[128];
	long long sum = 0;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		die("%s: cannot list", path);
	while ((e = readdir(d))) {
		int fd;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			sum += strtoll(buf, NULL, 10);
		}
	}
	closedir(d);
	return sum;
}

// One request; *cpu := the child's CPU time for it (exec: all of its life; warm: from the
// first input byte on).
static long long run_exec(char **argv, char **envp, const char *dir, const char *errfile, int warm,
			  struct result *res, long long *cpu)
{
	long long t0 = now_ns(), cpu0 = 0;
	struct child c = start(argv, envp, dir, errfile);

	if (warm) {
		// Untimed: let it start and wait for its input (1 ms steps, at most 60 s).
		for (int i = 0; !waits_for_input(c.pid); i++) {
			if (i >= 60000) {
				kill(c.pid, SIGKILL);
				die("%s did not wait for input within 60 s", argv[0]);
			}
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
		cpu0 = cpu_so_far(c.pid);
		t0 = now_ns();
	}
	pump(c.in_w, c.out_r, sink_result, res);
	*cpu = reap(c.pid, argv[0], errfile) - cpu0;
	return now_ns() - t0;
}

// ---- proto: include/ward/service-proto.h

struct proto_rx {
	uint8_t hdr[sizeof(struct ward_svc_resp_hdr)];
	size_t got; // bytes of the response so far
	struct ward_svc_resp_hdr h;
	char msg[256];
	struct result *res;
};

static void sink_proto(void *ud, const uint8_t *p, size_t n)
{
	struct proto_rx *rx = ud;

	while (n) {
		size_t hl = sizeof(rx->hdr);

		if (rx->got < hl) {
			size_t k = hl - rx->got < n ? hl - rx->got : n;

			memcpy(rx->hdr + rx->got, p, k);
			rx->got += k, p += k, n -= k;
			if (rx->got == hl)
				memcpy(&rx->h, rx->hdr, hl);
			continue;
		}
		// message, then output, then stderr
		size_t pos = rx->got - hl, k;

		if (pos < rx->h.msg_len) {
			k = rx->h.msg_len - pos < n ? rx->h.msg_len - pos : n;
			if (pos < sizeof(rx->msg) - 1)
				memcpy(rx->msg + pos, p,
				       k < sizeof(rx->msg) - 1 - pos ? k
								     : sizeof(rx->msg) - 1 - pos);
		} else if (pos < rx->h.msg_len + rx->h.output_len) {
			uint64_t left = rx->h.msg_len + rx->h.output_len - pos;

			k = left < n ? (size_t)left : n;
			fnv_update(rx->res, p, k);
		} else {
			k = n; // stderr (and anything past it): not part of the result
		}
		rx->got += k, p += k, n -= k;
	}
}

static long long run_proto(const char *sock, const char *name, struct result *res)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct ward_svc_req_hdr h = {.magic = WARD_SVC_REQ_MAGIC};
	struct proto_rx rx = {.res = res};
	size_t nl = strlen(name);
	uint8_t head[sizeof(h) + 64];
	long long t0, t;
	int fd;

	if (strlen(sock) >= sizeof(a.sun_path) || nl == 0 || nl > 64 - 1)
		die("bad socket path or service name: %s", name);
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	memcpy(h.magic, WARD_SVC_REQ_MAGIC, 8);
	h.name_len = (uint32_t)nl;
	h.input_len = in_len;
	memcpy(head, &h, sizeof(h));
	memcpy(head + sizeof(h), name, nl);

	t0 = now_ns();
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect: %s", strerror(errno));
	for (size_t off = 0; off < sizeof(h) + nl;) {
		ssize_t k = write(fd, head + off, sizeof(h) + nl - off);

		if (k < 0 && errno != EINTR)
			die("write: %s", strerror(errno));
		if (k > 0)
			off += (size_t)k;
	}
	// One socket both ways: the input goes out on a dup while the response is read.
	int wfd = in_len ? dup(fd) : -1;

	if (in_len == 0)
		shutdown(fd, SHUT_WR);
	if (wfd >= 0) {
		// Writing all of it then half-closing: pump() closes wfd, which does not end the
		// connection while fd is open, so shut the write side once the input is out.
		pump(wfd, fd, sink_proto, &rx);
	} else {
		pump(-1, fd, sink_proto, &rx);
	}
	t = now_ns() - t0;
	if (rx.got < sizeof(rx.hdr) || memcmp(rx.h.magic, WARD_SVC_RESP_MAGIC, 8) != 0)
		die("no response header from wardd (service %s)", name);
	if (rx.got != sizeof(rx.hdr) + rx.h.msg_len + rx.h.output_len + rx.h.stderr_len) {
		fprintf(
		    stderr, "sbclient: response of %zu bytes, header says %zu\n", rx.got,
		    (size_t)(sizeof(rx.hdr) + rx.h.msg_len + rx.h.output_len + rx.h.stderr_len));
		exit(1);
	}
	if (rx.h.status != 0 || rx.h.exit_status != 0) {
		fprintf(stderr, "sbclient: %s: status %u, exit status %d: %s\n", name, rx.h.status,
			rx.h.exit_status, rx.msg);
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *input = NULL, *tag = "run", *sock = NULL, *name = NULL;
	const char *dir = NULL, *errfile = "/dev/null", *ready_comm = NULL;
	long runs = 1, warmup = 0, gap_ms = 0, ready_anc = 0;
	char *envp[MAX_ENV + 1];
	int nenv = 0, opt;

	while ((opt = getopt(argc, argv, "+m:i:r:w:g:t:s:n:E:C:e:W:P:")) != -1) {
		switch (opt) {
		case 'm':
			mode = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		case 'r':
			runs = number(optarg);
			break;
		case 'w':
			warmup = number(optarg);
			break;
		case 'g':
			gap_ms = number(optarg);
			break;
		case 't':
			tag = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'C':
			dir = optarg;
			break;
		case 'e':
			errfile = optarg;
			break;
		case 'W':
			ready_comm = optarg;
			break;
		case 'P':
			ready_anc = number(optarg);
			break;
		case 'E':
			if (nenv == MAX_ENV || !strchr(optarg, '='))
				die("bad or too many -E entries: %s", optarg);
			envp[nenv++] = optarg;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	envp[nenv] = NULL;
	if (!mode || !input || runs < 1) {
		fputs(usage, stderr);
		return 2;
	}
	int proto = !strcmp(mode, "proto"), warm = !strcmp(mode, "warm");

	if (proto ? (!sock || !name || optind != argc)
		  : ((!warm && strcmp(mode, "exec")) || optind >= argc || argv[optind][0] != '/')) {
		fputs(usage, stderr);
		return 2;
	}
	{
		int fd = open(input, O_RDONLY | O_CLOEXEC);
		struct stat s;

		if (fd < 0 || fstat(fd, &s) < 0)
			die("%s: cannot open", input);
		in_len = (size_t)s.st_size;
		// Read into memory (and touched) once: every request sends the same bytes.
		uint8_t *b = in_len ? malloc(in_len) : NULL;

		for (size_t off = 0; off < in_len;) {
			ssize_t k = read(fd, b + off, in_len - off);

			if (k <= 0)
				die("%s: short read", input);
			off += (size_t)k;
		}
		close(fd);
		in_buf = b;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = -warmup; i < runs; i++) {
		struct result res = {0, 0xcbf29ce484222325ULL};
		long long t, cpu = -1, waited = 0;

		if (gap_ms) {
			struct timespec ts = {gap_ms / 1000, (gap_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
		if (ready_comm) {
			struct timespec ts = {0, 5000000};

			// and 5 ms more: the monitor looks every 2 ms, then tells wardd
			waited = wait_ready(ready_comm, (pid_t)ready_anc);
			nanosleep(&ts, NULL);
		}
		t = proto ? run_proto(sock, name, &res)
			  : run_exec(&argv[optind], envp, dir, errfile, warm, &res, &cpu);
		if (i < 0)
			printf("%s w%ld %lld %" PRIu64 " %016" PRIx64 " %lld %lld\n", tag,
			       i + warmup + 1, t, res.len, res.fnv, cpu, waited);
		else
			printf("%s %ld %lld %" PRIu64 " %016" PRIx64 " %lld %lld\n", tag, i + 1, t,
			       res.len, res.fnv, cpu, waited);
	}
	return 0;
}
