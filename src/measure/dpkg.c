/* SPDX-License-Identifier: Apache-2.0 */
/* Reading dpkg's database from its files (ward/dpkg.h). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "ward/dpkg.h"
#include "ward/limits.h"

/* A span of the status file: a field's value, continuation lines included. */
struct span {
	const char *p;
	size_t n;
};

struct stanza {
	struct span package, arch, multi_arch, status, conffiles;
	size_t line; /* where it starts, for messages */
};

struct diversion {
	const char *from, *to, *by;
};

struct ward_dpkg_db {
	int dirfd;
	char *admindir;
	char *status, *diversions;
	struct stanza *st;
	size_t n_st;
	struct diversion *div; /* sorted by from */
	size_t n_div;
};

/* A path dpkg lists, with the MD5 recorded for it (the path without its leading '/'). */
struct sum {
	const char *path;
	uint8_t md5[WARD_MD5_SIZE];
};

struct sums {
	struct sum *v;
	size_t n, cap;
};

static bool span_is(struct span s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

/* Grow @*v (of @*cap elements of @size) to hold one more than @n, at most @max in all. */
static int grow(void **v, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -E2BIG;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > max)
		ncap = max;
	nv = reallocarray(*v, ncap, size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static bool name_chars(const char *s, size_t n, bool arch)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      (!arch && (c == '+' || c == '.'))))
			return false;
	}
	return true;
}

/* Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+; the length also bounds the paths it is put in. */
static bool base_valid(const char *s, size_t n)
{
	return n >= 2 && n < 200 &&
	       ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) &&
	       name_chars(s, n, false);
}

/* An architecture: "amd64", "all", "musl-linux-arm64". */
static bool arch_valid(const char *s, size_t n)
{
	return n >= 1 && n < 50 && name_chars(s, n, true);
}

bool dpkg_name_valid(const char *name)
{
	const char *colon = strchr(name, ':');

	if (!colon)
		return base_valid(name, strlen(name));
	return base_valid(name, (size_t)(colon - name)) && arch_valid(colon + 1, strlen(colon + 1));
}

static bool md5_hex(const char *s, size_t n, uint8_t *out)
{
	size_t got;

	return n == 2 * WARD_MD5_SIZE && hex_decode(s, n, out, WARD_MD5_SIZE, &got) == 0 &&
	       got == WARD_MD5_SIZE;
}

/* "ADMINDIR/FILE: line N: WHY": where a malformed file is wrong. */
static int bad_line(struct ward_diag *d, const struct ward_dpkg_db *db, const char *file,
		    size_t line, const char *why)
{
	return diag_set(d, -EBADMSG, "%s/%s: line %zu: %s", db->admindir, file, line, why);
}

/*
 * @name below the database's directory, whole. A FIFO or device put there is refused, never
 * read (it could block or never end); a NUL byte is refused, since the parsers work on C
 * strings and would otherwise see less than the file holds.
 */
