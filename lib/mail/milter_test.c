/*
 * NAME
 *	milter_test - milter packets: what we send byte for byte, what a
 *	milter sends, good and bad, and the checks on what it asks for
 */
#include <string.h>

#include "mail/milter.h"
#include "util/test.h"

#define MAX	65536

static void
test_encode(void)
{
	struct buf b = BUF_INIT;
	const char *mail[] = { "<a@b.test>", "BODY=8BITMIME" };
	const char *macros[] = { "j", "mx.test", "{auth_authen}", "",
	    "i", "QID1", "_", NULL };

	TEST_BEGIN("milter: encoding");
	CHECK(milter_enc_optneg(&b, 6, 0x31, 0x1ff) == 0);
	CHECK(b.len == 17 && memcmp(b.data, "\0\0\0\x0dO\0\0\0\x06"
	    "\0\0\0\x31\0\0\x01\xff", 17) == 0);
	buf_reset(&b);
	CHECK(milter_enc_strings(&b, MILTER_C_MAIL, mail, 2) == 0);
	CHECK(b.len == 4 + 1 + 11 + 14 && b.data[3] == 26 &&
	    b.data[4] == 'M' && memcmp(b.data + 5, "<a@b.test>\0BODY", 15) ==
	    0);
	buf_reset(&b);
	/* Empty and missing values are left out. */
	CHECK(milter_enc_macros(&b, MILTER_C_MAIL, macros, 4) == 0);
	CHECK(b.len == 4 + 2 + 10 + 7 && b.data[4] == 'D' && b.data[5] ==
	    'M' && memcmp(b.data + 6, "j\0mx.test\0i\0QID1\0", 17) == 0);
	buf_reset(&b);
	CHECK(milter_enc_connect(&b, "[192.0.2.1]", '4', 25, "192.0.2.1") ==
	    0);
	CHECK(b.len == 5 + 12 + 1 + 2 + 10 && b.data[17] == '4' &&
	    b.data[18] == 0 && b.data[19] == 25);
	buf_reset(&b);
	CHECK(milter_enc_connect(&b, "localhost", 'U', 0, NULL) == 0);
	CHECK(b.len == 5 + 10 + 1);
	buf_reset(&b);
	CHECK(milter_enc(&b, MILTER_C_EOB, NULL, 0) == 0);
	CHECK(b.len == 5 && memcmp(b.data, "\0\0\0\1E", 5) == 0);
	buf_free(&b);
	TEST_END();
}

static void
test_header_encode(void)
{
	static const struct {
		const char *field, *name, *value;	/* NULL: refused */
	} t[] = {
		{ "", NULL, NULL },
		{ "no colon\r\n", NULL, NULL },
		{ ": empty name\r\n", NULL, NULL },
		{ "Subject: hi\r\n", "Subject", "hi" },
		{ "Subject:hi\r\n", "Subject", "hi" },
		{ "Subject :  \t hi\r\n", "Subject", "hi" },
		{ "Subject:\r\n", "Subject", "" },
		{ "To: a,\r\n\tb\r\n", "To", "a,\n\tb" },
		{ "X: a\r\n b\r\n c\r\n", "X", "a\n b\n c" },
	};
	struct buf b = BUF_INIT;

	TEST_BEGIN("milter: HEADER from raw fields");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		buf_reset(&b);
		rc = milter_enc_header(&b, t[i].field, strlen(t[i].field));
		if (t[i].name == NULL) {
			CHECK_IDX(rc < 0, i);
			continue;
		}
		CHECK_IDX(rc == 0 && b.data[4] == 'L', i);
		CHECK_IDX(b.len == 5 + strlen(t[i].name) + 1 +
		    strlen(t[i].value) + 1, i);
		CHECK_IDX(strcmp((const char *)b.data + 5, t[i].name) == 0, i);
		CHECK_IDX(strcmp((const char *)b.data + 5 + strlen(t[i].name) + 1,
		    t[i].value) == 0, i);
	}
	buf_free(&b);
	TEST_END();
}

