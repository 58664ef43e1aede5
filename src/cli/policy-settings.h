/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The settings options common to `ward policy scan`, `ward policy import-keylime`: everything a
 * policy holds besides its entries, taken from the command line, checked, written out.
 */
#ifndef WARD_CLI_POLICY_SETTINGS_H
#define WARD_CLI_POLICY_SETTINGS_H

#include <getopt.h>
#include <stdbool.h>

#include <jansson.h>

#include "ward/limits.h"
#include "ward/policy.h"

#define CLI_SETTINGS_HELP                                                                          \
	"  -o FILE              write to FILE, replaced atomically (default: standard output)\n"   \
	"  --hash ALG           sha256 (default), sha1, sha384 or sha512\n"                         \
	"  --issuer KEY.pub     \"issuer\": the id of the key that will sign the policy\n"          \
	"  --not-before TIME    validity window, RFC 3339 (2026-01-31T00:00:00Z)\n"                \
	"  --not-after TIME\n"                                                                     \
	"Settings for integrity domains (ward run), each recorded in a domain's evidence:\n"       \
	"  --audit              domain.mode audit: record what would be denied, deny nothing\n"    \
	"  --anon-exec FILE     FILE (measured now, also added as an entry) may use anonymous\n"   \
	"                       executable memory (JIT runtimes); repeatable\n"                    \
	"  --code-dir DIR       a code dir every domain under this policy gets; repeatable\n"      \
	"  --strict-code-mounts only /usr and the code dirs may be code mounts (no --code)\n"      \
	"  --data-dir DIR       non-ELF files opened (never executed) below DIR need no entry;\n"  \
	"                       repeatable\n"                                                      \
	"  --allow-wx-elf       allow ELF objects with W+X segments, executable stacks or text\n"  \
	"                       relocations\n"                                                     \
	"Defaults for sandbox manifests that leave a limit out (docs/sandbox-manifest.md):\n"      \
	"  --sandbox KEY=N      KEY: memory_mb, threads, cpu_percent, timeout_s, scratch_mb,\n"    \
	"                       max_input_bytes, max_output_bytes; repeatable\n"

/* getopt values of the settings options; a verb numbers its own from OPT_SETTINGS_END. */
enum {
	OPT_NAME = 0x100,
	OPT_VERSION,
	OPT_HASH,
	OPT_ISSUER,
	OPT_NOT_BEFORE,
	OPT_NOT_AFTER,
	OPT_ANON_EXEC,
	OPT_CODE_DIR,
	OPT_STRICT_CODE_MOUNTS,
	OPT_AUDIT,
	OPT_DATA_DIR,
	OPT_ALLOW_WX_ELF,
	OPT_SANDBOX,
	OPT_SETTINGS_END,
};

#define CLI_SETTINGS_LONGOPTS                                                                      \
	{ "output", required_argument, NULL, 'o' }, { "name", required_argument, NULL, OPT_NAME },   \
	{ "version", required_argument, NULL, OPT_VERSION },                                       \
	{ "hash", required_argument, NULL, OPT_HASH },                                             \
	{ "issuer", required_argument, NULL, OPT_ISSUER },                                         \
	{ "not-before", required_argument, NULL, OPT_NOT_BEFORE },                                 \
	{ "not-after", required_argument, NULL, OPT_NOT_AFTER },                                   \
	{ "anon-exec", required_argument, NULL, OPT_ANON_EXEC },                                   \
	{ "code-dir", required_argument, NULL, OPT_CODE_DIR },                                     \
	{ "strict-code-mounts", no_argument, NULL, OPT_STRICT_CODE_MOUNTS },                       \
	{ "audit", no_argument, NULL, OPT_AUDIT },                                                 \
	{ "data-dir", required_argument, NULL, OPT_DATA_DIR },                                     \
	{ "allow-wx-elf", no_argument, NULL, OPT_ALLOW_WX_ELF },                                   \
	{ "sandbox", required_argument, NULL, OPT_SANDBOX }, { "help", no_argument, NULL, 'h' }

struct cli_settings {
	const char *out, *name, *issuer;
	bool has_name, has_version;
	unsigned long long version;
	enum ward_hash_alg hash;
	struct ward_policy settings;
	char *data_dirs[WARD_POLICY_DATA_DIRS_MAX];
	char *code_dirs[WARD_DOMAIN_CODE_MAX];
	const char *anon_files[WARD_POLICY_DATA_DIRS_MAX];
	size_t n_anon_files;
	struct ward_policy_entry anon[WARD_POLICY_DATA_DIRS_MAX];
	json_t *sandbox; /* the --sandbox values, checked by the policy parser itself */
};

/* A zeroed struct cli_settings with the defaults: sha256, no name. NULL when out of memory. */
struct cli_settings *cli_settings_new(void);
void cli_settings_free(struct cli_settings *o);

static inline void cli_settings_freep(struct cli_settings **o)
{
	cli_settings_free(*o);
}

/* One settings option of getopt_long()'s @ch; -1 when @ch is none. Return: 0 or an exit code. */
int cli_settings_opt(struct cli_settings *o, int ch, char *arg);

/* Everything but the entries: the options checked together, the issuer key read, the
 * --anon-exec files measured (and added to @b). Return: 0 or an exit code. */
int cli_settings_finish(struct cli_settings *o, struct ward_policy_builder *b);

/* Write the policy of @b with the settings, to -o or standard output. Return: 0 or an exit
 * code. */
int cli_settings_write(struct cli_settings *o, struct ward_policy_builder *b);

/* Is the policy written to standard output (no -o, or -o -)? */
bool cli_settings_to_stdout(const struct cli_settings *o);

#endif
