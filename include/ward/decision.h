/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decision records: what the monitor granted or refused, on which grant path, in which domain,
 * under which policy. They travel in the log as IMA ima-buf records named "ward-decision"
 * (d-ng = sha256 of the buffer, buf = canonical JSON), so they are extended into the register
 * like every measurement, and IMA tools (evmctl, Keylime) still parse the log unchanged.
 */
#ifndef WARD_DECISION_H
#define WARD_DECISION_H

#include <stdbool.h>
#include <stdint.h>

#include "ward/evlog.h"
#include "ward/measure.h"

#define WARD_DECISION_NAME "ward-decision"

enum ward_grant {
	WARD_GRANT_EXEC,     /* execve of the main program */
	WARD_GRANT_INTERP,   /* the ELF interpreter (ld.so) or a #! interpreter */
	WARD_GRANT_SHLIB,    /* a shared object mapped executable */
	WARD_GRANT_MMAP,     /* other executable file mappings */
	WARD_GRANT_MPROTECT, /* execute added to an existing mapping */
	WARD_GRANT_OPEN,     /* a file opened from a code mount */
	WARD_GRANT_ANON,     /* anonymous / JIT / memfd executable memory */
	__WARD_GRANT_MAX,
};

enum ward_decision_verdict {
	WARD_DECISION_ALLOW,
	WARD_DECISION_DENY,
	WARD_DECISION_AUDIT, /* would have been denied; allowed because the domain audits */
	__WARD_DECISION_MAX,
};

struct ward_decision {
	enum ward_decision_verdict verdict;
	enum ward_grant grant;
	char domain[64];
	bool has_policy;
	char policy_name[128];
	uint64_t policy_version;
	bool has_object;
	struct ward_digest object;
	char path[WARD_PATH_MAX];
	char reason[256];
};

const char *decision_grant_name(enum ward_grant g);
const char *decision_verdict_name(enum ward_decision_verdict v);

/**
 * decision_record_new() - encode @dec as a ward-decision ima-buf record.
 * @pcr: PCR index.
 * @dec: the decision.
 * @ret: the record.
 *
 * Return: 0, -EINVAL, -E2BIG (buffer above WARD_DECISION_MAX), -ENOMEM.
 */
int decision_record_new(uint32_t pcr, const struct ward_decision *dec, struct ward_evlog_record *ret);

/**
 * decision_from_record() - decode a ward-decision record.
 * @r: a record.
 * @ret: the decision.
 * @d: diagnostics.
 *
 * The buffer must be the canonical encoding of what it decodes to (sorted keys, no spaces,
 * no unknown or duplicate keys), so one decision has exactly one byte string.
 *
 * Return: 0, -ENOENT when @r is not a ward-decision record, -EBADMSG when it is one but
 * malformed.
 */
int decision_from_record(const struct ward_evlog_record *r, struct ward_decision *ret,
			 struct ward_diag *d);

/*
 * The first record of every domain ("ward-domain", also ima-buf with canonical JSON): its id,
 * mode, policy and every opt-in the policy grants it, so a verifier sees under which rules the
 * decisions that follow were taken.
 */
/*
 * Which policy governs a domain or service, beyond its name and version: the sha256 of the
 * policy file, its issuer ("" when unsigned: a file given with --policy without a valid .sig)
 * and whether the domain follows the installed policy (and so switches on `ward policy
 * install` and `revoke`) or keeps the file it was started with.
 */
struct ward_policy_ref {
	uint8_t digest[32];
	char issuer[8 + 64 + 1]; /* "ed25519:<hex>" or "" */
	bool installed;
};

#define WARD_DOMAIN_RECORD_NAME "ward-domain"
#define WARD_DOMAIN_DIRS_MAX 64

/*
 * Domain and service records are version 2: their "policy" names the policy's file digest,
 * issuer and source. Version 1 (written before policies were signed) has only the name and
 * version; it is still read (v = 1, pref left zero), so older logs stay verifiable.
 */
#define WARD_EVENT_RECORD_V 2

