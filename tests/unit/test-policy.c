/* SPDX-License-Identifier: Apache-2.0 */
/* The allowlist policy: parser table, lookup, writer, and the tree walk that feeds it. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "ward/measure.h"
#include "ward/policy.h"
#include "ward/state.h"
#include "core/util.h"

#define D64 "sha256:0000000000000000000000000000000000000000000000000000000000000001"

static void test_parse_table(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *msg;
	} rows[] = {
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":[]}", 0, "" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"" D64 "\",\"path\":\"/a\"}]}", 0, "" },
		{ "", -EBADMSG, "line" },
		{ "{\"ward_policy\":2}", -EBADMSG, "format 2" },
		{ "{\"ward_policy\":1,\"ward_policy\":1}", -EBADMSG, "duplicate" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"md5\",\"entries\":[]}", -EBADMSG,
		  "unknown hash" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":-1,\"hash\":\"sha256\",\"entries\":[]}",
		  -EBADMSG, "\"version\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":{}}",
		  -EBADMSG, "array" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":[],\"x\":0}",
		  -EBADMSG, "unknown key \"x\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"sha1:00\",\"path\":\"/a\"}]}", -EBADMSG, "entry 0" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"" D64 "\"}]}", -EBADMSG, "\"path\"" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"SHA256:00\",\"path\":\"/a\"}]}", -EBADMSG, "entry 0" },
		{ "{\"ward_policy\":1,\"name\":\"n\",\"version\":1,\"hash\":\"sha256\",\"entries\":"
		  "[{\"digest\":\"" D64 "\",\"path\":\"/a\",\"path\":\"/b\"}]}", -EBADMSG, "duplicate" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ward_policy *p = NULL;
		struct ward_diag d = { { 0 } };
		int r = policy_parse((const uint8_t *)rows[i].in, strlen(rows[i].in), &p, &d);

		if (r != rows[i].err || !strstr(d.msg, rows[i].msg))
			fail_msg("row %zu: %d \"%s\", want %d \"%s\"", i, r, d.msg, rows[i].err,
				 rows[i].msg);
		policy_free(p);
	}
}

static void test_builder_lookup(void **state)
{
	struct ward_policy_builder b = { .hash = WARD_HASH_SHA256 };
	struct ward_policy *p = NULL;
	struct ward_diag d;
	uint8_t dg[3][32];
	char *text = NULL;

	for (int i = 0; i < 3; i++) {
		memset(dg[i], 0x10 * (3 - i), 32);
		assert_int_equal(policy_builder_add(&b, dg[i], i == 2 ? "/a" : "/z"), 0);
	}
	/* a second path with the digest of /a: one entry per path, lookups by digest */
	assert_int_equal(policy_builder_add(&b, dg[2], "/b"), 0);
	assert_int_equal(policy_builder_write(&b, "t", 42, &text), 0);
	assert_int_equal(policy_parse((uint8_t *)text, strlen(text), &p, &d), 0);
	assert_string_equal(p->name, "t");
	assert_int_equal(p->version, 42);
	assert_int_equal(p->n_paths, 3); /* "/z" listed once */
	assert_true(strstr(text, "\"/a\"") < strstr(text, "\"/b\"")); /* sorted by path */
	assert_non_null(policy_lookup(p, "sha256", dg[2], 32));
	assert_null(policy_lookup(p, "sha1", dg[2], 20));
	assert_null(policy_lookup(p, "sha256", (uint8_t[32]){ 1 }, 32));
	policy_free(p);
	policy_builder_free(&b);
	free(text);
}

struct seen {
	char paths[8][256];
	size_t n, errors;
};

static int on_file(void *u, const char *path, const struct ward_digest *dg, uint64_t size)
{
	struct seen *s = u;
	assert_true(s->n < 8);
	snprintf(s->paths[s->n++], sizeof(s->paths[0]), "%s", path);
	return 0;
}

static void on_err(void *u, const char *path, int err)
{
	((struct seen *)u)->errors++;
}

static bool has(const struct seen *s, const char *suffix)
{
	for (size_t i = 0; i < s->n; i++) {
		size_t a = strlen(s->paths[i]), b = strlen(suffix);
		if (a >= b && strcmp(s->paths[i] + a - b, suffix) == 0)
			return true;
	}
	return false;
}

