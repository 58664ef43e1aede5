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

/* A ward event record: ima-buf named @name holding the canonical encoding of @o (taken). */
static int event_record_new(uint32_t pcr, const char *name, json_t *o, struct ward_evlog_record *ret)
{
	_cleanup_json_ json_t *owned = o;
	_cleanup_free_ char *text = NULL;
	size_t n;

	if (!owned)
		return -EINVAL;
	text = json_dumps(owned, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	if (n > WARD_DECISION_MAX)
		return -E2BIG;
	return evlog_record_new_buf(pcr, name, (const uint8_t *)text, (uint32_t)n, ret);
}

int decision_record_new(uint32_t pcr, const struct ward_decision *dec, struct ward_evlog_record *ret)
{
	return event_record_new(pcr, WARD_DECISION_NAME, decision_json(dec), ret);
}

static int copy_str_of(const char *rec, json_t *o, const char *key, char *out, size_t max,
		       struct ward_diag *d)
{
	const char *s;
	int r = json_req_string(o, key, rec, &s, d);

	if (r < 0)
		return r;
	if (strlen(s) >= max)
		return diag_set(d, -EBADMSG, "%s: \"%s\" too long", rec, key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/*
 * The JSON object of a ward event record named @name: -ENOENT when @r is another record, else
 * its buffer parsed strictly, with only @keys and "v" == 1. Returns the buffer too, for the
 * canonical-form check.
 */
static int event_json(const struct ward_evlog_record *r, const char *name,
		      const char *const *keys, json_t **ret, const uint8_t **ret_buf,
		      uint32_t *ret_len, struct ward_diag *d)
{
	_cleanup_json_ json_t *o = NULL;
	const char *rn = evlog_record_name(r);
	const uint8_t *buf;
	uint32_t len;
	uint64_t v;
	int rc;

	buf = evlog_record_field(r, WARD_TF_BUF, &len);
	if (!buf || !rn || strcmp(rn, name) != 0)
		return -ENOENT;
	if (len > WARD_DECISION_MAX)
		return diag_set(d, -EBADMSG, "%s: buffer too large", name);
	if ((rc = json_parse_strict(buf, len, name, &o, d)) < 0 ||
	    (rc = json_only_keys(o, keys, name, d)) < 0 ||
	    (rc = json_req_u64(o, "v", name, &v, d)) < 0)
		return rc;
	if (v != 1)
		return diag_set(d, -EBADMSG, "%s: version %llu", name, (unsigned long long)v);
	*ret = TAKE_PTR(o);
	*ret_buf = buf;
	*ret_len = len;
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
	const uint8_t *buf;
	const char *s;
	uint32_t len;
	json_t *pol;
	int rc;
	unsigned i;

	if ((rc = event_json(r, WARD_DECISION_NAME, keys, &o, &buf, &len, d)) < 0)
		return rc;
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
	if ((rc = copy_str_of(WARD_DECISION_NAME, o, "domain", dec.domain, sizeof(dec.domain), d)) < 0 ||
	    (rc = copy_str_of(WARD_DECISION_NAME, o, "path", dec.path, sizeof(dec.path), d)) < 0 ||
	    (rc = copy_str_of(WARD_DECISION_NAME, o, "reason", dec.reason, sizeof(dec.reason), d)) < 0)
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
		    (rc = copy_str_of(WARD_DECISION_NAME, pol, "name", dec.policy_name, sizeof(dec.policy_name), d)) < 0 ||
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

static json_t *domain_event_json(const struct ward_domain_event *ev)
{
	_cleanup_json_ json_t *o = json_object(), *dd = json_array(), *code = json_array();

	if (!o || !dd || !code || ev->n_data_dirs > WARD_DOMAIN_DIRS_MAX ||
	    ev->n_code > WARD_DOMAIN_DIRS_MAX)
		return NULL;
	for (size_t i = 0; i < ev->n_data_dirs; i++)
		if (json_array_append_new(dd, json_string(ev->data_dirs[i])) < 0)
			return NULL;
	for (size_t i = 0; i < ev->n_code; i++)
		if (json_array_append_new(code, json_string(ev->code[i])) < 0)
			return NULL;
	if (json_object_set_new(o, "v", json_integer(1)) < 0 ||
	    json_object_set_new(o, "domain", json_string(ev->domain)) < 0 ||
	    json_object_set_new(o, "mode", json_string(ev->mode)) < 0 ||
	    json_object_set_new(o, "anon_exec", json_boolean(ev->anon_exec)) < 0 ||
	    json_object_set_new(o, "wx_elf", json_boolean(ev->wx_elf)) < 0 ||
	    json_object_set(o, "data_dirs", dd) < 0 || json_object_set(o, "code", code) < 0)
		return NULL;
	if (ev->has_policy &&
	    json_object_set_new(o, "policy", json_pack("{s:s, s:I}", "name", ev->policy_name,
						       "version", (json_int_t)ev->policy_version)) < 0)
		return NULL;
	return TAKE_PTR(o);
}

int domain_event_record_new(uint32_t pcr, const struct ward_domain_event *ev,
			    struct ward_evlog_record *ret)
{
	return event_record_new(pcr, WARD_DOMAIN_RECORD_NAME, domain_event_json(ev), ret);
}

void domain_event_free(struct ward_domain_event *ev)
{
	for (size_t i = 0; i < ev->n_data_dirs; i++)
		free(ev->data_dirs[i]);
	for (size_t i = 0; i < ev->n_code; i++)
		free(ev->code[i]);
	ev->n_data_dirs = ev->n_code = 0;
}

static int str_list(json_t *o, const char *key, char **out, size_t *n, struct ward_diag *d)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > WARD_DOMAIN_DIRS_MAX)
		return diag_set(d, -EBADMSG, "ward-domain: \"%s\" must be an array of at most %d",
				key, WARD_DOMAIN_DIRS_MAX);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return diag_set(d, -EBADMSG, "ward-domain: \"%s\" holds a non-string", key);
		out[*n] = strdup(json_string_value(v));
		if (!out[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

int domain_event_from_record(const struct ward_evlog_record *r, struct ward_domain_event *ret,
			     struct ward_diag *d)
{
	static const char *const keys[] = { "v", "domain", "mode", "anon_exec", "wx_elf",
					    "data_dirs", "code", "policy", NULL };
	static const char *const pkeys[] = { "name", "version", NULL };
	_cleanup_json_ json_t *o = NULL, *again = NULL;
	_cleanup_free_ char *canon = NULL;
	struct ward_domain_event ev = { 0 };
	const uint8_t *buf;
	const char *s;
	json_t *pol, *b;
	uint32_t len;
	int rc;

	if ((rc = event_json(r, WARD_DOMAIN_RECORD_NAME, keys, &o, &buf, &len, d)) < 0)
		return rc;
	if ((rc = json_req_string(o, "domain", "ward-domain", &s, d)) < 0)
		return rc;
	if (strlen(s) >= sizeof(ev.domain))
		return diag_set(d, -EBADMSG, "ward-domain: \"domain\" too long");
	strcpy(ev.domain, s);
	if ((rc = json_req_string(o, "mode", "ward-domain", &s, d)) < 0)
		return rc;
	if (strcmp(s, "enforce") && strcmp(s, "audit") && strcmp(s, "measure"))
		return diag_set(d, -EBADMSG, "ward-domain: unknown mode \"%s\"", s);
	strcpy(ev.mode, s);
	if (!json_is_boolean(b = json_object_get(o, "anon_exec")))
		return diag_set(d, -EBADMSG, "ward-domain: \"anon_exec\" must be a boolean");
	ev.anon_exec = json_is_true(b);
	if (!json_is_boolean(b = json_object_get(o, "wx_elf")))
		return diag_set(d, -EBADMSG, "ward-domain: \"wx_elf\" must be a boolean");
	ev.wx_elf = json_is_true(b);
	pol = json_object_get(o, "policy");
	if (pol) {
		if ((rc = json_only_keys(pol, pkeys, "ward-domain policy", d)) < 0 ||
		    (rc = json_req_string(pol, "name", "ward-domain policy", &s, d)) < 0 ||
		    (rc = json_req_u64(pol, "version", "ward-domain policy", &ev.policy_version, d)) < 0)
			return rc;
		if (strlen(s) >= sizeof(ev.policy_name))
			return diag_set(d, -EBADMSG, "ward-domain: policy name too long");
		strcpy(ev.policy_name, s);
		ev.has_policy = true;
	}
	if ((rc = str_list(o, "data_dirs", ev.data_dirs, &ev.n_data_dirs, d)) < 0 ||
	    (rc = str_list(o, "code", ev.code, &ev.n_code, d)) < 0)
		goto fail;
	again = domain_event_json(&ev);
	canon = again ? json_dumps(again, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!canon) {
		rc = -ENOMEM;
		goto fail;
	}
	if (strlen(canon) != len || memcmp(canon, buf, len) != 0) {
		rc = diag_set(d, -EBADMSG, "ward-domain: not in canonical form");
		goto fail;
	}
	*ret = ev;
	return 0;
fail:
	domain_event_free(&ev);
	return rc;
}

static json_t *service_event_json(const struct ward_service_event *ev)
{
	_cleanup_json_ json_t *o = NULL;
	char hex[65];

	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", ev->manifest_digest[i]);
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:b}", "v", 1, "service", ev->service,
		      "domain", ev->domain, "manifest", hex, "mode", ev->mode, "anon_exec",
		      (int)ev->anon_exec, "wx_elf", (int)ev->wx_elf);
	if (!o)
		return NULL;
	if (ev->has_policy &&
	    json_object_set_new(o, "policy", json_pack("{s:s, s:I}", "name", ev->policy_name,
							"version", (json_int_t)ev->policy_version)) < 0)
		return NULL;
	return TAKE_PTR(o);
}

int service_event_record_new(uint32_t pcr, const struct ward_service_event *ev,
			     struct ward_evlog_record *ret)
{
	if (ev->policy_version > INT64_MAX)
		return -EINVAL;
	return event_record_new(pcr, WARD_SERVICE_RECORD_NAME, service_event_json(ev), ret);
}

int service_event_from_record(const struct ward_evlog_record *r, struct ward_service_event *ret,
			      struct ward_diag *d)
{
	static const char *const keys[] = { "v", "service", "domain", "manifest", "mode",
					    "anon_exec", "wx_elf", "policy", NULL };
	static const char *const pkeys[] = { "name", "version", NULL };
	_cleanup_json_ json_t *o = NULL, *again = NULL;
	_cleanup_free_ char *canon = NULL;
	struct ward_service_event ev = { 0 };
	const uint8_t *buf;
	const char *s;
	json_t *pol, *b;
	uint32_t len;
	int rc;

	if ((rc = event_json(r, WARD_SERVICE_RECORD_NAME, keys, &o, &buf, &len, d)) < 0)
		return rc;
	if ((rc = copy_str_of(WARD_SERVICE_RECORD_NAME, o, "service", ev.service, sizeof(ev.service), d)) < 0 ||
	    (rc = copy_str_of(WARD_SERVICE_RECORD_NAME, o, "domain", ev.domain, sizeof(ev.domain), d)) < 0 ||
	    (rc = copy_str_of(WARD_SERVICE_RECORD_NAME, o, "mode", ev.mode, sizeof(ev.mode), d)) < 0)
		return rc;
	if (strcmp(ev.mode, "enforce") && strcmp(ev.mode, "audit") && strcmp(ev.mode, "measure"))
		return diag_set(d, -EBADMSG, "ward-service: unknown mode \"%s\"", ev.mode);
	if ((rc = json_req_string(o, "manifest", "ward-service", &s, d)) < 0)
		return rc;
	if (strlen(s) != 64)
		return diag_set(d, -EBADMSG, "ward-service: \"manifest\" must be 64 hex digits");
	for (size_t i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return diag_set(d, -EBADMSG, "ward-service: \"manifest\" is not hex");
		ev.manifest_digest[i] = (uint8_t)v;
	}
	if (!json_is_boolean(b = json_object_get(o, "anon_exec")))
		return diag_set(d, -EBADMSG, "ward-service: \"anon_exec\" must be a boolean");
	ev.anon_exec = json_is_true(b);
	if (!json_is_boolean(b = json_object_get(o, "wx_elf")))
		return diag_set(d, -EBADMSG, "ward-service: \"wx_elf\" must be a boolean");
	ev.wx_elf = json_is_true(b);
	pol = json_object_get(o, "policy");
	if (pol) {
		if ((rc = json_only_keys(pol, pkeys, "ward-service policy", d)) < 0 ||
		    (rc = copy_str_of(WARD_SERVICE_RECORD_NAME, pol, "name", ev.policy_name, sizeof(ev.policy_name), d)) < 0 ||
		    (rc = json_req_u64(pol, "version", "ward-service policy", &ev.policy_version,
				       d)) < 0)
			return rc;
		ev.has_policy = true;
	}
	again = service_event_json(&ev);
	canon = again ? json_dumps(again, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!canon)
		return -ENOMEM;
	if (strlen(canon) != len || memcmp(canon, buf, len) != 0)
		return diag_set(d, -EBADMSG, "ward-service: not in canonical form");
	*ret = ev;
	return 0;
}
