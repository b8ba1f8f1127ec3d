/*
 * mem.h - allocation that succeeds or exits, and secret wiping.
 *
 * x*alloc() never return NULL: on failure they log and exit, so callers
 * never check (see Postfix mymalloc.c).  mem_wipe() clears secrets in a way
 * the compiler may not optimise away.
 */
#ifndef POSTERN_MEM_H
#define POSTERN_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf - allocate a formatted string; never NULL. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xfree - free *pp and set it to NULL. */
#define xfree(pp) do { free(*(pp)); *(pp) = NULL; } while (0)

/* mem_wipe - clear len bytes of a secret. */
void mem_wipe(void *ptr, size_t len);

#endif
