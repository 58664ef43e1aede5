/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a verifier holds evidence to, as `ward verify` and `ward call` take it on the command
 * line: pinned keys, reference values, the manifest digest, the policy requirements, and the
 * tsm options. One parser, so that both verbs accept and refuse exactly the same.
 */
#ifndef WARD_CLI_EXPECT_H
#define WARD_CLI_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ward/limits.h"
#include "ward/policy.h"

struct cli_expect {
	EVP_PKEY *soft_keys[WARD_PINNED_KEYS_MAX];
	size_t n_soft_keys;
	EVP_PKEY *ak_keys[WARD_PINNED_KEYS_MAX];
	size_t n_ak_keys;
	struct ward_policy *policy; /* --policy: reference values */
	uint8_t manifest_digest[32];
	bool has_manifest_digest;
	bool check_min_version;
	uint64_t min_policy_version;
	char issuer[WARD_KEY_ID_STR_MAX]; /* --policy-issuer's key id, "" when not given */
	bool allow_debug;
	int64_t now; /* 0: now */
	uint8_t measurement[48];
	size_t measurement_len; /* 0 when not given */
};

/* The long options cli_expect_parse() handles (their short codes are reserved in a verb). */
#define CLI_EXPECT_LONGOPTS                                                                        \
	{ "soft-key", required_argument, NULL, 'k' }, { "ak-key", required_argument, NULL, 'a' },  \
	{ "policy", required_argument, NULL, 'p' },                                                \
	{ "manifest-digest", required_argument, NULL, 'm' },                                       \
	{ "min-policy-version", required_argument, NULL, 'V' },                                    \
	{ "policy-issuer", required_argument, NULL, 'I' },                                         \
	{ "allow-debug", no_argument, NULL, 'D' }, { "now", required_argument, NULL, 'T' },        \
	{ "measurement", required_argument, NULL, 'M' }

/**
 * cli_expect_parse() - handle option @c (from CLI_EXPECT_LONGOPTS) with @arg.
 * Return: 1 handled, 0 not one of these, -1 refused (the error is printed; exit EXIT_USAGE).
 */
int cli_expect_parse(int c, const char *arg, struct cli_expect *e);

struct ward_verify_opts;
/** cli_expect_to_verify() - point @o's pins and requirements at @e's (which must outlive it). */
void cli_expect_to_verify(const struct cli_expect *e, struct ward_verify_opts *o);

void cli_expect_free(struct cli_expect *e);

#endif
