/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-test-hog: a sandbox service that uses one resource up to a chosen amount, for
 * sandbox-limits.sh. The test copies it onto a "code" dir and names it in a manifest's argv;
 * it runs outside a sandbox too, so each limit can be shown to be the sandbox's and not the
 * host's.
 *
 * First it reports, on stderr, who and where it is ("hog: uid=N", then one "hog: cgroup LINE"
 * per line of /proc/self/cgroup): with "stderr": "client" the test learns which uid and cgroups
 * to look for on the host once the sandbox is gone. Then it reads its whole input (blocking on
 * fd 0: the sandbox activates there, so every mode below runs after activation, under the time
 * limit, as a real request would), and only then uses the resource:
 *
 *	mem N       map N MiB and touch every page: "mem: touched N MiB"
 *	threads N   create N threads, all alive at once: "threads: N created", or, after the
 *	            ones that could be made, "hog: pthread_create: errno=ENAME" (exit 1)
 *	fork        fork a child that exits 0: "fork: ok", or "hog: fork: errno=ENAME" (exit 1)
 *	sleep S     sleep S seconds: "sleep: done"
 *	out N       write N bytes 'x' to stdout, nothing else
 *	in          print the input's length in bytes
 *	scratch N   write N KiB to $TMPDIR/hog (/tmp without TMPDIR): "scratch: wrote N KiB", or
 *	            "hog: scratch: errno=ENAME after K KiB" (exit 1)
 *	limits      print "RLIMIT_X soft hard" for NPROC, CORE, MEMLOCK, then "uid=N gid=N", then
 *	            /proc/self/cgroup as "cgroup LINE"
 *
 * What it made goes to stdout; a refusal ("hog: STEP: errno=ENAME") goes to stderr, since a
 * sandbox returns no stdout at all for a request that failed. Exit status: 0 done, 1 the
 * resource was refused, 2 usage or a failure that is not the limit under test (on stderr too).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static _Noreturn void die(const char *step)
{
	fprintf(stderr, "hog: setup %s: errno=%s\n", step, ename(errno));
	exit(2);
}

static unsigned long long number(const char *s)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !*s || *end) {
		fprintf(stderr, "hog: not a number: '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Each line of /proc/self/cgroup, prefixed: to stderr (who) or stdout (limits). */
static void print_cgroups(FILE *f, const char *prefix)
{
	char line[512];
	FILE *cg = fopen("/proc/self/cgroup", "re");

	if (!cg) {
		fprintf(f, "%scgroup: errno=%s\n", prefix, ename(errno));
		return;
	}
	while (fgets(line, sizeof(line), cg))
		fprintf(f, "%scgroup %s", prefix, line);
	fclose(cg);
}

/* The whole input; its length. */
static uint64_t read_input(void)
{
	char buf[65536];
	uint64_t total = 0;

	for (;;) {
		ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die("read stdin");
		if (k == 0)
			return total;
		total += (uint64_t)k;
	}
}

static int hog_mem(unsigned long long mib)
{
	size_t len = (size_t)mib << 20;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (size_t off = 0; off < len; off += (size_t)page)
		p[off] = 1;
	printf("mem: touched %llu MiB\n", mib);
	return 0;
}

static int release_fd = -1;

/* A thread that stays alive until main closes the release pipe. */
static void *waiter(void *arg)
{
	char c;

	(void)arg;
	while (read(release_fd, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int hog_threads(unsigned long long n)
{
	pthread_t *t = calloc(n ? n : 1, sizeof(*t));
	int p[2], r = 0;
	unsigned long long made = 0;

	if (!t || pipe(p) < 0)
		die("threads");
	release_fd = p[0];
	for (; made < n; made++) {
		r = pthread_create(&t[made], NULL, waiter, NULL);
		if (r)
			break;
	}
	close(p[1]);
	for (unsigned long long i = 0; i < made; i++)
		pthread_join(t[i], NULL);
	free(t);
	if (r) {
		fprintf(stderr, "hog: threads: %llu created\n", made);
		fprintf(stderr, "hog: pthread_create: errno=%s\n", ename(r));
		return 1;
	}
	printf("threads: %llu created\n", made);
	return 0;
}

static int hog_fork(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hog: fork: errno=%s\n", ename(errno));
		return 1;
	}
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "hog: fork: the child ended with status 0x%x\n", (unsigned)status);
		return 2;
	}
	printf("fork: ok\n");
	return 0;
}

static int hog_sleep(unsigned long long s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	printf("sleep: done\n");
	return 0;
}

static int hog_out(unsigned long long n)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (n) {
		size_t want = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		ssize_t k = write(STDOUT_FILENO, buf, want);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die("write stdout");
		n -= (unsigned long long)k;
	}
	return 0;
}

static int hog_scratch(unsigned long long kib)
{
	const char *dir = getenv("TMPDIR");
	char buf[1024], path[4096];
	unsigned long long done = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/hog", dir && dir[0] ? dir : "/tmp");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "hog: scratch: open %s: errno=%s\n", path, ename(errno));
		return 1;
	}
	memset(buf, 's', sizeof(buf));
	for (; done < kib; done++) {
		size_t off = 0;

		while (off < sizeof(buf)) {
			ssize_t k = write(fd, buf + off, sizeof(buf) - off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				fprintf(stderr, "hog: scratch: errno=%s after %llu KiB\n",
					ename(errno), done);
				close(fd);
				return 1;
			}
			off += (size_t)k;
		}
	}
	/* tmpfs allocates at write time, but a deferred error would show here. */
	if (fsync(fd) < 0 || close(fd) < 0) {
		fprintf(stderr, "hog: scratch: errno=%s after %llu KiB\n", ename(errno), done);
		return 1;
	}
	printf("scratch: wrote %llu KiB\n", kib);
	return 0;
}

