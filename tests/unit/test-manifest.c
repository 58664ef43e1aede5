/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox manifest: a full document, the defaults, the table of bad inputs, loading files. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "core/cleanup.h"
#include "ward/hash.h"
#include "ward/manifest.h"

#define MIN "\"name\":\"t\",\"argv\":[\"/bin/tr\"]"
/* sha256sum of the minimal document below, as a client computes it. */
#define MIN_DOC	   "{" MIN "}"
#define MIN_DIGEST "3e467bc194ae0259c60bd7e8eeac3f739b940a65ef005fb1de78888e17329099"

static const char full_doc[] =
	"{\n"
	" \"name\": \"img-convert.v2_x\",\n"
	" \"description\": \"thumbnails\",\n"
	" \"argv\": [\"/usr/bin/convert\", \"-\", \"-resize\", \"\", \"png:-\"],\n"
	" \"code\": [\"/usr\", \"/opt/im7/lib\"],\n"
	" \"files\": [\"/etc/ImageMagick-6/policy.xml\", \"/srv/fonts\"],\n"
	" \"measure\": [\"/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders\", \"/\"],\n"
	" \"env\": {\"MAGICK_THREAD_LIMIT\": \"1\", \"LANG\": \"C.UTF-8\", \"A\": \"\", \"AB\": \"x=y\"},\n"
	" \"memory_mb\": 1024,\n"
	" \"threads\": 8,\n"
	" \"fork\": true,\n"
	" \"cpu_percent\": 250,\n"
	" \"timeout_s\": 60,\n"
	" \"max_input_bytes\": 4294967296,\n"
	" \"max_output_bytes\": 0,\n"
	" \"scratch_mb\": 1024,\n"
	" \"stderr\": \"client\",\n"
	" \"activation\": \"api\",\n"
	" \"pool\": 0\n"
	"}\n";

static int parse(const char *s, struct ward_manifest **m, struct ward_diag *d)
{
	return manifest_parse((const uint8_t *)s, strlen(s), m, d);
}

static void test_full(void **state)
{
	struct ward_manifest *m = NULL;
	struct ward_diag d = { { 0 } };
	uint8_t want[32];
	char hex[65], want_hex[65];

	if (parse(full_doc, &m, &d) != 0)
		fail_msg("full manifest refused: %s", d.msg);
	assert_string_equal(m->name, "img-convert.v2_x");
	assert_int_equal(m->argc, 5);
	assert_string_equal(m->argv[0], "/usr/bin/convert");
	assert_string_equal(m->argv[3], "");
	assert_string_equal(m->argv[4], "png:-");
	assert_null(m->argv[5]); /* execve()-ready */
	assert_int_equal(m->n_code, 2);
	assert_string_equal(m->code[0], "/usr");
	assert_string_equal(m->code[1], "/opt/im7/lib");
	assert_null(m->code[2]);
	assert_int_equal(m->n_files, 2);
	assert_string_equal(m->files[1], "/srv/fonts");
	assert_int_equal(m->n_measure, 2);
	assert_string_equal(m->measure[1], "/");
	/* env: KEY=VALUE, sorted by key ("A" before "AB" although '=' > 'B' would say otherwise) */
	assert_int_equal(m->n_env, 4);
	assert_string_equal(m->env[0], "A=");
	assert_string_equal(m->env[1], "AB=x=y");
	assert_string_equal(m->env[2], "LANG=C.UTF-8");
	assert_string_equal(m->env[3], "MAGICK_THREAD_LIMIT=1");
	assert_null(m->env[4]);
	assert_int_equal(m->memory_mb, 1024);
	assert_int_equal(m->threads, 8);
	assert_true(m->fork);
	assert_int_equal(m->cpu_percent, 250);
	assert_int_equal(m->timeout_s, 60);
	assert_int_equal(m->max_input_bytes, 1ull << 32);
	assert_int_equal(m->max_output_bytes, 0);
	assert_int_equal(m->scratch_mb, 1024);
	assert_true(m->stderr_to_client);
	assert_int_equal(m->activation, WARD_ACTIVATE_API);
	assert_int_equal(m->pool, 0);
	/* The digest is over the bytes as given, newline and all. */
	assert_int_equal(hash_buf(WARD_HASH_SHA256, full_doc, strlen(full_doc), want), 0);
	assert_memory_equal(m->digest, want, 32);
	manifest_digest_hex(m, hex);
	hex_encode(want, 32, want_hex);
	assert_string_equal(hex, want_hex);
	manifest_free(m);
}

