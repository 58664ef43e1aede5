/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every libFuzzer target shares: the entry point's prototype (the build has
 * -Wmissing-prototypes and -Werror), the bound on one input, how a target states an invariant
 * of the code under test, and the checks run on every log a parser accepts (evlog-common.c).
 */
#ifndef WARD_FUZZ_H
#define WARD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ward/evlog.h"

/*
 * Inputs above this are skipped. The parsers are linear in their input, so this bounds what one
 * input costs under ASan far below run-smoke's per-input timeout, and a larger input reaches
 * nothing a smaller one cannot.
 */
#define FUZZ_INPUT_MAX (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A broken invariant is a finding like a sanitizer report: abort, so that libFuzzer keeps the
 * input as a crash artifact. Never compiled out, unlike assert().
 */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/**
 * fuzz_guarded_copy() - a copy of the input whose last byte ends a page followed by an unmapped
 * one, so that a read past the end faults even inside uninstrumented libc (guard.c).
 * @data: the input.
 * @size: its length, at most FUZZ_INPUT_MAX.
 *
 * Return: the copy, valid until the next call.
 */
const uint8_t *fuzz_guarded_copy(const uint8_t *data, size_t size);

/**
 * fuzz_use_log() - do with a parsed log what the verifier and `ward log` do: check the template
 * digests, replay the log into every bank, and read each record's fields, name, file digest and
 * decision.
 * @log: a log a parser accepted.
 */
void fuzz_use_log(const struct ward_evlog *log);

/**
 * fuzz_binary_round_trip() - @log written in the kernel's binary format in its own bank must
 * parse back to the same records (PCR, template, data, violation), each carrying the template
 * digest of its data; and when @log checked, the copy must check, and the bytes written must be
 * @orig exactly, since the binary format has one spelling per list.
 * @log: a log a parser accepted.
 * @orig: the binary list @log was parsed from in its own bank, or NULL (ASCII source).
 * @orig_len: its length.
 */
void fuzz_binary_round_trip(const struct ward_evlog *log, const uint8_t *orig, size_t orig_len);

/**
 * fuzz_ascii_round_trip() - write @log in the kernel's ASCII format in its own bank and parse
 * that text back: when it parses, it must hold the same records (PCR, template, data).
 * @log: a log a parser accepted.
 * @strict: @log came from ASCII, so its fields have a text form: writing may refuse only a name
 *          it cannot spell (-EILSEQ), and what it writes must parse back. A binary list may
 *          also hold fields with no text form (-EOPNOTSUPP), so without @strict the text need
 *          not parse back either.
 */
void fuzz_ascii_round_trip(const struct ward_evlog *log, bool strict);

#endif