struct ward_domain_event {
	unsigned v;	   /* 0 or 2 when writing; what was read */
	char domain[64];
	char mode[16]; /* "enforce", "audit", "measure" */
	bool has_policy;
	char policy_name[128];
	uint64_t policy_version;
	struct ward_policy_ref pref; /* with has_policy */
	bool anon_exec;	   /* anonymous executable memory allowed (JIT opt-in) */
	bool wx_elf;	   /* ELF objects needing W+X memory allowed */
	size_t n_data_dirs; /* non-ELF files below these need no policy entry */
	char *data_dirs[WARD_DOMAIN_DIRS_MAX];
	size_t n_code;
	char *code[WARD_DOMAIN_DIRS_MAX]; /* the code mounts */
};

/**
 * domain_event_record_new() - encode @ev as a ward-domain record.
 * Return: 0, -EINVAL, -E2BIG, -ENOMEM.
 */
int domain_event_record_new(uint32_t pcr, const struct ward_domain_event *ev,
			    struct ward_evlog_record *ret);

/**
 * domain_event_from_record() - decode a ward-domain record (canonical form only).
 * @ret: the event; free its strings with domain_event_free().
 * Return: 0, -ENOENT when @r is not a ward-domain record, -EBADMSG when malformed, -ENOMEM.
 */
int domain_event_from_record(const struct ward_evlog_record *r, struct ward_domain_event *ret,
			     struct ward_diag *d);
void domain_event_free(struct ward_domain_event *ev);

/*
 * A ward-service record: a sandbox service as wardd (or `ward sandbox run`) registered it: its
 * name, the digest of its manifest's bytes, and the rules its sandboxes run under. The code its
 * sandboxes may run follows as ima-ng records and the decisions as ward-decision records whose
 * domain is "svc:NAME". Written once per monitor lifetime, and again when the manifest changes.
 */
#define WARD_SERVICE_RECORD_NAME "ward-service"

struct ward_service_event {
	unsigned v;			/* 0 or 2 when writing; what was read (see ward_domain_event) */
	char service[32];
	char domain[64];		/* "svc:" + service */
	uint8_t manifest_digest[32];	/* sha256 of the manifest's bytes */
	char mode[16];			/* "enforce", "audit", "measure" */
	bool has_policy;
	char policy_name[128];
	uint64_t policy_version;
	struct ward_policy_ref pref; /* with has_policy */
	bool anon_exec;
	bool wx_elf;
};

/** service_event_record_new() - encode @ev. Return: 0, -EINVAL, -E2BIG, -ENOMEM. */
int service_event_record_new(uint32_t pcr, const struct ward_service_event *ev,
			     struct ward_evlog_record *ret);
/**
 * service_event_from_record() - decode a ward-service record (canonical form only).
 * Return: 0, -ENOENT when @r is not one, -EBADMSG when malformed, -ENOMEM.
 */
int service_event_from_record(const struct ward_evlog_record *r, struct ward_service_event *ret,
			      struct ward_diag *d);

/*
 * ward-policy: a transition of a state dir's installed policy (`ward policy install` and
 * `revoke`), so the evidence says which policy was active at every point of the log.
 */
#define WARD_POLICY_RECORD_NAME "ward-policy"

enum ward_policy_action {
	WARD_POLICY_INSTALL, /* "install": no policy was active (none yet, or revoked) */
	WARD_POLICY_UPDATE,  /* "update": it replaces the active policy */
	WARD_POLICY_REVOKE,  /* "revoke": the named policy is withdrawn; everything is denied */
	__WARD_POLICY_ACTION_MAX,
};

struct ward_policy_event {
	enum ward_policy_action action;
	char name[128];
	uint64_t version;
	uint8_t digest[32]; /* sha256 of the policy file */
	char issuer[8 + 64 + 1];
	uint64_t high_water; /* the state dir's high-water mark after the transition */
};

const char *policy_action_name(enum ward_policy_action a);
int policy_event_record_new(uint32_t pcr, const struct ward_policy_event *ev,
			    struct ward_evlog_record *ret);
/** Return: 0, -ENOENT for another record, -EBADMSG when malformed or not canonical. */
int policy_event_from_record(const struct ward_evlog_record *r, struct ward_policy_event *ret,
			     struct ward_diag *d);

#endif