static void test_defaults(void **state)
{
	struct ward_manifest *m = NULL;
	struct ward_diag d = { { 0 } };
	char hex[65];

	assert_int_equal(parse(MIN_DOC, &m, &d), 0);
	assert_string_equal(m->name, "t");
	assert_int_equal(m->argc, 1);
	assert_string_equal(m->argv[0], "/bin/tr");
	assert_null(m->argv[1]);
	assert_int_equal(m->n_code, 0);
	assert_int_equal(m->n_files, 0);
	assert_int_equal(m->n_measure, 0);
	assert_int_equal(m->n_env, 0);
	assert_int_equal(m->memory_mb, 256);
	assert_int_equal(m->threads, 1);
	assert_false(m->fork);
	assert_int_equal(m->cpu_percent, 100);
	assert_int_equal(m->timeout_s, 10);
	assert_int_equal(m->max_input_bytes, 1048576);
	assert_int_equal(m->max_output_bytes, 1048576);
	assert_int_equal(m->scratch_mb, 16);
	assert_false(m->stderr_to_client);
	assert_int_equal(m->activation, WARD_ACTIVATE_STDIN);
	assert_int_equal(m->pool, 2);
	/* Known answer: what `printf '%s' '{"name":"t","argv":["/bin/tr"]}' | sha256sum` prints. */
	manifest_digest_hex(m, hex);
	assert_string_equal(hex, MIN_DIGEST);
	manifest_free(m);

	/* One more space: same meaning, another digest (bytes, not a re-serialisation). */
	assert_int_equal(parse("{\"name\":\"t\", \"argv\":[\"/bin/tr\"]}", &m, &d), 0);
	manifest_digest_hex(m, hex);
	assert_string_equal(hex, "f520fdc8f95e79dd73cb2d5f5c7d7e9dbe6e23354fa26abfe88cfab83ef61aae");
	manifest_free(m);
	manifest_free(NULL);
}

struct row {
	const char *in;
	int err;
	const char *msg;
};

static void check_rows(const struct row *rows, size_t n, const char *table)
{
	static struct ward_manifest sentinel;

	for (size_t i = 0; i < n; i++) {
		struct ward_manifest *m = &sentinel;
		struct ward_diag d = { { 0 } };
		int r = parse(rows[i].in, &m, &d);

		if (r != rows[i].err || !strstr(d.msg, rows[i].msg))
			fail_msg("%s row %zu: %d \"%s\", want %d \"%s\"", table, i, r, d.msg,
				 rows[i].err, rows[i].msg);
		if (r < 0) {
			/* ret_ is written only on success; every failure explains itself. */
			assert_ptr_equal(m, &sentinel);
			assert_true(d.msg[0] != '\0');
		} else {
			manifest_free(m);
		}
	}
}

