/*
 * arena - many small allocations freed together
 *
 * A parsed IMAP command (its argument tree and unquoted strings) and a
 * parsed MIME structure live exactly as long as the command or message
 * they describe.  An arena hands out zeroed pieces from chunks of
 * ARENA_CHUNK bytes (small enough for the heap's free lists, so no mmap
 * per command) and frees them all at once.  A piece larger than a quarter
 * chunk gets a chunk of its own.
 */
#ifndef POSTERN_ARENA_H
#define POSTERN_ARENA_H

#include <stddef.h>

#define ARENA_CHUNK	4096

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks;
	size_t bytes;		/* handed out, for limits and tests */
};

#define ARENA_INIT	{ NULL, 0 }

/* arena_alloc - n zeroed bytes, aligned for any type; never NULL */
void *arena_alloc(struct arena *a, size_t n);
/* arena_free - free every piece; the arena is empty and reusable */
void arena_free(struct arena *a);

#endif
