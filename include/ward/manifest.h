/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox manifest (docs/sandbox-manifest.md): what one sandboxed service runs, what it may
 * read, and the resources it is given. Parsing is pure (no syscalls besides manifest_load()
 * reading the file), so clients link it too: a client computes the manifest digest it expects to
 * find in a sandbox's evidence from the same bytes.
 */
#ifndef WARD_MANIFEST_H
#define WARD_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/*
 * Bounds on what a manifest may ask for. They live here rather than in ward/limits.h because
 * only this parser and its callers use them; every one is checked before anything is allocated
 * in proportion to it.
 */
#define WARD_MANIFEST_MAX_BYTES	  (64 * 1024)
#define WARD_SERVICE_NAME_MAX	  28 /* 1..27 chars: [a-z0-9][a-z0-9._-]*, plus NUL */
#define WARD_MANIFEST_ARGV_MAX	  64
#define WARD_MANIFEST_CODE_MAX	  16
#define WARD_MANIFEST_FILES_MAX	  64
#define WARD_MANIFEST_MEASURE_MAX 64
#define WARD_MANIFEST_ENV_MAX	  32
#define WARD_MANIFEST_STR_MAX	  4095 /* any one string (path, arg, env entry), bytes */
/* "description": a note for people, never interpreted. */
#define WARD_MANIFEST_DESCRIPTION_MAX 1024

enum ward_activation {
	WARD_ACTIVATE_STDIN, /* "stdin": ready once the program waits for its input on fd 0 */
	WARD_ACTIVATE_API,   /* "api": ready when the program calls ward_sandbox_seal() (sandbox_io.h) */
	__WARD_ACTIVATE_MAX,
};

struct ward_manifest {
	char name[WARD_SERVICE_NAME_MAX];
	char **argv;     size_t argc;      /* required, 1..ARGV_MAX; argv[0] an absolute path */
	char **code;     size_t n_code;    /* "code": absolute dirs, 0..CODE_MAX */
	char **files;    size_t n_files;   /* "files": absolute paths, read-only data, 0..FILES_MAX */
	char **measure;  size_t n_measure; /* "measure": absolute paths (files or dirs) measured up front, 0..MEASURE_MAX */
	char **env;      size_t n_env;     /* "env": object of string values -> "KEY=VALUE" entries, sorted by key */
	uint32_t memory_mb;        /* default 256; 16..65536 */
	uint32_t threads;          /* default 1; 1..1024: tasks (threads of all its processes) at once */
	bool fork;                 /* "fork", default false: may it create processes */
	uint32_t cpu_percent;      /* default 100; 1..6400 (100 = one CPU) */
	uint32_t timeout_s;        /* default 10; 1..3600 */
	uint64_t max_input_bytes;  /* default 1048576; 0..(1<<32) */
	uint64_t max_output_bytes; /* default 1048576; 0..(1<<32) */
	uint32_t scratch_mb;       /* default 16; 0..memory_mb: size of its private /tmp */
	bool stderr_to_client;     /* "stderr": "drop" (default) | "client" */
	enum ward_activation activation; /* "activation": "stdin" (default) | "api" */
	uint32_t pool;             /* "pool": warm sandboxes kept by wardd, default 2; 0..64 */
	uint8_t digest[32];        /* sha256 of the manifest's bytes exactly as given */
	unsigned given;            /* WARD_MANIFEST_GIVEN_*: the limits the file sets itself (the
				    * others may take a policy's sandbox defaults) */
};

enum {
	WARD_MANIFEST_GIVEN_MEMORY = 1 << 0,
	WARD_MANIFEST_GIVEN_THREADS = 1 << 1,
	WARD_MANIFEST_GIVEN_CPU = 1 << 2,
	WARD_MANIFEST_GIVEN_TIMEOUT = 1 << 3,
	WARD_MANIFEST_GIVEN_INPUT = 1 << 4,
	WARD_MANIFEST_GIVEN_OUTPUT = 1 << 5,
	WARD_MANIFEST_GIVEN_SCRATCH = 1 << 6,
};

/**
 * manifest_name_ok() - is @s (@n bytes, no NUL among them) a service name a manifest can give:
 * 1 to WARD_SERVICE_NAME_MAX - 1 of [a-z0-9._-], not starting with a punctuation mark? The one
 * rule for the manifest parser, the verifier, the channel's frames and its client.
 */
bool manifest_name_ok(const char *s, size_t n);

/**
 * manifest_parse() - parse a manifest document strictly.
 * @buf: the JSON text (UTF-8).
 * @len: its length, at most WARD_MANIFEST_MAX_BYTES.
 * @ret: the manifest, on success (free with manifest_free()).
 * @d: diagnostics: the key path at fault and why ("argv[2]: must be a string"), or the line
 *     and column of a JSON syntax error. May be NULL.
 *
 * argv, code, files, measure and env entries are NUL-terminated copies; every array has a NULL
 * after its last entry, so argv and env can be handed to execve() as they are.
 *
 * Return: 0; -EINVAL for bad content (malformed JSON, not an object, an unknown or duplicate
 * key, a wrong type, a value out of range, a missing required key, a bad name, path or env key,
 * a NUL inside a string, scratch_mb above memory_mb); -E2BIG when the document, a string or
 * the description is too large or a list holds too many entries; -ENOMEM; -EIO if hashing fails.
 */
int manifest_parse(const uint8_t *buf, size_t len, struct ward_manifest **ret, struct ward_diag *d);

/**
 * manifest_load() - read a manifest file and manifest_parse() it.
 * @path: a regular file of at most WARD_MANIFEST_MAX_BYTES.
 * @ret: the manifest, on success.
 * @d: diagnostics, prefixed with @path. May be NULL.
 *
 * Return: as manifest_parse(), or -EFBIG when the file is larger than WARD_MANIFEST_MAX_BYTES,
 * -EISDIR for a directory, -EINVAL for any other file that is not regular (a FIFO, a device),
 * or the open(2)/read(2) errno (-ENOENT, -EACCES...).
 */
int manifest_load(const char *path, struct ward_manifest **ret, struct ward_diag *d);

/** manifest_free() - free @m and everything it owns; NULL is allowed. */
void manifest_free(struct ward_manifest *m);

/**
 * manifest_digest_hex() - the manifest digest as lower-case hex, as `sha256sum FILE` prints it.
 * @m: a parsed manifest.
 * @out: 65 bytes: 64 hex digits and a NUL.
 */
void manifest_digest_hex(const struct ward_manifest *m, char out[65]);

#endif