static void test_table(void **state)
{
	static const struct row rows[] = {
		/* positive control */
		{ "{" MIN "}", 0, "" },
		/* not JSON, not an object, truncated, trailing data, bad UTF-8 */
		{ "", -EINVAL, "line 1" },
		{ "[]", -EINVAL, "must be a JSON object" },
		{ "\"t\"", -EINVAL, "must be a JSON object" },
		{ "null", -EINVAL, "must be a JSON object" },
		{ "{" MIN, -EINVAL, "line 1" },
		{ "{\"name\":\"t\",\"argv\":[\"/bin/", -EINVAL, "line 1" },
		{ "{" MIN "} {}", -EINVAL, "end of file expected" },
		{ "{\"name\":\"t\xff\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "unable to decode byte 0xff" },
		{ "{\"name\":\"t\",\"argv\":[\"/bin/tr\",\"\\ud800\"]}", -EINVAL, "line 1" },
		{ "{" MIN ",/*c*/\"pool\":1}", -EINVAL, "line 1" },
		/* unknown keys, duplicate keys */
		{ "{" MIN ",\"bogus\":1}", -EINVAL, "unknown key \"bogus\"" },
		{ "{" MIN ",\"Name\":\"t\"}", -EINVAL, "unknown key \"Name\"" },
		{ "{" MIN ",\"user\":\"root\"}", -EINVAL, "unknown key \"user\"" },
		{ "{" MIN ",\"a\\u001b[2Jb\u00e9\":1}", -EINVAL, "unknown key \"a?[2Jb??\"" },
		{ "{" MIN ",\"env\":{\"A\\nB\":\"x\"}}", -EINVAL, "env.A?B: the name must match" },
		{ "{" MIN ",\"name\":\"u\"}", -EINVAL, "duplicate" },
		{ "{" MIN ",\"pool\":1,\"pool\":1}", -EINVAL, "duplicate" },
		{ "{" MIN ",\"env\":{\"A\":\"1\",\"A\":\"2\"}}", -EINVAL, "duplicate" },
		/* required keys */
		{ "{\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: required" },
		{ "{\"name\":\"t\"}", -EINVAL, "argv: required" },
		{ "{}", -EINVAL, "required" },
		/* name */
		{ "{\"name\":1,\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must be a string" },
		{ "{\"name\":null,\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must be a string" },
		{ "{\"name\":\"\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must be 1 to 27" },
		{ "{\"name\":\"abcdefghijklmnopqrstuvwxyz0\",\"argv\":[\"/bin/tr\"]}", 0, "" },
		{ "{\"name\":\"abcdefghijklmnopqrstuvwxyz01\",\"argv\":[\"/bin/tr\"]}", -EINVAL,
		  "name: must be 1 to 27" },
		{ "{\"name\":\"Tr\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must match" },
		{ "{\"name\":\"-t\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must match" },
		{ "{\"name\":\".t\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must match" },
		{ "{\"name\":\"a/b\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must match" },
		{ "{\"name\":\"a b\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must match" },
		{ "{\"name\":\"t\\u0000x\",\"argv\":[\"/bin/tr\"]}", -EINVAL, "name: must not contain a NUL" },
		{ "{\"name\":\"0a._-z\",\"argv\":[\"/bin/tr\"]}", 0, "" },
		/* argv */
		{ "{\"name\":\"t\",\"argv\":\"/bin/tr\"}", -EINVAL, "argv: must be an array" },
		{ "{\"name\":\"t\",\"argv\":[]}", -EINVAL, "argv: must hold at least" },
		{ "{\"name\":\"t\",\"argv\":[\"tr\"]}", -EINVAL, "argv[0]: must be an absolute" },
		{ "{\"name\":\"t\",\"argv\":[\"\"]}", -EINVAL, "argv[0]: must be an absolute" },
		{ "{\"name\":\"t\",\"argv\":[\"/bin/../bin/tr\"]}", -EINVAL, "argv[0]: must be an absolute, normalised" },
		{ "{\"name\":\"t\",\"argv\":[\"/\"]}", -EINVAL, "argv[0]: must not be / itself" },
		{ "{\"name\":\"t\",\"argv\":[1]}", -EINVAL, "argv[0]: must be a string" },
		{ "{\"name\":\"t\",\"argv\":[\"/bin/tr\",2]}", -EINVAL, "argv[1]: must be a string" },
		{ "{\"name\":\"t\",\"argv\":[\"/bin/tr\",\"a\",[\"b\"]]}", -EINVAL, "argv[2]: must be a string" },
		{ "{\"name\":\"t\",\"argv\":[\"/bin/tr\",\"a\\u0000b\"]}", -EINVAL, "argv[1]: must not contain a NUL" },
		{ "{\"name\":\"t\",\"argv\":[\"/bin/tr\\u0000x\"]}", -EINVAL, "argv[0]: must not contain a NUL" },
		/* code, files, measure: paths */
		{ "{" MIN ",\"code\":\"/usr\"}", -EINVAL, "code: must be an array" },
		{ "{" MIN ",\"code\":[\"usr/lib\"]}", -EINVAL, "code[0]: must be an absolute" },
		{ "{" MIN ",\"code\":[\"/usr//lib\"]}", -EINVAL, "code[0]: must be an absolute, normalised" },
		{ "{" MIN ",\"code\":[\"/usr/lib/\"]}", -EINVAL, "code[0]: must be an absolute, normalised" },
		{ "{" MIN ",\"code\":[\"/usr/./lib\"]}", -EINVAL, "code[0]: must be an absolute, normalised" },
		{ "{" MIN ",\"code\":[\"/usr/.\"]}", -EINVAL, "code[0]: must be an absolute, normalised" },
		{ "{" MIN ",\"code\":[\"/\"]}", -EINVAL, "code[0]: must not be / itself" },
		{ "{" MIN ",\"code\":[\"/usr\",\"/opt\",\"/usr\"]}", -EINVAL, "code[2]: duplicate of code[0]" },
		{ "{" MIN ",\"code\":[\"/usr/..lib/.x/a..\"]}", 0, "" },
		{ "{" MIN ",\"files\":{}}", -EINVAL, "files: must be an array" },
		{ "{" MIN ",\"files\":[\"/\"]}", -EINVAL, "files[0]: must not be / itself" },
		{ "{" MIN ",\"files\":[\"/a\",\"/a\"]}", -EINVAL, "files[1]: duplicate of files[0]" },
		{ "{" MIN ",\"files\":[true]}", -EINVAL, "files[0]: must be a string" },
		{ "{" MIN ",\"files\":[\"/srv/db/../../etc/shadow\"]}", -EINVAL, "files[0]: must be an absolute, normalised" },
		{ "{" MIN ",\"files\":[\"/a\\u0000/b\"]}", -EINVAL, "files[0]: must not contain a NUL" },
		{ "{" MIN ",\"measure\":null}", -EINVAL, "measure: must be an array" },
		{ "{" MIN ",\"measure\":[\"/usr/..\"]}", -EINVAL, "measure[0]: must be an absolute, normalised" },
		{ "{" MIN ",\"measure\":[\"./x\"]}", -EINVAL, "measure[0]: must be an absolute" },
		{ "{" MIN ",\"measure\":[\"/a\",\"/a\"]}", -EINVAL, "measure[1]: duplicate of measure[0]" },
		{ "{" MIN ",\"measure\":[\"/\"]}", 0, "" },
		/* env */
		{ "{" MIN ",\"env\":[\"A=1\"]}", -EINVAL, "env: must be an object" },
		{ "{" MIN ",\"env\":{\"A\":1}}", -EINVAL, "env.A: must be a string" },
		{ "{" MIN ",\"env\":{\"A\":null}}", -EINVAL, "env.A: must be a string" },
		{ "{" MIN ",\"env\":{\"1A\":\"x\"}}", -EINVAL, "env.1A: the name must match" },
		{ "{" MIN ",\"env\":{\"A-B\":\"x\"}}", -EINVAL, "env.A-B: the name must match" },
		{ "{" MIN ",\"env\":{\"A=B\":\"x\"}}", -EINVAL, "env.A=B: the name must match" },
		{ "{" MIN ",\"env\":{\"\":\"x\"}}", -EINVAL, "env: empty variable name" },
		{ "{" MIN ",\"env\":{\"WARD_SEAL_FD\":\"9\"}}", -EINVAL, "reserved" },
		{ "{" MIN ",\"env\":{\"WARD_\":\"9\"}}", -EINVAL, "reserved" },
		{ "{" MIN ",\"env\":{\"A\":\"x\\u0000y\"}}", -EINVAL, "env.A: must not contain a NUL" },
		{ "{" MIN ",\"env\":{\"A\\u0000B\":\"x\"}}", -EINVAL, "line 1" },
		{ "{" MIN ",\"env\":{\"ward_x\":\"1\",\"_A1\":\"2\",\"WARDEN\":\"3\"}}", 0, "" },
		/* integers: type and both edges of every range */
		{ "{" MIN ",\"memory_mb\":\"256\"}", -EINVAL, "memory_mb: must be an integer" },
		{ "{" MIN ",\"memory_mb\":256.0}", -EINVAL, "memory_mb: must be an integer" },
		{ "{" MIN ",\"memory_mb\":2.56e2}", -EINVAL, "memory_mb: must be an integer" },
		{ "{" MIN ",\"memory_mb\":true}", -EINVAL, "memory_mb: must be an integer" },
		{ "{" MIN ",\"memory_mb\":null}", -EINVAL, "memory_mb: must be an integer" },
		{ "{" MIN ",\"memory_mb\":15}", -EINVAL, "memory_mb: 15 is out of range 16..65536" },
		{ "{" MIN ",\"memory_mb\":16}", 0, "" },
		{ "{" MIN ",\"memory_mb\":65536}", 0, "" },
		{ "{" MIN ",\"memory_mb\":65537}", -EINVAL, "memory_mb: 65537 is out of range" },
		{ "{" MIN ",\"memory_mb\":-1}", -EINVAL, "memory_mb: -1 is out of range" },
		{ "{" MIN ",\"memory_mb\":4294967552}", -EINVAL, "memory_mb: 4294967552 is out of range" },
		{ "{" MIN ",\"memory_mb\":99999999999999999999}", -EINVAL, "too big integer" },
		{ "{" MIN ",\"threads\":0}", -EINVAL, "threads: 0 is out of range 1..1024" },
		{ "{" MIN ",\"threads\":1}", 0, "" },
		{ "{" MIN ",\"threads\":1024}", 0, "" },
		{ "{" MIN ",\"threads\":1025}", -EINVAL, "threads: 1025 is out of range" },
		{ "{" MIN ",\"threads\":[1]}", -EINVAL, "threads: must be an integer" },
		{ "{" MIN ",\"cpu_percent\":0}", -EINVAL, "cpu_percent: 0 is out of range 1..6400" },
		{ "{" MIN ",\"cpu_percent\":6400}", 0, "" },
		{ "{" MIN ",\"cpu_percent\":6401}", -EINVAL, "cpu_percent: 6401 is out of range" },
		{ "{" MIN ",\"cpu_percent\":\"100%\"}", -EINVAL, "cpu_percent: must be an integer" },
		{ "{" MIN ",\"timeout_s\":0}", -EINVAL, "timeout_s: 0 is out of range 1..3600" },
		{ "{" MIN ",\"timeout_s\":3600}", 0, "" },
		{ "{" MIN ",\"timeout_s\":3601}", -EINVAL, "timeout_s: 3601 is out of range" },
		{ "{" MIN ",\"timeout_s\":1.5}", -EINVAL, "timeout_s: must be an integer" },
		{ "{" MIN ",\"max_input_bytes\":0}", 0, "" },
		{ "{" MIN ",\"max_input_bytes\":4294967296}", 0, "" },
		{ "{" MIN ",\"max_input_bytes\":4294967297}", -EINVAL, "max_input_bytes: 4294967297 is out of range 0..4294967296" },
		{ "{" MIN ",\"max_input_bytes\":-1}", -EINVAL, "max_input_bytes: -1 is out of range" },
		{ "{" MIN ",\"max_input_bytes\":false}", -EINVAL, "max_input_bytes: must be an integer" },
		{ "{" MIN ",\"max_output_bytes\":4294967296}", 0, "" },
		{ "{" MIN ",\"max_output_bytes\":4294967297}", -EINVAL, "max_output_bytes: 4294967297 is out of range" },
		{ "{" MIN ",\"max_output_bytes\":\"1M\"}", -EINVAL, "max_output_bytes: must be an integer" },
		{ "{" MIN ",\"scratch_mb\":0}", 0, "" },
		{ "{" MIN ",\"scratch_mb\":256}", 0, "" },
		{ "{" MIN ",\"scratch_mb\":257}", -EINVAL, "scratch_mb: 257 is above memory_mb (256)" },
		{ "{" MIN ",\"memory_mb\":16,\"scratch_mb\":17}", -EINVAL, "scratch_mb: 17 is above memory_mb (16)" },
		{ "{" MIN ",\"memory_mb\":65536,\"scratch_mb\":65536}", 0, "" },
		{ "{" MIN ",\"memory_mb\":65536,\"scratch_mb\":65537}", -EINVAL, "scratch_mb: 65537 is out of range" },
		{ "{" MIN ",\"scratch_mb\":-1}", -EINVAL, "scratch_mb: -1 is out of range" },
		{ "{" MIN ",\"memory_mb\":16,\"scratch_mb\":16}", 0, "" },
		{ "{" MIN ",\"pool\":0}", 0, "" },
		{ "{" MIN ",\"pool\":64}", 0, "" },
		{ "{" MIN ",\"pool\":65}", -EINVAL, "pool: 65 is out of range 0..64" },
		{ "{" MIN ",\"pool\":{}}", -EINVAL, "pool: must be an integer" },
		/* booleans and words */
		{ "{" MIN ",\"fork\":\"yes\"}", -EINVAL, "fork: must be true or false" },
		{ "{" MIN ",\"fork\":1}", -EINVAL, "fork: must be true or false" },
		{ "{" MIN ",\"fork\":null}", -EINVAL, "fork: must be true or false" },
		{ "{" MIN ",\"fork\":false}", 0, "" },
		{ "{" MIN ",\"stderr\":\"drop\"}", 0, "" },
		{ "{" MIN ",\"stderr\":\"Client\"}", -EINVAL, "stderr: must be \"drop\" or \"client\"" },
		{ "{" MIN ",\"stderr\":\"client\\u0000x\"}", -EINVAL, "stderr: must be" },
		{ "{" MIN ",\"stderr\":true}", -EINVAL, "stderr: must be \"drop\" or \"client\"" },
		{ "{" MIN ",\"activation\":\"stdin\"}", 0, "" },
		{ "{" MIN ",\"activation\":\"API\"}", -EINVAL, "activation: must be \"stdin\" or \"api\"" },
		{ "{" MIN ",\"activation\":1}", -EINVAL, "activation: must be \"stdin\" or \"api\"" },
		/* description */
		{ "{" MIN ",\"description\":1}", -EINVAL, "description: must be a string" },
		{ "{" MIN ",\"description\":\"a\\u0000b\"}", -EINVAL, "description: must not contain a NUL" },
		{ "{" MIN ",\"description\":\"\"}", 0, "" },
	};

	check_rows(rows, ARRAY_SIZE(rows), "static");
}

/* "{MIN,"key":[ "/p0", "/p1", ... ]}" with @n entries. */
static char *doc_with_list(const char *key, size_t n)
{
	struct buf b = { 0 };
	char item[32];

	assert_int_equal(buf_append(&b, "{" MIN ",\"", strlen("{" MIN ",\"")), 0);
	assert_int_equal(buf_append(&b, key, strlen(key)), 0);
	assert_int_equal(buf_append(&b, "\":[", 3), 0);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(item, sizeof(item), "%s\"/p%zu\"", i ? "," : "", i);

		assert_int_equal(buf_append(&b, item, (size_t)k), 0);
	}
	assert_int_equal(buf_append(&b, "]}", 3), 0); /* with its NUL */
	return (char *)b.data;
}

