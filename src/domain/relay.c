/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Relays for the standard fds. Only stdin, stdout and stderr cross into a domain, and none of
 * them may become a way to map unmeasured code: a redirected file, whatever its access mode, can
 * be reopened read-only through /proc/self/fd and mapped. Pipes, sockets and terminals cannot
 * be mapped executable, so they cross as they are; anything else is replaced by a pipe whose
 * other end the monitor copies to or from.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "domain/domain-internal.h"

struct relay_one {
	int orig;	 /* the monitor's fd (the file) */
	int mine;	 /* the monitor's pipe end */
	int theirs;	 /* the domain's pipe end */
	bool input;	 /* stdin: file -> pipe */
	bool started;
	pthread_t thread;
};

struct relay {
	struct relay_one fd[3];
};

static bool crosses_as_is(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return true; /* closed: stays closed */
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd);
}

int relay_setup(struct relay **ret, int ret_domain_fds[3])
{
	struct relay *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (int i = 0; i < 3; i++) {
		struct relay_one *o = &r->fd[i];
		int p[2];

		o->orig = o->mine = o->theirs = -1;
		if (fcntl(i, F_GETFD) < 0) {
			ret_domain_fds[i] = -1;
			continue;
		}
		if (crosses_as_is(i)) {
			ret_domain_fds[i] = i;
			continue;
		}
		if (pipe2(p, O_CLOEXEC) < 0)
			goto fail;
		o->input = i == 0;
		o->orig = fcntl(i, F_DUPFD_CLOEXEC, 3);
		o->mine = o->input ? p[1] : p[0];
		o->theirs = o->input ? p[0] : p[1];
		if (o->orig < 0)
			goto fail;
		ret_domain_fds[i] = o->theirs;
	}
	*ret = r;
	return 0;
fail:
	relay_finish(r);
	return -errno ? -errno : -EIO;
}

static void *copy_loop(void *arg)
{
	struct relay_one *o = arg;
	int from = o->input ? o->orig : o->mine, to = o->input ? o->mine : o->orig;
	char buf[65536];

	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(to, buf, (size_t)n) < 0)
			break;
	}
	if (o->input) {
		/* The domain sees EOF. */
		close(o->mine);
		o->mine = -1;
	}
	return NULL;
}

int relay_start(struct relay *r)
{
	for (int i = 0; i < 3; i++) {
		struct relay_one *o = &r->fd[i];

		if (o->theirs >= 0) {
			close(o->theirs);
			o->theirs = -1;
		}
		if (o->orig < 0)
			continue;
		if (pthread_create(&o->thread, NULL, copy_loop, o) != 0)
			return -EAGAIN;
		o->started = true;
	}
	return 0;
}

void relay_finish(struct relay *r)
{
	if (!r)
		return;
	for (int i = 0; i < 3; i++) {
		struct relay_one *o = &r->fd[i];

		if (o->started) {
			if (o->input) {
				/* The domain is gone; a file still being read is not waited for. */
				pthread_cancel(o->thread);
			}
			pthread_join(o->thread, NULL);
		}
		if (o->orig >= 0)
			close(o->orig);
		if (o->mine >= 0)
			close(o->mine);
		if (o->theirs >= 0)
			close(o->theirs);
	}
	free(r);
}
