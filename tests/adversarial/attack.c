/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-adv-attack: one attack technique per subcommand, for tests/adversarial. The same binary
 * runs inside a domain (copied onto a --code dir and allowed by the test's policy) and outside
 * one, so every test can show that its technique works on the host before asserting the exact
 * way the domain refuses it.
 *
 * Output is one line per step, "STEP: RESULT", where RESULT is "ok", "errno=ENAME" (the errno's
 * symbolic name, as the kernel returned it), "ran=N" (injected code ran and returned N; the
 * code is "mov eax, 42; ret") or a step-specific word. Exit status: 0 the attack worked, 1 the
 * attacked step was refused (its errno is on the last line), 2 usage or set-up failure (not the
 * attack: the test is broken, not the domain).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __x86_64__
#error "the injected code is x86-64 machine code"
#endif

/* mov eax, 42; ret */
static const unsigned char code42[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };

/* The marker subcommand prints this; tests rewrite "original" in a copy of the binary (same
 * length) to tell an old program from a tampered one. */
static const char tag[] = "TAG:original-content";

static volatile int shared_word = 7;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static int refused(const char *step)
{
	int e = errno;

	printf("%s: errno=%s\n", step, ename(e));
	fflush(stdout);
	return 1;
}

static void okay(const char *step)
{
	printf("%s: ok\n", step);
	fflush(stdout);
}

static _Noreturn void setup_failed(const char *step)
{
	int e = errno;

	printf("setup %s: errno=%s\n", step, ename(e));
	fflush(stdout);
	exit(2);
}

static int call_code(const void *p)
{
	int (*fn)(void) = (int (*)(void))(uintptr_t)p;
	int v = fn();

	printf("call: ran=%d\n", v);
	fflush(stdout);
	return 0;
}

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static int open_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	okay("open");
	return fd;
}

static size_t map_len(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		setup_failed("fstat");
	return st.st_size > 0 ? (size_t)st.st_size : page();
}

