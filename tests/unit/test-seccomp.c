/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain seccomp filter against each road to executable memory and out of the domain: one
 * forked child per technique, filter installed, the exact errno (or SIGSYS) asserted. Each
 * technique is also run without the filter first where it must succeed, so that a test cannot
 * pass because the technique was broken to begin with.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"
#include "ward/seccomp.h"

/* A technique returns 0 when it worked, else the errno it got. */
typedef int (*technique)(void);

static int anon_rwx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	return p == MAP_FAILED ? errno : 0;
}

static int anon_rx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? errno : 0;
}

static int file_rwx_private(void)
{
	int fd = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, fd, 0);
	return p == MAP_FAILED ? errno : 0;
}

static int file_rx(void)
{
	int fd = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	return p == MAP_FAILED ? errno : 0;
}

static int mprotect_rw_to_rx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0 ? errno : 0;
}

static int pkey_mprotect_rx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return syscall(SYS_pkey_mprotect, p, 4096, PROT_READ | PROT_EXEC, -1) < 0 ? errno : 0;
}

static int personality_rie(void)
{
	return personality(READ_IMPLIES_EXEC) < 0 ? errno : 0;
}

static int shmat_exec(void)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	void *p = shmat(id, NULL, SHM_EXEC);
	int e = p == (void *)-1 ? errno : 0;

	shmctl(id, IPC_RMID, NULL);
	return e;
}

static int memfd(void)
{
	return syscall(SYS_memfd_create, "x", 0) < 0 ? errno : 0;
}

static int ptrace_attach_parent(void)
{
	return ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) < 0 ? errno : 0;
}

static int unshare_user(void)
{
	return unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ? errno : 0;
}

static int clone_newns(void)
{
	long r = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);

	if (r == 0)
		_exit(0);
	return r < 0 ? errno : 0;
}

static int clone3_any(void)
{
	return syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
}

static int mount_tmpfs(void)
{
	return syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, NULL) < 0 ? errno : 0;
}

static int io_uring(void)
{
	return syscall(SYS_io_uring_setup, 1, NULL) < 0 ? errno : 0;
}

/* An x32 syscall number (mmap | __X32_SYSCALL_BIT): must be killed, not interpreted. */
static int x32_call(void)
{
	return syscall(0x40000000 | SYS_getpid) < 0 ? errno : 0;
}

/* Runs @t in a child; returns its errno, 0 for success, or 1000 + signal if it was killed. */
static int run(technique t, bool filtered, unsigned flags)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (filtered && domain_seccomp_install(flags, NULL) < 0)
			_exit(250);
		_exit(t() & 0xff);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void test_roads_refused(void **state)
{
	static const struct {
		const char *name;
		technique t;
		int unfiltered; /* -1: not checked (needs privileges the host may lack) */
		int filtered;
	} rows[] = {
		{ "mmap anonymous RWX", anon_rwx, 0, EPERM },
		{ "mmap anonymous R-X", anon_rx, 0, EPERM },
		{ "mmap file RWX private", file_rwx_private, 0, EPERM },
		{ "mprotect RW -> RX", mprotect_rw_to_rx, 0, EPERM },
		{ "pkey_mprotect RW -> RX", pkey_mprotect_rx, 0, EPERM },
		{ "personality(READ_IMPLIES_EXEC)", personality_rie, 0, EPERM },
		{ "shmat(SHM_EXEC)", shmat_exec, 0, EPERM },
		{ "memfd_create", memfd, 0, EPERM },
		{ "ptrace(ATTACH) of the parent", ptrace_attach_parent, -1, EPERM },
		{ "unshare(USER|NS)", unshare_user, 0, EPERM },
		{ "clone(NEWNS)", clone_newns, 0, EPERM },
		{ "clone3", clone3_any, -1, ENOSYS },
		{ "mount", mount_tmpfs, -1, EPERM },
		{ "io_uring_setup", io_uring, -1, EPERM },
		{ "x32 syscall number", x32_call, -1, 1000 + SIGSYS },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got;

		if (rows[i].unfiltered >= 0) {
			got = run(rows[i].t, false, 0);
			if (got != rows[i].unfiltered)
				fail_msg("%s without the filter: %d, want %d", rows[i].name, got,
					 rows[i].unfiltered);
		}
		got = run(rows[i].t, true, 0);
		if (got != rows[i].filtered)
			fail_msg("%s under the filter: %d, want %d", rows[i].name, got, rows[i].filtered);
	}
}

static void test_what_stays_allowed(void **state)
{
	assert_int_equal(run(file_rx, true, 0), 0);
	/* the JIT opt-in allows anonymous executable memory, never W^X violations */
	assert_int_equal(run(anon_rx, true, WARD_SECCOMP_ALLOW_ANON_EXEC), 0);
	assert_int_equal(run(mprotect_rw_to_rx, true, WARD_SECCOMP_ALLOW_ANON_EXEC), 0);
	assert_int_equal(run(anon_rwx, true, WARD_SECCOMP_ALLOW_ANON_EXEC), EPERM);
	assert_int_equal(run(memfd, true, WARD_SECCOMP_ALLOW_ANON_EXEC), EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roads_refused),
		cmocka_unit_test(test_what_stays_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
