/*
 * NAME
 *	keyslab_test - slots are distinct, zeroed, wiped, and slabs go back
 */
#include <string.h>

#include <sodium.h>

#include "mail/keyslab.h"
#include "util/test.h"

#define MANY	600	/* more than two slabs */

static void
test_slots(void)
{
	static uint8_t *slot[MANY];
	size_t used, slabs;
	bool zero = true, distinct = true;

	TEST_BEGIN("keyslab: distinct zeroed slots, slabs freed when empty");
	for (int i = 0; i < MANY; i++) {
		slot[i] = keyslab_get();
		CHECK(slot[i] != NULL);
		for (int k = 0; k < KEYSLAB_SLOT; k++)
			zero &= slot[i][k] == 0;
		memset(slot[i], i & 0xff, KEYSLAB_SLOT);
	}
	CHECK(zero);
	for (int i = 0; i < MANY; i++)
		for (int k = 0; k < KEYSLAB_SLOT; k++)
			distinct &= slot[i][k] == (i & 0xff);
	CHECK(distinct);
	keyslab_stats(&used, &slabs);
	CHECK(used == MANY && slabs == 3);
	/* A freed slot is wiped before it is handed out again. */
	keyslab_put(slot[7]);
	slot[7] = keyslab_get();
	CHECK(sodium_is_zero(slot[7], KEYSLAB_SLOT));
	for (int i = 0; i < MANY; i++)
		keyslab_put(slot[i]);
	keyslab_stats(&used, &slabs);
	CHECK(used == 0 && slabs == 1);
	TEST_END();
}

static void
test_misuse(void)
{
	uint8_t *a = keyslab_get(), outside[KEYSLAB_SLOT];

	TEST_BEGIN("keyslab: a foreign or misaligned pointer is a panic");
	test_expect_fatal(keyslab_put(outside));
	test_expect_fatal(keyslab_put(a + 1));
	keyslab_put(a);
	test_expect_fatal(keyslab_put(a));
	TEST_END();
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_slots();
	test_misuse();
	return test_exit();
}
