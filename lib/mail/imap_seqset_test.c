/*
 * NAME
 *	imap_seqset_test - IMAP sequence sets
 */
#include <string.h>

#include "mail/imap_seqset.h"
#include "util/test.h"

int
main(void)
{
	static const char *bad[] = { "", "0", "1:", ":2", "1,,2", "a", "1:0",
	    "4294967295", "1 2", "1,", "-1" };
	struct imap_seqset s;
	uint32_t lo, hi;

	TEST_BEGIN("imap_seqset: ranges, star, reversed ranges");
	CHECK(imap_seqset_parse("1,3:5,9:*", 9, &s) == 0 && s.n == 3);
	CHECK(imap_seqset_has(&s, 1, 20) && !imap_seqset_has(&s, 2, 20));
	CHECK(imap_seqset_has(&s, 4, 20) && imap_seqset_has(&s, 20, 20));
	CHECK(!imap_seqset_has(&s, 21, 20));
	CHECK(imap_seqset_bounds(&s, 20, &lo, &hi) && lo == 1 && hi == 20);
	imap_seqset_free(&s);
	/* "*:4" with 2 messages is 2:4 (RFC 9051 6.4.8). */
	CHECK(imap_seqset_parse("*:4", 3, &s) == 0);
	CHECK(imap_seqset_has(&s, 2, 2) && imap_seqset_has(&s, 3, 2));
	CHECK(!imap_seqset_has(&s, 1, 2));
	imap_seqset_free(&s);
	CHECK(imap_seqset_parse("7:3", 3, &s) == 0 &&
	    imap_seqset_has(&s, 5, 9));
	imap_seqset_free(&s);
	CHECK(imap_seqset_parse("*", 1, &s) == 0 &&
	    !imap_seqset_bounds(&s, 0, &lo, &hi));
	imap_seqset_free(&s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_IDX(imap_seqset_parse(bad[i], strlen(bad[i]), &s) < 0, i);
	TEST_END();
	return test_exit();
}
