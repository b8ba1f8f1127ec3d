/*
 * NAME
 *	mbox_test - messages out of an mbox: separators, quoting, limits
 */
#include <stdio.h>
#include <string.h>

#include "mail/mbox.h"
#include "util/test.h"

/* split - the messages of text, joined by "|" */
static void
split(const char *text, size_t max, struct buf *out, unsigned *trunc)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct buf msg = BUF_INIT;
	struct mbox m;
	bool t;

	buf_init(&msg, 0);
	buf_reset(out);
	*trunc = 0;
	mbox_open(&m, f);
	while (mbox_next(&m, max, &msg, &t) == 1) {
		buf_put(out, msg.data, msg.len);
		buf_puts(out, "|");
		*trunc += t;
	}
	fclose(f);
	buf_free(&msg);
}

static const struct {
	const char *in;
	size_t max;
	const char *out;
	unsigned truncated;
} cases[] = {
	{ "", 100, "", 0 },
	{ "no separator\n", 100, "", 0 },
	{ "From a\n", 100, "|", 0 },
	{ "From a Tue\nSubject: x\n\nbody\n", 100, "Subject: x\n\nbody\n|",
	    0 },
	{ "From a\nA\nFrom b\nB\n", 100, "A\n|B\n|", 0 },
	/* quoted From lines lose one '>'; others stay */
	{ "From a\n>From x\n>>From y\n>To z\n", 100,
	    "From x\n>From y\n>To z\n|", 0 },
	/* a From inside a line is not a separator */
	{ "From a\nsee From here\n", 100, "see From here\n|", 0 },
	/* the limit */
	{ "From a\n0123456789\nFrom b\nxy\n", 5, "01234|xy\n|", 1 },
	/* CRLF */
	{ "From a\r\nS: 1\r\n\r\nb\r\n", 100, "S: 1\r\n\r\nb\r\n|", 0 },
};

static void
test_cases(void)
{
	struct buf out = BUF_INIT;
	unsigned t;

	TEST_BEGIN("mbox split");
	buf_init(&out, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		split(cases[i].in, cases[i].max, &out, &t);
		CHECK_IDX(strcmp(buf_cstr(&out), cases[i].out) == 0, i);
		CHECK_IDX(t == cases[i].truncated, i);
	}
	CHECK(mbox_is("From x", 6) && !mbox_is("From", 4) &&
	    !mbox_is("Subject: x", 10));
	buf_free(&out);
	TEST_END();
}

static void
test_long_line(void)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	unsigned t;

	TEST_BEGIN("mbox long lines: pieces are not separators");
	buf_init(&in, 0);
	buf_init(&out, 0);
	buf_puts(&in, "From a\n");
	/* "From " at a piece boundary inside a long line */
	for (size_t i = 0; i < MBOX_CHUNK - 1; i++)
		buf_puts(&in, "x");
	buf_puts(&in, "From z\nend\n");
	split(buf_cstr(&in), 1 << 20, &out, &t);
	CHECK(out.len == in.len - 7 + 1);	/* one message, "|" */
	CHECK(t == 0);
	buf_free(&in);
	buf_free(&out);
	TEST_END();
}

int
main(void)
{
	test_cases();
	test_long_line();
	return test_exit();
}
