/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward policy scan | import-keylime: write a policy from what is on disk (files, directories,
 * the files of installed Debian packages) or from a Keylime runtime policy, with every setting a
 * policy holds given as options.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/cli.h"
#include "core/cleanup-ossl.h"
#include "core/util.h"
#include "ward/limits.h"
#include "ward/measure.h"
#include "ward/policy-keylime.h"
#include "ward/policy-sign.h"
#include "ward/policy.h"

/* ---- settings options, shared by both verbs ---- */

#define SETTINGS_HELP                                                                              \
	"  -o FILE              write to FILE, replaced atomically (default: standard output)\n"   \
	"  --hash ALG           sha256 (default), sha1, sha384 or sha512\n"                         \
	"  --issuer KEY.pub     \"issuer\": the id of the key that will sign the policy\n"          \
	"  --not-before TIME    validity window, RFC 3339 (2026-01-31T00:00:00Z)\n"                \
	"  --not-after TIME\n"                                                                     \
	"Settings for integrity domains (ward run), each recorded in a domain's evidence:\n"       \
	"  --audit              domain.mode audit: record what would be denied, deny nothing\n"    \
	"  --anon-exec FILE     FILE (measured now, also added as an entry) may use anonymous\n"   \
	"                       executable memory (JIT runtimes); repeatable\n"                    \
	"  --code-dir DIR       a code dir every domain under this policy gets; repeatable\n"      \
	"  --strict-code-mounts only /usr and the code dirs may be code mounts (no --code)\n"      \
	"  --data-dir DIR       non-ELF files opened (never executed) below DIR need no entry;\n"  \
	"                       repeatable\n"                                                      \
	"  --allow-wx-elf       allow ELF objects with W+X segments, executable stacks or text\n"  \
	"                       relocations\n"                                                     \
	"Defaults for sandbox manifests that leave a limit out (docs/sandbox-manifest.md):\n"      \
	"  --sandbox KEY=N      KEY: memory_mb, threads, cpu_percent, timeout_s, scratch_mb,\n"    \
	"                       max_input_bytes, max_output_bytes; repeatable\n"

enum {
	OPT_NAME = 0x100,
	OPT_VERSION,
	OPT_HASH,
	OPT_ISSUER,
	OPT_NOT_BEFORE,
	OPT_NOT_AFTER,
	OPT_ANON_EXEC,
	OPT_CODE_DIR,
	OPT_STRICT_CODE_MOUNTS,
	OPT_AUDIT,
	OPT_DATA_DIR,
	OPT_ALLOW_WX_ELF,
	OPT_SANDBOX,
	OPT_PACKAGES,
	OPT_INCLUDE_MODIFIED,
};

#define SETTINGS_LONGOPTS                                                                          \
	{ "output", required_argument, NULL, 'o' }, { "name", required_argument, NULL, OPT_NAME },   \
	{ "version", required_argument, NULL, OPT_VERSION },                                       \
	{ "hash", required_argument, NULL, OPT_HASH },                                             \
	{ "issuer", required_argument, NULL, OPT_ISSUER },                                         \
	{ "not-before", required_argument, NULL, OPT_NOT_BEFORE },                                 \
	{ "not-after", required_argument, NULL, OPT_NOT_AFTER },                                   \
	{ "anon-exec", required_argument, NULL, OPT_ANON_EXEC },                                   \
	{ "code-dir", required_argument, NULL, OPT_CODE_DIR },                                     \
	{ "strict-code-mounts", no_argument, NULL, OPT_STRICT_CODE_MOUNTS },                       \
	{ "audit", no_argument, NULL, OPT_AUDIT },                                                 \
	{ "data-dir", required_argument, NULL, OPT_DATA_DIR },                                     \
	{ "allow-wx-elf", no_argument, NULL, OPT_ALLOW_WX_ELF },                                   \
	{ "sandbox", required_argument, NULL, OPT_SANDBOX }, { "help", no_argument, NULL, 'h' }

struct opts {
	const char *out, *name, *issuer;
	bool has_name, has_version;
	unsigned long long version;
	enum ward_hash_alg hash;
	struct ward_policy settings;
	char *data_dirs[WARD_POLICY_DATA_DIRS_MAX];
	char *code_dirs[WARD_DOMAIN_CODE_MAX];
	const char *anon_files[WARD_POLICY_DATA_DIRS_MAX];
	size_t n_anon_files;
	struct ward_policy_entry anon[WARD_POLICY_DATA_DIRS_MAX];
	json_t *sandbox; /* the --sandbox values, checked by the policy parser itself */
	bool packages, include_modified;
};

static void opts_free(struct opts *o)
{
	for (size_t i = 0; i < o->settings.domain.n_anon_exec; i++)
		free(o->anon[i].path);
	json_decref(o->sandbox);
	free(o);
}

static void opts_freep(struct opts **o)
{
	if (*o)
		opts_free(*o);
}

/*
 * A domain dir: absolute, normalised, not "/" (trailing slashes are dropped first). The
 * policy parser refuses anything else; saying so here names the option.
 */
static int dir_opt(const char *opt, char *arg, char **dirs, size_t *n, size_t max)
{
	size_t len = strlen(arg);

	while (len > 1 && arg[len - 1] == '/')
		arg[--len] = 0;
	if (*n == max)
		return cli_error(EXIT_USAGE, "%s: at most %zu", opt, max);
	if (arg[0] != '/' || len < 2 || len >= WARD_PATH_MAX || strstr(arg, "//") ||
	    strstr(arg, "/./") || strstr(arg, "/../") || strcmp(arg + len - 2, "/.") == 0 ||
	    (len >= 3 && strcmp(arg + len - 3, "/..") == 0))
		return cli_error(EXIT_USAGE, "%s %s: an absolute, normalised directory other than /",
				 opt, arg);
	dirs[(*n)++] = arg;
	return 0;
}

static int u64_opt(const char *opt, const char *arg, unsigned long long max,
		   unsigned long long *ret)
{
	unsigned long long v;
	char *e;

	errno = 0;
	v = strtoull(arg, &e, 10);
	if (!arg[0] || arg[0] < '0' || arg[0] > '9' || *e || errno || v > max)
		return cli_error(EXIT_USAGE, "%s %s: an unsigned integer up to %llu", opt, arg, max);
	*ret = v;
	return 0;
}

