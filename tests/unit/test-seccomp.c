/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain seccomp filter against each road to executable memory and out of the domain: one
 * forked child per technique, filter installed, the exact errno (or SIGSYS) asserted. Each
 * technique is also run without the filter first where it must succeed, so that a test cannot
 * pass because the technique was broken to begin with. The anonymous-exec roads under
 * WARD_SECCOMP_NOTIFY_ANON_EXEC: the test process is the listener, and asserts which calls it
 * was asked about and what its answer did.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/fdpass.h"
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

static int mprotect_rw_to_rwx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) < 0 ? errno : 0;
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
		if (filtered && domain_seccomp_install(flags, NULL, NULL) < 0)
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
	assert_int_equal(run(mprotect_rw_to_rwx, true, 0), EPERM);
}

enum answer { ANSWER_CONTINUE, ANSWER_EPERM, ANSWER_NONE };

struct notified {
	int result; /* as run() */
	int asked;  /* notifications received */
	int nr;	    /* the syscall of the last one */
};

/*
 * Runs @t in a child under the notifying filter (and the sandbox allowlist on top when
 * @sandbox); this process holds the listener and gives @ans to every notification (ANSWER_NONE:
 * it closes the listener unread).
 */
static struct notified run_notify(technique t, bool sandbox, enum answer ans)
{
	struct seccomp_notif_sizes sz;
	struct notified out = { 0 };
	int sv[2], listener = -1, status;
	size_t nfds = 0;
	char b = 0;
	struct iovec iov = { &b, 1 };
	pid_t pid;

	assert_int_equal(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int l = -1;

		close(sv[0]);
		if (domain_seccomp_install(WARD_SECCOMP_NOTIFY_ANON_EXEC, &l, NULL) < 0 || l < 0)
			_exit(250);
		if (fdpass_send(sv[1], &iov, 1, &l, 1) < 0)
			_exit(251);
		close(l);
		close(sv[1]);
		if (sandbox && domain_seccomp_install_sandbox(0, NULL) < 0)
			_exit(252);
		_exit(t() & 0xff);
	}
	close(sv[1]);
	assert_int_equal(fdpass_recv(sv[0], &b, 1, &listener, 1, &nfds), 0);
	assert_int_equal(nfds, 1);
	close(sv[0]);
	if (ans == ANSWER_NONE) {
		close(listener);
		listener = -1;
	}
	while (listener >= 0) {
		struct pollfd p = { listener, POLLIN, 0 };
		_cleanup_free_ struct seccomp_notif *req = calloc(1, sz.seccomp_notif + 64);
		_cleanup_free_ struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp + 64);

		assert_non_null(req);
		assert_non_null(resp);
		assert_true(poll(&p, 1, -1) == 1);
		if (!(p.revents & POLLIN))
			break; /* POLLHUP: the child is gone */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
			continue;
		out.asked++;
		out.nr = req->data.nr;
		resp->id = req->id;
		if (ans == ANSWER_CONTINUE)
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		else
			resp->error = -EPERM;
		assert_int_equal(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp), 0);
	}
	if (listener >= 0)
		close(listener);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	out.result = WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : WEXITSTATUS(status);
	return out;
}

static void test_notify_anon_exec(void **state)
{
	static const struct {
		const char *name;
		technique t;
		bool sandbox;
		enum answer ans;
		int result, asked, nr;
	} rows[] = {
		/* asked, and the answer is what the caller gets */
		{ "mmap anonymous R-X, CONTINUE", anon_rx, false, ANSWER_CONTINUE, 0, 1, SYS_mmap },
		{ "mprotect RW -> RX, CONTINUE", mprotect_rw_to_rx, false, ANSWER_CONTINUE, 0, 1,
		  SYS_mprotect },
		{ "pkey_mprotect RW -> RX, CONTINUE", pkey_mprotect_rx, false, ANSWER_CONTINUE, 0, 1,
		  SYS_pkey_mprotect },
		{ "mmap anonymous R-X, EPERM", anon_rx, false, ANSWER_EPERM, EPERM, 1, SYS_mmap },
		{ "mprotect RW -> RX, EPERM", mprotect_rw_to_rx, false, ANSWER_EPERM, EPERM, 1,
		  SYS_mprotect },
		/* mprotect adding PROT_EXEC with PROT_WRITE (V8's code pages): asked as well */
		{ "mprotect RW -> RWX, CONTINUE", mprotect_rw_to_rwx, false, ANSWER_CONTINUE, 0, 1,
		  SYS_mprotect },
		{ "mprotect RW -> RWX, EPERM", mprotect_rw_to_rwx, false, ANSWER_EPERM, EPERM, 1,
		  SYS_mprotect },
		/* no listener left: refused without an answer */
		{ "mmap anonymous R-X, listener closed", anon_rx, false, ANSWER_NONE, ENOSYS, 0, 0 },
		{ "mprotect RW -> RX, listener closed", mprotect_rw_to_rx, false, ANSWER_NONE, ENOSYS,
		  0, 0 },
		/* mmap W+X and the other roads are refused by the filter itself, never asked */
		{ "mmap anonymous RWX", anon_rwx, false, ANSWER_CONTINUE, EPERM, 0, 0 },

		{ "mmap file RWX private", file_rwx_private, false, ANSWER_CONTINUE, EPERM, 0, 0 },
		{ "personality(READ_IMPLIES_EXEC)", personality_rie, false, ANSWER_CONTINUE, EPERM, 0,
		  0 },
		{ "shmat(SHM_EXEC)", shmat_exec, false, ANSWER_CONTINUE, EPERM, 0, 0 },
		{ "memfd_create", memfd, false, ANSWER_CONTINUE, EPERM, 0, 0 },
		{ "mmap file R-X", file_rx, false, ANSWER_CONTINUE, 0, 0, 0 },
		/* stacked: the sandbox allowlist's EPERM beats the notification, its ALLOW does not */
		{ "sandbox: mprotect RW -> RX", mprotect_rw_to_rx, true, ANSWER_CONTINUE, 0, 1,
		  SYS_mprotect },
		{ "sandbox: mprotect RW -> RX, EPERM", mprotect_rw_to_rx, true, ANSWER_EPERM, EPERM, 1,
		  SYS_mprotect },
		{ "sandbox: pkey_mprotect RW -> RX", pkey_mprotect_rx, true, ANSWER_CONTINUE, EPERM, 0,
		  0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct notified got = run_notify(rows[i].t, rows[i].sandbox, rows[i].ans);

		if (got.result != rows[i].result || got.asked != rows[i].asked ||
		    (rows[i].asked && got.nr != rows[i].nr))
			fail_msg("%s: result %d, asked %d (nr %d); want %d, %d (nr %d)", rows[i].name,
				 got.result, got.asked, got.nr, rows[i].result, rows[i].asked,
				 rows[i].nr);
	}
}

static void test_notify_needs_listener_place(void **state)
{
	struct ward_diag d = { { 0 } };
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(domain_seccomp_install(WARD_SECCOMP_NOTIFY_ANON_EXEC, NULL, &d) == -EINVAL &&
				      anon_rx() == 0 ?
			      0 :
			      1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* refused before anything was loaded: the child is unfiltered */
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roads_refused),
		cmocka_unit_test(test_what_stays_allowed),
		cmocka_unit_test(test_notify_anon_exec),
		cmocka_unit_test(test_notify_needs_listener_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
