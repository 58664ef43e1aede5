/* SPDX-License-Identifier: Apache-2.0 */
/* The installed policy of a state dir: trust, install, revoke, roll-forward, watch. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "core/util.h"
#include "ward/decision.h"
#include "ward/policy-sign.h"
#include "ward/policy-state.h"

#define POLICY_DIR "policy"
#define TRUSTED_DIR "trusted"
#define STORE_DIR "store"
#define CURRENT "current"
#define LOCK "lock"
#define CURRENT_MAX (16 * 1024)

static const char *const status_names[] = {
	[WARD_POLICY_NONE] = "none",
	[WARD_POLICY_ACTIVE] = "active",
	[WARD_POLICY_REVOKED] = "revoked",
};

const char *policy_status_name(enum ward_policy_status s)
{
	return (unsigned)s <= WARD_POLICY_REVOKED ? status_names[s] : "?";
}

/* An fd of STATE/policy[/sub], created 0700 on the way; refused unless owned by us and closed
 * to others (like the log: whoever can write it decides what runs). */
static int open_dir(struct ward_state *st, const char *sub, bool create, struct ward_diag *d)
{
	_cleanup_close_ int pfd = -EBADF;
	struct stat s;
	int fd;

	if (create && mkdirat(st->dirfd, POLICY_DIR, 0700) < 0 && errno != EEXIST)
		return diag_set(d, -errno, "cannot create %s/%s: %s", st->path, POLICY_DIR,
				strerror(errno));
	pfd = openat(st->dirfd, POLICY_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? -ENOENT :
		       diag_set(d, -errno, "cannot open %s/%s: %s", st->path, POLICY_DIR,
				strerror(errno));
	if (fstat(pfd, &s) < 0 || s.st_uid != geteuid() || (s.st_mode & 077))
		return diag_set(d, -EPERM, "%s/%s must be owned by uid %u with mode 0700",
				st->path, POLICY_DIR, (unsigned)geteuid());
	if (!sub)
		return TAKE_FD(pfd);
	if (create && mkdirat(pfd, sub, 0700) < 0 && errno != EEXIST)
		return diag_set(d, -errno, "cannot create %s/%s/%s: %s", st->path, POLICY_DIR, sub,
				strerror(errno));
	fd = openat(pfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT :
		       diag_set(d, -errno, "cannot open %s/%s/%s: %s", st->path, POLICY_DIR, sub,
				strerror(errno));
	if (fstat(fd, &s) < 0 || s.st_uid != geteuid() || (s.st_mode & 077)) {
		close(fd);
		return diag_set(d, -EPERM, "%s/%s/%s must be owned by uid %u with mode 0700",
				st->path, POLICY_DIR, sub, (unsigned)geteuid());
	}
	return fd;
}

static int lock_policy(struct ward_state *st, int *ret_fd, struct ward_diag *d)
{
	_cleanup_close_ int pfd = open_dir(st, NULL, true, d);
	int fd;

	if (pfd < 0)
		return pfd;
	fd = openat(pfd, LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return diag_set(d, -errno, "cannot open the policy lock: %s", strerror(errno));
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int r = -errno;
			close(fd);
			return diag_set(d, r, "cannot lock the policy state: %s", strerror(-r));
		}
	*ret_fd = fd;
	return 0;
}

static int read_current(struct ward_state *st, struct ward_policy_current *ret,
			struct ward_diag *d)
{
	static const char *const keys[] = { "ward_policy_state", "status", "name", "version",
					    "digest", "issuer", "high_water", "record", "since",
					    NULL };
	_cleanup_close_ int pfd = open_dir(st, NULL, false, d), fd = -EBADF;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_json_ json_t *o = NULL;
	struct ward_policy_current c = { 0 };
	const char *s, *name, *iss, *dg;
	uint64_t fmt, since;
	size_t len, n;
	int r;

	*ret = c;
	if (pfd == -ENOENT)
		return 0;
	if (pfd < 0)
		return pfd;
	fd = openat(pfd, CURRENT, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fd_check_owned(fd, 077, NULL) < 0)
		return diag_set(d, -EPERM, "%s/%s/%s: cannot be opened or is open to others",
				st->path, POLICY_DIR, CURRENT);
	if ((r = read_fd_full(fd, CURRENT_MAX, &buf, &len)) < 0)
		return diag_set(d, r, "%s/%s/%s: %s", st->path, POLICY_DIR, CURRENT, strerror(-r));
	if ((r = json_parse_strict(buf, len, "policy state", &o, d)) < 0 ||
	    (r = json_only_keys(o, keys, "policy state", d)) < 0 ||
	    (r = json_req_u64(o, "ward_policy_state", "policy state", &fmt, d)) < 0 ||
	    (r = json_req_string(o, "status", "policy state", &s, d)) < 0 ||
	    (r = json_req_string(o, "name", "policy state", &name, d)) < 0 ||
	    (r = json_req_u64(o, "version", "policy state", &c.version, d)) < 0 ||
	    (r = json_req_string(o, "digest", "policy state", &dg, d)) < 0 ||
	    (r = json_req_string(o, "issuer", "policy state", &iss, d)) < 0 ||
	    (r = json_req_u64(o, "high_water", "policy state", &c.high_water, d)) < 0 ||
	    (r = json_req_u64(o, "record", "policy state", &c.record, d)) < 0 ||
	    (r = json_req_u64(o, "since", "policy state", &since, d)) < 0)
		goto bad;
	if (fmt != 1 || (strcmp(s, "active") && strcmp(s, "revoked")) ||
	    strlen(name) >= sizeof(c.name) || strlen(iss) >= sizeof(c.issuer) || strlen(dg) != 64 ||
	    hex_decode(dg, 64, c.digest, sizeof(c.digest), &n) < 0 || since > INT64_MAX) {
		r = diag_set(d, -EBADMSG, "malformed");
		goto bad;
	}
	c.status = strcmp(s, "active") == 0 ? WARD_POLICY_ACTIVE : WARD_POLICY_REVOKED;
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.issuer, sizeof(c.issuer), "%s", iss);
	c.since = (int64_t)since;
	*ret = c;
	return 0;
bad:
	diag_prefix(d, "%s/%s/%s: ", st->path, POLICY_DIR, CURRENT);
	return -EBADMSG;
}

static int write_current(struct ward_state *st, const struct ward_policy_current *c,
			 struct ward_diag *d)
{
	_cleanup_close_ int pfd = open_dir(st, NULL, true, d);
	_cleanup_json_ json_t *o = NULL;
	_cleanup_free_ char *text = NULL;
	char hex[65];
	int r;

	if (pfd < 0)
		return pfd;
	hex_encode(c->digest, sizeof(c->digest), hex);
	o = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I}", "ward_policy_state", 1,
		      "status", policy_status_name(c->status), "name", c->name, "version",
		      (json_int_t)c->version, "digest", hex, "issuer", c->issuer, "high_water",
		      (json_int_t)c->high_water, "record", (json_int_t)c->record, "since",
		      (json_int_t)c->since);
	text = o ? json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		return -ENOMEM;
	r = write_file_atomic(pfd, CURRENT, text, strlen(text), 0600);
	if (r < 0)
		return diag_set(d, r, "cannot write %s/%s/%s: %s", st->path, POLICY_DIR, CURRENT,
				strerror(-r));
	return 0;
}

