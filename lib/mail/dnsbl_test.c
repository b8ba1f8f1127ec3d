/*
 * NAME
 *	dnsbl_test - the names DNS lists are asked (RFC 5782 2.1, 2.4)
 */
#include <string.h>

#include "mail/dnsbl.h"
#include "util/test.h"

static void
test_names(void)
{
	char out[128];

	TEST_BEGIN("dnsbl: names");
	CHECK(dnsbl_name("192.0.2.99", "bl.example", out, sizeof(out)) == 0);
	CHECK_STR_EQ(out, "99.2.0.192.bl.example");
	CHECK(dnsbl_name("2001:db8:1:2:3:4:567:89ab", "bl.example", out,
	    sizeof(out)) == 0);
	CHECK_STR_EQ(out, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0."
	    "8.b.d.0.1.0.0.2.bl.example");
	/* Too small for the name: refused, never a shortened name. */
	CHECK(dnsbl_name("2001:db8::1", "bl.example", out, 40) == -1);
	CHECK(dnsbl_name("2001:db8::1", "x", out, 60) == -1);
	CHECK(dnsbl_name("2001:db8::1", "x", out, 66) == 0);
	CHECK(dnsbl_name("192.0.2.99", "bl.example", out, 21) == -1);
	CHECK(dnsbl_name("192.0.2.99", "bl.example", out, 22) == 0);
	CHECK(dnsbl_name("example.org", "bl.example", out, sizeof(out)) ==
	    -1);
	TEST_END();
}

int
main(void)
{
	test_names();
	return test_exit();
}
