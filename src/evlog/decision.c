/* SPDX-License-Identifier: Apache-2.0 */
/* ward-decision records: canonical JSON in an ima-buf record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "core/util.h"
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
 * The optional "policy" of a ward event record @rec: {"name", "version"}, and with @ref (domain
 * and service records of version 2) also "digest", "issuer" (a key id or null) and "source".
 * Version 1 of those records (before policies were signed) has only the name and version.
 */
static int read_policy_ref(const char *rec, json_t *o, char *name, size_t max, uint64_t *version,
			   bool *has, struct ward_policy_ref *ref, struct ward_diag *d)
{
	static const char *const pkeys[] = { "name", "version", NULL };
	static const char *const fkeys[] = { "name", "version", "digest", "issuer", "source", NULL };
	json_t *pol = json_object_get(o, "policy"), *iss;
	const char *s;
	char what[64];
	size_t n;
	int rc;

	if (!pol)
		return 0;
	snprintf(what, sizeof(what), "%s policy", rec);
	if ((rc = json_only_keys(pol, ref ? fkeys : pkeys, what, d)) < 0 ||
	    (rc = copy_str_of(what, pol, "name", name, max, d)) < 0 ||
	    (rc = json_req_u64(pol, "version", what, version, d)) < 0)
		return rc;
	if (ref) {
		if ((rc = json_req_string(pol, "digest", what, &s, d)) < 0)
			return rc;
		if (strlen(s) != 64 || hex_decode(s, 64, ref->digest, sizeof(ref->digest), &n) < 0)
			return diag_set(d, -EBADMSG, "%s: \"digest\" must be 64 hex digits", what);
		iss = json_object_get(pol, "issuer");
		if (!iss || (!json_is_null(iss) && (!json_is_string(iss) ||
						    !key_id_valid(json_string_value(iss)))))
			return diag_set(d, -EBADMSG, "%s: \"issuer\" must be a key id or null", what);
		snprintf(ref->issuer, sizeof(ref->issuer), "%s",
			 json_is_string(iss) ? json_string_value(iss) : "");
		if ((rc = json_req_string(pol, "source", what, &s, d)) < 0)
			return rc;
		if (strcmp(s, "installed") && strcmp(s, "file"))
			return diag_set(d, -EBADMSG, "%s: \"source\" must be installed or file", what);
		ref->installed = strcmp(s, "installed") == 0;
	}
	*has = true;
	return 0;
}

static json_t *policy_ref_json(const char *name, uint64_t version, const struct ward_policy_ref *ref)
{
	char hex[65];

	hex_encode(ref->digest, sizeof(ref->digest), hex);
	return json_pack("{s:s, s:I, s:s, s:o, s:s}", "name", name, "version", (json_int_t)version,
			 "digest", hex, "issuer",
			 ref->issuer[0] ? json_string(ref->issuer) : json_null(), "source",
			 ref->installed ? "installed" : "file");
}

static int read_mode_optins(const char *rec, json_t *o, char *mode, bool *anon_exec, bool *wx_elf,
			    struct ward_diag *d)
{
	json_t *b;
	int rc;

	if ((rc = copy_str_of(rec, o, "mode", mode, 16, d)) < 0)
		return rc;
	if (strcmp(mode, "enforce") && strcmp(mode, "audit") && strcmp(mode, "measure"))
		return diag_set(d, -EBADMSG, "%s: unknown mode \"%s\"", rec, mode);
	if (!json_is_boolean(b = json_object_get(o, "anon_exec")))
		return diag_set(d, -EBADMSG, "%s: \"anon_exec\" must be a boolean", rec);
	*anon_exec = json_is_true(b);
	if (!json_is_boolean(b = json_object_get(o, "wx_elf")))
		return diag_set(d, -EBADMSG, "%s: \"wx_elf\" must be a boolean", rec);
	*wx_elf = json_is_true(b);
	return 0;
}

static int check_canonical(const char *rec, json_t *again, const uint8_t *buf, uint32_t len,
			   struct ward_diag *d)
{
	_cleanup_json_ json_t *owned = again;
	_cleanup_free_ char *canon = owned ? json_dumps(owned, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	if (!canon)
		return -ENOMEM;
	if (strlen(canon) != len || memcmp(canon, buf, len) != 0)
		return diag_set(d, -EBADMSG, "%s: not in canonical form", rec);
	return 0;
}

/*
 * The JSON object of a ward event record named @name: -ENOENT when @r is another record, else
 * its buffer parsed strictly, with only @keys and "v" == 1. Returns the buffer too, for the
 * canonical-form check.
 */
static int event_json_v(const struct ward_evlog_record *r, const char *name,
			const char *const *keys, uint64_t max_v, json_t **ret,
			const uint8_t **ret_buf, uint32_t *ret_len, unsigned *ret_v,
			struct ward_diag *d)
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
	if (v < 1 || v > max_v)
		return diag_set(d, -EBADMSG, "%s: version %llu", name, (unsigned long long)v);
	*ret = TAKE_PTR(o);
	*ret_buf = buf;
	*ret_len = len;
	if (ret_v)
		*ret_v = (unsigned)v;
	return 0;
}