/*
 * Roll @c forward to the last ward-policy record of the log after the one it names: the record
 * is written before `current`, so a crash in between leaves the log ahead, never behind.
 */
static int roll_forward(struct ward_state *st, struct ward_policy_current *c, struct ward_diag *d)
{
	const struct ward_evlog *log;
	struct ward_policy_event ev, last;
	size_t from, at = 0;
	bool found = false;
	int r;

	if ((r = evlog_store_refresh(st->log, d)) < 0)
		return r;
	log = evlog_store_log(st->log);
	from = c->status == WARD_POLICY_NONE ? 0 : (size_t)c->record + 1;
	if (c->status != WARD_POLICY_NONE && c->record >= log->n)
		return diag_set(d, -EBADMSG,
				"the policy state names log record %llu, but the log has %zu: the "
				"log or the state dir was replaced",
				(unsigned long long)c->record, log->n);
	for (size_t i = from; i < log->n; i++) {
		const char *name = evlog_record_name(&log->rec[i]);

		if (!name || strcmp(name, WARD_POLICY_RECORD_NAME) != 0)
			continue;
		r = policy_event_from_record(&log->rec[i], &ev, d);
		if (r < 0) {
			diag_prefix(d, "log record %zu: ", i);
			return r;
		}
		last = ev;
		at = i;
		found = true;
	}
	if (!found)
		return 0;
	c->status = last.action == WARD_POLICY_REVOKE ? WARD_POLICY_REVOKED : WARD_POLICY_ACTIVE;
	snprintf(c->name, sizeof(c->name), "%s", last.name);
	c->version = last.version;
	memcpy(c->digest, last.digest, sizeof(c->digest));
	snprintf(c->issuer, sizeof(c->issuer), "%s", last.issuer);
	c->high_water = last.high_water;
	c->record = at;
	c->since = time(NULL);
	return write_current(st, c, d);
}

