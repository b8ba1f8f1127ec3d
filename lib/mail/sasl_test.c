/*
 * NAME
 *	sasl_test - PLAIN and LOGIN decoding
 */
#include <string.h>

#include <sodium.h>

#include "mail/sasl.h"
#include "util/test.h"

static void
test_plain(void)
{
	struct sasl_creds c;
	const char *why;

	TEST_BEGIN("sasl: PLAIN (RFC 4616)");
	/* "\0tim\0tanstaaftanstaaf" from RFC 4616 section 4 */
	CHECK(sasl_plain("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &c, &why) == 0);
	CHECK_STR_EQ(c.user, "tim");
	CHECK_STR_EQ(c.password, "tanstaaftanstaaf");
	CHECK(c.password_len == 16);
	/* "tim\0tim\0pw": authzid equal to authcid is fine */
	CHECK(sasl_plain("dGltAHRpbQBwdw==", &c, &why) == 0);
	/* "Ursel\0Kurt\0xipj3plmq": a proxy login is refused */
	CHECK(sasl_plain("VXJzZWwAS3VydAB4aXBqM3BsbXE=", &c, &why) == -1);
	CHECK(sasl_plain("not base64!", &c, &why) == -1);
	CHECK(sasl_plain("AHRpbQ==", &c, &why) == -1);	/* "\0tim" */
	CHECK(sasl_plain("AAA=", &c, &why) == -1);	/* "\0\0" */
	sasl_wipe(&c);
	CHECK(c.password[0] == '\0');
	TEST_END();
}

static void
test_login(void)
{
	char out[SASL_MAX + 1];
	size_t n;
	const char *why;

	TEST_BEGIN("sasl: LOGIN parts");
	CHECK(sasl_login_part("Ym9iQGV4YW1wbGUudGVzdA==", out, &n, &why) == 0);
	CHECK_STR_EQ(out, "bob@example.test");
	CHECK(sasl_login_part("", out, &n, &why) == -1);
	CHECK(sasl_login_part("YQBi", out, &n, &why) == -1);	/* "a\0b" */
	TEST_END();
}

static void
test_exchange(void)
{
	struct sasl_exchange x = { 0 };
	struct sasl_creds c;
	const char *why;

	TEST_BEGIN("sasl: PLAIN and LOGIN exchanges step by step");
	CHECK(sasl_begin(&x, "cram-md5") == -1);
	CHECK(sasl_begin(&x, "plain") == 0);
	/* "\0bob\0pw" */
	CHECK(sasl_step(&x, "AGJvYgBwdw==", &c, &why) == SASL_DONE);
	CHECK_STR_EQ(c.user, "bob");
	CHECK(c.password_len == 2 && memcmp(c.password, "pw", 2) == 0);
	sasl_wipe(&c);
	CHECK(sasl_begin(&x, "LOGIN") == 0);
	CHECK(sasl_step(&x, "Ym9i", &c, &why) == SASL_PASSWORD);
	CHECK(sasl_step(&x, "cHc=", &c, &why) == SASL_DONE);
	CHECK_STR_EQ(c.user, "bob");
	CHECK(x.user == NULL);
	sasl_wipe(&c);
	CHECK(sasl_begin(&x, "LOGIN") == 0);
	CHECK(sasl_step(&x, "Ym9i", &c, &why) == SASL_PASSWORD);
	CHECK(sasl_step(&x, "*", &c, &why) == SASL_CANCEL && x.user == NULL);
	CHECK(sasl_begin(&x, "LOGIN") == 0);
	CHECK(sasl_step(&x, "!!", &c, &why) == SASL_BAD);
	sasl_end(&x);
	TEST_END();
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_plain();
	test_login();
	test_exchange();
	return test_exit();
}
