/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fanotify guard: the permission group on a domain's code mounts. For each event it
 * measures the kernel's own file object (the event fd: no path is re-opened, so what is hashed
 * is what the kernel will map), decides, records and answers.
 *
 * Every decision holds a read lease on the file from before it is measured until it is
 * answered: anyone opening it for writing blocks in the kernel meanwhile, so what was measured
 * is what is granted; a file someone already has open for writing (the lease cannot be taken)
 * is never granted.
 *
 * The in-kernel verdict cache is an inode ignore mark, added once the verdict is allow. The
 * kernel clears it on write(2) and truncate, but not on stores through a shared writable
 * mapping (domain-design-notes.md, Q2), so a cached file keeps its lease: opening it for
 * writing (the only way to get such a mapping) blocks until the monitor has removed the mark
 * and released the lease.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "domain/domain-internal.h"
#include "ward/decision.h"
#include "ward/elf.h"

#define PERM_MASK (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)
/*
 * Events read (and decided) per call: few, so that the monitor's loop comes back often to lease
 * breaks (a host writer waits for them; the kernel gives up after fs.lease-break-time), to the
 * domain's end and to forwarded signals, however busy the domain keeps the queue.
 */
#define EVENT_BATCH 8
#define EVENT_BUF (EVENT_BATCH * FAN_EVENT_METADATA_LEN)

static void seen_free(void *p)
{
	free(p);
}

/*
 * A cached file: while its lease is held its content cannot change, so a later event for the
 * same inode (a concurrent first open, queued before the mark went on) reuses the measurement.
 */
struct cache_entry {
	bool used;
	int fd;
	dev_t dev;
	ino_t ino;
	struct ward_digest file_digest, policy_digest;
	uint64_t size;
	struct ward_elf_info elf;
	int elf_err;
};

struct guard {
	int fan;
	int sigfd;
	struct ward_state *st;
	const struct ward_domain_rules *rules;
	char domain_id[WARD_DOMAIN_ID_MAX];
	guard_decision_cb cb;
	void *ud;
	unsigned algs;
	enum ward_hash_alg policy_alg;
	struct guard_mount mounts[WARD_DOMAIN_CODE_MAX + 1];
	size_t n_mounts;
	/* Indexed by fd number: the fd holds a lease and its inode an ignore mark. */
	struct cache_entry *cached;
	size_t cached_cap;
	size_t n_cached;
	void *by_inode; /* tsearch tree of the cache entries in use, by (dev, ino) */
	void *seen; /* tsearch tree of "verdict grant digest path" keys already recorded */
	size_t n_seen;
	bool dirty, broken;
	struct timespec dirty_since;
	/* Sandbox: the record sink, the measured-before-activation check, and the switch. */
	int (*append)(void *ud, struct ward_evlog_record *recs, size_t n, struct ward_diag *d);
	bool (*known)(void *ud, const struct ward_digest *dg);
	void *sb_ud;
	bool active;
	uint64_t denied_after;
	struct guard_stats stats;
	uint8_t *buf;
};

void guard_set_sandbox(struct guard *g, const char *record_domain,
		       int (*append)(void *ud, struct ward_evlog_record *recs, size_t n,
				     struct ward_diag *d),
		       bool (*known)(void *ud, const struct ward_digest *dg), void *ud)
{
	snprintf(g->domain_id, sizeof(g->domain_id), "%s", record_domain);
	g->append = append;
	g->known = known;
	g->sb_ud = ud;
}

void guard_activate(struct guard *g)
{
	g->active = true;
}

uint64_t guard_denied_after(const struct guard *g)
{
	return g->denied_after;
}

int guard_fanotify_fd(const struct guard *g)
{
	return g->fan;
}

int guard_signal_fd(const struct guard *g)
{
	return g->sigfd;
}

const struct guard_stats *guard_stats(const struct guard *g)
{
	return &g->stats;
}

