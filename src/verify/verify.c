/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evidence verification. Order matters for the explanation, not for the verdict: every check
 * runs and records why it failed, and the verdict is PASS only when all passed. A malformed
 * bundle is an error (cannot judge), never a PASS.
 */
#include <errno.h>
#include <limits.h>
#include <search.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/decision.h"
#include "ward/manifest.h"
#include "ward/report-tpm.h"
#include "ward/report.h"
#include "ward/verify.h"
#include "verify/verify-tsm.h"

static int add_reason(struct ward_verify_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_reason(struct ward_verify_result *res, const char *fmt, ...)
{
	va_list ap;
	int r;

	res->verdict = WARD_VERDICT_FAIL;
	va_start(ap, fmt);
	r = strv_append_vfmt(&res->reasons, &res->n_reasons, fmt, ap);
	va_end(ap);
	return r;
}

void verify_result_clear(struct ward_verify_result *r)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		free(r->reasons[i]);
	free(r->reasons);
	for (size_t i = 0; i < r->n_unknown; i++)
		free(r->unknown[i].path);
	free(r->unknown);
	for (size_t i = 0; i < r->n_services; i++) {
		struct ward_verify_service *sv = &r->services[i];

		tdestroy(sv->seen, free);
		for (size_t k = 0; k < sv->n_code; k++)
			free(sv->code[k].path);
		free(sv->code);
	}
	free(r->services);
	evlog_free(&r->log);
	memset(r, 0, sizeof(*r));
}

/* A PEM public key whose OpenSSL base type is one of @ids (0-terminated); @what names them. */
static int load_pubkey_pem(const uint8_t *pem, size_t len, const int *ids, const char *what,
			   EVP_PKEY **ret, struct ward_diag *d)
{
	_cleanup_bio_ BIO *bio = NULL;
	EVP_PKEY *k;

	if (len > WARD_PEM_MAX || !(bio = BIO_new_mem_buf(pem, (int)len)))
		return diag_set(d, -EBADMSG, "public key too large");
	k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!k)
		return diag_set(d, -EBADMSG, "not a PEM public key");
	for (; *ids; ids++)
		if (EVP_PKEY_get_base_id(k) == *ids) {
			*ret = k;
			return 0;
		}
	EVP_PKEY_free(k);
	return diag_set(d, -EBADMSG, "not %s", what);
}

int verify_load_pubkey_pem(const uint8_t *pem, size_t len, EVP_PKEY **ret, struct ward_diag *d)
{
	static const int ids[] = { EVP_PKEY_ED25519, 0 };

	return load_pubkey_pem(pem, len, ids, "an Ed25519 public key", ret, d);
}

int verify_load_ak_pem(const uint8_t *pem, size_t len, EVP_PKEY **ret, struct ward_diag *d)
{
	static const int ids[] = { EVP_PKEY_EC, EVP_PKEY_RSA, 0 };

	return load_pubkey_pem(pem, len, ids, "an ECC or RSA public key (a TPM attestation key)",
			       ret, d);
}

static int get_b64(json_t *obj, const char *key, const char *what, uint8_t **ret, size_t *ret_len,
		   struct ward_diag *d)
{
	const char *s;
	int r = json_req_string(obj, key, what, &s, d);

	if (r < 0)
		return r;
	r = b64_decode(s, strlen(s), ret, ret_len);
	if (r == -EINVAL)
		return diag_set(d, -EBADMSG, "%s: \"%s\" is not canonical base64", what, key);
	return r;
}

/*
 * An Ed25519 SubjectPublicKeyInfo is always these 12 bytes and the 32-byte key (RFC 8410 §4:
 * SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }), so such a key is made from its raw
 * bytes, and a pinned Ed25519 key's encoding is made the same way: OpenSSL 3's generic decoder
 * (d2i_PUBKEY) and encoder (i2d_PUBKEY) were a third of a verification's time
 * (bench/results/channel.md). Other keys take the decoder and the encoder.
 */
static const uint8_t ED25519_SPKI_PREFIX[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
						 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
#define ED25519_SPKI_LEN (sizeof(ED25519_SPKI_PREFIX) + 32)

static bool is_ed25519_spki(const uint8_t *der, size_t len)
{
	return len == ED25519_SPKI_LEN &&
	       memcmp(der, ED25519_SPKI_PREFIX, sizeof(ED25519_SPKI_PREFIX)) == 0;
}

/* The key of a SubjectPublicKeyInfo, or NULL. An Ed25519 key must be in its one encoding. */
static EVP_PKEY *spki_decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k;

	if (is_ed25519_spki(der, len))
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						   der + sizeof(ED25519_SPKI_PREFIX), 32);
	if (len > LONG_MAX)
		return NULL;
	k = d2i_PUBKEY(NULL, &p, (long)len);
	if (k && (p != der + len || EVP_PKEY_get_id(k) == EVP_PKEY_ED25519)) {
		EVP_PKEY_free(k); /* trailing bytes, or an Ed25519 key spelled another way */
		return NULL;
	}
	return k;
}

/* Is @der (a SubjectPublicKeyInfo) exactly the encoding of one of @keys? */
static bool key_pinned(const uint8_t *der, size_t len, EVP_PKEY *const *keys, size_t n_keys)
{
	for (size_t i = 0; i < n_keys; i++) {
		uint8_t raw[32];
		size_t rl = sizeof(raw);
		unsigned char *pd = NULL;
		bool eq;
		int n;

		if (EVP_PKEY_get_id(keys[i]) == EVP_PKEY_ED25519 &&
		    EVP_PKEY_get_raw_public_key(keys[i], raw, &rl) == 1 && rl == sizeof(raw)) {
			if (is_ed25519_spki(der, len) &&
			    memcmp(der + sizeof(ED25519_SPKI_PREFIX), raw, sizeof(raw)) == 0)
				return true;
			continue;
		}
		n = i2d_PUBKEY(keys[i], &pd);
		eq = n > 0 && (size_t)n == len && memcmp(pd, der, len) == 0;
		OPENSSL_free(pd);
		if (eq)
			return true;
	}
	return false;
}

