/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain's Landlock ruleset against each thing it must stop (and a few it must allow): one
 * forked child per technique, ruleset applied, the exact errno asserted. Each technique is also
 * run without the ruleset first, where it must succeed, so that a test cannot pass because the
 * technique was broken to begin with.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "test-util.h"
#include "ward/landlock.h"

static char *scratch;	/* removed at the end */
static char rw_dir[4200];	/* the WRITE rule */
static char out_dir[4200];	/* beneath "/" only: READ */
static char out_file[4200];	/* an existing file in out_dir */
static char copied_true[4200]; /* /usr/bin/true copied into rw_dir */
static int listener = -EBADF;	/* an abstract unix socket of the (unrestricted) test process */
static struct sockaddr_un listener_addr;
static socklen_t listener_len;

/* A technique returns 0 when it worked, else the errno it got (or a code > 100 of its own). */
typedef int (*technique)(void);

static int open_errno(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int create_in(const char *dir)
{
	char path[4300];
	int e;

	snprintf(path, sizeof(path), "%s/new-%d", dir, (int)getpid());
	e = open_errno(path, O_WRONLY | O_CREAT | O_EXCL);
	if (e == 0)
		unlink(path);
	return e;
}

static int proc_mem_rdwr(void)
{
	return open_errno("/proc/self/mem", O_RDWR);
}

static int proc_mem_rdonly(void)
{
	return open_errno("/proc/self/mem", O_RDONLY);
}

static int create_outside(void)
{
	return create_in(out_dir);
}

static int create_inside(void)
{
	return create_in(rw_dir);
}

static int write_existing_outside(void)
{
	return open_errno(out_file, O_WRONLY);
}

static int dev_null_write(void)
{
	return open_errno("/dev/null", O_WRONLY | O_TRUNC);
}

static int dev_zero_write(void)
{
	return open_errno("/dev/zero", O_WRONLY);
}

/* TCGETS on a device that is no tty: the driver says ENOTTY, unless Landlock refuses first. */
static int ioctl_errno(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int e;

	if (fd < 0)
		return 100;
	e = ioctl(fd, TCGETS, &t) < 0 ? errno : 0;
	close(fd);
	return e;
}

static int dev_null_ioctl(void)
{
	return ioctl_errno("/dev/null");
}

static int dev_zero_ioctl(void)
{
	return ioctl_errno("/dev/zero");
}

static int exec_path(const char *path)
{
	char *const argv[] = { (char *)path, NULL };
	char *const envp[] = { NULL };

	execve(path, argv, envp);
	return errno; /* on success the program's exit status (true: 0) is the child's */
}

static int exec_copied(void)
{
	return exec_path(copied_true);
}

static int exec_usr_true(void)
{
	return exec_path("/usr/bin/true");
}

static int signal_parent(void)
{
	return kill(getppid(), 0) < 0 ? errno : 0;
}

static int connect_abstract(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int e;

	if (fd < 0)
		return 100;
	e = connect(fd, (struct sockaddr *)&listener_addr, listener_len) < 0 ? errno : 0;
	close(fd);
	return e;
}

/* In a private mount namespace, so that a mount that works does not leak to the host. */
static int mount_tmpfs(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return 101;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", rw_dir, "tmpfs", 0, NULL) < 0)
		return errno;
	return 0;
}

/* Runs @t in a child; returns its errno, 0 for success, 250 if the ruleset could not be
 * applied, or 1000 + signal if it was killed. */
static int run(technique t, const struct ward_landlock_rule *rules, size_t n_rules,
	       bool restricted)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (restricted && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
				   domain_landlock_apply(rules, n_rules, NULL) < 0))
			_exit(250);
		_exit(t() & 0xff);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* A missing privilege or kernel feature skips on a developer machine, fails under CI. */
static void require(bool ok, const char *what)
{
	if (ok)
		return;
	if (getenv("CI"))
		fail_msg("%s is required under CI", what);
	skip();
}

