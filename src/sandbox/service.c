/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A sandbox service as the monitor knows it: its manifest checked against this host, its
 * ward-service record, and the set of everything measured for it. Records are written once per
 * service (identical records of later sandboxes are dropped), so the log grows when the
 * service's code or manifest changes, never per request.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "ward/decision.h"
#include "ward/evlog.h"
#include "ward/measure.h"
#include "ward/sandbox.h"
#include "ward/state.h"
#include "sandbox/sandbox-internal.h"

static int str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void str_free(void *p)
{
	free(p);
}

/* Adds @key (taken) to @tree; 1 if it is new, 0 if it was there, -errno. */
static int set_add(void **tree, size_t *n, size_t max, char *key)
{
	char **slot;

	if (*n >= max) {
		free(key);
		return -E2BIG;
	}
	slot = tsearch(key, tree, str_cmp);
	if (!slot) {
		free(key);
		return -ENOMEM;
	}
	if (*slot != key) {
		free(key);
		return 0;
	}
	(*n)++;
	return 1;
}

bool sandbox_service_known(const struct ward_sandbox_service *svc, const struct ward_digest *dg)
{
	char s[WARD_DIGEST_STR_MAX];

	measure_digest_format(dg, s);
	return tfind(s, &svc->known, str_cmp) != NULL;
}

/* The digest an ima-ng record measured, as "alg:hex", or NULL for other records. */
static char *record_digest_key(const struct ward_evlog_record *r)
{
	struct ward_file_digest fd;
	char *key;

	if (evlog_record_file_digest(r, &fd) < 0 || !fd.digest || fd.len > WARD_HASH_MAX_SIZE)
		return NULL;
	key = malloc(strlen(fd.alg) + 2 + 2 * fd.len);
	if (!key)
		return NULL;
	sprintf(key, "%s:", fd.alg);
	hex_encode(fd.digest, fd.len, key + strlen(key));
	return key;
}

/* sha256 over the template name and data: two equal records have equal keys. */
static char *record_key(const struct ward_evlog_record *r)
{
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *key = NULL;
	bool ok;

	if (!ctx)
		return NULL;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, r->template_name, strlen(r->template_name) + 1) == 1 &&
	     EVP_DigestUpdate(ctx, r->data, r->data_len) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (ok && (key = malloc(65)))
		hex_encode(md, 32, key);
	return key;
}

int sandbox_service_append(struct ward_sandbox_service *svc, struct ward_state *st,
			   struct ward_evlog_record *recs, size_t n, struct ward_diag *d)
{
	return sandbox_service_append_flags(svc, st, recs, n, 0, d);
}

int sandbox_service_append_flags(struct ward_sandbox_service *svc, struct ward_state *st,
				 struct ward_evlog_record *recs, size_t n, unsigned flags,
				 struct ward_diag *d)
{
	struct ward_evlog_record fresh[WARD_APPEND_BATCH_MAX];
	char *keys[WARD_APPEND_BATCH_MAX], *dkeys[WARD_APPEND_BATCH_MAX];
	size_t nf = 0;
	int r = 0;

	if (n > WARD_APPEND_BATCH_MAX)
		return diag_set(d, -E2BIG, "too many records at once");
	for (size_t i = 0; i < n; i++) {
		char *key = record_key(&recs[i]);

		if (!key) {
			r = -ENOMEM;
			goto fail;
		}
		/* Within this batch or earlier: the same record is written once. */
		if (tfind(key, &svc->recorded, str_cmp)) {
			free(key);
			continue;
		}
		for (size_t k = 0; k < nf; k++)
			if (strcmp(keys[k], key) == 0) {
				free(key);
				key = NULL;
				break;
			}
		if (!key)
			continue;
		keys[nf] = key;
		dkeys[nf] = record_digest_key(&recs[i]); /* before the log takes the record */
		fresh[nf++] = recs[i];
		memset(&recs[i], 0, sizeof(recs[i]));
	}
	if (nf && (r = state_append_flags(st, fresh, nf, flags, d)) < 0)
		goto fail;
	/* Durable: remember them, and the objects they measured. */
	for (size_t i = 0; i < nf; i++) {
		char *dk = dkeys[i];

		(void)set_add(&svc->recorded, &svc->n_recorded, SIZE_MAX, keys[i]);
		keys[i] = NULL;
		if (dk && set_add(&svc->known, &svc->n_known, WARD_SANDBOX_KNOWN_MAX, dk) == -E2BIG)
			r = diag_set(d, -E2BIG, "service %s: more than %u objects measured",
				     svc->m->name, WARD_SANDBOX_KNOWN_MAX);
		evlog_record_free(&fresh[i]);
	}
	return r;
fail:
	for (size_t i = 0; i < nf; i++) {
		free(keys[i]);
		free(dkeys[i]);
		evlog_record_free(&fresh[i]);
	}
	return r;
}

