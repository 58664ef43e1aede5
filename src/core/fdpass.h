/* SPDX-License-Identifier: Apache-2.0 */
/* Messages with file descriptors over UNIX sockets (SCM_RIGHTS), for the monitor's channels. */
#ifndef WARD_CORE_FDPASS_H
#define WARD_CORE_FDPASS_H

#include <stddef.h>
#include <sys/uio.h>

/* At most this many fds in one message. */
#define FDPASS_MAX 65

/**
 * fdpass_send() - one message of @iov, with @nfds fds (0..FDPASS_MAX), MSG_NOSIGNAL.
 * Return: 0 when all of it went, -EPIPE for a short send, or -errno.
 */
int fdpass_send(int sock, const struct iovec *iov, size_t niov, const int *fds, size_t nfds);

/**
 * fdpass_recv() - one message into @buf, and up to @max_fds fds (extra ones are closed; all are
 * O_CLOEXEC). The message must be exactly @len bytes: anything else (or a truncated message or
 * control data) closes the fds received and fails.
 * Return: 0, -ECONNRESET at end of stream, -EPROTO, or -errno.
 */
int fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *ret_nfds);

#endif