static void
test_decode(void)
{
#define P(s)	(const uint8_t *)(s), sizeof(s) - 1
	static const struct {
		const uint8_t *p;
		size_t n;
		int rc;
		uint8_t cmd;
		const char *name, *value;
	} t[] = {
		{ P(""), 0, 0, NULL, NULL },
		{ P("\0\0"), 0, 0, NULL, NULL },
		{ P("\0\0\0\0"), -1, 0, NULL, NULL },		/* empty */
		{ P("\0\1\0\2c"), -1, 0, NULL, NULL },		/* > max */
		{ P("\xff\xff\xff\xff"), -1, 0, NULL, NULL },
		{ P("\0\0\0\1"), 0, 0, NULL, NULL },		/* more */
		{ P("\0\0\0\1c"), 1, 'c', NULL, NULL },
		{ P("\0\0\0\1a"), 1, 'a', NULL, NULL },
		{ P("\0\0\0\1r"), 1, 'r', NULL, NULL },
		{ P("\0\0\0\1t"), 1, 't', NULL, NULL },
		{ P("\0\0\0\1d"), 1, 'd', NULL, NULL },
		{ P("\0\0\0\1p"), 1, 'p', NULL, NULL },
		{ P("\0\0\0\1s"), 1, 's', NULL, NULL },
		{ P("\0\0\0\2cX"), -1, 0, NULL, NULL },		/* data */
		{ P("\0\0\0\1Z"), -1, 0, NULL, NULL },		/* unknown */
		{ P("\0\0\0\1+"), -1, 0, NULL, NULL },		/* not offered */
		{ P("\0\0\0\1b"), -1, 0, NULL, NULL },
		{ P("\0\0\0\1e"), -1, 0, NULL, NULL },
		{ P("\0\0\0\1y"), -1, 0, NULL, NULL },		/* no string */
		{ P("\0\0\0\4y550"), -1, 0, NULL, NULL },	/* no NUL */
		{ P("\0\0\0\5y550\0"), 1, 'y', NULL, "550" },
		{ P("\0\0\0\5y55\0\0"), -1, 0, NULL, NULL },	/* trailing */
		{ P("\0\0\0\4qno\0"), 1, 'q', NULL, "no" },
		{ P("\0\0\0\6hX\0vv\0"), 1, 'h', "X", "vv" },
		{ P("\0\0\0\4hX\0v"), -1, 0, NULL, NULL },
		{ P("\0\0\0\3hX\0"), -1, 0, NULL, NULL },
		{ P("\0\0\0\x0ai\0\0\0\1X\0vv\0"), 1, 'i', "X", "vv" },
		{ P("\0\0\0\x04i\0\0\0"), -1, 0, NULL, NULL },
		{ P("\0\0\0\x06m\0\0\0\2X"), -1, 0, NULL, NULL },
		{ P("\0\0\0\x08m\0\0\0\2X\0\0"), 1, 'm', "X", "" },
		{ P("\0\0\0\x0cO\0\0\0\6\0\0\0\1\0\0\0\2"), -1, 0, NULL, NULL },
		{ P("\0\0\0\x0dO\0\0\0\6\0\0\0\1\0\0\0\2"), 1, 'O', NULL, NULL },
		{ P("\0\0\0\x0fO\0\0\0\6\0\0\0\1\0\0\0\2\0\0"), 1, 'O', NULL,
		    NULL },
		/* Two packets: one at a time. */
		{ P("\0\0\0\1c\0\0\0\1a"), 1, 'c', NULL, NULL },
	};
	struct milter_reply r;
	const char *error;
	size_t used;

	TEST_BEGIN("milter: decoding replies");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		error = NULL;
		rc = milter_decode(t[i].p, t[i].n, 0x100, &r, &used, &error);
		CHECK_IDX(rc == t[i].rc, i);
		if (rc < 0)
			CHECK_IDX(error != NULL, i);
		if (rc <= 0) {
			CHECK_IDX(used == 0, i);
			continue;
		}
		CHECK_IDX(r.cmd == t[i].cmd, i);
		CHECK_IDX(used == 4 + ((size_t)t[i].p[2] << 8 | t[i].p[3]), i);
		if (t[i].name != NULL)
			CHECK_IDX(strcmp(r.name, t[i].name) == 0, i);
		if (t[i].value != NULL)
			CHECK_IDX(strcmp(r.value, t[i].value) == 0, i);
		if (r.cmd == 'O')
			CHECK_IDX(r.version == 6 && r.actions == 1 &&
			    r.protocol == 2, i);
		if (r.cmd == 'i')
			CHECK_IDX(r.index == 1, i);
	}
	/* Every prefix of a good packet asks for more, none is an error. */
	{
		static const uint8_t full[] = "\0\0\0\x0ai\0\0\0\1X\0vv\0";

		for (size_t n = 0; n < sizeof(full) - 1; n++)
			CHECK_IDX(milter_decode(full, n, 0x100, &r, &used,
			    &error) == 0, n);
	}
	TEST_END();
}

