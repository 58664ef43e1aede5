/* SPDX-License-Identifier: Apache-2.0 */
/* The names of a request's outcomes: wardd, ward and the channel's clients share them (this file
 * is in libward-verify, which a client links without the sandbox code). */
#include "ward/sandbox.h"

static const char *const status_names[__WARD_SANDBOX_STATUS_MAX] = {
	[WARD_SANDBOX_OK] = "ok",
	[WARD_SANDBOX_BAD_REQUEST] = "bad-request",
	[WARD_SANDBOX_UNKNOWN_SERVICE] = "unknown-service",
	[WARD_SANDBOX_INPUT_TOO_LARGE] = "input-too-large",
	[WARD_SANDBOX_OUTPUT_TOO_LARGE] = "output-too-large",
	[WARD_SANDBOX_TIMEOUT] = "timeout",
	[WARD_SANDBOX_FAILED] = "failed",
	[WARD_SANDBOX_MEMORY] = "memory-limit",
	[WARD_SANDBOX_UNAVAILABLE] = "unavailable",
	[WARD_SANDBOX_DISCONNECTED] = "disconnected",
	[WARD_SANDBOX_POLICY_CHANGED] = "policy-changed",
};

const char *sandbox_status_name(enum ward_sandbox_status s)
{
	return (unsigned)s < __WARD_SANDBOX_STATUS_MAX ? status_names[s] : "unknown";
}
