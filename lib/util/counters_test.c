/*
 * NAME
 *	counters_test - unit tests for the metric counters and their wire text
 */
#include <string.h>

#include "util/counters.h"
#include "util/test.h"

/* test_round_trip - deltas encode, parse back, and are spent once sent */
static void
test_round_trip(void)
{
	struct buf out = BUF_INIT;
	struct counter_line cl;
	const char *why;
	char *nl;

	TEST_BEGIN("counters: deltas, gauges, histograms on the wire");
	CHECK(!counters_changed());
	counter_add("smtpd_messages_total", "result=accepted", 2);
	counter_add("smtpd_messages_total", "result=accepted", 3);
	gauge_set("qmgr_queue_messages", "queue=active", 7);
	histogram_observe("qmgr_delivery_seconds", "", 120);
	histogram_observe("qmgr_delivery_seconds", "", 999999);
	CHECK(counters_changed());
	CHECK(counters_encode(&out, 4096) == 3);
	nl = strchr((char *)out.data, '\n');
	CHECK(nl != NULL);
	CHECK(counters_parse_line((char *)out.data, (size_t)(nl -
	    (char *)out.data), &cl, &why) == 0);
	CHECK(cl.kind == COUNTER_COUNTER && cl.value == 5);
	CHECK_STR_EQ(cl.name, "smtpd_messages_total");
	CHECK_STR_EQ(cl.labels, "result=accepted");
	CHECK(strstr(buf_cstr(&out), "g qmgr_queue_messages queue=active 7\n")
	    != NULL);
	CHECK(strstr(buf_cstr(&out), "h qmgr_delivery_seconds - 2 1000119 "
	    "0 0 1 0 0 0 0 0 0 0 0\n") != NULL);
	counters_sent();
	CHECK(!counters_changed());
	gauge_set("qmgr_queue_messages", "queue=active", 7);
	CHECK(!counters_changed());	/* unchanged gauge: nothing to say */
	counter_add("smtpd_messages_total", "result=accepted", 1);
	CHECK(counters_encode(&out, 4096) == 1);
	CHECK_STR_EQ(buf_cstr(&out),
	    "c smtpd_messages_total result=accepted 1\n");
	/* A frame too small: nothing encoded, nothing lost. */
	CHECK(counters_encode(&out, 10) == 0);
	counters_sent();
	CHECK(counters_changed());
	CHECK(counters_encode(&out, 4096) == 1);
	counters_sent();
	/* Label values from a library are made safe, not refused. */
	counter_add("smtpd_tls_total", "version=TLS v1.3\"x", 1);
	CHECK(counters_encode(&out, 4096) == 1);
	CHECK_STR_EQ(buf_cstr(&out),
	    "c smtpd_tls_total version=TLS_v1.3_x 1\n");
	counters_sent();
	test_expect_fatal(counter_add("Bad-Name", "", 1));
	buf_free(&out);
	TEST_END();
}

/* test_parse - what a compromised child might send */
static void
test_parse(void)
{
	static const struct {
		const char *line;
		int rc;
	} rows[] = {
		{ "", -1 },
		{ "c", -1 },
		{ "c ", -1 },
		{ "x a - 1", -1 },
		{ "c a - 1", 0 },
		{ "g a - 18446744073709551615", 0 },
		{ "g a - 18446744073709551616", -1 },
		{ "c a - 1 ", -1 },
		{ "c a  1", -1 },
		{ "c A - 1", -1 },
		{ "c a k=v 1", 0 },
		{ "c a k=v, 1", -1 },
		{ "c a k= 1", -1 },
		{ "c a =v 1", -1 },
		{ "c a k=v,j=w 1", 0 },
		{ "c a k=\"v\" 1", -1 },
		{ "c a k=v -1", -1 },
		{ "c a - 1 2", -1 },
		{ "h a - 1 2 0 0 0 0 0 0 0 0 0 0 1", 0 },
		{ "h a - 1 2 0 0 0 0 0 0 0 0 0 0", -1 },
		{ "h a - 1 2 0 0 0 0 0 0 0 0 0 0 1 1", -1 },
		{ "c aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaa - 1", -1 },
	};
	struct counter_line cl;
	const char *why;

	TEST_BEGIN("counters: parsing wire lines");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_IDX(counters_parse_line(rows[i].line,
		    strlen(rows[i].line), &cl, &why) == rows[i].rc, i);
	CHECK(counters_parse_line("c a\0b - 1", 9, &cl, &why) == -1);
	TEST_END();
}

int
main(void)
{
	test_round_trip();
	test_parse();
	return test_exit();
}
