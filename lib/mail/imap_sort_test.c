/*
 * NAME
 *	imap_sort_test - base subjects, keys from ENVELOPEs, the order
 */
#include <string.h>

#include "mail/imap_fetch.h"
#include "mail/imap_sort.h"
#include "util/mem.h"
#include "util/test.h"

static void
test_base_subject(void)
{
	static const char *const t[][2] = {
		{ "Re: hello", "hello" },
		{ "RE: Re: re:  hello  world ", "hello world" },
		{ "Fwd: [list] Re: hello (fwd)", "hello" },
		{ "[list] hello", "hello" },
		{ "[list]", "[list]" },		/* nothing left: kept */
		{ "Re[2]: hello", "hello" },
		{ "Fw: hello\t\tthere", "hello there" },
		{ "[Fwd: Re: hello]", "hello" },
		{ "[fwd: hello] (fwd)", "hello" },
		{ "Reply: hello", "Reply: hello" },	/* not a leader */
		{ "  ", "" },
		{ "", "" },
	};

	TEST_BEGIN("imap_sort: base subject (RFC 5256 2.1)");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;

		imap_sort_base_subject(t[i][0], &b);
		CHECK_STR_EQ(buf_cstr(&b), t[i][1]);
		buf_free(&b);
	}
	TEST_END();
}

/* keys - m's keys from a message header, through a real ENVELOPE */
static void
keys(struct imap_sort_msg *m, uint32_t seq, const char *header)
{
	struct buf env = BUF_INIT;

	memset(m, 0, sizeof(*m));
	m->seq = m->id = seq;
	m->arrival = 1000 + seq;
	m->size = 100 - seq;
	CHECK(imap_envelope(&env, header, strlen(header), 0) == 0);
	CHECK(imap_sort_keys(m, (const char *)env.data, env.len) == 0);
	buf_free(&env);
}

static void
test_keys_and_order(void)
{
	struct imap_sort_msg m[4];
	struct imap_sort_crit c[4];
	const struct imap_arg *a;
	struct imap_command cmd;
	const char *why;
	size_t n;

	TEST_BEGIN("imap_sort: keys from ENVELOPE, criteria, ties");
	keys(&m[0], 1, "From: Zed <zed@x.test>\r\nTo: b@x.test\r\n"
	    "Subject: =?UTF-8?Q?Re:_=C3=84pfel?=\r\n"
	    "Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n\r\n");
	keys(&m[1], 2, "From: \"Ann\" <ANN@x.test>\r\nTo: a@x.test\r\n"
	    "Subject: birnen\r\nDate: Tue, 24 Nov 2026 08:00:00 -0300\r\n"
	    "\r\n");
	keys(&m[2], 3, "From: bob@x.test\r\nSubject: [list] \xc3\xa4pfel\r\n"
	    "\r\n");
	keys(&m[3], 4, "From: ann@x.test\r\nCc: c@x.test\r\n"
	    "Subject: Birnen\r\nDate: garbage\r\n\r\n");
	CHECK_STR_EQ(m[0].subject, "\xc3\xa4pfel");
	CHECK_STR_EQ(m[2].subject, "\xc3\xa4pfel");
	CHECK_STR_EQ(m[1].from, "ann");
	CHECK_STR_EQ(m[0].from, "zed");
	CHECK_STR_EQ(m[3].cc, "c");
	CHECK_STR_EQ(m[2].to, "");
	/* 10:00 +0100 is 09:00 UTC, before 08:00 -0300 (11:00 UTC). */
	CHECK(m[0].date < m[1].date);
	CHECK(m[2].date == m[2].arrival && m[3].date == m[3].arrival);

	CHECK(imap_parse("t SORT (SUBJECT REVERSE FROM)", 29, &cmd, &why) ==
	    0);
	a = cmd.args;
	CHECK(imap_sort_parse(a, c, &n, &why) == 0 && n == 2);
	imap_command_free(&cmd);
	imap_sort(m, 4, c, n);
	/* birnen (ann 2, ann 4: a tie, folder order), then äpfel (zed,
	 * bob: FROM reversed). */
	CHECK(m[0].seq == 2 && m[1].seq == 4 && m[2].seq == 1 &&
	    m[3].seq == 3);
	c[0] = (struct imap_sort_crit){ SORT_SIZE, false };
	imap_sort(m, 4, c, 1);
	CHECK(m[0].seq == 4 && m[3].seq == 1);
	/* Without a Date: the arrival time (1970 here) stands in. */
	c[0] = (struct imap_sort_crit){ SORT_DATE, true };
	imap_sort(m, 4, c, 1);
	CHECK(m[0].seq == 2 && m[1].seq == 1 && m[2].seq == 4 &&
	    m[3].seq == 3);
	for (int i = 0; i < 4; i++)
		imap_sort_msg_free(&m[i]);
	TEST_END();
}

static void
test_bad_criteria(void)
{
	static const char *const bad[] = {
		"t SORT ()", "t SORT (REVERSE)", "t SORT (FROM BOGUS)",
		"t SORT FROM", "t SORT (REVERSE REVERSE DATE)",
	};
	struct imap_sort_crit c[IMAP_SORT_CRIT_MAX];
	struct imap_command cmd;
	const char *why;
	size_t n;

	TEST_BEGIN("imap_sort: bad criteria are refused");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_IDX(imap_parse(bad[i], strlen(bad[i]), &cmd, &why) == 0,
		    i);
		CHECK_IDX(imap_sort_parse(cmd.args, c, &n, &why) == -1, i);
		imap_command_free(&cmd);
	}
	TEST_END();
}

static void
test_orderedsubject(void)
{
	struct imap_sort_msg m[6];
	struct buf out = BUF_INIT;
	static const char *const subj[] = { "b", "a", "Re: b", "c", "re: a",
	    "Fwd: a" };
	static const time_t date[] = { 50, 10, 60, 5, 30, 20 };

	TEST_BEGIN("imap_sort: THREAD=ORDEREDSUBJECT");
	for (int i = 0; i < 6; i++) {
		struct buf b = BUF_INIT;

		memset(&m[i], 0, sizeof(m[i]));
		m[i].seq = m[i].id = (uint32_t)i + 1;
		m[i].date = date[i];
		imap_sort_base_subject(subj[i], &b);
		m[i].subject = xstrdup(buf_cstr(&b));
		m[i].from = xstrdup("");
		m[i].to = xstrdup("");
		m[i].cc = xstrdup("");
		buf_free(&b);
	}
	imap_thread_orderedsubject(m, 6, &out);
	/* c (date 5) alone; a: 2 (10) with 6 (20) and 5 (30); b: 1 (50)
	 * with 3 (60). */
	CHECK_STR_EQ(buf_cstr(&out), "(4)(2 (6)(5))(1 3)");
	for (int i = 0; i < 6; i++)
		imap_sort_msg_free(&m[i]);
	buf_free(&out);
	TEST_END();
}

int
main(void)
{
	test_base_subject();
	test_keys_and_order();
	test_bad_criteria();
	test_orderedsubject();
	return test_exit();
}