/* A record whose only version is 1. */
static int event_json(const struct ward_evlog_record *r, const char *name,
		      const char *const *keys, json_t **ret, const uint8_t **ret_buf,
		      uint32_t *ret_len, struct ward_diag *d)
{
	return event_json_v(r, name, keys, 1, ret, ret_buf, ret_len, NULL, d);
}

int decision_from_record(const struct ward_evlog_record *r, struct ward_decision *ret,
			 struct ward_diag *d)
{
	static const char *const keys[] = { "v", "verdict", "grant", "domain", "path", "reason",
					    "object", "policy", NULL };
	_cleanup_json_ json_t *o = NULL;
	struct ward_decision dec = { 0 };
	const uint8_t *buf;
	const char *s;
	uint32_t len;
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
	if ((rc = read_policy_ref(WARD_DECISION_NAME, o, dec.policy_name, sizeof(dec.policy_name),
				  &dec.policy_version, &dec.has_policy, NULL, d)) < 0 ||
	    (rc = check_canonical(WARD_DECISION_NAME, decision_json(&dec), buf, len, d)) < 0)
		return rc;
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
	if (json_object_set_new(o, "v", json_integer(ev->v == 1 ? 1 : 2)) < 0 ||
	    json_object_set_new(o, "domain", json_string(ev->domain)) < 0 ||
	    json_object_set_new(o, "mode", json_string(ev->mode)) < 0 ||
	    json_object_set_new(o, "anon_exec", json_boolean(ev->anon_exec)) < 0 ||
	    json_object_set_new(o, "wx_elf", json_boolean(ev->wx_elf)) < 0 ||
	    json_object_set(o, "data_dirs", dd) < 0 || json_object_set(o, "code", code) < 0)
		return NULL;
	if (ev->has_policy &&
	    json_object_set_new(o, "policy", ev->v == 1 ?
				json_pack("{s:s, s:I}", "name", ev->policy_name, "version",
					  (json_int_t)ev->policy_version) :
				policy_ref_json(ev->policy_name, ev->policy_version, &ev->pref)) < 0)
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
	_cleanup_json_ json_t *o = NULL;
	struct ward_domain_event ev = { 0 };
	const uint8_t *buf;
	const char *s;
	uint32_t len;
	int rc;

	if ((rc = event_json_v(r, WARD_DOMAIN_RECORD_NAME, keys, 2, &o, &buf, &len, &ev.v, d)) < 0)
		return rc;
	if ((rc = json_req_string(o, "domain", "ward-domain", &s, d)) < 0)
		return rc;
	if (strlen(s) >= sizeof(ev.domain))
		return diag_set(d, -EBADMSG, "ward-domain: \"domain\" too long");
	strcpy(ev.domain, s);
	if ((rc = read_mode_optins(WARD_DOMAIN_RECORD_NAME, o, ev.mode, &ev.anon_exec, &ev.wx_elf,
				   d)) < 0 ||
	    (rc = read_policy_ref(WARD_DOMAIN_RECORD_NAME, o, ev.policy_name, sizeof(ev.policy_name),
				  &ev.policy_version, &ev.has_policy, ev.v == 1 ? NULL : &ev.pref,
				  d)) < 0)
		return rc;
	if ((rc = str_list(o, "data_dirs", ev.data_dirs, &ev.n_data_dirs, d)) < 0 ||
	    (rc = str_list(o, "code", ev.code, &ev.n_code, d)) < 0 ||
	    (rc = check_canonical(WARD_DOMAIN_RECORD_NAME, domain_event_json(&ev), buf, len, d)) < 0)
		goto fail;
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

