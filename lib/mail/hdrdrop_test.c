/*
 * NAME
 *	hdrdrop_test - forged fields go, everything else passes, in any
 *	chunking
 */
#include <string.h>

#include "mail/hdrdrop.h"
#include "util/test.h"

static void
collect(void *ctx, const void *p, size_t n)
{
	buf_put(ctx, p, n);
}

static const char in[] =
    "Authentication-Results: mx.example.test;\r\n"
    "\tspf=pass smtp.mailfrom=forged@example.test\r\n"
    "Authentication-Results: other.example; dkim=pass\r\n"
    "authentication-results:MX.EXAMPLE.TEST; dmarc=pass\r\n"
    "Authentication-Results: mx.example.test.evil; none\r\n"
    "Subject: hello\r\n"
    " folded\r\n"
    "\r\n"
    "Authentication-Results: mx.example.test; in the body\r\n";
static const char want[] =
    "Authentication-Results: other.example; dkim=pass\r\n"
    "Authentication-Results: mx.example.test.evil; none\r\n"
    "Subject: hello\r\n"
    " folded\r\n"
    "\r\n"
    "Authentication-Results: mx.example.test; in the body\r\n";

static unsigned seen;

static void
see(void *ctx, const char *f, size_t n)
{
	(void)ctx;
	(void)f;
	(void)n;
	seen++;
}

static void
test_any_chunking(void)
{
	TEST_BEGIN("hdrdrop: ours removed, the rest intact, any chunking");
	for (size_t chunk = 1; chunk <= sizeof(in); chunk++) {
		struct buf out = BUF_INIT;
		struct hdrdrop h;

		hdrdrop_init(&h, "Authentication-Results", "mx.example.test",
		    collect, &out);
		h.see = see;
		seen = 0;
		for (size_t i = 0; i < sizeof(in) - 1; i += chunk)
			hdrdrop_feed(&h, in + i, i + chunk < sizeof(in) - 1 ?
			    chunk : sizeof(in) - 1 - i);
		hdrdrop_end(&h);
		CHECK_IDX(out.len == sizeof(want) - 1 &&
		    memcmp(out.data, want, out.len) == 0, chunk);
		CHECK_IDX(h.dropped == 2, chunk);
		CHECK_IDX(seen == 5, chunk);	/* every header field */
		buf_free(&out);
	}
	TEST_END();
}

static void
test_long_and_headerless(void)
{
	struct buf out = BUF_INIT, big = BUF_INIT;
	struct hdrdrop h;

	TEST_BEGIN("hdrdrop: a huge forged field and a message without body");
	buf_puts(&big, "Authentication-Results: mx.example.test; x=");
	while (big.len < 3 * HDRDROP_FIELD_MAX)
		buf_puts(&big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\t");
	buf_puts(&big, "end\r\nTo: b@x.test\r\n\r\nbody\r\n");
	hdrdrop_init(&h, "Authentication-Results", "mx.example.test", collect,
	    &out);
	hdrdrop_feed(&h, big.data, big.len);
	hdrdrop_end(&h);
	CHECK(out.len == strlen("To: b@x.test\r\n\r\nbody\r\n") &&
	    memcmp(out.data, "To: b@x.test\r\n", 14) == 0);
	CHECK(h.dropped == 1);
	buf_reset(&out);
	hdrdrop_init(&h, "Authentication-Results", "mx.example.test", collect,
	    &out);
	hdrdrop_feed(&h, "Subject: only a header\r\n", 24);
	hdrdrop_end(&h);
	CHECK(out.len == 24);
	buf_free(&out);
	buf_free(&big);
	TEST_END();
}

static void
test_any_value(void)
{
	static const char *const any[] = { "X-Spam-Status", "X-Spam-Score",
	    NULL };
	static const char msg[] =
	    "X-Spam-Status: No, score=-99\r\n"
	    "x-spam-score :\r\n -99\r\n"
	    "X-Spam-Statusbar: kept\r\n"
	    "X-Spam-Status-Old: kept\r\n"
	    "\r\n"
	    "X-Spam-Status: in the body\r\n";
	static const char kept[] =
	    "X-Spam-Statusbar: kept\r\n"
	    "X-Spam-Status-Old: kept\r\n"
	    "\r\n"
	    "X-Spam-Status: in the body\r\n";
	struct buf out = BUF_INIT;
	struct hdrdrop h;

	TEST_BEGIN("hdrdrop: fields named in any go whatever their value");
	hdrdrop_init(&h, "Authentication-Results", "mx.example.test", collect,
	    &out);
	h.any = any;
	hdrdrop_feed(&h, msg, sizeof(msg) - 1);
	hdrdrop_end(&h);
	CHECK(out.len == sizeof(kept) - 1 && memcmp(out.data, kept,
	    out.len) == 0);
	CHECK(h.dropped == 2);
	buf_free(&out);
	TEST_END();
}

int
main(void)
{
	test_any_value();
	test_any_chunking();
	test_long_and_headerless();
	return test_exit();
}
