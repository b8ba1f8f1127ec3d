/*
 * NAME
 *	mime_test - structure, fields, parameters, encoded words
 */
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "util/test.h"

static const char msg[] =
    "From: =?ISO-8859-1?Q?Andr=E9?= <a@x.test>\r\n"
    "Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?UTF-8?Q?_zusammen?=\r\n"
    "  and more\r\n"
    "Content-Type: multipart/mixed;\r\n"
    "\tboundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "hello\r\n"
    "world\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=in\r\n"
    "\r\n"
    "--in\r\n"
    "\r\n"
    "plain default\r\n"
    "--in\r\n"
    "Content-Type: TEXT/HTML\r\n"
    "\r\n"
    "<b>x</b>\r\n"
    "--in--\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream;\r\n"
    " name*0*=utf-8''%E2%82%AC;\r\n"
    " name*1=\"uro.txt\"\r\n"
    "Content-Disposition: attachment; filename=\"a \\\"b\\\".txt\"\r\n"
    "\r\n"
    "AAEC\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

static void
test_structure(void)
{
	struct mime_message m;
	struct mime_part *p, *inner;

	TEST_BEGIN("mime: nested multiparts and message/rfc822");
	mime_parse(&m, msg, sizeof(msg) - 1);
	CHECK_STR_EQ(m.root->type, "multipart");
	CHECK_STR_EQ(m.root->subtype, "mixed");
	CHECK(m.root->n_children == 3);
	p = m.root->child;
	CHECK_STR_EQ(p->subtype, "plain");
	CHECK(p->body_end - p->body_start == strlen("hello\r\nworld") &&
	    memcmp(msg + p->body_start, "hello\r\nworld", 12) == 0);
	p = p->next;
	CHECK_STR_EQ(p->type, "message");
	inner = p->child;
	CHECK(inner != NULL && strcmp(inner->subtype, "alternative") == 0);
	CHECK(inner->n_children == 2);
	CHECK_STR_EQ(inner->child->type, "text");	/* the default */
	CHECK_STR_EQ(inner->child->next->subtype, "html");
	p = p->next;
	CHECK_STR_EQ(p->subtype, "octet-stream");
	CHECK(memcmp(msg + p->body_start, "AAEC", 4) == 0 &&
	    p->body_end - p->body_start == 4);
	mime_free(&m);

	/* Broken mail is still served: no closing boundary. */
	mime_parse(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nunterminated\r\n", 63);
	CHECK(m.root->n_children == 0 || m.root->n_children == 1);
	mime_free(&m);
	TEST_END();
}

static void
test_fields(void)
{
	struct buf v = BUF_INIT, d = BUF_INIT;

	TEST_BEGIN("mime: fields, RFC 2231 parameters, RFC 2047 words");
	CHECK(mime_header(msg, sizeof(msg) - 1, 0, "subject", &v) == 1);
	CHECK(mime_decode_words((const char *)v.data, v.len, &d) == 0);
	CHECK_STR_EQ(buf_cstr(&d), "Grüße zusammen  and more");
	CHECK(mime_header(msg, sizeof(msg) - 1, 0, "From", &v) == 1);
	CHECK(mime_decode_words((const char *)v.data, v.len, &d) == 0);
	CHECK_STR_EQ(buf_cstr(&d), "André <a@x.test>");
	CHECK(mime_header(msg, sizeof(msg) - 1, 0, "X-None", &v) == 0);
	CHECK(mime_param("application/octet-stream; name*0*=utf-8''%E2%82%AC;"
	    " name*1=\"uro.txt\"", "name", &d) == 1);
	CHECK_STR_EQ(buf_cstr(&d), "€uro.txt");
	CHECK(mime_param("attachment; filename=\"a \\\"b\\\".txt\"",
	    "filename", &d) == 1);
	CHECK_STR_EQ(buf_cstr(&d), "a \"b\".txt");
	CHECK(mime_param("text/plain; charset=us-ascii", "charset", &d) == 1);
	CHECK_STR_EQ(buf_cstr(&d), "us-ascii");
	CHECK(mime_param("text/plain", "charset", &d) == 0);
	CHECK(mime_decode_words("=?bogus?Q?x?= y", 15, &d) == 0);
	/* text is a slice, not a string: an encoded word may not end past
	 * it, and nothing past it is read (ASan: an exact-size copy) */
	CHECK(mime_decode_words("=?utf-8?q?ab?=", 12, &d) == 0);
	CHECK_STR_EQ(buf_cstr(&d), "=?utf-8?q?ab");
	{
		char *exact = malloc(12);

		memcpy(exact, "=?utf-8?q?ab", 12);
		CHECK(mime_decode_words(exact, 12, &d) == 0);
		CHECK_STR_EQ(buf_cstr(&d), "=?utf-8?q?ab");
		free(exact);
	}
	buf_free(&v);
	buf_free(&d);
	TEST_END();
}

int
main(void)
{
	test_structure();
	test_fields();
	return test_exit();
}
