/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/channel/nodelay.so: an LD_PRELOAD shim for wardd that sets TCP_NODELAY on every TCP
 * socket accept4() returns (wardd's channel endpoint does not, src/daemon/channel.c). The
 * benchmark runs wardd with and without it, to show what Nagle's algorithm (with the client's
 * delayed ACK) costs the exchange: the EVIDENCE and RESULT frames are several small writes.
 * A diagnostic of the benchmark only, never part of ward.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int c, one = 1;

	if (!real)
		real =
		    (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	c = real(fd, addr, len, flags);
	if (c >= 0 && getsockname(c, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}