/* A listed (or any) file mapped executable: the mapping itself is the question. */
static int cmd_mmap_exec(int argc, char **argv)
{
	bool call = argc > 3 && strcmp(argv[3], "--call") == 0;
	int fd;
	void *p;

	if (argc < 3)
		return 2;
	if ((fd = open_file(argv[2])) < 0)
		return refused("open");
	p = mmap(NULL, map_len(fd), PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return refused("mmap");
	okay("mmap");
	return call ? call_code(p) : 0;
}

/*
 * FILE mapped executable (measured and allowed when it was opened), then ALIAS (another name
 * of the same inode, writable) overwritten with code: does the mapping run what was measured?
 */
static int cmd_mmap_exec_then_write(int argc, char **argv)
{
	int fd, wfd;
	void *p;

	if (argc < 4)
		return 2;
	if ((fd = open_file(argv[2])) < 0)
		return refused("open");
	p = mmap(NULL, map_len(fd), PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return refused("mmap");
	okay("mmap");
	wfd = open(argv[3], O_WRONLY | O_CLOEXEC);
	if (wfd < 0)
		return refused("open-alias");
	okay("open-alias");
	if (pwrite(wfd, code42, sizeof(code42), 0) != (ssize_t)sizeof(code42))
		return refused("write-alias");
	okay("write-alias");
	return call_code(p);
}

/* A file mapped private and writable+executable, then patched and run. */
static int cmd_mmap_file_rwx_private(int argc, char **argv)
{
	int fd;
	void *p;

	if (argc < 3)
		return 2;
	if ((fd = open_file(argv[2])) < 0)
		return refused("open");
	p = mmap(NULL, map_len(fd), PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return refused("mmap");
	okay("mmap");
	memcpy(p, code42, sizeof(code42));
	return call_code(p);
}

/* A file mapped private read-write, patched, then made executable. */
static int cmd_mmap_file_rw_mprotect(int argc, char **argv)
{
	size_t len;
	int fd;
	void *p;

	if (argc < 3)
		return 2;
	if ((fd = open_file(argv[2])) < 0)
		return refused("open");
	len = map_len(fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		setup_failed("mmap-rw");
	memcpy(p, code42, sizeof(code42));
	if (mprotect(p, len, PROT_READ | PROT_EXEC) < 0)
		return refused("mprotect");
	okay("mprotect");
	return call_code(p);
}

static int cmd_mmap_anon_rwx(int argc, char **argv)
{
	void *p = mmap(NULL, page(), PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return refused("mmap");
	okay("mmap");
	memcpy(p, code42, sizeof(code42));
	return call_code(p);
}

static int cmd_mmap_anon_rx(int argc, char **argv)
{
	void *p = mmap(NULL, page(), PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return refused("mmap");
	okay("mmap");
	return 0;
}

static int cmd_mprotect_rw_rx(bool pkey)
{
	void *p = mmap(NULL, page(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if (p == MAP_FAILED)
		setup_failed("mmap-rw");
	memcpy(p, code42, sizeof(code42));
	if (pkey)
		r = (int)syscall(SYS_pkey_mprotect, p, page(), PROT_READ | PROT_EXEC, -1);
	else
		r = mprotect(p, page(), PROT_READ | PROT_EXEC);
	if (r < 0)
		return refused(pkey ? "pkey_mprotect" : "mprotect");
	okay(pkey ? "pkey_mprotect" : "mprotect");
	return call_code(p);
}

/* Is [p, p+1) mapped executable, by /proc/self/maps? */
static bool mapped_exec(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool x = false;

	if (!f)
		setup_failed("open /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && (uintptr_t)p >= lo &&
		    (uintptr_t)p < hi) {
			x = perms[2] == 'x';
			break;
		}
	}
	fclose(f);
	return x;
}

/* READ_IMPLIES_EXEC: every readable mapping made afterwards is executable too. */
static int cmd_personality_rie(int argc, char **argv)
{
	int cur = personality(0xffffffff);
	void *p;

	if (cur < 0)
		printf("query: errno=%s\n", ename(errno));
	else
		printf("query: ok\n");
	if (personality((unsigned long)(cur < 0 ? 0 : cur) | READ_IMPLIES_EXEC) < 0)
		return refused("personality");
	okay("personality");
	p = mmap(NULL, page(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		setup_failed("mmap-rw");
	if (!mapped_exec(p)) {
		printf("maps: not-exec\n");
		return 1;
	}
	printf("maps: exec\n");
	memcpy(p, code42, sizeof(code42));
	return call_code(p);
}

static int cmd_shmat_exec(int argc, char **argv)
{
	int id = shmget(IPC_PRIVATE, page(), IPC_CREAT | 0600);
	void *p;

	if (id < 0)
		setup_failed("shmget");
	p = shmat(id, NULL, SHM_EXEC);
	shmctl(id, IPC_RMID, NULL);
	if (p == (void *)-1)
		return refused("shmat");
	okay("shmat");
	memcpy(p, code42, sizeof(code42));
	return call_code(p);
}

static int cmd_memfd_exec(int argc, char **argv)
{
	int fd = (int)syscall(SYS_memfd_create, "attack", 0);
	void *p;

	if (fd < 0)
		return refused("memfd_create");
	okay("memfd_create");
	if (write(fd, code42, sizeof(code42)) != (ssize_t)sizeof(code42))
		setup_failed("write");
	p = mmap(NULL, page(), PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return refused("mmap");
	okay("mmap");
	return call_code(p);
}

static int cmd_memfd_secret(int argc, char **argv)
{
	int fd = (int)syscall(SYS_memfd_secret, 0);

	if (fd < 0)
		return refused("memfd_secret");
	okay("memfd_secret");
	return 0;
}

#if defined(__clang__)
__attribute__((noinline)) static int victim(void)
#else
__attribute__((noinline, noclone)) static int victim(void)
#endif
{
	__asm__ volatile("" ::: "memory");
	return 7;
}

static int (*volatile victim_ptr)(void) = victim;

/* Patch the program's own read-only text through /proc/self/mem. */
static int cmd_proc_self_mem_write(int argc, char **argv)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return refused("open");
	okay("open");
	if (pwrite(fd, code42, sizeof(code42), (off_t)(uintptr_t)victim_ptr) !=
	    (ssize_t)sizeof(code42))
		return refused("pwrite");
	okay("pwrite");
	printf("call: ran=%d\n", victim_ptr());
	return 0;
}

/*
 * Two children of this process: A waits, B (its sibling) attaches to it with ptrace, then
 * writes into it with process_vm_writev and takes an fd from it with pidfd_getfd. B's lines are
 * the result; exit status is 0 if any of the three worked.
 */
static int cmd_ptrace_sibling(int argc, char **argv)
{
	int ready[2], st;
	pid_t a, b;

	if (pipe(ready) < 0)
		setup_failed("pipe");
	fflush(stdout);
	a = fork();
	if (a < 0)
		setup_failed("fork");
	if (a == 0) {
		close(ready[0]);
		(void)!write(ready[1], "x", 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &st, 1) != 1)
		setup_failed("sync");
	b = fork();
	if (b < 0)
		setup_failed("fork");
	if (b == 0) {
		int worked = 0, v = 42, pidfd;
		struct iovec local = { &v, sizeof(v) }, remote = { (void *)&shared_word, sizeof(v) };

		if (ptrace(PTRACE_ATTACH, a, NULL, NULL) < 0) {
			refused("ptrace");
		} else {
			waitpid(a, &st, __WALL);
			okay("ptrace");
			ptrace(PTRACE_DETACH, a, NULL, NULL);
			worked = 1;
		}
		if (syscall(SYS_process_vm_writev, a, &local, 1UL, &remote, 1UL, 0UL) < 0) {
			refused("process_vm_writev");
		} else {
			okay("process_vm_writev");
			worked = 1;
		}
		pidfd = (int)syscall(SYS_pidfd_open, a, 0);
		if (pidfd < 0)
			setup_failed("pidfd_open");
		if (syscall(SYS_pidfd_getfd, pidfd, 1, 0) < 0) {
			refused("pidfd_getfd");
		} else {
			okay("pidfd_getfd");
			worked = 1;
		}
		_exit(worked ? 0 : 1);
	}
	waitpid(b, &st, 0);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static const struct {
	const char *name;
	int flag;
} ns_flags[] = {
	{ "user", CLONE_NEWUSER }, { "mount", CLONE_NEWNS },	 { "pid", CLONE_NEWPID },
	{ "net", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC },	 { "uts", CLONE_NEWUTS },
	{ "cgroup", CLONE_NEWCGROUP },
};

static int ns_flag(const char *name)
{
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		if (strcmp(name, ns_flags[i].name) == 0)
			return ns_flags[i].flag;
	fprintf(stderr, "unknown namespace %s\n", name);
	exit(2);
}

/* unshare(2) in a child, so the caller's namespaces never change. */
static int cmd_unshare(int argc, char **argv)
{
	int flag, st;
	pid_t c;

	if (argc < 3)
		return 2;
	flag = ns_flag(argv[2]);
	fflush(stdout);
	c = fork();
	if (c < 0)
		setup_failed("fork");
	if (c == 0) {
		if (unshare(flag) < 0)
			_exit(refused("unshare"));
		okay("unshare");
		_exit(0);
	}
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static int cmd_clone_ns(int argc, char **argv)
{
	long c;
	int st;

	if (argc < 3)
		return 2;
	fflush(stdout);
	c = syscall(SYS_clone, (unsigned long)ns_flag(argv[2]) | SIGCHLD, NULL, NULL, NULL, NULL);
	if (c < 0)
		return refused("clone");
	if (c == 0)
		_exit(0);
	waitpid((pid_t)c, &st, 0);
	okay("clone");
	return 0;
}

/* struct clone_args of linux/sched.h, version 0 (64 bytes). */
struct clone_args0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static int cmd_clone3(int argc, char **argv)
{
	struct clone_args0 a = { .exit_signal = SIGCHLD };
	long c;
	int st;

	if (argc > 2)
		a.flags = (uint64_t)ns_flag(argv[2]);
	fflush(stdout);
	c = syscall(SYS_clone3, &a, sizeof(a));
	if (c < 0)
		return refused("clone3");
	if (c == 0)
		_exit(0);
	waitpid((pid_t)c, &st, 0);
	okay("clone3");
	return 0;
}

static int cmd_setns(int argc, char **argv)
{
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		setup_failed("open /proc/self/ns/mnt");
	if (setns(fd, CLONE_NEWNS) < 0)
		return refused("setns");
	okay("setns");
	return 0;
}

static int cmd_mount_tmpfs(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (mount("none", argv[2], "tmpfs", 0, NULL) < 0)
		return refused("mount");
	okay("mount");
	umount2(argv[2], MNT_DETACH);
	return 0;
}

static int cmd_dlopen(int argc, char **argv)
{
	int (*fn)(void);
	void *h;

	if (argc < 3)
		return 2;
	h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("dlopen: error=%s\n", dlerror());
		return 1;
	}
	okay("dlopen");
	fn = (int (*)(void))(uintptr_t)dlsym(h, "evil_fn");
	if (fn)
		printf("call: ran=%d\n", fn());
	return 0;
}

static const char *ftype(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return "closed";
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return "regular";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "chardev";
	default:
		return "other";
	}
}

/* stdin mapped executable: directly, then reopened read-only through /proc/self/fd/0. */
static int cmd_mmap_stdin_exec(int argc, char **argv)
{
	int fd, worked = 0;
	void *p;

	printf("stdin: %s\n", ftype(0));
	p = mmap(NULL, page(), PROT_READ | PROT_EXEC, MAP_PRIVATE, 0, 0);
	if (p == MAP_FAILED) {
		refused("mmap-fd0");
	} else {
		okay("mmap-fd0");
		call_code(p);
		worked = 1;
	}
	fd = open("/proc/self/fd/0", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return worked ? 0 : refused("reopen");
	printf("reopen: ok %s\n", ftype(fd));
	p = mmap(NULL, page(), PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return worked ? (refused("mmap-reopened"), 0) : refused("mmap-reopened");
	okay("mmap-reopened");
	return call_code(p);
}

/*
 * Receive two fds over a UNIX socket: an ELF program, and a file for raw code (if it is open for
 * writing, the code is written into it first). Map both executable (calling the raw code), then
 * fexecve the program in a child. Exit 0 if anything ran.
 */
static int cmd_recv_fd_exec(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(2 * sizeof(int))], byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int s, fds[2] = { -1, -1 }, errp[2], err, st, worked = 0;
	void *p;
	pid_t child;

	if (argc < 3 || strlen(argv[2]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[2]);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		setup_failed("socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return refused("connect");
	if (recvmsg(s, &mh, 0) != 1)
		setup_failed("recvmsg");
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(2 * sizeof(int))) {
		errno = EPROTO;
		setup_failed("recvmsg");
	}
	memcpy(fds, CMSG_DATA(c), sizeof(fds));
	printf("recv: ok %s %s\n", ftype(fds[0]), ftype(fds[1]));
	p = mmap(NULL, map_len(fds[0]), PROT_READ | PROT_EXEC, MAP_PRIVATE, fds[0], 0);
	if (p == MAP_FAILED) {
		refused("mmap-elf");
	} else {
		okay("mmap-elf");
		worked = 1;
	}
	/* A writable fd (a memfd, say): the code is written from inside the domain. */
	if ((fcntl(fds[1], F_GETFL) & O_ACCMODE) != O_RDONLY) {
		if (pwrite(fds[1], code42, sizeof(code42), 0) != (ssize_t)sizeof(code42))
			refused("write-code");
		else
			okay("write-code");
	}
	p = mmap(NULL, page(), PROT_READ | PROT_EXEC, MAP_PRIVATE, fds[1], 0);
	if (p == MAP_FAILED) {
		refused("mmap-code");
	} else {
		okay("mmap-code");
		call_code(p);
		worked = 1;
	}
	if (pipe2(errp, O_CLOEXEC) < 0)
		setup_failed("pipe");
	fflush(stdout);
	child = fork();
	if (child < 0)
		setup_failed("fork");
	if (child == 0) {
		char *args[] = { "attack", "marker", NULL };
		extern char **environ;

		fexecve(fds[0], args, environ);
		err = errno;
		(void)!write(errp[1], &err, sizeof(err));
		_exit(127);
	}
	close(errp[1]);
	if (read(errp[0], &err, sizeof(err)) == (ssize_t)sizeof(err)) {
		waitpid(child, NULL, 0);
		errno = err;
		refused("fexecve");
	} else {
		waitpid(child, &st, 0);
		printf("fexecve: ran status=%d\n",
		       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		worked = 1;
	}
	return worked ? 0 : 1;
}

static int cmd_exec(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	fflush(stdout);
	execv(argv[2], argv + 2);
	return refused("exec");
}

static int cmd_marker(int argc, char **argv)
{
	printf("marker: ");
	fputs(tag, stdout);
	putchar('\n');
	return 0;
}

static int cmd_mprotect(int argc, char **argv)
{
	return cmd_mprotect_rw_rx(false);
}

static int cmd_pkey_mprotect(int argc, char **argv)
{
	return cmd_mprotect_rw_rx(true);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "marker", cmd_marker },
	{ "exec", cmd_exec },
	{ "mmap-exec", cmd_mmap_exec },
	{ "mmap-exec-then-write", cmd_mmap_exec_then_write },
	{ "mmap-file-rwx-private", cmd_mmap_file_rwx_private },
	{ "mmap-file-rw-mprotect", cmd_mmap_file_rw_mprotect },
	{ "mmap-anon-rwx", cmd_mmap_anon_rwx },
	{ "mmap-anon-rx", cmd_mmap_anon_rx },
	{ "mprotect-rw-rx", cmd_mprotect },
	{ "pkey-mprotect-rw-rx", cmd_pkey_mprotect },
	{ "personality-rie", cmd_personality_rie },
	{ "shmat-exec", cmd_shmat_exec },
	{ "memfd-exec", cmd_memfd_exec },
	{ "memfd-secret", cmd_memfd_secret },
	{ "proc-self-mem-write", cmd_proc_self_mem_write },
	{ "ptrace-sibling", cmd_ptrace_sibling },
	{ "unshare", cmd_unshare },
	{ "clone-ns", cmd_clone_ns },
	{ "clone3", cmd_clone3 },
	{ "setns", cmd_setns },
	{ "mount-tmpfs", cmd_mount_tmpfs },
	{ "dlopen", cmd_dlopen },
	{ "mmap-stdin-exec", cmd_mmap_stdin_exec },
	{ "recv-fd-exec", cmd_recv_fd_exec },
};

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(c, commands[i].name))
			return commands[i].fn(argc, argv);
	fprintf(stderr,
		"usage: %s marker | exec PATH [ARG]... | mmap-exec FILE [--call] |\n"
		"  mmap-exec-then-write FILE ALIAS |\n"
		"  mmap-file-rwx-private FILE | mmap-file-rw-mprotect FILE | mmap-anon-rwx |\n"
		"  mmap-anon-rx | mprotect-rw-rx | pkey-mprotect-rw-rx | personality-rie |\n"
		"  shmat-exec | memfd-exec | memfd-secret | proc-self-mem-write | ptrace-sibling |\n"
		"  unshare NS | clone-ns NS | clone3 [NS] | setns | mount-tmpfs DIR | dlopen PATH |\n"
		"  mmap-stdin-exec | recv-fd-exec SOCKET\n",
		argv[0]);
	return 2;
}
