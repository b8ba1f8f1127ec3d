/*
 * NAME
 *	imap_utf7_test - modified UTF-7 both ways, and what is refused
 */
#include <string.h>

#include "mail/imap_utf7.h"
#include "util/test.h"

static const struct {
	const char *utf8, *utf7;
} pairs[] = {
	{ "INBOX", "INBOX" },
	{ "A & B", "A &- B" },
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },			/* RFC 3501 */
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },	/* RFC */
	{ "\xf0\x9f\x93\xac mail", "&2D3c7A- mail" },		/* U+1F4EC */
	{ "\xc3\xa9t\xc3\xa9", "&AOk-t&AOk-" },
	{ "", "" },
};

static void
test_both_ways(void)
{
	TEST_BEGIN("imap_utf7: RFC 3501 examples both ways");
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct buf a = BUF_INIT, b = BUF_INIT;

		CHECK_IDX(imap_utf7_encode(pairs[i].utf8, &a) == 0, i);
		CHECK_STR_EQ(buf_cstr(&a), pairs[i].utf7);
		CHECK_IDX(imap_utf7_decode(pairs[i].utf7,
		    strlen(pairs[i].utf7), &b) == 0, i);
		CHECK_STR_EQ(buf_cstr(&b), pairs[i].utf8);
		buf_free(&a);
		buf_free(&b);
	}
	TEST_END();
}

static void
test_refused(void)
{
	static const char *const bad7[] = {
		"Entw\xc3\xbcrfe",	/* 8-bit */
		"A&B",			/* no "-" */
		"&AEE-",		/* "A" encoded */
		"&2D0-",		/* lone high surrogate */
		"&3Ow-",		/* lone low surrogate */
		"&APw",			/* unterminated */
		"&AP\x01-",		/* not base64 */
		"&APx-",		/* non-zero padding bits */
		"tab\there",		/* control */
	};
	static const char *const bad8[] = {
		"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
	};

	TEST_BEGIN("imap_utf7: malformed names are refused");
	for (size_t i = 0; i < sizeof(bad7) / sizeof(bad7[0]); i++) {
		struct buf b = BUF_INIT;

		CHECK_IDX(imap_utf7_decode(bad7[i], strlen(bad7[i]), &b) == -1,
		    i);
		buf_free(&b);
	}
	for (size_t i = 0; i < sizeof(bad8) / sizeof(bad8[0]); i++) {
		struct buf b = BUF_INIT;

		CHECK_IDX(!imap_utf8_valid(bad8[i], strlen(bad8[i])), i);
		CHECK_IDX(imap_utf7_encode(bad8[i], &b) == -1, i);
		buf_free(&b);
	}
	CHECK(imap_utf8_valid("Entw\xc3\xbcrfe \xf0\x9f\x93\xac", 14));
	TEST_END();
}

int
main(void)
{
	test_both_ways();
	test_refused();
	return test_exit();
}
