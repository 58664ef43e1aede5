/* SPDX-License-Identifier: Apache-2.0 */
/* Input and output files for CLI verbs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/util.h"

int cli_write_output(const char *path, const void *buf, size_t len, mode_t mode)
{
	int r;

	if (!path || strcmp(path, "-") == 0) {
		r = write_all(STDOUT_FILENO, buf, len);
		if (r < 0)
			return cli_error(EXIT_VERDICT, "cannot write to standard output: %s", strerror(-r));
		return 0;
	}
	/* A device or FIFO (/dev/null, a pipe) is written into, never replaced by a file. */
	{
		struct stat st;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

			if (fd < 0)
				return cli_error(EXIT_USAGE, "cannot open %s: %s", path, strerror(errno));
			r = write_all(fd, buf, len);
			close(fd);
			if (r < 0)
				return cli_error(EXIT_VERDICT, "cannot write %s: %s", path, strerror(-r));
			return 0;
		}
	}
	r = write_file_atomic(AT_FDCWD, path, buf, len, mode);
	if (r < 0)
		return cli_error(EXIT_USAGE, "cannot write %s: %s", path, strerror(-r));
	return 0;
}

int cli_read_input(const char *path, size_t max, const char *what, unsigned char **ret,
		   size_t *ret_len)
{
	int r = read_file_full(path, max, ret, ret_len);

	if (r == -EFBIG)
		return cli_error(EXIT_USAGE, "%s %s: larger than %zu bytes", what, path, max);
	if (r < 0)
		return cli_error(EXIT_USAGE, "cannot read %s %s: %s", what, path, strerror(-r));
	return 0;
}