static int hog_limits(void)
{
	static const struct {
		int res;
		const char *name;
	} lim[] = {
		{ RLIMIT_NPROC, "RLIMIT_NPROC" },
		{ RLIMIT_CORE, "RLIMIT_CORE" },
		{ RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" },
	};

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct rlimit rl;

		if (getrlimit(lim[i].res, &rl) < 0)
			die("getrlimit");
		printf("%s ", lim[i].name);
		if (rl.rlim_cur == RLIM_INFINITY)
			printf("unlimited ");
		else
			printf("%llu ", (unsigned long long)rl.rlim_cur);
		if (rl.rlim_max == RLIM_INFINITY)
			printf("unlimited\n");
		else
			printf("%llu\n", (unsigned long long)rl.rlim_max);
	}
	printf("uid=%u gid=%u\n", (unsigned)getuid(), (unsigned)getgid());
	print_cgroups(stdout, "");
	return 0;
}

static _Noreturn void usage(void)
{
	fputs("usage: ward-test-hog mem MIB | threads N | fork | sleep S | out N | in | "
	      "scratch KIB | limits\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode;
	unsigned long long arg = 0;
	uint64_t in;
	int rc;

	if (argc < 2)
		usage();
	mode = argv[1];
	if (strcmp(mode, "fork") == 0 || strcmp(mode, "in") == 0 || strcmp(mode, "limits") == 0) {
		if (argc != 2)
			usage();
	} else if (argc == 3) {
		arg = number(argv[2]);
	} else {
		usage();
	}

	fprintf(stderr, "hog: uid=%u\n", (unsigned)getuid());
	print_cgroups(stderr, "hog: ");

	in = read_input();

	if (strcmp(mode, "mem") == 0)
		rc = hog_mem(arg);
	else if (strcmp(mode, "threads") == 0)
		rc = hog_threads(arg);
	else if (strcmp(mode, "fork") == 0)
		rc = hog_fork();
	else if (strcmp(mode, "sleep") == 0)
		rc = hog_sleep(arg);
	else if (strcmp(mode, "out") == 0)
		rc = hog_out(arg);
	else if (strcmp(mode, "in") == 0)
		rc = printf("%" PRIu64 "\n", in) < 0 ? 2 : 0;
	else if (strcmp(mode, "scratch") == 0)
		rc = hog_scratch(arg);
	else if (strcmp(mode, "limits") == 0)
		rc = hog_limits();
	else
		usage();
	if (fflush(stdout) != 0)
		return 2;
	return rc;
}
