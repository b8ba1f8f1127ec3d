/*
 * NAME
 *	smtp_args_test - unit tests for MAIL/RCPT arguments and parameters
 */
#include <stdio.h>
#include <string.h>

#include "mail/smtp_args.h"
#include "util/test.h"

/* test_mail - MAIL FROM rows: accepted values, refusals with codes */
static void
test_mail(void)
{
	static const struct {
		const char *args;
		bool utf8;
		int code;		/* 0: accepted */
		const char *enh;
	} rows[] = {
		{ "", false, 501, "5.5.4" },
		{ "FROM", false, 501, "5.5.4" },
		{ "TO:<a@b>", false, 501, "5.5.4" },
		{ "FROM:<>", false, 0, NULL },
		{ "from:<a@b>", false, 0, NULL },
		{ "FROM: <a@b>", false, 0, NULL },
		{ "FROM:a@b", false, 501, "5.1.7" },
		{ "FROM:<a@b>SIZE=1", false, 501, "5.1.7" },
		{ "FROM:<a@b> SIZE=100", false, 0, NULL },
		{ "FROM:<a@b> SIZE=", false, 501, "5.5.4" },
		{ "FROM:<a@b> SIZE=-1", false, 501, "5.5.4" },
		{ "FROM:<a@b> SIZE=99999999999999999999999", false, 501,
		    "5.5.4" },
		{ "FROM:<a@b> SIZE", false, 501, "5.5.4" },
		{ "FROM:<a@b> BODY=8BITMIME", false, 0, NULL },
		{ "FROM:<a@b> BODY=8bitmime", false, 0, NULL },
		{ "FROM:<a@b> BODY=9BIT", false, 501, "5.5.4" },
		{ "FROM:<a@b> SIZE=1 SIZE=2", false, 501, "5.5.4" },
		{ "FROM:<a@b> FOO=bar", false, 555, "5.5.4" },
		{ "FROM:<a@b> SMTPUTF8", false, 555, "5.5.4" },
		{ "FROM:<a@b> SMTPUTF8", true, 0, NULL },
		{ "FROM:<a@b> SMTPUTF8=1", true, 501, "5.5.4" },
		{ "FROM:<j\xc3\xb6@b> SMTPUTF8", true, 0, NULL },
		{ "FROM:<j\xc3\xb6@b>", true, 501, "5.1.7" },
		{ "FROM:<a@b> RET=HDRS ENVID=QQ+2B1", false, 0, NULL },
		{ "FROM:<a@b> RET=BODY", false, 501, "5.5.4" },
		{ "FROM:<a@b> ENVID=a+zz", false, 501, "5.5.4" },
		{ "FROM:<a@b> ENVID=a=b", false, 501, "5.5.4" },
		{ "FROM:<a@b> SIZE=1\x01", false, 501, "5.5.4" },
		{ "FROM:<a@b> =x", false, 501, "5.5.4" },
		{ "FROM:<a@b> -X=1", false, 501, "5.5.4" },
		{ "FROM:<@r:a@b>", false, 501, "5.1.7" },
	};

	TEST_BEGIN("smtp_args: MAIL FROM");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct smtp_mail_args m;
		struct smtp_reply r = { 0, NULL, NULL };
		int rc = smtp_parse_mail(rows[i].args, rows[i].utf8, &m, &r);

		if (rows[i].code == 0) {
			CHECK_IDX(rc == 0, i);
			if (rc != 0)
				printf("  row %zu: %d %s %s\n", i, r.code,
				    r.enh, r.text);
			continue;
		}
		CHECK_IDX(rc == -1 && r.code == rows[i].code, i);
		CHECK_IDX(r.enh != NULL && strcmp(r.enh, rows[i].enh) == 0, i);
		CHECK_IDX(r.text != NULL && r.text[0] != '\0', i);
		if (rc != -1 || r.code != rows[i].code)
			printf("  row %zu: rc %d code %d %s\n", i, rc, r.code,
			    r.text != NULL ? r.text : "");
	}
	TEST_END();
}

/* test_mail_values - what the parameters say ends up in the struct */
static void
test_mail_values(void)
{
	struct smtp_mail_args m;
	struct smtp_reply r;

	TEST_BEGIN("smtp_args: MAIL parameter values");
	CHECK(smtp_parse_mail("FROM:<a@b> SIZE=4096 BODY=8BITMIME RET=HDRS "
	    "ENVID=Q+2BQ", false, &m, &r) == 0);
	CHECK(m.has_size && m.size == 4096);
	CHECK(m.body == SMTP_BODY_8BITMIME && m.ret == SMTP_RET_HDRS);
	CHECK_STR_EQ(m.envid, "Q+Q");
	CHECK_STR_EQ(m.from.local, "a");
	CHECK(smtp_parse_mail("FROM:<>", false, &m, &r) == 0 && m.from.null);
	TEST_END();
}