static char *doc_with_argv(size_t n)
{
	struct buf b = { 0 };
	static const char head[] = "{\"name\":\"t\",\"argv\":[\"/bin/tr\"";

	assert_int_equal(buf_append(&b, head, strlen(head)), 0);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(buf_append(&b, ",\"x\"", 4), 0);
	assert_int_equal(buf_append(&b, "]}", 3), 0);
	return (char *)b.data;
}

static char *doc_with_env(size_t n)
{
	struct buf b = { 0 };
	char item[32];

	assert_int_equal(buf_append(&b, "{" MIN ",\"env\":{", strlen("{" MIN ",\"env\":{")), 0);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(item, sizeof(item), "%s\"V%zu\":\"\"", i ? "," : "", i);

		assert_int_equal(buf_append(&b, item, (size_t)k), 0);
	}
	assert_int_equal(buf_append(&b, "}}", 3), 0);
	return (char *)b.data;
}

/* @pre, @n copies of @c, @post. */
static char *doc_with_run(const char *pre, char c, size_t n, const char *post)
{
	size_t a = strlen(pre), b = strlen(post);
	char *out = malloc(a + n + b + 1);

	assert_non_null(out);
	memcpy(out, pre, a);
	memset(out + a, c, n);
	memcpy(out + a + n, post, b + 1);
	return out;
}

