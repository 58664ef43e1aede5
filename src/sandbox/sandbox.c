/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One sandbox, one request: build it from the service's manifest, warm it up until it waits
 * for its input, activate it, pump the input in and the output out under their caps and the
 * time limit, and tell the caller how it ended. Everything here runs in the sandbox's monitor
 * (the `ward sandbox run` process, or a process wardd forked for this sandbox).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/fdpass.h"
#include "core/util.h"
#include "ward/evlog.h"
#include "ward/sandbox.h"
#include "ward/state.h"
#include "sandbox/sandbox-internal.h"

void sandbox_result_free(struct ward_sandbox_result *r)
{
	if (!r)
		return;
	free(r->output);
	free(r->errout);
	r->output = r->errout = NULL;
	r->output_len = r->errout_len = 0;
}

/* ---- a uid of its own ---- */

#define UID_DIR "/run/ward/uids"

/* Claims a free uid in the sandbox range: a lock file per uid, held for the sandbox's life
 * (a lock whose holder died is free again). Return: the lock fd, or -errno. */
void sandbox_uid_sweep(void)
{
	_cleanup_close_ int dfd = open(UID_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *e;

	if (dfd < 0 || !(dir = fdopendir(dfd)))
		return;
	dfd = -EBADF; /* the DIR's now */
	while ((e = readdir(dir))) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = openat(dirfd(dir), e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		/* Free (its holder died without unlinking it): unlinked while locked. */
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			(void)unlinkat(dirfd(dir), e->d_name, 0);
		if (fd >= 0)
			close(fd);
	}
	closedir(dir);
}

static void uid_release(uid_t uid, int lockfd)
{
	char path[64];

	if (lockfd < 0)
		return;
	snprintf(path, sizeof(path), UID_DIR "/%u", (unsigned)uid);
	(void)unlink(path); /* still holding the lock */
	close(lockfd);
}

static int uid_claim(uid_t *ret)
{
	(void)mkdir("/run/ward", 0700);
	if (mkdir(UID_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	for (int attempt = 0; attempt < 64; attempt++) {
		uint32_t rnd;
		char path[64];
		int fd;

		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -EIO;
		rnd %= WARD_SANDBOX_UID_COUNT;
		snprintf(path, sizeof(path), UID_DIR "/%u", WARD_SANDBOX_UID_BASE + rnd);
		struct stat a, b;

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -errno;
		/* Locked, and still the file at that path (its last holder unlinks it while
		 * it holds the lock: a lock on an unlinked file claims nothing). */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
		    stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			*ret = WARD_SANDBOX_UID_BASE + rnd;
			return fd;
		}
		close(fd);
	}
	return -EAGAIN;
}

/* ---- the control channel to wardd ---- */

int sandbox_ctl_send(int fd, const struct ward_sandbox_ctl_hdr *h, const void *payload, size_t len,
		     int pass_fd)
{
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)payload, len } };

	return fdpass_send(fd, iov, len ? 2 : 1, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

static int ctl_send(int fd, const struct ward_sandbox_ctl_hdr *h, const void *payload, size_t len)
{
	return sandbox_ctl_send(fd, h, payload, len, -1);
}

int sandbox_ctl_recv(int fd, struct ward_sandbox_ctl_hdr *h, int *ret_fd)
{
	size_t n = 0;
	int r = fdpass_recv(fd, h, sizeof(*h), ret_fd, 1, &n);

	if (r < 0 || n == 0)
		*ret_fd = -1;
	return r;
}

static int put_u32(struct buf *b, uint32_t v)
{
	return buf_append(b, &v, sizeof(v));
}

static int records_encode(const struct ward_evlog_record *recs, size_t n, struct buf *b)
{
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		uint32_t nl = (uint32_t)strlen(recs[i].template_name);

		if ((r = put_u32(b, recs[i].pcr)) < 0 || (r = put_u32(b, nl)) < 0 ||
		    (r = buf_append(b, recs[i].template_name, nl)) < 0 ||
		    (r = put_u32(b, recs[i].data_len)) < 0)
			break;
		r = buf_append(b, recs[i].data, recs[i].data_len);
	}
	if (r == 0 && b->len > WARD_SANDBOX_CTL_MAX)
		r = -E2BIG;
	return r;
}

