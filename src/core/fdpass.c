/* SPDX-License-Identifier: Apache-2.0 */
/* Messages with file descriptors over UNIX sockets (SCM_RIGHTS). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fdpass.h"

int fdpass_send(int sock, const struct iovec *iov, size_t niov, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = niov };
	size_t total = 0;
	ssize_t n;

	if (nfds > FDPASS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < niov; i++)
		total += iov[i].iov_len;
	if (nfds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == total ? 0 : -EPIPE;
}

int fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *ret_nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	size_t nfds = 0;
	ssize_t n;

	*ret_nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < max_fds)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0 || (size_t)n != len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return n == 0 ? -ECONNRESET : -EPROTO;
	}
	*ret_nfds = nfds;
	return 0;
}