static int db_read(const struct ward_dpkg_db *db, const char *name, bool optional, char **ret,
		   size_t *ret_len, struct ward_diag *d)
{
	_cleanup_close_ int fd =
	    openat(db->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	uint8_t *buf = NULL, *nul;
	struct stat st;
	size_t len;
	int r;

	if (fd < 0 && errno == ENOENT && optional) {
		if (!(*ret = strdup("")))
			return -ENOMEM;
		*ret_len = 0;
		return 0;
	}
	if (fd < 0 || fstat(fd, &st) < 0)
		return diag_set(d, -errno, "cannot read %s/%s: %s", db->admindir, name,
				strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_set(d, -EINVAL, "%s/%s: not a regular file", db->admindir, name);
	if (st.st_size > (off_t)WARD_DPKG_FILE_MAX)
		return diag_set(d, -EFBIG, "%s/%s: larger than %u MiB", db->admindir, name,
				WARD_DPKG_FILE_MAX >> 20);
	r = read_fd_full(fd, WARD_DPKG_FILE_MAX, &buf, &len);
	if (r == -EFBIG)
		return diag_set(d, r, "%s/%s: larger than %u MiB", db->admindir, name,
				WARD_DPKG_FILE_MAX >> 20);
	if (r < 0)
		return diag_set(d, r, "cannot read %s/%s: %s", db->admindir, name, strerror(-r));
	nul = memchr(buf, 0, len);
	if (nul) {
		r = diag_set(d, -EBADMSG, "%s/%s: a NUL byte at offset %zu", db->admindir, name,
			     (size_t)(nul - buf));
		free(buf);
		return r;
	}
	*ret = (char *)buf;
	*ret_len = len;
	return 0;
}

/*
 * The next line of the buffer at @*s, split off in place (its newline becomes a NUL); a last
 * line without its newline counts too. Return: the line, or NULL at the end.
 */
static char *next_line(char **s)
{
	char *l = *s, *nl;

	if (!*l)
		return NULL;
	nl = strchr(l, '\n');
	if (nl) {
		*nl = '\0';
		*s = nl + 1;
	} else {
		*s = l + strlen(l);
	}
	return l;
}

/*
 * One line of a Conffiles field, leading blanks skipped: "/path hash", then optional flags
 * (dpkg's f_conffiles: "obsolete", "remove-on-upgrade"). A path may hold spaces, so the line is
 * read from its end. The hash of a conffile not configured yet is a word such as
 * "newconffile": no MD5, not an error. Return: 0, or -EBADMSG with @ret_why.
 */
static int conffile_parse(const char *l, size_t n, size_t *ret_path_len, bool *ret_has_md5,
			  uint8_t *ret_md5, const char **ret_why)
{
	size_t end = n, start;
	bool lower = true;

	for (int flags = 0;; flags++) {
		while (end > 0 && (l[end - 1] == ' ' || l[end - 1] == '\t'))
			end--;
		start = end;
		while (start > 0 && l[start - 1] != ' ' && l[start - 1] != '\t')
			start--;
		if (flags < 2 &&
		    ((end - start == 8 && memcmp(l + start, "obsolete", 8) == 0) ||
		     (end - start == 17 && memcmp(l + start, "remove-on-upgrade", 17) == 0))) {
			end = start;
			continue;
		}
		break;
	}
	for (size_t i = start; i < end; i++)
		lower &= l[i] >= 'a' && l[i] <= 'z';
	*ret_has_md5 = md5_hex(l + start, end - start, ret_md5);
	if (start == end || (!*ret_has_md5 && !lower)) {
		*ret_why = "a Conffiles line without an MD5 (\"/path md5\")";
		return -EBADMSG;
	}
	end = start;
	while (end > 0 && (l[end - 1] == ' ' || l[end - 1] == '\t'))
		end--;
	if (end < 2 || l[0] != '/' || end >= WARD_PATH_MAX) {
		*ret_why = "a Conffiles line without an absolute path";
		return -EBADMSG;
	}
	*ret_path_len = end;
	return 0;
}

/* Every line of a Conffiles value, checked: errors are the status file's, found at open. */
static int conffiles_check(struct span v, size_t *ret_bad, const char **ret_why)
{
	const char *p = v.p, *end = v.p + v.n;
	size_t i = 0;

	for (; p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		size_t plen;
		bool has;
		uint8_t md5[WARD_MD5_SIZE];

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (p < le && conffile_parse(p, (size_t)(le - p), &plen, &has, md5, ret_why) < 0) {
			*ret_bad = i;
			return -EBADMSG;
		}
		p = le + 1;
	}
	return 0;
}

/* A field name (deb822): printable ASCII but space and ':', not starting with '#' or '-'. */
static bool field_name_valid(const char *s, size_t n)
{
	if (n == 0 || s[0] == '#' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ':')
			return false;
	return true;
}

/* "want flag state", each a lower-case word. */
static bool status_valid(struct span s, struct span *ret_state)
{
	const char *p = s.p, *end = s.p + s.n;

	for (int w = 0; w < 3; w++) {
		const char *start = p;

		while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '-'))
			p++;
		if (p == start || (w < 2 && (p == end || *p != ' ')))
			return false;
		if (w == 2) {
			ret_state->p = start;
			ret_state->n = (size_t)(p - start);
		}
		if (w < 2)
			p++;
	}
	return p == end;
}