int sandbox_ctl_records_decode(const uint8_t *buf, size_t len, struct ward_evlog_record **ret_recs,
			       size_t *ret_n)
{
	struct ward_evlog_record *recs = NULL;
	size_t n = 0, off = 0;
	int r = 0;

	while (off < len) {
		uint32_t pcr, nl, dl;
		struct ward_evlog_record *grown;

		if (n >= WARD_APPEND_BATCH_MAX || len - off < 8) {
			r = -EBADMSG;
			goto fail;
		}
		memcpy(&pcr, buf + off, 4);
		memcpy(&nl, buf + off + 4, 4);
		off += 8;
		if (nl == 0 || nl > 255 || len - off < (size_t)nl + 4) {
			r = -EBADMSG;
			goto fail;
		}
		grown = realloc(recs, (n + 1) * sizeof(*recs));
		if (!grown) {
			r = -ENOMEM;
			goto fail;
		}
		recs = grown;
		memset(&recs[n], 0, sizeof(recs[n]));
		recs[n].pcr = pcr;
		recs[n].template_name = strndup((const char *)buf + off, nl);
		off += nl;
		memcpy(&dl, buf + off, 4);
		off += 4;
		n++;
		if (!recs[n - 1].template_name || strlen(recs[n - 1].template_name) != nl ||
		    len - off < dl) {
			r = recs[n - 1].template_name ? -EBADMSG : -ENOMEM;
			goto fail;
		}
		recs[n - 1].data = calloc(1, (size_t)dl + 1); /* NUL-terminated, as every parser leaves it */
		if (!recs[n - 1].data) {
			r = -ENOMEM;
			goto fail;
		}
		memcpy(recs[n - 1].data, buf + off, dl);
		recs[n - 1].data_len = dl;
		off += dl;
		if (evlog_parse_template_data(&recs[n - 1], NULL) < 0) {
			r = -EBADMSG;
			goto fail;
		}
	}
	*ret_recs = recs;
	*ret_n = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		evlog_record_free(&recs[i]);
	free(recs);
	return r;
}

/* ---- one run ---- */

enum phase { PH_WARM, PH_READY, PH_ACTIVE };

struct run {
	struct ward_sandbox_service *svc;
	const struct ward_sandbox_opts *o;
	struct ward_sandbox_result *res;
	struct ward_diag *d;
	enum phase phase;
	bool failed;		/* res->status is final */
	int in_w, out_r, err_r, api;
	int src;		/* the input's source, once the request is here */
	int64_t src_left;	/* framed: bytes still to come; -1: until EOF */
	bool src_owned, src_eof;
	int stash_fd;		/* a REQUEST that arrived while waiting for an ACK */
	uint64_t stash_len;
	bool stashed, ready_sent;
	bool finished;		/* the result is computed (and, with o->respond, answered) */
	bool unsynced;		/* one-shot: records written, not yet synced */
	bool cmd_ended;		/* CMD was reaped: @cmd_status is its status */
	int cmd_status;
	struct timespec warm_deadline, deadline;
	uint8_t chunk[64 * 1024];
	size_t chunk_off, chunk_len;
	struct buf out, err;
	uint64_t out_total;
};

static long ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

