/*
 * NAME
 *	imap_fetch_test - ENVELOPE and BODYSTRUCTURE against RFC 3501's forms
 */
#include <string.h>

#include "mail/imap_fetch.h"
#include "util/test.h"

static const char simple[] =
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
    "From: Terry Gray <gray@cac.washington.edu>\r\n"
    "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
    "To: imap@cac.washington.edu\r\n"
    "cc: minutes@CNRI.Reston.VA.US, \"John Klensin\" <KLENSIN@MIT.EDU>\r\n"
    "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
    "\r\n"
    "line 1\r\nline 2\r\nline 3\r\n";

static void
test_envelope(void)
{
	struct buf b = BUF_INIT;

	TEST_BEGIN("imap_fetch: ENVELOPE (RFC 3501 7.4.2 example)");
	CHECK(imap_envelope(&b, simple, sizeof(simple) - 1, 0) == 0);
	CHECK_STR_EQ(buf_cstr(&b), "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	    "\"IMAP4rev1 WG mtg summary and minutes\" "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((NIL NIL \"imap\" \"cac.washington.edu\")) "
	    "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
	    "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
	    "\"<B27397-0100000@cac.washington.edu>\")");
	buf_free(&b);
	TEST_END();
}

static void
test_bodystructure(void)
{
	struct mime_message m;
	struct buf b = BUF_INIT;
	static const char mp[] =
	    "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
	    "--x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
	    "--x\r\nContent-Type: application/pdf; name=a.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=a.pdf\r\n\r\nAAAA\r\n"
	    "--x--\r\n";

	TEST_BEGIN("imap_fetch: BODY and BODYSTRUCTURE");
	mime_parse(&m, simple, sizeof(simple) - 1);
	CHECK(imap_bodystructure(&b, &m, m.root, false) == 0);
	CHECK_STR_EQ(buf_cstr(&b), "(\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	    "\"US-ASCII\") NIL NIL \"7BIT\" 24 3)");
	mime_free(&m);
	buf_reset(&b);
	mime_parse(&m, mp, sizeof(mp) - 1);
	CHECK(imap_bodystructure(&b, &m, m.root, true) == 0);
	CHECK_STR_EQ(buf_cstr(&b), "((\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	    "\"utf-8\") NIL NIL \"7BIT\" 2 1 NIL NIL NIL NIL)"
	    "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL \"BASE64\" "
	    "4 NIL (\"attachment\" (\"FILENAME\" \"a.pdf\")) NIL NIL) "
	    "\"MIXED\" (\"BOUNDARY\" \"x\") NIL NIL NIL)");
	mime_free(&m);
	buf_free(&b);
	TEST_END();
}

static void
test_strings(void)
{
	struct buf b = BUF_INIT;

	TEST_BEGIN("imap_fetch: quoting and literals");
	CHECK(imap_string(&b, "plain", 5) == 0);
	CHECK(imap_string(&b, NULL, 0) == 0);
	CHECK(imap_string(&b, "a\"b", 3) == 0);
	CHECK_STR_EQ(buf_cstr(&b), "\"plain\"NIL{3}\r\na\"b");
	buf_free(&b);
	TEST_END();
}

int
main(void)
{
	test_envelope();
	test_bodystructure();
	test_strings();
	return test_exit();
}