/* A minimal document padded with spaces to exactly @len bytes. */
static char *doc_of_size(size_t len)
{
	size_t base = strlen(MIN_DOC);
	char *s = malloc(len + 1);

	assert_non_null(s);
	assert_true(len >= base);
	memset(s, ' ', len);
	memcpy(s + len - base, MIN_DOC, base);
	s[len] = '\0';
	return s;
}

/* Limits: each one just at the bound (accepted) and just over it (refused). */
static void test_table_limits(void **state)
{
	struct row rows[] = {
		{ doc_with_argv(WARD_MANIFEST_ARGV_MAX), 0, "" },
		{ doc_with_argv(WARD_MANIFEST_ARGV_MAX + 1), -E2BIG, "argv: more than 64 entries" },
		{ doc_with_list("code", WARD_MANIFEST_CODE_MAX), 0, "" },
		{ doc_with_list("code", WARD_MANIFEST_CODE_MAX + 1), -E2BIG, "code: more than 16 entries" },
		{ doc_with_list("files", WARD_MANIFEST_FILES_MAX), 0, "" },
		{ doc_with_list("files", WARD_MANIFEST_FILES_MAX + 1), -E2BIG, "files: more than 64 entries" },
		{ doc_with_list("measure", WARD_MANIFEST_MEASURE_MAX), 0, "" },
		{ doc_with_list("measure", WARD_MANIFEST_MEASURE_MAX + 1), -E2BIG, "measure: more than 64 entries" },
		{ doc_with_env(WARD_MANIFEST_ENV_MAX), 0, "" },
		{ doc_with_env(WARD_MANIFEST_ENV_MAX + 1), -E2BIG, "env: more than 32 variables" },
		/* one string: a path of 4095 bytes, then 4096 */
		{ doc_with_run("{" MIN ",\"files\":[\"/", 'f', WARD_MANIFEST_STR_MAX - 1, "\"]}"), 0, "" },
		{ doc_with_run("{" MIN ",\"files\":[\"/", 'f', WARD_MANIFEST_STR_MAX, "\"]}"), -E2BIG,
		  "files[0]: longer than 4095 bytes" },
		{ doc_with_run("{\"name\":\"t\",\"argv\":[\"/", 'x', WARD_MANIFEST_STR_MAX, "\"]}"), -E2BIG,
		  "argv[0]: longer than 4095 bytes" },
		{ doc_with_run("{\"name\":\"t\",\"argv\":[\"/bin/tr\",\"", 'a', WARD_MANIFEST_STR_MAX, "\"]}"), 0, "" },
		{ doc_with_run("{\"name\":\"t\",\"argv\":[\"/bin/tr\",\"", 'a', WARD_MANIFEST_STR_MAX + 1, "\"]}"),
		  -E2BIG, "argv[1]: longer than 4095 bytes" },
		/* an env entry is "K=" plus the value: 4095 bytes in all, then 4096 */
		{ doc_with_run("{" MIN ",\"env\":{\"K\":\"", 'v', WARD_MANIFEST_STR_MAX - 2, "\"}}"), 0, "" },
		{ doc_with_run("{" MIN ",\"env\":{\"K\":\"", 'v', WARD_MANIFEST_STR_MAX - 1, "\"}}"), -E2BIG,
		  "env.K: NAME=VALUE longer than 4095 bytes" },
		{ doc_with_run("{" MIN ",\"description\":\"", 'd', WARD_MANIFEST_DESCRIPTION_MAX, "\"}"), 0, "" },
		{ doc_with_run("{" MIN ",\"description\":\"", 'd', WARD_MANIFEST_DESCRIPTION_MAX + 1, "\"}"),
		  -E2BIG, "description: longer than 1024 bytes" },
		{ doc_with_run("{\"name\":\"", 'n', 5000, "\",\"argv\":[\"/bin/tr\"]}"), -EINVAL,
		  "name: must be 1 to 27" },
		/* the whole document */
		{ doc_of_size(WARD_MANIFEST_MAX_BYTES), 0, "" },
		{ doc_of_size(WARD_MANIFEST_MAX_BYTES + 1), -E2BIG, "larger than 65536 bytes" },
	};

	check_rows(rows, ARRAY_SIZE(rows), "limits");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		free((char *)rows[i].in);
}

