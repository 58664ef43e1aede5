/* SPDX-License-Identifier: Apache-2.0 */
/* wardd's pieces: the services it serves, their warm pools, the clients waiting. */
#ifndef WARD_WARDD_H
#define WARD_WARDD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ward/sandbox.h"
#include "ward/service-proto.h"

/* Limits of the daemon (each also an option). */
#define WARDD_SERVICES_MAX 64
#define WARDD_SANDBOXES_DEFAULT 8   /* sandboxes alive at once, warm or busy */
#define WARDD_SANDBOXES_MAX 256
#define WARDD_QUEUE_DEFAULT 1024    /* clients waiting for a sandbox, all services */
#define WARDD_CONNS_MAX 4096	    /* connections wardd holds (reading headers or queued) */
#define WARDD_ALLOW_UIDS_MAX 16
#define WARDD_RESPAWN_BACKOFF_MS 1000 /* after a sandbox failed to warm up */

enum slot_state { SLOT_FREE, SLOT_WARMING, SLOT_READY, SLOT_BUSY };

/* One sandbox: a child process (its monitor) and the channel to it. */
struct slot {
	enum slot_state state;
	int svc;	/* index into wardd.svcs */
	pid_t pid;
	int ctl;
	int conn;	/* BUSY: a dup of the client's connection, until the child answers */
	bool responding;
	bool done;
	bool policy_killed; /* killed by a policy switch */
};

struct service {
	struct ward_sandbox_service s;
	char path[4096];
	bool live;	      /* false once a reload dropped it (its sandboxes drain) */
	uint64_t ok, failed;  /* requests, by outcome (counts only) */
	uint64_t respawn_after_ms;
};

/* A client connection: its request header being read, or waiting for a sandbox. */
struct conn {
	int fd;
	bool queued;
	int svc;
	uint64_t input_len;
	uint64_t deadline_ms;
	size_t got;
	uint8_t hdr[sizeof(struct ward_svc_req_hdr) + WARD_SERVICE_NAME_MAX];
};

#endif