int policy_state_current(struct ward_state *st, struct ward_policy_current *ret,
			 struct ward_diag *d)
{
	_cleanup_close_ int lock = -EBADF;
	struct ward_policy_current c;
	int r;

	if ((r = lock_policy(st, &lock, d)) < 0 || (r = read_current(st, &c, d)) < 0 ||
	    (r = roll_forward(st, &c, d)) < 0)
		return r;
	*ret = c;
	return 0;
}

int policy_deny_all(const struct ward_policy_current *cur, struct ward_policy **ret)
{
	struct ward_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (asprintf(&p->name, "revoked:%s", cur->name) < 0) {
		free(p);
		return -ENOMEM;
	}
	p->version = cur->version;
	p->hash = WARD_HASH_SHA256;
	p->entries = calloc(1, sizeof(*p->entries));
	if (!p->entries) {
		policy_free(p);
		return -ENOMEM;
	}
	memcpy(p->file_digest, cur->digest, sizeof(p->file_digest));
	snprintf(p->issuer, sizeof(p->issuer), "%s", cur->issuer);
	*ret = p;
	return 0;
}

static void stored_name(const uint8_t digest[32], const char *ext, char *out, size_t len)
{
	char hex[65];

	hex_encode(digest, 32, hex);
	snprintf(out, len, "%s.%s", hex, ext);
}

int policy_state_read_stored(struct ward_state *st, const uint8_t digest[32], uint8_t **ret_buf,
			     size_t *ret_len)
{
	_cleanup_close_ int sfd = open_dir(st, STORE_DIR, false, NULL), fd = -EBADF;
	char name[80];

	if (sfd < 0)
		return sfd;
	stored_name(digest, "json", name, sizeof(name));
	fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fd_check_owned(fd, 077, NULL) < 0)
		return -EPERM;
	return read_fd_full(fd, WARD_POLICY_FILE_MAX, ret_buf, ret_len);
}

int policy_state_load(struct ward_state *st, const struct ward_policy_current *cur,
		      struct ward_policy **ret, struct ward_diag *d)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct ward_policy *p;
	size_t len;
	int r;

	if (cur->status == WARD_POLICY_NONE)
		return -ENOENT;
	if (cur->status == WARD_POLICY_REVOKED)
		return policy_deny_all(cur, ret);
	r = policy_state_read_stored(st, cur->digest, &buf, &len);
	if (r < 0)
		return diag_set(d, r, "the installed policy %s v%llu cannot be read from %s/%s/%s: %s",
				cur->name, (unsigned long long)cur->version, st->path, POLICY_DIR,
				STORE_DIR, strerror(-r));
	if ((r = state_load_policy(st, buf, len, &p, d)) < 0) {
		diag_prefix(d, "the installed policy: ");
		return r;
	}
	if (memcmp(p->file_digest, cur->digest, 32) != 0) {
		policy_free(p);
		return diag_set(d, -EBADMSG, "the stored policy file does not match its digest");
	}
	*ret = p;
	return 0;
}

