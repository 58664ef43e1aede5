/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Offline verification of an evidence bundle (docs/evidence-format.md): the attester's
 * signature over the quote message, the verifier's nonce, the log replayed to the attested
 * registers, and every measured object against reference values. This module and what it
 * links (evlog, policy, measure, core) is everything a client needs: it never depends on
 * enforcement code.
 */
#ifndef WARD_VERIFY_H
#define WARD_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/diag.h"
#include "ward/abi/quote.h"
#include "ward/decision.h"
#include "ward/evlog.h"
#include "ward/policy.h"
#include "ward/verdict.h"

#define WARD_EVIDENCE_FORMAT 1

/* The state a verifier keeps between incremental verifications of one log. */
struct ward_verify_prior {
	uint64_t records;
	uint32_t pcr;
	unsigned banks;
	uint8_t reg[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE];
	uint8_t public_key[128]; /* DER SPKI of the attester that signed it */
	size_t public_key_len;
};

struct ward_verify_opts {
	const uint8_t *nonce;
	size_t nonce_len;
	EVP_PKEY *const *soft_keys; /* pinned soft attester keys */
	size_t n_soft_keys;
	EVP_PKEY *const *ak_keys; /* pinned TPM attestation keys */
	size_t n_ak_keys;
	/* A client of the attested channel: the statement must carry WARD_QUOTE_CHANNEL (and
	 * without this, must not: channel statements are not `ward evidence`). */
	bool channel;
	const struct ward_policy *policy; /* reference values, or NULL */
	const struct ward_verify_prior *prior; /* for evidence that starts past record 0 */
	const uint8_t *manifest_digest; /* 32 bytes: a ward-service record must name it, or NULL */
	/* Policy requirements, checked when either is set: every policy that governs code in the
	 * evidence (each domain's and service's own policy file, and the installed policy at the
	 * end of the log) must have at least this version, and be signed by this issuer. */
	bool check_min_version;
	uint64_t min_policy_version;
	const char *policy_issuer; /* key id "ed25519:<hex>", or NULL */
	/* tsm evidence (SEV-SNP reports, TDX quotes) */
	bool allow_debug; /* accept a debuggable guest or TD */
	int64_t now;	  /* certificates are checked at this time (Unix seconds); 0: now */
	const uint8_t *tee_measurement; /* expected SNP MEASUREMENT or TDX MRTD (48 bytes), or NULL */
	size_t tee_measurement_len;
};

/* The installed policy as the evidence last states it. */
struct ward_verify_installed {
	bool known;	/* a ward-policy record, or a domain/service following the installed one */
	bool revoked;	/* the last transition was a revocation */
	bool from_transition; /* known from a ward-policy record (else from a domain's record) */
	uint64_t record;
	char name[128];
	uint64_t version;
	uint8_t digest[32];
	char issuer[8 + 64 + 1];
};

struct ward_verify_object {
	char digest[WARD_DIGEST_STR_MAX];
	char *path;
};

/* One object of a service's code: what its sandboxes were let run or read from a code mount. */
struct ward_verify_service_object {
	char digest[WARD_DIGEST_STR_MAX];
	char *path;
	bool audit;	  /* allowed only because the service audits (a policy would deny it) */
	bool registered; /* measured when the service registered ("measure"), no decision */
};

/*
 * A service registration (one ward-service record) and the code measured for it: the ima-ng
 * records that directly follow its record (its manifest's "measure" paths), and every object
 * an allow or audit decision of domain "svc:NAME" names until the next registration of NAME.
 * Decisions of a service whose record lies before the evidence's first record make an entry
 * without a record (has_record false, ev holds only service and domain).
 */
struct ward_verify_service {
	bool has_record;
	uint64_t record; /* index of its ward-service record in the whole log */
	struct ward_service_event ev;
	struct ward_verify_service_object *code;
	size_t n_code;
	size_t denied; /* decisions that refused an object to its sandboxes */
	void *seen;    /* tsearch tree of "digest path" over code (internal) */
};

