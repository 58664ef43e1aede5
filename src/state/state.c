/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State directory layout (0700, owned by the monitor's uid):
 *   state.json    settings fixed at creation: attester, banks, PCR, file hash, TCTI (tpm)
 *   log           the measurement log (evlog/store.c)
 *   soft-key.pem  the soft attester's key (0600), when the attester is soft
 *   tpm-ak.key    the tpm attester's AK auth and blob (0600), when the attester is tpm
 *   lock          flock(2) taken while the directory is first set up
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup-ossl.h"
#include "core/json.h"
#include "ward-config.h"
#include "ward/state.h"

#define STATE_CONFIG "state.json"
#define STATE_LOG "log"
#define STATE_LOCK "lock"
#define DEFAULT_BANKS ((1u << WARD_HASH_SHA1) | (1u << WARD_HASH_SHA256))

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_config(struct ward_state *s)
{
	_cleanup_json_ json_t *banks = json_array(), *root = NULL;
	_cleanup_free_ char *text = NULL;

	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if (s->banks & (1u << a))
			json_array_append_new(banks, json_string(hash_alg_name(a)));
	root = json_pack("{s:i, s:s, s:O, s:i, s:s, s:s}", "ward_state", 1, "attester",
			 s->attester_type, "banks", banks, "pcr", (json_int_t)s->pcr, "file_hash",
			 hash_alg_name(s->file_hash), "created_by", "ward " WARD_VERSION);
	if (!root || (s->tcti && json_object_set_new(root, "tcti", json_string(s->tcti)) < 0))
		return -ENOMEM;
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	return write_file_atomic(s->dirfd, STATE_CONFIG, text, strlen(text), 0600);
}

static int read_config(struct ward_state *s, struct ward_diag *d)
{
	static const char *const keys[] = { "ward_state", "attester", "banks", "pcr", "file_hash",
					    "created_by", "tcti", NULL };
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_json_ json_t *root = NULL;
	const char *att, *fh, *created;
	uint64_t ver, pcr;
	json_t *banks, *b;
	size_t len, i;
	int r;

	fd = openat(s->dirfd, STATE_CONFIG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fd_check_owned(fd, 022, NULL) < 0)
		return diag_set(d, -EPERM, "%s/%s must be owned by uid %u and not writable by group "
					   "or others", s->path, STATE_CONFIG, (unsigned)geteuid());
	if ((r = read_fd_full(fd, 64 << 10, &buf, &len)) < 0)
		return diag_set(d, r, "%s/%s: %s", s->path, STATE_CONFIG, strerror(-r));
	if ((r = json_parse_strict(buf, len, STATE_CONFIG, &root, d)) < 0 ||
	    (r = json_only_keys(root, keys, STATE_CONFIG, d)) < 0 ||
	    (r = json_req_u64(root, "ward_state", STATE_CONFIG, &ver, d)) < 0 ||
	    (r = json_req_string(root, "attester", STATE_CONFIG, &att, d)) < 0 ||
	    (r = json_req_u64(root, "pcr", STATE_CONFIG, &pcr, d)) < 0 ||
	    (r = json_req_string(root, "file_hash", STATE_CONFIG, &fh, d)) < 0 ||
	    (r = json_req_string(root, "created_by", STATE_CONFIG, &created, d)) < 0)
		return r;
	if (ver != 1 || !attest_type_known(att) || pcr > 23 ||
	    hash_alg_from_name(fh, &s->file_hash) < 0)
		return diag_set(d, -EBADMSG, "%s/%s: unsupported settings", s->path, STATE_CONFIG);
	banks = json_object_get(root, "banks");
	if (!json_is_array(banks) || json_array_size(banks) == 0)
		return diag_set(d, -EBADMSG, "%s/%s: \"banks\" must be a non-empty array", s->path,
				STATE_CONFIG);
	json_array_foreach(banks, i, b) {
		enum ward_hash_alg a;

		if (!json_is_string(b) || hash_alg_from_name(json_string_value(b), &a) < 0)
			return diag_set(d, -EBADMSG, "%s/%s: unknown bank", s->path, STATE_CONFIG);
		s->banks |= 1u << a;
	}
	if (json_object_get(root, "tcti")) {
		const char *tcti;

		if ((r = json_req_string(root, "tcti", STATE_CONFIG, &tcti, d)) < 0)
			return r;
		if (!*tcti || strlen(tcti) > WARD_TCTI_MAX)
			return diag_set(d, -EBADMSG, "%s/%s: bad \"tcti\"", s->path, STATE_CONFIG);
		s->tcti = strdup(tcti);
		if (!s->tcti)
			return -ENOMEM;
	}
	if (strcmp(att, "tpm") == 0 && !s->tcti)
		return diag_set(d, -EBADMSG, "%s/%s: a tpm state dir needs \"tcti\"", s->path,
				STATE_CONFIG);
	snprintf(s->attester_type, sizeof(s->attester_type), "%s", att);
	s->pcr = (uint32_t)pcr;
	return 0;
}

/*
 * The PCR of a new state dir. PCR 10 is IMA's: Keylime and evmctl read it as the kernel's
 * list, so ward uses it only while the kernel's IMA is off, and a TPM state dir on a kernel
 * whose IMA measures must name another. PCRs 17..22 (DRTM) cannot be extended from locality 0
 * and 16 and 23 can be reset by anyone who can reach the TPM.
 */
static int choose_pcr(const char *attester, int asked, bool ima_active, uint32_t *ret,
		      struct ward_diag *d)
{
	bool tpm = strcmp(attester, "tpm") == 0;

	if (asked == -1) {
		if (tpm && ima_active)
			return diag_set(d, -EINVAL,
					"the kernel's IMA measures into PCR 10: pass --pcr N to give "
					"ward another PCR (8..15 are the OS's; check your boot chain "
					"does not use it)");
		*ret = WARD_IMA_PCR;
		return 0;
	}
	if (asked > 23 || asked < -1)
		return diag_set(d, -EINVAL, "--pcr: a PCR index 0..23 is expected");
	if (tpm && asked == WARD_IMA_PCR && ima_active)
		return diag_set(d, -EINVAL, "--pcr 10: the kernel's IMA measures into PCR 10; "
					    "pick another");
	if (tpm && (asked == 16 || asked == 23 || (asked >= 17 && asked <= 22)))
		return diag_set(d, -EINVAL,
				"--pcr %d: PCRs 16 and 23 can be reset by any TPM user and 17..22 "
				"are for dynamic launch; pick one of 0..15", asked);
	*ret = (uint32_t)asked;
	return 0;
}

int state_choose_pcr(const char *attester, int asked, bool ima_active, uint32_t *ret,
		     struct ward_diag *d)
{
	return choose_pcr(attester, asked, ima_active, ret, d);
}

static int state_mirror(void *ctx, const struct ward_evlog *log, size_t n, struct ward_diag *d)
{
	struct ward_state *s = ctx;
	uint8_t reg[__WARD_HASH_MAX][WARD_HASH_MAX_SIZE] = { { 0 } };
	size_t ext = 0;
	int r;

	/* The store calls with its whole log: its registers are the replay of all @n records. */
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if ((s->banks & (1u << a)) && evlog_store_register(s->log, a, reg[a]) < 0)
			return diag_set(d, -EUCLEAN, "the log's registers are unavailable");
	r = attest_mirror(s->att, log, n, n == log->n ? reg : NULL, &ext, d);

	s->mirrored += ext;
	return r;
}

/*
 * A process killed between writing a temp file and renaming it leaves "NAME.tmp.PID" (or the
 * key's "soft-key.pem.new.PID") behind. Under the state lock, those of dead processes are
 * removed; a key copy is overwritten first, since it holds the private key.
 */
static void remove_stale_temps(int dirfd)
{
	_cleanup_close_ int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	if (!dir)
		return;
	dfd = -EBADF; /* owned by dir now */
	while ((de = readdir(dir))) {
		const char *dot = strrchr(de->d_name, '.');
		char *end;
		long pid;

		if (!dot || (!strstr(de->d_name, ".tmp.") && !strstr(de->d_name, ".new.")))
			continue;
		pid = strtol(dot + 1, &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (strncmp(de->d_name, "soft-key.pem", 12) == 0) {
			int fd = openat(dirfd, de->d_name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
			struct stat st;

			/* A link count above one means the temp file already became the key
			 * (link(2) done, unlink not yet): only the name goes, never the bytes. */
			if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1) {
				static const uint8_t zeros[4096];
				for (off_t o = 0; o < st.st_size; o += (off_t)sizeof(zeros))
					if (write(fd, zeros, sizeof(zeros)) < 0)
						break;
				(void)fsync(fd);
			}
			if (fd >= 0)
				close(fd);
		}
		unlinkat(dirfd, de->d_name, 0);
	}
	closedir(dir);
}

/*
 * The directory holds the log and the attester key: anyone else who can write it can forge
 * or destroy evidence, so a group- or world-writable or foreign-owned directory is refused.
 */
static int check_dir(struct ward_state *s, struct ward_diag *d)
{
	struct stat st;

	if (fstat(s->dirfd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return diag_set(d, -EPERM,
				"state dir %s must be owned by uid %u and not writable by group or "
				"others (mode %04o, uid %u)",
				s->path, (unsigned)geteuid(), (unsigned)(st.st_mode & 07777),
				(unsigned)st.st_uid);
	return 0;
}

int state_open(const char *path, const char *attester, unsigned flags, struct ward_state **ret,
	       struct ward_diag *d)
{
	struct ward_state_create c = { .attester = attester, .pcr = -1 };

	return state_open_with(path, &c, flags, ret, d);
}

int state_open_with(const char *path, const struct ward_state_create *c, unsigned flags,
		    struct ward_state **ret, struct ward_diag *d)
{
	const char *attester = c->attester;
	struct ward_state *s;
	_cleanup_close_ int lockfd = -EBADF;
	int r;

	if (attester && !attest_type_known(attester))
		return diag_set(d, -EINVAL, "unknown attester '%s' (soft, tpm, tsm)", attester);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dirfd = -EBADF;
	s->path = strdup(path);
	if (!s->path) {
		r = -ENOMEM;
		goto fail;
	}
	if (!(flags & WARD_STATE_READONLY) && (r = mkdir_p(path, 0700)) < 0) {
		diag_set(d, r, "cannot create state dir %s: %s", path, strerror(-r));
		goto fail;
	}
	s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		r = diag_set(d, -errno, "cannot open state dir %s: %s", path, strerror(errno));
		goto fail;
	}
	if ((r = check_dir(s, d)) < 0)
		goto fail;

	if (!(flags & WARD_STATE_READONLY)) {
		lockfd = openat(s->dirfd, STATE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
			r = diag_set(d, -errno, "cannot lock %s/%s: %s", path, STATE_LOCK, strerror(errno));
			goto fail;
		}
	}
	if (!(flags & WARD_STATE_READONLY))
		remove_stale_temps(s->dirfd);
	r = read_config(s, d);
	if (r == -ENOENT && !(flags & WARD_STATE_READONLY)) {
		/* First use: the attester is fixed now, for the life of this log; only one this
		 * build can provide, so that a failed first use leaves nothing fixed. */
		snprintf(s->attester_type, sizeof(s->attester_type), "%s",
			 attester ? attester : attest_default_type());
		r = attest_available(s->attester_type, d);
		if (r < 0)
			goto fail;
		if ((r = choose_pcr(s->attester_type, c->pcr, attest_ima_active(), &s->pcr, d)) < 0)
			goto fail;
		s->banks = DEFAULT_BANKS;
		if (strcmp(s->attester_type, "tpm") == 0) {
			/* Every bank the TPM has active, so that no bank of the PCR is left for
			 * someone else to fill. */
			s->tcti = strdup(c->tcti ? c->tcti : WARD_TPM_DEFAULT_TCTI);
			if (!s->tcti) {
				r = -ENOMEM;
				goto fail;
			}
			if ((r = attest_tpm_banks(s->tcti, &s->banks, d)) < 0) {
				diag_prefix(d, "cannot set up the tpm attester: ");
				goto fail;
			}
		} else if (c->tcti) {
			r = diag_set(d, -EINVAL, "--tcti is for the tpm attester, not %s",
				     s->attester_type);
			goto fail;
		}
		s->file_hash = WARD_HASH_SHA256;
		r = write_config(s);
		if (r < 0)
			diag_set(d, r, "cannot write %s/%s: %s", path, STATE_CONFIG, strerror(-r));
	} else if (r == -ENOENT) {
		diag_set(d, r, "%s is not a ward state dir (no %s)", path, STATE_CONFIG);
	}
	if (r < 0)
		goto fail;
	if (attester && strcmp(attester, s->attester_type) != 0) {
		r = diag_set(d, -EEXIST,
			     "state dir %s was created with the %s attester; refusing %s (one log "
			     "never mixes roots of trust: use another --state-dir)",
			     path, s->attester_type, attester);
		goto fail;
	}
	r = evlog_store_open(s->dirfd, STATE_LOG, s->banks, s->pcr,
			     (flags & WARD_STATE_READONLY) ? WARD_STORE_RDONLY : 0, &s->log, d);
	if (r == -ENOENT && (flags & WARD_STATE_READONLY))
		diag_set(d, r, "%s has no log yet", path);
	if (r < 0) {
		diag_prefix(d, "%s/%s: ", path, STATE_LOG);
		goto fail;
	}
	if (c->pcr != -1 && (c->pcr < 0 || (uint32_t)c->pcr != s->pcr)) {
		r = diag_set(d, -EEXIST, "state dir %s keeps its records in PCR %u; refusing --pcr (the "
					 "PCR is fixed when a state dir is created)", path,
			     (unsigned)s->pcr);
		goto fail;
	}
	if (c->tcti && (!s->tcti || strcmp(c->tcti, s->tcti) != 0) &&
	    strcmp(s->attester_type, "tpm") == 0) {
		/* The TPM is reached another way now (a new socket path, a device): used for this
		 * run only; a different TPM would not load the AK, so nothing is mixed. */
		free(s->tcti);
		s->tcti = strdup(c->tcti);
		if (!s->tcti) {
			r = -ENOMEM;
			goto fail;
		}
	} else if (c->tcti && strcmp(s->attester_type, "tpm") != 0) {
		r = diag_set(d, -EINVAL, "--tcti: state dir %s uses the %s attester, not tpm", path,
			     s->attester_type);
		goto fail;
	}
	if (flags & WARD_STATE_ATTESTER) {
		struct ward_attester_conf ac = { .tcti = s->tcti, .pcr = s->pcr, .banks = s->banks };

		if ((r = attest_open(s->attester_type, s->dirfd, &ac, &s->att, d)) < 0)
			goto fail;
		if (attest_has_registers(s->att)) {
			/* From now on every durable record is mirrored under the log's lock; first
			 * catch up on records a crash or a writer without the attester left out. */
			evlog_store_set_mirror(s->log, state_mirror, s);
			if ((r = evlog_store_locked(s->log, NULL, NULL, d)) < 0)
				goto fail;
			s->repaired = s->mirrored;
		}
	}
	*ret = s;
	return 0;
fail:
	state_close(s);
	return r;
}

int state_append(struct ward_state *s, struct ward_evlog_record *recs, size_t n,
		 struct ward_diag *d)
{
	return state_append_flags(s, recs, n, 0, d);
}

int state_append_flags(struct ward_state *s, struct ward_evlog_record *recs, size_t n,
		       unsigned flags, struct ward_diag *d)
{
	/* Durable first, then mirrored (the store calls state_mirror() after its fdatasync, or
	 * at the next evlog_store_sync() for WARD_APPEND_NOSYNC): a crash in between leaves
	 * records the register lacks, which the next open replays; never a register value no
	 * record explains. */
	return evlog_store_append_flags(s->log, recs, n, flags, d);
}

struct quote_ctx {
	struct ward_state *s;
	struct ward_quote_msg m;
	uint64_t first_record;
	struct ward_quote q;
};

/* Under the log's lock: the statement's registers are the PCR's, nothing can come between. */
static int quote_locked(void *ctx, struct ward_evlog_store *store, struct ward_diag *d)
{
	struct quote_ctx *qc = ctx;
	const struct ward_evlog *log = evlog_store_log(store);
	int r;

	if (qc->first_record > log->n)
		return diag_set(d, -ERANGE, "the log has %zu records; cannot start at %llu", log->n,
				(unsigned long long)qc->first_record);
	qc->m.first_record = qc->first_record;
	qc->m.record_count = log->n;
	for (unsigned a = 0; a < __WARD_HASH_MAX; a++)
		if ((qc->s->banks & (1u << a)) &&
		    (r = evlog_store_register(store, a, qc->m.reg[a])) < 0)
			return r;
	return attest_quote(qc->s->att, &qc->m, &qc->q, d);
}

int state_quote(struct ward_state *s, const uint8_t *nonce, size_t nonce_len, uint64_t first_record,
		struct ward_quote_msg *ret_msg, struct ward_quote *ret_quote, struct ward_diag *d)
{
	return state_quote_flags(s, nonce, nonce_len, first_record, 0, ret_msg, ret_quote, d);
}

int state_quote_flags(struct ward_state *s, const uint8_t *nonce, size_t nonce_len,
		      uint64_t first_record, uint32_t flags, struct ward_quote_msg *ret_msg,
		      struct ward_quote *ret_quote, struct ward_diag *d)
{
	struct quote_ctx qc = { .s = s, .first_record = first_record };
	int r;

	if (!s->att || (flags & ~WARD_QUOTE_CHANNEL))
		return -EINVAL;
	qc.m.flags = flags;
	if (nonce_len == 0 || nonce_len > WARD_NONCE_MAX)
		return -EINVAL;
	snprintf(qc.m.ward_version, sizeof(qc.m.ward_version), "%s", WARD_VERSION);
	memcpy(qc.m.nonce, nonce, nonce_len);
	qc.m.nonce_len = nonce_len;
	qc.m.pcr = s->pcr;
	qc.m.banks = s->banks;
	if (attest_has_registers(s->att)) {
		r = evlog_store_locked(s->log, quote_locked, &qc, d);
	} else {
		/* soft: the registers are the log's own; no lock needed beyond catching up */
		r = evlog_store_refresh(s->log, d);
		if (r == 0)
			r = quote_locked(&qc, s->log, d);
	}
	if (r < 0) {
		attest_quote_clear(&qc.q);
		return r;
	}
	*ret_msg = qc.m;
	*ret_quote = qc.q;
	return 0;
}

void state_close(struct ward_state *s)
{
	if (!s)
		return;
	attest_close(s->att);
	evlog_store_free(s->log);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->tcti);
	free(s->path);
	free(s);
}

/* Indexes of policies this state dir has loaded, by the sha256 of the policy file. */
#define POLICY_INDEX_DIR "policy-index"
#define POLICY_INDEX_KEEP 16

/* Keep the POLICY_INDEX_KEEP most recently written indexes (the one just written among them). */
static void prune_policy_index(int dfd, const char *keep)
{
	_cleanup_close_ int d2 = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = d2 >= 0 ? fdopendir(d2) : NULL;
	struct {
		char name[80];
		struct timespec mtime;
	} e[POLICY_INDEX_KEEP + 1];
	size_t n = 0;
	struct dirent *de;

	if (!dir)
		return;
	d2 = -EBADF;
	while ((de = readdir(dir))) {
		struct stat st;
		size_t oldest = 0;

		if (de->d_name[0] == '.' || strcmp(de->d_name, keep) == 0 ||
		    strlen(de->d_name) >= sizeof(e[0].name) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		memcpy(e[n].name, de->d_name, strlen(de->d_name) + 1);
		e[n].mtime = st.st_mtim;
		if (++n <= POLICY_INDEX_KEEP - 1)
			continue;
		for (size_t i = 1; i < n; i++)
			if (e[i].mtime.tv_sec < e[oldest].mtime.tv_sec ||
			    (e[i].mtime.tv_sec == e[oldest].mtime.tv_sec &&
			     e[i].mtime.tv_nsec < e[oldest].mtime.tv_nsec))
				oldest = i;
		(void)unlinkat(dfd, e[oldest].name, 0);
		e[oldest] = e[--n];
	}
	closedir(dir);
}

/* The index of @p into @dfd, named by its file digest; best effort (it is a cache). */
static void write_index(int dfd, const struct ward_policy *p)
{
	char name[2 * 32 + 1];
	uint8_t *idx;
	size_t ilen;

	hex_encode(p->file_digest, sizeof(p->file_digest), name);
	if (policy_index_encode(p, &idx, &ilen) == 0) {
		if (write_file_atomic(dfd, name, idx, ilen, 0600) == 0)
			prune_policy_index(dfd, name);
		free(idx);
	}
}

int state_load_policy(struct ward_state *s, const uint8_t *buf, size_t len,
		      struct ward_policy **ret, struct ward_diag *d)
{
	uint8_t digest[32], *idx = NULL;
	char name[2 * 32 + 1];
	_cleanup_close_ int dfd = -EBADF;
	struct ward_policy *p;
	size_t ilen;
	int r;

	hash_buf(WARD_HASH_SHA256, buf, len, digest);
	hex_encode(digest, sizeof(digest), name);
	if (mkdirat(s->dirfd, POLICY_INDEX_DIR, 0700) < 0 && errno != EEXIST)
		goto parse;
	dfd = openat(s->dirfd, POLICY_INDEX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		goto parse;
	{
		struct stat st;

		/* The index is trusted like the log: only if nobody else can write it. */
		if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077))
			goto parse;
	}
	{
		_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd >= 0 && fd_check_owned(fd, 077, NULL) == 0 &&
		    read_fd_full(fd, WARD_POLICY_FILE_MAX, &idx, &ilen) == 0) {
			r = policy_index_decode(idx, ilen, digest, &p, NULL);
			free(idx);
			if (r == 0) {
				*ret = p;
				return 0;
			}
		}
	}
parse:
	r = policy_parse(buf, len, &p, d);
	if (r < 0)
		return r;
	if (dfd >= 0)
		write_index(dfd, p);
	*ret = p;
	return 0;
}

int state_cache_policy_index(struct ward_state *s, const struct ward_policy *p)
{
	_cleanup_close_ int dfd = -EBADF;
	struct stat st;

	if (mkdirat(s->dirfd, POLICY_INDEX_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	dfd = openat(s->dirfd, POLICY_INDEX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077))
		return -EPERM;
	write_index(dfd, p);
	return 0;
}