	hex_encode(ev->manifest_digest, sizeof(ev->manifest_digest), hex);
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:b}", "v", ev->v == 1 ? 1 : 2, "service",
		      ev->service,
		      "domain", ev->domain, "manifest", hex, "mode", ev->mode, "anon_exec",
		      (int)ev->anon_exec, "wx_elf", (int)ev->wx_elf);
	if (!o)
		return NULL;
	if (ev->has_policy &&
	    json_object_set_new(o, "policy", ev->v == 1 ?
				json_pack("{s:s, s:I}", "name", ev->policy_name, "version",
					  (json_int_t)ev->policy_version) :
				policy_ref_json(ev->policy_name, ev->policy_version, &ev->pref)) < 0)
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
	const char *const rec = WARD_SERVICE_RECORD_NAME;
	_cleanup_json_ json_t *o = NULL;
	struct ward_service_event ev = { 0 };
	const uint8_t *buf;
	const char *s;
	uint32_t len;
	size_t n;
	int rc;

	if ((rc = event_json_v(r, rec, keys, 2, &o, &buf, &len, &ev.v, d)) < 0)
		return rc;
	if ((rc = copy_str_of(rec, o, "service", ev.service, sizeof(ev.service), d)) < 0 ||
	    (rc = copy_str_of(rec, o, "domain", ev.domain, sizeof(ev.domain), d)) < 0 ||
	    (rc = read_mode_optins(rec, o, ev.mode, &ev.anon_exec, &ev.wx_elf, d)) < 0 ||
	    (rc = json_req_string(o, "manifest", rec, &s, d)) < 0)
		return rc;
	if (strlen(s) != 2 * sizeof(ev.manifest_digest))
		return diag_set(d, -EBADMSG, "%s: \"manifest\" must be 64 hex digits", rec);
	if (hex_decode(s, strlen(s), ev.manifest_digest, sizeof(ev.manifest_digest), &n) < 0)
		return diag_set(d, -EBADMSG, "%s: \"manifest\" is not hex (lower case)", rec);
	if ((rc = read_policy_ref(rec, o, ev.policy_name, sizeof(ev.policy_name), &ev.policy_version,
				  &ev.has_policy, ev.v == 1 ? NULL : &ev.pref, d)) < 0 ||
	    (rc = check_canonical(rec, service_event_json(&ev), buf, len, d)) < 0)
		return rc;
	*ret = ev;
	return 0;
}

static const char *const action_names[__WARD_POLICY_ACTION_MAX] = {
	[WARD_POLICY_INSTALL] = "install",
	[WARD_POLICY_UPDATE] = "update",
	[WARD_POLICY_REVOKE] = "revoke",
};

const char *policy_action_name(enum ward_policy_action a)
{
	return (unsigned)a < __WARD_POLICY_ACTION_MAX ? action_names[a] : NULL;
}

static json_t *policy_event_json(const struct ward_policy_event *ev)
{
	char hex[65];

	if (!policy_action_name(ev->action) || ev->version > INT64_MAX ||
	    ev->high_water > INT64_MAX || !key_id_valid(ev->issuer))
		return NULL;
	hex_encode(ev->digest, sizeof(ev->digest), hex);
	return json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:I}", "v", 1, "action",
			 action_names[ev->action], "name", ev->name, "version",
			 (json_int_t)ev->version, "digest", hex, "issuer", ev->issuer, "high_water",
			 (json_int_t)ev->high_water);
}

int policy_event_record_new(uint32_t pcr, const struct ward_policy_event *ev,
			    struct ward_evlog_record *ret)
{
	json_t *o = policy_event_json(ev);

	if (!o)
		return -EINVAL;
	return event_record_new(pcr, WARD_POLICY_RECORD_NAME, o, ret);
}

int policy_event_from_record(const struct ward_evlog_record *r, struct ward_policy_event *ret,
			     struct ward_diag *d)
{
	static const char *const keys[] = { "v", "action", "name", "version", "digest", "issuer",
					    "high_water", NULL };
	const char *const rec = WARD_POLICY_RECORD_NAME;
	_cleanup_json_ json_t *o = NULL;
	struct ward_policy_event ev = { 0 };
	const uint8_t *buf;
	const char *s;
	uint32_t len;
	size_t n;
	int rc;

	if ((rc = event_json(r, rec, keys, &o, &buf, &len, d)) < 0)
		return rc;
	if ((rc = json_req_string(o, "action", rec, &s, d)) < 0)
		return rc;
	for (ev.action = 0; ev.action < __WARD_POLICY_ACTION_MAX; ev.action++)
		if (strcmp(s, action_names[ev.action]) == 0)
			break;
	if (ev.action == __WARD_POLICY_ACTION_MAX)
		return diag_set(d, -EBADMSG, "%s: unknown action \"%s\"", rec, s);
	if ((rc = copy_str_of(rec, o, "name", ev.name, sizeof(ev.name), d)) < 0 ||
	    (rc = json_req_u64(o, "version", rec, &ev.version, d)) < 0 ||
	    (rc = json_req_u64(o, "high_water", rec, &ev.high_water, d)) < 0 ||
	    (rc = copy_str_of(rec, o, "issuer", ev.issuer, sizeof(ev.issuer), d)) < 0 ||
	    (rc = json_req_string(o, "digest", rec, &s, d)) < 0)
		return rc;
	if (!key_id_valid(ev.issuer))
		return diag_set(d, -EBADMSG, "%s: \"issuer\" must be a key id", rec);
	if (strlen(s) != 64 || hex_decode(s, 64, ev.digest, sizeof(ev.digest), &n) < 0)
		return diag_set(d, -EBADMSG, "%s: \"digest\" must be 64 hex digits", rec);
	if ((rc = check_canonical(rec, policy_event_json(&ev), buf, len, d)) < 0)
		return rc;
	*ret = ev;
	return 0;
}
