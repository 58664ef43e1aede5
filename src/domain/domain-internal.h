/* SPDX-License-Identifier: Apache-2.0 */
/* Pieces of an integrity domain shared between its files; not part of libward's API. */
#ifndef WARD_DOMAIN_INTERNAL_H
#define WARD_DOMAIN_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"
#include "ward/domain.h"
#include "ward/limits.h"
#include "ward/state.h"

/* Real-time signal the kernel sends the monitor when someone opens a leased (cached) code
 * file for writing; SIGIO if the RT queue overflows. */
#define GUARD_LEASE_SIGNAL (SIGRTMIN + 3)

/* One code mount as the monitor sees it. */
struct guard_mount {
	char *path;	       /* in the domain */
	int fd;		       /* O_PATH, the mount's root, from the domain */
	char unverified[256];  /* "" or why the dir or one above it on the host is untrusted */
};

struct guard_stats {
	uint64_t events, allowed, denied, audited, cached, uncached, hashed_bytes, lease_breaks;
	uint64_t switches; /* policy switches (guard_rules_changed) */
	uint64_t reused; /* events answered from an earlier measurement of the same inode */
};

struct guard;

/* Callback for every decision; @first is true the first time (object, path, grant path) is
 * seen with this verdict, which is also when it is recorded. */
typedef void (*guard_decision_cb)(void *ud, const struct ward_decision *dec, bool first);

/**
 * guard_new() - a fanotify permission group for one domain.
 * @st: state (log) the records go to.
 * @rules: mode and policy (kept by reference).
 * @domain_id: recorded in every decision.
 * @cb: decision callback, or NULL.
 * @ud: its argument.
 * @ret: the guard.
 * @d: diagnostics.
 *
 * The caller must have blocked GUARD_LEASE_SIGNAL and SIGIO in every thread.
 * Return: 0 or -errno.
 */
int guard_new(struct ward_state *st, const struct ward_domain_rules *rules, const char *domain_id,
	      guard_decision_cb cb, void *ud, struct guard **ret, struct ward_diag *d);

/** guard_fanotify_fd() - the group fd (the keeper holds a dup of it). */
int guard_fanotify_fd(const struct guard *g);
/** guard_signal_fd() - a signalfd for lease breaks; poll it and call guard_handle_signals(). */
int guard_signal_fd(const struct guard *g);

/**
 * guard_add_mount() - mark one code mount (FAN_OPEN_EXEC_PERM and FAN_OPEN_PERM).
 * @g: the guard.
 * @path: the mount's path in the domain.
 * @fd: an fd of the mount's root (taken over).
 * @unverified: "" or why the host directories leading to it are untrusted.
 * @d: diagnostics.
 * Return: 0 or -errno.
 */
int guard_add_mount(struct guard *g, const char *path, int fd, const char *unverified,
		    struct ward_diag *d);

/**
 * guard_handle_events() - read and answer one batch of pending permission events (poll again
 * for the rest: lease breaks come first).
 * Return: 0, or -errno when the group itself failed (the caller tears the domain down).
 */
int guard_handle_events(struct guard *g, struct ward_diag *d);

/**
 * guard_cached_digests() - the digests (@algs: the state's file hash and the policy's) the guard
 * measured for the cached inode (@dev, @ino), whose lease has held its content since.
 * Return: 0, or -ENOENT when it is not cached (or other algorithms are asked for).
 */
int guard_cached_digests(const struct guard *g, dev_t dev, ino_t ino, unsigned algs,
			 struct ward_digest *ret);

/**
 * guard_rules_changed() - the rules given to guard_new() were changed in place (a policy
 * switch): drop every cached verdict so the next grant of every object is decided anew.
 * Call it between guard_handle_events() calls, never during one.
 */
void guard_rules_changed(struct guard *g);

/** guard_handle_signals() - drop the cache entries whose lease is being broken. */
int guard_handle_signals(struct guard *g, struct ward_diag *d);

