/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dpkg database reader on fixture admindirs built here: what it returns for a database
 * dpkg could have written, the exact error for each damaged one (a table), the bounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "test-util.h"
#include "ward/dpkg.h"
#include "ward/measure.h"

#define M1 "0123456789abcdef0123456789abcdef"
#define M2 "fedcba9876543210fedcba9876543210"
#define M3 "00112233445566778899aabbccddeeff"
#define M4 "ffeeddccbbaa99887766554433221100"

/* @content (@len bytes) as @dir/@rel, info/ created as needed. */
static void put_n(const char *dir, const char *rel, const char *content, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/info", dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, content, len), 0);
	close(fd);
}

static void put(const char *dir, const char *rel, const char *content)
{
	put_n(dir, rel, content, strlen(content));
}

/* @k copies of @unit as @dir/@rel. */
static void put_repeated(const char *dir, const char *rel, const char *unit, size_t k)
{
	size_t n = strlen(unit);
	char *buf = malloc(k * n);

	assert_non_null(buf);
	for (size_t i = 0; i < k; i++)
		memcpy(buf + i * n, unit, n);
	put_n(dir, rel, buf, k * n);
	free(buf);
}

/* A sparse file of @size bytes: a bound is checked without writing what it bounds. */
static void put_sparse(const char *dir, const char *rel, off_t size)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static const uint8_t *md5_of(const char *hex)
{
	static uint8_t out[WARD_MD5_SIZE];

	test_hex(hex, out, sizeof(out));
	return out;
}

/* ---- a database dpkg could have written ---- */

static const char fixture_status[] =
	"Package: alpha\n"
	"Status: install ok installed\n"
	"Priority: optional\n"
	"Architecture: amd64\n"
	"Version: 1.0-1\n"
	"Conffiles:\n"
	" /etc/alpha.conf " M3 "\n"
	" /etc/alpha gone.conf " M4 " obsolete\n"
	" /etc/alpha.new newconffile\n"
	" /etc/alpha.rm " M1 " remove-on-upgrade obsolete\n"
	"Description: the package under test\n"
	" A long description, continued.\n"
	" .\n"
	" Its last line.\n"
	"\n"
	"Package: beta\n"
	"Status: install ok half-configured\n"
	"Architecture: all\n"
	"\n"
	"Package: gamma\n"
	"Status: deinstall ok config-files\n"
	"Architecture: amd64\n"
	"\n"
	"Package: libm\n"
	"Status: install ok installed\n"
	"Architecture: amd64\n"
	"Multi-Arch: same\n"
	"\n"
	"Package: libm\n"
	"Status: install ok installed\n"
	"Architecture: i386\n"
	"Multi-Arch: same\n"
	"\n\n"
	/* Multi-Arch: same, its files named before multiarch: info/delta.list */
	"package: delta\n"
	"status: install ok installed\n"
	"architecture: amd64\n"
	"multi-arch: same\n"
	"\n"
	"Package: epsilon\n"
	"Status: purge ok not-installed\n"
	"\n"
	/* not Multi-Arch: same, so info/zeta:amd64.list is not its */
	"Package: zeta\n"
	"Status: install ok installed\n"
	"Architecture: amd64\n"
	"Multi-Arch: foreign\n";

static const char fixture_list[] = "/.\n"
				   "/usr\n"
				   "/usr/bin\n"
				   "/usr/bin/alpha\n"
				   "/usr/share/alpha/data\n"
				   "/etc/alpha.conf\n"
				   "/etc/alpha.new\n"
				   "/usr/bin/moved\n"
				   "/usr/bin/own\n"
				   "/usr/bin/local\n"
				   "/usr/bin/no md5\n"
				   "/etc/alpha gone.conf\n"
				   "/etc/alpha.rm\n";

static const char fixture_md5sums[] = M1 "  usr/bin/alpha\n"
				      M2 " *usr/share/alpha/data\n"
				      M4 "  ./usr/bin/moved\n"
				      M3 "  /usr/bin/own\n"
				      M2 "  usr/bin/local\n";

