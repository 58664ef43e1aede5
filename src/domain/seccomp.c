/* SPDX-License-Identifier: Apache-2.0 */
/* The domain's seccomp filter, built with libseccomp (which adds the architecture checks). */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>

#include "ward/seccomp.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Syscalls refused outright. A name this libseccomp cannot resolve fails the install: a
 * filter that silently lacks a rule would let that road through. */
static const char *const refused[] = {
	"memfd_create", "memfd_secret", "ptrace", "process_vm_writev", "pidfd_getfd",
	"unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree",
	"move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "userfaultfd",
};

static const unsigned long clone_new_flags[] = {
	CLONE_NEWNS,  CLONE_NEWUSER,   CLONE_NEWPID, CLONE_NEWNET,
	CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWCGROUP, CLONE_NEWTIME,
};

static int rule_bit(scmp_filter_ctx ctx, int nr, unsigned arg, uint64_t bit)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
				SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, bit, bit));
}

/*
 * The anonymous-exec roads: EPERM, or (WARD_SECCOMP_NOTIFY_ANON_EXEC) a question to the monitor,
 * for exactly the same calls. mmap's W+X rule (in build()) stays EPERM either way; the notify
 * rule for mmap excludes PROT_WRITE in its own comparison, so the two never overlap and no
 * precedence between rules of one filter is relied on. mprotect and pkey_mprotect adding
 * PROT_EXEC are asked about with or without PROT_WRITE: V8 (node 20) makes its code pages RWX
 * with mprotect, and a JIT the policy names is trusted with its own memory. Stacked filters (the
 * sandbox allowlist) take the strictest action of all: ERRNO beats USER_NOTIF beats ALLOW, so a
 * sandbox that refuses pkey_mprotect refuses it without asking.
 */
static int build_anon(scmp_filter_ctx ctx, unsigned flags)
{
	bool notify = flags & WARD_SECCOMP_NOTIFY_ANON_EXEC;
	uint32_t act = notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EPERM);
	uint64_t mask = notify ? PROT_WRITE | PROT_EXEC : PROT_EXEC;
	int r;

	if ((r = seccomp_rule_add(ctx, act, SCMP_SYS(mmap), 2,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, mask, PROT_EXEC),
				  SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS))) < 0 ||
	    (r = seccomp_rule_add(ctx, act, SCMP_SYS(mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))) < 0 ||
	    (r = seccomp_rule_add(ctx, act, SCMP_SYS(pkey_mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))) < 0)
		return r;
	return 0;
}

static int build(scmp_filter_ctx ctx, unsigned flags)
{
	int r;

	/* W^X on every mapping, file or anonymous. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC,
					  PROT_WRITE | PROT_EXEC))) < 0)
		return r;
	if ((r = build_anon(ctx, flags)) < 0)
		return r;
	/* READ_IMPLIES_EXEC makes every readable mapping (heap included) executable. libseccomp
	 * allows one comparison per argument, so the 0xffffffff query is refused as well. */
	if ((r = rule_bit(ctx, SCMP_SYS(personality), 0, READ_IMPLIES_EXEC)) < 0 ||
	    (r = rule_bit(ctx, SCMP_SYS(shmat), 2, SHM_EXEC)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(clone_new_flags) / sizeof(clone_new_flags[0]); i++)
		if ((r = rule_bit(ctx, SCMP_SYS(clone), 0, clone_new_flags[i])) < 0)
			return r;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int nr = seccomp_syscall_resolve_name(refused[i]);

		if (nr == __NR_SCMP_ERROR)
			return -EOPNOTSUPP;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			return r;
	}
	return 0;
}

int domain_seccomp_install(unsigned flags, int *ret_listener, struct ward_diag *d)
{
	bool notify = flags & WARD_SECCOMP_NOTIFY_ANON_EXEC;
	scmp_filter_ctx ctx;
	int r, fd = -1;

	if (notify && !ret_listener)
		return diag_set(d, -EINVAL, "seccomp: a notifying filter needs its listener's place");
	/* Default allow; the architecture check kills anything not native (i386 via int 0x80,
	 * x32 numbers), where the rules' syscall numbers would mean other calls. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return diag_set(d, -ENOMEM, "seccomp: cannot allocate a filter");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (r == 0)
		r = build(ctx, flags);
	if (r == 0)
		r = seccomp_load(ctx);
	/* With a notify rule libseccomp loads the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER
	 * (the kernel makes the fd O_CLOEXEC). Once loaded, a listener that cannot be had is
	 * still fail-closed: the calls it would answer fail with ENOSYS. */
	if (r == 0 && notify && (fd = seccomp_notify_fd(ctx)) < 0)
		r = fd;
	seccomp_release(ctx);
	if (r < 0)
		return diag_set(d, r, "seccomp: cannot install the domain filter: %s", strerror(-r));
	if (notify)
		*ret_listener = fd;
	return 0;
}

/*
 * The sandbox allowlist. What a Unix filter, a database engine or an image tool needs to read
 * its input, compute and write its output; nothing that reaches outside the sandbox. Names this
 * libseccomp does not know are skipped (an allowlist that lacks an entry only refuses more).
 */
