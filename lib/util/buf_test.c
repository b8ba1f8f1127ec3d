/*
 * NAME
 *	buf_test - unit tests for the bounded buffer
 */
#include <string.h>

#include "util/buf.h"
#include "util/test.h"

/* test_limits - appends stop exactly at max and change nothing after */
static void
test_limits(void)
{
	struct buf b;

	TEST_BEGIN("buf: max is a hard limit");
	buf_init(&b, 10);
	CHECK(buf_append(&b, "0123456789", 10) == 0);
	CHECK(b.len == 10);
	CHECK(buf_append_byte(&b, 'x') == -1);
	CHECK(b.len == 10);
	CHECK_STR_EQ(buf_cstr(&b), "0123456789");
	buf_reset(&b);
	CHECK(buf_appendf(&b, "%d", 12345678) == 0);
	CHECK(buf_appendf(&b, "%d", 123) == -1);
	CHECK_STR_EQ(buf_cstr(&b), "12345678");
	buf_free(&b);
	TEST_END();
}

/* test_binary - embedded NULs and the hidden terminator */
static void
test_binary(void)
{
	struct buf b = BUF_INIT;

	TEST_BEGIN("buf: binary data, consume, truncate");
	CHECK_STR_EQ(buf_cstr(&b), "");
	CHECK(buf_append(&b, "a\0b\r\n", 5) == 0);
	CHECK(b.len == 5 && b.data[5] == '\0');
	CHECK(memcmp(b.data, "a\0b\r\n", 5) == 0);
	buf_consume(&b, 2);
	CHECK(b.len == 3 && memcmp(b.data, "b\r\n", 3) == 0);
	buf_truncate(&b, 1);
	CHECK_STR_EQ(buf_cstr(&b), "b");
	buf_truncate(&b, 10);
	CHECK(b.len == 1);
	buf_consume(&b, 99);
	CHECK(b.len == 0);
	for (int i = 0; i < 10000; i++)
		CHECK_IDX(buf_append_byte(&b, (uint8_t)i) == 0, i);
	CHECK(b.len == 10000 && b.data[9999] == (uint8_t)9999);
	buf_free_wipe(&b);
	CHECK(b.data == NULL && b.len == 0);
	TEST_END();
}

/* test_reserve_wipe - the data survives the move */
static void
test_reserve_wipe(void)
{
	struct buf b = BUF_INIT;

	TEST_BEGIN("buf: buf_reserve_wipe keeps the data when it moves");
	buf_puts(&b, "secret");
	CHECK(buf_reserve_wipe(&b, 100000) == 0);
	CHECK(b.cap > 100000 && b.len == 6 && memcmp(b.data, "secret", 6) == 0);
	CHECK(buf_reserve_wipe(&b, 10) == 0 && b.cap > 100000);
	buf_free_wipe(&b);
	buf_init(&b, 8);
	CHECK(buf_reserve_wipe(&b, 9) == -1);
	CHECK(buf_reserve_wipe(&b, 8) == 0);
	buf_free(&b);
	TEST_END();
}

int
main(void)
{
	test_limits();
	test_binary();
	test_reserve_wipe();
	return test_exit();
}