static const char fixture_diversions[] = "/usr/bin/moved\n/usr/bin/moved.distrib\nother\n"
					 "/usr/bin/own\n/usr/bin/own.real\nalpha\n"
					 "/usr/bin/local\n/usr/bin/local.orig\n:\n";

static char *fixture(void)
{
	char *dir = test_tmpdir();

	put(dir, "status", fixture_status);
	put(dir, "diversions", fixture_diversions);
	put(dir, "info/alpha.list", fixture_list);
	put(dir, "info/alpha.md5sums", fixture_md5sums);
	put(dir, "info/libm:amd64.list", "/usr/lib/x86_64/libm.so\n");
	put(dir, "info/libm:i386.list", "/usr/lib/i386/libm.so\n");
	put(dir, "info/delta.list", "/.\n/usr/bin/delta\n");
	put(dir, "info/zeta.list", "/usr/bin/zeta\n");
	put(dir, "info/zeta:amd64.list", "/usr/bin/zeta\n");
	return dir;
}

static void test_find(void **state)
{
	static const struct {
		const char *query;
		size_t n;
		struct {
			const char *base, *arch, *info;
			bool conffiles;
		} want[2];
	} rows[] = {
		{ "alpha", 1, { { "alpha", "amd64", "alpha", true } } },
		{ "alpha:amd64", 1, { { "alpha", "amd64", "alpha", true } } },
		/* Multi-Arch: same: one instance per architecture, each with its own info files */
		{ "libm",
		  2,
		  { { "libm", "amd64", "libm:amd64", false },
		    { "libm", "i386", "libm:i386", false } } },
		{ "libm:i386", 1, { { "libm", "i386", "libm:i386", false } } },
		/* field names in any case; no info/delta:amd64.list: the files are delta's */
		{ "delta", 1, { { "delta", "amd64", "delta", false } } },
		{ "zeta", 1, { { "zeta", "amd64", "zeta", false } } },
	};
	char *dir = fixture(), want[PATH_MAX + 64];
	struct ward_dpkg_db *db = NULL;
	struct ward_dpkg_pkg p[WARD_DPKG_INSTANCES_MAX];
	struct ward_diag d = { { 0 } };
	size_t n = 99;

	assert_int_equal(dpkg_db_open(dir, &db, &d), 0);

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		assert_int_equal(dpkg_find(db, rows[i].query, p, &n, &d), 0);
		assert_int_equal(n, rows[i].n);
		for (size_t k = 0; k < n; k++) {
			assert_string_equal(p[k].name, rows[i].query);
			assert_string_equal(p[k].base, rows[i].want[k].base);
			assert_string_equal(p[k].arch, rows[i].want[k].arch);
			assert_string_equal(p[k].info, rows[i].want[k].info);
			assert_true(!p[k].conffiles == !rows[i].want[k].conffiles);
		}
	}
	assert_int_equal(dpkg_find(db, "alpha", p, &n, &d), 0);
	assert_non_null(strstr(p[0].conffiles, "/etc/alpha.conf"));

	/* Errors: nothing is written to p or n. */
	n = 99;
	memset(p, 0x5a, sizeof(p));
	assert_int_equal(dpkg_find(db, "alpha:i386", p, &n, &d), -ENOENT);
	snprintf(want, sizeof(want), "unknown package 'alpha:i386' (not in %s/status)", dir);
	assert_string_equal(d.msg, want);
	assert_int_equal(dpkg_find(db, "nosuch", p, &n, &d), -ENOENT);
	snprintf(want, sizeof(want), "unknown package 'nosuch' (not in %s/status)", dir);
	assert_string_equal(d.msg, want);
	assert_int_equal(dpkg_find(db, "beta", p, &n, &d), -ENOPKG);
	assert_string_equal(d.msg, "package 'beta' is not installed (install ok half-configured)");
	assert_int_equal(dpkg_find(db, "gamma", p, &n, &d), -ENOPKG);
	assert_string_equal(d.msg, "package 'gamma' is not installed (deinstall ok config-files)");
	assert_int_equal(dpkg_find(db, "epsilon", p, &n, &d), -ENOPKG);
	assert_int_equal(n, 99);
	assert_int_equal(p[0].name[0], 0x5a);

	dpkg_db_free(db);
	test_rmtree(dir);
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} rows[] = {
		{ "coreutils", true },	  { "libc6:amd64", true }, { "g++-12", true },
		{ "libstdc++6", true },	  { "0ad", true },	   { "x.y-z+1", true },
		{ "a", false },		  { "", false },	   { "Coreutils", false },
		{ "-x", false },	  { "+x", false },	   { ".x", false },
		{ "../../etc", false },	  { "a/b", false },	   { "a b", false },
		{ "pkg:", false },	  { "pkg:AMD64", false },  { "pkg:a:b", false },
		{ "pkg:x86_64", false },  { ":amd64", false },	   { "pkg:../x", false },
	};
	char longname[256];
	struct ward_dpkg_db *db = NULL;
	struct ward_dpkg_pkg p[WARD_DPKG_INSTANCES_MAX];
	struct ward_diag d = { { 0 } };
	char *dir = fixture();
	size_t n;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		if (dpkg_name_valid(rows[i].name) != rows[i].ok)
			fail_msg("dpkg_name_valid(\"%s\") is not %d", rows[i].name, rows[i].ok);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[200] = '\0';
	assert_true(dpkg_name_valid(longname + 1)); /* 199 bytes */
	assert_false(dpkg_name_valid(longname));    /* 200 */

	assert_int_equal(dpkg_db_open(dir, &db, &d), 0);
	assert_int_equal(dpkg_find(db, "../../etc/passwd", p, &n, &d), -EINVAL);
	assert_string_equal(d.msg, "'../../etc/passwd' is not a Debian package name");
	dpkg_db_free(db);
	test_rmtree(dir);
}

