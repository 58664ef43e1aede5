/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-test-appender: a log writer for crash.sh, which kills it with SIGKILL at random moments.
 *
 * Usage: ward-test-appender STATE_DIR TAG [SEED [MAX_BATCH [MAX_RECORDS]]]
 *
 * Appends ima-ng records for the paths "/crash/TAG/<n>" (n = 0, 1, ...; file digest =
 * sha256 of the path) in group commits of 1..MAX_BATCH records (default 64) through
 * state_append(), the path every ward writer takes. Only after state_append() returned 0 does
 * it print one line per record, "ok <log index> <path>", and flush: a line on stdout is a
 * promise that the record is durable at that index. crash.sh holds the log to every promise
 * made before the kill. Runs until killed, or until MAX_RECORDS (0 = no limit) are appended.
 * Exit: 0 at MAX_RECORDS, 2 usage, 3 a ward call failed (the reason is on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ward/evlog.h"
#include "ward/hash.h"
#include "ward/measure.h"
#include "ward/state.h"

#define BATCH_LIMIT 64

static uint64_t rng_state;

/* xorshift64*: reproducible from the seed crash.sh prints, no libc state shared. */
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *e;

	errno = 0;
	*ret = strtoull(s, &e, 0);
	return (!*s || *e || errno || s[0] == '-') ? -EINVAL : 0;
}

/* The record for "/crash/TAG/N": an ima-ng record whose file digest is sha256 of the path. */
static int build_record(const char *tag, uint64_t n, char *path, size_t size,
			struct ward_evlog_record *ret)
{
	uint8_t digest[WARD_HASH_MAX_SIZE];
	int r;

	snprintf(path, size, "/crash/%s/%" PRIu64, tag, n);
	r = hash_buf(WARD_HASH_SHA256, path, strlen(path), digest);
	if (r < 0)
		return r;
	return evlog_record_new_ng(WARD_IMA_PCR, WARD_HASH_SHA256, digest, path, NULL, 0, ret);
}

static bool parse_args(int argc, char **argv, uint64_t *seed, uint64_t *max_batch,
		       uint64_t *max_records)
{
	if (argc < 3 || argc > 6)
		return false;
	if (argc > 3 && parse_u64(argv[3], seed) < 0)
		return false;
	if (argc > 4 &&
	    (parse_u64(argv[4], max_batch) < 0 || *max_batch < 1 || *max_batch > BATCH_LIMIT))
		return false;
	return argc <= 5 || parse_u64(argv[5], max_records) == 0;
}

int main(int argc, char **argv)
{
	struct ward_evlog_record recs[BATCH_LIMIT];
	char paths[BATCH_LIMIT][128];
	struct ward_state *s = NULL;
	struct ward_diag d = {{0}};
	uint64_t seed = 0, max_batch = BATCH_LIMIT, max_records = 0, counter = 0;
	int r;

	if (!parse_args(argc, argv, &seed, &max_batch, &max_records)) {
		fprintf(stderr, "usage: %s STATE_DIR TAG [SEED [MAX_BATCH(1..%d) [MAX_RECORDS]]]\n",
			argv[0], BATCH_LIMIT);
		return 2;
	}
	if (seed == 0)
		seed = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	rng_state = seed | 1;

	r = state_open(argv[1], "soft", WARD_STATE_ATTESTER, &s, &d);
	if (r < 0) {
		fprintf(stderr, "appender: state_open %s: %s (%s)\n", argv[1], d.msg, strerror(-r));
		return 3;
	}
	for (;;) {
		size_t n = 1 + (size_t)(rng_next() % max_batch);
		const struct ward_evlog *log;

		if (max_records && counter + n > max_records)
			n = (size_t)(max_records - counter);
		if (n == 0)
			break;
		memset(recs, 0, sizeof(recs));
		for (size_t i = 0; i < n; i++) {
			r = build_record(argv[2], counter + i, paths[i], sizeof(paths[i]),
					 &recs[i]);
			if (r < 0) {
				fprintf(stderr, "appender: building record: %s\n", strerror(-r));
				for (size_t k = 0; k < i; k++)
					evlog_record_free(&recs[k]);
				state_close(s);
				return 3;
			}
		}
		r = state_append(s, recs, n, &d);
		if (r < 0) {
			fprintf(stderr, "appender: state_append: %s (%s)\n", d.msg, strerror(-r));
			for (size_t i = 0; i < n; i++)
				evlog_record_free(&recs[i]);
			state_close(s);
			return 3;
		}
		/* Durable now: only now may the records be reported. */
		log = evlog_store_log(s->log);
		for (size_t i = 0; i < n; i++)
			printf("ok %zu %s\n", log->n - n + i, paths[i]);
		fflush(stdout);
		counter += n;
	}
	state_close(s);
	return 0;
}
