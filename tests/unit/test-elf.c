/* SPDX-License-Identifier: Apache-2.0 */
/* ELF inspection on a real executable and on copies of it with one property changed. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "test-util.h"
#include "ward/elf.h"

static uint8_t *load(const char *path, size_t *len)
{
	uint8_t *buf = NULL;

	assert_int_equal(read_file_full(path, 64u << 20, &buf, len), 0);
	return buf;
}

static Elf64_Phdr *phdr_of(uint8_t *buf, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *p = (Elf64_Phdr *)(buf + eh->e_phoff + (size_t)i * sizeof(*p));
		if (p->p_type == type)
			return p;
	}
	return NULL;
}

static void inspect_ok(const uint8_t *buf, size_t len, struct ward_elf_info *info)
{
	struct ward_diag d = { { 0 } };

	if (elf_inspect(buf, len, info, &d) != 0)
		fail_msg("elf_inspect: %s", d.msg);
}

static void test_real_executable(void **state)
{
	struct ward_elf_info info, viafd;
	struct ward_diag d;
	size_t len;
	uint8_t *buf = load("/usr/bin/true", &len);
	int fd = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);

	inspect_ok(buf, len, &info);
	assert_true(info.is_elf);
	assert_true(info.is_64);
	assert_int_equal(info.machine, EM_X86_64);
	assert_false(info.wx_segment);
	assert_false(info.exec_stack);
	assert_false(info.textrel);
	assert_true(info.has_interp);
	assert_string_equal(info.interp, "/lib64/ld-linux-x86-64.so.2");
	assert_int_equal(elf_inspect_fd(fd, &viafd, &d), 0);
	assert_memory_equal(&info, &viafd, sizeof(info));
	close(fd);
	free(buf);
}

static void test_not_elf(void **state)
{
	struct ward_elf_info info;

	inspect_ok((const uint8_t *)"#!/bin/sh\necho hi\n", 18, &info);
	assert_false(info.is_elf);
	inspect_ok((const uint8_t *)"\x7f" "EL", 3, &info);
	assert_false(info.is_elf);
	inspect_ok(NULL, 0, &info);
	assert_false(info.is_elf);
}

static void test_properties_refused(void **state)
{
	struct ward_elf_info info;
	size_t len;
	uint8_t *orig = load("/usr/bin/true", &len), *b = malloc(len);
	Elf64_Phdr *p;

	/* executable stack */
	memcpy(b, orig, len);
	p = phdr_of(b, PT_GNU_STACK);
	assert_non_null(p);
	p->p_flags |= PF_X;
	inspect_ok(b, len, &info);
	assert_true(info.exec_stack);
	/* no PT_GNU_STACK at all: the loader's default is an executable stack */
	memcpy(b, orig, len);
	phdr_of(b, PT_GNU_STACK)->p_type = PT_NULL;
	inspect_ok(b, len, &info);
	assert_true(info.exec_stack);
	/* a writable and executable segment */
	memcpy(b, orig, len);
	p = phdr_of(b, PT_LOAD);
	p->p_flags = PF_R | PF_W | PF_X;
	inspect_ok(b, len, &info);
	assert_true(info.wx_segment);
	assert_false(info.exec_stack);
	/* text relocations: DT_TEXTREL (in place of DT_DEBUG), then DT_FLAGS with DF_TEXTREL */
	memcpy(b, orig, len);
	p = phdr_of(b, PT_DYNAMIC);
	assert_non_null(p);
	{
		Elf64_Dyn *dyn = (Elf64_Dyn *)(b + p->p_offset);
		bool set = false;

		for (; dyn->d_tag != DT_NULL; dyn++)
			if (dyn->d_tag == DT_DEBUG) {
				dyn->d_tag = DT_TEXTREL;
				set = true;
			}
		assert_true(set);
		inspect_ok(b, len, &info);
		assert_true(info.textrel);
		for (dyn = (Elf64_Dyn *)(b + p->p_offset); dyn->d_tag != DT_TEXTREL; dyn++)
			;
		dyn->d_tag = DT_FLAGS;
		dyn->d_un.d_val = DF_BIND_NOW;
		inspect_ok(b, len, &info);
		assert_false(info.textrel);
		dyn->d_un.d_val |= DF_TEXTREL;
	}
	inspect_ok(b, len, &info);
	assert_true(info.textrel);
	free(b);
	free(orig);
}

static void test_malformed(void **state)
{
	struct ward_diag d = { { 0 } };
	struct ward_elf_info info;
	size_t len;
	uint8_t *orig = load("/usr/bin/true", &len), *b = malloc(len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	struct {
		const char *what, *msg;
	} rows[] = {
		{ "truncated header", "truncated ELF header" },
		{ "class 3", "ELF class 3" },
		{ "big-endian", "little-endian" },
		{ "phentsize", "program header size" },
		{ "phoff past the end", "out of the file" },
		{ "PN_XNUM", "program headers" },
		{ "PT_INTERP without NUL", "PT_INTERP" },
		{ "PT_INTERP out of the file", "PT_INTERP" },
		{ "dynamic out of the file", "dynamic entry" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = len;

		memcpy(b, orig, len);
		switch (i) {
		case 0:
			n = 40;
			break;
		case 1:
			b[EI_CLASS] = 3;
			break;
		case 2:
			b[EI_DATA] = ELFDATA2MSB;
			break;
		case 3:
			eh->e_phentsize = 12;
			break;
		case 4:
			eh->e_phoff = len - 8;
			break;
		case 5:
			eh->e_phnum = PN_XNUM;
			break;
		case 6: {
			Elf64_Phdr *p = phdr_of(b, PT_INTERP);
			b[p->p_offset + p->p_filesz - 1] = 'x';
			break;
		}
		case 7:
			phdr_of(b, PT_INTERP)->p_offset = len;
			break;
		case 8:
			phdr_of(b, PT_DYNAMIC)->p_offset = len - 4;
			break;
		}
		d.msg[0] = '\0';
		if (elf_inspect(b, n, &info, &d) != -EBADMSG || !strstr(d.msg, rows[i].msg))
			fail_msg("%s: \"%s\"", rows[i].what, d.msg);
	}
	free(b);
	free(orig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_executable),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_properties_refused),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
