/* SPDX-License-Identifier: Apache-2.0 */
/* The persistent log: durability contract, torn tails, damage, several writers. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "ward/evlog-store.h"

#define BANKS ((1u << WARD_HASH_SHA1) | (1u << WARD_HASH_SHA256))

static void make_recs(struct ward_evlog_record *recs, size_t n, size_t base)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t dg[32];
		char path[64];

		snprintf(path, sizeof(path), "/t/%zu", base + i);
		assert_int_equal(hash_buf(WARD_HASH_SHA256, path, strlen(path), dg), 0);
		assert_int_equal(evlog_record_new_ng(10, WARD_HASH_SHA256, dg, path, NULL, 0, &recs[i]), 0);
	}
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static struct ward_evlog_store *open_store(int dfd, unsigned flags, int want)
{
	struct ward_evlog_store *s = NULL;
	struct ward_diag d = { { 0 } };
	int r = evlog_store_open(dfd, "log", BANKS, 10, flags, &s, &d);

	if (r != want)
		fail_msg("evlog_store_open: %d (%s), want %d", r, d.msg, want);
	return s;
}

static void append(struct ward_evlog_store *s, size_t n, size_t base)
{
	struct ward_evlog_record recs[64];
	struct ward_diag d;

	assert_true(n <= 64);
	make_recs(recs, n, base);
	assert_int_equal(evlog_store_append(s, recs, n, &d), 0);
}

static void check_records(const struct ward_evlog_store *s, size_t n)
{
	const struct ward_evlog *log = evlog_store_log(s);
	uint8_t reg[32] = { 0 }, kept[32];

	assert_int_equal(log->n, n);
	for (size_t i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/t/%zu", i);
		assert_string_equal(evlog_record_name(&log->rec[i]), path);
	}
	/* the kept register is the replay of exactly these records */
	assert_int_equal(evlog_replay(log, 0, log->n, 10, WARD_HASH_SHA256, reg), 0);
	assert_int_equal(evlog_store_register(s, WARD_HASH_SHA256, kept), 0);
	assert_memory_equal(reg, kept, 32);
}

static off_t file_size(int dfd)
{
	struct stat st;
	assert_int_equal(fstatat(dfd, "log", &st, 0), 0);
	return st.st_size;
}

