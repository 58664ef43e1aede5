/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dpkg's database of installed packages, read from its files (dpkg(1), deb-md5sums(5),
 * dpkg-divert(1)), never by running dpkg: which files an installed package shipped, each with
 * the MD5 dpkg recorded at install, diversions applied. `ward policy scan --packages` builds on
 * it. The files are root's, yet they are parsed strictly, within the bounds below: a
 * database that is damaged or not dpkg's is refused, naming the file, line, reason; never
 * guessed at.
 */
#ifndef WARD_DPKG_H
#define WARD_DPKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "ward/measure.h"

/* Where dpkg keeps its database (dpkg --admindir). */
#define WARD_DPKG_ADMINDIR "/var/lib/dpkg"
/* A file of the database read whole: status, diversions, info/PKG.list, info/PKG.md5sums. */
#define WARD_DPKG_FILE_MAX (64u << 20)
/* A line of the status file (Build-Ids lines of large packages run to tens of KiB). */
#define WARD_DPKG_LINE_MAX (1u << 20)
/* Stanzas in the status file. */
#define WARD_DPKG_PACKAGES_MAX (1u << 18)
/* Diversions in the diversions file. */
#define WARD_DPKG_DIVERSIONS_MAX (1u << 16)
/* Paths one package lists (info/PKG.list), and MD5s it records. */
#define WARD_DPKG_FILES_MAX (1u << 20)
/* Installed instances of one name: architectures of a Multi-Arch: same package. */
#define WARD_DPKG_INSTANCES_MAX 16
/* A package name with its ":arch" (Debian policy 5.6.1 allows far less), and its NUL. */
#define WARD_DPKG_NAME_MAX 256

struct ward_dpkg_db;

/* One installed instance of a package, as dpkg_find() returns it. */
struct ward_dpkg_pkg {
	char name[WARD_DPKG_NAME_MAX]; /* as asked: "pkg" or "pkg:arch" */
	char base[WARD_DPKG_NAME_MAX]; /* the package name, without ":arch" */
	char arch[WARD_DPKG_NAME_MAX]; /* its Architecture field ("" when it has none) */
	char info[WARD_DPKG_NAME_MAX]; /* the name of its files in ADMINDIR/info: pkg or pkg:arch */
	const char *conffiles;	       /* its Conffiles field, inside the db; NULL when none */
	size_t conffiles_len;
};

/* One path a package lists. */
struct ward_dpkg_file {
	const char *path;	 /* as listed: absolute */
	const char *diverted_to; /* NULL, or where a diversion by another package or by the local
				  * admin put the package's file */
	const char *diverted_by; /* the diverting package, ":" for the local admin; NULL if none */
	bool has_md5;		 /* dpkg recorded an MD5 (md5sums, or the Conffiles field) */
	uint8_t md5[WARD_MD5_SIZE];
};

/* What dpkg_files_load() returns; its strings are valid while the db is open. */
struct ward_dpkg_files {
	struct ward_dpkg_file *v; /* in the order of info/PKG.list */
	size_t n;
	char *list, *sums, *conf; /* what the strings point into */
};

/**
 * dpkg_name_valid() - is @name a package name (Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+),
 * optionally followed by ":arch" ([a-z0-9-]+), short enough for struct ward_dpkg_pkg?
 * @name: the name.
 *
 * A name is joined into paths below ADMINDIR/info: this is what keeps "../x" out.
 */
bool dpkg_name_valid(const char *name);

/**
 * dpkg_db_open() - read @admindir/status and @admindir/diversions (absent: no diversions).
 * @admindir: the database's directory, normally WARD_DPKG_ADMINDIR; kept open as a directory
 *            fd, which later reads are relative to.
 * @ret_db: the database, on success; free with dpkg_db_free().
 * @d: why it failed ("ADMINDIR/status: line N: reason"), or NULL.
 *
 * Every stanza of status is checked: "Field: value" lines and continuation lines only, a
 * Package (a valid name) and a Status of three words, no field of those ward reads given twice,
 * lines within WARD_DPKG_LINE_MAX. Diversions are "from\nto\npackage\n" triples of absolute
 * paths.
 *
 * Return: 0, -EBADMSG for a malformed file or one holding a NUL byte, -EINVAL for one that is
 * not a regular file, -EFBIG for a file over WARD_DPKG_FILE_MAX, -E2BIG beyond
 * WARD_DPKG_PACKAGES_MAX stanzas or WARD_DPKG_DIVERSIONS_MAX diversions, -ENOMEM, or the
 * open(2)/read(2) errno (-ENOENT: no status file).
 */
int dpkg_db_open(const char *admindir, struct ward_dpkg_db **ret_db, struct ward_diag *d);

/** dpkg_db_free() - free @db (NULL allowed). */
void dpkg_db_free(struct ward_dpkg_db *db);

/**
 * dpkg_find() - the installed instances of @name.
 * @db: the database.
 * @name: "pkg" (every installed architecture of it) or "pkg:arch" (that one).
 * @ret_pkgs: room for WARD_DPKG_INSTANCES_MAX; the instances found, on success.
 * @ret_n: their number (at least 1), on success.
 * @d: why it failed, naming @name, or NULL.
 *
 * Only a package whose state is "installed" is: one unpacked, half-configured or removed with
 * its conffiles left did not (or no longer) ship what its list says.
 *
 * Return: 0, -EINVAL when @name is not a package name, -ENOENT when status has no stanza for it,
 * -ENOPKG when it is known but not installed (@d says its Status), -E2BIG beyond
 * WARD_DPKG_INSTANCES_MAX instances.
 */
int dpkg_find(const struct ward_dpkg_db *db, const char *name, struct ward_dpkg_pkg *ret_pkgs,
	      size_t *ret_n, struct ward_diag *d);

/**
 * dpkg_files_load() - the paths @pkg lists, each with the MD5 dpkg recorded and its diversion.
 * @db: the database @pkg was found in.
 * @pkg: an instance from dpkg_find().
 * @ret_files: the paths of info/INFO.list but "/." (dpkg's entry for the root), in order, on
 *             success; free with dpkg_files_free().
 * @d: why it failed ("ADMINDIR/info/INFO.md5sums: line N: reason"), or NULL.
 *
 * MD5s come from info/INFO.md5sums ("md5  path", the path relative to /; absent: none) and,
 * for conffiles, which md5sums leaves out, from the Conffiles field of status ("/path md5"
 * and optional flags; a conffile not yet configured has the hash "newconffile": no MD5). A
 * file is diverted when a diversion of its path is held by another package or the local admin,
 * not by @pkg itself.
 *
 * Return: 0, -EBADMSG for a list line that is not an absolute path (or "." or ".." within),
 * an md5sums line that is not "32 lower-case hex digits, a space, a space or '*', a path", or
 * a NUL byte; -EINVAL for a file that is not a regular file, -EFBIG for one over
 * WARD_DPKG_FILE_MAX, -E2BIG beyond WARD_DPKG_FILES_MAX lines, -ENOMEM, or the open(2)/read(2)
 * errno (-ENOENT: no list file). A malformed Conffiles field is found by dpkg_db_open().
 */
int dpkg_files_load(const struct ward_dpkg_db *db, const struct ward_dpkg_pkg *pkg,
		    struct ward_dpkg_files **ret_files, struct ward_diag *d);

/** dpkg_files_free() - free @files (NULL allowed). */
void dpkg_files_free(struct ward_dpkg_files *files);

#endif
