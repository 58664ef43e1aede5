/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evidence verification. Order matters for the explanation, not for the verdict: every check
 * runs and records why it failed, and the verdict is PASS only when all passed. A malformed
 * bundle is an error (cannot judge), never a PASS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward/decision.h"
#include "ward/verify.h"

static int add_reason(struct ward_verify_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_reason(struct ward_verify_result *res, const char *fmt, ...)
{
	char **nr;
	char *s;
	va_list ap;
	int n;

	res->verdict = WARD_VERDICT_FAIL;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	nr = realloc(res->reasons, (res->n_reasons + 1) * sizeof(*nr));
	if (!nr) {
		free(s);
		return -ENOMEM;
	}
	res->reasons = nr;
	res->reasons[res->n_reasons++] = s;
	return 0;
}

void verify_result_clear(struct ward_verify_result *r)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		free(r->reasons[i]);
	free(r->reasons);
	for (size_t i = 0; i < r->n_unknown; i++)
		free(r->unknown[i].path);
	free(r->unknown);
	evlog_free(&r->log);
	memset(r, 0, sizeof(*r));
}

int verify_load_pubkey_pem(const uint8_t *pem, size_t len, EVP_PKEY **ret, struct ward_diag *d)
{
	_cleanup_bio_ BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k;

	if (!bio || len > WARD_PEM_MAX)
		return diag_set(d, -EBADMSG, "public key too large");
	k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!k)
		return diag_set(d, -EBADMSG, "not a PEM public key");
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		return diag_set(d, -EBADMSG, "not an Ed25519 public key");
	}
	*ret = k;
	return 0;
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

static bool key_pinned(const uint8_t *der, size_t len, const struct ward_verify_opts *o)
{
	for (size_t i = 0; i < o->n_soft_keys; i++) {
		unsigned char *pd = NULL;
		int n = i2d_PUBKEY(o->soft_keys[i], &pd);
		bool eq = n > 0 && (size_t)n == len && memcmp(pd, der, len) == 0;

		OPENSSL_free(pd);
		if (eq)
			return true;
	}
	return false;
}

static int check_signature(const uint8_t *der, size_t der_len, const uint8_t *msg, size_t msg_len,
			   const uint8_t *sig, size_t sig_len, bool *ret_ok)
{
	const unsigned char *p = der;
	_cleanup_pkey_ EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)der_len);
	_cleanup_md_ctx_ EVP_MD_CTX *ctx = NULL;

	*ret_ok = false;
	if (!key || p != der + der_len || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
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

/* Every measured object must be in the reference values; decisions are counted. */
static int check_objects(struct ward_verify_result *res, const struct ward_verify_opts *o,
			 struct ward_diag *d)
{
	int r;

	res->policy_ok = true;
	for (size_t i = 0; i < res->log.n; i++) {
		const struct ward_evlog_record *rec = &res->log.rec[i];
		struct ward_file_digest fd;
		struct ward_decision dec;
		const char *name = evlog_record_name(rec);
		uint32_t blen;

		r = decision_from_record(rec, &dec, d);
		if (r == 0) {
			res->decisions_allow += dec.verdict == WARD_DECISION_ALLOW;
			res->decisions_deny += dec.verdict == WARD_DECISION_DENY;
			res->decisions_audit += dec.verdict == WARD_DECISION_AUDIT;
			continue;
		}
		if (r != -ENOENT) {
			diag_prefix(d, "record %zu: ", (size_t)(res->msg.first_record + i));
			return r;
		}
		{
			struct ward_domain_event ev;

			r = domain_event_from_record(rec, &ev, d);
			if (r == 0) {
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
				diag_prefix(d, "record %zu: ", (size_t)(res->msg.first_record + i));
				return r;
			}
		}
		/* ward writes neither violations nor buffers other than its own events, and
		 * every record it writes names a file digest: anything else in its evidence is
		 * not ward's and is not waved through. */
		if (rec->violation) {
			if ((r = add_reason(res, "record %llu is a violation record, which ward never "
						 "writes", (unsigned long long)(res->msg.first_record + i))) < 0)
				return r;
			continue;
		}
		if (evlog_record_field(rec, WARD_TF_BUF, &blen) ||
		    evlog_record_file_digest(rec, &fd) < 0) {
			if ((r = add_reason(res, "record %llu (%s %s) is not a measurement or a ward "
						 "event", (unsigned long long)(res->msg.first_record + i),
					    rec->template_name, name ? name : "")) < 0)
				return r;
			continue;
		}
		res->objects++;
		if (!o->policy)
			continue;
		if (!policy_lookup(o->policy, fd.alg, fd.digest, fd.len)) {
			res->policy_ok = false;
			if ((r = add_unknown(res, fd.alg, fd.digest, fd.len, name)) < 0)
				return r;
		}
	}
	if (o->policy && !res->policy_ok) {
		const struct ward_verify_object *u = &res->unknown[0];
		return add_reason(res, "%zu measured object%s not in the reference values (first: %s %s)",
				  res->n_unknown, res->n_unknown == 1 ? " is" : "s are", u->path,
				  u->digest);
	}
	return 0;
}

int verify_evidence(const uint8_t *buf, size_t len, const struct ward_verify_opts *o,
		    struct ward_verify_result *res, struct ward_diag *d)
{
	static const char *const keys[] = { "ward_evidence", "attester", "public_key", "quote", "log",
					    NULL };
	static const char *const qkeys[] = { "message", "signature", NULL };
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
	    (r = json_only_keys(quote, qkeys, "evidence quote", d)) < 0 ||
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
	if (strcmp(att, "soft") != 0)
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
	res->hardware_rooted = false; /* soft: a key in a file, whatever the bundle claims */

	/* Who signed it, and did they? */
	r = check_signature(res->public_key, klen, msg, msg_len, sig, sig_len, &res->signature_ok);
	if (r == -EBADMSG)
		return diag_set(d, r, "evidence: \"public_key\" is not an Ed25519 SubjectPublicKeyInfo");
	if (r < 0)
		return r;
	if (!res->signature_ok && (r = add_reason(res, "the quote signature does not verify")) < 0)
		return r;
	res->key_pinned = key_pinned(res->public_key, klen, o);
	if (!res->key_pinned &&
	    (r = add_reason(res, o->n_soft_keys ? "signed by a soft attester key that is not pinned"
						: "soft evidence is trusted only with a pinned key "
						  "(--soft-key)")) < 0)
		return r;

	/* For this verifier's question? */
	res->nonce_ok = o->nonce && o->nonce_len == res->msg.nonce_len &&
			memcmp(o->nonce, res->msg.nonce, o->nonce_len) == 0;
	if (!res->nonce_ok && (r = add_reason(res, "nonce does not match: the evidence answers "
						   "another request (or is replayed)")) < 0)
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
