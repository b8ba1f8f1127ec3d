/*
 * NAME
 *	arena_test - pieces are zeroed, aligned, apart, and all freed
 */
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "util/arena.h"
#include "util/test.h"

static void
test_pieces(void)
{
	struct arena a = ARENA_INIT;
	unsigned char *p[300];
	size_t sizes[300];
	bool zero = true, aligned = true, apart = true;

	TEST_BEGIN("arena: zeroed, aligned pieces that do not overlap");
	for (int i = 0; i < 300; i++) {
		/* Small pieces, and now and then one bigger than a chunk. */
		sizes[i] = i % 50 == 49 ? 3 * ARENA_CHUNK : (size_t)(i % 37);
		p[i] = arena_alloc(&a, sizes[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			zero &= p[i][k] == 0;
		aligned &= (uintptr_t)p[i] % alignof(max_align_t) == 0;
		memset(p[i], i & 0xff, sizes[i]);
	}
	for (int i = 0; i < 300; i++)
		for (size_t k = 0; k < sizes[i]; k++)
			apart &= p[i][k] == (i & 0xff);
	CHECK(zero);
	CHECK(aligned);
	CHECK(apart);
	CHECK(a.bytes >= 6 * 3 * ARENA_CHUNK);
	arena_free(&a);
	CHECK(a.chunks == NULL && a.bytes == 0);
	/* Reusable after a free. */
	p[0] = arena_alloc(&a, 10);
	CHECK(p[0] != NULL && p[0][9] == 0);
	arena_free(&a);
	TEST_END();
}

int
main(void)
{
	test_pieces();
	return test_exit();
}
