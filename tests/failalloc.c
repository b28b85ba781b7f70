/* Test-only allocation failure injection, for tests/alloc_fail.py (LD_PRELOAD; never
 * linked into mqttdump). Allocation number FAILALLOC_NTH (1-based, counting malloc, calloc
 * and realloc of the whole process, libraries included) returns NULL, once. When
 * FAILALLOC_LOG names a file, the failure is recorded there with a backtrace, so that the
 * test knows one was injected, and where. glibc only (__libc_malloc). */
#include <execinfo.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long countdown = -2;

static int fail_now(void)
{
	const char *log;
	void *bt[16];
	int fd, k;

	if (countdown == -2) {
		const char *s = getenv("FAILALLOC_NTH");
		countdown = s ? atol(s) : -1;
	}
	if (countdown <= 0 || --countdown)
		return 0;
	countdown = -1;
	if ((log = getenv("FAILALLOC_LOG")) && (fd = open(log, O_WRONLY | O_CREAT | O_APPEND,
							   0644)) >= 0) {
		k = backtrace(bt, 16); /* (glibc's backtrace may allocate once: counted after) */
		(void)!write(fd, "failed\n", 7);
		backtrace_symbols_fd(bt, k, fd);
		close(fd);
	}
	return 1;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	return fail_now() ? NULL : __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __libc_realloc(p, n);
}
