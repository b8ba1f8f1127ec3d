/*
 * NAME
 *	smtp_resp_test - unit tests for SMTP replies as a client reads them
 */
#include <stdio.h>
#include <string.h>

#include "mail/smtp_resp.h"
#include "util/test.h"

/* test_line - reply lines: last, more, malformed */
static void
test_line(void)
{
	static const struct {
		const char *line;
		int rc;
		unsigned code;
	} rows[] = {
		{ "", -1, 0 },
		{ "25", -1, 0 },
		{ "250", 1, 250 },
		{ "250 ok", 1, 250 },
		{ "250-more", 0, 250 },
		{ "250x", -1, 0 },
		{ "199 low", -1, 0 },
		{ "600 high", -1, 0 },
		{ "2a0 x", -1, 0 },
		{ "421 4.7.0 bye", 1, 421 },
		{ "554-", 0, 554 },
		{ " 250 ok", -1, 0 },
	};

	TEST_BEGIN("smtp_resp: reply lines");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned code = 0;
		int rc = smtp_resp_line(rows[i].line, strlen(rows[i].line),
		    &code);

		CHECK_IDX(rc == rows[i].rc, i);
		if (rc >= 0)
			CHECK_IDX(code == rows[i].code, i);
	}
	TEST_END();
}

/* test_dsn - enhanced codes, or the class default */
static void
test_dsn(void)
{
	static const struct {
		unsigned code;
		const char *text;
		const char *dsn;
	} rows[] = {
		{ 550, "", "5.0.0" },
		{ 550, "5.1.1 <x>: no such user", "5.1.1" },
		{ 550, "5.1.1", "5.1.1" },
		{ 451, "4.3.0 later", "4.3.0" },
		{ 451, "5.3.0 wrong class", "4.0.0" },
		{ 250, "2.0.0 Ok", "2.0.0" },
		{ 550, "5.1.10 null MX", "5.1.10" },
		{ 550, "5.123.456 x", "5.123.456" },
		{ 550, "5.1234.1 x", "5.0.0" },
		{ 550, "5.1.1234 x", "5.0.0" },
		{ 550, "5..1 x", "5.0.0" },
		{ 550, "5.1. x", "5.0.0" },
		{ 550, "5.1.1x", "5.0.0" },
		{ 550, "55.1.1 x", "5.0.0" },
		{ 550, "Mailbox unavailable", "5.0.0" },
		{ 421, "mx.example Service not available", "4.0.0" },
	};

	TEST_BEGIN("smtp_resp: enhanced status codes");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[16];

		smtp_resp_dsn(rows[i].code, rows[i].text, out, sizeof(out));
		CHECK_IDX(strcmp(out, rows[i].dsn) == 0, i);
	}
	TEST_END();
}

/* test_ehlo - keywords, SIZE, the greeting line skipped */
static void
test_ehlo(void)
{
	static const struct {
		const char *lines;
		unsigned bits;
		uint64_t size;
	} rows[] = {
		{ "", 0, 0 },
		{ "mx.example", 0, 0 },
		{ "mx.example PIPELINING STARTTLS", 0, 0 },
		{ "mx.example\nPIPELINING", SMTP_EXT_PIPELINING, 0 },
		{ "mx.example\npipelining\n8bitmime\nsmtputf8\nstarttls",
		    SMTP_EXT_PIPELINING | SMTP_EXT_8BITMIME |
		    SMTP_EXT_SMTPUTF8 | SMTP_EXT_STARTTLS, 0 },
		{ "mx.example\nSIZE 10240000", SMTP_EXT_SIZE, 10240000 },
		{ "mx.example\nSIZE", SMTP_EXT_SIZE, 0 },
		{ "mx.example\nSIZE 0", SMTP_EXT_SIZE, 0 },
		{ "mx.example\nSIZE x1", SMTP_EXT_SIZE, 0 },
		{ "mx.example\nSIZE 12x", SMTP_EXT_SIZE, 0 },
		{ "mx.example\nSIZE 99999999999999999999", SMTP_EXT_SIZE, 0 },
		{ "mx.example\nPIPELININGX\nXSTARTTLS\n8BITMIME=1", 0, 0 },
		{ "mx.example\nAUTH PLAIN STARTTLS\nDSN", SMTP_EXT_DSN, 0 },
		{ "mx.example\nAUTH PLAIN STARTTLS", 0, 0 },
		{ "mx.example\n\nSTARTTLS", SMTP_EXT_STARTTLS, 0 },
	};

	TEST_BEGIN("smtp_resp: EHLO keywords");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t size = 1;
		unsigned bits = smtp_resp_ehlo(rows[i].lines, &size);

		CHECK_IDX(bits == rows[i].bits, i);
		CHECK_IDX(size == rows[i].size, i);
	}
	TEST_END();
}

int
main(void)
{
	test_line();
	test_dsn();
	test_ehlo();
	return test_exit();
}