static int stanza_check(const struct ward_dpkg_db *db, const struct stanza *s, struct ward_diag *d)
{
	struct span state;
	const char *why;
	size_t bad;

	if (!s->package.p)
		return bad_line(d, db, "status", s->line, "a stanza without a Package field");
	if (!base_valid(s->package.p, s->package.n))
		return diag_set(d, -EBADMSG,
				"%s/status: line %zu: Package '%.*s' is not a package name",
				db->admindir, s->line, (int)(s->package.n < 64 ? s->package.n : 64),
				s->package.p);
	if (!s->status.p || !status_valid(s->status, &state))
		return diag_set(d, -EBADMSG, "%s/status: line %zu: package %.*s: %s", db->admindir,
				s->line, (int)s->package.n, s->package.p,
				s->status.p ? "its Status is not \"want flag state\""
					    : "no Status field");
	if (s->arch.p && !arch_valid(s->arch.p, s->arch.n))
		return diag_set(d, -EBADMSG,
				"%s/status: line %zu: package %.*s: a bad Architecture",
				db->admindir, s->line, (int)s->package.n, s->package.p);
	if (s->conffiles.p && conffiles_check(s->conffiles, &bad, &why) < 0)
		return diag_set(d, -EBADMSG,
				"%s/status: line %zu: package %.*s: Conffiles line %zu: %s",
				db->admindir, s->line, (int)s->package.n, s->package.p, bad, why);
	return 0;
}

/* The fields ward reads: each given at most once, all but Conffiles on one line. */
static struct span *stanza_field(struct stanza *s, const char *name, size_t n, bool *ret_multiline)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "Package", offsetof(struct stanza, package) },
		{ "Architecture", offsetof(struct stanza, arch) },
		{ "Multi-Arch", offsetof(struct stanza, multi_arch) },
		{ "Status", offsetof(struct stanza, status) },
		{ "Conffiles", offsetof(struct stanza, conffiles) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (strlen(fields[i].name) == n && strncasecmp(fields[i].name, name, n) == 0) {
			*ret_multiline = i == ARRAY_SIZE(fields) - 1;
			return (struct span *)((char *)s + fields[i].off);
		}
	return NULL;
}

static int stanza_add(struct ward_dpkg_db *db, const struct stanza *s, size_t *cap,
		      struct ward_diag *d)
{
	int r = stanza_check(db, s, d);

	if (r < 0)
		return r;
	r = grow((void **)&db->st, cap, db->n_st, sizeof(*db->st), WARD_DPKG_PACKAGES_MAX);
	if (r == -E2BIG)
		return diag_set(d, r, "%s/status: more than %u packages", db->admindir,
				WARD_DPKG_PACKAGES_MAX);
	if (r < 0)
		return r;
	db->st[db->n_st++] = *s;
	return 0;
}

/*
 * Stanzas of "Field: value" lines, continuation lines starting with a blank, separated by
 * empty lines (deb822(5)). Values are spans of the buffer, trailing blanks left out.
 */
static int parse_status(struct ward_dpkg_db *db, size_t len, struct ward_diag *d)
{
	const char *s = db->status, *end = s + len;
	struct stanza cur = { 0 };
	struct span *field = NULL; /* the field continuation lines extend, when ward reads it */
	bool in = false, multiline = false;
	size_t line = 0, cap = 0;
	int r;

	for (; s < end; line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end, *colon;

		if ((size_t)(le - s) > WARD_DPKG_LINE_MAX)
			return diag_set(d, -EBADMSG, "%s/status: line %zu: longer than %u bytes",
					db->admindir, line + 1, WARD_DPKG_LINE_MAX);
		if (le == s) {
			if (in && (r = stanza_add(db, &cur, &cap, d)) < 0)
				return r;
			in = false;
			field = NULL;
		} else if (*s == ' ' || *s == '\t') {
			if (!in)
				return bad_line(d, db, "status", line + 1,
						"a continuation line outside a stanza");
			if (field && !multiline)
				return bad_line(d, db, "status", line + 1,
						"a continuation of a one-line field");
			if (field)
				field->n = (size_t)(le - field->p);
		} else {
			bool ml = false;

			colon = memchr(s, ':', (size_t)(le - s));
			if (!colon || !field_name_valid(s, (size_t)(colon - s)))
				return bad_line(d, db, "status", line + 1, "not \"Field: value\"");
			if (!in) {
				cur = (struct stanza){ .line = line + 1 };
				in = true;
			}
			field = stanza_field(&cur, s, (size_t)(colon - s), &ml);
			multiline = ml;
			if (field && field->p)
				return diag_set(d, -EBADMSG,
						"%s/status: line %zu: %.*s given twice",
						db->admindir, line + 1, (int)(colon - s), s);
			if (field) {
				field->p = colon + 1;
				while (field->p < le && (*field->p == ' ' || *field->p == '\t'))
					field->p++;
				field->n = (size_t)(le - field->p);
			}
		}
		if (field)
			while (field->n &&
			       (field->p[field->n - 1] == ' ' || field->p[field->n - 1] == '\t'))
				field->n--;
		s = nl ? nl + 1 : end;
	}
	if (in)
		return stanza_add(db, &cur, &cap, d);
	return 0;
}

