/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Confidential sandboxes: an integrity domain (ward/domain.h) sealed further, serving one
 * request: private input in, result out, nothing else leaves. A service is a manifest
 * (ward/manifest.h) plus what was measured for it; a sandbox is one run of it.
 *
 * The life of a sandbox: it is built (empty network namespace, fresh root with the declared
 * code and files, a size-capped scratch, its own uid, cgroup limits, seccomp allowlist,
 * Landlock), started, and warmed up until it is ready: it waits for its input on fd 0
 * (activation "stdin") or called ward_sandbox_seal() (activation "api"). Everything measured
 * until then is recorded, once per service (the records are the same for every sandbox of a
 * service, so under wardd the log does not grow per request; a one-shot `ward sandbox run` is a
 * monitor of its own and records its service again). Then it is activated: from that moment the
 * monitor writes no record about it and refuses any code or code-mount file not measured
 * before, its input is delivered, and its output is collected up to the declared cap. It is
 * destroyed after that one request.
 */
#ifndef WARD_SANDBOX_H
#define WARD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/diag.h"
#include "ward/domain.h"
#include "ward/manifest.h"

struct ward_state;
struct ward_evlog_record;

/* How a request ended, as the caller (client) is told. */
enum ward_sandbox_status {
	WARD_SANDBOX_OK,
	WARD_SANDBOX_BAD_REQUEST,	/* malformed request framing */
	WARD_SANDBOX_UNKNOWN_SERVICE,
	WARD_SANDBOX_INPUT_TOO_LARGE,	/* over max_input_bytes */
	WARD_SANDBOX_OUTPUT_TOO_LARGE,	/* over max_output_bytes: no truncated result */
	WARD_SANDBOX_TIMEOUT,		/* over timeout_s */
	WARD_SANDBOX_FAILED,		/* the service exited non-zero, crashed or was denied */
	WARD_SANDBOX_MEMORY,		/* killed by its memory limit */
	WARD_SANDBOX_UNAVAILABLE,	/* no sandbox could be built or warmed up */
	WARD_SANDBOX_DISCONNECTED,	/* the client went away mid-request */
	WARD_SANDBOX_POLICY_CHANGED,	/* the installed policy changed before the result */
	__WARD_SANDBOX_STATUS_MAX,
};

const char *sandbox_status_name(enum ward_sandbox_status s);

/* The most of a service's stderr returned to the client (when its manifest says so). */
#define WARD_SANDBOX_STDERR_MAX (64 * 1024)
/* The most a sandbox may take to become ready. */
#define WARD_SANDBOX_WARMUP_S 60
/* Per-sandbox uids (and gids) are taken from [BASE, BASE + COUNT). */
#define WARD_SANDBOX_UID_BASE 1900000000u
#define WARD_SANDBOX_UID_COUNT 1000000u
/* Digests a service may have measured. */
#define WARD_SANDBOX_KNOWN_MAX (1u << 20)

struct ward_sandbox_result {
	enum ward_sandbox_status status;
	int exit_status;	/* the service's (128 + signal when killed), -1 if it never ran */
	char msg[256];		/* for the client: what went wrong, "" when OK */
	uint8_t *output;	/* the whole result (OK only) */
	size_t output_len;
	uint8_t *errout;	/* the service's stderr, when its manifest returns it */
	size_t errout_len;
	uint64_t input_bytes;
	uint64_t denied_after;	/* objects refused after activation (a count) */
	int conn_fd;		/* under wardd: the client's connection (the caller answers on it
				 * and closes it), else -1 */
};

void sandbox_result_free(struct ward_sandbox_result *r);

/* A service: its manifest, its rules, and what was measured and recorded for it. */
struct ward_sandbox_service {
	struct ward_manifest *m; /* owned */
	enum ward_domain_mode mode;
	const struct ward_policy *policy; /* NULL in WARD_MODE_MEASURE */
	struct ward_policy_ref pref;	  /* which policy file, its issuer, installed or not */
	bool policy_revoked;		  /* @policy is the deny-all of a revoked installed one */
	char domain[64];		  /* "svc:NAME": the domain of its records */
	char *exec_path;		  /* argv[0] resolved on the host (no /etc in a sandbox:
					   * /etc/alternatives links would not resolve there) */
	void *known;			  /* digests measured for it (tsearch) */
	size_t n_known;
	void *recorded;			  /* sha256 of each record written for it (tsearch) */
	size_t n_recorded;
};

/**
 * sandbox_service_init() - register a service: check its manifest against this host (files
 * readable, code dirs present, kernel.core_pattern not a pipe), record its ward-service
 * record, and measure and record the manifest's "measure" paths.
 * @svc: to fill; takes @m over on success.
 * @m: the manifest.
 * @mode: WARD_MODE_MEASURE, or enforce/audit with @policy.
 * @policy: kept by reference. Its sandbox defaults fill the limits @m leaves out.
 * @pref: the policy's digest, issuer and source (NULL without a policy).
 * @st: the state (writable): records go to its log.
 * @d: diagnostics.
 * Return: 0, -EINVAL / -EACCES / -ENOENT for a manifest this host cannot serve, -EPERM for a
 * core_pattern that pipes dumps out, or -errno.
 */
