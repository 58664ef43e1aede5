/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tsm attester against a fake configfs-tsm, and tsm evidence through bundle and verifier.
 *
 * The fake kernel. configfs makes a report directory's attributes appear with mkdir(2) and
 * makes the report when outblob is read; a plain directory watched with inotify cannot do
 * either before the attester's next system call (it would race it). So the test thread runs
 * under a seccomp filter that hands its mkdirat, openat and unlinkat calls to a supervisor
 * thread (SECCOMP_RET_USER_NOTIF), which answers as configfs would, while the caller waits:
 * mkdir under the fake root makes a directory already holding generation, provider, inblob,
 * the options, outblob and (sev_guest) auxblob; opening an option for writing advances
 * generation; opening outblob or auxblob makes the report from what inblob holds (EINVAL
 * when nothing was written); rmdir removes the directory and its attributes. Everything else,
 * and every call of another process (rm -rf of the temp dirs), runs unchanged.
 *
 * The outblob is a real SEV-SNP report or TDX quote from shared/vectors, with its own
 * REPORT_DATA: AMD's or Intel's signature covers that, not SHA-512 of our statement, and no
 * key but the hardware's can make one that does. A tsm verification that passes cannot be
 * produced without SEV-SNP or TDX hardware; the round trip here ends in the one precise reason
 * "report data does not match", with every other check (signature, chain, TCB, nonce, log)
 * passing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "test-util.h"
#include "attest/attest-internal.h"
#include "core/cleanup-ossl.h"
#include "verify/verify-tsm.h"
#include "ward/attest.h"
#include "ward/verify.h"

#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#else
#error "test-tsm: add this architecture's AUDIT_ARCH"
#endif

#define SNP_VEC	     "sev-snp/virtee-sev-milan/report_milan.derived.bin"
#define SNP_VCEK     "sev-snp/virtee-sev-milan/vcek_milan.der"
#define SNP_CHAIN    "sev-snp/virtee-sev-milan/cert_chain_milan.pem"
#define TDX_VEC	     "tdx/go-tdx-guest-spr/tdx_prod_quote_SPR_E4.dat"
#define T_2026_01_01 1767225600LL /* inside the virtee VCEK's validity (2023-04 .. 2030-04) */
#define T_SPR	     1688173200LL /* 2023-07-01T01:00:00Z, inside the SPR PCK chain's */
#define BLOB_MAX     (64u * 1024)

static const char REPORT_DATA_REASON[] =
    "report data does not match: the report's REPORT_DATA is not SHA-512 of the statement";

/* ---- the fake configfs-tsm ---- */

static struct {
	char root[512];	 /* the fake report root */
	char stage[512]; /* report directories are populated here, then renamed into root */
	pid_t tid;	 /* the thread under the filter */
	/* what the fake kernel offers */
	const char *provider; /* NULL: no provider registered (mkdir fails with ENXIO) */
	const uint8_t *out;
	size_t out_len;
	bool has_aux;
	const uint8_t *aux;
	size_t aux_len;
	bool patch_report_data; /* put inblob into the SEV-SNP report's REPORT_DATA */
	int races;		/* reports during which another writer writes an option */
	/* what it saw */
	unsigned mkdirs, rmdirs, reports;
	uint8_t inblob[64];
	size_t inblob_len;
	char privlevel[16], service_provider[16], service_guid[64], manifest_version[16];
} fk;

static const char *const writable[] = {"inblob", "privlevel", "service_provider", "service_guid",
				       "service_manifest_version"};

static int write_text(const char *dir, const char *name, const void *buf, size_t len)
{
	char p[4096];
	int fd, r = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (len && write(fd, buf, len) != (ssize_t)len)
		r = -EIO;
	close(fd);
	return r;
}

static ssize_t read_small(const char *dir, const char *name, void *buf, size_t size)
{
	char p[4096];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

static void bump_generation(const char *dir)
{
	char b[32] = {0};
	unsigned long g;

	if (read_small(dir, "generation", b, sizeof(b) - 1) < 0)
		return;
	g = strtoul(b, NULL, 10) + 1;
	snprintf(b, sizeof(b), "%lu\n", g);
	write_text(dir, "generation", b, strlen(b));
}

static int fake_mkdir(const char *name, const char *full)
{
	static const char *const empty[] = {
	    "inblob", "privlevel", "service_provider", "service_guid", "service_manifest_version",
	    "outblob"};
	char st[2048], prov[64];

	if (!fk.provider)
		return -ENXIO;
	if (access(full, F_OK) == 0)
		return -EEXIST;
	snprintf(st, sizeof(st), "%s/%s", fk.stage, name);
	if (mkdir(st, 0700) < 0)
		return -errno;
	snprintf(prov, sizeof(prov), "%s\n", fk.provider);
	write_text(st, "generation", "0\n", 2);
	write_text(st, "provider", prov, strlen(prov));
	write_text(st, "privlevel_floor", "0\n", 2);
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++)
		write_text(st, empty[i], "", 0);
	if (fk.has_aux)
		write_text(st, "auxblob", "", 0);
	if (rename(st, full) < 0)
		return -errno;
	fk.mkdirs++;
	return 0;
}

