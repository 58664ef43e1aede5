/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The on-disk log. File: 16-byte header ("WARDLOG" 0x00, u32 version, u32 reserved), then
 * frames: "WREC" | u32 payload length | u64 sequence | payload | 16-byte check, where the
 * payload is a record in kernel binary layout without its template digest (digests are derived,
 * per bank, from the data) and the check is the first 16 bytes of SHA-256 over everything
 * before it in the frame.
 *
 * Why a check per frame: a crash during a write can leave a partial frame or, on some file
 * systems, a zero-filled extension; the check tells a torn tail from a record. Why sequence
 * numbers: a frame is then only valid at its own position, so reordering or splicing is seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "evlog/evlog-internal.h"
#include "ward/evlog-store.h"

struct ward_evlog_store {
	int fd;
	unsigned flags;
	unsigned banks;
	uint32_t pcr;
	struct ward_evlog log;
	uint64_t end;	   /* offset after the last valid frame */
	uint64_t next_seq; /* sequence number of the next frame */
	uint64_t cut;
	/* A failed load leaves memory and file out of step: every later use refuses. */
	int broken;
	evlog_store_mirror_fn mirror; /* called with the lock held, records durable */
	void *mirror_ctx;
	uint8_t reg[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE];
};

static int extend_into(struct ward_evlog_store *s, uint8_t reg[][WARD_HASH_MAX_SIZE],
		       const struct ward_evlog_record *r)
{
	if (r->pcr != s->pcr)
		return 0;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++) {
		uint8_t digest[WARD_HASH_MAX_SIZE];
		int err;

		if (!(s->banks & (1u << a)))
			continue;
		if ((err = evlog_record_digest(r, a, digest)) < 0 ||
		    (err = hash_extend(a, reg[a], digest)) < 0)
			return err;
	}
	return 0;
}

/*
 * Load frames from s->end to EOF. At the first frame that does not check: if any checked frame
 * follows, this is damage and nothing is cut (a record that was reported appended may lie
 * beyond it); otherwise it is the torn tail of an append that never reported success, and it
 * is cut (unless read-only, in which case it is only ignored).
 */
static int load_tail_once(struct ward_evlog_store *s, struct ward_diag *d);

static int load_tail(struct ward_evlog_store *s, struct ward_diag *d)
{
	if (s->broken)
		return diag_set(d, s->broken, "log state lost after an earlier error: reopen it");
	s->broken = load_tail_once(s, d);
	return s->broken;
}