int guard_sync_timeout(const struct guard *g)
{
	struct timespec now;
	long ms;

	if (!g->dirty)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - g->dirty_since.tv_sec) * 1000 +
	     (now.tv_nsec - g->dirty_since.tv_nsec) / 1000000;
	return ms >= GUARD_SYNC_MS ? 0 : (int)(GUARD_SYNC_MS - ms);
}

bool guard_broken(const struct guard *g)
{
	return g->broken;
}

int guard_new(struct ward_state *st, const struct ward_domain_rules *rules, const char *domain_id,
	      guard_decision_cb cb, void *ud, struct guard **ret, struct ward_diag *d)
{
	_cleanup_free_ struct guard *g = calloc(1, sizeof(*g));
	sigset_t ss;

	if (!g)
		return -ENOMEM;
	g->fan = g->sigfd = -1;
	g->st = st;
	g->rules = rules;
	snprintf(g->domain_id, sizeof(g->domain_id), "%s", domain_id);
	g->cb = cb;
	g->ud = ud;
	g->policy_alg = rules->policy ? rules->policy->hash : st->file_hash;
	g->algs = (1u << st->file_hash) | (1u << g->policy_alg);
	g->buf = malloc(EVENT_BUF);
	if (!g->buf)
		return -ENOMEM;
	/* O_NOATIME: measuring must not change what it measures (nor its metadata). */
	g->fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
			       O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
	if (g->fan < 0) {
		int r = -errno;
		free(g->buf);
		return diag_set(d, r, "fanotify_init: %s%s", strerror(-r),
				r == -EPERM ? " (ward run needs root: CAP_SYS_ADMIN)" : "");
	}
	sigemptyset(&ss);
	sigaddset(&ss, GUARD_LEASE_SIGNAL);
	sigaddset(&ss, SIGIO);
	g->sigfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	if (g->sigfd < 0) {
		int r = -errno;
		close(g->fan);
		free(g->buf);
		return diag_set(d, r, "signalfd: %s", strerror(-r));
	}
	*ret = TAKE_PTR(g);
	return 0;
}

static void noop_free(void *p)
{
	(void)p;
}

static int inode_cmp(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	tdestroy(g->by_inode, noop_free);
	for (size_t fd = 0; fd < g->cached_cap; fd++)
		if (g->cached[fd].used)
			close((int)fd);
	free(g->cached);
	for (size_t i = 0; i < g->n_mounts; i++) {
		free(g->mounts[i].path);
		if (g->mounts[i].fd >= 0)
			close(g->mounts[i].fd);
	}
	tdestroy(g->seen, seen_free);
	if (g->sigfd >= 0)
		close(g->sigfd);
	if (g->fan >= 0)
		close(g->fan);
	free(g->buf);
	free(g);
}

int guard_add_mount(struct guard *g, const char *path, int fd, const char *unverified,
		    struct ward_diag *d)
{
	struct guard_mount *m;

	if (g->n_mounts == sizeof(g->mounts) / sizeof(g->mounts[0])) {
		close(fd);
		return diag_set(d, -E2BIG, "too many code mounts");
	}
	/* An O_PATH fd is refused with a NULL pathname (EBADF); "." walks from it. */
	if (fanotify_mark(g->fan, FAN_MARK_ADD | FAN_MARK_MOUNT, PERM_MASK, fd, ".") < 0) {
		int r = -errno;
		close(fd);
		return diag_set(d, r, "fanotify_mark %s: %s", path, strerror(-r));
	}
	m = &g->mounts[g->n_mounts];
	m->path = strdup(path);
	if (!m->path) {
		close(fd);
		return -ENOMEM;
	}
	m->fd = fd;
	snprintf(m->unverified, sizeof(m->unverified), "%s", unverified ? unverified : "");
	g->n_mounts++;
	return 0;
}

