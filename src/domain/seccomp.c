/* SPDX-License-Identifier: Apache-2.0 */
/* The domain's seccomp filter, built with libseccomp (which adds the architecture checks). */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
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

static int build(scmp_filter_ctx ctx, unsigned flags)
{
	int r;

	/* W^X on every mapping, file or anonymous. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC,
					  PROT_WRITE | PROT_EXEC))) < 0)
		return r;
	if (!(flags & WARD_SECCOMP_ALLOW_ANON_EXEC)) {
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mmap), 2,
					  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC),
					  SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS))) < 0 ||
		    (r = rule_bit(ctx, SCMP_SYS(mprotect), 2, PROT_EXEC)) < 0 ||
		    (r = rule_bit(ctx, SCMP_SYS(pkey_mprotect), 2, PROT_EXEC)) < 0)
			return r;
	}
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

int domain_seccomp_install(unsigned flags, struct ward_diag *d)
{
	scmp_filter_ctx ctx;
	int r;

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
	seccomp_release(ctx);
	if (r < 0)
		return diag_set(d, r, "seccomp: cannot install the domain filter: %s", strerror(-r));
	return 0;
}