static void test_tree_walk(void **state)
{
	char *dir = test_tmpdir(), p[512];
	struct seen s = { 0 };
	struct ward_digest dg[__WARD_HASH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	snprintf(p, sizeof(p), "%s/link-to-file", dir);
	assert_int_equal(symlink("sub/file", p), 0);
	snprintf(p, sizeof(p), "%s/link-to-dir", dir);
	assert_int_equal(symlink("sub", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0644), 0);

	assert_int_equal(measure_tree(dir, WARD_HASH_SHA256, on_file, on_err, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "/sub/file"));
	assert_true(has(&s, "/link-to-file"));
	assert_false(has(&s, "/link-to-dir/file"));

	/* the digest is the content's: sha256("abc") */
	snprintf(p, sizeof(p), "%s/sub/file", dir);
	fd = measure_open_regular(AT_FDCWD, p);
	assert_true(fd >= 0);
	assert_int_equal(measure_fd(fd, 1u << WARD_HASH_SHA256 | 1u << WARD_HASH_SHA1, dg, NULL), 0);
	close(fd);
	{
		uint8_t want[32];
		test_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
		assert_memory_equal(dg[WARD_HASH_SHA256].bytes, want, 32);
	}
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(measure_open_regular(AT_FDCWD, p), -EINVAL);
	assert_int_equal(measure_tree("/nonexistent/ward", WARD_HASH_SHA256, on_file, on_err, &s),
			 -ENOENT);
	assert_int_equal(measure_fd(0, 0, dg, NULL), -EINVAL);
	test_rmtree(dir);
}

/* Chunk boundaries and large files: measure_fd() hashes exactly the file's bytes. */
static void test_measure_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 131071, 131072, 131073, (4u << 20) - 1, 4u << 20,
					(5u << 20) + 17 };
	char *dir = test_tmpdir(), p[512];
	uint8_t *data = malloc((5u << 20) + 17);

	for (size_t i = 0; i < (5u << 20) + 17; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct ward_digest dg[__WARD_HASH_MAX];
		uint8_t want[64];
		uint64_t size = 99;
		int fd;

		snprintf(p, sizeof(p), "%s/f%zu", dir, k);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_int_equal(write_all(fd, data, sizes[k]), 0);
		close(fd);
		fd = measure_open_regular(AT_FDCWD, p);
		assert_true(fd >= 0);
		assert_int_equal(measure_fd(fd, 1u << WARD_HASH_SHA1 | 1u << WARD_HASH_SHA384, dg, &size),
				 0);
		close(fd);
		assert_int_equal(size, sizes[k]);
		assert_int_equal(hash_buf(WARD_HASH_SHA1, data, sizes[k], want), 0);
		assert_memory_equal(dg[WARD_HASH_SHA1].bytes, want, 20);
		assert_int_equal(hash_buf(WARD_HASH_SHA384, data, sizes[k], want), 0);
		assert_memory_equal(dg[WARD_HASH_SHA384].bytes, want, 48);
	}
	free(data);
	test_rmtree(dir);
}


static struct ward_policy *index_fixture(char **ret_text)
{
	struct ward_policy_builder b = { .hash = WARD_HASH_SHA256 };
	char *dirs[] = { "/usr/share" };
	struct ward_policy *p = NULL;
	struct ward_diag d = { { 0 } };
	char *text = NULL;

	b.domain.allow_wx_elf = true;
	b.domain.data_dirs = dirs;
	b.domain.n_data_dirs = 1;
	for (unsigned i = 0; i < 100; i++) {
		uint8_t dg[32] = { 0 };
		char path[32];

		dg[0] = (uint8_t)(i * 37);
		dg[31] = (uint8_t)i;
		snprintf(path, sizeof(path), "/usr/bin/f%u", i);
		assert_int_equal(policy_builder_add(&b, dg, path), 0);
	}
	assert_int_equal(policy_builder_write(&b, "idx", 4, &text), 0);
	policy_builder_free(&b);
	assert_int_equal(policy_parse((const uint8_t *)text, strlen(text), &p, &d), 0);
	*ret_text = text;
	return p;
}