static void fail_with(struct run *ru, struct ward_domain_ctl *ctl, enum ward_sandbox_status st,
		      const char *msg)
{
	if (ru->failed)
		return;
	ru->failed = true;
	ru->res->status = st;
	snprintf(ru->res->msg, sizeof(ru->res->msg), "%s", msg);
	if (ctl)
		domain_ctl_kill(ctl);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Records under wardd: sent to it, durable once it says so. */
static int ctl_append(void *ud, struct ward_evlog_record *recs, size_t n, struct ward_diag *d)
{
	struct run *ru = ud;
	struct ward_sandbox_ctl_hdr h = { .type = WARD_CTL_RECORDS };
	struct buf b = { 0 };
	int r;

	if ((r = records_encode(recs, n, &b)) < 0) {
		free(b.data);
		return diag_set(d, r, "records for wardd: %s", strerror(-r));
	}
	h.len = b.len;
	r = ctl_send(ru->o->ctl_fd, &h, b.data, b.len);
	free(b.data);
	if (r < 0)
		return diag_set(d, r, "wardd went away");
	for (;;) {
		int fd;

		if ((r = sandbox_ctl_recv(ru->o->ctl_fd, &h, &fd)) < 0)
			return diag_set(d, r, "wardd went away");
		if (h.type == WARD_CTL_ACK)
			break;
		if (h.type == WARD_CTL_REQUEST && fd >= 0 && !ru->stashed) {
			ru->stash_fd = fd;
			ru->stash_len = h.len;
			ru->stashed = true;
			continue;
		}
		if (fd >= 0)
			close(fd);
		return diag_set(d, -EPROTO, "wardd: unexpected message %u", h.type);
	}
	if (h.err)
		return diag_set(d, h.err < 0 ? h.err : -EIO, "wardd could not record: %s",
				strerror(h.err < 0 ? -h.err : EIO));
	/* What this sandbox measured is known to it from now on, as to wardd. */
	return sandbox_service_note(ru->svc, recs, n);
}

/* One-shot: written before the kernel is answered (as in `ward run`), made durable together
 * before the sandbox is activated: no client data is in it before its records are on disk. */
static int state_sink(void *ud, struct ward_evlog_record *recs, size_t n, struct ward_diag *d)
{
	struct run *ru = ud;
	int r = sandbox_service_append_flags(ru->svc, ru->o->st, recs, n, WARD_APPEND_NOSYNC, d);

	if (r == 0)
		ru->unsynced = true;
	return r;
}

static bool known_cb(void *ud, const struct ward_digest *dg)
{
	struct run *ru = ud;

	return sandbox_service_known(ru->svc, dg);
}

/* The workload waits for its input: its main thread sleeps in a read of fd 0 (or in a poll). */
static bool waits_for_input(pid_t pid)
{
	char path[64], buf[256];
	long nr;
	unsigned long a0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	if (sscanf(buf, "%ld %lx", &nr, &a0) != 2)
		return false; /* "running" */
	switch (nr) {
	case SYS_read:
	case SYS_readv:
	case SYS_pread64:
	case SYS_preadv:
	case SYS_preadv2:
		return a0 == 0;
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		return true;
	default:
		return false;
	}
}

static int activate(struct run *ru, struct ward_domain_ctl *ctl)
{
	if (ru->unsynced) {
		int r = evlog_store_sync(ru->o->st->log);

		if (r < 0) {
			fail_with(ru, ctl, WARD_SANDBOX_UNAVAILABLE, "the log could not be synced");
			return r;
		}
		ru->unsynced = false;
	}
	domain_ctl_activate(ctl);
	ru->phase = PH_ACTIVE;
	clock_gettime(CLOCK_MONOTONIC, &ru->deadline);
	ru->deadline.tv_sec += ru->svc->m->timeout_s;
	return 0;
}

static void take_request(struct run *ru, struct ward_domain_ctl *ctl, int fd, uint64_t len)
{
	ru->src = fd;
	ru->src_owned = true;
	ru->src_left = (int64_t)len;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* wardd checked the length against the cap before it chose this sandbox. */
	if (activate(ru, ctl) < 0)
		return;
	if (len == 0) {
		ru->src_eof = true;
		close_fd(&ru->in_w);
	}
}

static size_t poll_fds(void *ud, struct pollfd *p, size_t max, int *timeout_ms)
{
	struct run *ru = ud;
	size_t n = 0;
	long t = -1;

	(void)max; /* at most 5 */
	if (ru->out_r >= 0)
		p[n++] = (struct pollfd){ ru->out_r, POLLIN, 0 };
	if (ru->err_r >= 0)
		p[n++] = (struct pollfd){ ru->err_r, POLLIN, 0 };
	switch (ru->phase) {
	case PH_WARM:
		if (ru->api >= 0)
			p[n++] = (struct pollfd){ ru->api, POLLIN, 0 };
		else
			t = 2; /* look at what the workload waits for */
		if (ru->failed)
			break;
		{
			long w = ms_until(&ru->warm_deadline);

			t = t < 0 || w < t ? (w < 0 ? 0 : w) : t;
		}
		break;
	case PH_READY:
		if (ru->o->ctl_fd >= 0)
			p[n++] = (struct pollfd){ ru->o->ctl_fd, POLLIN, 0 };
		break;
	case PH_ACTIVE:
		if (ru->chunk_off < ru->chunk_len && ru->in_w >= 0)
			p[n++] = (struct pollfd){ ru->in_w, POLLOUT, 0 };
		else if (!ru->src_eof && ru->src >= 0)
			p[n++] = (struct pollfd){ ru->src, POLLIN, 0 };
		if (!ru->failed && !ru->finished) {
			t = ms_until(&ru->deadline);
			if (t < 0)
				t = 0;
		}
		break;
	}
	if (t >= 0 && (*timeout_ms < 0 || t < *timeout_ms))
		*timeout_ms = (int)t;
	return n;
}

/* Reads what @fd has; appends up to @cap into @b (counting @total); -1 at EOF. */
static int drain(int fd, struct buf *b, uint64_t *total, uint64_t cap, bool *over)
{
	uint8_t tmp[65536];
	int r;

	for (;;) {
		ssize_t k = read(fd, tmp, sizeof(tmp));

		if (k <= 0) {
			r = k == 0 ? -1 : (errno == EAGAIN || errno == EINTR ? 0 : -1);
			explicit_bzero(tmp, sizeof(tmp)); /* the service's output */
			return r;
		}
		if (total)
			*total += (uint64_t)k;
		if (b->len + (size_t)k > cap) {
			*over = true;
			if (b->len < cap)
				(void)buf_append(b, tmp, cap - b->len);
			continue;
		}
		if (buf_append(b, tmp, (size_t)k) < 0)
			*over = true;
	}
}

static void pump_input(struct run *ru, struct ward_domain_ctl *ctl, const struct pollfd *pf)
{
	const struct ward_manifest *m = ru->svc->m;

	if (pf->fd == ru->src && (pf->revents & (POLLIN | POLLHUP | POLLERR))) {
		size_t want = sizeof(ru->chunk);
		ssize_t k;

		if (ru->src_left >= 0 && (uint64_t)ru->src_left < want)
			want = (size_t)ru->src_left;
		k = read(ru->src, ru->chunk, want);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k <= 0) {
			if (ru->src_left > 0) {
				fail_with(ru, ctl, WARD_SANDBOX_DISCONNECTED,
					  "the client went away before its input was complete");
				return;
			}
			ru->src_eof = true;
			close_fd(&ru->in_w);
			return;
		}
		ru->res->input_bytes += (uint64_t)k;
		if (ru->src_left >= 0)
			ru->src_left -= k;
		if (ru->res->input_bytes > m->max_input_bytes) {
			char msg[128];

			snprintf(msg, sizeof(msg), "the input is larger than max_input_bytes (%llu)",
				 (unsigned long long)m->max_input_bytes);
			fail_with(ru, ctl, WARD_SANDBOX_INPUT_TOO_LARGE, msg);
			return;
		}
		ru->chunk_off = 0;
		ru->chunk_len = (size_t)k;
		if (ru->src_left == 0)
			ru->src_eof = true;
	}
	if (pf->fd == ru->in_w && ru->in_w >= 0 && (pf->revents & (POLLOUT | POLLERR | POLLHUP))) {
		ssize_t k = write(ru->in_w, ru->chunk + ru->chunk_off, ru->chunk_len - ru->chunk_off);

		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k < 0) {
			/* It stopped reading (closed its stdin or exited): the rest is not
			 * needed. */
			close_fd(&ru->in_w);
			ru->chunk_off = ru->chunk_len = 0;
			ru->src_eof = true;
			return;
		}
		ru->chunk_off += (size_t)k;
	}
	if (ru->chunk_off >= ru->chunk_len && ru->src_eof && ru->in_w >= 0)
		close_fd(&ru->in_w);
}