/* The code mount @path lies on: the longest mount path that is a prefix at a '/' boundary. */
static const struct guard_mount *mount_of(const struct guard *g, const char *path,
					  const char **ret_rel)
{
	const struct guard_mount *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < g->n_mounts; i++) {
		size_t n = strlen(g->mounts[i].path);

		if (n >= best_len && strncmp(path, g->mounts[i].path, n) == 0 && path[n] == '/') {
			best = &g->mounts[i];
			best_len = n;
		}
	}
	if (best)
		*ret_rel = path + best_len + 1;
	return best;
}

static const char *mode_problem(const struct stat *st, bool dir, char *buf, size_t len)
{
	if (st->st_uid != 0) {
		snprintf(buf, len, "owned by uid %u", (unsigned)st->st_uid);
		return buf;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(dir && (st->st_mode & S_ISVTX))) {
		snprintf(buf, len, "writable by group or other (mode %04o)",
			 (unsigned)(st->st_mode & 07777));
		return buf;
	}
	return NULL;
}

/*
 * Why the file or a directory between its code mount's root and it is untrusted, or NULL.
 * The walk goes through the domain's own view of the mount (the fd the domain handed over),
 * so it sees what the domain sees. Directories above a mount root were checked on the host
 * when the domain was built. Sound against unprivileged renames: the first directory from
 * the top that someone other than root could change is itself on the walk and is reported.
 */
static const char *object_untrusted(const struct guard *g, const char *path, const struct stat *st,
				    char *buf, size_t len)
{
	const struct guard_mount *m;
	const char *rel, *p;
	char what[128];
	int dirfd;

	if (mode_problem(st, false, what, sizeof(what))) {
		snprintf(buf, len, "the file is %s", what);
		return buf;
	}
	m = mount_of(g, path, &rel);
	if (!m) {
		snprintf(buf, len, "not below a known code mount");
		return buf;
	}
	if (m->unverified[0]) {
		snprintf(buf, len, "%s", m->unverified);
		return buf;
	}
	dirfd = m->fd;
	{
		struct stat ds;

		if (fstat(dirfd, &ds) < 0 || mode_problem(&ds, true, what, sizeof(what))) {
			snprintf(buf, len, "directory %s is %s", m->path, what);
			return buf;
		}
	}
	for (p = rel;;) {
		const char *slash = strchr(p, '/');
		char comp[NAME_MAX + 1];
		struct stat ds;
		int nfd;

		if (!slash)
			break;
		if ((size_t)(slash - p) > NAME_MAX) {
			snprintf(buf, len, "a path component is too long");
			goto out;
		}
		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = 0;
		nfd = openat(dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 || fstat(nfd, &ds) < 0) {
			snprintf(buf, len, "directory of %.160s cannot be checked: %s", path,
				 strerror(errno));
			if (nfd >= 0)
				close(nfd);
			goto out;
		}
		if (dirfd != m->fd)
			close(dirfd);
		dirfd = nfd;
		if (mode_problem(&ds, true, what, sizeof(what))) {
			snprintf(buf, len, "directory %.*s is %s", (int)(slash - path), path, what);
			goto out;
		}
		p = slash + 1;
	}
	if (dirfd != m->fd)
		close(dirfd);
	return NULL;
out:
	if (dirfd != m->fd)
		close(dirfd);
	return buf;
}

static int cached_grow(struct guard *g, int fd)
{
	struct cache_entry *n;
	void *tree = NULL;
	size_t ncap;

	if ((size_t)fd < g->cached_cap)
		return 0;
	ncap = g->cached_cap ? g->cached_cap : 1024;
	while (ncap <= (size_t)fd)
		ncap *= 2;
	/* Entries are referenced from the inode tree by address: grow into a new array and
	 * re-point the tree (it holds only entries in use). */
	n = calloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	if (g->cached_cap)
		memcpy(n, g->cached, g->cached_cap * sizeof(*n));
	/* The new tree is built before the old one goes: a failure leaves the cache as it was. */
	for (size_t i = 0; i < g->cached_cap; i++)
		if (n[i].used && !tsearch(&n[i], &tree, inode_cmp)) {
			tdestroy(tree, noop_free);
			free(n);
			return -ENOMEM;
		}
	tdestroy(g->by_inode, noop_free);
	g->by_inode = tree;
	free(g->cached);
	g->cached = n;
	g->cached_cap = ncap;
	return 0;
}

