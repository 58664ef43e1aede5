/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The evidence bundle, producer side. Every member is either signed (the quote message),
 * covered by what is signed (the log, through the registers), or checked against what the
 * verifier pins (the public key): no member is taken on trust.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup-ossl.h"
#include "ward/attest.h"
#include "ward/verify.h"

int bundle_encode(const struct ward_quote *q, const struct ward_evlog *log, uint64_t first_record,
		  char **ret_json)
{
	_cleanup_free_ char *msg = NULL, *sig = NULL, *data = NULL, *key = NULL;
	_cleanup_json_ json_t *root = NULL;
	struct buf b = { 0 };
	char *text;
	int r;

	r = evlog_write_binary(log, (size_t)first_record, WARD_HASH_SHA256, &b);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	data = b64_encode(b.data, b.len);
	buf_free(&b);
	msg = b64_encode(q->message, q->message_len);
	sig = b64_encode(q->signature, q->signature_len);
	key = malloc(2 * q->public_key_len + 1);
	if (!data || !msg || !sig || !key)
		return -ENOMEM;
	hex_encode(q->public_key, q->public_key_len, key);
	root = json_pack("{s:i, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:I, s:s}}",
			 "ward_evidence", WARD_EVIDENCE_FORMAT,
			 "attester", q->type,
			 "public_key", key,
			 "quote", "message", msg, "signature", sig,
			 "log", "format", "ima-binary-le", "template_digest", "sha256",
			 "first_record", (json_int_t)first_record, "data", data);
	if (!root)
		return -ENOMEM;
	if (strcmp(q->type, "tsm") == 0) {
		/* tsm: the configfs-tsm outblob and auxblob as the kernel returned them */
		_cleanup_free_ char *rep = b64_encode(q->report, q->report_len);
		_cleanup_free_ char *aux = b64_encode(q->aux, q->aux_len);
		json_t *qo = json_object_get(root, "quote");

		if (!q->report || !rep || !aux ||
		    json_object_set_new(qo, "report", json_string(rep)) < 0 ||
		    json_object_set_new(qo, "report_type", json_string(q->root)) < 0 ||
		    json_object_set_new(qo, "aux", json_string(aux)) < 0)
			return q->report ? -ENOMEM : -EINVAL;
	} else if (q->report) {
		/* tpm: the TPM's own structures, as TPM2_Quote returned them */
		_cleanup_free_ char *rep = b64_encode(q->report, q->report_len);
		_cleanup_free_ char *aux = b64_encode(q->aux, q->aux_len);
		json_t *qo = json_object_get(root, "quote");

		if (!rep || !aux || json_object_set_new(qo, "attest", json_string(rep)) < 0 ||
		    json_object_set_new(qo, "ak_public", json_string(aux)) < 0)
			return -ENOMEM;
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return -ENOMEM;
	*ret_json = text;
	return 0;
}