static void finish(struct run *ru, int status, uint64_t oom_kills, uint64_t denied_after);

/*
 * The answer need not wait for the domain's teardown: once CMD is reaped and its stdout and
 * stderr are at EOF (nothing CMD forked holds them either) and its stdin is done, the result is
 * all there is. What CMD forked and left running is killed with the init, as before; it can
 * reach the client no more.
 */
static void finish_early(struct run *ru, struct ward_domain_ctl *ctl)
{
	if (ru->finished || ru->failed || ru->phase != PH_ACTIVE || !ru->cmd_ended ||
	    ru->out_r >= 0 || ru->err_r >= 0 || ru->in_w >= 0)
		return;
	/* The deadline is checked here too: the monitor may have noticed CMD's end late. */
	if (ms_until(&ru->deadline) <= 0) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the service ran longer than timeout_s (%u s)",
			 ru->svc->m->timeout_s);
		fail_with(ru, ctl, WARD_SANDBOX_TIMEOUT, msg);
		return;
	}
	finish(ru, ru->cmd_status, domain_ctl_oom_kills(ctl), domain_ctl_denied_after(ctl));
}

static int on_poll(void *ud, struct ward_domain_ctl *ctl, const struct pollfd *p, size_t n,
		   struct ward_diag *d)
{
	struct run *ru = ud;
	const struct ward_manifest *m = ru->svc->m;

