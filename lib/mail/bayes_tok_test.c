/*
 * NAME
 *	bayes_tok_test - the tokens of messages: header prefixes, encodings
 *	(quoted-printable, base64, RFC 2047), HTML, URLs, attachments,
 *	limits
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/bayes_tok.h"
#include "util/buf.h"
#include "util/test.h"

/* collect - tokens joined by one space */
static void
collect(void *ctx, const char *tok, size_t n)
{
	struct buf *b = ctx;

	buf_put(b, " ", 1);
	buf_put(b, tok, n);
}

/* has - whether the token list of msg holds tok (a whole token) */
static bool
has(const char *msg, size_t limit, const char *tok)
{
	struct buf b = BUF_INIT;
	char *want;
	bool found;

	buf_init(&b, 0);
	bayes_tokenize_each(msg, strlen(msg), limit, collect, &b);
	buf_put(&b, " ", 1);
	want = malloc(strlen(tok) + 3);
	snprintf(want, strlen(tok) + 3, " %s ", tok);
	found = strstr(buf_cstr(&b), want) != NULL;
	free(want);
	buf_free(&b);
	return found;
}

static const struct {
	const char *msg;
	const char *tok;
	bool present;
} cases[] = {
	/* edge cases first */
	{ "", "a", false },
	{ "\r\n", "subject:", false },
	{ "Subject: hi\r\n\r\nab abc", "ab", false },	/* too short */
	{ "Subject: hi\r\n\r\nab abc", "abc", true },
	{ "Subject: hi\r\n\r\nabcdefghijabcdefghijabcdefghijabcdefghij",
	    "abcdefghijabcdefghijabcdefghijabcdefghij", true },	/* 40 */
	{ "Subject: hi\r\n\r\nAbcdefghijabcdefghijabcdefghijabcdefghijk",
	    "skip:a:40", true },				/* 41 */
	/* header tokens are prefixed; body ones are not */
	{ "Subject: Cheap Viagra\r\n\r\nhello", "subject:viagra", true },
	{ "Subject: Cheap Viagra\r\n\r\nhello", "viagra", false },
	{ "Subject: x\r\n folded Continuation\r\n\r\n",
	    "subject:continuation", true },
	{ "From: Bob <bob@example.test>\nTo: alice@x.test\n\nbody text",
	    "from:example", true },
	{ "From: Bob <bob@example.test>\nTo: alice@x.test\n\nbody text",
	    "to:alice", true },
	{ "X-Other: secretword\n\nbody", "x-other:secretword", false },
	{ "X-Other: secretword\n\nbody", "secretword", false },
	{ "Received: from mail.spammer.test (1.2.3.4)\n\nx",
	    "received:spammer", true },
	/* words: case, punctuation kept and trimmed */
	{ "\nFREE!!! money", "free!!!", true },
	{ "\n'quoted' word-", "quoted", true },
	{ "\n'quoted' word-", "word", true },
	{ "\n$100 now", "$100", true },
	{ "\ncaf\xc3\xa9 ok", "caf\xc3\xa9", true },
	/* RFC 2047 in the subject */
	{ "Subject: =?utf-8?q?Gro=C3=9Fe_Rabatte?=\n\nx",
	    "subject:gro\xc3\x9f" "e", true },
	{ "Subject: =?utf-8?b?V2luIGEgcHJpemU=?=\n\nx", "subject:prize",
	    true },
	/* quoted-printable and base64 bodies */
	{ "Content-Type: text/plain\nContent-Transfer-Encoding: "
	    "quoted-printable\n\nunsub=\nscribe now=3D",
	    "unsubscribe", true },
	{ "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
	    "bG90dGVyeSB3aW5uZXI=\n", "lottery", true },
	{ "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
	    "bG90dGVyeSB3aW5uZXI=\n", "bg90dgvyesb3aw5uzxi", false },
	/* HTML: tags gone, text and link hosts kept */
	{ "Content-Type: text/html\n\n<p>Click <a href=\"http://Bad.Example."
	    "test/x?y\">here</a></p><style>.hidden{color:red}</style>",
	    "click", true },
	{ "Content-Type: text/html\n\n<p>Click <a href=\"http://Bad.Example."
	    "test/x?y\">here</a></p>", "url:bad.example.test", true },
	{ "Content-Type: text/html\n\n<p>Click</p><style>.hidden{color:red}"
	    "</style>", "hidden", false },
	{ "Content-Type: text/html\n\n<font color=red>Click</font>",
	    "font", false },
	{ "Content-Type: text/html\n\n<font color=red>Click</font>",
	    "red", false },
	{ "Content-Type: text/html\n\nA&nbsp;B&amp;Cxyz", "nbsp", false },
	/* URLs in plain text */
	{ "\nsee https://www.shop.test:8080/a now", "url:www.shop.test",
	    true },
	/* multipart: text decoded, attachment only by type */
	{ "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n"
	    "Content-Type: text/plain\n\nmeeting agenda\n--XX\n"
	    "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	    "aW1hZ2VieXRlcw==\n--XX--\n", "agenda", true },
	{ "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n"
	    "Content-Type: text/plain\n\nmeeting agenda\n--XX\n"
	    "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	    "aW1hZ2VieXRlcw==\n--XX--\n", "part:image/png", true },
	{ "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n"
	    "Content-Type: text/plain\n\nmeeting agenda\n--XX\n"
	    "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	    "aW1hZ2VieXRlcw==\n--XX--\n", "aw1hz2vievrlcw", false },
	/* charset */
	{ "Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9 ok",
	    "caf\xc3\xa9", true },
};

static void
test_cases(void)
{
	TEST_BEGIN("bayes_tok cases");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_IDX(has(cases[i].msg, 0, cases[i].tok) ==
		    cases[i].present, i);
	TEST_END();
}

static void
test_limit(void)
{
	struct buf m = BUF_INIT;

	TEST_BEGIN("bayes_tok scan limit");
	buf_init(&m, 0);
	buf_puts(&m, "Subject: x\r\n\r\nearly ");
	for (int i = 0; i < 2000; i++)
		buf_puts(&m, "filler ");
	buf_puts(&m, "lateword");
	CHECK(has(buf_cstr(&m), 0, "lateword"));
	CHECK(!has(buf_cstr(&m), 4096, "lateword"));
	CHECK(has(buf_cstr(&m), 4096, "early"));
	buf_free(&m);
	TEST_END();
}

static void
test_hashes(void)
{
	struct bayes_tokens t = { 0 };
	const char *m = "Subject: same same\n\nsame same other";

	TEST_BEGIN("bayes_tokenize distinct");
	bayes_tokenize(m, strlen(m), 0, &t);
	CHECK(t.n == 3);	/* subject:same, same, other */
	for (size_t i = 0; i < t.n; i++)
		for (size_t j = i + 1; j < t.n; j++)
			CHECK_IDX(t.h[i] != t.h[j], i);
	CHECK(bayes_hash("same", 4) != bayes_hash("subject:same", 12));
	bayes_tokenize("", 0, 0, &t);
	CHECK(t.n == 0);
	bayes_tokens_free(&t);
	/* embedded NUL and bare CR do not stop the scan */
	{
		static const char z[] = "\n\nalpha\0beta\rgamma";

		bayes_tokenize(z, sizeof(z) - 1, 0, &t);
		CHECK(t.n == 3);
		bayes_tokens_free(&t);
	}
	/* many distinct tokens: the set grows */
	{
		struct buf big = BUF_INIT;

		buf_init(&big, 0);
		buf_puts(&big, "\n\n");
		for (int i = 0; i < 5000; i++)
			buf_printf(&big, "w%d w%d ", i, i);
		bayes_tokenize((char *)big.data, big.len, 0, &t);
		CHECK(t.n == 5000 - 10);	/* w0..w9 are too short */
		bayes_tokens_free(&t);
		buf_free(&big);
	}
	TEST_END();
}

static void
count(void *ctx, const char *tok, size_t n)
{
	(void)tok;
	CHECK(n > 0 && n <= 80);
	(*(size_t *)ctx)++;
}

/* Pieces that lead the parsers into their corners. */
static const char *const pieces[] = {
	"Content-Type: multipart/mixed; boundary=b\r\n", "--b\r\n",
	"--b--\r\n", "\r\n", "\n", "\r", "Subject: ", "=?utf-8?b?",
	"=?iso-8859-1?q?a=E9?=", "?=", "Content-Transfer-Encoding: base64\n",
	"Content-Transfer-Encoding: quoted-printable\n", "=\n", "=3D", "=Z",
	"Content-Type: text/html\n", "<", ">", "<style", "</", "&", "&amp;",
	"http://", "https://a.b", "Content-Type: message/rfc822\n", " ",
	"\t", "aGVsbG8=", "word", "\xc3", "\xff", "From: ", "Received: ",
	"Content-Type: text/plain; charset=\"koi8-r\"\n", "\0",
	"wordwordwordwordwordwordwordwordwordwordword", ":", "!'-_$",
};

static void
test_garbage(void)
{
	struct buf m = BUF_INIT;
	unsigned long r = 99;

	TEST_BEGIN("bayes_tok survives random pieces (run under ASan)");
	buf_init(&m, 0);
	for (int i = 0; i < 3000; i++) {
		size_t n = 0, k = 1 + i % 60;

		buf_reset(&m);
		for (size_t j = 0; j < k; j++) {
			const char *p;

			r = r * 6364136223846793005UL + 1442695040888963407UL;
			p = pieces[(r >> 33) % (sizeof(pieces) /
			    sizeof(pieces[0]))];
			/* "\0" is one NUL byte */
			buf_put(&m, p, *p == '\0' ? 1 : strlen(p));
		}
		/* an exact-size copy: ASan sees a read past the end
		 * (a buf has a NUL there) */
		{
			char *exact = malloc(m.len);

			memcpy(exact, m.data, m.len);
			/* every limit, including ones that cut a piece */
			bayes_tokenize_each(exact, m.len, 1 + (r >> 40) %
			    (m.len + 1), count, &n);
			bayes_tokenize_each(exact, m.len, 0, count, &n);
			free(exact);
		}
	}
	buf_free(&m);
	TEST_END();
}

int
main(void)
{
	test_cases();
	test_garbage();
	test_limit();
	test_hashes();
	return test_exit();
}
