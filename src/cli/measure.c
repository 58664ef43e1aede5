/* SPDX-License-Identifier: Apache-2.0 */
/* ward measure FILE...: measure files into the log, as IMA measures configuration files. */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-state.h"
#include "cli/cli.h"
#include "core/cleanup.h"
#include "ward/measure.h"

static void usage(FILE *f)
{
	fputs("Usage: ward measure [--state-dir DIR] [--attester TYPE] FILE...\n"
	      "\n"
	      "Measure each FILE (sha256 of its content, read through the fd ward opened) and\n"
	      "append one ima-ng record per file to the state dir's log, durably. The recorded\n"
	      "path is the file's canonical path as the kernel names the open fd.\n"
	      "All files are measured before anything is appended: if one cannot be read,\n"
	      "nothing is recorded (exit 2).\n",
	      f);
}

int verb_measure(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS, {} };
	struct ward_evlog_record *recs = NULL;
	struct ward_state *s = NULL;
	struct ward_diag d = { { 0 } };
	size_t n = 0;
	int c, r, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (cli_parse_common(c, optarg))
			continue;
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc - optind > WARD_APPEND_BATCH_MAX)
		return cli_error(EXIT_USAGE, "measure: at most %d files per call", WARD_APPEND_BATCH_MAX);
	if ((r = cli_open_state(WARD_STATE_ATTESTER, &s)))
		return r;
	recs = calloc((size_t)(argc - optind), sizeof(*recs));
	if (!recs) {
		state_close(s);
		return cli_error(EXIT_VERDICT, "out of memory");
	}
	for (int i = optind; i < argc; i++) {
		_cleanup_close_ int fd = measure_open_regular(AT_FDCWD, argv[i]);
		struct ward_digest dg[__WARD_HASH_MAX];
		char link[64], path[PATH_MAX];
		ssize_t k;

		if (fd < 0) {
			ret = cli_error(EXIT_USAGE, "cannot measure %s: %s", argv[i],
					fd == -EINVAL ? "not a regular file" : strerror(-fd));
			goto out;
		}
		/* Name the object by the fd we measured, never by re-resolving the argument. */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		k = readlink(link, path, sizeof(path) - 1);
		if (k <= 0) {
			ret = cli_error(EXIT_VERDICT, "cannot name %s: %s", argv[i], strerror(errno));
			goto out;
		}
		path[k] = '\0';
		r = measure_fd(fd, 1u << s->file_hash, dg, NULL);
		if (r == 0)
			r = evlog_record_new_ng(s->pcr, s->file_hash, dg[s->file_hash].bytes, path,
						NULL, 0, &recs[n]);
		if (r < 0) {
			ret = cli_error(r == -EINVAL ? EXIT_USAGE : EXIT_VERDICT, "cannot measure %s: %s",
					argv[i], strerror(-r));
			goto out;
		}
		n++;
	}
	r = state_append(s, recs, n, &d);
	if (r < 0) {
		ret = cli_error(EXIT_VERDICT, "%s", d.msg[0] ? d.msg : strerror(-r));
		goto out;
	}
	{
		const struct ward_evlog *log = evlog_store_log(s->log);
		for (size_t i = log->n - n; i < log->n; i++) {
			struct ward_file_digest fd;
			char hex[2 * WARD_HASH_MAX_SIZE + 1];

			evlog_record_file_digest(&log->rec[i], &fd);
			hex_encode(fd.digest, fd.len, hex);
			printf("%zu %s:%s %s\n", i, fd.alg, hex, evlog_record_name(&log->rec[i]));
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		evlog_record_free(&recs[i]);
	free(recs);
	state_close(s);
	return ret;
}
