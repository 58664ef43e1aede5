// SPDX-License-Identifier: Apache-2.0
// polbench: the in-process cost of each step of installing and using a policy, on libward's own
// functions (linked against a snapshot of build/src/libward-verify.a by bench/policy/run):
//
//   read      read_file_full() of the policy file (page-cached)
//   sha256    hash_buf() of the file: the key of its index (state_load_policy())
//   parse     policy_parse(): JSON to sorted, unique digests (first install, --policy)
//   encode    policy_index_encode(): the index written to STATE/policy-index/
//   decode    policy_index_decode(): what a monitor does when it starts or switches
//   sigcheck  policy_sig_check(): Ed25519 over the file's bytes (install, verify)
//   hit       policy_lookup() of a digest in the policy (random order over all entries)
//   miss      policy_lookup() of a digest not in it (random digests)
//
// Output, one line per timed round: "TAG ROUND NS COUNT" (COUNT operations in NS together;
// lookups are timed over -n lookups per round, the other steps once per round), after
// "info KEY VALUE" lines. The lookups run on the decoded policy (the monitor's). Any failure
// (a step erring, a hit not found, a miss found) exits 1: a broken step would time fast.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "ward/hash.h"
#include "ward/limits.h"
#include "ward/policy-sign.h"
#include "ward/policy.h"

static const char *usage = "usage: polbench -p POLICY.json [-k KEY.pub] [-s SIG] [-r ROUNDS] "
			   "[-n LOOKUPS] [-t TAG-PREFIX]\n";

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, int r, const struct ward_diag *d)
{
	fprintf(stderr, "polbench: %s: %s%s%s\n", what, strerror(r < 0 ? -r : r),
		d && d->msg[0] ? ": " : "", d ? d->msg : "");
	exit(1);
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1) {
		fprintf(stderr, "polbench: not a count: %s\n", s);
		exit(2);
	}
	return v;
}

