/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Anonymous executable memory for the executables a policy names (domain.anon_exec): the
 * monitor's end of the workload's seccomp user-notification listener. The filter
 * (domain_seccomp_install with WARD_SECCOMP_NOTIFY_ANON_EXEC) stops every process of the domain
 * that asks for anonymous R-X memory (an anonymous W+X mapping is refused outright) or adds
 * PROT_EXEC to a mapping; the monitor identifies the process's executable by its digest and
 * lets the call go on only if the policy in force names it.
 *
 * Fail closed throughout: a process that cannot be identified gets EPERM, and if the monitor
 * dies the listener's last reference goes with it and every such call fails with ENOSYS (no
 * keeper is needed, unlike fanotify, whose release answers ALLOW).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "domain/domain-internal.h"
#include "ward/decision.h"

/*
 * Executables whose digests are kept. A running executable cannot be written (ETXTBSY), and an
 * entry is keyed by size and ctime as well as the inode, so a file changed between two
 * processes is measured again. A miss costs one hash of the file: the domain can make the
 * monitor hash, never grow.
 */
#define EXE_CACHE 16

struct exe_entry {
	bool used;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec ctime;
	unsigned algs; /* the digests in dg that are set */
	struct ward_digest dg[__WARD_HASH_MAX];
};

struct anonexec {
	int fd; /* the listener, -1 until the workload sent it */
	struct guard *g;
	const struct ward_domain_rules *rules;
	enum ward_hash_alg file_hash;
	/* The code dirs as the monitor sees them: no fanotify mark is on these mounts. */
	int dirs[WARD_DOMAIN_CODE_MAX + 1];
	dev_t dir_dev[WARD_DOMAIN_CODE_MAX + 1];
	size_t n_dirs;
	struct file_handle *fh;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
	struct exe_entry cache[EXE_CACHE];
	unsigned next;
};

int anonexec_new(struct guard *g, const struct ward_domain_rules *rules,
		 const struct ward_state *st, const char *const *code, size_t n_code,
		 struct anonexec **ret, struct ward_diag *d)
{
	_cleanup_free_ struct anonexec *a = calloc(1, sizeof(*a));
	struct seccomp_notif_sizes sz;
	int r = 0;

