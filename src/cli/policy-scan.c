/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward policy scan: write a policy from what is on disk (files, directories, the files of
 * installed Debian packages); the settings options are policy-settings.c's, the dpkg database is
 * read by the library (ward/dpkg.h).
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

#include "cli/cli.h"
#include "cli/policy-settings.h"
#include "core/cleanup.h"
#include "ward/dpkg.h"
#include "ward/limits.h"
#include "ward/measure.h"
#include "ward/policy-keylime.h"
#include "ward/policy.h"

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

/* ---- --packages ---- */

static int scan_pkg_file(struct scan_ctx *c, const struct ward_dpkg_pkg *p,
			 const struct ward_dpkg_file *f)
{
	const char *at = f->diverted_to ?: f->path;
	_cleanup_close_ int fd = -EBADF;
	char rec[PATH_MAX];
	struct ward_digest dg[__WARD_HASH_MAX];
	uint8_t md5[WARD_MD5_SIZE];
	struct stat st;
	uint64_t size = 0;
	bool link;
	int r;

	if (f->diverted_to) {
		c->diverted++;
		progress_break(c);
		cli_warn("%s is diverted (by %s): recorded %s, %s's file", f->path,
			 strcmp(f->diverted_by, ":") ? f->diverted_by : "the local admin", at,
			 p->name);
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
	if ((r = measure_record_path(at, rec)) < 0) {
		on_error(c, at, r);
		return 0;
	}
	if (strcmp(rec, at) != 0 && c->resolved++ == 0)
		snprintf(c->resolved_example, sizeof(c->resolved_example), "%s is %s", at, rec);
	fd = measure_open_regular(AT_FDCWD, at);
	if (fd < 0) {
		on_error(c, at, fd);
		return 0;
	}
	r = measure_fd_md5(fd, 1u << c->b.hash, dg, f->has_md5 ? md5 : NULL, &size);
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
	if (link && !f->has_md5) {
		progress(c, false);
		return policy_builder_add(&c->links, dg[c->b.hash].bytes, rec);
	}
	if (f->has_md5 && memcmp(f->md5, md5, WARD_MD5_SIZE) != 0) {
		c->modified++;
		progress_break(c);
		cli_warn("%s %s: modified since %s was installed (its MD5 differs from dpkg's)",
			 c->include_modified ? "included, as it is now," : "left out",
			 rec, p->name);
		if (!c->include_modified)
			return 0;
	} else if (!f->has_md5) {
		c->unverified++;
		progress_break(c);
		cli_warn("%s %s: dpkg recorded no MD5 for it in %s",
			 c->include_modified ? "included, unchecked," : "left out", rec, p->name);
		if (!c->include_modified)
			return 0;
	}
	progress(c, false);
	return policy_builder_add(&c->b, dg[c->b.hash].bytes, rec);
}

static int scan_package(struct scan_ctx *c, const struct ward_dpkg_db *db,
			const struct ward_dpkg_pkg *p)
{
	struct ward_dpkg_files *files = NULL;
	struct ward_diag d = { { 0 } };
	int r;

	r = dpkg_files_load(db, p, &files, &d);
	if (r < 0)
		return cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "--packages %s: %s",
				 p->name, r == -ENOMEM ? strerror(-r) : d.msg);
	for (size_t i = 0; i < files->n; i++)
		if ((r = scan_pkg_file(c, p, &files->v[i])) < 0)
			break;
	dpkg_files_free(files);
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
	struct ward_dpkg_db *db = NULL;
	struct ward_dpkg_pkg *pkgs = NULL;
	struct ward_diag d = { { 0 } };
	size_t n_pkgs = 0;
	int r;

	r = dpkg_db_open(WARD_DPKG_ADMINDIR, &db, &d);
	if (r < 0) {
		r = cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "%s",
			      r == -ENOMEM ? strerror(-r) : d.msg);
		goto out;
	}
	pkgs = calloc((size_t)n * WARD_DPKG_INSTANCES_MAX, sizeof(*pkgs));
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
		r = dpkg_find(db, names[i], pkgs + n_pkgs, &k, &d);
		if (r < 0) {
			r = cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "--packages: %s",
				      r == -ENOMEM ? strerror(-r) : d.msg);
			goto out;
		}
		n_pkgs += k;
	}
	for (size_t i = 0; i < n_pkgs; i++)
		if ((r = scan_package(c, db, &pkgs[i])))
			goto out;
	if ((r = settle_links(c)) < 0) {
		r = cli_error(r == -E2BIG ? EXIT_USAGE : EXIT_VERDICT, "--packages: %s",
			      r == -E2BIG ? "more entries than a policy holds" : strerror(-r));
		goto out;
	}
	*ret_count = n_pkgs;
out:
	free(pkgs);
	dpkg_db_free(db);
	return r;
}

/* ---- ward policy scan ---- */

/* The options of scan alone, numbered after the settings options. */
enum {
	OPT_PACKAGES = OPT_SETTINGS_END,
	OPT_INCLUDE_MODIFIED,
};


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
	      "                       files are those dpkg lists (" WARD_DPKG_ADMINDIR "/info/*.list),\n"
	      "                       recorded under their real path (merged /usr: /bin/ls is\n"
	      "                       /usr/bin/ls) or, when diverted, the path diverted to. A\n"
	      "                       file whose MD5 differs from the one dpkg recorded at\n"
	      "                       install (or that has none) is reported and left out\n"
	      "  --include-modified   include such files as they are now (still reported)\n" CLI_SETTINGS_HELP,
	      f);
}

int cli_policy_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_SETTINGS_LONGOPTS,
		{ "packages", no_argument, NULL, OPT_PACKAGES },
		{ "include-modified", no_argument, NULL, OPT_INCLUDE_MODIFIED },
		{},
	};
	_cleanup_(cli_settings_freep) struct cli_settings *o = cli_settings_new();
	struct scan_ctx c = { 0 };
	bool packages = false;
	size_t n_pkgs = 0;
	int ch, r = 0;

	if (!o)
		return cli_error(EXIT_VERDICT, "out of memory");
	o->name = "scan";
	o->version = 1;
	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (ch == 'h') {
			scan_usage(stdout);
			return EXIT_OK;
		}
		if (ch == OPT_PACKAGES) {
			packages = true;
			continue;
		}
		if (ch == OPT_INCLUDE_MODIFIED) {
			c.include_modified = true;
			continue;
		}
		r = cli_settings_opt(o, ch, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			return r;
	}
	if (optind >= argc) {
		scan_usage(stderr);
		return EXIT_USAGE;
	}
	if (c.include_modified && !packages)
		return cli_error(EXIT_USAGE, "--include-modified: only with --packages");
	if ((r = cli_settings_finish(o, &c.b)))
		goto out;
	c.tty = isatty(STDERR_FILENO);
	c.links.hash = c.b.hash;
	if (packages) {
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
			 c.include_modified ? "included as they are (--include-modified)" :
					       "left out: they will be denied");
	if ((r = cli_settings_write(o, &c.b)))
		goto out;
	if (!cli_settings_to_stdout(o)) {
		if (packages)
			fprintf(stderr, "ward: %llu files of %zu packages (%llu skipped, %llu left "
					"out as modified or unverifiable) written to %s\n",
				(unsigned long long)c.files, n_pkgs, (unsigned long long)c.errors,
				(unsigned long long)(c.include_modified ? 0 :
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
