/*
 * NAME
 *	spamscan_test - the header faults, links and phishing words found
 */
#include <stdlib.h>
#include <string.h>

#include "mail/spamscan.h"
#include "util/test.h"

static const char ham[] =
    "From: Alice Example <alice@example.org>\r\n"
    "To: bob@example.net, carol@example.net\r\n"
    "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
    "Message-ID: <1234@example.org>\r\n"
    "Subject: lunch\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "See https://www.example.org/menu and tell me.\r\n";

static const char phish[] =
    "From: \"service@paypal.com\" <notice@paypa1.example>\r\n"
    "To: a@x.test, b@x.test, \"c@d\" <c@x.test>\r\n"
    "Date: yesterday\r\n"
    "Subject: =?utf-8?q?Verify_your?= account\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>Dear customer, your account has been=20\r\n"
    "suspended.</p><a href=3D\"http://login.evil.example/pp\">"
    "https://www.paypal.com/signin</a>\r\n"
    "<a href=3D'http://192.0.2.7/x'>here</a>"
    "<div style=3D\"display: none\">cheap words</div>\r\n"
    "<a href=3D\"https://docs.example/r.pdf\">report.pdf</a>\r\n";

static void
test_ham(void)
{
	struct spam_scan s;

	TEST_BEGIN("ham");
	spam_scan(ham, sizeof(ham) - 1, &s);
	CHECK(s.has_date && s.date_ok);
	CHECK(s.has_msgid && s.msgid_ok);
	CHECK(s.to_count == 2);
	CHECK(!s.html_only && !s.html_hidden);
	CHECK_STR_EQ(s.from_addr, "alice@example.org");
	CHECK_STR_EQ(s.from_domain, "example.org");
	CHECK_STR_EQ(s.display_addr, "");
	CHECK_STR_EQ(s.credentials, "");
	CHECK(s.n_links == 1 && s.n_hosts == 1);
	CHECK_STR_EQ(s.links[0].host, "www.example.org");
	CHECK(!spam_link_mismatch(&s.links[0]));
	TEST_END();
}

static void
test_phish(void)
{
	struct spam_scan s;

	TEST_BEGIN("phish");
	spam_scan(phish, sizeof(phish) - 1, &s);
	CHECK(s.has_date && !s.date_ok);
	CHECK(!s.has_msgid);
	CHECK(s.to_count == 3);
	CHECK(s.html_only && s.html_hidden);
	CHECK_STR_EQ(s.from_addr, "notice@paypa1.example");
	CHECK_STR_EQ(s.display_addr, "service@paypal.com");
	CHECK_STR_EQ(s.credentials, "verify your account");
	CHECK(s.n_links == 3);
	CHECK_STR_EQ(s.links[0].host, "login.evil.example");
	CHECK_STR_EQ(s.links[0].shown, "www.paypal.com");
	CHECK(spam_link_mismatch(&s.links[0]));
	CHECK(s.links[1].ip);
	CHECK_STR_EQ(s.links[2].shown, "");
	CHECK(!spam_link_mismatch(&s.links[2]));
	CHECK(s.n_hosts == 3);
	TEST_END();
}

static void
test_broken(void)
{
	static const char *const inputs[] = {
		"", "\r\n", "From:\r\n\r\n", "Content-Type: text/html\r\n\r\n"
		"<a href=\"http://", "Content-Type: text/html\r\n\r\n<a href=",
		"From: <@>\r\nDate: \r\nMessage-ID: <>\r\n\r\nhttp://",
	};
	struct spam_scan s;

	TEST_BEGIN("broken");
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		spam_scan(inputs[i], strlen(inputs[i]), &s);
	CHECK(!s.msgid_ok);
	TEST_END();
}

/* test_random - pieces of mail in random order and cuts: the scan
 * stays inside its input (run under ASan in CI) and its bounds hold */
static void
test_random(void)
{
	static const char *const bits[] = { "<a href=\"", "http://", "https://",
	    "xn--pypal-4ve", "www.", ".com", "\">", "</a>", "<a ", "=?utf-8?q?",
	    "?=", "\r\n", "\r\n\r\n", "From: ", "To: ", "Date: ", "@", "\"",
	    "<", ">", "Content-Type: text/html\r\n",
	    "Content-Transfer-Encoding: base64\r\n", "--b\r\n",
	    "Content-Type: multipart/mixed; boundary=b\r\n", "style=",
	    "display:none", "=3D", "=\r\n", "verify your account", " ", "x",
	    "1.2.3.4", "paypal", "(", ")", "\\", "\t" };
	struct spam_scan s;
	unsigned seed = 1;

	TEST_BEGIN("random");
	for (int round = 0; round < 3000; round++) {
		char msg[2048];
		size_t n = 0, want;

		seed = seed * 1103515245 + 12345;
		want = (seed >> 8) % sizeof(msg);
		while (n < want) {
			const char *b;
			size_t l;

			seed = seed * 1103515245 + 12345;
			b = bits[(seed >> 8) % (sizeof(bits) / sizeof(bits[0]))];
			l = strlen(b);
			if (n + l > want)
				l = want - n;
			memcpy(msg + n, b, l);
			n += l;
		}
		/* a heap copy of exactly n bytes: ASan sees any overread */
		{
			char *h = malloc(n > 0 ? n : 1);

			memcpy(h, msg, n);
			spam_scan(h, n, &s);
			free(h);
		}
		CHECK_IDX(s.n_links <= SPAM_LINKS_MAX &&
		    s.n_hosts <= SPAM_HOSTS_MAX, round);
	}
	TEST_END();
}

int
main(void)
{
	test_random();
	test_ham();
	test_phish();
	test_broken();
	return test_exit();
}