	if (!a)
		return -ENOMEM;
	if (n_code > WARD_DOMAIN_CODE_MAX + 1)
		return diag_set(d, -E2BIG, "anon_exec: too many code dirs");
	a->fd = -1;
	a->g = g;
	a->rules = rules;
	a->file_hash = st->file_hash;
	/* The kernel's structs may be larger than this build's headers know. */
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return diag_set(d, -errno, "seccomp notification sizes: %s", strerror(errno));
	a->req_size = sz.seccomp_notif > sizeof(*a->req) ? sz.seccomp_notif : sizeof(*a->req);
	a->resp_size =
	    sz.seccomp_notif_resp > sizeof(*a->resp) ? sz.seccomp_notif_resp : sizeof(*a->resp);
	a->req = calloc(1, a->req_size);
	a->resp = calloc(1, a->resp_size);
	a->fh = calloc(1, sizeof(*a->fh) + MAX_HANDLE_SZ);
	for (size_t i = 0; i < n_code && a->req && a->resp && a->fh; i++) {
		struct stat s;
		int fd = open(code[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &s) < 0) {
			r = diag_set(d, -errno, "anon_exec: code dir %s: %s", code[i],
				     strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		a->dirs[a->n_dirs] = fd;
		a->dir_dev[a->n_dirs++] = s.st_dev;
	}
	if (r == 0 && (!a->req || !a->resp || !a->fh))
		r = -ENOMEM;
	if (r < 0) {
		anonexec_free(TAKE_PTR(a));
		return r;
	}
	*ret = TAKE_PTR(a);
	return 0;
}

void anonexec_free(struct anonexec *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	for (size_t i = 0; i < a->n_dirs; i++)
		close(a->dirs[i]);
	free(a->fh);
	free(a->req);
	free(a->resp);
	free(a);
}

int anonexec_set_listener(struct anonexec *a, int fd)
{
	char link[64], proc[64];
	ssize_t n;

	if (a->fd >= 0)
		return -EEXIST;
	/* Only what the workload's filter handed over: a seccomp listener. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	if (strcmp(link, "anon_inode:seccomp notify") != 0)
		return -EINVAL;
	a->fd = fd;
	return 0;
}

int anonexec_fd(const struct anonexec *a)
{
	return a ? a->fd : -1;
}

static void exe_path(int fd, char *buf, size_t len)
{
	if (fd_path(fd, buf, len) < 0)
		snprintf(buf, len, "(unknown executable)");
}

static struct exe_entry *cache_find(struct anonexec *a, const struct stat *st)
{
	for (size_t i = 0; i < EXE_CACHE; i++) {
		struct exe_entry *e = &a->cache[i];

		if (e->used && e->dev == st->st_dev && e->ino == st->st_ino &&
		    e->size == st->st_size && e->ctime.tv_sec == st->st_ctim.tv_sec &&
		    e->ctime.tv_nsec == st->st_ctim.tv_nsec)
			return e;
	}
	return NULL;
}

/*
 * A readable fd of the inode @exe (an O_PATH fd of /proc/PID/exe) names, opened through the
 * monitor's own view of the code dir the domain's mount is a clone of. Opening the domain's
 * mount itself (/proc/PID/exe with O_RDONLY) would raise a permission event on the monitor's own
 * fanotify group, which only this thread answers: it would wait for itself forever. The mount
 * marks are on the domain's clones only, so an open through the monitor's mount of the same
 * filesystem raises none. By file handle where the filesystem has them (the very inode, whatever
 * its names), else by its path (the domain's code mounts sit at their paths on the host); either
 * way the fd must be the same inode, a regular file.
 */
static int open_exe(struct anonexec *a, int exe, const char *path, const struct stat *st)
{
	int mnt_id, r = -EXDEV;
	bool have_handle;

	a->fh->handle_bytes = MAX_HANDLE_SZ;
	have_handle = name_to_handle_at(exe, "", a->fh, &mnt_id, AT_EMPTY_PATH) == 0;
	for (size_t i = 0; i < a->n_dirs; i++) {
		struct stat fs;
		int fd;

		if (a->dir_dev[i] != st->st_dev)
			continue;
		if (have_handle) {
			fd = open_by_handle_at(a->dirs[i], a->fh,
					       O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
						   O_NOATIME);
			fd = fd < 0 ? -errno : fd;
		} else {
			fd = measure_open_regular(AT_FDCWD, path);
		}
		if (fd < 0) {
			r = fd;
			continue;
		}
		if (fstat(fd, &fs) == 0 && S_ISREG(fs.st_mode) && fs.st_dev == st->st_dev &&
		    fs.st_ino == st->st_ino)
			return fd;
		close(fd);
		r = -ESTALE;
		if (!have_handle)
			break; /* the same path through every dir */
	}
	return r;
}

/* The digests (@algs) of the executable @exe, from the cache or measured now. */
static int exe_digests(struct anonexec *a, int exe, const char *path, unsigned algs,
		       struct ward_digest *ret)
{
	_cleanup_close_ int fd = -EBADF;
	struct ward_digest dg[__WARD_HASH_MAX];
	struct exe_entry *e;
	struct stat st, after;
	int r;

	if (fstat(exe, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	e = cache_find(a, &st);
	if (e && (e->algs & algs) == algs) {
		memcpy(ret, e->dg, sizeof(e->dg));
		return 0;
	}
	/* Measured when it was exec'd, and cached under a lease since: not hashed again (node's
	 * binary is ~100 MB). */
	if (guard_cached_digests(a->g, st.st_dev, st.st_ino, algs, ret) == 0)
		return 0;
	fd = open_exe(a, exe, path, &st);
	if (fd < 0)
		return fd;
	r = measure_fd(fd, algs, dg, NULL);
	if (r < 0)
		return r;
	/* Written while it was hashed (it cannot be while it runs): no answer from this. */
	if (fstat(fd, &after) < 0)
		return -errno;
	if (after.st_size != st.st_size || after.st_ctim.tv_sec != st.st_ctim.tv_sec ||
	    after.st_ctim.tv_nsec != st.st_ctim.tv_nsec)
		return -ESTALE;
	if (!e) {
		e = &a->cache[a->next];
		a->next = (a->next + 1) % EXE_CACHE;
	}
	*e = (struct exe_entry){.used = true,
				.dev = st.st_dev,
				.ino = st.st_ino,
				.size = st.st_size,
				.ctime = st.st_ctim,
				.algs = algs};
	memcpy(e->dg, dg, sizeof(dg));
	memcpy(ret, dg, sizeof(dg));
	return 0;
}

/*
 * The verdict for a process of @rules' domain whose executable has the digests @dg, or whose
 * identification failed with @err (denied in every mode: fail closed), asking with system call
 * @nr. The policy is the one in force now, read at each decision.
 */
static enum ward_decision_verdict decide(const struct ward_domain_rules *rules, int err, int nr,
					 const struct ward_digest *dg, char *reason, size_t len)
{
	const struct ward_policy *p = rules->mode == WARD_MODE_MEASURE ? NULL : rules->policy;

	/* The filter asks about nothing else; anything else is not ours to let through. */
	if (nr != SYS_mmap && nr != SYS_mprotect && nr != SYS_pkey_mprotect) {
		snprintf(reason, len, "not an anonymous-exec call (system call %d)", nr);
		return WARD_DECISION_DENY;
	}
	if (err) {
		snprintf(reason, len, "cannot identify the executable: %s", strerror(-err));
		return WARD_DECISION_DENY;
	}
	if (!p) {
		snprintf(reason, len, "no policy names executables for anon_exec");
		return WARD_DECISION_DENY;
	}
	if (policy_anon_exec_allowed(p, hash_alg_name(p->hash), dg[p->hash].bytes,
				     hash_alg_size(p->hash))) {
		snprintf(reason, len, "anon_exec opt-in");
		return WARD_DECISION_ALLOW;
	}
	snprintf(reason, len, "not in anon_exec");
	return rules->mode == WARD_MODE_AUDIT ? WARD_DECISION_AUDIT : WARD_DECISION_DENY;
}

int anonexec_handle(struct anonexec *a, struct ward_diag *d)
{
	struct ward_decision dec = {.grant = WARD_GRANT_ANON};
	struct ward_digest dg[__WARD_HASH_MAX] = {0};
	_cleanup_close_ int exe = -EBADF;
	const struct ward_policy *p;
	char proc[64];
	int r, err = 0;

	memset(a->req, 0, a->req_size);
	if (ioctl(a->fd, SECCOMP_IOCTL_NOTIF_RECV, a->req) < 0) {
		/* ENOENT: the caller was killed between the wake-up and now. */
		if (errno == ENOENT || errno == EINTR)
			return 0;
		return diag_set(d, -errno, "seccomp listener: %s", strerror(errno));
	}
	/* O_PATH: no open of the file itself, hence no fanotify event (see open_exe). */
	snprintf(proc, sizeof(proc), "/proc/%u/exe", a->req->pid);
	exe = open(proc, O_PATH | O_CLOEXEC);
	if (exe < 0)
		err = -errno;
	/*
	 * The pid named the caller when the notification was read; it still does if the
	 * notification is pending now, after the open (the caller waits in the kernel until it is
	 * answered, and a thread killed or replaced by another's execve withdraws it): the fd is
	 * the caller's executable, not that of a process the pid was reused for.
	 */
	if (ioctl(a->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &a->req->id) < 0) {
		if (errno == ENOENT)
			return 0; /* gone: nobody to answer */
		err = -errno;
	}
	if (exe >= 0 && !err)
		exe_path(exe, dec.path, sizeof(dec.path));
	else
		snprintf(dec.path, sizeof(dec.path), "(unknown executable)");
	p = a->rules->mode == WARD_MODE_MEASURE ? NULL : a->rules->policy;
	if (!err && p)
		err = exe_digests(a, exe, dec.path, (1u << a->file_hash) | (1u << p->hash), dg);
	dec.verdict = decide(a->rules, err, a->req->data.nr, dg, dec.reason, sizeof(dec.reason));
	if (!err && p) {
		dec.has_object = true;
		dec.object = dg[a->file_hash];
	}
	/* Recorded (and told) before the answer, as every decision: nothing unrecorded runs. */
	r = guard_record_decision(a->g, &dec, d);
	memset(a->resp, 0, a->resp_size);
	a->resp->id = a->req->id;
	if (dec.verdict == WARD_DECISION_DENY) {
		a->resp->error = -EPERM;
	} else {
		/*
		 * CONTINUE makes the kernel run the call as it was made. That is only sound because
		 * every argument of mmap, mprotect and pkey_mprotect is a scalar, taken from the
		 * caller's registers when it stopped: there is no memory the caller (or another
		 * thread) could change between this decision and the call (the TOCTOU that makes
		 * CONTINUE unfit for calls taking pointers). The filter already checked the flags
		 * (mmap never writable and executable at once); what is decided here is who asks.
		 */
		a->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	}
	if (ioctl(a->fd, SECCOMP_IOCTL_NOTIF_SEND, a->resp) < 0 && errno != ENOENT && r == 0)
		r = diag_set(d, -errno, "seccomp response: %s", strerror(errno));
	return r;
}
