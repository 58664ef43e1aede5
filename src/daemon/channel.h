/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wardd's attested channel endpoint (docs/channel.md): a TLS 1.3 listener whose key pair is made
 * at start and never leaves wardd; each connection is served by a child process that proves
 * the monitor with evidence bound to the connection, then relays the client's request to
 * wardd's own sandbox pool through its UNIX socket.
 */
#ifndef WARD_DAEMON_CHANNEL_H
#define WARD_DAEMON_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/diag.h"
#include "ward/policy-state.h"
#include "ward/state.h"

#define WARDD_CH_CONNS_DEFAULT 64
#define WARDD_CH_CONNS_MAX 4096
#define WARDD_CH_QUOTE_RATE_DEFAULT 20 /* quotes per second, burst as many */
#define WARDD_CH_HELLO_TIMEOUT_S 10    /* handshake and HELLO */
#define WARDD_CH_IDLE_TIMEOUT_S 30     /* any later read or write that makes no progress */

struct channel_server;

/* What a connection's child needs from wardd. */
struct channel_env {
	struct ward_state *st;
	const char *socket_path;      /* wardd's UNIX socket: requests go through the pool */
	bool follows_installed;       /* no --policy: a policy change fails the request */
	/* Is @name a service wardd serves (the child's copy of wardd's table)? */
	bool (*service_live)(const char *name);
};

/**
 * channel_open() - listen on @addr ("HOST:PORT", "[V6]:PORT" or ":PORT") and make the TLS
 * context: TLS 1.3 only, no resumption, a fresh ECDSA P-256 key and self-signed certificate.
 * Return: 0, -EINVAL for a bad address, or -errno.
 */
int channel_open(const char *addr, unsigned max_conns, unsigned quote_rate,
		 struct channel_server **ret, struct ward_diag *d);

/**
 * channel_warm() - before the first connection: a TLS handshake of the server with itself in
 * memory, and a throw-away Ed25519 key used (a self-test, and OpenSSL's algorithm
 * caches filled for every connection's child to inherit). The attester's key is not loaded
 * (see channel.c). Return: 0 or -errno (the channel cannot work).
 */
int channel_warm(struct channel_server *s, struct ward_diag *d);

/**
 * channel_forget() - in a child of wardd that is not a connection's (a sandbox monitor): free
 * the TLS context, clearing the channel's private key from this process. Its fds must be
 * closed already (they are not touched).
 */
void channel_forget(struct channel_server *s);

int channel_listen_fd(const struct channel_server *s);

/**
 * channel_accept() - accept what is pending; each connection gets a child (fork: @close_fds
 * runs in it first, to drop wardd's other fds) that serves it with channel_serve() and exits.
 * Connections over the limit are closed at once. Never blocks.
 */
void channel_accept(struct channel_server *s, const struct channel_env *env,
		    void (*close_fds)(void));

/** channel_reaped() - a child ended: true when @pid was one of the channel's. */
bool channel_reaped(struct channel_server *s, pid_t pid);

/** channel_children() - connections being served. */
unsigned channel_children(const struct channel_server *s);

void channel_close(struct channel_server *s);

#endif