static int div_cmp(const void *a, const void *b)
{
	return strcmp(((const struct diversion *)a)->from, ((const struct diversion *)b)->from);
}

static bool abs_path_ok(const char *p)
{
	return p[0] == '/' && p[1] && strlen(p) < WARD_PATH_MAX;
}

/* "from\nto\npackage\n" triples; the package is ":" for a local diversion (dpkg-divert(1)). */
static int parse_diversions(struct ward_dpkg_db *db, struct ward_diag *d)
{
	char *s = db->diversions, *l[3];
	size_t cap = 0, line = 0;
	int r;

	for (;;) {
		for (int i = 0; i < 3; i++) {
			l[i] = next_line(&s);
			if (!l[i] && i == 0)
				goto done;
			if (!l[i])
				return bad_line(d, db, "diversions", line + 1,
						"the file ends inside a diversion");
			line++;
		}
		if (!abs_path_ok(l[0]) || !abs_path_ok(l[1]))
			return bad_line(d, db, "diversions", line - 2,
					"a diversion of a path that is not absolute");
		if (strcmp(l[2], ":") != 0 && !base_valid(l[2], strlen(l[2])))
			return bad_line(d, db, "diversions", line, "not a package name (or \":\")");
		r = grow((void **)&db->div, &cap, db->n_div, sizeof(*db->div),
			 WARD_DPKG_DIVERSIONS_MAX);
		if (r == -E2BIG)
			return diag_set(d, r, "%s/diversions: more than %u diversions",
					db->admindir, WARD_DPKG_DIVERSIONS_MAX);
		if (r < 0)
			return r;
		db->div[db->n_div++] = (struct diversion){ l[0], l[1], l[2] };
	}
done:
	if (db->n_div)
		qsort(db->div, db->n_div, sizeof(*db->div), div_cmp);
	return 0;
}

void dpkg_db_free(struct ward_dpkg_db *db)
{
	if (!db)
		return;
	if (db->dirfd >= 0)
		close(db->dirfd);
	free(db->admindir);
	free(db->status);
	free(db->diversions);
	free(db->st);
	free(db->div);
	free(db);
}