	for (size_t i = 0; i < n; i++) {
		bool over = false;

		if (!p[i].revents)
			continue;
		if (p[i].fd == ru->out_r) {
			if (drain(ru->out_r, &ru->out, &ru->out_total, m->max_output_bytes, &over) < 0)
				close_fd(&ru->out_r);
			if (over) {
				char msg[128];

				snprintf(msg, sizeof(msg), "the output is larger than "
					 "max_output_bytes (%llu)",
					 (unsigned long long)m->max_output_bytes);
				fail_with(ru, ctl, WARD_SANDBOX_OUTPUT_TOO_LARGE, msg);
				close_fd(&ru->out_r);
			}
		} else if (p[i].fd == ru->err_r) {
			/* Kept up to the cap when it goes to the client, else read and dropped. */
			uint64_t cap = m->stderr_to_client ? WARD_SANDBOX_STDERR_MAX : 0;

			if (drain(ru->err_r, &ru->err, NULL, cap, &over) < 0)
				close_fd(&ru->err_r);
		} else if (p[i].fd == ru->api && ru->phase == PH_WARM) {
			char b[64];
			ssize_t k = read(ru->api, b, sizeof(b));

			if (k > 0) {
				ru->phase = PH_READY;
			} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
				fail_with(ru, ctl, WARD_SANDBOX_UNAVAILABLE,
					  "the service ended its activation channel without "
					  "sealing (activation \"api\")");
			}
			close_fd(&ru->api);
		} else if (p[i].fd == ru->o->ctl_fd && ru->phase == PH_READY) {
			struct ward_sandbox_ctl_hdr h;
			int fd, r = sandbox_ctl_recv(ru->o->ctl_fd, &h, &fd);

			if (r < 0 || h.type != WARD_CTL_REQUEST || fd < 0) {
				if (fd >= 0)
					close(fd);
				fail_with(ru, ctl, WARD_SANDBOX_UNAVAILABLE, "wardd went away");
				return diag_set(d, r < 0 ? r : -EPROTO, "wardd's channel: %s",
						r < 0 ? strerror(-r) : "unexpected message");
			}
			take_request(ru, ctl, fd, h.len);
		} else if (ru->phase == PH_ACTIVE) {
			pump_input(ru, ctl, &p[i]);
		}
	}
	if (ru->failed)
		return 0;
	switch (ru->phase) {
	case PH_WARM: {
		pid_t w;

		if (ms_until(&ru->warm_deadline) <= 0) {
			fail_with(ru, ctl, WARD_SANDBOX_UNAVAILABLE,
				  "the service did not become ready within its warm-up time");
			return 0;
		}
		if (ru->api >= 0 || !domain_ctl_exec_done(ctl) ||
		    (w = domain_ctl_workload_pid(ctl)) <= 0 || !waits_for_input(w))
			return 0;
		ru->phase = PH_READY;
	}
		__attribute__((fallthrough));
	case PH_READY:
		if (ru->phase != PH_READY)
			return 0;
		if (ru->o->ctl_fd < 0) {
			/* One-shot: the request is here already. */
			if (ru->failed)
				return 0;
			ru->src = ru->o->in_fd;
			ru->src_left = -1;
			(void)activate(ru, ctl);
		} else if (ru->stashed) {
			ru->stashed = false;
			take_request(ru, ctl, ru->stash_fd, ru->stash_len);
			ru->stash_fd = -1;
		} else if (!ru->ready_sent) {
			struct ward_sandbox_ctl_hdr h = { .type = WARD_CTL_READY };

			ru->ready_sent = true;
			if (ctl_send(ru->o->ctl_fd, &h, NULL, 0) < 0) {
				fail_with(ru, ctl, WARD_SANDBOX_UNAVAILABLE, "wardd went away");
				return diag_set(d, -EPIPE, "wardd went away");
			}
		}
		return 0;
	case PH_ACTIVE:
		if (!ru->finished && ms_until(&ru->deadline) <= 0) {
			char msg[96];

			snprintf(msg, sizeof(msg), "the service ran longer than timeout_s (%u s)",
				 m->timeout_s);
			fail_with(ru, ctl, WARD_SANDBOX_TIMEOUT, msg);
		}
		finish_early(ru, ctl);
		return 0;
	}
	return 0;
}

