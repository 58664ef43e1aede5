/* SPDX-License-Identifier: Apache-2.0 */
/* ward-decision records: canonical JSON in an ima-buf record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/decision.h"

static const char *const grant_names[__WARD_GRANT_MAX] = {
	[WARD_GRANT_EXEC] = "exec",	    [WARD_GRANT_INTERP] = "interpreter",
	[WARD_GRANT_SHLIB] = "shared-object", [WARD_GRANT_MMAP] = "mmap",
	[WARD_GRANT_MPROTECT] = "mprotect", [WARD_GRANT_OPEN] = "open",
	[WARD_GRANT_ANON] = "anonymous",
};

static const char *const verdict_names[__WARD_DECISION_MAX] = {
	[WARD_DECISION_ALLOW] = "allow",
	[WARD_DECISION_DENY] = "deny",
	[WARD_DECISION_AUDIT] = "audit",
};

const char *decision_grant_name(enum ward_grant g)
{
	return (unsigned)g < __WARD_GRANT_MAX ? grant_names[g] : NULL;
}

const char *decision_verdict_name(enum ward_decision_verdict v)
{
	return (unsigned)v < __WARD_DECISION_MAX ? verdict_names[v] : NULL;
}

static json_t *decision_json(const struct ward_decision *dec)
{
	_cleanup_json_ json_t *o = json_object();
	char ds[WARD_DIGEST_STR_MAX];

	if (!o || !decision_grant_name(dec->grant) || !decision_verdict_name(dec->verdict))
		return NULL;
	if (json_object_set_new(o, "v", json_integer(1)) < 0 ||
	    json_object_set_new(o, "verdict", json_string(verdict_names[dec->verdict])) < 0 ||
	    json_object_set_new(o, "grant", json_string(grant_names[dec->grant])) < 0 ||
	    json_object_set_new(o, "domain", json_string(dec->domain)) < 0 ||
	    json_object_set_new(o, "path", json_string(dec->path)) < 0 ||
	    json_object_set_new(o, "reason", json_string(dec->reason)) < 0)
		return NULL;
	if (dec->has_object) {
		measure_digest_format(&dec->object, ds);
		if (json_object_set_new(o, "object", json_string(ds)) < 0)
			return NULL;
	}
	if (dec->has_policy &&
	    json_object_set_new(o, "policy", json_pack("{s:s, s:I}", "name", dec->policy_name,
						       "version", (json_int_t)dec->policy_version)) < 0)
		return NULL;
	return TAKE_PTR(o);
}

int decision_record_new(uint32_t pcr, const struct ward_decision *dec, struct ward_evlog_record *ret)
{
	_cleanup_json_ json_t *o = decision_json(dec);
	_cleanup_free_ char *text = NULL;
	size_t n;

	if (!o)
		return -EINVAL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	if (n > WARD_DECISION_MAX)
		return -E2BIG;
	return evlog_record_new_buf(pcr, WARD_DECISION_NAME, (const uint8_t *)text, (uint32_t)n, ret);
}

static int copy_str(json_t *o, const char *key, char *out, size_t max, struct ward_diag *d)
{
	const char *s;
	int r = json_req_string(o, key, "ward-decision", &s, d);

	if (r < 0)
		return r;
	if (strlen(s) >= max)
		return diag_set(d, -EBADMSG, "ward-decision: \"%s\" too long", key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int decision_from_record(const struct ward_evlog_record *r, struct ward_decision *ret,
			 struct ward_diag *d)
{
	static const char *const keys[] = { "v", "verdict", "grant", "domain", "path", "reason",
					    "object", "policy", NULL };
	static const char *const pkeys[] = { "name", "version", NULL };
	_cleanup_json_ json_t *o = NULL, *again = NULL;
	_cleanup_free_ char *canon = NULL;
	struct ward_decision dec = { 0 };
	const char *name = evlog_record_name(r), *s;
	const uint8_t *buf;
	uint32_t len;
	uint64_t v;
	json_t *pol;
	int rc;
	unsigned i;

	buf = evlog_record_field(r, WARD_TF_BUF, &len);
	if (!buf || !name || strcmp(name, WARD_DECISION_NAME) != 0)
		return -ENOENT;
	if (len > WARD_DECISION_MAX)
		return diag_set(d, -EBADMSG, "ward-decision: buffer too large");
	if ((rc = json_parse_strict(buf, len, "ward-decision", &o, d)) < 0 ||
	    (rc = json_only_keys(o, keys, "ward-decision", d)) < 0 ||
	    (rc = json_req_u64(o, "v", "ward-decision", &v, d)) < 0)
		return rc;
	if (v != 1)
		return diag_set(d, -EBADMSG, "ward-decision: version %llu", (unsigned long long)v);
	if ((rc = json_req_string(o, "verdict", "ward-decision", &s, d)) < 0)
		return rc;
	for (i = 0; i < __WARD_DECISION_MAX && strcmp(s, verdict_names[i]); i++)
		;
	if (i == __WARD_DECISION_MAX)
		return diag_set(d, -EBADMSG, "ward-decision: unknown verdict \"%s\"", s);
	dec.verdict = i;
	if ((rc = json_req_string(o, "grant", "ward-decision", &s, d)) < 0)
		return rc;
	for (i = 0; i < __WARD_GRANT_MAX && strcmp(s, grant_names[i]); i++)
		;
	if (i == __WARD_GRANT_MAX)
		return diag_set(d, -EBADMSG, "ward-decision: unknown grant path \"%s\"", s);
	dec.grant = i;
	if ((rc = copy_str(o, "domain", dec.domain, sizeof(dec.domain), d)) < 0 ||
	    (rc = copy_str(o, "path", dec.path, sizeof(dec.path), d)) < 0 ||
	    (rc = copy_str(o, "reason", dec.reason, sizeof(dec.reason), d)) < 0)
		return rc;
	if (json_object_get(o, "object")) {
		if ((rc = json_req_string(o, "object", "ward-decision", &s, d)) < 0)
			return rc;
		if (measure_digest_parse(s, &dec.object) < 0)
			return diag_set(d, -EBADMSG, "ward-decision: bad object digest");
		dec.has_object = true;
	}
	pol = json_object_get(o, "policy");
	if (pol) {
		if ((rc = json_only_keys(pol, pkeys, "ward-decision policy", d)) < 0 ||
		    (rc = copy_str(pol, "name", dec.policy_name, sizeof(dec.policy_name), d)) < 0 ||
		    (rc = json_req_u64(pol, "version", "ward-decision policy", &dec.policy_version, d)) < 0)
			return rc;
		dec.has_policy = true;
	}
	/* One decision, one byte string: the buffer must be its canonical encoding. */
	again = decision_json(&dec);
	canon = again ? json_dumps(again, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!canon)
		return -ENOMEM;
	if (strlen(canon) != len || memcmp(canon, buf, len) != 0)
		return diag_set(d, -EBADMSG, "ward-decision: not in canonical form");
	*ret = dec;
	return 0;
}