static int copy_true(void)
{
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;

	if (read_file_full("/usr/bin/true", 64u << 20, &buf, &len) < 0)
		return -1;
	dfd = open(rw_dir, O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	return write_file_atomic(dfd, "true", buf, len, 0755);
}

static int setup(void **state)
{
	int fd;

	scratch = test_tmpdir();
	snprintf(rw_dir, sizeof(rw_dir), "%s/rw", scratch);
	snprintf(out_dir, sizeof(out_dir), "%s/out", scratch);
	snprintf(out_file, sizeof(out_file), "%s/out/existing", scratch);
	snprintf(copied_true, sizeof(copied_true), "%s/rw/true", scratch);
	if (mkdir(rw_dir, 0755) < 0 || mkdir(out_dir, 0755) < 0)
		return -1;
	fd = open(out_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);

	listener_addr.sun_family = AF_UNIX;
	snprintf(listener_addr.sun_path + 1, sizeof(listener_addr.sun_path) - 1,
		 "ward-test-landlock-%d", (int)getpid());
	listener_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				   strlen(listener_addr.sun_path + 1));
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&listener_addr, listener_len) < 0 ||
	    listen(listener, 16) < 0)
		return -1;
	return copy_true() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	test_rmtree(scratch);
	closep(&listener);
	return 0;
}

static void test_abi(void **state)
{
	int abi = domain_landlock_abi();

	require(abi != -EOPNOTSUPP, "Landlock");
	assert_true(abi >= 1);
}

static void test_domain_view(void **state)
{
	const struct ward_landlock_rule view[] = {
		{ "/", WARD_LL_READ },
		{ rw_dir, WARD_LL_WRITE },
		{ "/usr", WARD_LL_EXEC },
		{ "/dev/null", WARD_LL_DEV }, /* not a directory: file rights only */
	};
	static const struct {
		const char *name;
		technique t;
		int unrestricted; /* -1: not checked */
		int restricted;
		int min_abi;
		bool needs_root;
	} rows[] = {
		{ "open /proc/self/mem O_RDWR", proc_mem_rdwr, 0, EACCES, 1, false },
		{ "open /proc/self/mem O_RDONLY", proc_mem_rdonly, 0, 0, 1, false },
		{ "create a file outside the WRITE dir", create_outside, 0, EACCES, 1, false },
		{ "create a file inside the WRITE dir", create_inside, 0, 0, 1, false },
		{ "open an existing file outside for writing", write_existing_outside, 0, EACCES, 1,
		  false },
		{ "open /dev/null O_WRONLY|O_TRUNC (DEV rule)", dev_null_write, 0, 0, 1, false },
		{ "open /dev/zero O_WRONLY (no rule)", dev_zero_write, 0, EACCES, 1, false },
		{ "ioctl(TCGETS) on /dev/null (DEV file rule)", dev_null_ioctl, ENOTTY, ENOTTY, 1,
		  false },
		{ "ioctl(TCGETS) on /dev/zero (no rule)", dev_zero_ioctl, ENOTTY, EACCES, 5,
		  false },
		{ "execve a copy of true in the WRITE dir", exec_copied, 0, EACCES, 1, false },
		{ "execve /usr/bin/true", exec_usr_true, 0, 0, 1, false },
		{ "kill(parent, 0) (signal scope)", signal_parent, 0, EPERM, 6, false },
		{ "connect to an outside abstract unix socket (scope)", connect_abstract, 0, EPERM,
		  6, false },
		{ "mount tmpfs in a private namespace", mount_tmpfs, 0, EPERM, 1, true },
	};
	int abi = domain_landlock_abi();

	require(abi != -EOPNOTSUPP, "Landlock");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		int got;

		if (abi < rows[i].min_abi) {
			print_message("skipped on ABI %d: %s\n", abi, rows[i].name);
			continue;
		}
		if (rows[i].needs_root && geteuid() != 0) {
			require(!getenv("CI"), "root");
			print_message("skipped as non-root: %s\n", rows[i].name);
			continue;
		}
		if (rows[i].unrestricted >= 0) {
			got = run(rows[i].t, view, ARRAY_SIZE(view), false);
			if (got != rows[i].unrestricted)
				fail_msg("%s without Landlock: %d, want %d", rows[i].name, got,
					 rows[i].unrestricted);
		}
		got = run(rows[i].t, view, ARRAY_SIZE(view), true);
		if (got != rows[i].restricted)
			fail_msg("%s under Landlock: %d, want %d", rows[i].name, got,
				 rows[i].restricted);
	}
}