static void
test_header_ok(void)
{
	static const struct {
		const char *name, *value, *text;	/* text NULL: refused */
	} t[] = {
		{ "", "v", NULL },
		{ "A B", "v", NULL },
		{ "A:B", "v", NULL },
		{ "X\x7f", "v", NULL },
		{ "X", "a\nb", NULL },			/* a new field */
		{ "X", "a\r\nb", NULL },
		{ "X", "a\rb", NULL },
		{ "X", "a\n", NULL },			/* ends the header */
		{ "X", "a\x01", NULL },
		{ "X", "", "X:\r\n" },
		{ "X", "v", "X: v\r\n" },
		{ "X", "a\tb", "X: a\tb\r\n" },
		{ "DKIM-Signature", "v=1;\n\tb=abc", "DKIM-Signature: v=1;"
		    "\r\n\tb=abc\r\n" },
		{ "X", "a\r\n b", "X: a\r\n b\r\n" },
		{ "X", "\n\tfolded", "X:\r\n\tfolded\r\n" },
	};

	TEST_BEGIN("milter: header fields a milter adds");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;
		bool ok = milter_header_ok(t[i].name, t[i].value);

		CHECK_IDX(ok == (t[i].text != NULL), i);
		if (ok) {
			CHECK_IDX(milter_header_text(&b, t[i].name,
			    t[i].value) == 0, i);
			CHECK_IDX(strcmp(buf_cstr(&b), t[i].text) == 0, i);
		}
		buf_free(&b);
	}
	TEST_END();
}

static void
test_replycode(void)
{
	static const struct {
		const char *in;
		int code;		/* 0: refused */
		const char *enh, *text;
	} t[] = {
		{ "", 0, NULL, NULL },
		{ "250 ok", 0, NULL, NULL },
		{ "650 no", 0, NULL, NULL },
		{ "55 no", 0, NULL, NULL },
		{ "5500 no", 0, NULL, NULL },
		{ "550-multi", 0, NULL, NULL },
		{ "550 a\r\n550 b", 0, NULL, NULL },
		{ "550 caf\xc3\xa9", 0, NULL, NULL },
		{ "550 5.7 short", 0, NULL, NULL },
		{ "550 5.7.1234 long", 0, NULL, NULL },
		{ "550 5.7.1x", 0, NULL, NULL },
		{ "550", 550, "", "" },
		{ "550 ", 550, "", "" },
		{ "550 Go away", 550, "", "Go away" },
		{ "550 5.7.1 Go away", 550, "5.7.1", "Go away" },
		{ "550 5.7.1", 550, "5.7.1", "" },
		{ "451 4.7.1 Later", 451, "4.7.1", "Later" },
		{ "451 5.7.1 Mismatch", 451, "", "5.7.1 Mismatch" },
		{ "554 5.100.999 x", 554, "5.100.999", "x" },
	};

	TEST_BEGIN("milter: REPLYCODE text");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char enh[16];
		const char *text;
		int code, rc;

		rc = milter_replycode(t[i].in, &code, enh, sizeof(enh), &text);
		CHECK_IDX((rc == 0) == (t[i].code != 0), i);
		if (rc != 0)
			continue;
		CHECK_IDX(code == t[i].code, i);
		CHECK_IDX(strcmp(enh, t[i].enh) == 0, i);
		CHECK_IDX(strcmp(text, t[i].text) == 0, i);
	}
	TEST_END();
}

int
main(void)
{
	test_encode();
	test_header_encode();
	test_decode();
	test_header_ok();
	test_replycode();
	return test_exit();
}
