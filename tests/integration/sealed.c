/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ward-test-sealed: a service ported to the sandbox API (ward/sandbox_io.h), for sealed.sh and
 * wardd.sh. Its manifest says "activation": "api".
 *
 *	ward-test-sealed MODEL MODE [PATH]
 *
 * It loads a "model" (MODEL: a word list, one word a line, a file its manifest declares under
 * "files") before it seals, then calls ward_sandbox_seal(), reads the whole input with
 * ward_sandbox_read_input(), and prints the result: each word of the input (split on blanks)
 * that is in the model, as "match: WORD", in input order. Then, on stdout, what the test checks:
 *
 *	model: N words
 *	seal: 0 | unlocked | -ENAME       ward_sandbox_seal()'s return value
 *	vmlck: N kB                       VmLck in /proc/self/status after sealing
 *
 * MODE:
 *	words        just that
 *	late-open    then open PATH (after sealing and reading the input) and read it to its end:
 *	             "open PATH: ok N bytes" or "open PATH: errno=ENAME"
 *	early-open   open and read PATH before sealing (so it is measured while the sandbox is
 *	             warming up), and again after the input, as late-open
 *	noseal       load the model and exit 0 without sealing: the sandbox never becomes ready
 *
 * It prints nothing on stderr in any mode (its stderr could carry client data), and exits 0
 * once it printed its report, whatever the open gave: a sandbox returns output only for exit 0,
 * and the test wants the report. Exit 2: usage, or a step that is not under test failed (the
 * model cannot be read, the input cannot be read): then there is no result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward/sandbox_io.h"

#define MODEL_MAX (64 * 1024)
#define WORDS_MAX 4096
#define INPUT_MAX (1024 * 1024)

static char model_buf[MODEL_MAX + 1];
static const char *model[WORDS_MAX];
static size_t n_model;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* Reads all of @path; the byte count, or -errno. */
static long read_path(const char *path)
{
	char buf[4096];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		total += n;
	}
	close(fd);
	return total;
}

static int load_model(const char *path)
{
	size_t got = 0;
	ssize_t n;
	char *save = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got < MODEL_MAX && (n = read(fd, model_buf + got, MODEL_MAX - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -EIO;
		}
		got += (size_t)n;
	}
	close(fd);
	model_buf[got] = 0;
	for (char *w = strtok_r(model_buf, " \t\r\n", &save); w && n_model < WORDS_MAX;
	     w = strtok_r(NULL, " \t\r\n", &save))
		model[n_model++] = w;
	return 0;
}

static int in_model(const char *w)
{
	for (size_t i = 0; i < n_model; i++)
		if (strcmp(model[i], w) == 0)
			return 1;
	return 0;
}

static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmLck:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static void report_open(const char *path)
{
	long r = read_path(path);

	if (r < 0)
		printf("open %s: errno=%s\n", path, ename((int)-r));
	else
		printf("open %s: ok %ld bytes\n", path, r);
}

static _Noreturn void usage(void)
{
	/* Usage goes to stdout: this program writes nothing on stderr. */
	puts("usage: ward-test-sealed MODEL words|noseal | MODEL late-open|early-open PATH");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *path = NULL;
	char *input, *save = NULL;
	ssize_t len;
	int seal;

	if (argc < 3)
		usage();
	mode = argv[2];
	if (strcmp(mode, "late-open") == 0 || strcmp(mode, "early-open") == 0) {
		if (argc != 4)
			usage();
		path = argv[3];
	} else if ((strcmp(mode, "words") != 0 && strcmp(mode, "noseal") != 0) || argc != 3) {
		usage();
	}

	/* Before sealing: everything the program needs, measured while it warms up. */
	if (load_model(argv[1]) < 0)
		return 2;
	if (strcmp(mode, "noseal") == 0)
		return 0;
	if (strcmp(mode, "early-open") == 0 && read_path(path) < 0)
		return 2;

	seal = ward_sandbox_seal();
	if (seal < 0 && seal != -ENOTCONN)
		return 2;

	/* After sealing: the client's input. */
	input = malloc(INPUT_MAX + 1);
	if (!input)
		return 2;
	len = ward_sandbox_read_input(input, INPUT_MAX);
	if (len < 0)
		return 2;
	input[len] = 0;
	for (char *w = strtok_r(input, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save))
		if (in_model(w))
			printf("match: %s\n", w);
	explicit_bzero(input, (size_t)len);
	free(input);

	printf("model: %zu words\n", n_model);
	if (seal == 0)
		puts("seal: 0");
	else if (seal == WARD_SANDBOX_SEALED_UNLOCKED)
		puts("seal: unlocked");
	else
		printf("seal: -%s\n", ename(-seal));
	printf("vmlck: %ld kB\n", vmlck_kb());
	if (path)
		report_open(path);
	return fflush(stdout) == 0 ? 0 : 2;
}