/* A WRITE rule on a regular file gets its file rights only (directory rights there are EINVAL):
 * the file can be written, nothing can be created beside it. */
static void test_file_rule(void **state)
{
	const struct ward_landlock_rule view[] = {
		{ "/", WARD_LL_READ },
		{ out_file, WARD_LL_WRITE },
	};

	require(domain_landlock_abi() != -EOPNOTSUPP, "Landlock");
	assert_int_equal(run(write_existing_outside, view, ARRAY_SIZE(view), true), 0);
	assert_int_equal(run(create_outside, view, ARRAY_SIZE(view), true), EACCES);
}

/* No rules: every handled access is denied, reading included. */
static int read_etc_passwd(void)
{
	return open_errno("/etc/passwd", O_RDONLY);
}

static void test_no_rules(void **state)
{
	require(domain_landlock_abi() != -EOPNOTSUPP, "Landlock");
	assert_int_equal(run(read_etc_passwd, NULL, 0, false), 0);
	assert_int_equal(run(read_etc_passwd, NULL, 0, true), EACCES);
}

/* Bad rules fail before landlock_restrict_self(): the child must stay unrestricted. Returns
 * 0 when apply returned @want with @needle in the message and the child can still create
 * outside, else a code naming what went wrong. */
static int bad_rule_child(const struct ward_landlock_rule *r, int want, const char *needle)
{
	struct ward_diag d = { 0 };
	int got;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	got = domain_landlock_apply(r, 1, &d);
	if (got != want)
		return 2;
	if (!strstr(d.msg, needle))
		return 3;
	if (create_outside() != 0)
		return 4;
	return 0;
}

static void test_bad_rules(void **state)
{
	static const struct {
		struct ward_landlock_rule rule;
		int want;
		const char *needle;
	} rows[] = {
		{ { "/nonexistent/ward-landlock", WARD_LL_READ }, -ENOENT,
		  "/nonexistent/ward-landlock" },
		{ { NULL, WARD_LL_READ }, -EINVAL, "invalid rule" },
		{ { "/", __WARD_LL_MAX }, -EINVAL, "invalid rule" },
		{ { "/", (enum ward_landlock_access)-1 }, -EINVAL, "invalid rule" },
	};

	require(domain_landlock_abi() != -EOPNOTSUPP, "Landlock");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(bad_rule_child(&rows[i].rule, rows[i].want, rows[i].needle));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("bad rule %zu: child check %d failed", i, WEXITSTATUS(status));
	}
}

/* Without no_new_privs, landlock_restrict_self() needs CAP_SYS_ADMIN: -EPERM otherwise. */
static int apply_without_nnp(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	const struct ward_landlock_rule view[] = { { "/", WARD_LL_READ } };
	int r;

	if (syscall(SYS_capget, &hdr, data) < 0)
		return 101;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return 102;
	r = domain_landlock_apply(view, 1, NULL);
	if (r != -EPERM)
		return 103;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 104;
	return domain_landlock_apply(view, 1, NULL) == 0 ? 0 : 105;
}

static void test_needs_nnp(void **state)
{
	require(domain_landlock_abi() != -EOPNOTSUPP, "Landlock");
	assert_int_equal(run(apply_without_nnp, NULL, 0, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi),
		cmocka_unit_test(test_domain_view),
		cmocka_unit_test(test_file_rule),
		cmocka_unit_test(test_no_rules),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_needs_nnp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