/* Before activation only (the guard tells nothing after it): what was denied while the service
 * warmed up depends on its code, not on any client's data. */
static void on_decision(void *ud, const struct ward_decision *dec, bool first)
{
	struct run *ru = ud;
	char ds[WARD_DIGEST_STR_MAX] = "?";

	if (dec->verdict == WARD_DECISION_ALLOW || !first)
		return;
	if (dec->has_object)
		measure_digest_format(&dec->object, ds);
	fprintf(stderr, "ward: service %s: %s %s of '%s' (%s): %s\n", ru->svc->m->name,
		dec->verdict == WARD_DECISION_DENY ? "denied" : "audit: would deny",
		decision_grant_name(dec->grant), dec->path, ds, dec->reason);
}

static int pipe_pair(int fds[2], bool nonblock_ours, int ours)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (nonblock_ours)
		(void)fcntl(fds[ours], F_SETFL, O_NONBLOCK);
	return 0;
}

/* PATH, HOME and TMPDIR, the manifest's variables, and WARD_SANDBOX_FD for the porting API. */
static char **make_env(const struct ward_manifest *m)
{
	size_t n = 0;
	char **env = calloc(m->n_env + 6, sizeof(*env));

	if (!env)
		return NULL;
	env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	env[n++] = "HOME=/tmp";
	env[n++] = "TMPDIR=/tmp";
	for (size_t i = 0; i < m->n_env; i++)
		env[n++] = m->env[i];
	if (m->activation == WARD_ACTIVATE_API)
		env[n++] = "WARD_SANDBOX_FD=3";
	env[n] = NULL;
	return env;
}

/* The request's outcome, from CMD's status; the buffers move into the result. */
static void take_buffers(struct run *ru)
{
	struct ward_sandbox_result *res = ru->res;

	if (res->status == WARD_SANDBOX_OK) {
		res->output = TAKE_PTR(ru->out.data);
		res->output_len = ru->out.len;
	}
	if (ru->svc->m->stderr_to_client) {
		res->errout = TAKE_PTR(ru->err.data);
		res->errout_len = ru->err.len;
	}
}

