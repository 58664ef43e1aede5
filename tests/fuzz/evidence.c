/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: an evidence bundle (JSON with the quote message, its signature and the log in
 * base64), as `ward verify` judges one offline. The verifier holds it to a fixed nonce, a fixed
 * allowlist and a fixed prior state, and pins no key: so no input whatsoever may come out
 * trusted, and every input must be either refused with a reason or judged with one.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/policy.h"
#include "ward/verify.h"

/* The nonce corpus/evidence/ was exported for (ward evidence --nonce 00112233). */
static const uint8_t nonce[] = { 0x00, 0x11, 0x22, 0x33 };

/*
 * Reference values holding one of the objects measured in corpus/evidence/sample.json, so that
 * both the known and the unknown path of the policy check are reached.
 */
static const char policy_json[] =
	"{\"ward_policy\":1,\"name\":\"fuzz\",\"version\":1,\"hash\":\"sha256\",\"entries\":["
	"{\"digest\":\"sha256:c79bf44242829108e323378531f4ac839513ca1fba45efd6583643526e1e9fd2\","
	"\"path\":\"/usr/bin/true\"}]}";

/*
 * The state `ward verify --json` printed for corpus/evidence/sample.json (records 0..1), which
 * corpus/evidence/since-2.json continues: so the incremental path (replay from the prior
 * registers) is reached, and any other first record takes the mismatch path.
 */
static const char prior_json[] =
	"{\"records\":2,\"pcr\":10,\"registers\":{"
	"\"sha1\":\"694e33655fea855f5e4fce9023c7d6322bba5c96\","
	"\"sha256\":\"53e4515fe02d9717a95b0bece7d8ecc0fde67fcb5c18be2309830264e37860ad\"},"
	"\"public_key\":\"302a300506032b65700321005c1ef0747cb0ccfc8d2e8b2daac435ceb7a4bebf867cb18a"
	"55d99b71d6255eff\"}";

static struct ward_policy *policy;
static struct ward_verify_prior prior;

static void setup(void)
{
	struct ward_diag d = { { 0 } };

	if (policy)
		return;
	if (policy_parse((const uint8_t *)policy_json, strlen(policy_json), &policy, &d) < 0 ||
	    verify_prior_parse((const uint8_t *)prior_json, strlen(prior_json), &prior, &d) < 0) {
		fprintf(stderr, "fuzz-evidence: fixed inputs do not parse: %s\n", d.msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_verify_opts opts = {
		.nonce = nonce,
		.nonce_len = sizeof(nonce),
		.soft_keys = NULL,
		.n_soft_keys = 0,
	};
	struct ward_verify_result res;
	struct ward_diag d = { { 0 } };
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;
	setup();
	opts.policy = policy;
	opts.prior = &prior;

	err = verify_evidence(data, size, &opts, &res, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -EOPNOTSUPP || err == -E2BIG);
	if (err < 0) {
		FUZZ_ASSERT(d.msg[0] != '\0');
	} else {
		/* Fail closed: with no key pinned, soft evidence is never trusted. */
		FUZZ_ASSERT(res.verdict == WARD_VERDICT_FAIL);
		FUZZ_ASSERT(!res.key_pinned);
		FUZZ_ASSERT(res.msg_decoded);
		FUZZ_ASSERT(res.n_reasons > 0);
		for (size_t i = 0; i < res.n_reasons; i++)
			FUZZ_ASSERT(res.reasons[i] && res.reasons[i][0]);
		FUZZ_ASSERT(res.policy_ok == (res.n_unknown == 0));
		for (size_t i = 0; i < res.n_unknown; i++) {
			const struct ward_verify_object *u = &res.unknown[i];

			FUZZ_ASSERT(memchr(u->digest, '\0', sizeof(u->digest)) && u->path);
		}
		FUZZ_ASSERT(res.objects + res.decisions_allow + res.decisions_deny +
				    res.decisions_audit <= res.log.n);
		FUZZ_ASSERT(res.public_key_len <= sizeof(res.public_key));
	}
	verify_result_clear(&res);
	return 0;
}
