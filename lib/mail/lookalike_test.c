/*
 * NAME
 *	lookalike_test - punycode, and the names that pose as others
 */
#include <string.h>

#include "mail/lookalike.h"
#include "util/test.h"

static void
test_punycode(void)
{
	char out[64];

	TEST_BEGIN("punycode");
	/* RFC 3492 7.1 (B): "bücher" and a Cyrillic "а" in "pаypal" */
	CHECK(punycode_decode("bcher-kva", 9, out, sizeof(out)));
	CHECK_STR_EQ(out, "b\xc3\xbc" "cher");
	CHECK(punycode_decode("pypal-4ve", 9, out, sizeof(out)));
	CHECK_STR_EQ(out, "p\xd0\xb0ypal");
	CHECK(!punycode_decode("99999999999999", 14, out, sizeof(out)));
	CHECK(!punycode_decode("a-!", 3, out, sizeof(out)));
	CHECK(!punycode_decode("bcher-kva", 9, out, 4));
	TEST_END();
}

static void
test_lookalike(void)
{
	TEST_BEGIN("lookalike");
	/* the real thing and its own names */
	CHECK(!lookalike_of("paypal.com", "paypal.com"));
	CHECK(!lookalike_of("mail.PayPal.com", "paypal.com"));
	CHECK(!lookalike_of("paypal.de", "paypal.com"));
	CHECK(!lookalike_of("paypal.co.uk", "paypal.com"));
	/* unrelated names */
	CHECK(!lookalike_of("example.org", "paypal.com"));
	CHECK(!lookalike_of("ibn.com", "ibm.com"));
	CHECK(!lookalike_of("friends.example", "example.net"));
	/* posing */
	CHECK(lookalike_of("xn--pypal-4ve.com", "paypal.com"));
	CHECK(lookalike_of("paypa1.com", "paypal.com"));
	CHECK(lookalike_of("paypall.com", "paypal.com"));
	CHECK(lookalike_of("pyapal.com", "paypal.com"));
	CHECK(lookalike_of("rnicrosoft.com", "microsoft.com"));
	CHECK(lookalike_of("paypal-secure.net", "paypal.com"));
	CHECK(lookalike_of("paypal.com.evil.example", "paypal.com"));
	CHECK(lookalike_of("login.paypal.evil.example", "paypal.com"));
	CHECK(lookalike_of("examp1e.test", "example.test"));
	CHECK(lookalike_idn("a.xn--pypal-4ve.com"));
	CHECK(!lookalike_idn("paypal.com"));
	TEST_END();
}

/* test_random - random names, punycode pieces and dots: no crash, no
 * read outside the name (ASan), and a name never poses as itself */
static void
test_random(void)
{
	static const char alphabet[] = "abcxyz019-.rnvvil";
	unsigned seed = 7;

	TEST_BEGIN("random");
	for (int round = 0; round < 20000; round++) {
		char d[300];
		size_t n, i = 0;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 8) % 280;
		if ((seed >> 20) % 3 == 0 && n > 4) {
			memcpy(d, "xn--", 4);
			i = 4;
		}
		for (; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			d[i] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
		}
		d[n] = '\0';
		(void)lookalike_of(d, "paypal.com");
		(void)lookalike_idn(d);
		CHECK_IDX(!lookalike_of(d, d), round);
	}
	TEST_END();
}

int
main(void)
{
	test_random();
	test_punycode();
	test_lookalike();
	return test_exit();
}