static void finish(struct run *ru, int status, uint64_t oom_kills, uint64_t denied_after)
{
	const struct ward_manifest *m = ru->svc->m;
	struct ward_sandbox_result *res = ru->res;

	/* Every domain process is gone: what is left in the pipes is all there is. */
	if (ru->out_r >= 0) {
		bool over = false;

		(void)fcntl(ru->out_r, F_SETFL, 0);
		(void)drain(ru->out_r, &ru->out, &ru->out_total, m->max_output_bytes, &over);
		if (over)
			fail_with(ru, NULL, WARD_SANDBOX_OUTPUT_TOO_LARGE,
				  "the output is larger than max_output_bytes");
		close_fd(&ru->out_r);
	}
	if (ru->err_r >= 0) {
		bool over = false;

		(void)fcntl(ru->err_r, F_SETFL, 0);
		(void)drain(ru->err_r, &ru->err, NULL,
			    m->stderr_to_client ? WARD_SANDBOX_STDERR_MAX : 0, &over);
		close_fd(&ru->err_r);
	}
	res->exit_status = status;
	res->denied_after = denied_after;
	if (ru->failed) {
		/* the status set when it failed stands */
	} else if (ru->phase != PH_ACTIVE) {
		res->status = WARD_SANDBOX_UNAVAILABLE;
		snprintf(res->msg, sizeof(res->msg), "the service ended during its warm-up "
			 "(status %d)", status);
	} else if (ru->src_left > 0 && !ru->src_eof) {
		res->status = WARD_SANDBOX_DISCONNECTED;
		snprintf(res->msg, sizeof(res->msg), "the input was not complete");
	} else if (status == 0) {
		res->status = WARD_SANDBOX_OK;
	} else if (oom_kills) {
		res->status = WARD_SANDBOX_MEMORY;
		snprintf(res->msg, sizeof(res->msg), "the service was killed by its memory limit "
			 "(memory_mb %u)", m->memory_mb);
	} else {
		res->status = WARD_SANDBOX_FAILED;
		if (status == 126)
			snprintf(res->msg, sizeof(res->msg), "the service could not be executed "
				 "(status 126: denied, or not on a code mount)");
		else if (status > 128)
			snprintf(res->msg, sizeof(res->msg), "the service was killed by signal %d",
				 status - 128);
		else
			snprintf(res->msg, sizeof(res->msg), "the service exited with status %d",
				 status);
		if (denied_after) {
			size_t k = strlen(res->msg);

			snprintf(res->msg + k, sizeof(res->msg) - k, "; %llu object(s) refused after "
				 "activation", (unsigned long long)denied_after);
		}
	}
	take_buffers(ru);
	ru->finished = true;
	res->conn_fd = -1;
	if (ru->src_owned) {
		res->conn_fd = ru->src; /* the caller answers on it */
		ru->src = -1;
		ru->src_owned = false;
	}
	/* The answer goes out now, before the teardown (which can wait for grace periods). */
	if (ru->o->respond && (ru->phase == PH_ACTIVE || res->conn_fd >= 0))
		ru->o->respond(ru->o->respond_ud, res);
}

static void on_policy(void *ud, struct ward_domain_ctl *ctl, const struct ward_policy *p,
		      bool active, const char *error)
{
	struct run *ru = ud;

	(void)p;
	(void)active;
	(void)error;
	/* Also after an answer went out at CMD's end (wardd's sandboxes do not follow the
	 * policy; a one-shot `ward sandbox run` then reports the change): fail closed. */
	fail_with(ru, ctl, WARD_SANDBOX_POLICY_CHANGED,
		  "the installed policy changed during the request: a sandbox runs under one policy");
}

static void on_cmd_end(void *ud, struct ward_domain_ctl *ctl, int status)
{
	struct run *ru = ud;

	/* Ended while ready, before a request reached it: a request that arrives now must not
	 * be answered by a service that never saw it. (During the warm-up no request can come:
	 * the end is reported as a failed warm-up, with the status.) */
	if (ru->phase == PH_READY) {
		fail_with(ru, ctl, WARD_SANDBOX_UNAVAILABLE,
			  "the service ended before a request reached it");
		return;
	}
	if (ru->phase != PH_ACTIVE)
		return;
	ru->cmd_ended = true;
	ru->cmd_status = status;
	finish_early(ru, ctl);
}

static void on_end(void *ud, struct ward_domain_ctl *ctl, int status)
{
	struct run *ru = ud;

	if (ru->finished)
		return; /* answered at CMD's end */
	finish(ru, status, domain_ctl_oom_kills(ctl), domain_ctl_denied_after(ctl));
}

int sandbox_run(struct ward_sandbox_service *svc, const struct ward_sandbox_opts *o,
		struct ward_sandbox_result *ret, struct ward_diag *d)
{
	const struct ward_manifest *m = svc->m;
	struct ward_sandbox_result res = { .status = WARD_SANDBOX_OK, .exit_status = -1,
					   .conn_fd = -1 };
	struct run ru = { .svc = svc, .o = o, .res = &res, .d = d, .in_w = -1, .out_r = -1,
			  .err_r = -1, .api = -1, .src = -1, .stash_fd = -1 };
	struct ward_domain_bind binds[WARD_MANIFEST_FILES_MAX];
	struct ward_domain_sandbox sb = { 0 };
	struct ward_domain_stats stats = { 0 };
	struct ward_domain_spec spec = { 0 };
	int uid_lock = -EBADF;
	_cleanup_free_ char **env = NULL;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, api[2] = { -1, -1 };
	int r, status = -1;
	uid_t uid = 0;