static const struct ward_dpkg_file *file_named(const struct ward_dpkg_files *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].path, path) == 0)
			return &f->v[i];
	fail_msg("%s is not listed", path);
	return NULL;
}

static void test_files(void **state)
{
	static const struct {
		const char *path, *md5, *to, *by;
	} want[] = {
		{ "/usr", NULL, NULL, NULL },
		{ "/usr/bin", NULL, NULL, NULL },
		{ "/usr/bin/alpha", M1, NULL, NULL },
		/* md5sum's binary marker '*' */
		{ "/usr/share/alpha/data", M2, NULL, NULL },
		/* a conffile: the MD5 of its status; one not configured yet has none */
		{ "/etc/alpha.conf", M3, NULL, NULL },
		{ "/etc/alpha.new", NULL, NULL, NULL },
		/* diverted by another package: at its "to"; the MD5 of "./usr/bin/moved" */
		{ "/usr/bin/moved", M4, "/usr/bin/moved.distrib", "other" },
		/* its own diversion moves other packages' files, not its own; "/usr/bin/own" */
		{ "/usr/bin/own", M3, NULL, NULL },
		/* a local diversion (dpkg-divert --local) */
		{ "/usr/bin/local", M2, "/usr/bin/local.orig", ":" },
		{ "/usr/bin/no md5", NULL, NULL, NULL },
		/* flags after the hash, a path with a space */
		{ "/etc/alpha gone.conf", M4, NULL, NULL },
		{ "/etc/alpha.rm", M1, NULL, NULL },
	};
	char *dir = fixture();
	struct ward_dpkg_db *db = NULL;
	struct ward_dpkg_files *f = NULL;
	struct ward_dpkg_pkg p[WARD_DPKG_INSTANCES_MAX];
	struct ward_diag d = { { 0 } };
	char path[PATH_MAX];
	size_t n;

	assert_int_equal(dpkg_db_open(dir, &db, &d), 0);
	assert_int_equal(dpkg_find(db, "alpha", p, &n, &d), 0);
	assert_int_equal(dpkg_files_load(db, &p[0], &f, &d), 0);

	/* Every listed path but "/.", in order, with its MD5 and diversion. */
	assert_int_equal(f->n, ARRAY_SIZE(want));
	for (size_t i = 0; i < f->n; i++) {
		const struct ward_dpkg_file *e = &f->v[i];

		assert_string_equal(e->path, want[i].path);
		assert_int_equal(e->has_md5, want[i].md5 != NULL);
		if (want[i].md5)
			assert_memory_equal(e->md5, md5_of(want[i].md5), WARD_MD5_SIZE);
		assert_int_equal(e->diverted_to != NULL, want[i].to != NULL);
		assert_int_equal(e->diverted_by != NULL, want[i].to != NULL);
		if (want[i].to) {
			assert_string_equal(e->diverted_to, want[i].to);
			assert_string_equal(e->diverted_by, want[i].by);
		}
	}
	dpkg_files_free(f);

	/* Multi-Arch: same reads info/pkg:arch.*; no md5sums file is no MD5s, not an error. */
	assert_int_equal(dpkg_find(db, "libm:i386", p, &n, &d), 0);
	assert_int_equal(dpkg_files_load(db, &p[0], &f, &d), 0);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->v[0].path, "/usr/lib/i386/libm.so");
	assert_false(f->v[0].has_md5);
	dpkg_files_free(f);

	/* No diversions file: none. */
	dpkg_db_free(db);
	snprintf(path, sizeof(path), "%s/diversions", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(dpkg_db_open(dir, &db, &d), 0);
	assert_int_equal(dpkg_find(db, "alpha", p, &n, &d), 0);
	assert_int_equal(dpkg_files_load(db, &p[0], &f, &d), 0);
	assert_null(file_named(f, "/usr/bin/moved")->diverted_to);
	dpkg_files_free(f);
	dpkg_db_free(db);
	test_rmtree(dir);
}