static int fake_rmdir(const char *full)
{
	DIR *dir = opendir(full);
	struct dirent *e;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(dir), e->d_name, 0);
	closedir(dir);
	if (rmdir(full) < 0)
		return -errno;
	fk.rmdirs++;
	return 0;
}

/* Opening outblob or auxblob for reading makes the report, as reading them does in configfs. */
static int fake_report(const char *dir, const char *attr)
{
	uint8_t in[128];
	ssize_t n = read_small(dir, "inblob", in, sizeof(in));
	_cleanup_free_ uint8_t *out = NULL;

	if (n <= 0)
		return -EINVAL;
	memcpy(fk.inblob, in, (size_t)n > 64 ? 64 : (size_t)n);
	fk.inblob_len = (size_t)n;
	out = malloc(fk.out_len ? fk.out_len : 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, fk.out, fk.out_len);
	if (fk.patch_report_data && fk.out_len >= 0x90)
		memcpy(out + 0x50, in, 64);
	write_text(dir, "outblob", out, fk.out_len);
	if (fk.has_aux)
		write_text(dir, "auxblob", fk.aux, fk.aux_len);
	if (strcmp(attr, "outblob") == 0) {
		fk.reports++;
		if (fk.races > 0) {
			fk.races--;
			bump_generation(dir); /* another root process wrote an option meanwhile */
		}
	}
	read_small(dir, "privlevel", fk.privlevel, sizeof(fk.privlevel) - 1);
	read_small(dir, "service_provider", fk.service_provider, sizeof(fk.service_provider) - 1);
	read_small(dir, "service_guid", fk.service_guid, sizeof(fk.service_guid) - 1);
	read_small(dir, "service_manifest_version", fk.manifest_version,
		   sizeof(fk.manifest_version) - 1);
	return 0;
}

static bool resolve(int dfd, const char *path, char *out, size_t size)
{
	char link[64], base[1024];
	ssize_t n;

	if (path[0] == '/') {
		snprintf(out, size, "%s", path);
		return true;
	}
	if (dfd == AT_FDCWD) {
		if (!getcwd(base, sizeof(base)))
			return false;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dfd);
		n = readlink(link, base, sizeof(base) - 1);
		if (n < 0)
			return false;
		base[n] = '\0';
	}
	snprintf(out, size, "%s/%s", base, path);
	return true;
}

/* Answer one trapped call of the test thread; 1 lets it run unchanged. */
static int handle(const struct seccomp_notif *req, int *ret_err)
{
	int nr = req->data.nr, dfd = (int)req->data.args[0];
	const char *path = (const char *)(uintptr_t)req->data.args[1];
	size_t rl = strlen(fk.root);
	char full[2048], name[256], dir[2048];
	const char *rest, *slash;

	*ret_err = 0;
	/* The path is read in place: the caller is this process, blocked in the call. */
	if ((pid_t)req->pid != fk.tid || !fk.root[0] || !resolve(dfd, path, full, sizeof(full)))
		return 1;
	if (strncmp(full, fk.root, rl) != 0 || full[rl] != '/')
		return 1;
	rest = full + rl + 1;
	slash = strchr(rest, '/');
	if (!slash) {
		if (nr == __NR_mkdirat) {
			snprintf(name, sizeof(name), "%s", rest);
			*ret_err = fake_mkdir(name, full);
			return 0;
		}
		if (nr == __NR_unlinkat && (req->data.args[2] & AT_REMOVEDIR)) {
			*ret_err = fake_rmdir(full);
			return 0;
		}
		return 1;
	}
	if (nr != __NR_openat)
		return 1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - full), full);
	if ((req->data.args[2] & O_ACCMODE) == O_WRONLY) {
		for (size_t i = 0; i < ARRAY_SIZE(writable); i++)
			if (strcmp(slash + 1, writable[i]) == 0)
				bump_generation(dir);
		return 1;
	}
	if (strcmp(slash + 1, "outblob") == 0 || strcmp(slash + 1, "auxblob") == 0) {
		*ret_err = fake_report(dir, slash + 1);
		return *ret_err ? 0 : 1;
	}
	return 1;
}

static int notify_pipe[2];

static void *supervisor(void *arg)
{
	struct seccomp_notif_sizes sz;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int fd;

	(void)arg;
	if (read(notify_pipe[0], &fd, sizeof(fd)) != sizeof(fd) ||
	    syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return NULL;
	req = calloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req));
	resp = calloc(1, sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp
							       : sizeof(*resp));
	if (!req || !resp)
		return NULL;
	for (;;) {
		int err;

		memset(req, 0, sz.seccomp_notif);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return NULL;
		}
		memset(resp, 0, sz.seccomp_notif_resp);
		resp->id = req->id;
		if (handle(req, &err))
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		else
			resp->error = err;
		(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
}