/* The trusted key of @id ("ed25519:<hex>"), or -ENOKEY. */
static int trusted_key(struct ward_state *st, const char *id, EVP_PKEY **ret, struct ward_diag *d)
{
	_cleanup_close_ int tfd = open_dir(st, TRUSTED_DIR, false, d), fd = -EBADF;
	_cleanup_free_ uint8_t *pem = NULL;
	char name[80], got[WARD_KEY_ID_STR_MAX];
	EVP_PKEY *k;
	size_t len;
	int r;

	if (tfd == -ENOENT)
		return -ENOKEY;
	if (tfd < 0)
		return tfd;
	snprintf(name, sizeof(name), "%s.pub", id + 8);
	fd = openat(tfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOKEY : -errno;
	if ((r = read_fd_full(fd, WARD_KEY_FILE_MAX, &pem, &len)) < 0 ||
	    (r = policy_pubkey_parse(pem, len, &k, d)) < 0)
		return r;
	/* The file's name is only a name: the key must be the one the id names. */
	if (policy_key_id(k, got) < 0 || strcmp(got, id) != 0) {
		EVP_PKEY_free(k);
		return diag_set(d, -EBADMSG, "trusted key %s holds another key (%s)", name, got);
	}
	*ret = k;
	return 0;
}

int policy_state_trust(struct ward_state *st, const uint8_t *pem, size_t len,
		       char ret_id[WARD_KEY_ID_STR_MAX], struct ward_diag *d)
{
	_cleanup_close_ int tfd = -EBADF;
	EVP_PKEY *k;
	char id[WARD_KEY_ID_STR_MAX], name[80];
	int r;

	if ((r = policy_pubkey_parse(pem, len, &k, d)) < 0)
		return r;
	r = policy_key_id(k, id);
	EVP_PKEY_free(k);
	if (r < 0)
		return diag_set(d, r, "cannot compute the key id");
	tfd = open_dir(st, TRUSTED_DIR, true, d);
	if (tfd < 0)
		return tfd;
	snprintf(name, sizeof(name), "%s.pub", id + 8);
	if ((r = write_file_atomic(tfd, name, pem, len, 0600)) < 0)
		return diag_set(d, r, "cannot write the trusted key: %s", strerror(-r));
	memcpy(ret_id, id, sizeof(id));
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int policy_state_trusted(struct ward_state *st, char (*ret)[WARD_KEY_ID_STR_MAX], size_t max)
{
	int tfd = open_dir(st, TRUSTED_DIR, false, NULL);
	struct dirent *e;
	size_t n = 0;
	DIR *dir;

	if (tfd == -ENOENT)
		return 0;
	if (tfd < 0)
		return tfd;
	dir = fdopendir(tfd);
	if (!dir) {
		close(tfd);
		return -errno;
	}
	while ((e = readdir(dir)) && n < max) {
		size_t l = strlen(e->d_name);

		if (l != 64 + 4 || strcmp(e->d_name + 64, ".pub") != 0)
			continue;
		snprintf(ret[n++], WARD_KEY_ID_STR_MAX, "ed25519:%.64s", e->d_name);
	}
	closedir(dir);
	qsort(ret, n, WARD_KEY_ID_STR_MAX, id_cmp);
	return (int)n;
}

/* Keep the stored files of @keep and @prev; remove the others (older policies). */
static void prune_store(int sfd, const uint8_t *keep, const uint8_t *prev)
{
	char k[80], p[80];
	struct dirent *e;
	int fd = dup(sfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	stored_name(keep, "", k, sizeof(k));
	if (prev)
		stored_name(prev, "", p, sizeof(p));
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, k, 65) == 0 ||
		    (prev && strncmp(e->d_name, p, 65) == 0))
			continue;
		(void)unlinkat(sfd, e->d_name, 0);
	}
	closedir(dir);
}

static int append_transition(struct ward_state *st, enum ward_policy_action action,
			     const struct ward_policy_current *c, struct ward_diag *d)
{
	struct ward_policy_event ev = { .action = action, .version = c->version,
					.high_water = c->high_water };
	struct ward_evlog_record rec = { 0 };
	int r;

	snprintf(ev.name, sizeof(ev.name), "%s", c->name);
	snprintf(ev.issuer, sizeof(ev.issuer), "%s", c->issuer);
	memcpy(ev.digest, c->digest, sizeof(ev.digest));
	r = policy_event_record_new(st->pcr, &ev, &rec);
	if (r < 0)
		return diag_set(d, r, "policy record: %s", strerror(-r));
	/* Durable before anything else changes (state_append syncs). */
	r = state_append(st, &rec, 1, d);
	evlog_record_free(&rec);
	return r;
}

int policy_state_verify(struct ward_state *st, const struct ward_policy *p, const uint8_t *buf,
			size_t len, const uint8_t *sig, size_t siglen, struct ward_diag *d)
{
	EVP_PKEY *key = NULL;
	int r;

	if (!p->issuer[0])
		return diag_set(d, -ENOKEY, "the policy names no \"issuer\": only signed policies "
					    "from a trusted issuer can be installed");
	r = trusted_key(st, p->issuer, &key, d);
	if (r == -ENOKEY)
		return diag_set(d, -ENOKEY, "issuer %s is not trusted here ('ward policy trust "
					    "KEY.pub' adds it)", p->issuer);
	if (r < 0)
		return r;
	r = policy_sig_check(key, buf, len, sig, siglen);
	EVP_PKEY_free(key);
	if (r == -EBADMSG)
		return diag_set(d, r, "the signature is malformed (%zu bytes, expected %d)", siglen,
				WARD_ED25519_SIG_SIZE);
	if (r < 0)
		return diag_set(d, -EKEYREJECTED, "the signature does not verify with issuer %s: "
						  "the file was changed or signed by another key",
				p->issuer);
	return 0;
}

