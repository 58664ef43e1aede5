/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The marker of monitor-kill.sh: a static ELF without libc whose first instructions write one
 * byte ("x") to stdout and exit. If it ever gets past execve, the byte is in the pipe the test
 * reads: no loader, no libc start-up, nothing runs before the write.
 *
 * Built by the test itself (cc -static -nostdlib), not by meson: the project's flags (PIE,
 * sanitizers, stack protector) cannot apply to a program without a C runtime.
 */

static long sys3(long n, long a, long b, long c)
{
	long r;

#if defined(__x86_64__)
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	r = x0;
#else
#error "marker.c: x86_64 or aarch64"
#endif
	return r;
}

#if defined(__x86_64__)
#define NR_WRITE 1
#define NR_EXIT 60
#else
#define NR_WRITE 64
#define NR_EXIT 93
#endif

void _start(void);

__attribute__((noreturn, used)) void _start(void)
{
	sys3(NR_WRITE, 1, (long)"x", 1);
	for (;;)
		sys3(NR_EXIT, 0, 0, 0);
}