struct ward_verify_result {
	enum ward_verdict verdict;
	struct ward_quote_msg msg; /* the attested statement (valid once decoded) */
	bool msg_decoded;
	bool hardware_rooted; /* tpm evidence from a TPM that is not a software TPM */
	bool key_pinned, signature_ok, nonce_ok, log_ok, registers_ok, policy_ok;
	bool tpm_pcr_ok; /* tpm: the quoted PCR digest is that of the statement's registers */
	struct ward_evlog log; /* the records the evidence carried */
	size_t objects;	       /* measured objects (file digests) in the log */
	struct ward_verify_object *unknown; /* objects outside the reference values */
	size_t n_unknown;
	size_t decisions_allow, decisions_deny, decisions_audit;
	/* ward-domain records: domains started, by mode, and the opt-ins their policies gave */
	size_t domains, domains_enforce, domains_audit, domains_measure;
	size_t domains_anon_exec, domains_wx_elf, domains_data_dirs;
	/* ward-service records, in log order, with the code measured for each */
	struct ward_verify_service *services;
	size_t n_services;
	bool manifest_ok; /* opts.manifest_digest: a ward-service record names it */
	size_t policy_transitions; /* ward-policy records */
	struct ward_verify_installed installed;
	bool installed_followed; /* a domain or service followed the installed policy */
	bool policy_req_ok; /* the policy requirements of the options hold (true when none) */
	char **reasons; /* one sentence per failed check, in order */
	size_t n_reasons;
	struct ward_verify_prior next; /* state to keep for the next incremental verification */
	uint8_t public_key[128];
	size_t public_key_len;
};

/**
 * verify_evidence() - verify an evidence bundle.
 * @buf: the bundle (JSON).
 * @len: its length.
 * @o: what to hold it to.
 * @ret: the result (release with verify_result_clear(), also after an error).
 * @d: diagnostics for malformed input.
 *
 * A verdict is returned in @ret->verdict with every reason; an error means the bundle could not
 * be judged at all.
 *
 * Return: 0, -EBADMSG for a malformed bundle (JSON, encodings, log structure), -EOPNOTSUPP for
 * an attester type this build cannot verify, -EINVAL for a tee_measurement that is not 48
 * bytes, -ENOMEM.
 */
int verify_evidence(const uint8_t *buf, size_t len, const struct ward_verify_opts *o,
		    struct ward_verify_result *ret, struct ward_diag *d);

void verify_result_clear(struct ward_verify_result *r);

/**
 * verify_prior_parse() - read the "state" a previous `ward verify --json` printed.
 * @buf: JSON: the whole verify output (its "state" member is used, and it must say trusted) or
 *       the state object alone.
 * @len: its length.
 * @ret: the state.
 * @d: diagnostics.
 *
 * Return: 0 or -EBADMSG.
 */
int verify_prior_parse(const uint8_t *buf, size_t len, struct ward_verify_prior *ret,
		       struct ward_diag *d);

/** verify_load_pubkey_pem() - an Ed25519 public key from PEM text. Return: 0 or -EBADMSG. */
int verify_load_pubkey_pem(const uint8_t *pem, size_t len, EVP_PKEY **ret, struct ward_diag *d);

/**
 * verify_load_ak_pem() - a TPM attestation key (ECC or RSA public key) from PEM text, as
 * `ward attester pubkey` prints it for a tpm state dir. Return: 0 or -EBADMSG.
 */
int verify_load_ak_pem(const uint8_t *pem, size_t len, EVP_PKEY **ret, struct ward_diag *d);

/* Evidence bundle encoding (the producer side; shares this module's format definitions). */
struct ward_quote;
/**
 * bundle_encode() - the evidence JSON for a quote and the log records from @first_record on.
 * @q: the attester's quote.
 * @log: the log.
 * @first_record: first record carried.
 * @ret_json: malloc'd JSON text.
 *
 * Return: 0, -ENOMEM, -EIO.
 */
int bundle_encode(const struct ward_quote *q, const struct ward_evlog *log, uint64_t first_record,
		  char **ret_json);

#endif
