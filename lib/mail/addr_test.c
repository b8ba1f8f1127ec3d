/*
 * NAME
 *	addr_test - unit tests for RFC 5321 paths, relay tricks included
 */
#include <stdio.h>
#include <string.h>

#include "mail/addr.h"
#include "util/test.h"

#define U ADDR_UTF8
#define N ADDR_NULL_OK
#define P ADDR_POSTMASTER

static const struct {
	const char *in;
	int flags;
	const char *text;	/* parsed "local@domain", or NULL: refused */
	const char *why;	/* error, or suspicion, substring */
} rows[] = {
	/* Edge cases first. */
	{ "", 0, NULL, "enclosed in <>" },
	{ "<", 0, NULL, "bad local part" },
	{ "<>", 0, NULL, "null address" },
	{ "<>", N, "", NULL },
	{ "<a@b>", 0, "a@b", NULL },
	{ "<a@b> SIZE=10", 0, "a@b", NULL },
	{ "a@b", 0, NULL, "enclosed in <>" },
	{ "a@b", ADDR_LAX, "a@b", NULL },
	{ "<a@b", 0, NULL, "bad character" },
	{ "<a @b>", 0, NULL, "needs a domain" },
	{ "<a@b c>", 0, NULL, "space inside" },
	{ "<a@b\r>", 0, NULL, "bad character" },
	{ "<a\0@b>", 0, NULL, "needs a domain" },
	{ "<user.name+tag@Example.COM>", 0, "user.name+tag@Example.COM", NULL },
	{ "<a..b@c>", 0, NULL, "bad local part" },
	{ "<.a@c>", 0, NULL, "bad local part" },
	{ "<a.@c>", 0, NULL, "bad local part" },
	{ "<a@-b.c>", 0, NULL, "hyphen" },
	{ "<a@b-.c>", 0, NULL, "hyphen" },
	{ "<a@b..c>", 0, NULL, "bad domain" },
	{ "<a@>", 0, NULL, "bad domain" },
	{ "<@b>", 0, NULL, "source routes" },
	{ "<postmaster>", 0, NULL, "needs a domain" },
	{ "<postmaster>", P, "postmaster", NULL },
	{ "<PostMaster>", P, "PostMaster", NULL },
	{ "<\"a b\"@c>", 0, "\"a b\"@c", NULL },
	{ "<\"a\\\"b\"@c>", 0, "\"a\\\"b\"@c", NULL },
	{ "<\"ab@c>", 0, NULL, "unterminated quoted" },
	{ "<\"a\x01\"@c>", 0, NULL, "bad character in quoted" },
	{ "<a@[192.0.2.1]>", 0, "a@[192.0.2.1]", "address literal" },
	{ "<a@[IPv6:2001:db8::1]>", 0, "a@[IPv6:2001:db8::1]",
	    "address literal" },
	{ "<a@[999.0.0.1]>", 0, NULL, "bad address literal" },
	{ "<a@[192.0.2.1>", 0, NULL, "bad address literal" },
	/* Open-relay tricks: parse, but marked never to be relayed. */
	{ "<user%evil.test@local.test>", 0, "user%evil.test@local.test",
	    "routing characters" },
	{ "<evil.test!user@local.test>", 0, "evil.test!user@local.test",
	    "routing characters" },
	{ "<\"user@evil.test\"@local.test>", 0,
	    "\"user@evil.test\"@local.test", "routing characters" },
	{ "<user@evil.test.>", 0, "user@evil.test.", "ends in a dot" },
	{ "<@local.test:user@evil.test>", 0, NULL, "source routes" },
	{ "<@a,@b:user@evil.test>", 0, NULL, "source routes" },
	{ "<user@evil.test@local.test>", 0, NULL, "bad character" },
	/* RFC 6531. */
	{ "<j\xc3\xb6rg@b\xc3\xbc.test>", 0, NULL, "without SMTPUTF8" },
	{ "<j@b\xc3\xbc.test>", 0, NULL, "without SMTPUTF8" },
	{ "<j\xc3\xb6rg@b\xc3\xbc.test>", U, "j\xc3\xb6rg@b\xc3\xbc.test",
	    NULL },
	{ "<j\xc3@b>", U, NULL, "bad UTF-8" },
	{ "<\xed\xa0\x80@b>", U, NULL, "bad UTF-8" },	/* surrogate */
	{ "<\xc0\xaf@b>", U, NULL, "bad UTF-8" },		/* overlong */
};

/* test_rows - the table */
static void
test_rows(void)
{
	TEST_BEGIN("addr: paths, refusals and relay tricks");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mail_addr a;
		const char *why = "", *sus;
		char text[600];
		size_t used = 0, len = strlen(rows[i].in);
		int rc;

		if (i == 12)	/* the row with an embedded NUL */
			len = 6;
		rc = addr_parse_path(rows[i].in, len, rows[i].flags, &a,
		    &used, &why);
		if (rows[i].text == NULL) {
			CHECK_IDX(rc == -1, i);
			CHECK_IDX(strstr(why, rows[i].why) != NULL, i);
			if (strstr(why, rows[i].why) == NULL)
				printf("  row %zu: %s\n", i, why);
			continue;
		}
		CHECK_IDX(rc == 0, i);
		if (rc != 0) {
			printf("  row %zu: %s\n", i, why);
			continue;
		}
		CHECK_IDX(strcmp(addr_text(&a, text, sizeof(text)),
		    rows[i].text) == 0, i);
		sus = addr_is_suspicious(&a);
		if (rows[i].why == NULL)
			CHECK_IDX(sus == NULL, i);
		else
			CHECK_IDX(sus != NULL && strstr(sus, rows[i].why) !=
			    NULL, i);
		CHECK_IDX(used <= len && (rows[i].in[used] == '\0' ||
		    rows[i].in[used] == ' '), i);
	}
	TEST_END();
}

/* test_lengths - the RFC 5321 4.5.3.1 limits, exactly */
static void
test_lengths(void)
{
	char buf[400];
	struct mail_addr a;
	const char *why;
	size_t used;

	TEST_BEGIN("addr: local part 64, domain 255, path 256");
	snprintf(buf, sizeof(buf), "<%.*s@b>", 64,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(addr_parse_path(buf, strlen(buf), 0, &a, &used, &why) == 0);
	snprintf(buf, sizeof(buf), "<%.*s@b>", 65,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(addr_parse_path(buf, strlen(buf), 0, &a, &used, &why) == -1);
	CHECK(strstr(why, "64 octets") != NULL);
	/* A 254-octet domain: 4 labels of 62 + dots + "ab", then 256. */
	{
		size_t n = 0;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, "<a@", 3);
		n = 3;
		for (int i = 0; i < 4; i++) {
			memset(buf + n, 'd', 62);
			buf[n + 62] = '.';
			n += 63;
		}
		memcpy(buf + n, "ab>", 3);
		CHECK(addr_parse_path(buf, n + 3, 0, &a, &used, &why) == 0);
		memcpy(buf + n, "abcd>", 5);
		CHECK(addr_parse_path(buf, n + 5, 0, &a, &used, &why) == -1);
	}
	CHECK(strstr(why, "255 octets") != NULL);
	TEST_END();
}

int
main(void)
{
	test_rows();
	test_lengths();
	return test_exit();
}