/* test_rcpt - RCPT TO rows */
static void
test_rcpt(void)
{
	static const struct {
		const char *args;
		int code;
		unsigned notify;
		const char *orcpt;
	} rows[] = {
		{ "TO:<a@b>", 0, 0, "" },
		{ "TO:<postmaster>", 0, 0, "" },
		{ "TO:<>", 501, 0, NULL },
		{ "FROM:<a@b>", 501, 0, NULL },
		{ "TO:<a@b> NOTIFY=NEVER", 0, SMTP_NOTIFY_NEVER, "" },
		{ "TO:<a@b> NOTIFY=SUCCESS,FAILURE", 0,
		    SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE, "" },
		{ "TO:<a@b> NOTIFY=NEVER,DELAY", 501, 0, NULL },
		{ "TO:<a@b> NOTIFY=FAILURE,FAILURE", 501, 0, NULL },
		{ "TO:<a@b> NOTIFY=SOMETIMES", 501, 0, NULL },
		{ "TO:<a@b> ORCPT=rfc822;x+2By@z", 0, 0, "rfc822;x+y@z" },
		{ "TO:<a@b> ORCPT=rfc822", 501, 0, NULL },
		{ "TO:<a@b> ORCPT=;x", 501, 0, NULL },
		{ "TO:<a@b> ORCPT=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;x",
		    501, 0, NULL },
		{ "TO:<a@b> SIZE=1", 555, 0, NULL },
		{ "TO:<@x:a@b>", 501, 0, NULL },
	};

	TEST_BEGIN("smtp_args: RCPT TO");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct smtp_rcpt_args m;
		struct smtp_reply r = { 0, NULL, NULL };
		int rc = smtp_parse_rcpt(rows[i].args, false, &m, &r);

		if (rows[i].code == 0) {
			CHECK_IDX(rc == 0, i);
			CHECK_IDX(rc == 0 && m.notify == rows[i].notify, i);
			CHECK_IDX(rc == 0 && strcmp(m.orcpt, rows[i].orcpt) ==
			    0, i);
		} else {
			CHECK_IDX(rc == -1 && r.code == rows[i].code, i);
		}
	}
	TEST_END();
}

/* test_xtext - RFC 3461 section 4 */
static void
test_xtext(void)
{
	char out[9], big[64];

	TEST_BEGIN("smtp_args: xtext");
	CHECK(smtp_xtext_decode("a+2Bb", out, 7) == 0);
	CHECK_STR_EQ(out, "a+b");
	CHECK(smtp_xtext_decode("", out, 7) == 0 && out[0] == '\0');
	CHECK(smtp_xtext_decode("+2b", out, 7) == -1);	/* lower-case hex */
	CHECK(smtp_xtext_decode("+2", out, 7) == -1);
	CHECK(smtp_xtext_decode("a b", out, 7) == -1);
	CHECK(smtp_xtext_decode("12345678", out, 7) == -1);
	CHECK(smtp_xtext_decode("1234567", out, 7) == 0);
	/* Encoding, and back. */
	CHECK(smtp_xtext_encode("a+b=", out, sizeof(out)) == 0);
	CHECK_STR_EQ(out, "a+2Bb+3D");
	CHECK(smtp_xtext_decode(out, big, sizeof(big) - 1) == 0);
	CHECK_STR_EQ(big, "a+b=");
	CHECK(smtp_xtext_encode("\xc3\xa9 x", big, sizeof(big)) == 0);
	CHECK_STR_EQ(big, "+C3+A9+20x");
	CHECK(smtp_xtext_encode("a+b=c", out, sizeof(out)) == -1);
	CHECK(smtp_xtext_encode("", out, sizeof(out)) == 0 && out[0] == '\0');
	TEST_END();
}

/* test_notify_text - the NOTIFY value smtp passes on */
static void
test_notify_text(void)
{
	char out[64];

	TEST_BEGIN("smtp_args: NOTIFY text");
	smtp_notify_text(SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE, out,
	    sizeof(out));
	CHECK_STR_EQ(out, "SUCCESS,FAILURE");
	smtp_notify_text(SMTP_NOTIFY_NEVER, out, sizeof(out));
	CHECK_STR_EQ(out, "NEVER");
	smtp_notify_text(0, out, sizeof(out));
	CHECK_STR_EQ(out, "");
	TEST_END();
}

int
main(void)
{
	test_mail();
	test_mail_values();
	test_rcpt();
	test_xtext();
	test_notify_text();
	return test_exit();
}
