/*
 * NAME
 *	expires_test - finding and parsing Expires: fields
 */
#include <string.h>

#include "mail/expires.h"
#include "util/test.h"

int
main(void)
{
	static const struct {
		const char *msg;
		int rc;		/* of expires_header */
		long long when;
	} rows[] = {
		/* Edge cases first. */
		{ "", 0, 0 },
		{ "\r\n", 0, 0 },
		{ "Subject: x\r\n\r\nExpires: 1 Jan 2030 00:00 +0000\r\n", 0,
		    0 },	/* in the body: not a field */
		{ "Expires: 1 Jan 2030 00:00:00 +0000\r\n\r\nbody\r\n", 1,
		    1893456000LL },
		{ "expires:Tue, 1 Jan 2030 01:00:00 +0100", 1, 1893456000LL },
		{ "Subject: a\nEXPIRES: 1 Jan 2030 00:00 GMT\n\n", 1,
		    1893456000LL },
		/* Folded (RFC 5322 3.2.2). */
		{ "Expires: Tue, 1 Jan\r\n 2030 00:00:00\r\n\t+0000\r\nX: y\r\n",
		    1, 1893456000LL },
		/* The first field counts. */
		{ "Expires: 1 Jan 2030 00:00 +0000\r\nExpires: 2 Jan 2030 "
		    "00:00 +0000\r\n", 1, 1893456000LL },
		/* Not our field. */
		{ "Expires-Soon: 1 Jan 2030 00:00 +0000\r\n", 0, 0 },
		{ "X-Expires: 1 Jan 2030 00:00 +0000\r\n", 0, 0 },
		/* Bad values are refused, not guessed. */
		{ "Expires: never\r\n", -1, 0 },
		{ "Expires: \r\n", -1, 0 },
		{ "Expires: 1 Jan 99999 00:00 +0000\r\n", -1, 0 },
		{ "Expires: 1 Jan 1969 00:00 +0000\r\n", -1, 0 },
		{ "Expires: 32 Jan 2030 00:00 +0000\r\n", -1, 0 },
		{ "Expires: 1 Foo 2030 00:00 +0000\r\n", -1, 0 },
		{ "Expires: 1 Jan 2030 24:00 +0000\r\n", -1, 0 },
		/* The past is a date like any other (the sweep deletes). */
		{ "Expires: 1 Jan 2000 00:00 +0000\r\n", 1, 946684800LL },
	};
	char value[EXPIRES_VALUE_MAX + 1], big[2048], log[1024];
	const char *why;
	int64_t when;

	TEST_BEGIN("expires: find and parse the Expires: field");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = expires_header(rows[i].msg, strlen(rows[i].msg), value,
		    sizeof(value), &when, &why);

		CHECK_IDX(rc == rows[i].rc, i);
		if (rc == 1)
			CHECK_IDX(when == rows[i].when, i);
	}
	/* Only len bytes are read: a field cut off at len. */
	CHECK(expires_header("Expires: 1 Jan 2030 00:00 +0000", 14, value,
	    sizeof(value), &when, &why) == -1);
	/* An embedded NUL does not hide the rest of the value. */
	CHECK(expires_find("Expires: a\0b\r\n", 14, value, sizeof(value)) ==
	    1 && strcmp(value, "a?b") == 0);
	/* Too long: refused, its start kept for the log. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "Expires: ", 9);
	CHECK(expires_find(big, sizeof(big), value, sizeof(value)) == -1 &&
	    strlen(value) == EXPIRES_VALUE_MAX);
	CHECK(expires_header(big, sizeof(big), value, sizeof(value), &when,
	    &why) == -1 && strcmp(why, "field too long") == 0);
	/* White space around the value is not part of it. */
	CHECK(expires_find("Expires: \t x y \r\n", 15, value, sizeof(value))
	    == 1 && strcmp(value, "x y") == 0);
	/* A small output buffer is never overrun. */
	CHECK(expires_find("Expires: 1 Jan 2030\r\n", 21, value, 5) == -1 &&
	    strlen(value) == 4);
	TEST_END();

	TEST_BEGIN("expires: log values and times");
	expires_log_value("a\x01\\b\xff", log, sizeof(log));
	CHECK_STR_EQ(log, "a\\x01\\x5cb\\xff");
	expires_log_value("abc", log, 3);
	CHECK_STR_EQ(log, "ab");
	expires_format(1893456000LL, log, sizeof(log));
	CHECK_STR_EQ(log, "2030-01-01T00:00:00Z");
	TEST_END();
	return test_exit();
}
