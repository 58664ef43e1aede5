/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the dpkg database reader (`ward policy scan --packages` input). The input is up
 * to four files separated by NUL bytes (a NUL is refused inside any of them anyway): status,
 * diversions, info/pp.list, info/pp.md5sums; a part left out is a file absent. They are written
 * to a private admindir, read back through the library, then package "pp" looked up: whatever
 * is accepted must hold only well-formed paths, instances, diversions.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "fuzz.h"
#include "ward/dpkg.h"
#include "ward/limits.h"

static const char *const part_names[] = {
	"status",
	"diversions",
	"info/pp.list",
	"info/pp.md5sums",
};

static char fuzz_dir[] = "/tmp/ward-fuzz-dpkg-XXXXXX";

static void admindir_remove(void)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(part_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, part_names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/info", fuzz_dir);
	rmdir(path);
	rmdir(fuzz_dir);
}

/* Made once per process, removed at its exit. */
static const char *admindir(void)
{
	static bool made;
	char info[sizeof(fuzz_dir) + 8];

	if (!made) {
		FUZZ_ASSERT(mkdtemp(fuzz_dir));
		snprintf(info, sizeof(info), "%s/info", fuzz_dir);
		FUZZ_ASSERT(mkdir(info, 0700) == 0);
		FUZZ_ASSERT(atexit(admindir_remove) == 0);
		made = true;
	}
	return fuzz_dir;
}

static void put(const char *dir, const char *name, const uint8_t *p, size_t n, bool present)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!present) {
		FUZZ_ASSERT(unlink(path) == 0 || errno == ENOENT);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write_all(fd, p, n) == 0);
	close(fd);
}

static void check_files(const struct ward_dpkg_pkg *pkg, const struct ward_dpkg_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct ward_dpkg_file *e = &f->v[i];

		FUZZ_ASSERT(e->path[0] == '/' && strcmp(e->path, "/.") != 0);
		FUZZ_ASSERT(strlen(e->path) < WARD_PATH_MAX);
		FUZZ_ASSERT(!strstr(e->path, "/../") && !strstr(e->path, "/./"));
		FUZZ_ASSERT(!e->diverted_to == !e->diverted_by);
		if (e->diverted_to) {
			FUZZ_ASSERT(e->diverted_to[0] == '/');
			FUZZ_ASSERT(strcmp(e->diverted_by, pkg->base) != 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "pp", "pp:amd64", "pp:all" };
	const char *dir = admindir();
	const uint8_t *p = data, *end = data + size;
	struct ward_dpkg_db *db = NULL;
	struct ward_diag d = { { 0 } };
	int r;

	if (size > FUZZ_INPUT_MAX)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(part_names); i++) {
		const uint8_t *nul = p ? memchr(p, 0, (size_t)(end - p)) : NULL;
		const uint8_t *pe = nul ? nul : end;

		/* status is always written; the others only when their part is there */
		put(dir, part_names[i], p ? p : data, p ? (size_t)(pe - p) : 0, p || i == 0);
		p = nul ? nul + 1 : NULL;
	}
	r = dpkg_db_open(dir, &db, &d);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -E2BIG);
	if (r < 0) {
		FUZZ_ASSERT(d.msg[0] && !db);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct ward_dpkg_pkg pkgs[WARD_DPKG_INSTANCES_MAX];
		size_t n = 0;

		r = dpkg_find(db, names[i], pkgs, &n, &d);
		FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -ENOPKG || r == -E2BIG);
		if (r < 0)
			continue;
		FUZZ_ASSERT(n >= 1 && n <= WARD_DPKG_INSTANCES_MAX);
		for (size_t k = 0; k < n; k++) {
			struct ward_dpkg_files *f = NULL;

			FUZZ_ASSERT(strcmp(pkgs[k].base, "pp") == 0);
			FUZZ_ASSERT(strcmp(pkgs[k].info, "pp") == 0 ||
				    (strncmp(pkgs[k].info, "pp:", 3) == 0 &&
				     strcmp(pkgs[k].info + 3, pkgs[k].arch) == 0));
			r = dpkg_files_load(db, &pkgs[k], &f, &d);
			FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENOENT || r == -E2BIG);
			if (r < 0) {
				FUZZ_ASSERT(d.msg[0] && !f);
				continue;
			}
			check_files(&pkgs[k], f);
			dpkg_files_free(f);
		}
	}
	dpkg_db_free(db);
	return 0;
}
