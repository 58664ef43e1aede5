/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox porting API: for a service that initialises first (loads a model or a database
 * from its declared files) and then seals itself before it reads a client's input, as Erebor's
 * activation step. Header-only: include it, link nothing.
 *
 *	load_model("/srv/model.bin");          // before: measured, logged, any file it may open
 *	if (ward_sandbox_seal() < 0) exit(1);  // now: the monitor activates the sandbox
 *	n = ward_sandbox_read_input(buf, cap); // the client's input, all of it
 *	ward_sandbox_write_output(res, len);   // the result; exit 0 to return it
 *
 * Its manifest says "activation": "api". The monitor starts the program with fd 3 connected to
 * it and WARD_SANDBOX_FD=3 in its environment; the sandbox counts as ready (it can be given a
 * request) only once the program sealed. ward_sandbox_seal():
 *   1. locks the program's memory (mlockall, current and future pages), so client data never
 *      reaches swap even where the memory cgroup's swap limit is absent;
 *   2. makes the process non-dumpable (no core dump, no /proc/PID/mem for the same uid);
 *   3. tells the monitor, and closes fd 3.
 * After sealing, the monitor refuses any code or code-mount file not measured before, and
 * records nothing about the sandbox: a program that opens such files lazily must open them
 * before it seals (or its manifest lists them under "measure").
 *
 * Outside a sandbox (no WARD_SANDBOX_FD) ward_sandbox_seal() does steps 1 and 2 and returns
 * -ENOTCONN, so the same binary can be tested natively.
 */
#ifndef WARD_SANDBOX_IO_H
#define WARD_SANDBOX_IO_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#define WARD_SANDBOX_FD_ENV "WARD_SANDBOX_FD"
#define WARD_SANDBOX_SEAL_MSG "ward-sealed"

/* ward_sandbox_seal() returns this (positive) when it sealed but could not lock memory:
 * RLIMIT_MEMLOCK is below the program's size (the monitor raises it to memory_mb only where it
 * holds CAP_SYS_RESOURCE). The memory cgroup's swap limit still keeps its pages off swap. */
#define WARD_SANDBOX_SEALED_UNLOCKED 1

/**
 * ward_sandbox_seal() - lock memory, become non-dumpable, and tell the monitor the program is
 * ready for its input.
 * Return: 0 sealed with memory locked; WARD_SANDBOX_SEALED_UNLOCKED sealed, memory not locked;
 * -ENOTCONN not in an "api" sandbox; -errno when the monitor could not be told (then the
 * sandbox never becomes ready: exit).
 */
static inline int ward_sandbox_seal(void)
{
	const char *fdstr = getenv(WARD_SANDBOX_FD_ENV);
	int locked = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
	char *end = NULL;
	long fd;
	ssize_t n;

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!fdstr || !fdstr[0])
		return -ENOTCONN;
	fd = strtol(fdstr, &end, 10);
	if (*end || fd < 3 || fd > 1024)
		return -EBADF;
	do
		n = write((int)fd, WARD_SANDBOX_SEAL_MSG, sizeof(WARD_SANDBOX_SEAL_MSG) - 1);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(sizeof(WARD_SANDBOX_SEAL_MSG) - 1))
		return n < 0 ? -errno : -EPIPE;
	close((int)fd);
	return locked ? 0 : WARD_SANDBOX_SEALED_UNLOCKED;
}

/**
 * ward_sandbox_read_input() - read the input until its end or until @cap bytes.
 * Return: the bytes read (the whole input when less than @cap), or -errno.
 */
static inline ssize_t ward_sandbox_read_input(void *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(STDIN_FILENO, (char *)buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/** ward_sandbox_write_output() - write all of @buf as (part of) the result. Return: 0 or -errno. */
static inline int ward_sandbox_write_output(const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

#endif
