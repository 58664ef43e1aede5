/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ELF inspection: the properties of an object that decide whether it may be mapped executable
 * at all, whatever its digest. An object with a segment both writable and executable, an
 * executable stack (PT_GNU_STACK with PF_X, or no PT_GNU_STACK, which the kernel and ld.so read
 * as "executable" on x86), or text relocations makes ld.so create writable-executable memory,
 * so integrity domains refuse it unless the policy opts in. Groundwork for issue 3.
 */
#ifndef WARD_ELF_H
#define WARD_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/* Program headers read at most: the kernel's own limit is 64 KiB of them. */
#define WARD_ELF_PHDRS_MAX 4096
/* Dynamic entries read at most. */
#define WARD_ELF_DYN_MAX 4096

struct ward_elf_info {
	bool is_elf;	  /* false: not an ELF object (scripts, data); the other fields are zero */
	bool is_64;	  /* ELFCLASS64 */
	uint16_t type;	  /* ET_EXEC, ET_DYN, ... */
	uint16_t machine; /* EM_X86_64, ... */
	bool wx_segment;  /* a PT_LOAD with both PF_W and PF_X */
	bool exec_stack;  /* PT_GNU_STACK with PF_X, or no PT_GNU_STACK at all */
	bool textrel;	  /* DT_TEXTREL, or DF_TEXTREL in DT_FLAGS */
	bool has_interp;  /* PT_INTERP: a dynamically linked executable */
	char interp[256]; /* its path, NUL-terminated */
};

/**
 * elf_inspect() - inspect an ELF object held in memory.
 * @buf: the object's bytes (at least its headers, program headers and dynamic section).
 * @len: their number.
 * @ret: the properties; is_elf false for anything without the ELF magic.
 * @d: diagnostics naming the offset of what is malformed.
 *
 * Return: 0, or -EBADMSG for an object with the ELF magic whose headers are malformed
 * (out-of-range offsets, sizes, counts): such an object is refused, never assumed harmless.
 */
int elf_inspect(const uint8_t *buf, size_t len, struct ward_elf_info *ret, struct ward_diag *d);

/**
 * elf_inspect_fd() - elf_inspect() of the object behind @fd, read with pread(2) (the fd's
 * position is left alone; the caller inspects the very fd it measured).
 * @fd: a readable regular file.
 * @ret: the properties.
 * @d: diagnostics.
 *
 * Return: as elf_inspect(), -ENOMEM, or the pread(2) errno.
 */
int elf_inspect_fd(int fd, struct ward_elf_info *ret, struct ward_diag *d);

#endif
