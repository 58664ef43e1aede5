/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libward-client: one request to a service of wardd over the attested channel
 * (docs/channel.md). The evidence the server sends is verified as `ward verify` does, over a
 * nonce bound to this TLS connection and the server's key, before a byte of input leaves.
 * It contains no enforcement code: only the verifier (libward-verify), the channel codec and
 * OpenSSL.
 *
 * Linking. In this meson project: dependencies : libward_client_dep (it brings
 * libward-verify, libssl, libcrypto and jansson). From outside, with a build tree B and the
 * source tree S:
 *
 *   cc -I S/include -I S/src -I B app.c B/src/libward-client.a B/src/libward-verify.a \
 *      -lssl -lcrypto -ljansson
 *
 * (a program that links libward already has libward-verify in it: add libward-client.a
 * only). The library prints nothing and changes no process-wide state: SIGPIPE is blocked in
 * the calling thread for the duration of the call (a pending one it raised is consumed).
 */
#ifndef WARD_CLIENT_H
#define WARD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/diag.h"

struct ward_policy;

/* The most input read into memory from a stream that is not a regular file (default). */
#define WARD_CLIENT_INPUT_MAX_DEFAULT (64ull << 20)
/* The most output (and stderr) held while a RESULT arrives (default): the whole result is
 * received before a byte of it is written (never a partial result). */
#define WARD_CLIENT_OUTPUT_MAX_DEFAULT (64ull << 20)
/* The most service stderr taken (wardd returns at most 64 KiB). */
#define WARD_CLIENT_STDERR_MAX (64u << 10)
/* Default wait for connect and for each read or write (ms). */
#define WARD_CLIENT_TIMEOUT_MS_DEFAULT 60000

struct ward_client_opts {
	/* What the evidence is held to: as struct ward_verify_opts (ward/verify.h). */
	EVP_PKEY *const *soft_keys; /* pinned soft attester keys (any one of them) */
	size_t n_soft_keys;
	EVP_PKEY *const *ak_keys; /* pinned TPM attestation keys */
	size_t n_ak_keys;
	const struct ward_policy *policy; /* reference values, or NULL */
	/* 32 bytes: the sha256 of the service's manifest (`ward sandbox digest`), or NULL. The
	 * service's latest registration in the evidence must name it. */
	const uint8_t *manifest_digest;
	bool check_min_version;
	uint64_t min_policy_version;
	const char *policy_issuer; /* key id "ed25519:<hex>", or NULL */
	bool allow_debug;	   /* tsm: accept a debuggable guest or TD */
	int64_t now;		   /* tsm: certificates checked at this time; 0: now */
	const uint8_t *tee_measurement; /* tsm: expected MEASUREMENT / MRTD (48 bytes), or NULL */
	size_t tee_measurement_len;
	/* Limits (0: the defaults above). */
	uint64_t max_input;
	uint64_t max_output;
	int timeout_ms; /* connect, and every wait for the server; a service that runs longer
			 * than this before its RESULT needs more */
};

struct ward_client_result {
	/* The evidence. */
	bool evidence;	/* an EVIDENCE frame arrived (else an ERROR came first) */
	bool trusted;	/* it passed every check: only then was input sent */
	char **reasons; /* one sentence per failed check */
	size_t n_reasons;
	char attester[16]; /* "soft", "tpm", "tsm" (when the statement decoded) */
	char root[32];	   /* what the evidence says roots it ("soft", "swtpm", "tpm", "sev-snp"...) */
	bool hardware_rooted;
	/* The request. */
	bool input_sent;     /* the REQUEST went out (the input left this process) */
	uint64_t input_bytes;
	/* The answer: a RESULT or an ERROR frame. */
	bool answered;
	bool error_frame; /* it was an ERROR frame (exit_status -1) */
	uint32_t status;  /* enum ward_sandbox_status: 0 ok (ward_client_status_name()) */
	int32_t exit_status;
	char msg[256];
	uint64_t output_bytes; /* written to out_fd (status ok only) */
	uint64_t stderr_bytes; /* written to err_fd */
};

/**
 * ward_client_call() - one request to @service of the wardd at @host:@port.
 * @o: pins, requirements and limits (NULL fields: none; see struct ward_client_opts).
 * @host: a host name or an IP address (an IPv6 literal without brackets).
 * @port: a port number or service name.
 * @service: the service's name.
 * @in_fd: the input: a regular file is streamed from its current offset to its end (its size
 *         announced first); anything else is read whole into memory before connecting (at
 *         most @o->max_input bytes; over that, -EFBIG and no connection).
 * @out_fd: the service's output, written only when the whole RESULT has arrived and its status
 *          is ok.
 * @err_fd: the service's stderr (when its manifest returns it), written when the whole RESULT
 *          has arrived, whatever its status; -1 to drop it.
 * @ret: the outcome (release with ward_client_result_clear(), also after an error).
 * @d: diagnostics for an error.
 *
 * The TLS connection is TLS 1.3 only, without session resumption; the server's certificate is
 * not checked against any CA: the evidence authenticates it. Evidence that does not satisfy
 * @o (or is malformed, or does not register @service, or registers it with another manifest
 * than @o->manifest_digest) is a verdict: @ret->trusted is false with every reason, nothing
 * is sent and 0 is returned. Likewise an ERROR frame from the server (@ret->answered).
 *
 * Return: 0 when the exchange came to an end @ret describes (check @ret->trusted,
 * @ret->answered and @ret->status); -EINVAL for a bad service name or options; -EFBIG for
 * input over @o->max_input (nothing sent); -E2BIG for a RESULT announcing more than
 * @o->max_output bytes (nothing written); -ENOENT when @host does not resolve; -ECONNREFUSED,
 * -ETIMEDOUT, -ECONNRESET (the connection ended early: if the input was sent, the request's
 * fate is unknown), -EPROTO for a TLS failure, -EBADMSG for a malformed frame, -EIO when the
 * input or @out_fd/@err_fd fails, -ENOMEM.
 */
int ward_client_call(const struct ward_client_opts *o, const char *host, const char *port,
		     const char *service, int in_fd, int out_fd, int err_fd,
		     struct ward_client_result *ret, struct ward_diag *d);

/** ward_client_result_clear() - free what @r holds and zero it; NULL is allowed. */
void ward_client_result_clear(struct ward_client_result *r);

/** ward_client_status_name() - "ok", "timeout", "policy-changed"... ("unknown" past the end). */
const char *ward_client_status_name(uint32_t status);

#endif
