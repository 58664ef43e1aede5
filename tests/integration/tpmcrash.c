/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-test-tpmcrash: the state a crash between append and extend leaves, made on purpose for
 * tpm-attester.sh.
 *
 * Usage: ward-test-tpmcrash STATE_DIR PATH...
 *
 * Opens STATE_DIR without its attester (state_open() flags 0: no mirror into the PCR), appends
 * one ima-ng record per PATH (file digest = sha256 of the path, in the dir's PCR) durably in one
 * group commit, prints "appended N" and dies of SIGKILL: what a writer killed after its records
 * reached the log and before it extended them leaves behind. The next open with the attester
 * must find exactly those records missing from the PCR.
 * Exit: killed by SIGKILL after the append; 2 usage; 3 a ward call failed (reason on stderr).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ward/evlog.h"
#include "ward/hash.h"
#include "ward/state.h"

#define PATHS_MAX 64

int main(int argc, char **argv)
{
	struct ward_evlog_record recs[PATHS_MAX];
	struct ward_state *s = NULL;
	struct ward_diag d = {{0}};
	size_t n = (size_t)argc - 2;
	int r;

	if (argc < 3 || n > PATHS_MAX) {
		fprintf(stderr, "usage: %s STATE_DIR PATH... (1..%d paths)\n", argv[0], PATHS_MAX);
		return 2;
	}
	r = state_open(argv[1], NULL, 0, &s, &d);
	if (r < 0) {
		fprintf(stderr, "tpmcrash: state_open %s: %s (%s)\n", argv[1], d.msg, strerror(-r));
		return 3;
	}
	if (s->att) {
		fprintf(stderr,
			"tpmcrash: state_open without WARD_STATE_ATTESTER opened the attester\n");
		return 3;
	}
	memset(recs, 0, sizeof(recs));
	for (size_t i = 0; i < n; i++) {
		const char *path = argv[2 + i];
		uint8_t digest[WARD_HASH_MAX_SIZE];

		r = hash_buf(WARD_HASH_SHA256, path, strlen(path), digest);
		if (r >= 0)
			r = evlog_record_new_ng(s->pcr, WARD_HASH_SHA256, digest, path, NULL, 0,
						&recs[i]);
		if (r < 0) {
			fprintf(stderr, "tpmcrash: building record: %s\n", strerror(-r));
			return 3;
		}
	}
	r = state_append(s, recs, n, &d);
	if (r < 0) {
		fprintf(stderr, "tpmcrash: state_append: %s (%s)\n", d.msg, strerror(-r));
		return 3;
	}
	printf("appended %zu\n", n);
	fflush(stdout);
	/* Durable in the log, not in the PCR: die here, as a kill -9 at this moment would. */
	raise(SIGKILL);
	return 3;
}
