/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: ELF inspection (elf_inspect), as the monitor runs it on every object a domain
 * maps executable. Anything with the ELF magic that is accepted must describe itself
 * consistently; anything refused must say why.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ward/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_diag d = { { 0 } };
	struct ward_elf_info info;
	int err;

	if (size > FUZZ_INPUT_MAX)
		return -1;
	data = fuzz_guarded_copy(data, size);
	err = elf_inspect(data, size, &info, &d);
	FUZZ_ASSERT(err == 0 || err == -EBADMSG || err == -ENOMEM);
	if (err == -EBADMSG)
		FUZZ_ASSERT(d.msg[0] != '\0');
	if (err == 0 && !info.is_elf)
		FUZZ_ASSERT(!info.wx_segment && !info.exec_stack && !info.textrel && !info.has_interp);
	if (err == 0 && info.has_interp)
		FUZZ_ASSERT(strlen(info.interp) < sizeof(info.interp));
	return 0;
}
