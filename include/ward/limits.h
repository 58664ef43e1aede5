/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every quantity that an attacker, a log or a policy controls has its bound here, so that a
 * reviewer can see in one place how much memory and time hostile input may cost.
 */
#ifndef WARD_LIMITS_H
#define WARD_LIMITS_H

/* A path recorded in the log (n-ng field), including its terminating NUL. */
#define WARD_PATH_MAX 4096
/* A template name such as "ima-sig" or a custom field list such as "d-ng|n-ng|sig". */
#define WARD_TEMPLATE_NAME_MAX 256
/* Fields in one template: the kernel's largest built-in template (evm-sig) has 9. */
#define WARD_TEMPLATE_FIELDS_MAX 16
/* The template data of one record; ima-buf records carry certificates, a few KiB. */
#define WARD_TEMPLATE_DATA_MAX (1u << 20)
/* Records in one log, kernel's or ward's. */
#define WARD_LOG_RECORDS_MAX (16u << 20)
/* A log file read whole (replay, evidence): 1 GiB. */
#define WARD_LOG_FILE_MAX (1ull << 30)
/* An evidence bundle (JSON, log inside in base64). */
#define WARD_EVIDENCE_MAX (1536ull << 20)
/* A verifier nonce, in bytes (given as 2..128 hex digits). */
#define WARD_NONCE_MAX 64
/* A policy or allowlist file. */
#define WARD_POLICY_FILE_MAX (256u << 20)
/* Entries in one allowlist. */
#define WARD_POLICY_ENTRIES_MAX (4u << 20)
/* Data dirs in one policy's domain settings. */
#define WARD_POLICY_DATA_DIRS_MAX 256
/* A PEM public key given on the command line. */
#define WARD_PEM_MAX (64u << 10)
/* Keys pinned with --soft-key. */
#define WARD_PINNED_KEYS_MAX 64
/* Records appended in one group commit. */
#define WARD_APPEND_BATCH_MAX 4096
/* A ward-decision buffer. */
#define WARD_DECISION_MAX (8u << 10)

/* --code dirs (besides /usr) and binds of one domain. */
#define WARD_DOMAIN_CODE_MAX 64
/* A policy's name, bytes with the NUL (it is copied into every decision record). */
#define WARD_POLICY_NAME_MAX 128
#define WARD_DOMAIN_BINDS_MAX 256
/* Verified files whose ignore mark (and the lease that guards it) a monitor keeps; beyond it,
 * files are verified on every open. */
#define WARD_DOMAIN_CACHE_MAX 65536
/* Distinct (object, path, grant path) triples a monitor records; beyond it, the monitor
 * stops granting (it could no longer tell what it already recorded). */
#define WARD_DOMAIN_SEEN_MAX (4u << 20)

/* A configfs-tsm outblob or auxblob (the kernel caps them at 32 KiB; a DICE TDX quote fits). */
#define WARD_TSM_BLOB_MAX (64u << 10)
/* Entries of a SEV-SNP certificate table (auxblob); AMD defines four. */
#define WARD_TSM_CERT_ENTRIES_MAX 64

#endif