int sandbox_service_note(struct ward_sandbox_service *svc, const struct ward_evlog_record *recs,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *dk = record_digest_key(&recs[i]);
		int r;

		if (dk && (r = set_add(&svc->known, &svc->n_known, WARD_SANDBOX_KNOWN_MAX, dk)) < 0)
			return r;
	}
	return 0;
}

struct measure_ctx {
	struct ward_sandbox_service *svc;
	struct ward_state *st;
	struct ward_diag *d;
	int err;
	const char *bad;
};

/*
 * A "measure" path: its ima-ng record and an allow decision naming the service's domain, in one
 * append, so the object belongs to the service by its record, not by where it sits in a log
 * other writers share.
 */
static int measured_one(void *ud, const char *path, const struct ward_digest *dg, uint64_t size)
{
	struct measure_ctx *mc = ud;
	struct ward_evlog_record rec[2] = { { 0 } };
	struct ward_decision dec = { .verdict = WARD_DECISION_ALLOW, .grant = WARD_GRANT_OPEN,
				     .has_object = true, .object = *dg };
	int r;

	snprintf(dec.domain, sizeof(dec.domain), "%s", mc->svc->domain);
	snprintf(dec.path, sizeof(dec.path), "%s", path);
	snprintf(dec.reason, sizeof(dec.reason), "measured when the service was registered (the "
		 "policy is checked again when it is opened)");
	if (mc->svc->policy && mc->svc->mode != WARD_MODE_MEASURE) {
		dec.has_policy = true;
		snprintf(dec.policy_name, sizeof(dec.policy_name), "%s", mc->svc->policy->name);
		dec.policy_version = mc->svc->policy->version;
	}
	r = evlog_record_new_ng(mc->st->pcr, dg->alg, dg->bytes, path, NULL, 0, &rec[0]);
	if (r == 0)
		r = decision_record_new(mc->st->pcr, &dec, &rec[1]);
	if (r == 0)
		r = sandbox_service_append(mc->svc, mc->st, rec, 2, mc->d);
	evlog_record_free(&rec[0]);
	evlog_record_free(&rec[1]);
	if (r < 0)
		mc->err = r;
	return r;
}

static void measure_failed(void *ud, const char *path, int err)
{
	struct measure_ctx *mc = ud;

	if (!mc->err) {
		mc->err = err;
		diag_set(mc->d, err, "measure %s: %s", path, strerror(-err));
	}
}

/* "measure" paths must lie on the sandbox's code mounts: /usr or a "code" dir. */
static bool on_code_mount(const struct ward_manifest *m, const char *path)
{
	const char *roots[WARD_MANIFEST_CODE_MAX + 1] = { "/usr" };
	size_t n = 1;

	for (size_t i = 0; i < m->n_code && n < WARD_MANIFEST_CODE_MAX + 1; i++)
		roots[n++] = m->code[i];
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(roots[i]);

		if (strncmp(path, roots[i], k) == 0 && (path[k] == 0 || path[k] == '/'))
			return true;
	}
	return false;
}