static const char *const sandbox_allowed[] = {
	/* fds and files (the mount namespace, Landlock and the guard decide which files) */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
	"pwritev2", "open", "openat", "openat2", "creat", "close", "close_range", "stat", "fstat",
	"lstat", "newfstatat", "statx", "statfs", "fstatfs", "lseek", "ioctl",
	"fsync", "fdatasync", "ftruncate", "truncate", "fallocate", "fadvise64", "readahead",
	"getdents", "getdents64", "getcwd", "chdir", "fchdir", "rename", "renameat", "renameat2",
	"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "link", "linkat", "symlink", "symlinkat",
	"readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "umask", "utime",
	"utimes", "utimensat", "futimesat", "access", "faccessat", "faccessat2", "dup", "dup2",
	"dup3", "pipe", "pipe2", "sendfile", "copy_file_range", "splice", "tee", "getxattr",
	"lgetxattr", "fgetxattr", "listxattr", "flistxattr",
	/* waiting */
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "nanosleep", "clock_nanosleep", "pause",
	/* memory (W^X and the anonymous-exec rules come from the domain filter) */
	"mmap", "mprotect", "munmap", "mremap", "madvise", "msync", "mincore", "brk", "mlock",
	"mlock2", "munlock", "mlockall", "munlockall", "membarrier", "get_mempolicy",
	/* threads, time, randomness, identity */
	"futex", "futex_waitv", "set_robust_list", "get_robust_list", "set_tid_address", "rseq",
	"arch_prctl", "sched_yield", "sched_getaffinity", "sched_getparam",
	"sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "getpriority",
	"clock_gettime", "clock_getres", "gettimeofday", "time", "times", "getrandom", "uname",
	"sysinfo", "getrusage", "getrlimit", "setrlimit", "prlimit64", "getpid", "getppid",
	"gettid", "getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid",
	"getpgrp", "getpgid", "getsid", "capget", "getcpu",
	/* signals: the PID namespace and Landlock's signal scope keep them inside */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending",
	"rt_sigtimedwait", "sigaltstack", "kill", "tkill", "tgkill", "alarm", "getitimer",
	"setitimer", "signalfd", "signalfd4", "restart_syscall",
	/* its own end, its own children, and running other checked code in its place */
	"exit", "exit_group", "wait4", "waitid", "execve", "execveat",
};

/*
 * fcntl without locks, leases, owners or directory notification: file locks show, with their
 * byte ranges, in the world-readable /proc/locks (a sandbox could write its client's data
 * there), and F_SETOWN/F_SETSIG aim signals. flock(2) is not allowed at all.
 */
static const int sandbox_fcntl_cmds[] = {
	F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, F_GETPIPE_SZ, F_GET_SEALS,
};

/*
 * prctl: only what reads the caller's own settings, and what only ever tightens them
 * (dumpable 0, no_new_privs). Not PR_SET_NAME: the name shows in the host's /proc and ps.
 */
static const int sandbox_prctl_ops[] = {
	PR_GET_DUMPABLE, PR_GET_NAME, PR_GET_SECCOMP, PR_CAPBSET_READ, PR_GET_SECUREBITS,
	PR_GET_NO_NEW_PRIVS, PR_SET_NO_NEW_PRIVS, PR_GET_TIMERSLACK, PR_GET_PDEATHSIG,
	PR_GET_KEEPCAPS, PR_GET_THP_DISABLE,
};

static int sandbox_arg_rules(scmp_filter_ctx ctx)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(sandbox_fcntl_cmds) / sizeof(sandbox_fcntl_cmds[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)sandbox_fcntl_cmds[i], 0));
	for (size_t i = 0; r == 0 && i < sizeof(sandbox_prctl_ops) / sizeof(sandbox_prctl_ops[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sandbox_prctl_ops[i], 0));
	/* Dumpable may only be cleared (the porting API's seal), never set again. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
				     SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE, 0), SCMP_A1(SCMP_CMP_EQ, 0, 0));
	/* libcap and glibc ask whether an ambient capability is set. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
				     SCMP_A0(SCMP_CMP_EQ, PR_CAP_AMBIENT, 0),
				     SCMP_A1(SCMP_CMP_EQ, PR_CAP_AMBIENT_IS_SET, 0));
	return r;
}

int domain_seccomp_install_sandbox(unsigned flags, struct ward_diag *d)
{
	scmp_filter_ctx ctx;
	int r = 0;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return diag_set(d, -ENOMEM, "seccomp: cannot allocate a filter");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	for (size_t i = 0; r == 0 && i < sizeof(sandbox_allowed) / sizeof(sandbox_allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(sandbox_allowed[i]);

		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (r == 0)
		r = sandbox_arg_rules(ctx);
	/* clone3's flags sit in memory the filter cannot read: ENOSYS sends libc to clone. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r == 0 && (flags & WARD_SECCOMP_ALLOW_FORK)) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0);
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fork), 0);
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(vfork), 0);
	} else if (r == 0) {
		/* Threads only: clone must carry CLONE_THREAD (which implies a shared VM). */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	}
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return diag_set(d, r, "seccomp: cannot install the sandbox filter: %s",
				strerror(-r));
	return 0;
}
