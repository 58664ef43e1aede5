/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A state dir's installed policy: trusted issuers, the active policy, the high-water mark,
 * transitions (install, update, revoke) and how monitors follow them. Layout, below the state
 * dir (docs/policy-format.md, "Lifecycle"):
 *
 *   policy/             0700
 *     trusted/ID.pub    trusted issuer keys (SubjectPublicKeyInfo PEM), named by key id hex
 *     store/HEX.json    installed policy files, named by their sha256, and HEX.sig
 *     current           the active policy, the high-water mark, the transition's log index
 *     lock              flock(2) held across a transition
 *
 * The log is the authority: a transition's ward-policy record is made durable before
 * `current` is replaced, and opening the state rolls `current` forward to the last ward-policy
 * record in the log, so a crash between the two never leaves the evidence claiming a policy
 * the monitors do not enforce.
 */
#ifndef WARD_POLICY_STATE_H
#define WARD_POLICY_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"
#include "ward/decision.h"
#include "ward/policy.h"
#include "ward/state.h"

enum ward_policy_status {
	WARD_POLICY_NONE,    /* never installed: domains without --policy are measure-only */
	WARD_POLICY_ACTIVE,  /* installed and in force */
	WARD_POLICY_REVOKED, /* withdrawn: every grant is denied until the next install */
};

struct ward_policy_current {
	enum ward_policy_status status;
	char name[WARD_POLICY_NAME_MAX]; /* of the active (or the revoked) policy */
	uint64_t version;
	uint8_t digest[32];
	char issuer[WARD_KEY_ID_STR_MAX];
	uint64_t high_water; /* highest version ever installed here; 0 before the first */
	uint64_t record;     /* log index of the transition's ward-policy record */
	int64_t since;       /* when the transition happened (Unix seconds) */
};

const char *policy_status_name(enum ward_policy_status s);

/**
 * policy_state_current() - the state dir's policy state, rolled forward to the log first.
 * Return: 0 or -errno (malformed `current`: -EBADMSG).
 */
int policy_state_current(struct ward_state *st, struct ward_policy_current *ret,
			 struct ward_diag *d);

/**
 * policy_state_load() - the policy a monitor enforces for @cur: the stored file of an active
 * policy (checked against its digest), or a deny-all policy when revoked.
 * Return: 0, -ENOENT when no policy was ever installed, or -errno.
 */
int policy_state_load(struct ward_state *st, const struct ward_policy_current *cur,
		      struct ward_policy **ret, struct ward_diag *d);

/** policy_deny_all() - an empty policy ("revoked"): every exec and open of code is denied. */
int policy_deny_all(const struct ward_policy_current *cur, struct ward_policy **ret);

/**
 * policy_state_install() - verify and install a policy file.
 * @st: the state dir (opened read-write).
 * @buf, @len: the policy file's bytes.
 * @sig, @siglen: its detached signature.
 * @now: the time the validity window is checked at.
 * @ret: the new state.
 * @d: diagnostics.
 *
 * Checks, in order: the policy parses; it names an issuer that is trusted here; the signature
 * verifies with that key; @now is inside its validity window; its version is above the
 * high-water mark. Then the ward-policy record is appended (durably), the file stored and
 * `current` replaced. Nothing changes on any failure.
 *
 * Return: 0; -EBADMSG malformed policy or signature; -ENOKEY issuer not trusted or none named;
 * -EKEYREJECTED bad signature; -EKEYEXPIRED / -ETIME outside the validity window (expired / not
 * yet valid); -ESTALE version not above the high-water mark; -E2BIG too large; other -errno.
 */
int policy_state_install(struct ward_state *st, const uint8_t *buf, size_t len,
			 const uint8_t *sig, size_t siglen, int64_t now,
			 struct ward_policy_current *ret, struct ward_diag *d);

/**
 * policy_state_revoke() - withdraw the active policy: a ward-policy "revoke" record, then
 * `current` says revoked; monitors that follow the installed policy deny everything.
 * Return: 0, -ENOENT when no policy is active, or -errno.
 */
int policy_state_revoke(struct ward_state *st, struct ward_policy_current *ret,
			struct ward_diag *d);

/**
 * policy_state_verify() - is @sig a valid signature over @buf (the file @p was parsed from) by
 * the issuer @p names, and is that issuer trusted here?
 * Return: 0; -ENOKEY no issuer named or not trusted; -EBADMSG malformed signature;
 * -EKEYREJECTED it does not verify.
 */
int policy_state_verify(struct ward_state *st, const struct ward_policy *p, const uint8_t *buf,
			size_t len, const uint8_t *sig, size_t siglen, struct ward_diag *d);

/**
 * policy_state_trust() - add a trusted issuer key (PEM). @ret_id gets its key id.
 * Return: 0 (also when already trusted), -EBADMSG not an Ed25519 public key, or -errno.
 */
int policy_state_trust(struct ward_state *st, const uint8_t *pem, size_t len,
		       char ret_id[WARD_KEY_ID_STR_MAX], struct ward_diag *d);

/** policy_state_trusted() - the trusted key ids, sorted. Return: count or -errno. */
int policy_state_trusted(struct ward_state *st, char (*ret)[WARD_KEY_ID_STR_MAX], size_t max);

/**
 * policy_state_read_stored() - the bytes of the stored policy file of @digest.
 * Return: 0 or -errno.
 */
int policy_state_read_stored(struct ward_state *st, const uint8_t digest[32], uint8_t **ret_buf,
			     size_t *ret_len);

/**
 * policy_state_for_monitor() - the policy a monitor (ward run, ward sandbox run, wardd) starts
 * with: the file @path when given (its signature @path.sig, when present, must verify with a
 * trusted issuer; without one it is recorded as unsigned), else the state dir's installed
 * policy (deny-all when revoked; *ret NULL when none was ever installed: measure-only).
 * Either must be inside its validity window at @now.
 * @ret_pref: for the records: digest, issuer, installed or file.
 * @ret_status: ACTIVE for a file; the installed status otherwise.
 * Return: 0 or -errno (-EKEYEXPIRED / -ETIME outside the window, -EKEYREJECTED / -ENOKEY for a
 * signature that does not hold), with a message in @d.
 */
int policy_state_for_monitor(struct ward_state *st, const char *path, int64_t now,
			     struct ward_policy **ret, struct ward_policy_ref *ret_pref,
			     enum ward_policy_status *ret_status, struct ward_diag *d);

/**
 * policy_state_watch() - an inotify fd (non-blocking) that becomes readable when `current`
 * is replaced: poll it, drain it, and call policy_state_current() again.
 * Return: the fd or -errno.
 */
int policy_state_watch(struct ward_state *st);

/** policy_state_drain() - read pending inotify events off @fd: was `current` replaced? */
bool policy_state_drain(int fd);

#endif
