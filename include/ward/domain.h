/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integrity domains: a workload run in its own mount, PID, IPC and UTS namespaces, where only
 * read-only code mounts are executable and every file opened from them is measured and checked
 * by the monitor before the kernel lets the open (or exec) proceed. The design and the bypasses
 * it closes are in docs/architecture.md and docs/threat-model.md.
 */
#ifndef WARD_DOMAIN_H
#define WARD_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/diag.h"
#include "ward/decision.h"
#include "ward/elf.h"
#include "ward/measure.h"
#include "ward/policy.h"

#define WARD_DOMAIN_ID_MAX 32

enum ward_domain_mode {
	WARD_MODE_ENFORCE, /* a policy is in force: what it does not allow is denied */
	WARD_MODE_AUDIT,   /* a policy is checked: what it would deny is recorded, not denied */
	WARD_MODE_MEASURE, /* no policy: everything is measured; only structural rules deny */
	__WARD_MODE_MAX,
};

const char *domain_mode_name(enum ward_domain_mode m);

/* What the monitor learnt about one object opened from a code mount. */
struct ward_object_facts {
	bool exec;		      /* FAN_OPEN_EXEC_PERM: execve, execveat, the ELF interpreter */
	const char *path;	      /* as seen in the domain */
	bool regular;		      /* a regular file */
	const char *unverified;	      /* why the file or a directory above it is not trusted
				       * (owner, mode), or NULL */
	bool writer;		      /* someone has it open for writing (it can change after
				       * it is measured) */
	int measure_err;	      /* 0, or the -errno measuring (or inspecting) it failed with */
	struct ward_digest digest;    /* in the policy's algorithm, when measure_err == 0 */
	int elf_err;		      /* 0, or -EBADMSG: has the ELF magic but malformed headers */
	struct ward_elf_info elf;
};

struct ward_domain_rules {
	enum ward_domain_mode mode;
	const struct ward_policy *policy; /* NULL in WARD_MODE_MEASURE */
	struct ward_policy_ref pref;      /* the policy's digest, issuer and source, for records */
};

/**
 * domain_decide() - the verdict on one object. Pure: no syscalls.
 * @rules: mode and policy.
 * @obj: the facts.
 * @ret_reason: why (for records and messages), at least 256 bytes; "" when allowed plainly.
 *
 * Rules, in order: an object that could not be measured is denied in every mode (fail
 * closed). Structural rules (not a regular file, open for writing somewhere, a malformed ELF,
 * an ELF needing writable-executable memory without the policy's opt-in) deny in enforce and
 * measure-only mode. The allowlist (an exec needs an entry; an open needs one unless it is a non-ELF file
 * below a policy data dir; the file and its directories must be root-owned and not writable by
 * group or other) denies in enforce mode only. Audit mode turns every denial but the first
 * into WARD_DECISION_AUDIT.
 *
 * Return: the verdict.
 */
enum ward_decision_verdict domain_decide(const struct ward_domain_rules *rules,
					 const struct ward_object_facts *obj, char *ret_reason);

struct ward_domain_bind {
	const char *src; /* a host path */
	const char *dst; /* where it appears in the domain (absolute) */
	bool ro;
};

struct ward_state;
struct ward_evlog_record;
struct pollfd;

/* At most this many fds from a sandbox's poll_fds hook. */
#define WARD_DOMAIN_HOOK_FDS 8

/* The running domain, as its hooks see it (struct ward_domain_sandbox). */
struct ward_domain_ctl;

/** domain_ctl_workload_pid() - CMD's pid on the host, or -1 while it is not known. */
pid_t domain_ctl_workload_pid(struct ward_domain_ctl *ctl);
/** domain_ctl_exec_done() - CMD's execve has happened (or failed). */
bool domain_ctl_exec_done(const struct ward_domain_ctl *ctl);
/**
 * domain_ctl_activate() - from now on the guard writes no record and tells no callback, and
 * an object whose digest was not measured before (struct ward_domain_sandbox.known) is denied:
 * nothing the domain does after its private input arrives reaches the log.
 */
void domain_ctl_activate(struct ward_domain_ctl *ctl);
/** domain_ctl_kill() - kill every process of the domain (the run ends as the keeper reports). */
void domain_ctl_kill(struct ward_domain_ctl *ctl);
/** domain_ctl_denied_after() - objects denied after activation (a count, nothing more). */
uint64_t domain_ctl_denied_after(const struct ward_domain_ctl *ctl);
/** domain_ctl_oom_kills() - tasks the sandbox's memory limit killed (cgroup v1), 0 if unknown. */
uint64_t domain_ctl_oom_kills(const struct ward_domain_ctl *ctl);

/*
 * What turns a domain into a sealed sandbox (src/sandbox/). Every field is enforced by
 * domain_run() in the domain itself; the hooks let the sandbox layer drive its I/O from the
 * monitor's event loop.
 */