static int time_opt(const char *opt, const char *arg, bool *ret_has, int64_t *ret)
{
	if (rfc3339_parse(arg, ret) < 0)
		return cli_error(EXIT_USAGE,
				 "%s %s: an RFC 3339 time such as 2026-01-31T00:00:00Z", opt, arg);
	*ret_has = true;
	return 0;
}

/* --sandbox KEY=N: gathered as JSON, so that the policy parser's table decides what is valid. */
static int sandbox_opt(struct opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	unsigned long long v;
	char key[64], *e;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key))
		return cli_error(EXIT_USAGE, "--sandbox %s: KEY=N", arg);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = 0;
	if (!eq[1] || eq[1] < '0' || eq[1] > '9' || (errno = 0, v = strtoull(eq + 1, &e, 10), *e) ||
	    errno || v > INT64_MAX)
		return cli_error(EXIT_USAGE, "--sandbox %s: N must be an unsigned integer", arg);
	if (!o->sandbox && !(o->sandbox = json_object()))
		return cli_error(EXIT_VERDICT, "out of memory");
	if (json_object_get(o->sandbox, key))
		return cli_error(EXIT_USAGE, "--sandbox %s: given twice", key);
	if (json_object_set_new(o->sandbox, key, json_integer((json_int_t)v)) < 0)
		return cli_error(EXIT_VERDICT, "out of memory");
	return 0;
}

/* One settings option; -1 when @ch is none. */
static int settings_opt(struct opts *o, int ch, char *arg)
{
	struct ward_policy_domain *dom = &o->settings.domain;

	switch (ch) {
	case 'o':
		o->out = arg;
		return 0;
	case OPT_NAME:
		if (!arg[0] || strlen(arg) >= WARD_POLICY_NAME_MAX)
			return cli_error(EXIT_USAGE, "--name: 1..%d bytes", WARD_POLICY_NAME_MAX - 1);
		o->name = arg;
		o->has_name = true;
		return 0;
	case OPT_VERSION:
		o->has_version = true;
		return u64_opt("--version", arg, INT64_MAX, &o->version);
	case OPT_HASH:
		return cli_parse_bank("--hash", arg, &o->hash);
	case OPT_ISSUER:
		o->issuer = arg;
		return 0;
	case OPT_NOT_BEFORE:
		return time_opt("--not-before", arg, &o->settings.has_not_before,
				&o->settings.not_before);
	case OPT_NOT_AFTER:
		return time_opt("--not-after", arg, &o->settings.has_not_after,
				&o->settings.not_after);
	case OPT_ANON_EXEC:
		if (o->n_anon_files == WARD_POLICY_DATA_DIRS_MAX)
			return cli_error(EXIT_USAGE, "--anon-exec: at most %d",
					 WARD_POLICY_DATA_DIRS_MAX);
		o->anon_files[o->n_anon_files++] = arg;
		return 0;
	case OPT_CODE_DIR:
		dom->code_dirs = o->code_dirs;
		return dir_opt("--code-dir", arg, o->code_dirs, &dom->n_code_dirs,
			       WARD_DOMAIN_CODE_MAX);
	case OPT_STRICT_CODE_MOUNTS:
		dom->strict_code_mounts = true;
		return 0;
	case OPT_AUDIT:
		dom->audit = true;
		return 0;
	case OPT_DATA_DIR:
		dom->data_dirs = o->data_dirs;
		return dir_opt("--data-dir", arg, o->data_dirs, &dom->n_data_dirs,
			       WARD_POLICY_DATA_DIRS_MAX);
	case OPT_ALLOW_WX_ELF:
		dom->allow_wx_elf = true;
		return 0;
	case OPT_SANDBOX:
		return sandbox_opt(o, arg);
	case OPT_PACKAGES:
		o->packages = true;
		return 0;
	case OPT_INCLUDE_MODIFIED:
		o->include_modified = true;
		return 0;
	default:
		return -1;
	}
}

static int sandbox_settings(struct opts *o)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_free_ char *text = NULL;
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	int r;

	if (!o->sandbox)
		return 0;
	doc = json_pack("{s:i, s:s, s:i, s:s, s:[], s:O}", "ward_policy", WARD_POLICY_FORMAT,
			"name", "sandbox", "version", 0, "hash", "sha256", "entries", "sandbox",
			o->sandbox);
	if (!doc || !(text = json_dumps(doc, JSON_COMPACT)))
		return cli_error(EXIT_VERDICT, "out of memory");
	r = policy_parse((const uint8_t *)text, strlen(text), &p, &d);
	if (r == -ENOMEM)
		return cli_error(EXIT_VERDICT, "out of memory");
	if (r < 0)
		return cli_error(EXIT_USAGE, "--sandbox: %s", d.msg);
	o->settings.sandbox = p->sandbox;
	policy_free(p);
	return 0;
}

/* Open @path for measuring: a regular file, opened once, never blocking (a FIFO swapped in). */
static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/*
 * The path to record for @path: its directory resolved (merged /usr: /bin/ls is
 * /usr/bin/ls), its last component kept, so that a symlink the package ships is recorded under
 * its own name with its target's content, as a directory scan does.
 */
