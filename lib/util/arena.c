/*
 * NAME
 *	arena - many small allocations freed together
 * DESCRIPTION
 *	See arena.h.  The newest chunk is first in the list; pieces come off
 *	its end until it is full.  A large piece's own chunk goes second, so
 *	the partly used chunk stays first.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/log.h"
#include "util/mem.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

#define ALIGN(n) (((n) + alignof(max_align_t) - 1) & \
	~(alignof(max_align_t) - 1))

/* chunk_new - a chunk with room for size bytes */
static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		msg_fatal("%s: %zu bytes is too much", __func__, size);
	c = xmalloc(sizeof(*c) + size);
	c->size = size;
	c->used = 0;
	return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->chunks;
	size_t need = ALIGN(n == 0 ? 1 : n);
	void *p;

	if (need < n)
		msg_fatal("%s: %zu bytes is too much", __func__, n);
	if (need > ARENA_CHUNK / 4) {
		struct arena_chunk *big = chunk_new(need);

		if (c == NULL) {
			big->next = NULL;
			a->chunks = big;
		} else {
			big->next = c->next;
			c->next = big;
		}
		big->used = need;
		a->bytes += need;
		return memset(big->data, 0, need);
	}
	if (c == NULL || c->size - c->used < need) {
		c = chunk_new(ARENA_CHUNK - sizeof(*c));
		c->next = a->chunks;
		a->chunks = c;
	}
	p = c->data + c->used;
	c->used += need;
	a->bytes += need;
	return memset(p, 0, need);
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->chunks = NULL;
	a->bytes = 0;
}
