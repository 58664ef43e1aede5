/* SPDX-License-Identifier: Apache-2.0 */
/* ward policy scan PATH... [-o FILE] [--name NAME] [--version N] [domain opt-ins] */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ward/limits.h"
#include "ward/measure.h"
#include "ward/policy.h"

static void usage(FILE *f)
{
	fputs("Usage: ward policy scan PATH... [-o FILE] [--name NAME] [--version N]\n"
	      "                        [--data-dir DIR]... [--allow-anon-exec] [--allow-wx-elf]\n"
	      "\n"
	      "Write a reference-value allowlist (docs/policy-format.md): the sha256 of every\n"
	      "regular file named or found below a named directory. Symlinks to files are\n"
	      "measured as their target's content under the link's path; symlinked directories\n"
	      "are not followed. Unreadable files are reported and left out (a file left out is\n"
	      "denied, never allowed). Progress is shown on a terminal.\n"
	      "  -o FILE        write to FILE (default: standard output)\n"
	      "  --name NAME    policy name (default: scan)\n"
	      "  --version N    policy version (default: 1)\n"
	      "Settings for integrity domains (ward run), each recorded in a domain's evidence:\n"
	      "  --data-dir DIR       non-ELF files opened (never executed) below DIR need no entry\n"
	      "  --allow-anon-exec    allow anonymous executable memory (JIT runtimes)\n"
	      "  --allow-wx-elf       allow ELF objects with W+X segments, executable stacks or text\n"
	      "                       relocations\n",
	      f);
}

struct scan_ctx {
	struct ward_policy_builder b;
	uint64_t files, bytes, errors;
	bool tty;
	struct timespec last;
};

static void progress(struct scan_ctx *c, bool final)
{
	struct timespec now;

	if (!c->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && (now.tv_sec - c->last.tv_sec) * 1000 + (now.tv_nsec - c->last.tv_nsec) / 1000000 < 200)
		return;
	c->last = now;
	fprintf(stderr, "\rward: scanned %llu files, %.1f MiB%s", (unsigned long long)c->files,
		(double)c->bytes / (1 << 20), final ? "\n" : "");
}

static int on_file(void *userdata, const char *path, const struct ward_digest *dg, uint64_t size)
{
	struct scan_ctx *c = userdata;
	int r = policy_builder_add(&c->b, dg->bytes, path);

	c->files++;
	c->bytes += size;
	progress(c, false);
	return r;
}

static void on_error(void *userdata, const char *path, int err)
{
	struct scan_ctx *c = userdata;

	c->errors++;
	if (c->tty)
		fputc('\n', stderr);
	cli_warn("skipped %s: %s", path, err == -EINVAL ? "not a regular file" : strerror(-err));
}

static int policy_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "allow-anon-exec", no_argument, NULL, 'J' },
		{ "allow-wx-elf", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *data_dirs[WARD_POLICY_DATA_DIRS_MAX];
	struct scan_ctx c = { .b = { .hash = WARD_HASH_SHA256 } };
	const char *out = NULL, *name = "scan";
	unsigned long long version = 1;
	char *text = NULL;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'v': {
			char *e;
			errno = 0;
			version = strtoull(optarg, &e, 10);
			if (*e || errno || optarg[0] == '-' || !optarg[0])
				return cli_error(EXIT_USAGE, "--version: an unsigned integer");
			break;
		}
		case 'D': {
			size_t n = strlen(optarg);

			while (n > 1 && optarg[n - 1] == '/')
				optarg[--n] = 0;
			if (c.b.domain.n_data_dirs == WARD_POLICY_DATA_DIRS_MAX)
				return cli_error(EXIT_USAGE, "--data-dir: at most %d",
						 WARD_POLICY_DATA_DIRS_MAX);
			if (optarg[0] != '/' || n < 2 || strstr(optarg, "//") ||
			    strstr(optarg, "/./") || strstr(optarg, "/../") ||
			    (n >= 2 && strcmp(optarg + n - 2, "/.") == 0) ||
			    (n >= 3 && strcmp(optarg + n - 3, "/..") == 0))
				return cli_error(EXIT_USAGE,
						 "--data-dir %s: an absolute, normalised directory other "
						 "than /", optarg);
			data_dirs[c.b.domain.n_data_dirs++] = optarg;
			c.b.domain.data_dirs = data_dirs;
			break;
		}
		case 'J':
			c.b.domain.allow_anon_exec = true;
			break;
		case 'W':
			c.b.domain.allow_wx_elf = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c.tty = isatty(STDERR_FILENO);
	for (int i = optind; i < argc; i++) {
		r = measure_tree(argv[i], c.b.hash, on_file, on_error, &c);
		if (r < 0) {
			progress(&c, true);
			policy_builder_free(&c.b);
			return cli_error(r == -ENOMEM ? EXIT_VERDICT : EXIT_USAGE, "scan %s: %s",
					 argv[i], r == -EINVAL ? "not a file or directory" : strerror(-r));
		}
	}
	progress(&c, true);
	r = policy_builder_write(&c.b, name, version, &text);
	if (r < 0) {
		policy_builder_free(&c.b);
		return cli_error(EXIT_VERDICT, "out of memory");
	}
	r = cli_write_output(out, text, strlen(text), 0644);
	if (r == 0 && (!out || strcmp(out, "-") == 0))
		putchar('\n');
	if (r == 0 && out && strcmp(out, "-"))
		fprintf(stderr, "ward: %llu files (%llu skipped) written to %s\n",
			(unsigned long long)c.files, (unsigned long long)c.errors, out);
	free(text);
	policy_builder_free(&c.b);
	return r;
}

int verb_policy(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "scan") == 0)
		return policy_scan(argc - 1, argv + 1);
	return cli_error(EXIT_USAGE, "policy: unknown command '%s' (scan)", argv[1]);
}
