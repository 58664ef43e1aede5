/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain's final privilege drop, observed from outside: in a forked child, the kernel's own
 * account (/proc/self/status, prctl) and a program executed afterwards both show nothing left.
 * Each check is also made without the drop first, where it must show privileges, so that a test
 * cannot pass because the check cannot see them. Runs as root (CI does); skips otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "test-util.h"
#include "ward/landlock.h"
#include "ward/privs.h"

#define NOBODY 65534
#define ZERO_CAPS "0000000000000000"

static void require(bool ok, const char *what)
{
	if (ok)
		return;
	if (getenv("CI"))
		fail_msg("%s is required under CI", what);
	skip();
}

/* The value of @field ("CapEff") in /proc/self/status, into @out; 0 or -1. */
static int status_field(const char *field, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t flen = strlen(field);
	int r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			const char *v = line + flen + 1;

			v += strspn(v, " \t");
			snprintf(out, outlen, "%.*s", (int)strcspn(v, "\n"), v);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static const char *const cap_fields[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };

/* Child side: 0 when every capability set is empty and no_new_privs is on, else 10 + the
 * index of the first field that is not (15: NoNewPrivs, 16: securebits). */
static int check_nothing_left(void)
{
	char v[64];

	for (size_t i = 0; i < ARRAY_SIZE(cap_fields); i++)
		if (status_field(cap_fields[i], v, sizeof(v)) < 0 || strcmp(v, ZERO_CAPS) != 0)
			return 10 + (int)i;
	if (status_field("NoNewPrivs", v, sizeof(v)) < 0 || strcmp(v, "1") != 0)
		return 15;
	if ((prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) & 0xff) !=
	    (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
	     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED))
		return 16;
	return 0;
}

/* Child side, before the drop: the same fields must show root's privileges. */
static int check_privileged(void)
{
	char v[64];

	if (status_field("CapEff", v, sizeof(v)) < 0 || strcmp(v, ZERO_CAPS) == 0)
		return 20;
	if (status_field("CapBnd", v, sizeof(v)) < 0 || strcmp(v, ZERO_CAPS) == 0)
		return 21;
	if (status_field("NoNewPrivs", v, sizeof(v)) < 0 || strcmp(v, "0") != 0)
		return 22;
	return 0;
}

/*
 * Forks a child that (when @drop) drops its privileges as @uid, checks its own state, then
 * executes `sh -c 'grep CapEff /proc/self/status'` with stdout into a pipe. Returns the child's
 * exit status (0 when sh and grep succeeded) and what sh printed in @out.
 */
static int run_helper(bool drop, bool set_ids, char *out, size_t outlen)
{
	char *const argv[] = { "sh", "-c", "grep CapEff /proc/self/status", NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	int p[2], status;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		if (drop) {
			struct ward_diag d = { 0 };

			if (domain_drop_privs(set_ids, NOBODY, NOBODY, &d) < 0) {
				fprintf(stderr, "drop: %s\n", d.msg);
				_exit(2);
			}
			r = check_nothing_left();
		} else {
			r = check_privileged();
		}
		if (r)
			_exit(r);
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(3);
		execve("/bin/sh", argv, envp);
		_exit(4);
	}
	close(p[1]);
	while (len + 1 < outlen && (n = read(p[0], out + len, outlen - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_drop_as_root(void **state)
{
	char out[256];

	require(geteuid() == 0, "root");
	assert_int_equal(run_helper(false, false, out, sizeof(out)), 0);
	if (strcmp(out, "CapEff:\t" ZERO_CAPS "\n") == 0)
		fail_msg("without the drop, the helper already had no capabilities");
	assert_int_equal(run_helper(true, false, out, sizeof(out)), 0);
	assert_string_equal(out, "CapEff:\t" ZERO_CAPS "\n");
}

static void test_drop_as_nobody_helper(void **state)
{
	char out[256];

	require(geteuid() == 0, "root");
	assert_int_equal(run_helper(true, true, out, sizeof(out)), 0);
	assert_string_equal(out, "CapEff:\t" ZERO_CAPS "\n");
}

/* Runs @fn in a child; returns its exit status, or 1000 + signal. */
static int run(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn() & 0xff);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int back_to_root_undropped(void)
{
	if (setresuid(NOBODY, NOBODY, 0) < 0)
		return 30;
	return setuid(0) < 0 ? errno : 0;
}

/* Child side: 0 when the ids are nobody's, there are no groups, and neither root's uid nor
 * gid can be taken back; else a code naming the check. */
static int back_to_root_dropped(void)
{
	if (domain_drop_privs(true, NOBODY, NOBODY, NULL) < 0)
		return 40;
	if (getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY ||
	    getegid() != NOBODY)
		return 41;
	if (getgroups(0, NULL) != 0)
		return 42;
	if (setgid(0) == 0 || errno != EPERM)
		return 43;
	if (check_nothing_left() != 0)
		return 44;
	return setuid(0) < 0 ? errno : 0;
}

static void test_set_ids(void **state)
{
	require(geteuid() == 0, "root");
	/* a saved uid of 0 is enough to come back without the drop */
	assert_int_equal(run(back_to_root_undropped), 0);
	assert_int_equal(run(back_to_root_dropped), EPERM);
}

/* A second drop (without an id change) needs no privilege and succeeds. */
static int drop_twice(void)
{
	if (domain_drop_privs(false, 0, 0, NULL) < 0)
		return 50;
	return domain_drop_privs(false, 0, 0, NULL) < 0 ? 51 : 0;
}

static void test_drop_twice(void **state)
{
	require(geteuid() == 0, "root");
	assert_int_equal(run(drop_twice), 0);
}

/* Without CAP_SETPCAP the bounding set cannot be dropped: -EPERM, and the message says so. */
static int drop_without_setpcap(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	struct ward_diag d = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return 60;
	data[CAP_TO_INDEX(CAP_SETPCAP)].effective &= ~CAP_TO_MASK(CAP_SETPCAP);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return 61;
	if (domain_drop_privs(false, 0, 0, &d) != -EPERM)
		return 62;
	return strstr(d.msg, "bounding") ? 0 : 63;
}

static void test_fails_without_setpcap(void **state)
{
	require(geteuid() == 0, "root");
	assert_int_equal(run(drop_without_setpcap), 0);
}

/* The drop sets no_new_privs, which is what Landlock needs once CAP_SYS_ADMIN is gone. */
static int landlock_after_drop(void)
{
	const struct ward_landlock_rule view[] = { { "/", WARD_LL_READ } };

	if (domain_drop_privs(true, NOBODY, NOBODY, NULL) < 0)
		return 70;
	return domain_landlock_apply(view, ARRAY_SIZE(view), NULL) < 0 ? 71 : 0;
}

static void test_landlock_after_drop(void **state)
{
	require(geteuid() == 0, "root");
	require(domain_landlock_abi() != -EOPNOTSUPP, "Landlock");
	assert_int_equal(run(landlock_after_drop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_as_root),
		cmocka_unit_test(test_drop_as_nobody_helper),
		cmocka_unit_test(test_set_ids),
		cmocka_unit_test(test_drop_twice),
		cmocka_unit_test(test_fails_without_setpcap),
		cmocka_unit_test(test_landlock_after_drop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
