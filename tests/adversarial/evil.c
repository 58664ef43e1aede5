/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A library that announces itself: its constructor writes a line to stderr as soon as the
 * dynamic linker runs it (LD_PRELOAD, dlopen), and evil_fn() returns 42. The tests copy it onto
 * a code dir without listing it: any line from it inside an enforcing domain is a bypass.
 */
#include <unistd.h>

int evil_fn(void);

__attribute__((constructor)) static void evil_init(void)
{
	static const char msg[] = "evil: constructor ran\n";

	(void)!write(2, msg, sizeof(msg) - 1);
}

int evil_fn(void)
{
	return 42;
}