static void test_index_roundtrip_and_damage(void **state)
{
	char *text;
	struct ward_policy *p = index_fixture(&text), *q = NULL;
	struct ward_diag d = { { 0 } };
	uint8_t *idx, other[32] = { 1 };
	size_t len;

	assert_int_equal(policy_index_encode(p, &idx, &len), 0);
	assert_int_equal(policy_index_decode(idx, len, p->file_digest, &q, &d), 0);
	assert_int_equal(q->n_entries, p->n_entries);
	assert_string_equal(q->name, "idx");
	assert_int_equal(q->version, 4);
	assert_true(q->domain.allow_wx_elf);
	assert_string_equal(q->domain.data_dirs[0], "/usr/share");
	assert_memory_equal(q->file_digest, p->file_digest, 32);
	for (size_t i = 0; i < p->n_entries; i++)
		assert_ptr_equal(policy_lookup(q, "sha256", p->entries[i].digest, 32),
				 &q->entries[i]);
	policy_free(q);

	/* Built from another policy file: stale, not used. */
	assert_int_equal(policy_index_decode(idx, len, other, &q, &d), -ESTALE);
	/* Every single-byte change anywhere is refused. */
	for (size_t i = 0; i < len; i++) {
		idx[i] ^= 0x01;
		if (policy_index_decode(idx, len, p->file_digest, &q, &d) != -EBADMSG)
			fail_msg("byte %zu of %zu: a changed index was accepted", i, len);
		idx[i] ^= 0x01;
	}
	/* Truncated, or with the digests out of order (check recomputed): refused. */
	assert_int_equal(policy_index_decode(idx, len - 1, p->file_digest, &q, &d), -EBADMSG);
	{
		size_t first = len - 32 - p->n_entries * 32;
		uint8_t tmp[32];

		memcpy(tmp, idx + first, 32);
		memcpy(idx + first, idx + first + 32, 32);
		memcpy(idx + first + 32, tmp, 32);
		hash_buf(WARD_HASH_SHA256, idx, len - 32, idx + len - 32);
		assert_int_equal(policy_index_decode(idx, len, p->file_digest, &q, &d), -EBADMSG);
		assert_non_null(strstr(d.msg, "ascending"));
	}
	free(idx);
	free(text);
	policy_free(p);
}

static void test_state_policy_cache(void **state)
{
	char *dir = test_tmpdir(), path[4200], *text;
	struct ward_policy *p = index_fixture(&text), *a = NULL, *b = NULL;
	struct ward_state *st = NULL;
	struct ward_diag d = { { 0 } };
	char hex[65];
	int fd;

	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(state_open(path, "soft", 0, &st, &d), 0);
	/* First load parses and writes the index; the second loads the index. */
	assert_int_equal(state_load_policy(st, (const uint8_t *)text, strlen(text), &a, &d), 0);
	hex_encode(p->file_digest, 32, hex);
	snprintf(path, sizeof(path), "%s/state/policy-index/%s", dir, hex);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(state_load_policy(st, (const uint8_t *)text, strlen(text), &b, &d), 0);
	assert_null(b->entries[0].path); /* from the index: no paths */
	assert_int_equal(b->n_entries, a->n_entries);
	policy_free(b);
	/* A damaged index is ignored and rewritten from the document. */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 100), 1);
	close(fd);
	assert_int_equal(state_load_policy(st, (const uint8_t *)text, strlen(text), &b, &d), 0);
	assert_non_null(b->entries[0].path); /* parsed again */
	policy_free(b);
	/* A malformed document is refused whatever the cache holds. */
	assert_int_equal(state_load_policy(st, (const uint8_t *)"{}", 2, &b, &d), -EBADMSG);
	policy_free(a);
	policy_free(p);
	free(text);
	state_close(st);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_builder_lookup),
		cmocka_unit_test(test_tree_walk),
		cmocka_unit_test(test_measure_sizes),
		cmocka_unit_test(test_index_roundtrip_and_damage),
		cmocka_unit_test(test_state_policy_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
