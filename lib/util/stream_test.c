/*
 * NAME
 *	stream_test - unit tests for the bounded line reader
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/ev.h"
#include "util/stream.h"
#include "util/test.h"

static char got[1024];

/* add - append text to got */
static void
add(const char *text)
{
	size_t n = strlen(got);

	snprintf(got + n, sizeof(got) - n, "%s", text);
}
static const char *closed_why;
static int too_long;

/* collect - append each line to got as "<line>|" */
static void
collect(struct stream *s, void *ctx)
{
	const char *line;
	size_t len;
	int rc;

	while ((rc = stream_line(s, &line, &len)) != 0) {
		if (rc == STREAM_LINE_TOO_LONG) {
			too_long++;
			add("TOOLONG|");
			continue;
		}
		CHECK(strlen(line) == len);
		add(line);
		add("|");
		if (strcmp(line, "bye") == 0) {
			stream_printf(s, "ok %d\r\n", too_long);
			stream_close_after_flush(s);
		}
	}
}

/* closed - remember why, and stop the loop */
static void
closed(struct stream *s, const char *why, void *ctx)
{
	closed_why = why;
	ev_break();
}

/* feed - write chunks to the peer end, then run the loop */
static void
feed(int peer, const char *const *chunks)
{
	for (size_t i = 0; chunks[i] != NULL; i++)
		CHECK_IDX(write(peer, chunks[i], strlen(chunks[i])) ==
		    (ssize_t)strlen(chunks[i]), i);
	ev_run();
}

/* test_lines - split lines, CRLF and LF, overlong lines recovered */
static void
test_lines(void)
{
	static const char *const chunks[] = {
		"one\r\ntw", "o\nthree\r", "\n",
		"0123456789012345678901234567890123456789\r\n",
		"after\r\n", "\r\n", "bye\r\n", NULL,
	};
	int sp[2];
	char reply[64];
	ssize_t n;

	TEST_BEGIN("stream: lines, bare LF, overlong lines, close after flush");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	got[0] = '\0';
	(void)stream_new(sp[0], 16, 5000, collect, closed, NULL);
	feed(sp[1], chunks);
	CHECK_STR_EQ(got, "one|two|three|TOOLONG|after||bye|");
	CHECK_STR_EQ(closed_why, "done");
	n = read(sp[1], reply, sizeof(reply) - 1);
	CHECK(n == 6);
	reply[n > 0 ? n : 0] = '\0';
	CHECK_STR_EQ(reply, "ok 1\r\n");
	close(sp[1]);
	TEST_END();
}

/* test_flood - a line that never ends is bounded and reported once */
static void
test_flood(void)
{
	static char big[70000];
	const char *const chunks[] = { big, "\nbye\n", NULL };
	int sp[2];

	TEST_BEGIN("stream: an endless line is dropped, not buffered");
	memset(big, 'A', sizeof(big) - 1);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	got[0] = '\0';
	too_long = 0;
	(void)stream_new(sp[0], 100, 5000, collect, closed, NULL);
	feed(sp[1], chunks);
	CHECK_STR_EQ(got, "TOOLONG|bye|");
	close(sp[1]);
	TEST_END();
}

/* test_timeout - silence ends the stream with "timeout" */
static void
test_timeout(void)
{
	int sp[2];
	uint64_t t0 = ev_now_ms();

	TEST_BEGIN("stream: inactivity timeout");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	closed_why = NULL;
	(void)stream_new(sp[0], 100, 100, collect, closed, NULL);
	ev_run();
	CHECK_STR_EQ(closed_why, "timeout");
	CHECK(ev_now_ms() - t0 >= 100);
	close(sp[1]);
	TEST_END();
}

/* test_eof - the peer closing is reported as eof */
static void
test_eof(void)
{
	int sp[2];

	TEST_BEGIN("stream: eof");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	closed_why = NULL;
	(void)stream_new(sp[0], 100, 5000, collect, closed, NULL);
	close(sp[1]);
	ev_run();
	CHECK_STR_EQ(closed_why, "eof");
	TEST_END();
}

int
main(void)
{
	ev_init();
	test_lines();
	test_flood();
	test_timeout();
	test_eof();
	return test_exit();
}