static int check_signature(EVP_PKEY *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
			   size_t sig_len, bool *ret_ok)
{
	_cleanup_md_ctx_ EVP_MD_CTX *ctx = NULL;

	*ret_ok = false;
	if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
		return -EBADMSG;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key))
		return -EIO;
	*ret_ok = EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
	return 0;
}

static int add_unknown(struct ward_verify_result *res, const char *alg, const uint8_t *dg,
		       size_t len, const char *path)
{
	struct ward_verify_object *nu = realloc(res->unknown, (res->n_unknown + 1) * sizeof(*nu));
	struct ward_verify_object *o;
	size_t an = strlen(alg);

	if (!nu)
		return -ENOMEM;
	res->unknown = nu;
	o = &res->unknown[res->n_unknown];
	if (an + 2 + 2 * len > sizeof(o->digest))
		len = (sizeof(o->digest) - an - 2) / 2;
	memcpy(o->digest, alg, an);
	o->digest[an] = ':';
	hex_encode(dg, len, o->digest + an + 1);
	o->path = strdup(path ? path : "");
	if (!o->path)
		return -ENOMEM;
	res->n_unknown++;
	return 0;
}

/* ---- services: which manifest and which code a sandbox service ran with ---- */

/* A service's code by "digest path" (a tsearch tree of these): its index in the list. */
struct code_key {
	size_t index;
	char key[];
};

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct code_key *)a)->key, ((const struct code_key *)b)->key);
}

/* Services by name (a tsearch tree of these), each the index of its latest registration. */
struct service_ref {
	char name[sizeof(((struct ward_service_event *)0)->service)];
	size_t index;
};

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct service_ref *)a)->name, ((const struct service_ref *)b)->name);
}

static int service_add(struct ward_verify_result *res, void **by_name, const char *name,
		       struct ward_verify_service **ret)
{
	struct ward_verify_service *ns;
	struct service_ref *ref, **slot;