static int load_tail_once(struct ward_evlog_store *s, struct ward_diag *d)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	size_t len;

	if (fstat(s->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < s->end)
		return diag_set(d, -EUCLEAN, "log shrank below offset %llu: records were removed",
				(unsigned long long)s->end);
	if ((uint64_t)st.st_size - s->end > WARD_LOG_FILE_MAX)
		return diag_set(d, -EFBIG, "log larger than %llu bytes", (unsigned long long)WARD_LOG_FILE_MAX);
	len = (size_t)((uint64_t)st.st_size - s->end);
	if (len == 0)
		return 0;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (size_t got = 0; got < len;) {
		ssize_t k = pread(s->fd, buf + got, len - got, (off_t)(s->end + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		got += (size_t)k;
	}

	{
		size_t n0 = s->log.n, consumed = 0;
		bool torn = false;
		int err = evlog_frames_parse(buf, len, s->end, &s->next_seq, &s->log, &consumed, &torn, d);

		for (size_t i = n0; i < s->log.n; i++) {
			s->log.rec[i].src_pos = i;
			if (err == 0)
				err = extend_into(s, s->reg, &s->log.rec[i]);
		}
		if (err < 0)
			return err;
		s->end += consumed;
		if (!torn || (s->flags & WARD_STORE_RDONLY))
			return 0;
		/* The torn tail of an append that never reported success: cut it. */
		if (ftruncate(s->fd, (off_t)s->end) < 0 || fdatasync(s->fd) < 0)
			return -errno;
		s->cut += len - consumed;
		return 0;
	}
}

static int lock(struct ward_evlog_store *s, int how)
{
	while (flock(s->fd, how) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int create_log(int dirfd, const char *name)
{
	uint8_t hdr[WARD_LOG_FILE_HDR];

	evlog_file_header(hdr);
	/* Temp + rename: a crash never leaves a log without its header. */
	return write_file_atomic(dirfd, name, hdr, sizeof(hdr), 0600);
}

int evlog_store_open(int dirfd, const char *name, unsigned banks, uint32_t pcr, unsigned flags,
		     struct ward_evlog_store **ret, struct ward_diag *d)
{
	struct ward_evlog_store *s;
	uint8_t hdr[WARD_LOG_FILE_HDR];
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -EBADF;
	s->flags = flags;
	s->banks = banks & WARD_HASH_ALL_MASK;
	s->pcr = pcr;
	evlog_init(&s->log);
	s->log.log_bank = WARD_HASH_SHA256;

	for (int attempt = 0; attempt < 2; attempt++) {
		s->fd = openat(dirfd, name,
			       ((flags & WARD_STORE_RDONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
		if (s->fd >= 0 || errno != ENOENT || (flags & WARD_STORE_RDONLY))
			break;
		r = create_log(dirfd, name);
		if (r < 0 && r != -EEXIST) {
			diag_set(d, r, "cannot create log: %s", strerror(-r));
			goto fail;
		}
	}
	if (s->fd < 0) {
		r = diag_set(d, -errno, "cannot open log: %s", strerror(errno));
		goto fail;
	}
	{
		mode_t mode;

		if ((r = fd_check_owned(s->fd, 022, &mode)) < 0) {
			diag_set(d, r, "must be a regular file owned by uid %u and not writable by "
				       "group or others (mode %04o)", (unsigned)geteuid(), (unsigned)mode);
			goto fail;
		}
	}
	r = lock(s, (flags & WARD_STORE_RDONLY) ? LOCK_SH : LOCK_EX);
	if (r < 0)
		goto fail;
	if (pread(s->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    !evlog_file_header_ok(hdr, sizeof(hdr))) {
		r = diag_set(d, -EBADMSG, "not a ward log (bad header)");
		goto fail;
	}
	s->end = WARD_LOG_FILE_HDR;
	r = load_tail(s, d);
	flock(s->fd, LOCK_UN);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	evlog_store_free(s);
	return r;
}

int evlog_store_refresh(struct ward_evlog_store *s, struct ward_diag *d)
{
	int r = lock(s, (s->flags & WARD_STORE_RDONLY) ? LOCK_SH : LOCK_EX);

	if (r < 0)
		return r;
	r = load_tail(s, d);
	flock(s->fd, LOCK_UN);
	return r;
}

int evlog_store_append(struct ward_evlog_store *s, struct ward_evlog_record *recs, size_t n,
		       struct ward_diag *d)
{
	return evlog_store_append_flags(s, recs, n, 0, d);
}

void evlog_store_set_mirror(struct ward_evlog_store *s, evlog_store_mirror_fn fn, void *ctx)
{
	s->mirror = fn;
	s->mirror_ctx = ctx;
}

int evlog_store_locked(struct ward_evlog_store *s, evlog_store_locked_fn fn, void *ctx,
		       struct ward_diag *d)
{
	int r;

	if (s->flags & WARD_STORE_RDONLY)
		return -EROFS;
	if ((r = lock(s, LOCK_EX)) < 0)
		return r;
	if ((r = load_tail(s, d)) < 0)
		goto out;
	/* Every record in the file is durable before anyone mirrors or quotes it: records other
	 * writers wrote without syncing yet included. */
	if (fdatasync(s->fd) < 0) {
		r = diag_set(d, -errno, "log sync failed: %s", strerror(errno));
		goto out;
	}
	if (s->mirror && (r = s->mirror(s->mirror_ctx, &s->log, s->log.n, d)) < 0)
		goto out;
	r = fn ? fn(ctx, s, d) : 0;
out:
	flock(s->fd, LOCK_UN);
	return r;
}

int evlog_store_sync(struct ward_evlog_store *s)
{
	if (s->flags & WARD_STORE_RDONLY)
		return -EROFS;
	if (s->mirror)
		return evlog_store_locked(s, NULL, NULL, NULL);
	return fdatasync(s->fd) < 0 ? -errno : 0;
}

int evlog_store_append_flags(struct ward_evlog_store *s, struct ward_evlog_record *recs, size_t n,
			     unsigned flags, struct ward_diag *d)
{
	uint8_t reg[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE];
	struct buf b = { 0 };
	int r;

	if (s->flags & WARD_STORE_RDONLY)
		return -EROFS;
	if (n == 0 || n > WARD_APPEND_BATCH_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (evlog_template_is_legacy(recs[i].template_name) || recs[i].violation)
			return -EINVAL;
	r = lock(s, LOCK_EX);
	if (r < 0)
		return r;
	r = load_tail(s, d); /* other writers' records come first */
	if (r < 0)
		goto out;
	/* Everything that can fail happens before the write, so that a record on disk is always
	 * a record in memory and in the registers. */
	if ((r = evlog_reserve(&s->log, n)) < 0)
		goto out;
	memcpy(reg, s->reg, sizeof(reg));
	for (size_t i = 0; i < n; i++)
		if ((r = extend_into(s, reg, &recs[i])) < 0 ||
		    (r = evlog_frame_append(&b, &recs[i], s->next_seq + i)) < 0)
			goto out;
	r = write_all_at(s->fd, b.data, b.len, (off_t)s->end);
	if (r == 0 && !(flags & WARD_APPEND_NOSYNC) && fdatasync(s->fd) < 0)
		r = -errno;
	if (r < 0) {
		/* Nothing is reported; take back whatever reached the file. */
		if (ftruncate(s->fd, (off_t)s->end) == 0)
			(void)fdatasync(s->fd);
		diag_set(d, r, "log append failed: %s", strerror(-r));
		goto out;
	}
	memcpy(s->reg, reg, sizeof(reg));
	for (size_t i = 0; i < n; i++) {
		recs[i].src_pos = s->log.n;
		(void)evlog_push(&s->log, &recs[i]); /* capacity reserved: cannot fail */
	}
	s->end += b.len;
	s->next_seq += n;
	/* Durable now, so mirrored now, before the lock lets another writer in: registers see
	 * records in log order. A mirror that fails leaves the records appended (the log is the
	 * truth; a restart repairs the register) and the caller told. */
	if (!(flags & WARD_APPEND_NOSYNC) && s->mirror)
		r = s->mirror(s->mirror_ctx, &s->log, s->log.n, d);
out:
	buf_free(&b);
	flock(s->fd, LOCK_UN);
	return r;
}

const struct ward_evlog *evlog_store_log(const struct ward_evlog_store *s)
{
	return &s->log;
}

int evlog_store_register(const struct ward_evlog_store *s, enum ward_hash_alg bank, uint8_t *out)
{
	if (s->broken)
		return s->broken;
	if ((unsigned)bank >= __WARD_HASH_MAX || !(s->banks & (1u << bank)))
		return -EINVAL;
	memcpy(out, s->reg[bank], hash_alg_size(bank));
	return 0;
}

uint64_t evlog_store_cut_bytes(const struct ward_evlog_store *s)
{
	return s->cut;
}

void evlog_store_free(struct ward_evlog_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	evlog_free(&s->log);
	free(s);
}