/** guard_sync() - make the records written so far durable. Return: 0 or -errno. */
int guard_sync(struct guard *g, struct ward_diag *d);

/* Records written reach stable storage this long after the first of them, at the latest. */
#define GUARD_SYNC_MS 50
/** guard_sync_timeout() - ms until guard_sync() is due: -1 nothing to sync, 0 now. */
int guard_sync_timeout(const struct guard *g);

/** guard_broken() - the log failed: every later event is denied. */
bool guard_broken(const struct guard *g);

/**
 * guard_record_start() - the domain's first record: its id, mode, policy and opt-ins.
 * Return: 0 or -errno.
 */
int guard_record_start(struct guard *g, const char *const *code, size_t n_code, bool anon_exec,
		       struct ward_diag *d);

const struct guard_stats *guard_stats(const struct guard *g);

/**
 * guard_set_sandbox() - records go to @append instead of the state (made durable there); the
 * domain field of records is @record_domain; after guard_activate() nothing is recorded or
 * told, and an object @known does not vouch for is denied.
 */
void guard_set_sandbox(struct guard *g, const char *record_domain,
		       int (*append)(void *ud, struct ward_evlog_record *recs, size_t n,
				     struct ward_diag *d),
		       bool (*known)(void *ud, const struct ward_digest *dg), void *ud);
void guard_activate(struct guard *g);
/** guard_denied_after() - denials since activation. */
uint64_t guard_denied_after(const struct guard *g);
void guard_free(struct guard *g);

/* Relays of stdin/stdout/stderr that must not cross into the domain as they are. */
struct relay;

/**
 * relay_setup() - for each of fds 0..2 that is not a pipe, socket or terminal, a pipe whose
 * domain end replaces it in the domain.
 * @ret_domain_fds: three fds for the domain's 0..2 (-1: closed; the same number: as is).
 * Return: 0 or -errno.
 */
int relay_setup(struct relay **ret, int ret_domain_fds[3]);
/** relay_start() - after fork: close the domain ends here and start the copying threads. */
int relay_start(struct relay *r);
/** relay_finish() - wait for the outputs to drain (the domain is gone) and free. */
void relay_finish(struct relay *r);

/* The domain's cgroup (v2): it holds every domain process and is killed as a whole. */
struct domain_cgroup {
	int dirfd;   /* the cgroup directory */
	int procs;   /* its cgroup.procs, O_WRONLY */
	int killfd;  /* its cgroup.kill, O_WRONLY */
	int parentfd;
	char name[WARD_DOMAIN_ID_MAX + 8];
};

int cgroup_create(const char *id, struct domain_cgroup *ret, struct ward_diag *d);
/* Async-signal-safe: used by the keeper and the domain init after fork. */
int cgroup_join_self(const struct domain_cgroup *cg);
int cgroup_kill(const struct domain_cgroup *cg);
void cgroup_remove(struct domain_cgroup *cg);
void cgroup_close(struct domain_cgroup *cg);

/* A sandbox's resource limits (cgroup controllers, v2 where possible, else v1). */
enum domain_resource { RES_MEMORY, RES_PIDS, RES_CPU, __RES_MAX };

struct domain_resources {
	int dirfd[__RES_MAX];	 /* v1: the domain's cgroup in that hierarchy, or -1 */
	int parentfd[__RES_MAX]; /* v1: its ward/ parent */
	bool v2[__RES_MAX];	 /* set on the domain's v2 cgroup instead */
	char name[WARD_DOMAIN_ID_MAX + 8];
};

/**
 * resources_create() - cgroups with @sb's memory (no swap), tasks and CPU limits.
 * @cg: the domain's v2 cgroup (created).
 * Return: 0 or -errno (a limit that cannot be enforced fails the domain).
 */
int resources_create(const struct domain_cgroup *cg, const struct ward_domain_sandbox *sb,
		     struct domain_resources *ret, struct ward_diag *d);
