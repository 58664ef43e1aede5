/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the sandbox manifest (a service's owner writes it; wardd and clients read it).
 * Whatever parses must be a manifest the sandbox can run as it stands: a program given by an
 * absolute path, lists within their bounds and NULL-terminated, every bound in range, scratch
 * within memory, env sorted, and the digest of exactly the input bytes.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/hash.h"
#include "ward/manifest.h"

static void check_paths(char **v, size_t n, size_t max, bool root_ok)
{
	FUZZ_ASSERT(n <= max);
	FUZZ_ASSERT(n == 0 || v);
	if (!v)
		return;
	FUZZ_ASSERT(!v[n]);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]);

		FUZZ_ASSERT(v[i][0] == '/' && len <= WARD_MANIFEST_STR_MAX);
		FUZZ_ASSERT(root_ok || len > 1);
		FUZZ_ASSERT(len == 1 || v[i][len - 1] != '/');
		FUZZ_ASSERT(!strstr(v[i], "//") && !strstr(v[i], "/./") && !strstr(v[i], "/../"));
		for (size_t k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(v[i], v[k]) != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_manifest *m = NULL;
	struct ward_diag d = { { 0 } };
	uint8_t digest[WARD_HASH_MAX_SIZE];
	char hex[65], want[65];
	size_t nl;
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;

	err = manifest_parse(data, size, &m, &d);
	FUZZ_ASSERT(err == 0 || err == -EINVAL || err == -E2BIG);
	if (size > WARD_MANIFEST_MAX_BYTES)
		FUZZ_ASSERT(err == -E2BIG);
	if (err < 0) {
		FUZZ_ASSERT(!m && d.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(m);

	nl = strnlen(m->name, sizeof(m->name));
	FUZZ_ASSERT(nl >= 1 && nl < WARD_SERVICE_NAME_MAX);
	FUZZ_ASSERT(strspn(m->name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == nl);
	FUZZ_ASSERT(m->name[0] != '.' && m->name[0] != '_' && m->name[0] != '-');

	FUZZ_ASSERT(m->argc >= 1 && m->argc <= WARD_MANIFEST_ARGV_MAX);
	FUZZ_ASSERT(m->argv && m->argv[0] && m->argv[0][0] == '/' && !m->argv[m->argc]);
	for (size_t i = 0; i < m->argc; i++)
		FUZZ_ASSERT(strlen(m->argv[i]) <= WARD_MANIFEST_STR_MAX);
	check_paths(m->code, m->n_code, WARD_MANIFEST_CODE_MAX, false);
	check_paths(m->files, m->n_files, WARD_MANIFEST_FILES_MAX, false);
	check_paths(m->measure, m->n_measure, WARD_MANIFEST_MEASURE_MAX, true);

	FUZZ_ASSERT(m->n_env <= WARD_MANIFEST_ENV_MAX);
	FUZZ_ASSERT(m->n_env == 0 || (m->env && !m->env[m->n_env]));
	for (size_t i = 0; i < m->n_env; i++) {
		const char *eq = strchr(m->env[i], '=');

		FUZZ_ASSERT(eq && eq > m->env[i] && strncmp(m->env[i], "WARD_", 5) != 0);
		FUZZ_ASSERT(strlen(m->env[i]) <= WARD_MANIFEST_STR_MAX);
		if (i > 0) {
			size_t a = (size_t)(strchr(m->env[i - 1], '=') - m->env[i - 1]);
			size_t b = (size_t)(eq - m->env[i]);
			int c = memcmp(m->env[i - 1], m->env[i], a < b ? a : b);

			FUZZ_ASSERT(c < 0 || (c == 0 && a < b));
		}
	}

	FUZZ_ASSERT(m->memory_mb >= 16 && m->memory_mb <= 65536);
	FUZZ_ASSERT(m->threads >= 1 && m->threads <= 1024);
	FUZZ_ASSERT(m->cpu_percent >= 1 && m->cpu_percent <= 6400);
	FUZZ_ASSERT(m->timeout_s >= 1 && m->timeout_s <= 3600);
	FUZZ_ASSERT(m->max_input_bytes <= 1ull << 32 && m->max_output_bytes <= 1ull << 32);
	FUZZ_ASSERT(m->scratch_mb <= m->memory_mb);
	FUZZ_ASSERT(m->pool <= 64);
	FUZZ_ASSERT(m->activation < __WARD_ACTIVATE_MAX);

	FUZZ_ASSERT(hash_buf(WARD_HASH_SHA256, data, size, digest) == 0);
	FUZZ_ASSERT(memcmp(digest, m->digest, 32) == 0);
	manifest_digest_hex(m, hex);
	for (size_t i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", digest[i]);
	FUZZ_ASSERT(strcmp(hex, want) == 0);
	manifest_free(m);
	return 0;
}
