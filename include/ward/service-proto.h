/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The wire format of wardd's UNIX socket (STATE_DIR/wardd.sock): one request per connection.
 * Integers are little-endian. The client sends a request header, the service name and exactly
 * input_len bytes of input; wardd answers with a response header, the message, the output and
 * the service's stderr (when its manifest returns it), then closes. Only a response with status
 * WARD_SANDBOX_OK (ward/sandbox.h) carries output: a failed request never returns a partial
 * result.
 */
#ifndef WARD_SERVICE_PROTO_H
#define WARD_SERVICE_PROTO_H

#include <stdint.h>

#define WARD_SVC_SOCKET "wardd.sock"
#define WARD_SVC_REQ_MAGIC "WARDREQ1"
#define WARD_SVC_RESP_MAGIC "WARDRES1"

struct ward_svc_req_hdr {
	char magic[8];	    /* WARD_SVC_REQ_MAGIC */
	uint32_t name_len;  /* 1..WARD_SERVICE_NAME_MAX - 1 */
	uint32_t flags;	    /* 0 */
	uint64_t input_len; /* at most the service's max_input_bytes */
};

struct ward_svc_resp_hdr {
	char magic[8];	     /* WARD_SVC_RESP_MAGIC */
	uint32_t status;     /* enum ward_sandbox_status */
	int32_t exit_status; /* the service's, -1 if it did not run */
	uint32_t msg_len;    /* at most 255 */
	uint32_t flags;	     /* 0 */
	uint64_t output_len;
	uint64_t stderr_len;
};

_Static_assert(sizeof(struct ward_svc_req_hdr) == 24, "request header layout");
_Static_assert(sizeof(struct ward_svc_resp_hdr) == 40, "response header layout");

/* A client that has not sent its whole request header within this long is dropped. */
#define WARD_SVC_HEADER_TIMEOUT_MS 10000

#endif