/** resources_attach() - move @pid (the domain's init, before it forks) into the v1 cgroups. */
int resources_attach(const struct domain_resources *res, pid_t pid, struct ward_diag *d);
/** resources_oom_kills() - tasks the memory limit killed (v1), 0 when unknown. */
uint64_t resources_oom_kills(const struct domain_resources *res);
/** resources_remove() - remove the v1 cgroups (once their tasks are gone). */
void resources_remove(struct domain_resources *res);

/* Building the domain's root, in its init, in the new mount namespace. */
struct mount_plan {
	const char *const *code; /* absolute, resolved; code[0] is /usr */
	size_t n_code;
	uint64_t scratch_bytes; /* sandbox: size of /tmp, and no /dev/shm; 0: a plain domain */
	const struct ward_domain_bind *binds; /* src resolved; dst absolute, normalised */
	size_t n_binds;
};

/**
 * mounts_build() - build the root and pivot into it.
 * @plan: what to mount.
 * @ret_fds: O_PATH fds of the code mounts' roots as the domain sees them, in plan order.
 * @d: diagnostics.
 * Return: 0 or -errno.
 */
int mounts_build(const struct mount_plan *plan, int *ret_fds, struct ward_diag *d);

/**
 * dir_untrusted() - why @path (a directory on the host) or a directory above it is not
 * trusted to hold code, or NULL: each must be root-owned and not writable by group or other
 * (sticky directories such as /tmp are fine above the code dir itself).
 * @buf: room for the reason.
 */
const char *dir_untrusted(const char *path, char *buf, size_t len);

/*
 * Anonymous executable memory for the executables the policy names (domain.anon_exec): the
 * monitor answers the workload's seccomp user notifications (anonexec.c).
 */
struct anonexec;

/**
 * anonexec_new() - the monitor's end of the anonymous-exec questions.
 * @g: the guard: decisions are recorded and told through guard_record_decision().
 * @rules: the guard's rules, read at each decision (the policy may change in between).
 * @st: the state (its file digest algorithm names the executable in the records).
 * @code: the code dirs as the monitor sees them (the domain's code mounts are their clones).
 * @n_code: their number.
 * @ret: the handler, without a listener until anonexec_set_listener().
 * @d: diagnostics.
 * Return: 0, -E2BIG, -ENOMEM, or the errno of opening a code dir.
 */
int anonexec_new(struct guard *g, const struct ward_domain_rules *rules,
		 const struct ward_state *st, const char *const *code, size_t n_code,
		 struct anonexec **ret, struct ward_diag *d);
/**
 * anonexec_set_listener() - take over @fd, the workload filter's listener.
 * Return: 0, -EEXIST when one is set already, -EINVAL when @fd is no seccomp listener (the
 * caller keeps @fd on error).
 */
int anonexec_set_listener(struct anonexec *a, int fd);
/** anonexec_fd() - the listener to poll for POLLIN, or -1 (none yet, or @a is NULL). */
int anonexec_fd(const struct anonexec *a);
/**
 * anonexec_handle() - read, decide, record and answer one notification: CONTINUE when the
 * caller's executable is named by the policy in force (or the domain audits), else EPERM.
 * Return: 0, or -errno when the listener or the log failed (the caller tears the domain down).
 */
int anonexec_handle(struct anonexec *a, struct ward_diag *d);
void anonexec_free(struct anonexec *a);

/**
 * guard_record_decision() - record and tell a decision taken outside the guard's own events
 * (anonymous executable memory), as the guard does its own: the domain and policy fields are
 * filled in, the first sighting of (verdict, grant, object, path) is appended to the log, the
 * decision callback is called. After guard_activate() nothing is recorded or told and a denial
 * is counted in guard_denied_after(). When the log cannot be written the verdict becomes
 * WARD_DECISION_DENY ("the log cannot be written"), then and for every later grant.
 * @g: the guard.
 * @dec: the decision: verdict, grant, object, path and reason set (updated).
 * @d: diagnostics.
 * Return: 0, or -errno when recording failed (the guard is broken from then on).
 */
int guard_record_decision(struct guard *g, struct ward_decision *dec, struct ward_diag *d);

#endif