static void fake_install(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mkdirat, 3, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unlinkat, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = {.len = ARRAY_SIZE(f), .filter = f};
	pthread_t th;
	int fd;

	/* The supervisor first: a thread made after the filter would inherit it and trap
	 * its own calls. */
	if (pipe2(notify_pipe, O_CLOEXEC) < 0 || pthread_create(&th, NULL, supervisor, NULL) != 0)
		fail_msg("cannot start the fake configfs supervisor");
	pthread_detach(th);
	fk.tid = (pid_t)syscall(SYS_gettid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail_msg("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			  &prog);
	if (fd < 0)
		fail_msg("seccomp user notification: %s", strerror(errno));
	if (write(notify_pipe[1], &fd, sizeof(fd)) != sizeof(fd))
		fail_msg("cannot hand the listener over");
}

static size_t root_entries(void)
{
	DIR *dir = opendir(fk.root);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* ---- vectors and fixtures ---- */

/* A SEV-SNP certificate table: VCEK, ASK, ARK (DER), then page padding as the kernel gives. */
static uint8_t *cert_table(size_t *ret_len)
{
	_cleanup_free_ uint8_t *vcek = NULL, *chain = NULL;
	uint8_t *der[3] = {NULL}, *t;
	size_t vlen, clen, dlen[3], off, total;
	const uint8_t *guid[3] = {tsm_guid_vcek, tsm_guid_ask, tsm_guid_ark};
	BIO *bio;

	vcek = test_vector(SNP_VCEK, &vlen);
	chain = test_vector(SNP_CHAIN, &clen);
	bio = BIO_new_mem_buf(chain, (int)clen);
	der[0] = vcek;
	dlen[0] = vlen;
	for (int i = 1; i < 3; i++) {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		unsigned char *p = NULL;
		int n;

		assert_non_null(x);
		n = i2d_X509(x, &p);
		assert_true(n > 0);
		der[i] = p;
		dlen[i] = (size_t)n;
		X509_free(x);
	}
	BIO_free(bio);
	off = 4 * TSM_CERT_ENTRY_SIZE;
	total = off + dlen[0] + dlen[1] + dlen[2];
	total = (total + 4095) / 4096 * 4096;
	t = calloc(1, total);
	assert_non_null(t);
	for (int i = 0; i < 3; i++) {
		uint8_t *e = t + i * TSM_CERT_ENTRY_SIZE;

		memcpy(e, guid[i], 16);
		e[16] = off & 0xff, e[17] = (off >> 8) & 0xff, e[18] = (off >> 16) & 0xff;
		e[20] = dlen[i] & 0xff, e[21] = (dlen[i] >> 8) & 0xff;
		memcpy(t + off, der[i], dlen[i]);
		off += dlen[i];
	}
	der[0] = NULL; /* vcek is freed by its cleanup */
	OPENSSL_free(der[1]);
	OPENSSL_free(der[2]);
	*ret_len = total;
	return t;
}

struct fixture {
	char *tmp;
	int statefd;
	uint8_t *snp, *tdx, *table;
	size_t snp_len, tdx_len, table_len;
	struct ward_evlog log;
	struct ward_attester_conf conf;
};

static struct fixture *F;

static void fake_reset(void)
{
	fk.provider = "sev_guest";
	fk.out = F->snp;
	fk.out_len = F->snp_len;
	fk.has_aux = true;
	fk.aux = F->table;
	fk.aux_len = F->table_len;
	fk.patch_report_data = false;
	fk.races = 0;
	fk.mkdirs = fk.rmdirs = fk.reports = 0;
	fk.inblob_len = 0;
	memset(fk.privlevel, 0, sizeof(fk.privlevel));
	memset(fk.service_provider, 0, sizeof(fk.service_provider));
	memset(fk.service_guid, 0, sizeof(fk.service_guid));
	memset(fk.manifest_version, 0, sizeof(fk.manifest_version));
}

static int setup(void **state)
{
	char p[400];

	(void)state;
	F->tmp = test_tmpdir();
	snprintf(p, sizeof(p), "%s/state", F->tmp);
	assert_int_equal(mkdir(p, 0700), 0);
	F->statefd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(F->statefd >= 0);
	snprintf(fk.stage, sizeof(fk.stage), "%s/stage", F->tmp);
	assert_int_equal(mkdir(fk.stage, 0700), 0);
	snprintf(p, sizeof(p), "%s/report", F->tmp);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(fk.root, sizeof(fk.root), "%s", p);
	F->conf = (struct ward_attester_conf){.pcr = 10, .tsm_root = fk.root};
	fake_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fk.root[0] = '\0';
	close(F->statefd);
	test_rmtree(F->tmp);
	return 0;
}

static struct ward_attester *open_tsm(void)
{
	struct ward_attester *a = NULL;
	struct ward_diag d = {{0}};

	if (attest_open("tsm", F->statefd, &F->conf, &a, &d) != 0)
		fail_msg("attest_open tsm: %s", d.msg);
	return a;
}

static const uint8_t nonce[] = {0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x21};

static void statement(struct ward_quote_msg *m)
{
	*m = (struct ward_quote_msg){
	    .ward_version = "test", .pcr = 10, .banks = 1u << WARD_HASH_SHA256};
	memcpy(m->nonce, nonce, sizeof(nonce));
	m->nonce_len = sizeof(nonce);
	m->record_count = F->log.n;
	assert_int_equal(
	    evlog_replay(&F->log, 0, F->log.n, 10, WARD_HASH_SHA256, m->reg[WARD_HASH_SHA256]), 0);
}

static int quote(struct ward_attester *a, struct ward_quote *q, struct ward_diag *d)
{
	struct ward_quote_msg m;

	statement(&m);
	*d = (struct ward_diag){{0}};
	return attest_quote(a, &m, q, d);
}

static int verify(const struct ward_quote *q, int64_t now, struct ward_verify_result *res,
		  struct ward_diag *d)
{
	_cleanup_free_ char *json = NULL;
	struct ward_verify_opts o = {.nonce = nonce, .nonce_len = sizeof(nonce), .now = now};

	assert_int_equal(bundle_encode(q, &F->log, 0, &json), 0);
	*d = (struct ward_diag){{0}};
	return verify_evidence((const uint8_t *)json, strlen(json), &o, res, d);
}

/* ---- tests ---- */

static void test_available_default_root(void **state)
{
	struct ward_diag d = {{0}};
	struct stat st;

	(void)state;
	if (stat(WARD_TSM_DEFAULT_ROOT, &st) == 0) {
		assert_int_equal(attest_available("tsm", &d), 0);
		return;
	}
	assert_int_equal(attest_available("tsm", &d), -EOPNOTSUPP);
	assert_string_equal(d.msg, "no configfs-tsm (/sys/kernel/config/tsm/report): the kernel "
				   "has no TSM provider (not a SEV-SNP/TDX guest, or "
				   "CONFIG_TSM_REPORTS off)");
}

static void test_missing_root(void **state)
{
	struct ward_attester_conf c = {.tsm_root = "/nonexistent/tsm/report"};
	struct ward_attester *a = NULL;
	struct ward_diag d = {{0}};

	(void)state;
	assert_int_equal(attest_open("tsm", F->statefd, &c, &a, &d), -EOPNOTSUPP);
	assert_null(a);
	assert_string_equal(d.msg, "no configfs-tsm (/nonexistent/tsm/report): the kernel has no "
				   "TSM provider (not a SEV-SNP/TDX guest, or CONFIG_TSM_REPORTS "
				   "off)");
	/* Nothing was made in the state dir for an attester that cannot exist. */
	assert_int_equal(faccessat(F->statefd, "tsm-key.pem", F_OK, 0), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_no_or_unknown_provider(void **state)
{
	struct ward_attester *a = NULL;
	struct ward_diag d = {{0}};

	(void)state;
	fk.provider = NULL; /* the tsm module is loaded but no guest driver registered */
	assert_int_equal(attest_open("tsm", F->statefd, &F->conf, &a, &d), -EOPNOTSUPP);
	assert_non_null(strstr(d.msg, "no TSM provider is registered"));
	fk.provider = "arm_cca_guest";
	d = (struct ward_diag){{0}};
	assert_int_equal(attest_open("tsm", F->statefd, &F->conf, &a, &d), -EOPNOTSUPP);
	assert_non_null(strstr(d.msg, "'arm_cca_guest' is neither sev_guest"));
	assert_null(a);
	assert_int_equal(root_entries(), 0);
}

static void test_root_from_provider(void **state)
{
	struct ward_attester *a;

	(void)state;
	a = open_tsm();
	assert_string_equal(attest_root(a), "sev-snp");
	assert_false(attest_has_registers(a));
	attest_close(a);
	fk.provider = "tdx_guest";
	a = open_tsm();
	assert_string_equal(attest_root(a), "tdx");
	attest_close(a);
	/* The probe's report directories are gone. */
	assert_int_equal(root_entries(), 0);
	assert_int_equal(fk.mkdirs, fk.rmdirs);
}

/* REPORT_DATA is SHA-512 of the statement, which binds the monitor key that signs it. */
static void test_report_data_is_sha512_of_statement(void **state)
{
	struct ward_attester *a = open_tsm();
	struct ward_quote q = {0};
	struct ward_quote_msg back;
	struct ward_diag d;
	uint8_t want[64];
	_cleanup_free_ char *pem = NULL;
	_cleanup_pkey_ EVP_PKEY *pk = NULL;
	unsigned char *spki = NULL;
	int n;

	(void)state;
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_int_equal(fk.reports, 1);
	assert_int_equal(fk.inblob_len, 64);
	assert_int_equal(hash_buf(WARD_HASH_SHA512, q.message, q.message_len, want), 0);
	assert_memory_equal(fk.inblob, want, 64);
	/* The outblob and auxblob as the kernel gave them. */
	assert_string_equal(q.type, "tsm");
	assert_string_equal(q.root, "sev-snp");
	assert_int_equal(q.report_len, F->snp_len);
	assert_memory_equal(q.report, F->snp, F->snp_len);
	assert_int_equal(q.aux_len, F->table_len);
	assert_memory_equal(q.aux, F->table, F->table_len);
	/* The statement binds the monitor key, which is the quote's public key and the one
	 * `ward attester pubkey` prints. */
	assert_int_equal(quote_msg_decode(q.message, q.message_len, &back, NULL), 0);
	assert_string_equal(back.root, "sev-snp");
	assert_string_equal(back.attester_type, "tsm");
	assert_int_equal(back.bound_key_len, q.public_key_len);
	assert_memory_equal(back.bound_key, q.public_key, q.public_key_len);
	assert_int_equal(attest_pubkey_pem(a, &pem, &d), 0);
	assert_int_equal(verify_load_pubkey_pem((uint8_t *)pem, strlen(pem), &pk, &d), 0);
	n = i2d_PUBKEY(pk, &spki);
	assert_int_equal((size_t)n, q.public_key_len);
	assert_memory_equal(spki, q.public_key, q.public_key_len);
	OPENSSL_free(spki);
	/* Nothing written but the inblob: no privlevel, no service provider. */
	assert_string_equal(fk.privlevel, "");
	assert_string_equal(fk.service_provider, "");
	assert_int_equal(root_entries(), 0);
	attest_quote_clear(&q);
	attest_close(a);
}

/* attest -> bundle -> verify with AMD's real report: everything holds but the binding. */
static void test_roundtrip_snp_report_data_mismatch(void **state)
{
	struct ward_attester *a = open_tsm();
	struct ward_quote q = {0};
	struct ward_verify_result res;
	struct ward_diag d;

	(void)state;
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	if (verify(&q, T_2026_01_01, &res, &d) != 0)
		fail_msg("verify: %s", d.msg);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	if (res.n_reasons != 1)
		fail_msg("%zu reasons, first: %s", res.n_reasons, res.reasons[0]);
	assert_string_equal(res.reasons[0], REPORT_DATA_REASON);
	assert_true(res.signature_ok);
	assert_true(res.nonce_ok);
	assert_true(res.log_ok);
	assert_true(res.registers_ok);
	assert_false(res.key_pinned);
	assert_false(res.hardware_rooted);
	assert_string_equal(res.msg.root, "sev-snp");
	verify_result_clear(&res);
	attest_quote_clear(&q);
	attest_close(a);
}

/* A fake kernel that does put our REPORT_DATA in: then AMD's signature no longer holds. */
static void test_roundtrip_snp_patched_signature_fails(void **state)
{
	struct ward_attester *a = open_tsm();
	struct ward_quote q = {0};
	struct ward_verify_result res;
	struct ward_diag d;

	(void)state;
	fk.patch_report_data = true;
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_int_equal(verify(&q, T_2026_01_01, &res, &d), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	if (res.n_reasons != 1)
		fail_msg("%zu reasons, first: %s", res.n_reasons, res.reasons[0]);
	assert_string_equal(res.reasons[0], "SEV-SNP report: signature: the report's ECDSA P-384 "
					    "signature does not verify with the VCEK");
	assert_false(res.hardware_rooted);
	verify_result_clear(&res);
	attest_quote_clear(&q);
	attest_close(a);
}

/* Evidence without the VCEK, with a certificate table that lies, or with another root. */
static void test_roundtrip_snp_bad_aux(void **state)
{
	struct ward_attester *a = open_tsm();
	struct ward_quote q = {0};
	struct ward_verify_result res;
	struct ward_diag d;
	bool found = false;

	(void)state;
	fk.aux_len = 0;
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_int_equal(q.aux_len, 0);
	assert_int_equal(verify(&q, T_2026_01_01, &res, &d), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	assert_string_equal(res.reasons[0], "the SEV-SNP certificate table (aux) has no VCEK");
	for (size_t i = 0; i < res.n_reasons; i++)
		found |= strcmp(res.reasons[i], REPORT_DATA_REASON) == 0;
	assert_true(found);
	assert_false(res.hardware_rooted);
	verify_result_clear(&res);
	attest_quote_clear(&q);

	/* A table whose only entry reaches past its end: malformed evidence. */
	fk.aux = (const uint8_t *)"\x63\xda\x75\x8d\xe6\x64\x45\x64\xad\xc5\xf4\xb9\x3b\xe8\xac\xcd"
				  "\x30\x00\x00\x00\xff\x00\x00\x00"
				  "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
	fk.aux_len = 48;
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_int_equal(verify(&q, T_2026_01_01, &res, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "evidence quote: aux: certificate table: entry 0"));
	verify_result_clear(&res);
	attest_quote_clear(&q);
	attest_close(a);
}

static void test_roundtrip_tdx(void **state)
{
	struct ward_attester *a;
	struct ward_quote q = {0};
	struct ward_verify_result res;
	struct ward_diag d;
	uint8_t want[64];

	(void)state;
	fk.provider = "tdx_guest";
	fk.out = F->tdx;
	fk.out_len = F->tdx_len;
	fk.has_aux = false; /* tdx_guest hides auxblob */
	a = open_tsm();
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_string_equal(q.root, "tdx");
	assert_int_equal(q.aux_len, 0);
	assert_int_equal(hash_buf(WARD_HASH_SHA512, q.message, q.message_len, want), 0);
	assert_memory_equal(fk.inblob, want, 64);
	if (verify(&q, T_SPR, &res, &d) != 0)
		fail_msg("verify: %s", d.msg);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	if (res.n_reasons != 1)
		fail_msg("%zu reasons, first: %s", res.n_reasons, res.reasons[0]);
	assert_string_equal(res.reasons[0], REPORT_DATA_REASON);
	assert_true(res.signature_ok);
	assert_false(res.hardware_rooted);
	verify_result_clear(&res);
	attest_quote_clear(&q);
	attest_close(a);
}

/* The expected measurement is compared when asked for. */
static void test_measurement_option(void **state)
{
	struct ward_attester *a = open_tsm();
	struct ward_quote q = {0};
	struct ward_verify_result res;
	struct ward_diag d = {{0}};
	_cleanup_free_ char *json = NULL;
	uint8_t meas[48];
	struct ward_verify_opts o = {.nonce = nonce,
				     .nonce_len = sizeof(nonce),
				     .now = T_2026_01_01,
				     .tee_measurement = meas,
				     .tee_measurement_len = sizeof(meas)};

	(void)state;
	test_hex(
	    "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95"
	    "b9c480cd81841f",
	    meas, sizeof(meas));
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_int_equal(bundle_encode(&q, &F->log, 0, &json), 0);
	assert_int_equal(verify_evidence((uint8_t *)json, strlen(json), &o, &res, &d), 0);
	assert_int_equal(res.n_reasons, 1); /* the vector's MEASUREMENT: only the binding fails */
	verify_result_clear(&res);
	meas[0] ^= 1;
	assert_int_equal(verify_evidence((uint8_t *)json, strlen(json), &o, &res, &d), 0);
	assert_int_equal(res.n_reasons, 2);
	assert_non_null(strstr(res.reasons[1], "measurement does not match: the report's "
					       "MEASUREMENT is 7a1e5c26"));
	verify_result_clear(&res);
	attest_quote_clear(&q);
	attest_close(a);
}

/* Asked for a TEE measurement, evidence without a report is not trusted (fail closed). */
static void test_measurement_without_report(void **state)
{
	struct ward_attester *a = NULL;
	struct ward_quote q = {0};
	struct ward_verify_result res;
	struct ward_diag d = {{0}};
	_cleanup_free_ char *json = NULL;
	uint8_t meas[48] = {0};
	struct ward_verify_opts o = {.nonce = nonce,
				     .nonce_len = sizeof(nonce),
				     .tee_measurement = meas,
				     .tee_measurement_len = sizeof(meas)};
	bool found = false;

	(void)state;
	assert_int_equal(attest_open("soft", F->statefd, NULL, &a, &d), 0);
	assert_int_equal(quote(a, &q, &d), 0);
	assert_int_equal(bundle_encode(&q, &F->log, 0, &json), 0);
	assert_int_equal(verify_evidence((uint8_t *)json, strlen(json), &o, &res, &d), 0);
	assert_int_equal(res.verdict, WARD_VERDICT_FAIL);
	for (size_t i = 0; i < res.n_reasons; i++)
		found |= strcmp(res.reasons[i], "a TEE measurement was expected, but soft evidence "
						"carries no SEV-SNP or TDX report") == 0;
	assert_true(found);
	verify_result_clear(&res);
	attest_quote_clear(&q);
	attest_close(a);
}

/* Another writer moves the generation: a fresh directory is tried, then -EBUSY. */
static void test_generation_race(void **state)
{
	struct ward_attester *a = open_tsm();
	struct ward_quote q = {0};
	struct ward_diag d;
	unsigned before = fk.mkdirs;
	uint8_t want[64];

	(void)state;
	fk.races = 1;
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_int_equal(fk.mkdirs - before, 2);
	assert_int_equal(fk.reports, 2);
	assert_int_equal(hash_buf(WARD_HASH_SHA512, q.message, q.message_len, want), 0);
	assert_memory_equal(fk.inblob, want, 64);
	attest_quote_clear(&q);

	fk.races = 1000;
	before = fk.mkdirs;
	assert_int_equal(quote(a, &q, &d), -EBUSY);
	assert_non_null(strstr(d.msg, "another writer changed the report request 3 times"));
	assert_int_equal(fk.mkdirs - before, 3);
	assert_null(q.message);
	assert_null(q.report);
	assert_int_equal(root_entries(), 0);
	attest_close(a);
}

static void test_blob_bounds(void **state)
{
	struct ward_attester *a = open_tsm();
	struct ward_quote q = {0};
	struct ward_diag d;
	_cleanup_free_ uint8_t *big = calloc(1, BLOB_MAX + 1);

	(void)state;
	assert_non_null(big);
	fk.out = big;
	fk.out_len = BLOB_MAX + 1;
	assert_int_equal(quote(a, &q, &d), -EFBIG);
	assert_non_null(strstr(d.msg, "outblob"));
	assert_null(q.report);
	/* Exactly the bound is taken. */
	fk.out_len = BLOB_MAX;
	assert_int_equal(quote(a, &q, &d), 0);
	assert_int_equal(q.report_len, BLOB_MAX);
	attest_quote_clear(&q);
	fk.out = F->snp;
	fk.out_len = F->snp_len;
	fk.aux = big;
	fk.aux_len = BLOB_MAX + 1;
	assert_int_equal(quote(a, &q, &d), -EFBIG);
	assert_non_null(strstr(d.msg, "auxblob"));
	/* An empty report is no report. */
	fk.aux_len = 0;
	fk.out_len = 0;
	assert_int_equal(quote(a, &q, &d), -EIO);
	assert_int_equal(root_entries(), 0);
	attest_close(a);
}

static void test_privlevel_and_svsm(void **state)
{
	struct ward_attester *a;
	struct ward_quote q = {0};
	struct ward_diag d = {{0}};

	(void)state;
	F->conf.tsm_set_privlevel = true;
	F->conf.tsm_privlevel = 2;
	F->conf.tsm_service_provider = "svsm";
	F->conf.tsm_service_guid = "c476f1eb-0123-45a5-9641-b4e7dde5bfe3";
	F->conf.tsm_service_manifest_version = 1;
	a = open_tsm();
	if (quote(a, &q, &d) != 0)
		fail_msg("quote: %s", d.msg);
	assert_string_equal(fk.privlevel, "2\n");
	assert_string_equal(fk.service_provider, "svsm");
	assert_string_equal(fk.service_guid, "c476f1eb-0123-45a5-9641-b4e7dde5bfe3");
	assert_string_equal(fk.manifest_version, "1\n");
	attest_quote_clear(&q);
	attest_close(a);

	F->conf.tsm_privlevel = 4;
	assert_int_equal(attest_open("tsm", F->statefd, &F->conf, &a, &d), -EINVAL);
	F->conf.tsm_privlevel = 0;
	F->conf.tsm_service_provider = "other";
	assert_int_equal(attest_open("tsm", F->statefd, &F->conf, &a, &d), -EINVAL);
	F->conf = (struct ward_attester_conf){.pcr = 10, .tsm_root = fk.root};
}

/* The monitor key is a state-dir key like soft's: one per dir, kept, owner-only. */
static void test_monitor_key(void **state)
{
	struct ward_attester *a = open_tsm(), *b;
	_cleanup_free_ char *p1 = NULL, *p2 = NULL;
	struct ward_diag d = {{0}};
	struct stat st;

	(void)state;
	assert_int_equal(attest_pubkey_pem(a, &p1, &d), 0);
	attest_close(a);
	b = open_tsm();
	assert_int_equal(attest_pubkey_pem(b, &p2, &d), 0);
	assert_string_equal(p1, p2);
	attest_close(b);
	assert_int_equal(fstatat(F->statefd, "tsm-key.pem", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fchmodat(F->statefd, "tsm-key.pem", 0644, 0), 0);
	assert_int_equal(attest_open("tsm", F->statefd, &F->conf, &b, &d), -EPERM);
}

/* ---- the certificate table parser ---- */

static void put_entry(uint8_t *e, const uint8_t *guid, uint32_t off, uint32_t len)
{
	memcpy(e, guid, 16);
	for (int i = 0; i < 4; i++) {
		e[16 + i] = (uint8_t)(off >> (8 * i));
		e[20 + i] = (uint8_t)(len >> (8 * i));
	}
}

static void test_cert_table(void **state)
{
	static const uint8_t other[16] = {1, 2, 3};
	struct tsm_cert_entry e[WARD_TSM_CERT_ENTRIES_MAX];
	struct ward_diag d = {{0}};
	uint8_t t[4096];
	const uint8_t *cert;
	size_t n, clen;
	static const struct {
		const char *name, *msg;
		/* entries: guid index (0 vcek, 1 ask, 2 zero), offset, length */
		int n;
		struct {
			int g;
			uint32_t off, len;
		} e[3];
		size_t total; /* bytes of the table handed over */
	} bad[] = {
	    {"no terminator", "truncated at offset 24", 1, {{0, 48, 10}}, 40},
	    {"past the end", "entry 0 (offset 48, length 100)", 1, {{0, 48, 100}}, 100},
	    {"into the entries", "entry 0 (offset 24, length 10)", 1, {{0, 24, 10}}, 200},
	    {"empty", "entry 0 is empty", 1, {{0, 72, 0}}, 200},
	    {"overlap", "entries 0 and 1 overlap", 2, {{0, 72, 20}, {1, 91, 5}}, 200},
	    {"duplicate", "entries 0 and 1 have the same GUID", 2, {{0, 72, 10}, {0, 90, 10}}, 200},
	    {"zero guid", "entry at offset 0 has a zero GUID", 1, {{2, 72, 10}}, 200},
	    {"offset wraps",
	     "entry 0 (offset 4294967295, length 2)",
	     1,
	     {{0, 0xffffffffu, 2}},
	     200},
	};
	const uint8_t *guids[3] = {tsm_guid_vcek, tsm_guid_ask, (const uint8_t[16]){0}};

	(void)state;
	/* good: VCEK and an unknown GUID, then page padding */
	memset(t, 0, sizeof(t));
	put_entry(t, tsm_guid_vcek, 72, 5);
	put_entry(t + 24, other, 77, 3);
	memcpy(t + 72, "vcek!abc", 8);
	assert_int_equal(tsm_cert_table_parse(t, sizeof(t), e, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[1].offset, 77);
	assert_int_equal(tsm_cert_table_find(t, sizeof(t), tsm_guid_vcek, &cert, &clen, &d), 0);
	assert_int_equal(clen, 5);
	assert_memory_equal(cert, "vcek!", 5);
	assert_int_equal(tsm_cert_table_find(t, sizeof(t), tsm_guid_ark, &cert, &clen, &d),
			 -ENOENT);
	/* the smallest table: one entry whose certificate ends the buffer */
	assert_int_equal(tsm_cert_table_parse(t, 80, e, &n, &d), 0);
	/* none at all */
	assert_int_equal(tsm_cert_table_parse(t, 0, e, &n, &d), 0);
	assert_int_equal(n, 0);
	memset(t, 0, sizeof(t));
	assert_int_equal(tsm_cert_table_parse(t, 24, e, &n, &d), 0);
	assert_int_equal(n, 0);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(t, 0, sizeof(t));
		for (int k = 0; k < bad[i].n; k++)
			put_entry(t + 24 * k, guids[bad[i].e[k].g], bad[i].e[k].off,
				  bad[i].e[k].len);
		d = (struct ward_diag){{0}};
		n = 99;
		if (tsm_cert_table_parse(t, bad[i].total, e, &n, &d) != -EBADMSG)
			fail_msg("%s: accepted", bad[i].name);
		if (!strstr(d.msg, bad[i].msg))
			fail_msg("%s: '%s' lacks '%s'", bad[i].name, d.msg, bad[i].msg);
		assert_int_equal(n, 99); /* ret_n written only on success */
	}
	/* too many entries */
	memset(t, 0, sizeof(t));
	for (int k = 0; k <= WARD_TSM_CERT_ENTRIES_MAX; k++) {
		uint8_t g[16] = {0xaa, (uint8_t)k};

		put_entry(t + 24 * k, g, 2000 + k, 1);
	}
	assert_int_equal(tsm_cert_table_parse(t, sizeof(t), e, &n, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "more than 64 entries"));
	/* and a real one */
	assert_int_equal(tsm_cert_table_parse(F->table, F->table_len, e, &n, &d), 0);
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_available_default_root),
	    cmocka_unit_test_setup_teardown(test_missing_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_or_unknown_provider, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_root_from_provider, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_data_is_sha512_of_statement, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip_snp_report_data_mismatch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip_snp_patched_signature_fails, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip_snp_bad_aux, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip_tdx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_measurement_option, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_measurement_without_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generation_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blob_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_privlevel_and_svsm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_monitor_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_table, setup, teardown),
	};
	struct fixture fx = {0};
	int r;

	F = &fx;
	fx.snp = test_vector(SNP_VEC, &fx.snp_len);
	fx.tdx = test_vector(TDX_VEC, &fx.tdx_len);
	fx.table = cert_table(&fx.table_len);
	evlog_init(&fx.log);
	for (int i = 0; i < 3; i++) {
		struct ward_evlog_record rec;
		char path[64];
		uint8_t dg[32];

		snprintf(path, sizeof(path), "/usr/bin/tool%d", i);
		hash_buf(WARD_HASH_SHA256, path, strlen(path), dg);
		if (evlog_record_new_ng(10, WARD_HASH_SHA256, dg, path, NULL, 0, &rec) != 0 ||
		    evlog_push(&fx.log, &rec) != 0)
			fail_msg("cannot build the log");
	}
	fake_install();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	evlog_free(&fx.log);
	free(fx.snp);
	free(fx.tdx);
	free(fx.table);
	return r;
}