struct ward_domain_sandbox {
	uint64_t memory_bytes;	/* memory cgroup limit (and swap limit: no swap), RLIMIT_MEMLOCK */
	uint32_t tasks;		/* pids cgroup limit (the workload's tasks) and RLIMIT_NPROC */
	uint32_t cpu_percent;	/* CPU bandwidth, 100 = one CPU */
	uint64_t scratch_bytes; /* size of the private /tmp (no /dev/shm at all) */
	bool allow_fork;	/* seccomp lets it create processes */
	char *const *envp;	/* CMD's whole environment */
	int stdio[3];		/* CMD's fds 0..2 (taken over: closed by domain_run) */
	int api_fd;		/* CMD's fd 3 (taken over), or -1 */
	const char *record_domain; /* the domain field of its records (no per-run start record) */
	/* The record sink instead of the state dir: the records must be durable on return 0. */
	int (*append)(void *ud, struct ward_evlog_record *recs, size_t n, struct ward_diag *d);
	/* Was this digest (the state's file algorithm) measured before activation? */
	bool (*known)(void *ud, const struct ward_digest *dg);
	/* The monitor loop polls these too; @timeout_ms may be lowered. Return: how many. */
	size_t (*poll_fds)(void *ud, struct pollfd *p, size_t max, int *timeout_ms);
	/* After every wake-up. Return: 0, or -errno to tear the domain down (domain_run fails). */
	int (*on_poll)(void *ud, struct ward_domain_ctl *ctl, const struct pollfd *p, size_t n,
		       struct ward_diag *d);
	/* As soon as CMD itself has ended (the init reaped it), before the rest of the domain is
	 * gone: processes it forked may still run until the init's end. @status as on_end's. */
	void (*on_cmd_end)(void *ud, struct ward_domain_ctl *ctl, int status);
	/* As soon as the domain's status is known (every domain process is gone), before the
	 * teardown: @status as domain_run's ret_status. */
	void (*on_end)(void *ud, struct ward_domain_ctl *ctl, int status);
	void *ud;
};

/* What the monitor did, for --stats. */
struct ward_domain_stats {
	uint64_t events;       /* permission events answered */
	uint64_t allowed, denied, audited;
	uint64_t cached;       /* grants cached in the kernel (no event on later opens) */
	uint64_t hashed_bytes; /* bytes measured */
	uint64_t lease_breaks; /* cached files someone opened for writing */
	uint64_t reused;       /* events answered from an earlier measurement of the inode */
	uint64_t denied_after; /* sandbox: objects refused after activation */
	uint64_t oom_kills;    /* sandbox: tasks its memory limit killed (cgroup v1) */
};

struct ward_domain_spec {
	enum ward_domain_mode mode;
	const struct ward_policy *policy; /* required unless WARD_MODE_MEASURE */
	/* Its file's digest, its verified issuer ("" unsigned) and whether it is the state dir's
	 * installed policy. With pref.installed the monitor follows `ward policy install` and
	 * `revoke` (policy-state.h): it switches between two events, flushing its verdict
	 * cache, to the new policy (or to deny-all); @policy stays the caller's. */
	struct ward_policy_ref pref;
	bool audit_forced; /* --audit: audit mode whatever the installed policy says */
	bool policy_revoked; /* @policy is the deny-all of a revoked installed policy */
	bool follow_policy;  /* with pref.installed: switch on install and revoke (see above) */
	/* Called after each switch: @p the new policy (deny-all when @active is false), @error
	 * why the switch fell back to deny-all, or NULL. */
	void (*on_policy)(void *ud, struct ward_domain_ctl *ctl, const struct ward_policy *p,
			  bool active, const char *error);
	const char *const *code;	  /* --code dirs, as given (besides /usr) */
	size_t n_code;
	const struct ward_domain_bind *binds;
	size_t n_binds;
	bool set_ids; /* run as uid:gid instead of uid 0 (always without capabilities) */
	uid_t uid;
	gid_t gid;
	char *const *argv; /* CMD and its arguments; CMD is looked up in the domain's PATH */
	const char *exec_path; /* what to execute instead of looking argv[0] up, or NULL */
	/* Called for every decision (first: recorded now; false: seen and recorded before). */
	void (*on_decision)(void *ud, const struct ward_decision *dec, bool first);
	/* Called when CMD itself could not be executed in the domain (-errno). */
	void (*on_exec_failed)(void *ud, const char *cmd, int err);
	void *userdata;
	struct ward_domain_stats *stats; /* filled when the domain ends, or NULL */
	const struct ward_domain_sandbox *sandbox; /* NULL for a plain integrity domain */
};

/**
 * domain_run() - run @spec->argv in a new integrity domain and monitor it until it exits.
 * @spec: what to run and how.
 * @st: the state dir (opened writable): every record goes to its log.
 * @ret_status: CMD's exit status (128 + signal when killed by one; 126 when CMD could not be
 *              executed: denied, or not on a code mount; 127 when not found).
 * @ret_id: the domain's id (at least WARD_DOMAIN_ID_MAX bytes), or NULL.
 * @d: diagnostics when ward itself fails.
 *
 * The calling process is the monitor: it must be root, single-threaded, and keep running;
 * if it dies, the keeper kills every domain process before any pending grant can go through.
 *
 * Return: 0 when CMD ran to its end (whatever its status), -EINVAL for a bad @spec (overlapping
 * code dirs and binds, untrusted code dirs, ...), or -errno when the domain could not be built
 * or monitored (the domain is then torn down).
 */
int domain_run(const struct ward_domain_spec *spec, struct ward_state *st, int *ret_status,
	       char *ret_id, struct ward_diag *d);

#endif