	if (strlen(name) >= sizeof(ref->name))
		return -EINVAL;
	ns = realloc(res->services, (res->n_services + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	res->services = ns;
	ref = calloc(1, sizeof(*ref));
	if (!ref)
		return -ENOMEM;
	strcpy(ref->name, name);
	ref->index = res->n_services;
	slot = tsearch(ref, by_name, ref_cmp);
	if (!slot) {
		free(ref);
		return -ENOMEM;
	}
	if (*slot != ref) {
		(*slot)->index = ref->index; /* a later registration of the same name */
		free(ref);
	}
	memset(&ns[res->n_services], 0, sizeof(ns[0]));
	*ret = &ns[res->n_services++];
	return 0;
}

/* The latest registration of the service whose sandboxes run in @domain ("svc:NAME"); one
 * without a record when the evidence starts after it. NULL for a domain of `ward run`. */
static int service_of_domain(struct ward_verify_result *res, void **by_name, const char *domain,
			     struct ward_verify_service **ret)
{
	struct service_ref key, **found;
	struct ward_verify_service *sv;
	const char *name;
	int r;

	*ret = NULL;
	if (strncmp(domain, "svc:", 4) != 0)
		return 0;
	name = domain + 4;
	if (strlen(name) >= sizeof(key.name))
		return 0; /* longer than any service name: not a service's domain */
	strcpy(key.name, name);
	found = tfind(&key, by_name, ref_cmp);
	if (found) {
		*ret = &res->services[(*found)->index];
		return 0;
	}
	if ((r = service_add(res, by_name, name, &sv)) < 0)
		return r;
	snprintf(sv->ev.service, sizeof(sv->ev.service), "%s", name);
	snprintf(sv->ev.domain, sizeof(sv->ev.domain), "%s", domain);
	*ret = sv;
	return 0;
}

/* Adds (@digest, @path) to @sv's code once; an audit grant marks it audit. */
static int service_code_add(struct ward_verify_service *sv, const char *digest, const char *path,
			    bool audit, bool registered)
{
	size_t dl = strlen(digest), pl = strlen(path);
	struct ward_verify_service_object *nc, *c;
	struct code_key *key, **slot;

	key = malloc(sizeof(*key) + dl + 1 + pl + 1);
	if (!key)
		return -ENOMEM;
	memcpy(key->key, digest, dl);
	key->key[dl] = ' ';
	memcpy(key->key + dl + 1, path, pl + 1);
	key->index = sv->n_code;
	slot = tsearch(key, &sv->seen, key_cmp);
	if (!slot) {
		free(key);
		return -ENOMEM;
	}
	if (*slot != key) {
		sv->code[(*slot)->index].audit |= audit;
		free(key);
		return 0;
	}
	nc = realloc(sv->code, (sv->n_code + 1) * sizeof(*nc));
	if (!nc)
		goto fail;
	sv->code = nc;
	c = &nc[sv->n_code];
	memset(c, 0, sizeof(*c));
	snprintf(c->digest, sizeof(c->digest), "%s", digest);
	c->path = strdup(path);
	if (!c->path)
		goto fail;
	c->audit = audit;
	c->registered = registered;
	sv->n_code++;
	return 0;
fail:
	tdelete(key, &sv->seen, key_cmp);
	free(key);
	return -ENOMEM;
}

/* "alg:hex" of an ima-ng record's file digest; false for other records. */
static bool record_digest_str(const struct ward_evlog_record *rec, char out[WARD_DIGEST_STR_MAX])
{
	struct ward_file_digest fd;
	size_t an;

	if (evlog_record_file_digest(rec, &fd) < 0 || !fd.digest)
		return false;
	an = strlen(fd.alg);
	if (an + 2 + 2 * (size_t)fd.len > WARD_DIGEST_STR_MAX)
		return false;
	memcpy(out, fd.alg, an);
	out[an] = ':';
	hex_encode(fd.digest, fd.len, out + an + 1);
	return true;
}

/*
 * Is @rec, an ima-ng record, the measurement a guard wrote just before the decision @next
 * (same object, same path)? A registration's "measure" records are not: no decision follows.
 */
static bool paired_with_decision(const struct ward_evlog_record *rec,
				 const struct ward_evlog_record *next, const char *digest)
{
	struct ward_decision dec;
	struct ward_diag d = { { 0 } };
	char ds[WARD_DIGEST_STR_MAX];
	const char *name = evlog_record_name(rec);

	if (!next || decision_from_record(next, &dec, &d) < 0 || !dec.has_object)
		return false;
	measure_digest_format(&dec.object, ds);
	return strcmp(ds, digest) == 0 && name && strcmp(name, dec.path) == 0;
}

/* Every measured object must be in the reference values; decisions are counted. */
/* Does a policy that governs code meet the options' requirements? Else one reason. */
static int policy_meets(struct ward_verify_result *res, const struct ward_verify_opts *o,
			uint64_t index, const char *what, const char *name, uint64_t version,
			const char *issuer)
{
	if (!o->check_min_version && !o->policy_issuer)
		return 0;
	if (o->check_min_version && version < o->min_policy_version) {
		res->policy_req_ok = false;
		return add_reason(res, "record %llu: %s '%s' version %llu, older than the minimum "
				       "%llu", (unsigned long long)index, what, name,
				  (unsigned long long)version,
				  (unsigned long long)o->min_policy_version);
	}
	if (o->policy_issuer && strcmp(issuer, o->policy_issuer) != 0) {
		res->policy_req_ok = false;
		return add_reason(res, issuer[0] ? "record %llu: %s '%s' version %llu, signed by %s, "
						   "not by the required issuer" :
						   "record %llu: %s '%s' version %llu, which is unsigned%s",
				  (unsigned long long)index, what, name, (unsigned long long)version,
				  issuer);
	}
	return 0;
}

/* A domain or service record: its own policy file is checked now; one that follows the
 * installed policy tells what was installed when it started. */
static int note_governing(struct ward_verify_result *res, const struct ward_verify_opts *o,
			  uint64_t index, const char *what, const char *mode, bool has_policy,
			  const char *name, uint64_t version, const struct ward_policy_ref *ref)
{
	if (!has_policy) {
		if (!o->check_min_version && !o->policy_issuer)
			return 0;
		res->policy_req_ok = false;
		return add_reason(res, "record %llu: %s ran %s, without a policy",
				  (unsigned long long)index, what,
				  strcmp(mode, "measure") == 0 ? "measure-only" : mode);
	}
	if (!ref->installed)
	{
		char subj[128];

		snprintf(subj, sizeof(subj), "%s ran under policy", what);
		return policy_meets(res, o, index, subj, name, version, ref->issuer);
	}
	if (!res->installed.known || !res->installed.from_transition ||
	    res->installed.record < index) {
		struct ward_verify_installed *in = &res->installed;

		/* Without a later transition in the evidence, this is what was installed. */
		if (!in->from_transition) {
			in->known = true;
			in->revoked = strncmp(name, "revoked:", 8) == 0;
			in->record = index;
			snprintf(in->name, sizeof(in->name), "%s", name);
			in->version = version;
			memcpy(in->digest, ref->digest, 32);
			snprintf(in->issuer, sizeof(in->issuer), "%s", ref->issuer);
		}
	}
	res->installed_followed = true;
	return 0;
}

static int check_objects(struct ward_verify_result *res, const struct ward_verify_opts *o,
			 struct ward_diag *d)
{
	/* The registration whose "measure" records may still follow (only ima-ng records
	 * since its ward-service record), by index in res->services. */
	size_t registering = SIZE_MAX;
	void *by_name = NULL;
	int r;

	res->policy_ok = true;
	res->policy_req_ok = true;
	res->manifest_ok = !o->manifest_digest;
	r = 0;
	for (size_t i = 0; i < res->log.n; i++) {
		const struct ward_evlog_record *rec = &res->log.rec[i];
		uint64_t index = res->msg.first_record + i;
		struct ward_file_digest fd;
		struct ward_decision dec;
		struct ward_service_event sev;
		struct ward_verify_service *sv;
		const char *name = evlog_record_name(rec);
		char ds[WARD_DIGEST_STR_MAX];
		size_t was_registering = registering;
		uint32_t blen;

		registering = SIZE_MAX;
		r = decision_from_record(rec, &dec, d);
		if (r == 0) {
			res->decisions_allow += dec.verdict == WARD_DECISION_ALLOW;
			res->decisions_deny += dec.verdict == WARD_DECISION_DENY;
			res->decisions_audit += dec.verdict == WARD_DECISION_AUDIT;
			if ((r = service_of_domain(res, &by_name, dec.domain, &sv)) < 0)
				goto out;
			if (!sv)
				continue;
			if (dec.verdict == WARD_DECISION_DENY) {
				sv->denied++;
				continue;
			}
			if (!dec.has_object)
				continue; /* anonymous memory: no file, nothing to list */
			measure_digest_format(&dec.object, ds);
			if ((r = service_code_add(sv, ds, dec.path, dec.verdict == WARD_DECISION_AUDIT,
						  false)) < 0)
				goto out;
			continue;
		}
		if (r != -ENOENT) {
			diag_prefix(d, "record %zu: ", (size_t)index);
			goto out;
		}
		r = service_event_from_record(rec, &sev, d);
		if (r == 0) {
			char want[sizeof(sev.domain)];
			bool named = manifest_name_ok(sev.service, strlen(sev.service));

			if (!named &&
			    (r = add_reason(res, "record %llu: a ward-service record names a service "
						 "no manifest can name", (unsigned long long)index)) < 0)
				goto out;
			snprintf(want, sizeof(want), "svc:%s", sev.service);
			if (named && strcmp(sev.domain, want) != 0 &&
			    (r = add_reason(res, "record %llu: the ward-service record of '%s' names "
						 "domain '%s', not '%s'", (unsigned long long)index,
					    sev.service, sev.domain, want)) < 0)
				goto out;
			if ((r = service_add(res, &by_name, sev.service, &sv)) < 0)
				goto out;
			{
				char what[64];

				snprintf(what, sizeof(what), "service '%s'", sev.service);
				if ((r = note_governing(res, o, index, what, sev.mode, sev.has_policy,
							sev.policy_name, sev.policy_version,
							&sev.pref)) < 0)
					goto out;
			}
			sv->has_record = true;
			sv->record = index;
			sv->ev = sev;
			if (o->manifest_digest &&
			    memcmp(sev.manifest_digest, o->manifest_digest, 32) == 0)
				res->manifest_ok = true;
			registering = (size_t)(sv - res->services);
			continue;
		}
		if (r != -ENOENT) {
			diag_prefix(d, "record %zu: ", (size_t)index);
			goto out;
		}
		{
			struct ward_domain_event ev;

			r = domain_event_from_record(rec, &ev, d);
			if (r == -ENOMEM)
				goto out;
			if (r == 0) {
				char what[96];

				snprintf(what, sizeof(what), "domain %s", ev.domain);
				r = note_governing(res, o, index, what, ev.mode, ev.has_policy,
						   ev.policy_name, ev.policy_version, &ev.pref);
				if (r < 0) {
					domain_event_free(&ev);
					goto out;
				}
				res->domains++;
				res->domains_enforce += strcmp(ev.mode, "enforce") == 0;
				res->domains_audit += strcmp(ev.mode, "audit") == 0;
				res->domains_measure += strcmp(ev.mode, "measure") == 0;
				res->domains_anon_exec += ev.anon_exec;
				res->domains_wx_elf += ev.wx_elf;
				res->domains_data_dirs += ev.n_data_dirs > 0;
				domain_event_free(&ev);
				continue;
			}
			if (r != -ENOENT) {
				diag_prefix(d, "record %zu: ", (size_t)index);
				goto out;
			}
		}
		{
			struct ward_policy_event pev;

			r = policy_event_from_record(rec, &pev, d);
			if (r == 0) {
				struct ward_verify_installed *in = &res->installed;

				res->policy_transitions++;
				*in = (struct ward_verify_installed){
					.known = true, .from_transition = true, .record = index,
					.revoked = pev.action == WARD_POLICY_REVOKE,
					.version = pev.version,
				};
				snprintf(in->name, sizeof(in->name), "%s", pev.name);
				memcpy(in->digest, pev.digest, 32);
				snprintf(in->issuer, sizeof(in->issuer), "%s", pev.issuer);
				continue;
			}
			if (r != -ENOENT) {
				diag_prefix(d, "record %zu: ", (size_t)index);
				goto out;
			}
		}
		/* ward writes neither violations nor buffers other than its own events, and
		 * every record it writes names a file digest: anything else in its evidence is
		 * not ward's and is not waved through. */
		if (rec->violation) {
			if ((r = add_reason(res, "record %llu is a violation record, which ward never "
						 "writes", (unsigned long long)index)) < 0)
				goto out;
			continue;
		}
		if (evlog_record_field(rec, WARD_TF_BUF, &blen) ||
		    evlog_record_file_digest(rec, &fd) < 0) {
			if ((r = add_reason(res, "record %llu (%s %s) is not a measurement or a ward "
						 "event", (unsigned long long)index,
					    rec->template_name, name ? name : "")) < 0)
				goto out;
			continue;
		}
		res->objects++;
		/*
		 * A registration writes its service record, then one ima-ng record per file of
		 * its "measure" paths and nothing else in between: those files its sandboxes
		 * may use without a decision. A guard's ima-ng record is followed by its
		 * decision, and ends the run.
		 */
		if (was_registering != SIZE_MAX && record_digest_str(rec, ds) &&
		    !paired_with_decision(rec, i + 1 < res->log.n ? &res->log.rec[i + 1] : NULL,
					  ds)) {
			if ((r = service_code_add(&res->services[was_registering], ds,
						  name ? name : "", false, true)) < 0)
				goto out;
			registering = was_registering;
		}
		if (!o->policy)
			continue;
		if (!policy_lookup(o->policy, fd.alg, fd.digest, fd.len)) {
			res->policy_ok = false;
			if ((r = add_unknown(res, fd.alg, fd.digest, fd.len, name)) < 0)
				goto out;
		}
	}
	r = 0;
	if (o->policy && !res->policy_ok) {
		const struct ward_verify_object *u = &res->unknown[0];
		r = add_reason(res, "%zu measured object%s not in the reference values (first: %s %s)",
			       res->n_unknown, res->n_unknown == 1 ? " is" : "s are", u->path,
			       u->digest);
		if (r < 0)
			goto out;
	}
	if ((o->check_min_version || o->policy_issuer) &&
	    (res->installed_followed || res->policy_transitions)) {
		const struct ward_verify_installed *in = &res->installed;

		if (in->revoked) {
			res->policy_req_ok = false;
			r = add_reason(res, "record %llu: the installed policy '%s' version %llu was "
					    "revoked: no policy is active",
				       (unsigned long long)in->record, in->name,
				       (unsigned long long)in->version);
		} else {
			r = policy_meets(res, o, in->record, "the installed policy is", in->name,
					 in->version, in->issuer);
		}
		if (r < 0)
			goto out;
	}
	if ((o->check_min_version || o->policy_issuer) && res->policy_req_ok && !res->domains &&
	    !res->n_services && !res->policy_transitions) {
		res->policy_req_ok = false;
		if ((r = add_reason(res, "the evidence names no policy: no domain, service or policy "
					 "transition in its records")) < 0)
			goto out;
	}
	if (!res->manifest_ok) {
		char hex[65];

		hex_encode(o->manifest_digest, 32, hex);
		r = add_reason(res, "no ward-service record in the evidence names manifest sha256:%s: "
				    "no service with that manifest ran in this log (or it registered "
				    "before the records the evidence carries)", hex);
	}
out:
	tdestroy(by_name, free);
	return r;
}

/* soft: an Ed25519 signature over the statement by a pinned key; never hardware-rooted. */
static int check_soft(struct ward_verify_result *res, json_t *quote, const uint8_t *msg,
		      size_t msg_len, const uint8_t *sig, size_t sig_len,
		      const struct ward_verify_opts *o, struct ward_diag *d)
{
	static const char *const qkeys[] = { "message", "signature", NULL };
	_cleanup_pkey_ EVP_PKEY *key = NULL;
	int r;

	if ((r = json_only_keys(quote, qkeys, "evidence quote", d)) < 0)
		return r;
	if (strcmp(res->msg.root, "soft") != 0 &&
	    (r = add_reason(res, "soft evidence whose statement claims root '%s'", res->msg.root)) < 0)
		return r;
	res->hardware_rooted = false; /* a key in a file, whatever the bundle claims */
	key = spki_decode(res->public_key, res->public_key_len);
	r = check_signature(key, msg, msg_len, sig, sig_len, &res->signature_ok);
	if (r == -EBADMSG)
		return diag_set(d, r, "evidence: \"public_key\" is not an Ed25519 SubjectPublicKeyInfo");
	if (r < 0)
		return r;
	if (!res->signature_ok && (r = add_reason(res, "the quote signature does not verify")) < 0)
		return r;
	res->key_pinned = key_pinned(res->public_key, res->public_key_len, o->soft_keys,
				     o->n_soft_keys);
	if (!res->key_pinned &&
	    (r = add_reason(res, o->n_soft_keys ? "signed by a soft attester key that is not pinned"
						: "soft evidence is trusted only with a pinned key "
						  "(--soft-key)")) < 0)
		return r;
	return 0;
}

/*
 * tpm: TPM2_Quote by a pinned AK whose qualifyingData is SHA-256 of the statement, over exactly
 * the statement's PCR in each of its banks, with the PCR digest of the statement's registers.
 * The statement's registers are then checked against the log's replay like soft's, so the
 * replayed log is what the TPM's PCR held.
 */
static int check_tpm(struct ward_verify_result *res, json_t *quote, const uint8_t *msg,
		     size_t msg_len, const uint8_t *sig, size_t sig_len,
		     const struct ward_verify_opts *o, struct ward_diag *d)
{
	_cleanup_free_ uint8_t *attest = NULL, *akpub = NULL, *spki = NULL;
	struct ward_report_result rr = { 0 };
	struct ward_report_opts ro = { 0 };
	struct ward_tpm_quoted tq;
	uint8_t qual[32], vals[__WARD_HASH_MAX * WARD_HASH_MAX_SIZE], want[WARD_TPM_DIGEST_MAX];
	size_t attest_len, ak_len, spki_len, vlen = 0, want_len = 0;
	unsigned covered = 0;
	bool sel_ok = true;
	int r;

	if ((r = get_b64(quote, "attest", "evidence quote", &attest, &attest_len, d)) < 0 ||
	    (r = get_b64(quote, "ak_public", "evidence quote", &akpub, &ak_len, d)) < 0)
		return r;
	if (strcmp(res->msg.root, "tpm") != 0 && strcmp(res->msg.root, "swtpm") != 0 &&
	    (r = add_reason(res, "tpm evidence whose statement claims root '%s'", res->msg.root)) < 0)
		return r;
	/* Only a TPM that does not call itself a software TPM is reported hardware-rooted; what
	 * makes it so is the verifier's pinning of an AK it enrolled from real hardware. */
	res->hardware_rooted = strcmp(res->msg.root, "tpm") == 0;

	/* The bundle's public_key is the AK in ak_public. */
	if ((r = report_tpm_ak_spki(akpub, ak_len, &spki, &spki_len, d)) < 0) {
		diag_prefix(d, "evidence quote: ak_public: ");
		return r;
	}
	if ((spki_len != res->public_key_len || memcmp(spki, res->public_key, spki_len) != 0) &&
	    (r = add_reason(res, "the bundle's public_key is not the attestation key in ak_public")) < 0)
		return r;

	/* The TPM signed it, over this statement. */
	if ((r = hash_buf(WARD_HASH_SHA256, msg, msg_len, qual)) < 0)
		return r;
	ro.tpm_sig = sig;
	ro.tpm_sig_len = sig_len;
	ro.tpm_ak = akpub;
	ro.tpm_ak_len = ak_len;
	ro.nonce = qual;
	ro.nonce_len = sizeof(qual);
	if ((r = report_verify_tpm(attest, attest_len, &ro, &rr, d)) < 0) {
		diag_prefix(d, "evidence quote: ");
		return r;
	}
	res->signature_ok = rr.verdict == WARD_VERDICT_PASS;
	for (size_t i = 0; i < rr.n_reasons && r >= 0; i++)
		r = add_reason(res, "TPM quote: %s%s", rr.reasons[i],
			       strstr(rr.reasons[i], "extraData") ? " (SHA-256 of the statement): "
								    "the quote is for another "
								    "statement" : "");
	report_result_clear(&rr);
	if (r < 0)
		return r;
	res->key_pinned = key_pinned(spki, spki_len, o->ak_keys, o->n_ak_keys);
	if (!res->key_pinned &&
	    (r = add_reason(res, o->n_ak_keys ? "quoted by a TPM attestation key that is not pinned"
					      : "tpm evidence is trusted only with a pinned "
						"attestation key (--ak-key)")) < 0)
		return r;

	/* Over the statement's PCR, with the statement's register values. */
	if ((r = report_tpm_quoted(attest, attest_len, sig, sig_len, &tq, d)) < 0) {
		diag_prefix(d, "evidence quote: ");
		return r;
	}
	for (size_t i = 0; i < tq.n_banks; i++) {
		enum ward_hash_alg a;

		if (tq.pcrs[i] == 0)
			continue;
		/* (a decoded statement's PCR is at most WARD_QUOTE_PCR_MAX) */
		if (tq.pcrs[i] != (1ull << res->msg.pcr) || hash_alg_from_tpm_id(tq.alg[i], &a) < 0 ||
		    !(res->msg.banks & (1u << a)) || (covered & (1u << a))) {
			sel_ok = false;
			break;
		}
		covered |= 1u << a;
		memcpy(vals + vlen, res->msg.reg[a], hash_alg_size(a));
		vlen += hash_alg_size(a);
	}
	if (!sel_ok || covered != res->msg.banks) {
		if ((r = add_reason(res, "the TPM quote does not select exactly PCR %u in each bank "
					 "of the statement", (unsigned)res->msg.pcr)) < 0)
			return r;
		return 0;
	}
	if (report_tpm_pcr_digest(tq.sig_hash, vals, vlen, want, sizeof(want), &want_len) < 0 ||
	    want_len != tq.pcr_digest_len || memcmp(want, tq.pcr_digest, want_len) != 0) {
		if ((r = add_reason(res, "the TPM's PCR %u is not the statement's register values "
					 "(pcrDigest differs)", (unsigned)res->msg.pcr)) < 0)
			return r;
		return 0;
	}
	res->tpm_pcr_ok = true;
	return 0;
}

/*
 * tsm: a SEV-SNP report or TDX quote over SHA-512 of the statement, and the statement signed by
 * the monitor key it binds (verify-tsm.c). The report is the root of trust: no key is pinned.
 */
static int check_tsm(struct ward_verify_result *res, json_t *quote, const uint8_t *msg,
		     size_t msg_len, const uint8_t *sig, size_t sig_len,
		     const struct ward_verify_opts *o, struct ward_diag *d)
{
	_cleanup_free_ uint8_t *rep = NULL, *aux = NULL;
	struct ward_report_result rr = { .verdict = WARD_VERDICT_PASS };
	struct tsm_verdict tv = { 0 };
	struct tsm_evidence e = { .msg = &res->msg, .message = msg, .message_len = msg_len,
				  .signature = sig, .signature_len = sig_len,
				  .public_key = res->public_key,
				  .public_key_len = res->public_key_len };
	int r;

	if ((r = json_req_string(quote, "report_type", "evidence quote", &e.report_type, d)) < 0 ||
	    (r = get_b64(quote, "report", "evidence quote", &rep, &e.report_len, d)) < 0 ||
	    (r = get_b64(quote, "aux", "evidence quote", &aux, &e.aux_len, d)) < 0)
		return r;
	e.report = rep;
	e.aux = aux;
	r = verify_tsm(&e, o, &rr, &tv, d);
	for (size_t i = 0; r >= 0 && i < rr.n_reasons; i++)
		r = add_reason(res, "%s", rr.reasons[i]);
	report_result_clear(&rr);
	if (r < 0)
		return r;
	res->signature_ok = tv.signature_ok;
	res->key_pinned = tv.key_bound && tv.report_ok && tv.report_data_ok;
	res->hardware_rooted = tv.hardware_rooted;
	return 0;
}

int verify_evidence(const uint8_t *buf, size_t len, const struct ward_verify_opts *o,
		    struct ward_verify_result *res, struct ward_diag *d)
{
	static const char *const keys[] = { "ward_evidence", "attester", "public_key", "quote", "log",
					    NULL };
	static const char *const qkeys[] = { "message", "signature", "attest", "ak_public", NULL };
	static const char *const tsm_qkeys[] = { "message", "signature", "report", "report_type",
						 "aux", NULL };
	static const char *const lkeys[] = { "format", "template_digest", "first_record", "data", NULL };
	_cleanup_json_ json_t *root = NULL;
	_cleanup_free_ uint8_t *msg = NULL, *sig = NULL, *logdata = NULL;
	size_t msg_len, sig_len, log_len, klen;
	const char *att, *keyhex, *fmt, *tdig;
	uint64_t ver, first;
	json_t *quote, *logo;
	enum ward_hash_alg tbank;
	enum ward_verdict lv;
	size_t bad;
	int r;

	memset(res, 0, sizeof(*res));
	evlog_init(&res->log);
	res->verdict = WARD_VERDICT_PASS;
	if (len > WARD_EVIDENCE_MAX)
		return diag_set(d, -E2BIG, "evidence larger than %llu bytes",
				(unsigned long long)WARD_EVIDENCE_MAX);
	if ((r = json_parse_strict(buf, len, "evidence", &root, d)) < 0 ||
	    (r = json_only_keys(root, keys, "evidence", d)) < 0 ||
	    (r = json_req_u64(root, "ward_evidence", "evidence", &ver, d)) < 0 ||
	    (r = json_req_string(root, "attester", "evidence", &att, d)) < 0 ||
	    (r = json_req_string(root, "public_key", "evidence", &keyhex, d)) < 0 ||
	    (r = json_req_object(root, "quote", "evidence", &quote, d)) < 0 ||
	    (r = json_req_object(root, "log", "evidence", &logo, d)) < 0 ||
	    (r = json_only_keys(quote, strcmp(att, "tsm") == 0 ? tsm_qkeys : qkeys,
				"evidence quote", d)) < 0 ||
	    (r = json_only_keys(logo, lkeys, "evidence log", d)) < 0 ||
	    (r = get_b64(quote, "message", "evidence quote", &msg, &msg_len, d)) < 0 ||
	    (r = get_b64(quote, "signature", "evidence quote", &sig, &sig_len, d)) < 0 ||
	    (r = json_req_string(logo, "format", "evidence log", &fmt, d)) < 0 ||
	    (r = json_req_string(logo, "template_digest", "evidence log", &tdig, d)) < 0 ||
	    (r = json_req_u64(logo, "first_record", "evidence log", &first, d)) < 0 ||
	    (r = get_b64(logo, "data", "evidence log", &logdata, &log_len, d)) < 0)
		return r;
	if (ver != WARD_EVIDENCE_FORMAT)
		return diag_set(d, -EBADMSG, "evidence: format %llu is not supported",
				(unsigned long long)ver);
	if (strcmp(fmt, "ima-binary-le") != 0 || hash_alg_from_name(tdig, &tbank) < 0)
		return diag_set(d, -EBADMSG, "evidence log: unsupported format %s/%s", fmt, tdig);
	if (strcmp(att, "soft") != 0 && strcmp(att, "tpm") != 0 && strcmp(att, "tsm") != 0)
		return diag_set(d, -EOPNOTSUPP, "evidence: cannot verify '%s' evidence in this build",
				att);
	if (hex_decode(keyhex, strlen(keyhex), res->public_key, sizeof(res->public_key), &klen) < 0)
		return diag_set(d, -EBADMSG, "evidence: \"public_key\" is not lower-case hex DER");
	res->public_key_len = klen;

	/* The statement. */
	if ((r = quote_msg_decode(msg, msg_len, &res->msg, d)) < 0)
		return r;
	res->msg_decoded = true;
	if (strcmp(res->msg.attester_type, att) != 0 &&
	    (r = add_reason(res, "quote message names attester '%s', bundle says '%s'",
			    res->msg.attester_type, att)) < 0)
		return r;

	/* Who signed it, and did they? */
	if (strcmp(att, "soft") == 0)
		r = check_soft(res, quote, msg, msg_len, sig, sig_len, o, d);
	else if (strcmp(att, "tpm") == 0)
		r = check_tpm(res, quote, msg, msg_len, sig, sig_len, o, d);
	else
		r = check_tsm(res, quote, msg, msg_len, sig, sig_len, o, d);
	if (r < 0)
		return r;
	/* An expected TEE measurement that this evidence cannot show is not met (fail closed). */
	if (o->tee_measurement && strcmp(att, "tsm") != 0 &&
	    (r = add_reason(res, "a TEE measurement was expected, but %s evidence carries no "
				 "SEV-SNP or TDX report", att)) < 0)
		return r;

	/* Made for this kind of verifier? */
	if ((res->msg.flags & WARD_QUOTE_CHANNEL) && !o->channel &&
	    (r = add_reason(res, "the statement was made for a client of the attested channel "
				 "(ward call), not as evidence")) < 0)
		return r;
	if (!(res->msg.flags & WARD_QUOTE_CHANNEL) && o->channel &&
	    (r = add_reason(res, "the statement was not made for the attested channel")) < 0)
		return r;

	/* For this verifier's question? */
	res->nonce_ok = o->nonce && o->nonce_len == res->msg.nonce_len &&
			memcmp(o->nonce, res->msg.nonce, o->nonce_len) == 0;
	if (!res->nonce_ok &&
	    (r = add_reason(res, o->channel ? "the evidence is not bound to this connection (its "
					      "nonce covers another TLS session, server key, "
					      "client nonce or service): a man in the middle, or "
					      "evidence replayed from another connection"
					    : "nonce does not match: the evidence answers another "
					      "request (or is replayed)")) < 0)
		return r;

	/* The log, and whether it explains the registers. */
	r = evlog_parse_binary(logdata, log_len, tbank, &res->log, d);
	if (r < 0) {
		diag_prefix(d, "evidence log: ");
		return r;
	}
	if ((r = evlog_check_digests(&res->log, &lv, &bad, d)) < 0)
		return r;
	res->log_ok = lv == WARD_VERDICT_PASS;
	if (!res->log_ok && (r = add_reason(res, "log record %llu: template digest does not match its data",
					    (unsigned long long)(first + bad))) < 0)
		return r;
	if (first != res->msg.first_record &&
	    (r = add_reason(res, "log starts at record %llu, the quote says %llu",
			    (unsigned long long)first,
			    (unsigned long long)res->msg.first_record)) < 0)
		return r;
	if (first + res->log.n != res->msg.record_count &&
	    (r = add_reason(res, "log has %llu records, the quote attests %llu",
			    (unsigned long long)(first + res->log.n),
			    (unsigned long long)res->msg.record_count)) < 0)
		return r;

	res->registers_ok = true;
	if (first > 0 && !o->prior) {
		res->registers_ok = false;
		if ((r = add_reason(res, "evidence starts at record %llu: pass the state of a "
					 "previous verification (--prior)",
				    (unsigned long long)first)) < 0)
			return r;
	} else if (first > 0 && (o->prior->records != first || o->prior->pcr != res->msg.pcr ||
				 (o->prior->banks & res->msg.banks) != res->msg.banks ||
				 o->prior->public_key_len != klen ||
				 memcmp(o->prior->public_key, res->public_key, klen) != 0)) {
		res->registers_ok = false;
		if ((r = add_reason(res, "the prior state (%llu records) does not continue into this "
					 "evidence (starts at %llu, or another key, PCR or bank)",
				    (unsigned long long)o->prior->records,
				    (unsigned long long)first)) < 0)
			return r;
	} else if (first == 0 && o->prior && o->prior->records > res->log.n) {
		/* A full log shorter than what this verifier already saw: records were lost. */
		res->registers_ok = false;
		if ((r = add_reason(res, "the log has %zu records, fewer than the %llu of the prior "
					 "verification: records were removed",
				    res->log.n, (unsigned long long)o->prior->records)) < 0)
			return r;
	} else {
		for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
			uint8_t reg[WARD_HASH_MAX_SIZE] = { 0 };
			size_t done = 0;

			if (!(res->msg.banks & (1u << a)))
				continue;
			if (first > 0) {
				memcpy(reg, o->prior->reg[a], hash_alg_size(a));
			} else if (o->prior && (o->prior->banks & (1u << a))) {
				/* A full log given with a prior state must extend it. */
				done = (size_t)o->prior->records;
				if ((r = evlog_replay(&res->log, 0, done, res->msg.pcr, a, reg)) < 0)
					return r;
				if (memcmp(reg, o->prior->reg[a], hash_alg_size(a)) != 0) {
					res->registers_ok = false;
					if ((r = add_reason(res, "the first %zu records do not replay to "
								 "the prior %s register: the log was rewritten",
							    done, hash_alg_name(a))) < 0)
						return r;
				}
			}
			if ((r = evlog_replay(&res->log, done, res->log.n - done, res->msg.pcr, a, reg)) < 0)
				return r;
			memcpy(res->next.reg[a], reg, hash_alg_size(a));
			if (memcmp(reg, res->msg.reg[a], hash_alg_size(a)) != 0) {
				res->registers_ok = false;
				if ((r = add_reason(res, "the log replays to a different %s register than "
							 "the attested one",
						    hash_alg_name(a))) < 0)
					return r;
			}
		}
	}
	res->next.records = res->msg.record_count;
	res->next.pcr = res->msg.pcr;
	res->next.banks = res->msg.banks;
	memcpy(res->next.public_key, res->public_key, klen);
	res->next.public_key_len = klen;

	/* What ran. */
	return check_objects(res, o, d);
}

int verify_prior_parse(const uint8_t *buf, size_t len, struct ward_verify_prior *ret,
		       struct ward_diag *d)
{
	static const char *const keys[] = { "records", "pcr", "registers", "public_key", NULL };
	_cleanup_json_ json_t *root = NULL;
	struct ward_verify_prior p = { 0 };
	json_t *st, *regs, *v;
	const char *key, *hex;
	uint64_t pcr;
	size_t n;
	int r;