/*
 * A read lease on the event fd: while it is held, anyone opening the file for writing (the only
 * way to a writable shared mapping, whose stores do not clear ignore marks) waits in the kernel
 * until the monitor lets go. Return: 0, -EAGAIN when someone has the file open for writing
 * right now, or another -errno (filesystems without leases).
 */
static int lease_take(int fd)
{
	if (fcntl(fd, F_SETSIG, GUARD_LEASE_SIGNAL) < 0 || fcntl(fd, F_SETOWN, getpid()) < 0 ||
	    fcntl(fd, F_SETLEASE, F_RDLCK) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

/* With the lease held and the verdict allow: the ignore mark, unless the cache is full. */
static bool cache_begin(struct guard *g, int fd, const struct cache_entry *meas)
{
	struct cache_entry *e;

	if (g->n_cached >= WARD_DOMAIN_CACHE_MAX || cached_grow(g, fd) < 0)
		return false;
	e = &g->cached[fd];
	*e = *meas;
	e->fd = fd;
	e->used = true;
	if (!tsearch(e, &g->by_inode, inode_cmp)) {
		e->used = false;
		return false;
	}
	if (fanotify_mark(g->fan, FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_EVICTABLE, PERM_MASK,
			  fd, NULL) < 0) {
		tdelete(e, &g->by_inode, inode_cmp);
		e->used = false;
		return false;
	}
	g->n_cached++;
	return true;
}

static const struct cache_entry *cache_find(const struct guard *g, dev_t dev, ino_t ino)
{
	struct cache_entry key = { .dev = dev, .ino = ino };
	struct cache_entry *const *e = tfind(&key, &g->by_inode, inode_cmp);

	return e ? *e : NULL;
}

static void cache_drop(struct guard *g, int fd)
{
	/* The mark goes first: the lease holds any writer off until it is gone. */
	(void)fanotify_mark(g->fan, FAN_MARK_REMOVE | FAN_MARK_IGNORE, PERM_MASK, fd, NULL);
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	if ((size_t)fd < g->cached_cap && g->cached[fd].used) {
		tdelete(&g->cached[fd], &g->by_inode, inode_cmp);
		g->cached[fd].used = false;
		g->n_cached--;
	}
}

static void cache_flush(struct guard *g)
{
	/* Without the fd of a broken lease (RT queue overflow), drop every mark. */
	(void)fanotify_mark(g->fan, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
	tdestroy(g->by_inode, noop_free);
	g->by_inode = NULL;
	for (size_t fd = 0; fd < g->cached_cap; fd++)
		if (g->cached[fd].used) {
			(void)fcntl((int)fd, F_SETLEASE, F_UNLCK);
			close((int)fd);
			g->cached[fd].used = false;
		}
	g->n_cached = 0;
}

int guard_cached_digests(const struct guard *g, dev_t dev, ino_t ino, unsigned algs,
			 struct ward_digest *ret)
{
	const struct cache_entry *e = cache_find(g, dev, ino);

	/* Only the two digests an entry keeps; its lease held the content since it was measured. */
	if (!e || (algs & ~((1u << g->st->file_hash) | (1u << g->policy_alg))))
		return -ENOENT;
	ret[g->st->file_hash] = e->file_digest;
	ret[g->policy_alg] = e->policy_digest;
	return 0;
}

void guard_rules_changed(struct guard *g)
{
	/*
	 * Called between two batches of events, after the rules changed in place. Every ignore
	 * mark is a verdict of the old rules: they all go (FAN_MARK_FLUSH of the inode marks; the
	 * mount marks stay), with the leases that guarded them. From here on the kernel asks again
	 * for every grant, and events already queued but not yet read are decided by the new rules:
	 * each grant is decided by exactly one policy, and the switch point is this flush.
	 */
	cache_flush(g);
	tdestroy(g->seen, seen_free);
	g->seen = NULL;
	g->n_seen = 0;
	g->policy_alg = g->rules->policy ? g->rules->policy->hash : g->st->file_hash;
	g->algs = (1u << g->st->file_hash) | (1u << g->policy_alg);
	g->stats.switches++;
}

int guard_handle_signals(struct guard *g, struct ward_diag *d)
{
	struct signalfd_siginfo si;
	ssize_t n;

	(void)d;
	while ((n = read(g->sigfd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		int fd = si.ssi_fd;

		g->stats.lease_breaks++;
		if (si.ssi_signo == (uint32_t)GUARD_LEASE_SIGNAL && fd >= 0 &&
		    (size_t)fd < g->cached_cap && g->cached[fd].used) {
			cache_drop(g, fd);
			close(fd);
		} else if (si.ssi_signo == SIGIO) {
			cache_flush(g);
		}
	}
	return n < 0 && errno != EAGAIN ? -errno : 0;
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Records the first sighting of (verdict, grant, object, path); true if it is new. */
static int seen_add(struct guard *g, const struct ward_decision *dec, bool *ret_new)
{
	char ds[WARD_DIGEST_STR_MAX] = "";
	char *key, **slot;

	if (dec->has_object)
		measure_digest_format(&dec->object, ds);
	if (asprintf(&key, "%d %d %s %s", dec->verdict, dec->grant, ds, dec->path) < 0)
		return -ENOMEM;
	slot = tsearch(key, &g->seen, seen_cmp);
	if (!slot) {
		free(key);
		return -ENOMEM;
	}
	if (*slot != key) {
		free(key);
		*ret_new = false;
		return 0;
	}
	if (++g->n_seen > WARD_DOMAIN_SEEN_MAX) {
		tdelete(key, &g->seen, seen_cmp);
		free(key);
		return -E2BIG;
	}
	*ret_new = true;
	return 0;
}

struct pending {
	int fd;
	bool allow;
	bool cached;
	bool lease_until_answered; /* held through the decision only (not cached) */
	size_t rec_first, rec_n;
	struct ward_decision dec;
	bool first;
	bool quiet; /* decided after activation: no callback */
};

static void event_path(int fd, char *buf, size_t len)
{
	int r = fd_path(fd, buf, len);

	if (r < 0)
		snprintf(buf, len, "(unknown: %s)", strerror(-r));
}

static int decide_event(struct guard *g, const struct fanotify_event_metadata *m,
			struct pending *pe, struct ward_evlog_record *recs, size_t *nrec,
			struct ward_diag *d)
{
	struct ward_digest dg[__WARD_HASH_MAX];
	struct ward_object_facts f = { 0 };
	struct ward_decision *dec = &pe->dec;
	char why[256], path[WARD_PATH_MAX];
	enum ward_decision_verdict v;
	struct ward_diag ed = { 0 };
	struct cache_entry meas = { 0 };
	uint64_t size = 0;
	struct stat st;
	int r;

	memset(pe, 0, sizeof(*pe));
	pe->fd = m->fd;
	event_path(m->fd, path, sizeof(path));
	f.exec = m->mask & FAN_OPEN_EXEC_PERM;
	f.path = path;
	if (fstat(m->fd, &st) < 0) {
		f.regular = true;
		f.measure_err = -errno;
	} else {
		f.regular = S_ISREG(st.st_mode);
	}
	if (f.regular && !f.measure_err) {
		f.unverified = object_untrusted(g, path, &st, why, sizeof(why));
		/* A file open for writing anywhere can change after it is measured: it is never
		 * granted (lease_take tells). The lease is on the inode, so it also catches a
		 * write through any other name: files with several hard links are cached too
		 * (on Debian, perf's build-id cache gives libc.so.6 a second name). */
		const struct cache_entry *known = cache_find(g, st.st_dev, st.st_ino);

		if (known) {
			/* Its lease has been held since it was measured: a writer, even one
			 * whose lease break is still queued, is still waiting. */
			dg[g->st->file_hash] = known->file_digest;
			dg[g->policy_alg] = known->policy_digest;
			f.digest = known->policy_digest;
			f.elf = known->elf;
			f.elf_err = known->elf_err;
			meas.size = known->size;
			g->stats.reused++;
		} else {
			r = lease_take(m->fd);
			f.writer = r == -EAGAIN;
			pe->lease_until_answered = r == 0;
			r = measure_fd(m->fd, g->algs, dg, &size);
			if (r < 0) {
				f.measure_err = r;
			} else {
				f.digest = dg[g->policy_alg];
				g->stats.hashed_bytes += size;
				f.elf_err = elf_inspect_fd(m->fd, &f.elf, &ed);
				if (f.elf_err && f.elf_err != -EBADMSG)
					f.measure_err = f.elf_err;
			}
			meas = (struct cache_entry){ .dev = st.st_dev, .ino = st.st_ino,
						     .file_digest = dg[g->st->file_hash],
						     .policy_digest = dg[g->policy_alg],
						     .size = size, .elf = f.elf, .elf_err = f.elf_err };
		}
	}
	if (g->broken) {
		v = WARD_DECISION_DENY;
		snprintf(dec->reason, sizeof(dec->reason), "the log cannot be written");
	} else {
		v = domain_decide(g->rules, &f, dec->reason);
	}
	/* After activation nothing new may run or be read from a code mount: its identity
	 * would depend on the private input, and it could not be recorded without telling. */
	if (g->active && v != WARD_DECISION_DENY &&
	    (!f.regular || f.measure_err || !g->known ||
	     !g->known(g->sb_ud, &dg[g->st->file_hash]))) {
		v = WARD_DECISION_DENY;
		snprintf(dec->reason, sizeof(dec->reason), "not measured before activation");
	}
	dec->verdict = v;
	dec->grant = f.exec ? WARD_GRANT_EXEC : WARD_GRANT_OPEN;
	snprintf(dec->domain, sizeof(dec->domain), "%s", g->domain_id);
	if (g->rules->mode != WARD_MODE_MEASURE && g->rules->policy) {
		dec->has_policy = true;
		snprintf(dec->policy_name, sizeof(dec->policy_name), "%s", g->rules->policy->name);
		dec->policy_version = g->rules->policy->version;
	}
	snprintf(dec->path, sizeof(dec->path), "%s", path);
	if (f.regular && !f.measure_err) {
		dec->has_object = true;
		dec->object = dg[g->st->file_hash];
	}
	pe->allow = v != WARD_DECISION_DENY;
	/*
	 * The ignore mark goes on only now, after the verdict: while it is on, the kernel lets
	 * every open of the inode through unasked, so a mark placed before the decision would let
	 * concurrent opens past a file about to be denied. The content cannot have changed since
	 * it was measured: the lease was held throughout, so a writer still waits in the kernel
	 * (and one that existed before made lease_take fail). Answering before marking would
	 * only cost a second event.
	 */
	if (v == WARD_DECISION_ALLOW && pe->lease_until_answered && !f.unverified && !g->broken &&
	    cache_begin(g, m->fd, &meas)) {
		pe->cached = true;
		pe->lease_until_answered = false;
	}
	g->stats.events++;
	g->stats.allowed += v == WARD_DECISION_ALLOW;
	g->stats.denied += v == WARD_DECISION_DENY;
	g->stats.audited += v == WARD_DECISION_AUDIT;
	g->stats.cached += pe->cached;
	g->stats.uncached += pe->allow && !pe->cached;

	/* Record the first sighting: the object (as IMA does) if it runs, and the decision. */
	pe->rec_first = *nrec;
	pe->rec_n = 0;
	if (g->active) {
		g->denied_after += v == WARD_DECISION_DENY;
		pe->quiet = true;
		return 0;
	}
	if (g->broken)
		return 0;
	r = seen_add(g, dec, &pe->first);
	if (r < 0)
		return diag_set(d, r, "cannot track recorded objects: %s", strerror(-r));
	if (!pe->first)
		return 0;
	if (pe->allow && dec->has_object) {
		r = evlog_record_new_ng(g->st->pcr, g->st->file_hash, dec->object.bytes, path, NULL, 0,
					&recs[*nrec]);
		if (r < 0)
			return diag_set(d, r, "record: %s", strerror(-r));
		(*nrec)++;
		pe->rec_n++;
	}
	r = decision_record_new(g->st->pcr, dec, &recs[*nrec]);
	if (r < 0)
		return diag_set(d, r, "decision record: %s", strerror(-r));
	(*nrec)++;
	pe->rec_n++;
	return 0;
}

static int respond(struct guard *g, int fd, bool allow)
{
	struct fanotify_response resp = { .fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY };

	if (write(g->fan, &resp, sizeof(resp)) != (ssize_t)sizeof(resp))
		return -errno;
	return 0;
}

int guard_handle_events(struct guard *g, struct ward_diag *d)
{
	/* One read's worth of events: 2 records each. */
	static struct pending pe[EVENT_BATCH];
	static struct ward_evlog_record recs[2 * EVENT_BATCH];

	{
		const struct fanotify_event_metadata *m;
		size_t npe = 0, nrec = 0;
		ssize_t len;
		int r = 0, fatal = 0;

		len = read(g->fan, g->buf, EVENT_BUF);
		if (len < 0)
			return errno == EAGAIN ? 0 : diag_set(d, -errno, "fanotify read: %s",
								strerror(errno));
		for (m = (const void *)g->buf; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION)
				return diag_set(d, -EPROTO, "fanotify metadata version %u",
						m->vers);
			if (m->fd < 0)
				continue; /* queue overflow: permission events are never dropped */
			if (!(m->mask & PERM_MASK)) {
				close(m->fd);
				continue;
			}
			memset(&recs[nrec], 0, 2 * sizeof(recs[0]));
			r = decide_event(g, m, &pe[npe], recs, &nrec, d);
			npe++;
			if (r < 0) {
				/* Cannot record: from now on every grant is refused. */
				g->broken = true;
				fatal = r;
			}
		}
		if (nrec && !g->broken) {
			if (g->append)
				r = g->append(g->sb_ud, recs, nrec, d);
			else
				r = state_append_flags(g->st, recs, nrec, WARD_APPEND_NOSYNC, d);
			if (r < 0) {
				g->broken = true;
				fatal = r;
			} else if (!g->append && !g->dirty) {
				/* (a sandbox's sink made them durable already) */
				g->dirty = true;
				clock_gettime(CLOCK_MONOTONIC, &g->dirty_since);
			}
		}
		for (size_t i = 0; i < nrec; i++)
			evlog_record_free(&recs[i]);
		for (size_t i = 0; i < npe; i++) {
			struct pending *p = &pe[i];

			if (g->broken && p->allow) {
				/* Nothing unrecorded runs. */
				p->allow = false;
				p->dec.verdict = WARD_DECISION_DENY;
				snprintf(p->dec.reason, sizeof(p->dec.reason),
					 "the log cannot be written");
				if (p->cached)
					cache_drop(g, p->fd);
				p->cached = false;
			}
			/* Told before the answer: a denial's message is out before the process
			 * that was denied can print its own error (through the stderr relay). */
			if (g->cb && !p->quiet)
				g->cb(g->ud, &p->dec, p->first);
			r = respond(g, p->fd, p->allow);
			if (r < 0 && !fatal)
				fatal = diag_set(d, r, "fanotify response: %s", strerror(-r));
			if (p->lease_until_answered)
				(void)fcntl(p->fd, F_SETLEASE, F_UNLCK);
			if (!p->cached)
				close(p->fd);
		}
		return fatal;
	}
}

int guard_sync(struct guard *g, struct ward_diag *d)
{
	int r;

	if (!g->dirty)
		return 0;
	r = evlog_store_sync(g->st->log);
	if (r < 0)
		return diag_set(d, r, "log sync: %s", strerror(-r));
	g->dirty = false;
	return 0;
}

int guard_record_start(struct guard *g, const char *const *code, size_t n_code, bool anon_exec,
		       struct ward_diag *d)
{
	const struct ward_policy *p = g->rules->mode == WARD_MODE_MEASURE ? NULL : g->rules->policy;
	struct ward_domain_event ev = { 0 };
	struct ward_evlog_record rec = { 0 };
	int r;

	snprintf(ev.domain, sizeof(ev.domain), "%s", g->domain_id);
	snprintf(ev.mode, sizeof(ev.mode), "%s", domain_mode_name(g->rules->mode));
	ev.anon_exec = anon_exec;
	if (p) {
		ev.has_policy = true;
		snprintf(ev.policy_name, sizeof(ev.policy_name), "%s", p->name);
		ev.policy_version = p->version;
		ev.pref = g->rules->pref;
		ev.wx_elf = p->domain.allow_wx_elf;
		ev.n_data_dirs = p->domain.n_data_dirs < WARD_DOMAIN_DIRS_MAX ?
					 p->domain.n_data_dirs : WARD_DOMAIN_DIRS_MAX;
		for (size_t i = 0; i < ev.n_data_dirs; i++)
			ev.data_dirs[i] = p->domain.data_dirs[i];
	}
	ev.n_code = n_code < WARD_DOMAIN_DIRS_MAX ? n_code : WARD_DOMAIN_DIRS_MAX;
	for (size_t i = 0; i < ev.n_code; i++)
		ev.code[i] = (char *)code[i];
	r = domain_event_record_new(g->st->pcr, &ev, &rec);
	if (r < 0)
		return diag_set(d, r, "domain record: %s", strerror(-r));
	r = state_append(g->st, &rec, 1, d);
	evlog_record_free(&rec);
	return r;
}

int guard_record_decision(struct guard *g, struct ward_decision *dec, struct ward_diag *d)
{
	struct ward_evlog_record rec = { 0 };
	int r = 0;
	bool first = false;

	snprintf(dec->domain, sizeof(dec->domain), "%s", g->domain_id);
	dec->has_policy = g->rules->mode != WARD_MODE_MEASURE && g->rules->policy;
	if (dec->has_policy) {
		snprintf(dec->policy_name, sizeof(dec->policy_name), "%s", g->rules->policy->name);
		dec->policy_version = g->rules->policy->version;
	}
	/* After activation nothing is recorded or told (as for file events). */
	if (g->active) {
		g->denied_after += dec->verdict == WARD_DECISION_DENY;
		return 0;
	}
	if (!g->broken) {
		r = seen_add(g, dec, &first);
		if (r < 0)
			r = diag_set(d, r, "cannot track recorded objects: %s", strerror(-r));
	}
	if (r == 0 && first && !g->broken) {
		r = decision_record_new(g->st->pcr, dec, &rec);
		if (r < 0)
			r = diag_set(d, r, "decision record: %s", strerror(-r));
		else if (g->append)
			r = g->append(g->sb_ud, &rec, 1, d);
		else
			r = state_append_flags(g->st, &rec, 1, WARD_APPEND_NOSYNC, d);
		evlog_record_free(&rec);
		if (r == 0 && !g->append && !g->dirty) {
			g->dirty = true;
			clock_gettime(CLOCK_MONOTONIC, &g->dirty_since);
		}
	}
	if (r < 0)
		g->broken = true;
	/* Nothing unrecorded is granted. */
	if (g->broken && dec->verdict != WARD_DECISION_DENY) {
		dec->verdict = WARD_DECISION_DENY;
		snprintf(dec->reason, sizeof(dec->reason), "the log cannot be written");
	}
	if (g->cb)
		g->cb(g->ud, dec, first);
	return r;
}