static int real_parent(const char *path, char ret[PATH_MAX])
{
	char dir[PATH_MAX], *slash, real[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = 0;
	if (!realpath(dir[0] ? dir : "/", real))
		return -errno;
	if (snprintf(ret, PATH_MAX, "%s/%s", strcmp(real, "/") ? real : "", slash + 1) >=
	    PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * @path made absolute against the working directory, then real_parent(): "python3" in /usr/bin
 * is recorded as /usr/bin/python3, a symlink under its own name, as a scan records it.
 */
static int abs_path(const char *path, char ret[PATH_MAX])
{
	char cwd[PATH_MAX], full[PATH_MAX];

	if (path[0] == '/')
		return real_parent(path, ret);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	if (snprintf(full, sizeof(full), "%s/%s", cwd, path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	return real_parent(full, ret);
}

static int anon_exec_settings(struct opts *o, struct ward_policy_builder *b)
{
	struct ward_policy_domain *dom = &o->settings.domain;
	size_t dlen = hash_alg_size(o->hash);

	dom->anon_exec = o->anon;
	for (size_t i = 0; i < o->n_anon_files; i++) {
		_cleanup_free_ char *abs = malloc(PATH_MAX);
		_cleanup_close_ int fd = -EBADF;
		struct ward_digest dg[__WARD_HASH_MAX];
		bool dup = false;
		int r;

		if (!abs)
			return cli_error(EXIT_VERDICT, "out of memory");
		r = abs_path(o->anon_files[i], abs);
		if (r < 0)
			return cli_error(EXIT_USAGE, "--anon-exec %s: %s", o->anon_files[i],
					 r == -EINVAL ? "not a regular file" : strerror(-r));
		fd = open_regular(abs);
		if (fd < 0)
			return cli_error(EXIT_USAGE, "--anon-exec %s: %s", o->anon_files[i],
					 fd == -EINVAL ? "not a regular file" : strerror(-fd));
		r = measure_fd(fd, 1u << o->hash, dg, NULL);
		if (r < 0)
			return cli_error(EXIT_VERDICT, "--anon-exec %s: %s", abs, strerror(-r));
		/* The executable is allowed to run too: anon_exec grants memory, not execution. */
		r = policy_builder_add(b, dg[o->hash].bytes, abs);
		if (r < 0)
			return cli_error(EXIT_VERDICT, "--anon-exec %s: %s", abs, strerror(-r));
		for (size_t k = 0; k < dom->n_anon_exec; k++)
			dup |= memcmp(o->anon[k].digest, dg[o->hash].bytes, dlen) == 0;
		if (dup)
			continue; /* the same content twice (a link, a copy): one digest grants it */
		memcpy(o->anon[dom->n_anon_exec].digest, dg[o->hash].bytes, dlen);
		o->anon[dom->n_anon_exec++].path = TAKE_PTR(abs);
	}
	return 0;
}

/* Everything but the entries: the options checked together, the issuer key read. */
static int finish_settings(struct opts *o, struct ward_policy_builder *b)
{
	struct ward_policy *s = &o->settings;
	int r;

	s->name = (char *)o->name;
	s->version = o->version;
	s->hash = o->hash;
	b->hash = o->hash;
	if (s->has_not_before && s->has_not_after && s->not_after < s->not_before)
		return cli_error(EXIT_USAGE, "--not-after is before --not-before");
	if (o->issuer) {
		_cleanup_pkey_ EVP_PKEY *k = NULL;
		struct ward_diag d = { { 0 } };

		r = policy_pubkey_load(o->issuer, &k, &d);
		if (r < 0)
			return cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "--issuer: %s",
					 d.msg[0] ? d.msg : strerror(-r));
		if (policy_key_id(k, s->issuer) < 0)
			return cli_error(EXIT_USAGE, "--issuer %s: not an Ed25519 key", o->issuer);
	}
	if ((r = sandbox_settings(o)) || (r = anon_exec_settings(o, b)))
		return r;
	return 0;
}

/*
 * Write the policy. It is parsed back before it is written: what ward writes, ward reads, and
 * a combination of settings the parser refuses is reported here rather than at the first
 * `ward run`.
 */
static int write_policy(struct opts *o, struct ward_policy_builder *b)
{
	_cleanup_free_ char *text = NULL;
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	int r;

	r = policy_builder_write(b, &o->settings, &text);
	if (r < 0)
		return cli_error(EXIT_VERDICT, "out of memory");
	r = policy_parse((const uint8_t *)text, strlen(text), &p, &d);
	if (r == -ENOMEM)
		return cli_error(EXIT_VERDICT, "out of memory");
	if (r < 0)
		return cli_error(EXIT_USAGE, "the policy would not be valid: %s", d.msg);
	policy_free(p);
	r = cli_write_output(o->out, text, strlen(text), 0644);
	if (r == 0 && (!o->out || strcmp(o->out, "-") == 0))
		putchar('\n');
	return r;
}

static bool to_stdout(const struct opts *o)
{
	return !o->out || strcmp(o->out, "-") == 0;
}

/* ---- progress and measuring ---- */

struct scan_ctx {
	struct ward_policy_builder b;
	uint64_t files, bytes, errors;
	bool tty;
	struct timespec last;
	/* --packages */
	bool include_modified;
	uint64_t modified, unverified, resolved, diverted;
	char resolved_example[2 * PATH_MAX + 8];
	struct ward_policy_builder links; /* symlinks the packages ship, settled at the end */
};

static void progress(struct scan_ctx *c, bool final)
{
	struct timespec now;

	if (!c->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final &&
	    (now.tv_sec - c->last.tv_sec) * 1000 + (now.tv_nsec - c->last.tv_nsec) / 1000000 < 200)
		return;
	c->last = now;
	fprintf(stderr, "\rward: scanned %llu files, %.1f MiB%s", (unsigned long long)c->files,
		(double)c->bytes / (1 << 20), final ? "\n" : "");
}

/* Before a message on a terminal: end the progress line. */
static void progress_break(struct scan_ctx *c)
{
	if (c->tty)
		fputc('\n', stderr);
}

static int on_file(void *userdata, const char *path, const struct ward_digest *dg, uint64_t size)
{
	struct scan_ctx *c = userdata;
	int r = policy_builder_add(&c->b, dg->bytes, path);

	c->files++;
	c->bytes += size;
	progress(c, false);
	return r;
}

static void on_error(void *userdata, const char *path, int err)
{
	struct scan_ctx *c = userdata;

	c->errors++;
	progress_break(c);
	cli_warn("skipped %s: %s", path, err == -EINVAL ? "not a regular file" : strerror(-err));
}

#define MD5_SIZE 16
#define CHUNK (128u << 10)

/*
 * The policy's digest and, when @md5 is given, the MD5 that dpkg recorded, in one pass over one
 * fd: both describe the same bytes, so a file changed while it is read cannot pass the MD5
 * check with one content and be allowed with another.
 */
static int digest_fd(int fd, enum ward_hash_alg alg, uint8_t *md5, uint8_t *ret_digest,
		     uint64_t *ret_size)
{
	_cleanup_md_ctx_ EVP_MD_CTX *h = EVP_MD_CTX_new(), *m = md5 ? EVP_MD_CTX_new() : NULL;
	_cleanup_free_ uint8_t *chunk = malloc(CHUNK);
	uint64_t off = 0;
	unsigned n;

	if (!h || !chunk || (md5 && !m))
		return -ENOMEM;
	if (!EVP_DigestInit_ex(h, EVP_get_digestbyname(hash_alg_name(alg)), NULL) ||
	    (m && !EVP_DigestInit_ex(m, EVP_md5(), NULL)))
		return -EIO;
	for (;;) {
		ssize_t k = pread(fd, chunk, CHUNK, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		if (!EVP_DigestUpdate(h, chunk, (size_t)k) ||
		    (m && !EVP_DigestUpdate(m, chunk, (size_t)k)))
			return -EIO;
		off += (uint64_t)k;
	}
	if (!EVP_DigestFinal_ex(h, ret_digest, &n) || n != hash_alg_size(alg) ||
	    (m && (!EVP_DigestFinal_ex(m, md5, &n) || n != MD5_SIZE)))
		return -EIO;
	*ret_size = off;
	return 0;
}

/* ---- the dpkg database ---- */

/*
 * What dpkg knows of installed packages, read from its files (never by running dpkg: the
 * format of /var/lib/dpkg is stable and documented in dpkg(1), deb-md5sums(5),
 * dpkg-divert(1)). Each file is read whole with the policy file's bound.
 */
#define DPKG_DIR "/var/lib/dpkg"
#define DPKG_INSTANCES_MAX 16 /* architectures of one Multi-Arch: same package */

struct dpkg_sum {
	const char *path; /* without the leading '/', as in md5sums */
	uint8_t md5[MD5_SIZE];
};

struct dpkg_pkg {
	char name[256]; /* as the user gave it */
	char base[256]; /* the package name without :arch */
	char info[300]; /* the base name of its files in DPKG_DIR/info */
	const char *conffiles;
	size_t conffiles_len;
};

struct dpkg_diversion {
	const char *from, *to, *by;
};

struct dpkg_db {
	uint8_t *status, *diversions;
	size_t status_len, diversions_len;
	struct dpkg_diversion *div;
	size_t n_div;
};

static void dpkg_db_free(struct dpkg_db *db)
{
	free(db->status);
	free(db->diversions);
	free(db->div);
}

static int read_db_file(const char *path, bool optional, uint8_t **ret, size_t *ret_len)
{
	int r = read_file_full(path, WARD_POLICY_FILE_MAX, ret, ret_len);

	if (r == -ENOENT && optional) {
		*ret = (uint8_t *)strdup("");
		*ret_len = 0;
		return *ret ? 0 : -ENOMEM;
	}
	return r;
}

/* "from\nto\npackage\n" triples; the package is ":" for a local diversion. */
static int dpkg_parse_diversions(struct dpkg_db *db)
{
	char *s = (char *)db->diversions, *line[3];
	size_t cap = 0;

	for (;;) {
		for (int i = 0; i < 3; i++) {
			char *nl = strchr(s, '\n');

			if (!*s)
				return i == 0 ? 0 : -EBADMSG;
			if (!nl)
				return -EBADMSG;
			*nl = 0;
			line[i] = s;
			s = nl + 1;
		}
		if (db->n_div == cap) {
			struct dpkg_diversion *n = realloc(db->div, (cap + 64) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			db->div = n;
			cap += 64;
		}
		db->div[db->n_div++] = (struct dpkg_diversion){ line[0], line[1], line[2] };
	}
}

static int dpkg_db_open(struct dpkg_db *db)
{
	int r;

	if ((r = read_db_file(DPKG_DIR "/status", false, &db->status, &db->status_len)) < 0)
		return cli_error(EXIT_USAGE, "cannot read " DPKG_DIR "/status: %s", strerror(-r));
	if ((r = read_db_file(DPKG_DIR "/diversions", true, &db->diversions,
			      &db->diversions_len)) < 0 ||
	    (r = dpkg_parse_diversions(db)) < 0)
		return cli_error(EXIT_USAGE, "cannot read " DPKG_DIR "/diversions: %s",
				 strerror(-r));
	return 0;
}

/* The value of field @key in the stanza [@st, @end): continuation lines included. */
static bool stanza_field(const char *st, const char *end, const char *key, const char **ret,
			 size_t *ret_len)
{
	size_t klen = strlen(key);

	for (const char *l = st; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *le = nl ? nl : end;

		if ((size_t)(le - l) > klen && strncmp(l, key, klen) == 0 && l[klen] == ':') {
			const char *v = l + klen + 1, *ve = le;

			while (v < ve && *v == ' ')
				v++;
			while (ve < end && ve + 1 < end && ve[1] == ' ') {
				const char *n2 = memchr(ve + 1, '\n', (size_t)(end - ve - 1));
				ve = n2 ? n2 : end;
			}
			*ret = v;
			*ret_len = (size_t)(ve - v);
			return true;
		}
		l = le + 1;
	}
	return false;
}

static bool field_is(const char *v, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(v, want, n) == 0;
}

/* Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+, and an architecture of [a-z0-9-]. */
static bool pkg_name_valid(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (n < 2 || n >= 200 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '+' || s[i] == '.' || s[i] == '-'))
			return false;
	if (!colon)
		return true;
	if (!colon[1] || strlen(colon + 1) >= 50)
		return false;
	for (const char *a = colon + 1; *a; a++)
		if (!((*a >= 'a' && *a <= 'z') || (*a >= '0' && *a <= '9') || *a == '-'))
			return false;
	return true;
}

/*
 * The installed instances of @name ("pkg" or "pkg:arch"): one, or one per architecture of a
 * Multi-Arch: same package. Exit 2 naming it when it is unknown or not installed.
 */
static int dpkg_find(struct dpkg_db *db, const char *name, struct dpkg_pkg *out, size_t *n_out)
{
	const char *colon = strchr(name, ':'), *st = (const char *)db->status;
	const char *end_all = st + db->status_len, *state = NULL;
	size_t blen = colon ? (size_t)(colon - name) : strlen(name), state_len = 0;
	bool known = false;

	if (!pkg_name_valid(name))
		return cli_error(EXIT_USAGE, "--packages: '%s' is not a Debian package name", name);
	while (st < end_all) {
		const char *end = strstr(st, "\n\n"), *v;
		size_t vn;

		end = end ? end + 1 : end_all;
		if (stanza_field(st, end, "Package", &v, &vn) && vn == blen &&
		    memcmp(v, name, blen) == 0) {
			const char *arch = "", *ma = "", *status = "";
			size_t an = 0, man = 0, sn = 0;
			struct dpkg_pkg *p;
			char list[PATH_MAX];

			stanza_field(st, end, "Architecture", &arch, &an);
			stanza_field(st, end, "Multi-Arch", &ma, &man);
			stanza_field(st, end, "Status", &status, &sn);
			if (colon && !field_is(arch, an, colon + 1))
				goto next;
			known = true;
			/* "want flag state": only files of a fully installed package are listed
			 * as what it shipped. */
			if (sn < 10 || memcmp(status + sn - 10, " installed", 10) != 0) {
				state = status;
				state_len = sn;
				goto next;
			}
			if (*n_out == DPKG_INSTANCES_MAX)
				return cli_error(EXIT_USAGE, "--packages %s: more than %d instances",
						 name, DPKG_INSTANCES_MAX);
			p = &out[*n_out];
			memset(p, 0, sizeof(*p));
			snprintf(p->name, sizeof(p->name), "%s", name);
			snprintf(p->base, sizeof(p->base), "%.*s", (int)blen, name);
			/* dpkg names the files of a Multi-Arch: same package pkg:arch. */
			snprintf(p->info, sizeof(p->info), "%.*s:%.*s", (int)blen, name,
				 (int)(an < 50 ? an : 50), arch);
			snprintf(list, sizeof(list), DPKG_DIR "/info/%s.list", p->info);
			if (!field_is(ma, man, "same") || access(list, F_OK) < 0)
				snprintf(p->info, sizeof(p->info), "%.*s", (int)blen, name);
			stanza_field(st, end, "Conffiles", &p->conffiles, &p->conffiles_len);
			(*n_out)++;
		}
next:
		st = end;
		while (st < end_all && *st == '\n')
			st++;
	}
	if (!known)
		return cli_error(EXIT_USAGE, "--packages: unknown package '%s' (not in " DPKG_DIR
					     "/status)",
				 name);
	if (*n_out == 0)
		return cli_error(EXIT_USAGE, "--packages: package '%s' is not installed (%.*s)",
				 name, (int)state_len, state);
	return 0;
}

static int sum_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dpkg_sum *)a)->path, ((const struct dpkg_sum *)b)->path);
}

static bool md5_hex(const char *s, size_t n, uint8_t *out)
{
	size_t got;

	return n == 2 * MD5_SIZE && hex_decode(s, n, out, MD5_SIZE, &got) == 0 && got == MD5_SIZE;
}

struct dpkg_sums {
	uint8_t *buf;	/* the md5sums file, split in place */
	char *conf;	/* a copy of the Conffiles field, split in place */
	struct dpkg_sum *v;
	size_t n, cap;
};

static void dpkg_sums_free(struct dpkg_sums *s)
{
	free(s->buf);
	free(s->conf);
	free(s->v);
}

static int sums_add(struct dpkg_sums *s, const char *path, const uint8_t *md5)
{
	if (s->n == s->cap) {
		struct dpkg_sum *n = realloc(s->v, (s->cap + 1024) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->v = n;
		s->cap += 1024;
	}
	s->v[s->n].path = path;
	memcpy(s->v[s->n].md5, md5, MD5_SIZE);
	s->n++;
	return 0;
}

/*
 * The MD5s dpkg recorded for @p's files: DPKG_DIR/info/INFO.md5sums ("md5  path", path without
 * the leading '/'), then the Conffiles field of its status (" /path md5 [obsolete]"): conffiles
 * are not in md5sums.
 */
static int dpkg_sums_load(const struct dpkg_pkg *p, struct dpkg_sums *s)
{
	char path[PATH_MAX];
	size_t len;
	int r;

	snprintf(path, sizeof(path), DPKG_DIR "/info/%s.md5sums", p->info);
	if ((r = read_db_file(path, true, &s->buf, &len)) < 0)
		return r;
	for (char *l = (char *)s->buf; *l;) {
		char *nl = strchr(l, '\n');
		uint8_t md5[MD5_SIZE];

		if (nl)
			*nl = 0;
		if (strlen(l) > 2 * MD5_SIZE + 2 && md5_hex(l, 2 * MD5_SIZE, md5) &&
		    l[2 * MD5_SIZE] == ' ' && (l[2 * MD5_SIZE + 1] == ' ' || l[2 * MD5_SIZE + 1] == '*'))
			if ((r = sums_add(s, l + 2 * MD5_SIZE + 2, md5)) < 0)
				return r;
		if (!nl)
			break;
		l = nl + 1;
	}
	if (p->conffiles) {
		s->conf = strndup(p->conffiles, p->conffiles_len);
		if (!s->conf)
			return -ENOMEM;
		for (char *l = s->conf; *l;) {
			char *nl = strchr(l, '\n'), *sp, *md;
			uint8_t md5[MD5_SIZE];

			if (nl)
				*nl = 0;
			while (*l == ' ')
				l++;
			/* "/path md5" and, for some, a flag after it */
			for (int k = 0; k < 2 && (sp = strrchr(l, ' ')); k++) {
				md = sp + 1;
				if (l[0] == '/' && md5_hex(md, strlen(md), md5)) {
					*sp = 0;
					if ((r = sums_add(s, l + 1, md5)) < 0)
						return r;
					break;
				}
				*sp = 0;
			}
			if (!nl)
				break;
			l = nl + 1;
		}
	}
	qsort(s->v, s->n, sizeof(*s->v), sum_cmp);
	return 0;
}

static const uint8_t *sums_find(const struct dpkg_sums *s, const char *abs)
{
	struct dpkg_sum key = { .path = abs + 1 };
	const struct dpkg_sum *f = s->n ? bsearch(&key, s->v, s->n, sizeof(*s->v), sum_cmp) : NULL;

	return f ? f->md5 : NULL;
}

/* Where @p's file @listed is: diverted by another package (or locally), it is at the "to". */
static const char *dpkg_diverted(const struct dpkg_db *db, const struct dpkg_pkg *p,
				 const char *listed, const char **ret_by)
{
	for (size_t i = 0; i < db->n_div; i++)
		if (strcmp(db->div[i].from, listed) == 0 && strcmp(db->div[i].by, p->base) != 0) {
			*ret_by = db->div[i].by;
			return db->div[i].to;
		}
	return NULL;
}

static int scan_pkg_file(struct scan_ctx *c, const struct dpkg_db *db, const struct dpkg_pkg *p,
			 const struct dpkg_sums *sums, const char *listed)
{
	const char *by = NULL, *at = dpkg_diverted(db, p, listed, &by) ?: listed;
	const uint8_t *want = sums_find(sums, listed);
	_cleanup_close_ int fd = -EBADF;
	char rec[PATH_MAX];
	uint8_t digest[WARD_HASH_MAX_SIZE], md5[MD5_SIZE];
	struct stat st;
	uint64_t size = 0;
	bool link;
	int r;

	if (by) {
		c->diverted++;
		progress_break(c);
		cli_warn("%s is diverted (by %s): recorded %s, %s's file", listed,
			 strcmp(by, ":") ? by : "the local admin", at, p->name);
	}
	/* Directories and whatever is not a regular file (dpkg lists /., directories, and the
	 * odd device node) are not measured; stat first, so that a device is never opened. */
	if (lstat(at, &st) < 0) {
		on_error(c, at, -errno);
		return 0;
	}
	link = S_ISLNK(st.st_mode);
	if (link && stat(at, &st) < 0) {
		on_error(c, at, -errno);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((r = real_parent(at, rec)) < 0) {
		on_error(c, at, r);
		return 0;
	}
	if (strcmp(rec, at) != 0 && c->resolved++ == 0)
		snprintf(c->resolved_example, sizeof(c->resolved_example), "%s is %s", at, rec);
	fd = open_regular(at);
	if (fd < 0) {
		on_error(c, at, fd);
		return 0;
	}
	r = digest_fd(fd, c->b.hash, want ? md5 : NULL, digest, &size);
	if (r == -ENOMEM || r == -EIO)
		return r;
	if (r < 0) {
		on_error(c, at, r);
		return 0;
	}
	c->files++;
	c->bytes += size;
	/*
	 * An allowlist of a package must bless what the package shipped, not what the file has
	 * become. dpkg's MD5 is a check against change, not a signature (it is only as good as
	 * the database it is read from), but a file that fails it was certainly changed. A
	 * regular file without one (a package built without md5sums) cannot be checked, and is
	 * left out likewise. A symlink the package ships has no MD5 of its own: it waits for
	 * settle_links().
	 */
	if (link && !want) {
		progress(c, false);
		return policy_builder_add(&c->links, digest, rec);
	}
	if (want && memcmp(want, md5, MD5_SIZE) != 0) {
		c->modified++;
		progress_break(c);
		cli_warn("%s %s: modified since %s was installed (its MD5 differs from dpkg's)",
			 c->include_modified ? "included, as it is now," : "left out",
			 rec, p->name);
		if (!c->include_modified)
			return 0;
	} else if (!want) {
		c->unverified++;
		progress_break(c);
		cli_warn("%s %s: dpkg recorded no MD5 for it in %s",
			 c->include_modified ? "included, unchecked," : "left out", rec, p->name);
		if (!c->include_modified)
			return 0;
	}
	progress(c, false);
	return policy_builder_add(&c->b, digest, rec);
}

static int scan_package(struct scan_ctx *c, const struct dpkg_db *db, const struct dpkg_pkg *p)
{
	_cleanup_free_ uint8_t *list = NULL;
	struct dpkg_sums sums = { 0 };
	char path[PATH_MAX];
	size_t len;
	int r;

	snprintf(path, sizeof(path), DPKG_DIR "/info/%s.list", p->info);
	if ((r = read_db_file(path, false, &list, &len)) < 0)
		return cli_error(EXIT_USAGE, "--packages %s: cannot read %s: %s", p->name, path,
				 strerror(-r));
	if ((r = dpkg_sums_load(p, &sums)) < 0) {
		dpkg_sums_free(&sums);
		return cli_error(EXIT_USAGE, "--packages %s: cannot read its MD5s: %s", p->name,
				 strerror(-r));
	}
	for (char *l = (char *)list; *l;) {
		char *nl = strchr(l, '\n');

		if (nl)
			*nl = 0;
		if (l[0] == '/' && l[1] && strcmp(l, "/.") != 0 &&
		    (r = scan_pkg_file(c, db, p, &sums, l)) < 0)
			break;
		if (!nl)
			break;
		l = nl + 1;
	}
	dpkg_sums_free(&sums);
	if (r < 0)
		return cli_error(r == -E2BIG ? EXIT_USAGE : EXIT_VERDICT, "--packages %s: %s",
				 p->name,
				 r == -E2BIG ? "more entries than a policy holds" : strerror(-r));
	return 0;
}

static int digest_cmp(const void *a, const void *b, void *size)
{
	return memcmp(a, b, *(size_t *)size);
}

/* Is @digest in @sorted, @n digests of @dlen bytes? */
static bool digest_known(const uint8_t *digest, const uint8_t *sorted, size_t n, size_t dlen)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(digest, sorted + mid * dlen, dlen);

		if (cmp == 0)
			return true;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/*
 * A symlink a package ships is recorded (its target's content under its own path, as a scan
 * records it) only when that content is already allowed: the digest of a file of the packages
 * that passed its MD5 check. Otherwise a link would bless whatever its target has become, or a
 * file of a package nobody named (update-alternatives, another package's library).
 */
static int settle_links(struct scan_ctx *c)
{
	size_t dlen = hash_alg_size(c->b.hash), n = c->b.n;
	_cleanup_free_ uint8_t *known = malloc(n * dlen + 1);
	int r;

	if (!known)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		memcpy(known + i * dlen, c->b.entries[i].digest, dlen);
	qsort_r(known, n, dlen, digest_cmp, &dlen);
	for (size_t i = 0; i < c->links.n; i++) {
		const struct ward_policy_entry *e = &c->links.entries[i];
		bool ok = n && digest_known(e->digest, known, n, dlen);

		if (!ok) {
			_cleanup_free_ char *target = realpath(e->path, NULL);

			c->unverified++;
			progress_break(c);
			cli_warn("%s %s: a symlink to %s, which is no verified file of the packages "
				 "scanned",
				 c->include_modified ? "included, unchecked," : "left out", e->path,
				 target ? target : "(gone)");
			if (!c->include_modified)
				continue;
		}
		if ((r = policy_builder_add(&c->b, e->digest, e->path)) < 0)
			return r;
	}
	return 0;
}

static int scan_packages(struct scan_ctx *c, char **names, int n, size_t *ret_count)
{
	struct dpkg_db db = { 0 };
	struct dpkg_pkg *pkgs = NULL;
	size_t n_pkgs = 0;
	int r;

	if ((r = dpkg_db_open(&db)))
		goto out;
	pkgs = calloc((size_t)n * DPKG_INSTANCES_MAX, sizeof(*pkgs));
	if (!pkgs) {
		r = cli_error(EXIT_VERDICT, "out of memory");
		goto out;
	}
	/* Every name first: a typo is reported before minutes of hashing. */
	for (int i = 0; i < n; i++) {
		size_t k = 0;
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= strcmp(names[i], names[j]) == 0;
		if (seen)
			continue;
		if ((r = dpkg_find(&db, names[i], pkgs + n_pkgs, &k)))
			goto out;
		n_pkgs += k;
	}
	for (size_t i = 0; i < n_pkgs; i++)
		if ((r = scan_package(c, &db, &pkgs[i])))
			goto out;
	if ((r = settle_links(c)) < 0) {
		r = cli_error(r == -E2BIG ? EXIT_USAGE : EXIT_VERDICT, "--packages: %s",
			      r == -E2BIG ? "more entries than a policy holds" : strerror(-r));
		goto out;
	}
	*ret_count = n_pkgs;
out:
	free(pkgs);
	dpkg_db_free(&db);
	return r;
}

/* ---- ward policy scan ---- */

static void scan_usage(FILE *f)
{
	fputs("Usage: ward policy scan PATH... [-o FILE] [OPTIONS]\n"
	      "       ward policy scan --packages NAME... [--include-modified] [-o FILE] [OPTIONS]\n"
	      "\n"
	      "Write a policy (docs/policy-format.md) whose entries are the digests of files as\n"
	      "they are on disk now: every regular file named or found below a named directory,\n"
	      "or every file of the named installed Debian packages. Symlinks to files are\n"
	      "measured as their target's content under the link's path; symlinked directories\n"
	      "are not followed. Files that cannot be read are reported and left out (a file\n"
	      "left out is denied, never allowed). Progress is shown on a terminal.\n"
	      "  --name NAME          policy name (default: scan)\n"
	      "  --version N          policy version (default: 1)\n"
	      "  --packages           the arguments are package names (pkg or pkg:arch); their\n"
	      "                       files are those dpkg lists (" DPKG_DIR "/info/*.list),\n"
	      "                       recorded under their real path (merged /usr: /bin/ls is\n"
	      "                       /usr/bin/ls) or, when diverted, the path diverted to. A\n"
	      "                       file whose MD5 differs from the one dpkg recorded at\n"
	      "                       install (or that has none) is reported and left out\n"
	      "  --include-modified   include such files as they are now (still reported)\n" SETTINGS_HELP,
	      f);
}

int cli_policy_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		SETTINGS_LONGOPTS,
		{ "packages", no_argument, NULL, OPT_PACKAGES },
		{ "include-modified", no_argument, NULL, OPT_INCLUDE_MODIFIED },
		{},
	};
	_cleanup_(opts_freep) struct opts *o = calloc(1, sizeof(*o));
	struct scan_ctx c = { 0 };
	size_t n_pkgs = 0;
	int ch, r = 0;

	if (!o)
		return cli_error(EXIT_VERDICT, "out of memory");
	o->name = "scan";
	o->version = 1;
	o->hash = WARD_HASH_SHA256;
	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (ch == 'h') {
			scan_usage(stdout);
			return EXIT_OK;
		}
		r = settings_opt(o, ch, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			return r;
	}
	if (optind >= argc) {
		scan_usage(stderr);
		return EXIT_USAGE;
	}
	if (o->include_modified && !o->packages)
		return cli_error(EXIT_USAGE, "--include-modified: only with --packages");
	if ((r = finish_settings(o, &c.b)))
		goto out;
	c.tty = isatty(STDERR_FILENO);
	c.include_modified = o->include_modified;
	c.links.hash = c.b.hash;
	if (o->packages) {
		r = scan_packages(&c, argv + optind, argc - optind, &n_pkgs);
		if (r)
			goto out;
	} else {
		for (int i = optind; i < argc; i++) {
			r = measure_tree(argv[i], o->hash, on_file, on_error, &c);
			if (r < 0) {
				progress(&c, true);
				r = cli_error(r == -ENOMEM || r == -EIO ? EXIT_VERDICT : EXIT_USAGE,
					      "scan %s: %s", argv[i],
					      r == -EINVAL ? "not a file or directory" :
					      r == -E2BIG  ? "more entries than a policy holds" :
							     strerror(-r));
				goto out;
			}
		}
	}
	progress(&c, true);
	if (c.resolved)
		cli_warn("%llu listed paths recorded under their real path (%s)",
			 (unsigned long long)c.resolved, c.resolved_example);
	if (c.modified || c.unverified)
		cli_warn("%llu modified and %llu unverifiable package files %s",
			 (unsigned long long)c.modified, (unsigned long long)c.unverified,
			 o->include_modified ? "included as they are (--include-modified)" :
					       "left out: they will be denied");
	if ((r = write_policy(o, &c.b)))
		goto out;
	if (!to_stdout(o)) {
		if (o->packages)
			fprintf(stderr, "ward: %llu files of %zu packages (%llu skipped, %llu left "
					"out as modified or unverifiable) written to %s\n",
				(unsigned long long)c.files, n_pkgs, (unsigned long long)c.errors,
				(unsigned long long)(o->include_modified ? 0 :
									    c.modified + c.unverified),
				o->out);
		else
			fprintf(stderr, "ward: %llu files (%llu skipped) written to %s\n",
				(unsigned long long)c.files, (unsigned long long)c.errors, o->out);
	}
out:
	policy_builder_free(&c.b);
	policy_builder_free(&c.links);
	return r;
}

/* ---- ward policy import-keylime ---- */

static void import_usage(FILE *f)
{
	fputs("Usage: ward policy import-keylime KEYLIME.json --name NAME --version N [-o FILE]\n"
	      "                                  [OPTIONS]\n"
	      "\n"
	      "Convert a Keylime runtime policy (its \"digests\": path -> hex digests) into a ward\n"
	      "policy. Only digests of the --hash algorithm are imported (told apart by length);\n"
	      "others are counted and skipped, never converted. What a ward policy cannot say is\n"
	      "dropped and reported, never widened: \"excludes\" (regexes of paths Keylime lets\n"
	      "run unchecked: those files are denied), \"verification-keys\" (files accepted by\n"
	      "signature alone are denied), \"keyrings\" and \"ima-buf\" (ignored).\n"
	      "  --name NAME          policy name (required)\n"
	      "  --version N          policy version (required)\n" SETTINGS_HELP,
	      f);
}

static void import_report(const struct ward_keylime *k)
{
	const char *alg = hash_alg_name(k->hash);

	fprintf(stderr,
		"ward: %zu entries (%zu paths) imported; %zu digests of other algorithms skipped; "
		"%zu excludes dropped\n",
		k->n_entries, k->n_paths, k->n_other_alg, k->n_excludes);
	if (k->n_other_alg)
		cli_warn("%zu digests are not %s (by their length) and were skipped: files known "
			 "only by them will be denied (--hash selects the algorithm imported)",
			 k->n_other_alg, alg);
	if (k->n_excludes) {
		cli_warn("warning: %zu excludes dropped: files matching them will be denied unless "
			 "their digest is listed (a ward policy has no path patterns; fail closed):",
			 k->n_excludes);
		for (size_t i = 0; i < k->n_excludes && i < 10; i++)
			fprintf(stderr, "ward:   %s\n", k->excludes[i]);
		if (k->n_excludes > 10)
			fprintf(stderr, "ward:   ... and %zu more\n", k->n_excludes - 10);
	}
	if (k->verification_keys)
		cli_warn("warning: verification-keys ignored: files Keylime accepts by their IMA "
			 "signature alone will be denied unless their digest is listed");
	if (k->n_boot_aggregate)
		cli_warn("note: boot_aggregate (%zu digests) skipped: a digest of PCRs, not of a file",
			 k->n_boot_aggregate);
	if (k->n_keyrings || k->n_ima_buf)
		cli_warn("note: keyrings (%zu digests) and ima-buf (%zu digests) ignored: ward does "
			 "not check keys or buffers",
			 k->n_keyrings, k->n_ima_buf);
	if (k->dm_policy)
		cli_warn("note: ima.dm_policy ignored: ward does not check device-mapper tables");
	if (k->rules)
		cli_warn("note: \"rules\" ignored");
}

int cli_policy_import_keylime(int argc, char **argv)
{
	static const struct option longopts[] = {
		SETTINGS_LONGOPTS,
		{},
	};
	_cleanup_(opts_freep) struct opts *o = calloc(1, sizeof(*o));
	struct ward_policy_builder b = { 0 };
	struct ward_keylime *k = NULL;
	struct ward_diag d = { { 0 } };
	_cleanup_free_ uint8_t *buf = NULL;
	const char *in;
	size_t len;
	int ch, r;

	if (!o)
		return cli_error(EXIT_VERDICT, "out of memory");
	o->hash = WARD_HASH_SHA256;
	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (ch == 'h') {
			import_usage(stdout);
			return EXIT_OK;
		}
		r = settings_opt(o, ch, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			return r;
	}
	if (optind + 1 != argc) {
		import_usage(stderr);
		return EXIT_USAGE;
	}
	if (!o->has_name || !o->has_version)
		return cli_error(EXIT_USAGE, "policy import-keylime: --name and --version are "
					     "required");
	in = argv[optind];
	if (cli_read_input(in, WARD_POLICY_FILE_MAX, "Keylime policy", &buf, &len))
		return EXIT_USAGE;
	r = policy_keylime_parse(buf, len, o->hash, &k, &d);
	if (r == -ENOMEM)
		return cli_error(EXIT_VERDICT, "out of memory");
	if (r < 0)
		return cli_error(EXIT_USAGE, "%s: %s", in, d.msg);
	if ((r = finish_settings(o, &b)))
		goto out;
	for (size_t i = 0; i < k->n_entries; i++)
		if ((r = policy_builder_add(&b, k->entries[i].digest, k->entries[i].path)) < 0) {
			r = cli_error(r == -E2BIG ? EXIT_USAGE : EXIT_VERDICT, "%s: %s", in,
				      r == -E2BIG ? "more entries than a policy holds" :
						    strerror(-r));
			goto out;
		}
	import_report(k);
	if ((r = write_policy(o, &b)))
		goto out;
	if (!to_stdout(o))
		fprintf(stderr, "ward: written to %s\n", o->out);
out:
	policy_keylime_free(k);
	policy_builder_free(&b);
	return r;
}