int dpkg_db_open(const char *admindir, struct ward_dpkg_db **ret_db, struct ward_diag *d)
{
	struct ward_dpkg_db *db = calloc(1, sizeof(*db));
	size_t len;
	int r;

	if (!db)
		return -ENOMEM;
	db->dirfd = open(admindir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (db->dirfd < 0) {
		r = diag_set(d, -errno, "cannot open %s: %s", admindir, strerror(errno));
		goto fail;
	}
	r = -ENOMEM;
	if (!(db->admindir = strdup(admindir)))
		goto fail;
	if ((r = db_read(db, "status", false, &db->status, &len, d)) < 0 ||
	    (r = parse_status(db, len, d)) < 0 ||
	    (r = db_read(db, "diversions", true, &db->diversions, &len, d)) < 0 ||
	    (r = parse_diversions(db, d)) < 0)
		goto fail;
	*ret_db = db;
	return 0;
fail:
	dpkg_db_free(db);
	return r;
}

static void span_copy(char *out, size_t max, struct span s)
{
	snprintf(out, max, "%.*s", (int)(s.n < max ? s.n : max - 1), s.p);
}

int dpkg_find(const struct ward_dpkg_db *db, const char *name, struct ward_dpkg_pkg *ret_pkgs,
	      size_t *ret_n, struct ward_diag *d)
{
	const char *colon = strchr(name, ':');
	size_t blen = colon ? (size_t)(colon - name) : strlen(name), n = 0;
	_cleanup_free_ struct ward_dpkg_pkg *out = NULL;
	const struct stanza *not_installed = NULL;
	bool known = false;

	if (!dpkg_name_valid(name))
		return diag_set(d, -EINVAL, "'%s' is not a Debian package name", name);
	out = calloc(WARD_DPKG_INSTANCES_MAX, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < db->n_st; i++) {
		const struct stanza *s = &db->st[i];
		struct span state = { 0 };
		struct ward_dpkg_pkg *p;
		char list[2 * WARD_DPKG_NAME_MAX + 16];

		if (s->package.n != blen || memcmp(s->package.p, name, blen) != 0)
			continue;
		if (colon && !span_is(s->arch, colon + 1))
			continue;
		known = true;
		/* Only a fully installed package shipped what its list says. */
		status_valid(s->status, &state);
		if (!span_is(state, "installed")) {
			not_installed = s;
			continue;
		}
		if (n == WARD_DPKG_INSTANCES_MAX)
			return diag_set(d, -E2BIG, "'%s': more than %d installed instances", name,
					WARD_DPKG_INSTANCES_MAX);
		p = &out[n++];
		snprintf(p->name, sizeof(p->name), "%s", name);
		span_copy(p->base, sizeof(p->base), s->package);
		span_copy(p->arch, sizeof(p->arch), s->arch);
		/* dpkg names the files of a Multi-Arch: same package pkg:arch. */
		snprintf(p->info, sizeof(p->info), "%s", p->base);
		snprintf(list, sizeof(list), "info/%s:%s.list", p->base, p->arch);
		if (span_is(s->multi_arch, "same") && p->arch[0] &&
		    faccessat(db->dirfd, list, F_OK, 0) == 0)
			snprintf(p->info, sizeof(p->info), "%.199s:%.49s", p->base, p->arch);
		p->conffiles = s->conffiles.p;
		p->conffiles_len = s->conffiles.n;
	}
	if (!known)
		return diag_set(d, -ENOENT, "unknown package '%s' (not in %s/status)", name,
				db->admindir);
	if (n == 0)
		return diag_set(d, -ENOPKG, "package '%s' is not installed (%.*s)", name,
				(int)not_installed->status.n, not_installed->status.p);
	memcpy(ret_pkgs, out, n * sizeof(*out));
	*ret_n = n;
	return 0;
}

static int sum_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sum *)a)->path, ((const struct sum *)b)->path);
}

static int sums_add(struct sums *s, const char *path, const uint8_t *md5)
{
	int r = grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v), WARD_DPKG_FILES_MAX);

	if (r < 0)
		return r;
	s->v[s->n].path = path;
	memcpy(s->v[s->n].md5, md5, WARD_MD5_SIZE);
	s->n++;
	return 0;
}

/*
 * "md5  path" lines (deb-md5sums(5); md5sum's binary marker '*' accepted in place of the second
 * space). The path is relative to /; leading "/" and "./" are dropped, as dpkg does.
 */
static int parse_md5sums(const struct ward_dpkg_db *db, const char *name, char *buf, struct sums *s,
			 struct ward_diag *d)
{
	size_t line = 0;
	char *l;
	int r;

	while ((l = next_line(&buf))) {
		uint8_t md5[WARD_MD5_SIZE];
		char *path = l + 2 * WARD_MD5_SIZE + 2;

		line++;
		if (strlen(l) <= 2 * WARD_MD5_SIZE + 2 || !md5_hex(l, 2 * WARD_MD5_SIZE, md5) ||
		    l[2 * WARD_MD5_SIZE] != ' ' ||
		    (l[2 * WARD_MD5_SIZE + 1] != ' ' && l[2 * WARD_MD5_SIZE + 1] != '*'))
			return bad_line(d, db, name, line, "not \"md5  path\"");
		while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
			path += path[0] == '/' ? 1 : 2;
		if (!path[0] || strlen(path) >= WARD_PATH_MAX)
			return bad_line(d, db, name, line, "a bad path");
		r = sums_add(s, path, md5);
		if (r == -E2BIG)
			return diag_set(d, r, "%s/%s: more than %u lines", db->admindir, name,
					WARD_DPKG_FILES_MAX);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The Conffiles field, checked when status was read: only the MD5s are taken here. */
static int parse_conffiles(struct ward_dpkg_files *f, const struct ward_dpkg_pkg *pkg,
			   struct sums *s)
{
	char *buf, *l;
	int r;

	if (!pkg->conffiles)
		return 0;
	f->conf = buf = strndup(pkg->conffiles, pkg->conffiles_len);
	if (!buf)
		return -ENOMEM;
	while ((l = next_line(&buf))) {
		const char *why;
		size_t plen;
		bool has;
		uint8_t md5[WARD_MD5_SIZE];

		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l || conffile_parse(l, strlen(l), &plen, &has, md5, &why) < 0 || !has)
			continue;
		l[plen] = '\0';
		if ((r = sums_add(s, l + 1, md5)) < 0)
			return r;
	}
	return 0;
}

/* A listed path: absolute, no "." or ".." component, within WARD_PATH_MAX. */
static bool list_path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) >= WARD_PATH_MAX)
		return false;
	for (const char *c = p + 1; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c)
			c++;
	}
	return true;
}

