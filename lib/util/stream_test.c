/*
 * NAME
 *	stream_test - unit tests for the bounded line reader
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/ev.h"
#include "util/stream.h"
#include "util/tls.h"
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

/* pong - answer "ping" and stop the loop once the answer is out */
static void
pong(struct stream *s, void *ctx)
{
	const char *line;
	size_t len;

	while (stream_line(s, &line, &len) == 1)
		if (strcmp(line, "ping") == 0) {
			stream_printf(s, "pong\r\n");
			ev_break();
		}
}

/* test_release - an answered, idle stream holds no buffer */
static void
test_release(void)
{
	static const char *const ping[] = { "pi", "ng\r\nhalf", NULL };
	static const char *const rest[] = { " line\r\nping\r\n", NULL };
	struct stream *s;
	char reply[32];
	int sp[2];

	TEST_BEGIN("stream: buffers are given back between requests");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	s = stream_new(sp[0], 512, 5000, pong, closed, NULL);
	feed(sp[1], ping);
	/* A partial line is kept; the answered request is not. */
	CHECK(stream_held(s) > 0 && stream_out_pending(s) == 0);
	feed(sp[1], rest);
	CHECK(stream_held(s) == 0);
	CHECK(read(sp[1], reply, sizeof(reply)) == 12);
	CHECK(memcmp(reply, "pong\r\npong\r\n", 12) == 0);
	closed_why = NULL;
	close(sp[1]);
	ev_run();
	CHECK_STR_EQ(closed_why, "eof");
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

/* ---- STARTTLS ---- */

static SSL_CTX *server_ctx;

/* tls_on - the handshake finished */
static void
tls_on(struct stream *s, void *ctx)
{
	add("TLS|");
}

/* starttls_input - lines; "STARTTLS" switches, others are echoed */
static void
starttls_input(struct stream *s, void *ctx)
{
	const char *line;
	size_t len;

	while (stream_line(s, &line, &len) == 1) {
		add(line);
		add("|");
		if (strcmp(line, "STARTTLS") == 0) {
			stream_printf(s, "220 go ahead\r\n");
			CHECK(stream_start_tls(s, server_ctx, tls_on) == 0);
		} else if (strcmp(line, "QUIT") == 0) {
			stream_printf(s, "221 %s\r\n", stream_tls(s) != NULL ?
			    "tls" : "clear");
			stream_close_after_flush(s);
		} else {
			stream_printf(s, "250 %s\r\n", line);
		}
	}
}

/* client - a blocking TLS client in a child process: pipelines a line
 * after STARTTLS (which must be thrown away), then talks over TLS */
static int
client(int fd, SSL_CTX *cctx)
{
	char b[256];
	ssize_t n;
	SSL *ssl;

	if (write(fd, "STARTTLS\r\nINJECTED\r\n", 20) != 20)
		return 1;
	n = read(fd, b, sizeof(b) - 1);
	if (n != 14 || memcmp(b, "220 go ahead\r\n", 14) != 0)
		return 2;
	ssl = SSL_new(cctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		return 3;
	if (SSL_write(ssl, "hello\r\nQUIT\r\n", 13) != 13)
		return 4;
	n = 0;
	while (n < 18) {
		int r = SSL_read(ssl, b + n, (int)(sizeof(b) - 1 - (size_t)n));

		if (r <= 0)
			break;
		n += r;
	}
	b[n] = '\0';
	if (strcmp(b, "250 hello\r\n221 tls\r\n") != 0)
		return 5;
	SSL_free(ssl);
	return 0;
}

/* test_starttls - a real handshake; pipelined clear text is discarded */
static void
test_starttls(void)
{
	char cert[256], key[256];
	struct tls_settings ss = { .cert_file = cert, .key_file = key };
	struct tls_settings cs = { 0 };
	const char *why = "";
	SSL_CTX *cctx;
	int sp[2], status;
	pid_t pid;

	TEST_BEGIN("stream: STARTTLS discards what came before the handshake");
	snprintf(cert, sizeof(cert), "%s/c.pem", test_tmpdir());
	snprintf(key, sizeof(key), "%s/k.pem", test_tmpdir());
	CHECK(tls_selfsigned_write(cert, key, "localhost", &why) == 0);
	server_ctx = tls_server_ctx_new(&ss, &why);
	cctx = tls_client_ctx_new(&cs, &why);
	CHECK(server_ctx != NULL && cctx != NULL);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		_exit(client(sp[1], cctx));
	}
	close(sp[1]);
	got[0] = '\0';
	closed_why = NULL;
	(void)stream_new(sp[0], 100, 5000, starttls_input, closed, NULL);
	ev_run();
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0);
	if (WEXITSTATUS(status) != 0)
		printf("  client step %d failed\n", WEXITSTATUS(status));
	CHECK_STR_EQ(got, "STARTTLS|TLS|hello|QUIT|");
	CHECK_STR_EQ(closed_why, "done");
	SSL_CTX_free(server_ctx);
	SSL_CTX_free(cctx);
	TEST_END();
}

int
main(void)
{
	ev_init();
	test_starttls();
	test_lines();
	test_release();
	test_flood();
	test_timeout();
	test_eof();
	return test_exit();
}
