/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inputs placed against an unmapped page. ASan's interceptors do not cover every libc function a
 * parser may call on a (buf, len) that is not NUL-terminated (strtoul() is not intercepted), so
 * libFuzzer's heap copy of the input, whose redzone only instrumented code checks, would let a
 * read past len go unseen. Here the byte after the input is on a PROT_NONE page: any read past
 * the end faults, in libc too; and what precedes the input is poisoned for ASan.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define FUZZ_HAVE_ASAN 1
#endif
#endif

#include "fuzz.h"

static uint8_t *area;
static size_t area_len;
#ifdef FUZZ_HAVE_ASAN
static uint8_t *prev_start;
#endif

const uint8_t *fuzz_guarded_copy(const uint8_t *data, size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *start;

	FUZZ_ASSERT(size <= FUZZ_INPUT_MAX);
	if (!area) {
		void *m;

		area_len = (FUZZ_INPUT_MAX + pg - 1) / pg * pg;
		m = mmap(NULL, area_len + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		FUZZ_ASSERT(m != MAP_FAILED);
		area = m;
		FUZZ_ASSERT(mprotect(area + area_len, pg, PROT_NONE) == 0);
#ifdef FUZZ_HAVE_ASAN
		ASAN_POISON_MEMORY_REGION(area, area_len);
		prev_start = area + area_len;
#endif
	}
	start = area + area_len - size;
#ifdef FUZZ_HAVE_ASAN
	/* Only the span the last input used can be unpoisoned: redo just that much. */
	if (prev_start < start)
		ASAN_POISON_MEMORY_REGION(prev_start, (size_t)(start - prev_start));
	ASAN_UNPOISON_MEMORY_REGION(start, size);
	prev_start = start;
#endif
	if (size)
		memcpy(start, data, size);
	return start;
}