static const struct diversion *diverted(const struct ward_dpkg_db *db, const char *path)
{
	struct diversion key = { .from = path };

	return db->n_div ? bsearch(&key, db->div, db->n_div, sizeof(*db->div), div_cmp) : NULL;
}

static int files_fill(struct ward_dpkg_files *f, const struct ward_dpkg_db *db,
		      const struct ward_dpkg_pkg *pkg, const char *name, const struct sums *s,
		      struct ward_diag *d)
{
	size_t cap = 0, line = 0;
	char *buf = f->list, *l;
	int r;

	while ((l = next_line(&buf))) {
		struct ward_dpkg_file *e;
		const struct diversion *dv;
		const struct sum *sum;
		struct sum key = { .path = l + 1 };

		line++;
		if (strcmp(l, "/.") == 0)
			continue;
		if (!list_path_ok(l))
			return bad_line(d, db, name, line, "not an absolute path");
		r = grow((void **)&f->v, &cap, f->n, sizeof(*f->v), WARD_DPKG_FILES_MAX);
		if (r == -E2BIG)
			return diag_set(d, r, "%s/%s: more than %u lines", db->admindir, name,
					WARD_DPKG_FILES_MAX);
		if (r < 0)
			return r;
		e = &f->v[f->n++];
		*e = (struct ward_dpkg_file){ .path = l };
		sum = s->n ? bsearch(&key, s->v, s->n, sizeof(*s->v), sum_cmp) : NULL;
		if (sum) {
			e->has_md5 = true;
			memcpy(e->md5, sum->md5, WARD_MD5_SIZE);
		}
		/* A package's own diversion moves other packages' files out of its way, not its
		 * own (dpkg-divert --package). */
		dv = diverted(db, l);
		if (dv && strcmp(dv->by, pkg->base) != 0) {
			e->diverted_to = dv->to;
			e->diverted_by = dv->by;
		}
	}
	return 0;
}

void dpkg_files_free(struct ward_dpkg_files *f)
{
	if (!f)
		return;
	free(f->v);
	free(f->list);
	free(f->sums);
	free(f->conf);
	free(f);
}

int dpkg_files_load(const struct ward_dpkg_db *db, const struct ward_dpkg_pkg *pkg,
		    struct ward_dpkg_files **ret_files, struct ward_diag *d)
{
	struct ward_dpkg_files *f = calloc(1, sizeof(*f));
	struct sums s = { 0 };
	char list[WARD_DPKG_NAME_MAX + 16], sums[WARD_DPKG_NAME_MAX + 16];
	size_t len;
	int r;

	if (!f)
		return -ENOMEM;
	snprintf(list, sizeof(list), "info/%s.list", pkg->info);
	snprintf(sums, sizeof(sums), "info/%s.md5sums", pkg->info);
	if ((r = db_read(db, list, false, &f->list, &len, d)) < 0 ||
	    (r = db_read(db, sums, true, &f->sums, &len, d)) < 0 ||
	    (r = parse_md5sums(db, sums, f->sums, &s, d)) < 0 ||
	    (r = parse_conffiles(f, pkg, &s)) < 0)
		goto out;
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), sum_cmp);
	if ((r = files_fill(f, db, pkg, list, &s, d)) < 0)
		goto out;
	*ret_files = TAKE_PTR(f);
out:
	free(s.v);
	dpkg_files_free(f);
	return r;
}
