/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filter of an integrity domain: every road to executable memory that does not go
 * through a checked file mapping, and every tool to escape the domain, is refused. The
 * reasoning and the bypasses it closes are in ../shared/research/domain-design-notes.md
 * (section 6 and Q1, Q8). Groundwork for issue 3: the domain itself is built there.
 */
#ifndef WARD_SECCOMP_H
#define WARD_SECCOMP_H

#include "core/diag.h"

enum {
	/* A policy names executables allowed anonymous executable memory (JIT runtimes): mmap
	 * of anonymous R-X memory and mprotect/pkey_mprotect adding PROT_EXEC are not refused
	 * but put to the monitor through a user-notification listener (struct seccomp_notif),
	 * which answers for the calling process. mmap with PROT_WRITE and PROT_EXEC and
	 * everything else stay refused. */
	WARD_SECCOMP_NOTIFY_ANON_EXEC = 1 << 0,
	/* Sandbox filter: the service may create processes (fork, vfork, clone without
	 * CLONE_THREAD); without it only threads. */
	WARD_SECCOMP_ALLOW_FORK = 1 << 1,
};

/**
 * domain_seccomp_install() - set no_new_privs and load the domain filter into the calling
 * thread (and its future children). Irreversible.
 * @flags: 0 or WARD_SECCOMP_NOTIFY_ANON_EXEC.
 * @ret_listener: with WARD_SECCOMP_NOTIFY_ANON_EXEC, the filter's listener fd (O_CLOEXEC; whoever
 *                holds it answers for every process of the domain: it must leave the domain
 *                before CMD runs); NULL otherwise.
 * @d: diagnostics.
 *
 * The filter, for the native architecture (any other architecture, including x32 and the
 * i386 int 0x80 entry, is killed):
 *  - EPERM: mmap with PROT_WRITE and PROT_EXEC (any fd: a private writable mapping of a
 *    verified file is otherwise a shellcode pad); unless WARD_SECCOMP_NOTIFY_ANON_EXEC, mmap
 *    with PROT_EXEC and MAP_ANONYMOUS, and mprotect and pkey_mprotect adding PROT_EXEC;
 *    personality with READ_IMPLIES_EXEC; shmat with SHM_EXEC; memfd_create, memfd_secret; ptrace, process_vm_writev,
 *    pidfd_getfd; unshare, setns and clone with any CLONE_NEW* flag; the mount family;
 *    io_uring; bpf; userfaultfd.
 *  - ENOSYS: clone3 (seccomp cannot read its flags; glibc falls back to clone).
 *  - USER_NOTIF (WARD_SECCOMP_NOTIFY_ANON_EXEC only): mmap with PROT_EXEC and MAP_ANONYMOUS but
 *    not PROT_WRITE; mprotect and pkey_mprotect adding PROT_EXEC (with or without
 *    PROT_WRITE: V8 makes its code pages RWX). Until the listener answers, the caller waits;
 *    once every copy of the listener is closed, these calls fail with ENOSYS.
 *
 * Return: 0, -EINVAL (the notify flag without @ret_listener), or -errno from libseccomp (the
 * thread is then unchanged, unless the filter was loaded and only its listener could not be
 * had: callers fail closed either way).
 */
int domain_seccomp_install(unsigned flags, int *ret_listener, struct ward_diag *d);

/**
 * domain_seccomp_install_sandbox() - the sandbox's allowlist, stacked on the domain filter:
 * reading and writing the fds it has, files in its own tree, memory, threads (processes with
 * WARD_SECCOMP_ALLOW_FORK), time, randomness, signals (the PID namespace and Landlock keep
 * them inside); everything else, sockets, io_uring, SysV and POSIX IPC, keyrings, ptrace,
 * perf and bpf included, fails with EPERM (clone3 with ENOSYS, so libc falls back to clone,
 * whose flags the filter can see).
 * @flags: WARD_SECCOMP_ALLOW_FORK.
 * @d: diagnostics.
 * Return: 0 or -errno.
 */
int domain_seccomp_install_sandbox(unsigned flags, struct ward_diag *d);

#endif