// xorshift64*: reproducible queries (the same seed every run)
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *keypath = NULL, *sigpath = NULL, *tag = "";
	long rounds = 10, nlook = 1000000;
	struct ward_diag d = { { 0 } };
	int opt, r;

	while ((opt = getopt(argc, argv, "p:k:s:r:n:t:")) != -1) {
		switch (opt) {
		case 'p': path = optarg; break;
		case 'k': keypath = optarg; break;
		case 's': sigpath = optarg; break;
		case 'r': rounds = number(optarg); break;
		case 'n': nlook = number(optarg); break;
		case 't': tag = optarg; break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!path || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}

	uint8_t *buf = NULL, *sig = NULL, *idx = NULL;
	size_t len = 0, siglen = 0, ilen = 0;
	uint8_t file_digest[WARD_HASH_MAX_SIZE];
	struct ward_policy *p = NULL, *q = NULL;
	EVP_PKEY *key = NULL;

	if ((r = read_file_full(path, WARD_POLICY_FILE_MAX, &buf, &len)) < 0)
		die(path, r, NULL);
	if ((r = hash_buf(WARD_HASH_SHA256, buf, len, file_digest)) < 0)
		die("hash_buf", r, NULL);
	if ((r = policy_parse(buf, len, &p, &d)) < 0)
		die("policy_parse", r, &d);
	if ((r = policy_index_encode(p, &idx, &ilen)) < 0)
		die("policy_index_encode", r, NULL);
	if ((r = policy_index_decode(idx, ilen, file_digest, &q, &d)) < 0)
		die("policy_index_decode", r, &d);
	if (keypath) {
		_cleanup_free_ char *def = NULL;

		if ((r = policy_pubkey_load(keypath, &key, &d)) < 0)
			die(keypath, r, &d);
		if (!sigpath && asprintf(&def, "%s.sig", path) < 0)
			die("asprintf", -ENOMEM, NULL);
		if ((r = read_file_full(sigpath ? sigpath : def, 4096, &sig, &siglen)) < 0)
			die(sigpath ? sigpath : def, r, NULL);
		if ((r = policy_sig_check(key, buf, len, sig, siglen)) < 0)
			die("policy_sig_check (the signature does not verify)", r, NULL);
	}
	const char *alg = hash_alg_name(q->hash);
	size_t dlen = hash_alg_size(q->hash), n = q->n_entries;

	printf("info file_bytes %zu\n", len);
	printf("info entries_listed %zu\n", p->n_paths);
	printf("info digests %zu\n", n);
	printf("info index_bytes %zu\n", ilen);
	printf("info hash %s\n", alg);
	printf("info lookups_per_round %ld\n", nlook);
	if (n == 0)
		die("the policy has no entries", -EINVAL, NULL);

	// Queries made once: hits in a random order over all entries (each entry once per n
	// lookups, so a 10-entry policy stays in L1 and a 100k one does not), misses random.
	size_t *perm = malloc(n * sizeof(*perm));
	uint8_t *hits = malloc((size_t)nlook * dlen), *miss = malloc((size_t)nlook * dlen);

	if (!perm || !hits || !miss)
		die("malloc", -ENOMEM, NULL);
	for (long i = 0; i < nlook; i++) {
		if ((size_t)i % n == 0) {
			for (size_t j = 0; j < n; j++)
				perm[j] = j;
			for (size_t j = n - 1; j > 0; j--) {
				size_t k = rng() % (j + 1), t = perm[j];

				perm[j] = perm[k];
				perm[k] = t;
			}
		}
		memcpy(hits + (size_t)i * dlen, q->entries[perm[(size_t)i % n]].digest, dlen);
		for (size_t b = 0; b < dlen; b += 8) {
			uint64_t v = rng();

			memcpy(miss + (size_t)i * dlen + b, &v, dlen - b < 8 ? dlen - b : 8);
		}
	}

	for (long round = 1; round <= rounds; round++) {
		long long t0;
		uint8_t *b2 = NULL, *i2 = NULL, dg[WARD_HASH_MAX_SIZE];
		size_t l2, il2;
		struct ward_policy *p2 = NULL;
		long found;

		t0 = now_ns();
		if ((r = read_file_full(path, WARD_POLICY_FILE_MAX, &b2, &l2)) < 0)
			die(path, r, NULL);
		printf("%sread %ld %lld 1\n", tag, round, now_ns() - t0);
		free(b2);

		t0 = now_ns();
		if ((r = hash_buf(WARD_HASH_SHA256, buf, len, dg)) < 0)
			die("hash_buf", r, NULL);
		printf("%ssha256 %ld %lld 1\n", tag, round, now_ns() - t0);

		t0 = now_ns();
		if ((r = policy_parse(buf, len, &p2, &d)) < 0)
			die("policy_parse", r, &d);
		printf("%sparse %ld %lld 1\n", tag, round, now_ns() - t0);
		policy_free(p2);

		t0 = now_ns();
		if ((r = policy_index_encode(p, &i2, &il2)) < 0)
			die("policy_index_encode", r, NULL);
		printf("%sencode %ld %lld 1\n", tag, round, now_ns() - t0);
		free(i2);

		t0 = now_ns();
		if ((r = policy_index_decode(idx, ilen, file_digest, &p2, &d)) < 0)
			die("policy_index_decode", r, &d);
		printf("%sdecode %ld %lld 1\n", tag, round, now_ns() - t0);
		policy_free(p2);

		if (key) {
			t0 = now_ns();
			if ((r = policy_sig_check(key, buf, len, sig, siglen)) < 0)
				die("policy_sig_check", r, NULL);
			printf("%ssigcheck %ld %lld 1\n", tag, round, now_ns() - t0);
		}

		found = 0;
		t0 = now_ns();
		for (long i = 0; i < nlook; i++)
			found += policy_lookup(q, alg, hits + (size_t)i * dlen, dlen) != NULL;
		printf("%shit %ld %lld %ld\n", tag, round, now_ns() - t0, nlook);
		if (found != nlook)
			die("a digest of the policy was not found", -EPROTO, NULL);

		found = 0;
		t0 = now_ns();
		for (long i = 0; i < nlook; i++)
			found += policy_lookup(q, alg, miss + (size_t)i * dlen, dlen) != NULL;
		printf("%smiss %ld %lld %ld\n", tag, round, now_ns() - t0, nlook);
		if (found != 0)
			die("a random digest was found", -EPROTO, NULL);
	}
	EVP_PKEY_free(key);
	policy_free(p);
	policy_free(q);
	free(buf);
	free(sig);
	free(idx);
	free(perm);
	free(hits);
	free(miss);
	return 0;
}
