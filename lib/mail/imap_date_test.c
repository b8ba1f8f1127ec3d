/*
 * NAME
 *	imap_date_test - IMAP and RFC 5322 dates
 */
#include <string.h>

#include "mail/imap_date.h"
#include "util/test.h"

int
main(void)
{
	char out[64];
	time_t t;
	long day;
	int tz;

	TEST_BEGIN("imap_date: date-time both ways, dates, Date: fields");
	CHECK(imap_date_time_parse("17-Jul-1996 02:44:25 -0700", &t, &tz) ==
	    0);
	CHECK(tz == -420 && t == 837596665);
	imap_date_format(t, tz, out, sizeof(out));
	CHECK_STR_EQ(out, "17-Jul-1996 02:44:25 -0700");
	imap_date_format(0, 0, out, sizeof(out));
	CHECK_STR_EQ(out, " 1-Jan-1970 00:00:00 +0000");
	CHECK(imap_date_time_parse(" 1-Jan-1970 00:00:00 +0000", &t, &tz) ==
	    0 && t == 0);
	CHECK(imap_date_time_parse("1-Jan-1970 25:00:00 +0000", &t, &tz) < 0);
	CHECK(imap_date_time_parse("1-Foo-1970 00:00:00 +0000", &t, &tz) < 0);
	CHECK(imap_date_parse("1-Feb-1994", 10, &day) == 0 && day == 8797);
	CHECK(imap_date_parse("01-feb-1994", 11, &day) == 0 && day == 8797);
	CHECK(imap_date_parse("1-Feb-94x", 9, &day) < 0);
	CHECK(imap_date_rfc5322("Tue, 1 Jul 2003 10:52:37 +0200", &t, &tz) ==
	    0 && tz == 120 && t == 1057049557);
	CHECK(imap_date_rfc5322("1 Jul 03 10:52:37 GMT (comment)", &t, &tz)
	    == 0 && tz == 0 && t == 1057056757);
	CHECK(imap_date_rfc5322(" (x) Thu,\r\n 13 Feb 1969 23:32 EST", &t,
	    &tz) == 0 && tz == -300);
	CHECK(imap_date_day(t, tz) == -322);
	CHECK(imap_date_rfc5322("yesterday", &t, &tz) < 0);
	CHECK(imap_date_rfc5322("", &t, &tz) < 0);
	/* Bounded: no year, day or time field longer than its syntax. */
	CHECK(imap_date_rfc5322("1 Jan 99999999999999999999 00:00 +0000",
	    &t, &tz) < 0);
	CHECK(imap_date_rfc5322("1 Jan 10000 00:00 +0000", &t, &tz) < 0);
	CHECK(imap_date_rfc5322("31 Dec 9999 23:59:59 +0000", &t, &tz) == 0 &&
	    t == 253402300799LL);
	CHECK(imap_date_rfc5322("001 Jan 2030 00:00 +0000", &t, &tz) < 0);
	CHECK(imap_date_rfc5322("1 Jan 2030 000001:00 +0000", &t, &tz) < 0);
	CHECK(imap_date_rfc5322("1 Jan 2030 00:00: +0000", &t, &tz) < 0);
	TEST_END();
	return test_exit();
}
