/*
 * NAME
 *	mem - allocation that succeeds or exits
 * DESCRIPTION
 *	Out-of-memory is a broken environment, not a condition each caller
 *	can handle, so it ends the process through msg_fatal (STYLE 4).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/log.h"
#include "util/mem.h"

/* oom - the one exit for failed allocations */
static void
oom(size_t size)
{
	msg_fatal("out of memory allocating %zu bytes", size);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n > 0 ? n : 1, size > 0 ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size > 0 ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);	/* UNSAFE: len <= n, a real length */

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom(strlen(fmt));
	va_end(ap);
	return p;
}

void
mem_wipe(void *ptr, size_t len)
{
	if (ptr != NULL)
		sodium_memzero(ptr, len);
}