	*ret = res;
	ret->status = WARD_SANDBOX_UNAVAILABLE;
	/* The host may have changed since the service was registered. */
	if ((r = sandbox_host_check(d)) < 0)
		return r;
	env = make_env(m);
	if (!env)
		return -ENOMEM;
	uid_lock = uid_claim(&uid);
	if (uid_lock < 0)
		return diag_set(d, uid_lock, "no free sandbox uid (%s): %s", UID_DIR,
				strerror(-uid_lock));
	if ((r = pipe_pair(in, true, 1)) < 0 || (r = pipe_pair(out, true, 0)) < 0 ||
	    (r = pipe_pair(err, true, 0)) < 0 ||
	    (m->activation == WARD_ACTIVATE_API &&
	     socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, api) < 0 && (r = -errno) < 0)) {
		diag_set(d, r, "pipes: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < m->n_files; i++)
		binds[i] = (struct ward_domain_bind){ .src = m->files[i], .dst = m->files[i],
						      .ro = true };
	sb = (struct ward_domain_sandbox){
		.memory_bytes = (uint64_t)m->memory_mb << 20,
		.tasks = m->threads,
		.cpu_percent = m->cpu_percent,
		.scratch_bytes = (uint64_t)m->scratch_mb << 20,
		.allow_fork = m->fork,
		.envp = env,
		.stdio = { in[0], out[1], err[1] },
		.api_fd = api[1],
		.record_domain = svc->domain,
		.append = o->ctl_fd >= 0 ? ctl_append : state_sink,
		.known = known_cb,
		.poll_fds = poll_fds,
		.on_poll = on_poll,
		.on_cmd_end = on_cmd_end,
		.on_end = on_end,
		.ud = &ru,
	};
	in[0] = out[1] = err[1] = api[1] = -1; /* domain_run takes them */
	ru.in_w = in[1];
	ru.out_r = out[0];
	ru.err_r = err[0];
	ru.api = api[0];
	in[1] = out[0] = err[0] = api[0] = -1;
	if (ru.api >= 0)
		(void)fcntl(ru.api, F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &ru.warm_deadline);
	ru.warm_deadline.tv_sec += WARD_SANDBOX_WARMUP_S;
	spec = (struct ward_domain_spec){
		.mode = svc->mode,
		.policy = svc->policy,
		.code = (const char *const *)m->code,
		.n_code = m->n_code,
		.binds = binds,
		.n_binds = m->n_files,
		.set_ids = true,
		.uid = uid,
		.gid = (gid_t)uid,
		.argv = m->argv,
		.exec_path = svc->exec_path,
		.stats = &stats,
		.sandbox = &sb,
		.on_decision = on_decision,
		.on_policy = on_policy,
		.pref = svc->pref,
		.policy_revoked = svc->policy_revoked,
		.follow_policy = o->follow_policy && svc->pref.installed,
		.userdata = &ru,
	};
	r = domain_run(&spec, o->st, &status, NULL, d);
	if (r < 0) {
		if (!ru.failed && !ru.finished) {
			res.status = WARD_SANDBOX_UNAVAILABLE;
			snprintf(res.msg, sizeof(res.msg), "the sandbox could not be built");
		}
		goto out;
	}
	if (!ru.finished)
		finish(&ru, status, stats.oom_kills, stats.denied_after);
out:
	if (!ru.finished)
		take_buffers(&ru);
	if (ru.err.data)
		explicit_bzero(ru.err.data, ru.err.cap);
	if (ru.out.data)
		explicit_bzero(ru.out.data, ru.out.cap);
	free(ru.out.data);
	free(ru.err.data);
	explicit_bzero(ru.chunk, sizeof(ru.chunk));
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&out[i]);
		close_fd(&err[i]);
		close_fd(&api[i]);
	}
	close_fd(&ru.in_w);
	close_fd(&ru.out_r);
	close_fd(&ru.err_r);
	close_fd(&ru.api);
	if (!ru.finished) {
		res.conn_fd = -1;
		if (ru.src_owned) {
			res.conn_fd = ru.src; /* the caller answers on it */
			ru.src = -1;
		}
	}
	if (ru.stashed)
		close_fd(&ru.stash_fd);
	/* Every process of the sandbox is gone (domain_run returned): the uid is free. */
	uid_release(uid, uid_lock);
	*ret = res;
	return r < 0 ? r : 0;
}