	if ((r = json_parse_strict(buf, len, "prior", &root, d)) < 0)
		return r;
	st = json_object_get(root, "state");
	if (st) {
		if (!json_is_true(json_object_get(root, "trusted")))
			return diag_set(d, -EBADMSG, "prior: that verification was not trusted");
	} else {
		st = root;
	}
	if ((r = json_only_keys(st, keys, "prior state", d)) < 0 ||
	    (r = json_req_u64(st, "records", "prior state", &p.records, d)) < 0 ||
	    (r = json_req_u64(st, "pcr", "prior state", &pcr, d)) < 0 ||
	    (r = json_req_string(st, "public_key", "prior state", &hex, d)) < 0 ||
	    (r = json_req_object(st, "registers", "prior state", &regs, d)) < 0)
		return r;
	if (pcr > 23)
		return diag_set(d, -EBADMSG, "prior state: bad pcr");
	p.pcr = (uint32_t)pcr;
	if (hex_decode(hex, strlen(hex), p.public_key, sizeof(p.public_key), &p.public_key_len) < 0)
		return diag_set(d, -EBADMSG, "prior state: bad public_key");
	json_object_foreach(regs, key, v) {
		enum ward_hash_alg a;
		const char *s = json_string_value(v);

		if (hash_alg_from_name(key, &a) < 0 || !s || strlen(s) != 2 * hash_alg_size(a) ||
		    hex_decode(s, strlen(s), p.reg[a], sizeof(p.reg[a]), &n) < 0)
			return diag_set(d, -EBADMSG, "prior state: bad register \"%s\"", key);
		p.banks |= 1u << a;
	}
	*ret = p;
	return 0;
}
