/*
 * NAME
 *	qid_test - unit tests for queue IDs
 */
#include <string.h>
#include <sys/time.h>

#include "mail/qid.h"
#include "util/test.h"

/* test_order - a run of IDs is strictly increasing, hence unique */
static void
test_order(void)
{
	char prev[QID_SIZE], id[QID_SIZE];
	int bad = 0;

	TEST_BEGIN("qid: 100000 IDs in a row strictly increase");
	qid_new(prev);
	CHECK(strlen(prev) == QID_LEN);
	for (int i = 0; i < 100000; i++) {
		qid_new(id);
		if (strcmp(prev, id) >= 0 || !qid_valid(id))
			bad++;
		memcpy(prev, id, sizeof(id));
	}
	CHECK(bad == 0);
	TEST_END();
}

/* test_valid - exact length and alphabet */
static void
test_valid(void)
{
	static const struct {
		const char *s;
		bool ok;
	} rows[] = {
		{ "", false },
		{ "0123456789BCDFG", false },		/* 15 */
		{ "0123456789BCDFGHJ", false },		/* 17 */
		{ "0123456789BCDFGH", true },
		{ "0123456789BCDFGA", false },		/* vowel */
		{ "0123456789BCDFGa", false },
		{ "0123456789BCDF/H", false },
		{ "0123456789BCDF.H", false },
		{ "..23456789BCDFGH", false },
		{ "bcbcbcbcbcbcbcbc", true },
		{ "0123456789BCDFGd", false },
	};

	TEST_BEGIN("qid: validity");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_IDX(qid_valid(rows[i].s) == rows[i].ok, i);
	/* An embedded NUL ends the string early: too short. */
	CHECK(!qid_valid("0123456\0" "89BCDFGH"));
	TEST_END();
}

/* test_time - the time decodes back */
static void
test_time(void)
{
	struct timeval before, after, got;
	char id[QID_SIZE];

	TEST_BEGIN("qid: time round trip");
	gettimeofday(&before, NULL);
	qid_new(id);
	gettimeofday(&after, NULL);
	CHECK(qid_time(id, &got) == 0);
	CHECK(got.tv_sec >= before.tv_sec && got.tv_sec <= after.tv_sec + 1);
	CHECK(got.tv_usec >= 0 && got.tv_usec < 1000000);
	CHECK(qid_time("0123456789BCDFGA", &got) == -1);
	CHECK(qid_time("0000000ccccc0000", &got) == -1);	/* usec too big */
	TEST_END();
}

int
main(void)
{
	test_order();
	test_valid();
	test_time();
	return test_exit();
}
