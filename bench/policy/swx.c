// SPDX-License-Identifier: Apache-2.0
// swx: the exec driver of bench/policy's switch experiment. It runs inside the monitored
// domain (or fapolicyd's namespace) and waits for commands on stdin, so that the benchmark can
// time single execs right before and right after a policy switch, in the same process:
//
//   x N PATH [ARG]...   N × (fork + execve + waitpid) of PATH, each timed with CLOCK_MONOTONIC;
//                       prints "t NS" per exec, then "ok"
//   q                   exit 0
//
// The child gets a fixed small environment, stdin and stdout on /dev/null. A child that fails
// (exit status != 0, signal, exec error) prints "fail ..." and stops swx with status 1: a failed
// exec would be timed as a fast one. Compiled by bench/policy/run into its code dir.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 32

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char *envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=/", NULL };

// One fork + execve + waitpid; its wall time in ns, or exits on any failure.
static long long one(char **argv, int devnull)
{
	long long t0 = now_ns();
	int st;
	pid_t pid = fork();

	if (pid < 0) {
		printf("fail fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		execve(argv[0], argv, envp);
		_exit(150 + (errno & 0x3f));
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			printf("fail waitpid: %s\n", strerror(errno));
			exit(1);
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return now_ns() - t0;
	if (WIFEXITED(st))
		printf("fail %s exited %d%s\n", argv[0], WEXITSTATUS(st),
		       WEXITSTATUS(st) >= 150 ? " (150 + errno of execve?)" : "");
	else
		printf("fail %s killed by signal %d\n", argv[0], WTERMSIG(st));
	exit(1);
}

int main(void)
{
	char line[4096];
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (devnull < 0) {
		perror("swx: /dev/null");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		char *args[MAX_ARGS + 1], *save = NULL, *w;
		int n = 0;
		long count;

		line[strcspn(line, "\n")] = 0;
		if (strcmp(line, "q") == 0)
			return 0;
		w = strtok_r(line, " ", &save);
		if (!w || strcmp(w, "x") != 0 || !(w = strtok_r(NULL, " ", &save)) ||
		    (count = strtol(w, NULL, 10)) < 1) {
			printf("fail bad command\n");
			return 2;
		}
		while (n < MAX_ARGS && (w = strtok_r(NULL, " ", &save)))
			args[n++] = w;
		args[n] = NULL;
		if (n == 0 || args[0][0] != '/') {
			printf("fail PATH must be absolute\n");
			return 2;
		}
		for (long i = 0; i < count; i++)
			printf("t %lld\n", one(args, devnull));
		printf("ok\n");
	}
	return 0;
}