/* ---- damaged databases: one row each, the exact errno and the reason ---- */

#define GOOD "Package: pp\nStatus: install ok installed\nArchitecture: all\n"
#define CONFFILES "status: line 1: package pp: Conffiles line "
#define NO_MD5 "a Conffiles line without an MD5 (\"/path md5\")"
#define NO_PATH "a Conffiles line without an absolute path"
#define M1_UPPER "0123456789ABCDEF0123456789ABCDEF"

static void test_errors(void **state)
{
	static const struct {
		const char *what;
		const char *status, *diversions, *list, *md5sums; /* NULL: the file is absent */
		int err;	/* of dpkg_db_open(), else of dpkg_files_load() of p */
		bool at_load;
		const char *msg; /* after "ADMINDIR/" */
	} rows[] = {
		/* status */
		{ "no Package", "Status: install ok installed\n", NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 1: a stanza without a Package field" },
		{ "a second stanza without Package", GOOD "\nArchitecture: all\nStatus: a b c\n",
		  NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 5: a stanza without a Package field" },
		{ "no Status", "Package: pp\nArchitecture: all\n", NULL, NULL, NULL, -EBADMSG,
		  false, "status: line 1: package pp: no Status field" },
		{ "Status of two words", "Package: pp\nStatus: install installed\n", NULL, NULL,
		  NULL, -EBADMSG, false,
		  "status: line 1: package pp: its Status is not \"want flag state\"" },
		{ "Status of four words", "Package: pp\nStatus: install ok installed x\n", NULL,
		  NULL, NULL, -EBADMSG, false,
		  "status: line 1: package pp: its Status is not \"want flag state\"" },
		{ "Status with two spaces", "Package: pp\nStatus: install  ok installed\n", NULL,
		  NULL, NULL, -EBADMSG, false,
		  "status: line 1: package pp: its Status is not \"want flag state\"" },
		{ "a line without a colon", GOOD "Version 1.0\n", NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 4: not \"Field: value\"" },
		{ "an empty field name", GOOD ": x\n", NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 4: not \"Field: value\"" },
		{ "a field name with a space", GOOD "Ver sion: 1\n", NULL, NULL, NULL, -EBADMSG,
		  false, "status: line 4: not \"Field: value\"" },
		{ "a comment line", "# dpkg status\n" GOOD, NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 1: not \"Field: value\"" },
		{ "a field name starting with -", GOOD "-X: 1\n", NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 4: not \"Field: value\"" },
		{ "a continuation first", " x\n" GOOD, NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 1: a continuation line outside a stanza" },
		{ "a continuation after an empty line", GOOD "\n x\n", NULL, NULL, NULL, -EBADMSG,
		  false, "status: line 5: a continuation line outside a stanza" },
		{ "Package continued", "Package: pp\n q\nStatus: install ok installed\n", NULL,
		  NULL, NULL, -EBADMSG, false,
		  "status: line 2: a continuation of a one-line field" },
		{ "Package twice", GOOD "Package: q\n", NULL, NULL, NULL, -EBADMSG, false,
		  "status: line 4: Package given twice" },
		{ "Status twice, other case", GOOD "STATUS: install ok installed\n", NULL, NULL,
		  NULL, -EBADMSG, false, "status: line 4: STATUS given twice" },
		{ "a bad package name", "Package: P_1\nStatus: install ok installed\n", NULL, NULL,
		  NULL, -EBADMSG, false, "status: line 1: Package 'P_1' is not a package name" },
		{ "a path as package name", "Package: ../x\nStatus: install ok installed\n", NULL,
		  NULL, NULL, -EBADMSG, false,
		  "status: line 1: Package '../x' is not a package name" },
		{ "a bad Architecture",
		  "Package: pp\nStatus: install ok installed\nArchitecture: ../x\n", NULL, NULL,
		  NULL, -EBADMSG, false, "status: line 1: package pp: a bad Architecture" },
		{ "an empty Architecture",
		  "Package: pp\nStatus: install ok installed\nArchitecture:\n", NULL, NULL, NULL,
		  -EBADMSG, false, "status: line 1: package pp: a bad Architecture" },
		{ "a conffile without a hash", GOOD "Conffiles:\n /etc/p.conf " M1 "\n /etc/q\n",
		  NULL, NULL, NULL, -EBADMSG, false, CONFFILES "2: " NO_MD5 },
		{ "a conffile hash in upper case", GOOD "Conffiles:\n /etc/p.conf " M1_UPPER "\n",
		  NULL, NULL, NULL, -EBADMSG, false, CONFFILES "1: " NO_MD5 },
		{ "a relative conffile", GOOD "Conffiles:\n etc/p.conf " M1 "\n", NULL, NULL, NULL,
		  -EBADMSG, false, CONFFILES "1: " NO_PATH },
		{ "a conffile of flags only", GOOD "Conffiles:\n " M1 " obsolete\n", NULL, NULL,
		  NULL, -EBADMSG, false, CONFFILES "1: " NO_PATH },
		/* diversions */
		{ "a diversion cut short", GOOD, "/a\n/b\n", NULL, NULL, -EBADMSG, false,
		  "diversions: line 3: the file ends inside a diversion" },
		{ "a relative diversion", GOOD, "/a\n/b\npp\nc\n/d\npp\n", NULL, NULL, -EBADMSG,
		  false, "diversions: line 4: a diversion of a path that is not absolute" },
		{ "a diversion to /", GOOD, "/a\n/\npp\n", NULL, NULL, -EBADMSG, false,
		  "diversions: line 1: a diversion of a path that is not absolute" },
		{ "a diversion by a bad name", GOOD, "/a\n/b\nP!\n", NULL, NULL, -EBADMSG, false,
		  "diversions: line 3: not a package name (or \":\")" },
		{ "an empty line in diversions", GOOD, "\n/a\n/b\n", NULL, NULL, -EBADMSG, false,
		  "diversions: line 1: a diversion of a path that is not absolute" },
		/* info/pp.list */
		{ "no list", GOOD, NULL, NULL, NULL, -ENOENT, true,
		  "cannot read info/pp.list: No such file or directory" },
		{ "a relative path listed", GOOD, NULL, "/.\nusr/bin/p\n", NULL, -EBADMSG, true,
		  "info/pp.list: line 2: not an absolute path" },
		{ "an empty line listed", GOOD, NULL, "/usr\n\n/usr/bin\n", NULL, -EBADMSG, true,
		  "info/pp.list: line 2: not an absolute path" },
		{ "a .. listed", GOOD, NULL, "/usr/../etc/shadow\n", NULL, -EBADMSG, true,
		  "info/pp.list: line 1: not an absolute path" },
		{ "a . listed", GOOD, NULL, "/usr/./bin\n", NULL, -EBADMSG, true,
		  "info/pp.list: line 1: not an absolute path" },
		{ "a trailing .. listed", GOOD, NULL, "/usr/..\n", NULL, -EBADMSG, true,
		  "info/pp.list: line 1: not an absolute path" },
		/* info/pp.md5sums */
		{ "an md5sums line of one space", GOOD, NULL, "/a\n", M1 " usr/bin/a\n", -EBADMSG,
		  true, "info/pp.md5sums: line 1: not \"md5  path\"" },
		{ "an md5sums line in upper case", GOOD, NULL, "/a\n", M1 "  a\n" M1_UPPER "  b\n",
		  -EBADMSG, true, "info/pp.md5sums: line 2: not \"md5  path\"" },
		{ "a short md5", GOOD, NULL, "/a\n", "0123456789abcdef  a\n", -EBADMSG, true,
		  "info/pp.md5sums: line 1: not \"md5  path\"" },
		{ "an md5 without a path", GOOD, NULL, "/a\n", M1 "  \n", -EBADMSG, true,
		  "info/pp.md5sums: line 1: not \"md5  path\"" },
		{ "an md5 of /", GOOD, NULL, "/a\n", M1 "  /\n", -EBADMSG, true,
		  "info/pp.md5sums: line 1: a bad path" },
		{ "an md5sums empty line", GOOD, NULL, "/a\n", M1 "  a\n\n", -EBADMSG, true,
		  "info/pp.md5sums: line 2: not \"md5  path\"" },
		{ "a tab in md5sums", GOOD, NULL, "/a\n", M1 "\ta\n", -EBADMSG, true,
		  "info/pp.md5sums: line 1: not \"md5  path\"" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char *dir = test_tmpdir(), want[1024];
		struct ward_dpkg_db *db = NULL;
		struct ward_dpkg_files *f = NULL;
		struct ward_dpkg_pkg p[WARD_DPKG_INSTANCES_MAX];
		struct ward_diag d = { { 0 } };
		size_t n;
		int r;

		put(dir, "status", rows[i].status);
		if (rows[i].diversions)
			put(dir, "diversions", rows[i].diversions);
		if (rows[i].list)
			put(dir, "info/pp.list", rows[i].list);
		if (rows[i].md5sums)
			put(dir, "info/pp.md5sums", rows[i].md5sums);
		if (strncmp(rows[i].msg, "cannot read ", 12) == 0)
			snprintf(want, sizeof(want), "cannot read %s/%s", dir, rows[i].msg + 12);
		else
			snprintf(want, sizeof(want), "%s/%s", dir, rows[i].msg);
		r = dpkg_db_open(dir, &db, &d);
		if (rows[i].at_load) {
			if (r != 0)
				fail_msg("%s: dpkg_db_open: %d %s", rows[i].what, r, d.msg);
			assert_int_equal(dpkg_find(db, "pp", p, &n, &d), 0);
			r = dpkg_files_load(db, &p[0], &f, &d);
			assert_null(f);
		} else {
			assert_null(db);
		}
		if (r != rows[i].err || strcmp(d.msg, want) != 0)
			fail_msg("%s: %d \"%s\", want %d \"%s\"", rows[i].what, r, d.msg,
				 rows[i].err, want);
		dpkg_db_free(db);
		test_rmtree(dir);
	}
}

/* ---- what is not text, not a file, or too much ---- */

static int open_err(const char *dir, char *msg)
{
	struct ward_dpkg_db *db = NULL;
	struct ward_diag d = { { 0 } };
	int r = dpkg_db_open(dir, &db, &d);

	snprintf(msg, sizeof(d.msg), "%s", d.msg + (r < 0 && strncmp(d.msg, dir, strlen(dir)) == 0 ?
							    strlen(dir) : 0));
	dpkg_db_free(db);
	return r;
}

static void test_bounds(void **state)
{
	char *dir = test_tmpdir(), msg[512], path[PATH_MAX], *big;
	struct ward_dpkg_db *db = NULL;
	struct ward_dpkg_files *f = NULL;
	struct ward_dpkg_pkg p[WARD_DPKG_INSTANCES_MAX];
	struct ward_diag d = { { 0 } };
	size_t n, len;

	/* No admindir, no status. */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(open_err(path, msg), -ENOENT);
	assert_non_null(strstr(msg, "cannot open "));
	assert_int_equal(open_err(dir, msg), -ENOENT);
	snprintf(path, sizeof(path), "cannot read %s/status: No such file or directory", dir);
	assert_string_equal(msg, path);

	/* A NUL byte would hide what follows it from the parser. */
	put_n(dir, "status", GOOD "\0Package: q\n", sizeof(GOOD "\0Package: q\n") - 1);
	assert_int_equal(open_err(dir, msg), -EBADMSG);
	snprintf(path, sizeof(path), "/status: a NUL byte at offset %zu", sizeof(GOOD) - 1);
	assert_string_equal(msg, path);

	/* A FIFO is refused without blocking; so is a directory. */
	snprintf(path, sizeof(path), "%s/status", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(open_err(dir, msg), -EINVAL);
	assert_string_equal(msg, "/status: not a regular file");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(open_err(dir, msg), -EINVAL);
	assert_int_equal(rmdir(path), 0);

	/* Over WARD_DPKG_FILE_MAX by one byte (sparse: nothing is written); at it, read. */
	put(dir, "status", "");
	put_sparse(dir, "status", (off_t)WARD_DPKG_FILE_MAX + 1);
	assert_int_equal(open_err(dir, msg), -EFBIG);
	assert_string_equal(msg, "/status: larger than 64 MiB");

	/* A line of WARD_DPKG_LINE_MAX + 1 bytes; one of WARD_DPKG_LINE_MAX is read. */
	len = sizeof(GOOD) - 1;
	big = malloc(len + WARD_DPKG_LINE_MAX + 2);
	assert_non_null(big);
	memcpy(big, GOOD "X: ", len + 3);
	memset(big + len + 3, 'x', WARD_DPKG_LINE_MAX - 2);
	big[len + WARD_DPKG_LINE_MAX + 1] = '\n';
	put_n(dir, "status", big, len + WARD_DPKG_LINE_MAX + 2);
	assert_int_equal(open_err(dir, msg), -EBADMSG);
	assert_string_equal(msg, "/status: line 4: longer than 1048576 bytes");
	big[len + WARD_DPKG_LINE_MAX] = '\n';
	put_n(dir, "status", big, len + WARD_DPKG_LINE_MAX + 1);
	assert_int_equal(open_err(dir, msg), 0);
	free(big);

	/* One stanza more than WARD_DPKG_PACKAGES_MAX; as many are read. */
	put_repeated(dir, "status", "Package: pp\nStatus: a b c\n\n", WARD_DPKG_PACKAGES_MAX + 1);
	assert_int_equal(open_err(dir, msg), -E2BIG);
	assert_string_equal(msg, "/status: more than 262144 packages");
	put_repeated(dir, "status", "Package: pp\nStatus: a b c\n\n", WARD_DPKG_PACKAGES_MAX);
	assert_int_equal(open_err(dir, msg), 0);

	/* One diversion more than WARD_DPKG_DIVERSIONS_MAX; as many are read. */
	put(dir, "status", GOOD);
	put_repeated(dir, "diversions", "/from\n/to\npp\n", WARD_DPKG_DIVERSIONS_MAX + 1);
	assert_int_equal(open_err(dir, msg), -E2BIG);
	assert_string_equal(msg, "/diversions: more than 65536 diversions");
	put_repeated(dir, "diversions", "/from\n/to\npp\n", WARD_DPKG_DIVERSIONS_MAX);
	assert_int_equal(open_err(dir, msg), 0);
	put(dir, "diversions", "");

	/* A list of one path more than WARD_DPKG_FILES_MAX; an oversized md5sums. */
	put_repeated(dir, "info/pp.list", "/a\n", WARD_DPKG_FILES_MAX + 1);
	assert_int_equal(dpkg_db_open(dir, &db, &d), 0);
	assert_int_equal(dpkg_find(db, "pp", p, &n, &d), 0);
	assert_int_equal(dpkg_files_load(db, &p[0], &f, &d), -E2BIG);
	snprintf(path, sizeof(path), "%s/info/pp.list: more than 1048576 lines", dir);
	assert_string_equal(d.msg, path);
	put(dir, "info/pp.list", "/a\n");
	put_sparse(dir, "info/pp.md5sums", (off_t)WARD_DPKG_FILE_MAX + 1);
	assert_int_equal(dpkg_files_load(db, &p[0], &f, &d), -EFBIG);
	snprintf(path, sizeof(path), "%s/info/pp.md5sums: larger than 64 MiB", dir);
	assert_string_equal(d.msg, path);
	put(dir, "info/pp.md5sums", M1 "  a\n");
	assert_int_equal(dpkg_files_load(db, &p[0], &f, &d), 0);
	assert_int_equal(f->n, 1);
	assert_true(f->v[0].has_md5);
	dpkg_files_free(f);
	dpkg_db_free(db);
	test_rmtree(dir);
}

/* ---- the MD5 dpkg's is compared with, and the path a file is recorded under ---- */

static void test_measure_md5(void **state)
{
	char *dir = test_tmpdir(), path[PATH_MAX];
	struct ward_digest dg[__WARD_HASH_MAX], dg2[__WARD_HASH_MAX];
	uint8_t md5[WARD_MD5_SIZE], sha256[32];
	uint64_t size = 0;
	int fd;

	put(dir, "abc", "abc");
	snprintf(path, sizeof(path), "%s/abc", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(measure_fd_md5(fd, 1u << WARD_HASH_SHA256 | 1u << WARD_HASH_SHA1, dg, md5,
					&size),
			 0);
	assert_int_equal(size, 3);
	assert_memory_equal(md5, md5_of("900150983cd24fb0d6963f7d28e17f72"), WARD_MD5_SIZE);
	test_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha256, 32);
	assert_memory_equal(dg[WARD_HASH_SHA256].bytes, sha256, 32);
	assert_int_equal(dg[WARD_HASH_SHA256].alg, WARD_HASH_SHA256);
	/* Without an MD5 it is measure_fd(). */
	assert_int_equal(measure_fd_md5(fd, 1u << WARD_HASH_SHA256, dg2, NULL, NULL), 0);
	assert_memory_equal(dg2[WARD_HASH_SHA256].bytes, sha256, 32);
	close(fd);
	/* Nothing is written on failure. */
	memset(md5, 0x5a, sizeof(md5));
	size = 77;
	assert_int_equal(measure_fd_md5(fd, 1u << WARD_HASH_SHA256, dg, md5, &size), -EBADF);
	assert_int_equal(md5[0], 0x5a);
	assert_int_equal(size, 77);
	assert_int_equal(measure_fd_md5(0, 0, dg, md5, &size), -EINVAL);
	test_rmtree(dir);
}

static void test_record_path(void **state)
{
	char *dir = test_tmpdir(), path[PATH_MAX], out[PATH_MAX], want[PATH_MAX + 16];
	char real[PATH_MAX];
	char cwd[PATH_MAX];

	assert_non_null(realpath(dir, real));
	snprintf(path, sizeof(path), "%s/real", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("real", path), 0);
	/* The directory resolved, the last component kept even when it is a symlink. */
	snprintf(path, sizeof(path), "%s/link/f", dir);
	assert_int_equal(measure_record_path(path, out), 0);
	snprintf(want, sizeof(want), "%s/real/f", real);
	assert_string_equal(out, want);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(measure_record_path(path, out), 0);
	snprintf(want, sizeof(want), "%s/link", real);
	assert_string_equal(out, want);
	/* Relative to the working directory. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(measure_record_path("link/f", out), 0);
	snprintf(want, sizeof(want), "%s/real/f", real);
	assert_string_equal(out, want);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(measure_record_path("/usr", out), 0);
	/* Errors leave @out alone. */
	strcpy(out, "untouched");
	assert_int_equal(measure_record_path("/", out), -EINVAL);
	assert_int_equal(measure_record_path("/usr/", out), -EINVAL);
	snprintf(path, sizeof(path), "%s/gone/f", dir);
	assert_int_equal(measure_record_path(path, out), -ENOENT);
	assert_string_equal(out, "untouched");
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),	    cmocka_unit_test(test_names),
		cmocka_unit_test(test_files),	    cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bounds),	    cmocka_unit_test(test_measure_md5),
		cmocka_unit_test(test_record_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
