/* SPDX-License-Identifier: Apache-2.0 */
/* Verification of tsm evidence (configfs-tsm SEV-SNP reports, TDX quotes): internal to verify/. */
#ifndef WARD_VERIFY_TSM_H
#define WARD_VERIFY_TSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "ward/abi/quote.h"
#include "ward/limits.h"
#include "ward/report.h"
#include "ward/verify.h"

#define TSM_CERT_ENTRY_SIZE  24 /* GUID (16) | offset u32 | length u32, little-endian */

/* GUIDs of the GHCB spec (56421, 4.1.8.1), in RFC 4122 byte order as the table holds them. */
extern const uint8_t tsm_guid_vcek[16], tsm_guid_vlek[16], tsm_guid_ask[16], tsm_guid_ark[16];

struct tsm_cert_entry {
	uint8_t guid[16];
	uint32_t offset; /* from the start of the table */
	uint32_t length;
};

/**
 * tsm_cert_table_parse() - a SEV-SNP certificate table (the sev_guest auxblob): entries up to
 * an all-zero one, each pointing at a certificate inside @buf, after the entries; none empty,
 * none repeated, no two overlapping. Bytes after the last certificate are allowed (the kernel
 * hands over whole pages). An empty @buf is a table of no entries.
 * @buf: the table.
 * @len: its length.
 * @ret: room for WARD_TSM_CERT_ENTRIES_MAX entries.
 * @ret_n: entries found.
 * @d: what is wrong and at which offset.
 *
 * Return: 0 or -EBADMSG.
 */
int tsm_cert_table_parse(const uint8_t *buf, size_t len, struct tsm_cert_entry *ret, size_t *ret_n,
			 struct ward_diag *d);

/** tsm_cert_table_find() - the certificate of @guid. Return: 0, -ENOENT, -EBADMSG. */
int tsm_cert_table_find(const uint8_t *buf, size_t len, const uint8_t guid[16], const uint8_t **ret,
			size_t *ret_len, struct ward_diag *d);

struct tsm_evidence {
	const struct ward_quote_msg *msg; /* decoded statement */
	const uint8_t *message;		  /* its bytes */
	size_t message_len;
	const uint8_t *signature; /* Ed25519 by public_key over message */
	size_t signature_len;
	const uint8_t *public_key; /* DER SPKI */
	size_t public_key_len;
	const char *report_type; /* "sev-snp" or "tdx" */
	const uint8_t *report, *aux;
	size_t report_len, aux_len;
};

struct tsm_verdict {
	bool signature_ok;    /* the monitor key signed the statement */
	bool key_bound;	      /* public_key is the statement's bound_key */
	bool report_ok;	      /* the report verifies (signature, chain, TCB, policy) */
	bool report_data_ok;  /* its REPORT_DATA is SHA-512(statement) */
	bool measurement_ok;  /* equals o->tee_measurement (true when none is asked) */
	bool hardware_rooted; /* all of the above */
};

/**
 * verify_tsm() - the checks of tsm evidence that are not the log's: see docs/evidence-format.md
 * section 5. A failed check adds a reason to @reasons (its verdict becomes FAIL).
 * Return: 0; -EBADMSG for a malformed report, certificate table or key; -ENOMEM.
 */
int verify_tsm(const struct tsm_evidence *e, const struct ward_verify_opts *o,
	       struct ward_report_result *reasons, struct tsm_verdict *ret, struct ward_diag *d);

#endif