static void test_append_reopen(void **state)
{
	char *dir = test_tmpdir();
	int dfd = open_dir(dir);
	struct ward_evlog_store *s = open_store(dfd, 0, 0);
	struct stat st;

	append(s, 1, 0);
	append(s, 10, 1);
	check_records(s, 11);
	evlog_store_free(s);
	assert_int_equal(fstatat(dfd, "log", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	s = open_store(dfd, WARD_STORE_RDONLY, 0);
	check_records(s, 11);
	assert_int_equal(evlog_store_register(s, WARD_HASH_SHA384, (uint8_t[64]){ 0 }), -EINVAL);
	{
		struct ward_evlog_record r[1];
		make_recs(r, 1, 11);
		assert_int_equal(evlog_store_append(s, r, 1, NULL), -EROFS);
		evlog_record_free(&r[0]);
	}
	evlog_store_free(s);
	close(dfd);
	test_rmtree(dir);
}

/* Every way a crash can leave the tail: cut inside a header, inside a payload, inside the
 * check, a zero-filled extension, garbage. Each is cut; every earlier record stays. */
static void test_torn_tails(void **state)
{
	for (int kind = 0; kind < 5; kind++) {
		char *dir = test_tmpdir();
		int dfd = open_dir(dir), fd;
		struct ward_evlog_store *s = open_store(dfd, 0, 0);
		off_t good, full;

		append(s, 5, 0);
		good = file_size(dfd);
		append(s, 3, 5);
		full = file_size(dfd);
		evlog_store_free(s);
		fd = openat(dfd, "log", O_RDWR | O_CLOEXEC);
		assert_true(fd >= 0);
		switch (kind) {
		case 0:
			assert_int_equal(ftruncate(fd, good + 7), 0); /* inside the first frame header */
			break;
		case 1:
			assert_int_equal(ftruncate(fd, good + 40), 0); /* inside its payload */
			break;
		case 2:
			assert_int_equal(ftruncate(fd, full - 3), 0); /* inside the last check */
			break;
		case 3: {
			uint8_t zeros[300] = { 0 };
			assert_int_equal(ftruncate(fd, good), 0);
			assert_int_equal(pwrite(fd, zeros, sizeof(zeros), good), (ssize_t)sizeof(zeros));
			break;
		}
		case 4: {
			uint8_t junk[77];
			for (size_t i = 0; i < sizeof(junk); i++)
				junk[i] = (uint8_t)(i * 13 + 1);
			assert_int_equal(ftruncate(fd, good), 0);
			assert_int_equal(pwrite(fd, "WREC", 4, good), 4);
			assert_int_equal(pwrite(fd, junk, sizeof(junk), good + 4), (ssize_t)sizeof(junk));
			break;
		}
		}
		close(fd);
		/* a reader ignores the tail but leaves the file alone */
		s = open_store(dfd, WARD_STORE_RDONLY, 0);
		assert_int_equal(evlog_store_log(s)->n, kind == 2 ? 7 : 5);
		evlog_store_free(s);
		assert_true(file_size(dfd) > (kind == 2 ? full - 40 : good));
		/* a writer cuts it, and appends continue the sequence */
		s = open_store(dfd, 0, 0);
		check_records(s, kind == 2 ? 7 : 5);
		assert_true(evlog_store_cut_bytes(s) > 0);
		append(s, 2, kind == 2 ? 7 : 5);
		evlog_store_free(s);
		s = open_store(dfd, 0, 0);
		check_records(s, kind == 2 ? 9 : 7);
		assert_int_equal(evlog_store_cut_bytes(s), 0);
		evlog_store_free(s);
		close(dfd);
		test_rmtree(dir);
	}
}

/* Damage before the tail is never cut: a reported record may lie beyond it. */
static void test_damage_is_refused(void **state)
{
	for (int kind = 0; kind < 3; kind++) {
		char *dir = test_tmpdir();
		int dfd = open_dir(dir), fd;
		struct ward_evlog_store *s = open_store(dfd, 0, 0);
		off_t size;
		uint8_t b;

		append(s, 4, 0);
		evlog_store_free(s);
		size = file_size(dfd);
		fd = openat(dfd, "log", O_RDWR | O_CLOEXEC);
		switch (kind) {
		case 0: /* a byte near the end of the first frame: valid frames follow */
			assert_int_equal(pread(fd, &b, 1, 16 + 60 + 40), 1);
			b ^= 1;
			assert_int_equal(pwrite(fd, &b, 1, 16 + 60 + 40), 1);
			break;
		case 1: /* the file header */
			assert_int_equal(pwrite(fd, "X", 1, 0), 1);
			break;
		case 2: { /* a whole record removed from the middle: the sequence numbers show it */
			uint8_t *all = malloc((size_t)size);
			assert_int_equal(pread(fd, all, (size_t)size, 0), size);
			/* frames are equal-sized here; drop the second one */
			size_t fl = (size_t)(size - 16) / 4;
			memmove(all + 16 + fl, all + 16 + 2 * fl, 2 * fl);
			assert_int_equal(ftruncate(fd, 0), 0);
			assert_int_equal(pwrite(fd, all, (size_t)size - fl, 0), (ssize_t)(size - (off_t)fl));
			size -= (off_t)fl;
			free(all);
			break;
		}
		}
		close(fd);
		assert_null(open_store(dfd, 0, kind == 1 ? -EBADMSG : -EUCLEAN));
		assert_int_equal(file_size(dfd), size);
		close(dfd);
		test_rmtree(dir);
	}
}

/* Two handles on one log (two monitors): each catches up before it writes. */
static void test_two_writers(void **state)
{
	char *dir = test_tmpdir();
	int dfd = open_dir(dir);
	struct ward_evlog_store *a = open_store(dfd, 0, 0), *b = open_store(dfd, 0, 0);
	struct ward_diag d;

	append(a, 2, 0);
	append(b, 3, 2);
	append(a, 1, 5);
	assert_int_equal(evlog_store_refresh(b, &d), 0);
	check_records(a, 6);
	check_records(b, 6);
	evlog_store_free(a);
	evlog_store_free(b);
	close(dfd);
	test_rmtree(dir);
}

static void test_append_rejects(void **state)
{
	char *dir = test_tmpdir();
	int dfd = open_dir(dir);
	struct ward_evlog_store *s = open_store(dfd, 0, 0);
	struct ward_evlog_record r[1];

	make_recs(r, 1, 0);
	assert_int_equal(evlog_store_append(s, r, 0, NULL), -EINVAL);
	r[0].violation = true; /* ward never writes a violation */
	assert_int_equal(evlog_store_append(s, r, 1, NULL), -EINVAL);
	evlog_record_free(&r[0]);
	assert_int_equal(evlog_store_log(s)->n, 0);
	evlog_store_free(s);
	close(dfd);
	test_rmtree(dir);
}

/* A copy of the file parses alone (ward log replay STATE_DIR/log), strictly. */
static void test_parse_copy(void **state)
{
	char *dir = test_tmpdir(), path[512];
	int dfd = open_dir(dir);
	struct ward_evlog_store *s = open_store(dfd, 0, 0);
	struct ward_evlog log;
	struct ward_diag d = { { 0 } };
	uint8_t *buf = NULL, reg[32] = { 0 }, kept[32];
	size_t len;

	append(s, 7, 0);
	snprintf(path, sizeof(path), "%s/log", dir);
	assert_int_equal(read_file_full(path, 1 << 20, &buf, &len), 0);
	evlog_init(&log);
	assert_int_equal(evlog_parse_auto(buf, len, __WARD_HASH_MAX, &log, &d), 0);
	assert_int_equal(log.n, 7);
	assert_int_equal(evlog_replay(&log, 0, log.n, 10, WARD_HASH_SHA256, reg), 0);
	assert_int_equal(evlog_store_register(s, WARD_HASH_SHA256, kept), 0);
	assert_memory_equal(reg, kept, 32);
	evlog_free(&log);
	evlog_init(&log);
	assert_int_equal(evlog_parse_ward_file(buf, len - 5, &log, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "torn tail"));
	evlog_free(&log);
	buf[40] ^= 1;
	evlog_init(&log);
	assert_int_equal(evlog_parse_ward_file(buf, len, &log, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "damaged"));
	evlog_free(&log);
	free(buf);
	evlog_store_free(s);
	close(dfd);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_reopen),	  cmocka_unit_test(test_torn_tails),
		cmocka_unit_test(test_damage_is_refused), cmocka_unit_test(test_two_writers),
		cmocka_unit_test(test_append_rejects),	  cmocka_unit_test(test_parse_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