static int check_core_pattern(struct ward_diag *d)
{
	char buf[256] = "";
	_cleanup_close_ int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return diag_set(d, -errno, "kernel.core_pattern: %s", strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return diag_set(d, -errno, "kernel.core_pattern: %s", strerror(errno));
	buf[n] = 0;
	/* A pipe helper (|) or a socket (@) gets the dump whatever RLIMIT_CORE says: a crash
	 * would carry the sandbox's memory, client data included, out of it. */
	if (buf[0] == '|' || buf[0] == '@')
		return diag_set(d, -EPERM, "kernel.core_pattern is \"%.*s\": a crashing sandbox's "
				"memory would go to that helper; set a file pattern (e.g. sysctl "
				"kernel.core_pattern=core) to serve sandboxes", (int)strcspn(buf, "\n"),
				buf);
	return 0;
}

/*
 * The host's /proc must hide processes from users who cannot ptrace them (hidepid=invisible
 * or ptraceable): a sandbox's own /proc/PID/cmdline (its argv memory), status (signal masks,
 * umask) and stat are world-readable otherwise, and a malicious service can write its client's
 * data into them without a system call seccomp could refuse.
 */
static int check_proc_hidepid(struct ward_diag *d)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool seen = false, hidden = false;

	if (!f)
		return diag_set(d, -errno, "/proc/self/mountinfo: %s", strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char mnt[256], *sep = strstr(line, " - proc ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 || strcmp(mnt, "/proc"))
			continue;
		/* The last /proc mount is the one in effect. */
		seen = true;
		hidden = strstr(sep, "hidepid=invisible") || strstr(sep, "hidepid=2") ||
			 strstr(sep, "hidepid=ptraceable") || strstr(sep, "hidepid=4");
	}
	free(line);
	if (!seen)
		return diag_set(d, -ENOENT, "no /proc mount: cannot check that it hides processes");
	if (!hidden)
		return diag_set(d, -EPERM, "/proc shows every process to every user: a sandbox could "
				"write its client's data into its own command line or status there; "
				"mount it with hidepid=invisible (mount -o remount,hidepid=invisible "
				"/proc) to serve sandboxes");
	return 0;
}

int sandbox_host_check(struct ward_diag *d)
{
	int r = check_core_pattern(d);

	return r < 0 ? r : check_proc_hidepid(d);
}

static int check_host(const struct ward_manifest *m, struct ward_diag *d)
{
	struct stat st;

	for (size_t i = 0; i < m->n_files; i++) {
		if (stat(m->files[i], &st) < 0)
			return diag_set(d, -errno, "\"files\": %s: %s", m->files[i], strerror(errno));
		if (!S_ISREG(st.st_mode))
			return diag_set(d, -EINVAL, "\"files\": %s: not a regular file", m->files[i]);
		/* The service runs as a uid of its own: it reads what others may read. */
		if (!(st.st_mode & S_IROTH))
			return diag_set(d, -EACCES, "\"files\": %s: not readable by others (mode "
					"%04o): the sandbox runs as a uid of its own",
					m->files[i], (unsigned)(st.st_mode & 07777));
	}
	for (size_t i = 0; i < m->n_code; i++)
		if (stat(m->code[i], &st) < 0 || !S_ISDIR(st.st_mode))
			return diag_set(d, -ENOENT, "\"code\": %s: not a directory", m->code[i]);
	for (size_t i = 0; i < m->n_measure; i++) {
		if (!on_code_mount(m, m->measure[i]))
			return diag_set(d, -EINVAL, "\"measure\": %s: not below /usr or a \"code\" "
					"dir (only code mounts are guarded)", m->measure[i]);
		if (stat(m->measure[i], &st) < 0)
			return diag_set(d, -errno, "\"measure\": %s: %s", m->measure[i],
					strerror(errno));
	}
	if (access(m->argv[0], X_OK) < 0)
		return diag_set(d, -errno, "\"argv\"[0]: %s: %s", m->argv[0], strerror(errno));
	if (!on_code_mount(m, m->argv[0]))
		return diag_set(d, -EINVAL, "\"argv\"[0]: %s: not below /usr or a \"code\" dir",
				m->argv[0]);
	return sandbox_host_check(d);
}

/* The policy's sandbox defaults for the limits the manifest leaves out. */
static int apply_defaults(struct ward_manifest *m, const struct ward_policy_sandbox *def,
			  struct ward_diag *d)
{
	unsigned take = def->given & ~m->given;

	if (take & WARD_MANIFEST_GIVEN_MEMORY)
		m->memory_mb = def->memory_mb;
	if (take & WARD_MANIFEST_GIVEN_THREADS)
		m->threads = def->threads;
	if (take & WARD_MANIFEST_GIVEN_CPU)
		m->cpu_percent = def->cpu_percent;
	if (take & WARD_MANIFEST_GIVEN_TIMEOUT)
		m->timeout_s = def->timeout_s;
	if (take & WARD_MANIFEST_GIVEN_INPUT)
		m->max_input_bytes = def->max_input_bytes;
	if (take & WARD_MANIFEST_GIVEN_OUTPUT)
		m->max_output_bytes = def->max_output_bytes;
	if (take & WARD_MANIFEST_GIVEN_SCRATCH)
		m->scratch_mb = def->scratch_mb;
	if (m->scratch_mb > m->memory_mb)
		return diag_set(d, -EINVAL, "with the policy's sandbox defaults, scratch_mb (%u) is "
					    "above memory_mb (%u)", m->scratch_mb, m->memory_mb);
	return 0;
}

int sandbox_service_init(struct ward_sandbox_service *svc, struct ward_manifest *m,
			 enum ward_domain_mode mode, const struct ward_policy *policy,
			 const struct ward_policy_ref *pref, struct ward_state *st,
			 struct ward_diag *d)
{
	struct ward_sandbox_service s = { .m = m, .mode = mode, .policy = policy };
	struct ward_service_event ev = { 0 };
	struct ward_evlog_record rec = { 0 };
	int r;

	if (mode != WARD_MODE_MEASURE && !policy)
		return diag_set(d, -EINVAL, "enforce and audit mode need a policy");
	if (policy && (r = apply_defaults(m, &policy->sandbox, d)) < 0)
		return r;
	/* A policy that fixes the code mounts fixes them for sandboxes too. */
	for (size_t i = 0; policy && policy->domain.strict_code_mounts && i < m->n_code; i++) {
		bool listed = false;

		for (size_t k = 0; k < policy->domain.n_code_dirs; k++)
			listed |= strcmp(m->code[i], policy->domain.code_dirs[k]) == 0;
		if (!listed)
			return diag_set(d, -EINVAL, "\"code\"[%zu]: %s is not one of the code dirs of "
					"policy %s (strict_code_mounts)", i, m->code[i], policy->name);
	}
	if (pref)
		s.pref = *pref;
	if ((r = check_host(m, d)) < 0)
		return r;
	snprintf(s.domain, sizeof(s.domain), "svc:%s", m->name);
	s.exec_path = realpath(m->argv[0], NULL);
	if (!s.exec_path)
		return diag_set(d, -errno, "\"argv\"[0]: %s: %s", m->argv[0], strerror(errno));
	if (!on_code_mount(m, s.exec_path)) {
		r = diag_set(d, -EINVAL, "\"argv\"[0]: %s resolves to %s, not below /usr or a "
			     "\"code\" dir", m->argv[0], s.exec_path);
		free(s.exec_path);
		return r;
	}
	snprintf(ev.service, sizeof(ev.service), "%s", m->name);
	snprintf(ev.domain, sizeof(ev.domain), "%s", s.domain);
	memcpy(ev.manifest_digest, m->digest, sizeof(ev.manifest_digest));
	snprintf(ev.mode, sizeof(ev.mode), "%s", domain_mode_name(mode));
	if (policy && mode != WARD_MODE_MEASURE) {
		ev.has_policy = true;
		snprintf(ev.policy_name, sizeof(ev.policy_name), "%s", policy->name);
		ev.policy_version = policy->version;
		ev.pref = s.pref;
		ev.anon_exec = policy->domain.n_anon_exec > 0;
		ev.wx_elf = policy->domain.allow_wx_elf;
	}
	r = service_event_record_new(st->pcr, &ev, &rec);
	if (r < 0) {
		diag_set(d, r, "service record: %s", strerror(-r));
		goto fail;
	}
	r = sandbox_service_append(&s, st, &rec, 1, d);
	evlog_record_free(&rec);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < m->n_measure; i++) {
		struct measure_ctx mc = { .svc = &s, .st = st, .d = d };

		r = measure_tree(m->measure[i], st->file_hash, measured_one, measure_failed, &mc);
		if (r >= 0 && mc.err)
			r = mc.err;
		if (r < 0) {
			if (!d || !d->msg[0])
				diag_set(d, r, "\"measure\": %s: %s", m->measure[i], strerror(-r));
			goto fail;
		}
	}
	*svc = s;
	return 0;
fail:
	s.m = NULL;
	sandbox_service_free(&s); /* frees exec_path too */
	return r;
}

void sandbox_service_free(struct ward_sandbox_service *svc)
{
	if (!svc)
		return;
	tdestroy(svc->known, str_free);
	tdestroy(svc->recorded, str_free);
	free(svc->exec_path);
	manifest_free(svc->m);
	memset(svc, 0, sizeof(*svc));
}
