/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point and
 * a way to say "this must never happen" that crashes under any build, so
 * the replay tests fail too.
 */
#ifndef POSTERN_FUZZ_H
#define POSTERN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* fuzz_cstr - data as a NUL-ended string (cut at the first NUL, as a
 * line reader would); free() it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* fuzz_memfd - data in an anonymous file, at offset 0: for readers that
 * take a descriptor or a path (/proc/self/fd/N).  Close it. */
static inline int
fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

#endif