int policy_state_install(struct ward_state *st, const uint8_t *buf, size_t len,
			 const uint8_t *sig, size_t siglen, int64_t now,
			 struct ward_policy_current *ret, struct ward_diag *d)
{
	_cleanup_close_ int lock = -EBADF, sfd = -EBADF;
	struct ward_policy_current cur, next;
	struct ward_policy *p = NULL;
	char name[80];
	int r;

	if (len > WARD_POLICY_FILE_MAX)
		return diag_set(d, -E2BIG, "the policy is larger than %u bytes", WARD_POLICY_FILE_MAX);
	/* Checked before the lock, which monitors take when they start or switch; a policy that
	 * is refused leaves nothing behind, not even its index. */
	if ((r = policy_parse(buf, len, &p, d)) < 0)
		return r == -ENOMEM ? r : (r == -E2BIG ? -E2BIG : -EBADMSG);
	if ((r = policy_state_verify(st, p, buf, len, sig, siglen, d)) < 0)
		goto out;
	r = policy_valid_at(p, now);
	if (r < 0) {
		char t[32];

		rfc3339_format(r == -EKEYEXPIRED ? p->not_after : p->not_before, t, sizeof(t));
		r = diag_set(d, r, r == -EKEYEXPIRED ? "the policy expired at %s" :
						       "the policy is not valid before %s", t);
		goto out;
	}
	if ((r = lock_policy(st, &lock, d)) < 0 || (r = read_current(st, &cur, d)) < 0 ||
	    (r = roll_forward(st, &cur, d)) < 0)
		goto out;
	if (cur.status != WARD_POLICY_NONE && p->version <= cur.high_water) {
		r = diag_set(d, -ESTALE,
			     "version %llu is not above the high-water mark %llu (rollback refused)",
			     (unsigned long long)p->version, (unsigned long long)cur.high_water);
		goto out;
	}
	next = (struct ward_policy_current){ .status = WARD_POLICY_ACTIVE, .version = p->version,
					     .high_water = p->version, .since = now };
	snprintf(next.name, sizeof(next.name), "%s", p->name);
	snprintf(next.issuer, sizeof(next.issuer), "%s", p->issuer);
	memcpy(next.digest, p->file_digest, sizeof(next.digest));
	/* The file first (so a rolled-forward state always finds it), then the record, then
	 * `current`. */
	sfd = open_dir(st, STORE_DIR, true, d);
	if (sfd < 0) {
		r = sfd;
		goto out;
	}
	/* Its index first, so the monitors that switch load it in milliseconds. */
	(void)state_cache_policy_index(st, p);
	stored_name(next.digest, "json", name, sizeof(name));
	if ((r = write_file_atomic(sfd, name, buf, len, 0600)) < 0) {
		r = diag_set(d, r, "cannot store the policy: %s", strerror(-r));
		goto out;
	}
	stored_name(next.digest, "sig", name, sizeof(name));
	if ((r = write_file_atomic(sfd, name, sig, siglen, 0600)) < 0) {
		r = diag_set(d, r, "cannot store the signature: %s", strerror(-r));
		goto out;
	}
	if ((r = append_transition(st, cur.status == WARD_POLICY_ACTIVE ? WARD_POLICY_UPDATE :
									  WARD_POLICY_INSTALL,
				   &next, d)) < 0)
		goto out;
	next.record = evlog_store_log(st->log)->n - 1;
	if ((r = write_current(st, &next, d)) < 0)
		goto out; /* the log has it: the next open rolls forward */
	prune_store(sfd, next.digest, cur.status == WARD_POLICY_ACTIVE ? cur.digest : NULL);
	*ret = next;
out:
	policy_free(p);
	return r;
}

int policy_state_revoke(struct ward_state *st, struct ward_policy_current *ret,
			struct ward_diag *d)
{
	_cleanup_close_ int lock = -EBADF;
	struct ward_policy_current cur;
	int r;

