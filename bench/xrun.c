// SPDX-License-Identifier: Apache-2.0
// xrun: the timing driver of bench/exec. Runs PATH (fork + execve + waitpid, no shell, no
// PATH search) EXECS times per run, after WARMUP untimed execs, and prints one line per run:
//
//   TAG w   NS     the warm-up execs together (only if WARMUP > 0)
//   TAG 1   NS     run 1: EXECS execs, CLOCK_MONOTONIC around the whole run
//   ...
//
// The child always gets the same small environment (below, plus -E entries), so that a
// program run unconfined, inside a ward domain or under fapolicyd sees the same variables
// whatever the wrapper passes on. Its stdin is /dev/null; its stdout too unless -o.
// Any child that fails (exit status != 0, signal, exec error) stops xrun with status 1: a
// failing run would be timed as a fast one. Compiled by bench/exec into its work dir.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENV 16

static const char *usage = "usage: xrun [-w WARMUP_EXECS] [-r RUNS] [-n EXECS] [-t TAG] [-o] "
			   "[-E VAR=VALUE]... -- PATH [ARG]...\n";

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "xrun: not a count: %s\n", s);
		exit(2);
	}
	return v;
}

// One fork + execve + waitpid. Returns 0 or exits xrun on any failure.
static void one(char **argv, char **envp, int devnull, int keep_stdout)
{
	int st;
	pid_t pid = fork();

	if (pid < 0) {
		perror("xrun: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(devnull, 0);
		if (!keep_stdout)
			dup2(devnull, 1);
		execve(argv[0], argv, envp);
		_exit(150 + (errno & 0x3f));  // 150 + errno, as in the fapolicyd baseline's spawn
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("xrun: waitpid");
			exit(1);
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFEXITED(st))
		fprintf(stderr, "xrun: %s exited %d%s\n", argv[0], WEXITSTATUS(st),
			WEXITSTATUS(st) >= 150 ? " (150 + errno of execve?)" : "");
	else
		fprintf(stderr, "xrun: %s killed by signal %d\n", argv[0], WTERMSIG(st));
	exit(1);
}

int main(int argc, char **argv)
{
	long warmup = 0, runs = 1, execs = 1;
	const char *tag = "xrun";
	int keep_stdout = 0, opt, devnull;
	char *envp[MAX_ENV + 8] = {
		"PATH=/usr/bin:/bin",
		"LC_ALL=C",
		"HOME=/",
		"PYTHONDONTWRITEBYTECODE=1",
	};
	int nenv = 4, nextra = 0;

	while ((opt = getopt(argc, argv, "+w:r:n:t:oE:")) != -1) {
		switch (opt) {
		case 'w': warmup = number(optarg); break;
		case 'r': runs = number(optarg); break;
		case 'n': execs = number(optarg); break;
		case 't': tag = optarg; break;
		case 'o': keep_stdout = 1; break;
		case 'E':
			if (!strchr(optarg, '=') || nextra == MAX_ENV) {
				fputs(usage, stderr);
				return 2;
			}
			envp[nenv++] = optarg;
			nextra++;
			break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind >= argc || argv[optind][0] != '/' || execs < 1) {
		fputs(usage, stderr);
		fputs("xrun: PATH must be absolute (no PATH search)\n", stderr);
		return 2;
	}
	envp[nenv] = NULL;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("xrun: /dev/null");
		return 1;
	}
	// Our own lines go out as they are made: the caller may be reading them through a pipe
	// while later runs go on, and nothing must be lost if a later run fails.
	setvbuf(stdout, NULL, _IOLBF, 0);

	char **cmd = argv + optind;
	if (warmup > 0) {
		long long t0 = now_ns();
		for (long i = 0; i < warmup; i++)
			one(cmd, envp, devnull, keep_stdout);
		printf("%s w %lld\n", tag, now_ns() - t0);
	}
	for (long r = 1; r <= runs; r++) {
		long long t0 = now_ns();
		for (long i = 0; i < execs; i++)
			one(cmd, envp, devnull, keep_stdout);
		printf("%s %ld %lld\n", tag, r, now_ns() - t0);
	}
	return 0;
}
