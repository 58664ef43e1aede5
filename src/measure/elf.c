/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ELF inspection through bounded reads: one parser for objects in memory (tests, fuzzing) and
 * behind an fd (the monitor, which inspects the fd it measured). Every offset, size and count
 * from the file is checked before use; anything malformed is an error, never "harmless".
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "ward/elf.h"

struct src {
	const uint8_t *buf; /* NULL: read from fd */
	int fd;
	uint64_t size;
};

static int rd(const struct src *s, uint64_t off, void *out, size_t n)
{
	if (off > s->size || n > s->size - off)
		return -EBADMSG;
	if (s->buf) {
		memcpy(out, s->buf + off, n);
		return 0;
	}
	for (size_t got = 0; got < n;) {
		ssize_t k = pread(s->fd, (uint8_t *)out + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EBADMSG; /* shrank under us: refuse */
		got += (size_t)k;
	}
	return 0;
}

/* One program header, either class, widened. */
struct phdr {
	uint32_t type, flags;
	uint64_t offset, filesz;
};

static int read_phdrs(const struct src *s, bool is64, uint64_t phoff, uint16_t phnum,
		      struct phdr *out)
{
	for (uint16_t i = 0; i < phnum; i++) {
		int r;

		if (is64) {
			Elf64_Phdr p;
			if ((r = rd(s, phoff + (uint64_t)i * sizeof(p), &p, sizeof(p))) < 0)
				return r;
			out[i] = (struct phdr){ p.p_type, p.p_flags, p.p_offset, p.p_filesz };
		} else {
			Elf32_Phdr p;
			if ((r = rd(s, phoff + (uint64_t)i * sizeof(p), &p, sizeof(p))) < 0)
				return r;
			out[i] = (struct phdr){ p.p_type, p.p_flags, p.p_offset, p.p_filesz };
		}
	}
	return 0;
}

static int scan_dynamic(const struct src *s, bool is64, const struct phdr *ph,
			struct ward_elf_info *info, struct ward_diag *d)
{
	size_t esz = is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
	uint64_t n = ph->filesz / esz;

	if (n > WARD_ELF_DYN_MAX)
		return diag_set(d, -EBADMSG, "dynamic section of %llu entries",
				(unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		int64_t tag;
		uint64_t val;
		int r;

		if (is64) {
			Elf64_Dyn e;
			if ((r = rd(s, ph->offset + i * esz, &e, sizeof(e))) < 0)
				return diag_set(d, r, "dynamic entry %llu out of the file",
						(unsigned long long)i);
			tag = e.d_tag;
			val = e.d_un.d_val;
		} else {
			Elf32_Dyn e;
			if ((r = rd(s, ph->offset + i * esz, &e, sizeof(e))) < 0)
				return diag_set(d, r, "dynamic entry %llu out of the file",
						(unsigned long long)i);
			tag = e.d_tag;
			val = e.d_un.d_val;
		}
		if (tag == DT_NULL)
			break;
		if (tag == DT_TEXTREL || (tag == DT_FLAGS && (val & DF_TEXTREL)))
			info->textrel = true;
	}
	return 0;
}

static int inspect(const struct src *s, struct ward_elf_info *ret, struct ward_diag *d)
{
	struct ward_elf_info info = { 0 };
	unsigned char ident[EI_NIDENT];
	_cleanup_free_ struct phdr *ph = NULL;
	uint64_t phoff;
	uint16_t phnum, phentsize;
	bool gnu_stack = false;
	int r;

	if (s->size < SELFMAG || rd(s, 0, ident, SELFMAG) < 0 || memcmp(ident, ELFMAG, SELFMAG) != 0) {
		*ret = info; /* not ELF: a script or data, judged by other rules */
		return 0;
	}
	if ((r = rd(s, 0, ident, EI_NIDENT)) < 0)
		return diag_set(d, r, "truncated ELF identification");
	if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)
		return diag_set(d, -EBADMSG, "ELF class %u", ident[EI_CLASS]);
	if (ident[EI_DATA] != ELFDATA2LSB)
		return diag_set(d, -EBADMSG, "not a little-endian ELF object");
	info.is_elf = true;
	info.is_64 = ident[EI_CLASS] == ELFCLASS64;
	if (info.is_64) {
		Elf64_Ehdr eh;
		if ((r = rd(s, 0, &eh, sizeof(eh))) < 0)
			return diag_set(d, r, "truncated ELF header");
		info.type = eh.e_type;
		info.machine = eh.e_machine;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phnum && phentsize != sizeof(Elf64_Phdr))
			return diag_set(d, -EBADMSG, "program header size %u", phentsize);
	} else {
		Elf32_Ehdr eh;
		if ((r = rd(s, 0, &eh, sizeof(eh))) < 0)
			return diag_set(d, r, "truncated ELF header");
		info.type = eh.e_type;
		info.machine = eh.e_machine;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phnum && phentsize != sizeof(Elf32_Phdr))
			return diag_set(d, -EBADMSG, "program header size %u", phentsize);
	}
	if (phnum == PN_XNUM || phnum > WARD_ELF_PHDRS_MAX)
		return diag_set(d, -EBADMSG, "%u program headers", phnum);
	ph = calloc(phnum ? phnum : 1, sizeof(*ph));
	if (!ph)
		return -ENOMEM;
	if ((r = read_phdrs(s, info.is_64, phoff, phnum, ph)) < 0)
		return diag_set(d, r, "program headers at offset %llu out of the file",
				(unsigned long long)phoff);
	for (uint16_t i = 0; i < phnum; i++) {
		switch (ph[i].type) {
		case PT_LOAD:
			if ((ph[i].flags & PF_W) && (ph[i].flags & PF_X))
				info.wx_segment = true;
			break;
		case PT_GNU_STACK:
			gnu_stack = true;
			info.exec_stack = ph[i].flags & PF_X;
			break;
		case PT_INTERP: {
			size_t n = ph[i].filesz;

			if (n == 0 || n > sizeof(info.interp))
				return diag_set(d, -EBADMSG, "PT_INTERP of %llu bytes",
						(unsigned long long)ph[i].filesz);
			if ((r = rd(s, ph[i].offset, info.interp, n)) < 0)
				return diag_set(d, r, "PT_INTERP out of the file");
			if (info.interp[n - 1] != '\0' || memchr(info.interp, '\0', n - 1))
				return diag_set(d, -EBADMSG, "PT_INTERP is not one NUL-terminated path");
			info.has_interp = true;
			break;
		}
		case PT_DYNAMIC:
			if ((r = scan_dynamic(s, info.is_64, &ph[i], &info, d)) < 0)
				return r;
			break;
		default:
			break;
		}
	}
	/* ld.so and the kernel give an object without PT_GNU_STACK an executable stack. */
	if (!gnu_stack && (info.type == ET_EXEC || info.type == ET_DYN))
		info.exec_stack = true;
	*ret = info;
	return 0;
}

int elf_inspect(const uint8_t *buf, size_t len, struct ward_elf_info *ret, struct ward_diag *d)
{
	struct src s = { .buf = buf, .fd = -EBADF, .size = len };

	return inspect(&s, ret, d);
}

int elf_inspect_fd(int fd, struct ward_elf_info *ret, struct ward_diag *d)
{
	struct src s = { .buf = NULL, .fd = fd };
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	s.size = (uint64_t)st.st_size;
	return inspect(&s, ret, d);
}