int sandbox_service_init(struct ward_sandbox_service *svc, struct ward_manifest *m,
			 enum ward_domain_mode mode, const struct ward_policy *policy,
			 const struct ward_policy_ref *pref, struct ward_state *st,
			 struct ward_diag *d);
void sandbox_service_free(struct ward_sandbox_service *svc);

/**
 * sandbox_service_append() - write records made for @svc's sandboxes durably to @st, each only
 * the first time (identical records are written once), and remember the digests of the
 * objects they measured.
 * Return: 0 or -errno (nothing remembered then).
 */
int sandbox_service_append(struct ward_sandbox_service *svc, struct ward_state *st,
			   struct ward_evlog_record *recs, size_t n, struct ward_diag *d);
/**
 * sandbox_service_append_flags() - sandbox_service_append() with WARD_APPEND_* @flags: with
 * WARD_APPEND_NOSYNC the records are written (they survive the caller's death) and reach stable
 * storage at the next evlog_store_sync() of @st's log.
 */
int sandbox_service_append_flags(struct ward_sandbox_service *svc, struct ward_state *st,
				 struct ward_evlog_record *recs, size_t n, unsigned flags,
				 struct ward_diag *d);
/** sandbox_service_known() - was @dg measured for @svc? */
bool sandbox_service_known(const struct ward_sandbox_service *svc, const struct ward_digest *dg);

/*
 * Where a sandbox's records and request come from. One-shot (`ward sandbox run`): ctl_fd is -1,
 * records go to the state, the input is read from in_fd until EOF. Under wardd: records go to
 * wardd over ctl_fd (wardd de-duplicates and writes them), and the request (a client
 * connection and the input's length) arrives on ctl_fd once the sandbox said it is ready.
 */
struct ward_sandbox_opts {
	int ctl_fd;
	int in_fd;
	struct ward_state *st; /* the state: one-shot, records go to it; under wardd its
				* settings only */
	/* Called once, as soon as the request's outcome is known, before the sandbox's teardown
	 * (which can take tens of ms): answer the client here. The result is the one sandbox_run
	 * returns (the callee may answer on its conn_fd, not close it). NULL: answer after. */
	void (*respond)(void *ud, const struct ward_sandbox_result *res);
	void *respond_ud;
	/* With a service that follows the installed policy (pref.installed): a transition
	 * during the request fails it (policy-changed): a sandbox lives under one policy. */
	bool follow_policy;
};

/**
 * sandbox_run() - build, warm up, activate and run one sandbox of @svc for one request.
 * @svc: the service.
 * @o: where records and the request come from.
 * @ret: the result (free with sandbox_result_free()); its status says how the request ended.
 * @d: diagnostics for the operator (never client data).
 *
 * Return: 0 when the request ran to an end, whatever @ret's status; -errno when the sandbox
 * could not be built or warmed up (@ret then says WARD_SANDBOX_UNAVAILABLE).
 */
int sandbox_run(struct ward_sandbox_service *svc, const struct ward_sandbox_opts *o,
		struct ward_sandbox_result *ret, struct ward_diag *d);

/** sandbox_uid_sweep() - remove the uid claims of sandboxes whose monitor died (wardd at start). */
void sandbox_uid_sweep(void);

/* ---- the control channel between wardd and a sandbox's monitor (SOCK_SEQPACKET) ---- */

enum ward_sandbox_ctl_type {
	WARD_CTL_RECORDS = 1, /* sandbox -> wardd: records to write; wardd answers ACK */
	WARD_CTL_ACK,	      /* wardd -> sandbox: err (0: durable) */
	WARD_CTL_READY,	      /* sandbox -> wardd: warmed up, waiting for a request */
	WARD_CTL_REQUEST,     /* wardd -> sandbox: a connection (SCM_RIGHTS) and the input length */
	WARD_CTL_RESPONDING,  /* sandbox -> wardd: it starts writing the answer to the client */
	WARD_CTL_DONE,	      /* sandbox -> wardd: the status (a count for wardd's stats) */
};

struct ward_sandbox_ctl_hdr {
	uint32_t type;
	int32_t err;
	uint64_t len; /* REQUEST: input bytes; RECORDS: payload bytes after the header */
};

/**
 * sandbox_ctl_send() - one message: @h, then @len bytes of @payload, with @pass_fd (>= 0) as
 * SCM_RIGHTS. Return: 0 or -errno.
 */
/* A RECORDS message is at most this long. */
#define WARD_SANDBOX_CTL_MAX (512 * 1024)

/**
 * sandbox_ctl_records_decode() - the records of a RECORDS payload (after the header).
 * Return: 0, -EBADMSG, -ENOMEM; @ret_recs has @ret_n records (free each, then the array).
 */
int sandbox_ctl_send(int fd, const struct ward_sandbox_ctl_hdr *h, const void *payload, size_t len,
		     int pass_fd);
/** sandbox_ctl_recv() - one header and the fd it carries (or -1). Return: 0, -ECONNRESET, -EPROTO. */
int sandbox_ctl_recv(int fd, struct ward_sandbox_ctl_hdr *h, int *ret_fd);

int sandbox_ctl_records_decode(const uint8_t *buf, size_t len, struct ward_evlog_record **ret_recs,
			       size_t *ret_n);

#endif