	if ((r = lock_policy(st, &lock, d)) < 0 || (r = read_current(st, &cur, d)) < 0 ||
	    (r = roll_forward(st, &cur, d)) < 0)
		return r;
	if (cur.status != WARD_POLICY_ACTIVE)
		return diag_set(d, -ENOENT, "no policy is active (%s)", policy_status_name(cur.status));
	cur.status = WARD_POLICY_REVOKED;
	cur.since = time(NULL);
	if ((r = append_transition(st, WARD_POLICY_REVOKE, &cur, d)) < 0)
		return r;
	cur.record = evlog_store_log(st->log)->n - 1;
	if ((r = write_current(st, &cur, d)) < 0)
		return r;
	*ret = cur;
	return 0;
}

int policy_state_watch(struct ward_state *st)
{
	char path[4096];
	int fd, r;

	r = open_dir(st, NULL, true, NULL);
	if (r < 0)
		return r;
	close(r);
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", st->path, POLICY_DIR);
	/* `current` is only ever renamed into place (write_file_atomic); nothing else in the dir
	 * matters (the lock file is opened and closed by every reader). */
	if (inotify_add_watch(fd, path, IN_MOVED_TO) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

bool policy_state_drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool current = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			current |= e->len && strcmp(e->name, CURRENT) == 0;
			current |= (e->mask & IN_Q_OVERFLOW) != 0;
			p += sizeof(*e) + e->len;
		}
	}
	return current;
}

int policy_state_for_monitor(struct ward_state *st, const char *path, int64_t now,
			     struct ward_policy **ret, struct ward_policy_ref *ret_pref,
			     enum ward_policy_status *ret_status, struct ward_diag *d)
{
	struct ward_policy_ref pref = { 0 };
	struct ward_policy_current cur;
	struct ward_policy *p = NULL;
	int r;

	if (path) {
		_cleanup_free_ uint8_t *buf = NULL, *sig = NULL;
		_cleanup_free_ char *sigpath = NULL;
		size_t len, siglen;

		r = read_file_full(path, WARD_POLICY_FILE_MAX, &buf, &len);
		if (r < 0)
			return diag_set(d, r, "%s: %s", path, r == -EFBIG ? "too large" : strerror(-r));
		if ((r = state_load_policy(st, buf, len, &p, d)) < 0) {
			diag_prefix(d, "%s: ", path);
			return r;
		}
		if (asprintf(&sigpath, "%s.sig", path) < 0) {
			policy_free(p);
			return -ENOMEM;
		}
		r = read_file_full(sigpath, 4096, &sig, &siglen);
		if (r == 0) {
			/* A signature that is there must hold: a broken one is never "unsigned". */
			r = policy_state_verify(st, p, buf, len, sig, siglen, d);
			if (r < 0) {
				diag_prefix(d, "%s: ", sigpath);
				policy_free(p);
				return r;
			}
			snprintf(pref.issuer, sizeof(pref.issuer), "%s", p->issuer);
		} else if (r != -ENOENT) {
			policy_free(p);
			return diag_set(d, r, "cannot read %s: %s", sigpath, strerror(-r));
		}
		if ((r = policy_valid_at(p, now)) < 0) {
			policy_free(p);
			return diag_set(d, r, "%s: %s", path, r == -EKEYEXPIRED ?
				"the policy has expired" : "the policy is not valid yet");
		}
		memcpy(pref.digest, p->file_digest, sizeof(pref.digest));
		*ret = p;
		*ret_pref = pref;
		*ret_status = WARD_POLICY_ACTIVE;
		return 0;
	}
	if ((r = policy_state_current(st, &cur, d)) < 0) {
		diag_prefix(d, "the installed policy: ");
		return r;
	}
	pref.installed = true;
	if (cur.status != WARD_POLICY_NONE) {
		if ((r = policy_state_load(st, &cur, &p, d)) < 0)
			return r;
		if (cur.status == WARD_POLICY_ACTIVE && (r = policy_valid_at(p, now)) < 0) {
			policy_free(p);
			return diag_set(d, r, "the installed policy %s version %llu %s: install a "
					      "newer one", cur.name, (unsigned long long)cur.version,
					r == -EKEYEXPIRED ? "has expired" : "is not valid yet");
		}
		memcpy(pref.digest, cur.digest, sizeof(pref.digest));
		snprintf(pref.issuer, sizeof(pref.issuer), "%s", cur.issuer);
	}
	*ret = p;
	*ret_pref = pref;
	*ret_status = cur.status;
	return 0;
}