static char *write_tmp(const char *dir, const char *name, const void *buf, size_t len)
{
	char *path;
	int fd;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, buf, len), 0);
	close(fd);
	return path;
}

static void test_load(void **state)
{
	static struct ward_manifest sentinel;
	char *dir = test_tmpdir(), *path, hex[65];
	struct ward_manifest *m = &sentinel;
	struct ward_diag d = { { 0 } };

	/* a good file: same manifest and digest as parsing its bytes */
	path = write_tmp(dir, "ok.json", MIN_DOC, strlen(MIN_DOC));
	assert_int_equal(manifest_load(path, &m, &d), 0);
	assert_string_equal(m->argv[0], "/bin/tr");
	manifest_digest_hex(m, hex);
	assert_string_equal(hex, MIN_DIGEST);
	manifest_free(m);
	free(path);

	/* a bad document: the message names the file, then the key */
	m = &sentinel;
	path = write_tmp(dir, "bad.json", "{" MIN ",\"pool\":99}", strlen("{" MIN ",\"pool\":99}"));
	assert_int_equal(manifest_load(path, &m, &d), -EINVAL);
	assert_ptr_equal(m, &sentinel);
	assert_int_equal(strncmp(d.msg, path, strlen(path)), 0);
	assert_non_null(strstr(d.msg, ": pool: 99 is out of range"));
	free(path);

	/* missing */
	assert_true(asprintf(&path, "%s/missing.json", dir) > 0);
	assert_int_equal(manifest_load(path, &m, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "missing.json"));
	free(path);

	/* a directory */
	assert_int_equal(manifest_load(dir, &m, &d), -EISDIR);
	assert_non_null(strstr(d.msg, "directory"));

	/* a FIFO: refused at once, never waited on */
	assert_true(asprintf(&path, "%s/fifo", dir) > 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(manifest_load(path, &m, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "not a regular file"));
	free(path);

	/* exactly the limit: read and parsed; one byte more: -EFBIG before parsing */
	{
		char *doc = doc_of_size(WARD_MANIFEST_MAX_BYTES);

		path = write_tmp(dir, "max.json", doc, WARD_MANIFEST_MAX_BYTES);
		assert_int_equal(manifest_load(path, &m, &d), 0);
		manifest_free(m);
		m = &sentinel;
		free(path);
		free(doc);
		doc = doc_of_size(WARD_MANIFEST_MAX_BYTES + 1);
		path = write_tmp(dir, "big.json", doc, WARD_MANIFEST_MAX_BYTES + 1);
		assert_int_equal(manifest_load(path, &m, &d), -EFBIG);
		assert_non_null(strstr(d.msg, "larger than 65536 bytes"));
		assert_ptr_equal(m, &sentinel);
		free(path);
		free(doc);
	}

	/* an empty file is a malformed document, not a read error */
	path = write_tmp(dir, "empty.json", "", 0);
	assert_int_equal(manifest_load(path, &m, &d), -EINVAL);
	free(path);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_limits),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
