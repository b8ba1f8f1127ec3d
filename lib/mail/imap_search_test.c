/*
 * NAME
 *	imap_search_test - case-insensitive substring search over UTF-8
 */
#include <string.h>

#include "mail/imap_search.h"
#include "util/test.h"

static bool
has(const char *hay, const char *needle)
{
	return imap_search_contains(hay, strlen(hay), needle, strlen(needle));
}

int
main(void)
{
	TEST_BEGIN("imap_search_contains: folding of 1-, 2- and 3-byte forms");
	CHECK(has("Hello World", "o wOR"));
	CHECK(has("Grüße aus Köln", "GRÜSSE") == false);
	CHECK(has("Grüße aus Köln", "GRÜẞE"));	/* U+1E9E -> U+00DF */
	CHECK(has("ἄλφα ΆΛΦΑ", "άλφα"));	/* Greek with tonos */
	CHECK(has("МОСКВА", "москва"));
	CHECK(has("Việt Nam", "VIỆT"));	/* Latin Extended Additional */
	CHECK(has("ＡＢＣ", "ａｂｃ"));	/* fullwidth */
	CHECK(has("ՀԱՅ", "հայ"));	/* Armenian */
	CHECK(!has("abc", "abd"));
	CHECK(has("anything", ""));
	/* Bytes that are not UTF-8 match only themselves. */
	CHECK(has("a\xff\xfe" "b", "\xff\xfe"));
	CHECK(!has("a\xe1\x80", "\xe1\x81"));
	TEST_END();
	return test_exit();
}
