/*
 * NAME
 *	ipc_test - unit tests for framed attributes, fd passing, connections
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/ev.h"
#include "util/ipc.h"
#include "util/test.h"

/* encode - a message as wire bytes */
static void
encode(const struct ipc_msg *m, struct buf *out)
{
	buf_init(out, 0);
	CHECK(ipc_frame_encode(m, out) == 0);
}

/* test_round_trip - every kind, empty values, long names */
static void
test_round_trip(void)
{
	char name255[256];
	struct ipc_msg m, d;
	struct buf w;
	const char *s;
	const uint8_t *b;
	size_t len, used;
	uint64_t u;
	bool flag;
	const char *why;

	TEST_BEGIN("ipc: every kind survives encode and decode");
	memset(name255, 'n', 255);
	name255[255] = '\0';
	ipc_msg_init(&m, 42);
	m.flags = 7;	/* bit 0 (IPC_F_FD) is the encoder's to set */
	CHECK(ipc_put_str(&m, "s", "text") == 0);
	CHECK(ipc_put_str(&m, "empty", "") == 0);
	CHECK(ipc_put_u64(&m, "big", UINT64_MAX - 1) == 0);
	CHECK(ipc_put_bool(&m, "yes", true) == 0);
	CHECK(ipc_put_bytes(&m, "bin", "a\0\r\n", 4) == 0);
	CHECK(ipc_put_bytes(&m, "nothing", "", 0) == 0);
	CHECK(ipc_put_str(&m, name255, "long name") == 0);
	CHECK(ipc_put_str(&m, "Bad", "x") == -1);
	CHECK(ipc_put_str(&m, "", "x") == -1);
	encode(&m, &w);
	CHECK(ipc_frame_decode(w.data, w.len, IPC_MAX_FRAME, &d, &used,
	    &why) == 1);
	CHECK(used == w.len);
	CHECK(d.type == 42 && d.flags == 6 && d.n_attrs == 7 && d.fd == -1);
	CHECK(ipc_get_str(&d, "s", IPC_REQUIRED, &s) == 1);
	CHECK_STR_EQ(s, "text");
	CHECK(ipc_get_str(&d, "empty", IPC_REQUIRED, &s) == 1);
	CHECK_STR_EQ(s, "");
	CHECK(ipc_get_u64(&d, "big", IPC_REQUIRED, &u) == 1);
	CHECK(u == UINT64_MAX - 1);
	CHECK(ipc_get_bool(&d, "yes", IPC_REQUIRED, &flag) == 1 && flag);
	CHECK(ipc_get_bytes(&d, "bin", IPC_REQUIRED, &b, &len) == 1);
	CHECK(len == 4 && memcmp(b, "a\0\r\n", 4) == 0);
	CHECK(ipc_get_bytes(&d, "nothing", IPC_REQUIRED, &b, &len) == 1);
	CHECK(len == 0);
	CHECK(ipc_get_str(&d, name255, IPC_REQUIRED, &s) == 1);
	/* Missing, wrong kind, NUL inside a string. */
	CHECK(ipc_get_str(&d, "absent", IPC_OPTIONAL, &s) == 0);
	CHECK(ipc_get_str(&d, "absent", IPC_REQUIRED, &s) == -1);
	CHECK(ipc_get_u64(&d, "s", IPC_REQUIRED, &u) == -1);
	CHECK(ipc_get_str(&d, "bin", IPC_REQUIRED, &s) == -1);
	ipc_msg_free(&d);
	ipc_msg_free(&m);
	buf_free(&w);
	TEST_END();
}

/* test_truncated - every prefix of a frame asks for more */
static void
test_truncated(void)
{
	struct ipc_msg m, d;
	struct buf w;
	size_t used;
	const char *why;
	int bad = 0;

	TEST_BEGIN("ipc: every truncation needs more bytes, never fails");
	ipc_msg_init(&m, 16);
	CHECK(ipc_put_str(&m, "a", "hello") == 0);
	CHECK(ipc_put_u64(&m, "b", 5) == 0);
	encode(&m, &w);
	for (size_t cut = 0; cut < w.len; cut++) {
		/* A copy of exactly cut bytes, so ASan sees any overread. */
		uint8_t *p = malloc(cut + 1);

		memcpy(p, w.data, cut);
		if (ipc_frame_decode(p, cut, IPC_MAX_FRAME, &d, &used,
		    &why) != -2)
			bad++;
		free(p);
	}
	CHECK(bad == 0);
	ipc_msg_free(&m);
	buf_free(&w);
	TEST_END();
}

/* frame - hand-made wire bytes: header then payload */
static size_t
frame(uint8_t *out, const uint8_t *payload, uint32_t plen, uint32_t claim)
{
	uint32_t n = htonl(claim);

	memcpy(out, &n, 4);
	out[4] = 0;
	out[5] = 16;
	out[6] = out[7] = 0;
	memcpy(out + 8, payload, plen);
	return 8 + plen;
}

/* test_malformed - each broken layout is refused with a reason */
static void
test_malformed(void)
{
	static const struct {
		const char *what;
		uint8_t payload[24];
		uint32_t len;
		const char *expect;
	} rows[] = {
		{ "unknown kind", { 9, 1, 'a', 0, 0, 0, 0 }, 7,
		    "unknown attribute kind" },
		{ "kind zero", { 0, 1, 'a', 0, 0, 0, 0 }, 7,
		    "unknown attribute kind" },
		{ "empty name", { 1, 0, 0, 0, 0, 0 }, 6,
		    "bad attribute name" },
		{ "upper-case name", { 1, 1, 'A', 0, 0, 0, 0 }, 7,
		    "bad attribute name" },
		{ "NUL in name", { 1, 2, 'a', 0, 0, 0, 0, 0 }, 8,
		    "bad attribute name" },
		{ "name past end", { 1, 9, 'a', 'b' }, 4,
		    "name runs past" },
		{ "value past end", { 1, 1, 'a', 0, 0, 0, 9, 'x' }, 8,
		    "value runs past" },
		{ "huge value length", { 4, 1, 'a', 0xff, 0xff, 0xff, 0xff },
		    7, "value runs past" },
		{ "lone kind byte", { 1 }, 1, "header runs past" },
	};
	uint8_t wire[64];
	struct ipc_msg d;
	size_t used, n;
	const char *why;

	TEST_BEGIN("ipc: malformed frames are refused");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why = "";
		n = frame(wire, rows[i].payload, rows[i].len, rows[i].len);
		CHECK_IDX(ipc_frame_decode(wire, n, IPC_MAX_FRAME, &d, &used,
		    &why) == -1, i);
		CHECK_IDX(strstr(why, rows[i].expect) != NULL, i);
	}
	/* A length over the maximum fails at once, before the bytes. */
	n = frame(wire, (const uint8_t *)"", 0, IPC_MAX_FRAME);
	CHECK(ipc_frame_decode(wire, n, IPC_MAX_FRAME, &d, &used, &why) == -1);
	CHECK(strstr(why, "larger than the maximum") != NULL);
	TEST_END();
}

/* test_limits - the exact maximum fits, one byte more does not; the
 * attribute count is bounded */
static void
test_limits(void)
{
	size_t room = IPC_MAX_FRAME - IPC_HDR_LEN - (2 + 1 + 4);
	uint8_t *big = calloc(1, room + 1);
	struct ipc_msg m, d;
	struct buf w;
	size_t used;
	const char *why;
	char name[16];

	TEST_BEGIN("ipc: frame size and attribute count limits");
	ipc_msg_init(&m, 16);
	CHECK(ipc_put_bytes(&m, "v", big, room + 1) == -1);
	CHECK(m.payload.len == 0);
	CHECK(ipc_put_bytes(&m, "v", big, room) == 0);
	encode(&m, &w);
	CHECK(w.len == IPC_MAX_FRAME);
	CHECK(ipc_frame_decode(w.data, w.len, IPC_MAX_FRAME, &d, &used,
	    &why) == 1);
	ipc_msg_free(&d);
	CHECK(ipc_frame_decode(w.data, w.len, IPC_MAX_FRAME - 1, &d, &used,
	    &why) == -1);
	ipc_msg_free(&m);
	buf_free(&w);
	ipc_msg_init(&m, 16);
	for (int i = 0; i <= IPC_MAX_ATTRS; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		CHECK_IDX(ipc_put_bool(&m, name, true) == 0, i);
	}
	encode(&m, &w);
	CHECK(ipc_frame_decode(w.data, w.len, IPC_MAX_FRAME, &d, &used,
	    &why) == -1);
	CHECK(strstr(why, "too many attributes") != NULL);
	ipc_msg_free(&m);
	buf_free(&w);
	free(big);
	TEST_END();
}

/* test_hello - versions agree on the lower minor; mismatches refuse */
static void
test_hello(void)
{
	struct ipc_msg built, m;
	struct buf w;
	size_t used;
	unsigned minor;
	const char *why;

	TEST_BEGIN("ipc: HELLO version negotiation");
	ipc_hello(&built, "auth", 1, 3);
	encode(&built, &w);
	CHECK(ipc_frame_decode(w.data, w.len, IPC_MAX_FRAME, &m, &used,
	    &why) == 1);
	ipc_msg_free(&built);
	buf_free(&w);
	CHECK(ipc_hello_check(&m, "auth", 1, 5, &minor, &why) == 0);
	CHECK(minor == 3);
	CHECK(ipc_hello_check(&m, "auth", 1, 1, &minor, &why) == 0);
	CHECK(minor == 1);
	CHECK(ipc_hello_check(&m, "crypt", 1, 3, &minor, &why) == -1);
	CHECK_STR_EQ(why, "peer protocol auth, expected crypt");
	CHECK(ipc_hello_check(&m, "auth", 2, 0, &minor, &why) == -1);
	CHECK(strstr(why, "version 1, expected 2") != NULL);
	m.type = 16;
	CHECK(ipc_hello_check(&m, "auth", 1, 3, &minor, &why) == -1);
	ipc_msg_free(&m);
	TEST_END();
}

/* test_fdpass - a pipe travels over a socketpair and works */
static void
test_fdpass(void)
{
	int sp[2], p[2], got = -1;
	char b[8];

	TEST_BEGIN("ipc: descriptor passing");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0 && pipe(p) == 0);
	CHECK(fdpass_send(sp[0], "x", 1, p[1]) == 1);
	close(p[1]);
	CHECK(fdpass_recv(sp[1], b, sizeof(b), &got) == 1 && got >= 0);
	CHECK(write(got, "hey", 3) == 3);
	close(got);
	CHECK(read(p[0], b, sizeof(b)) == 3 && memcmp(b, "hey", 3) == 0);
	close(p[0]);
	close(sp[0]);
	close(sp[1]);
	TEST_END();
}

/* test_sync - blocking helpers: HELLO, a frame with an fd, a timeout */
static void
test_sync(void)
{
	int sp[2], p[2];
	struct ipc_msg m;
	const char *why = NULL, *s;
	pid_t pid;
	char b[4];

	TEST_BEGIN("ipc: blocking send/receive with a forked peer");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0 && pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		struct ipc_msg r;

		close(sp[0]);
		if (ipc_sync_hello(sp[1], "test", 1, 0, 2000, &why) < 0)
			_exit(1);
		ipc_msg_init(&r, 17);
		if (ipc_put_str(&r, "answer", "42") < 0)
			_exit(2);
		r.fd = p[1];
		if (ipc_sync_send(sp[1], &r, 2000) < 0)
			_exit(3);
		_exit(0);
	}
	close(sp[1]);
	close(p[1]);
	CHECK(ipc_sync_hello(sp[0], "test", 1, 0, 2000, &why) == 0);
	CHECK(ipc_sync_recv(sp[0], &m, IPC_MAX_FRAME, 2000, &why) == 0);
	CHECK(m.type == 17 && m.fd >= 0);
	CHECK(ipc_get_str(&m, "answer", IPC_REQUIRED, &s) == 1);
	CHECK_STR_EQ(s, "42");
	CHECK(write(m.fd, "ok", 2) == 2);
	ipc_msg_free(&m);
	CHECK(read(p[0], b, sizeof(b)) == 2);
	CHECK(ipc_sync_recv(sp[0], &m, IPC_MAX_FRAME, 200, &why) == -1);
	CHECK_STR_EQ(why, "connection closed");
	{
		int status;

		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);
	}
	close(sp[0]);
	close(p[0]);
	TEST_END();
}

/* ---- event-driven connections ---- */

static int closes, replies, timeouts;
static char close_reason[128];

/* server_msg - answer requests, echoing id and value */
static void
server_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	struct ipc_msg r;
	uint64_t id, v;

	if (m->type == 99)	/* "ignore me": for the timeout test */
		return;
	CHECK(ipc_get_u64(m, "id", IPC_REQUIRED, &id) == 1);
	CHECK(ipc_get_u64(m, "v", IPC_REQUIRED, &v) == 1);
	ipc_msg_init(&r, 21);
	CHECK(ipc_put_u64(&r, "id", id) == 0);
	CHECK(ipc_put_u64(&r, "v", v * 2) == 0);
	CHECK(ipc_put_u64(&r, "status", IPC_OK) == 0);
	CHECK(ipc_conn_send(c, &r) == 0);
	ipc_msg_free(&r);
}

/* on_close - count closes and keep the reason */
static void
on_close(struct ipc_conn *c, const char *reason, void *ctx)
{
	closes++;
	snprintf(close_reason, sizeof(close_reason), "%s", reason);
	ev_break();
}

/* on_reply - a reply or a timeout */
static void
on_reply(struct ipc_conn *c, struct ipc_msg *r, void *ctx)
{
	uint64_t v;

	if (r == NULL) {
		timeouts++;
	} else {
		CHECK(ipc_get_u64(r, "v", IPC_REQUIRED, &v) == 1);
		CHECK(v == (uint64_t)(uintptr_t)ctx * 2);
		replies++;
	}
	if (replies + timeouts == 3)
		ev_break();
}

/* test_conn - request/reply, timeout, and a malformed peer */
static void
test_conn(void)
{
	int sp[2];
	struct ipc_conn *cli, *srv;
	struct ipc_msg m;

	TEST_BEGIN("ipc: event-driven request, reply, timeout, bad frame");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	srv = ipc_conn_new(sp[0], "test", 1, 2, 0, server_msg, on_close,
	    NULL);
	cli = ipc_conn_new(sp[1], "test", 1, 0, 0, NULL, on_close, NULL);
	for (uintptr_t i = 1; i <= 2; i++) {
		ipc_msg_init(&m, 20);
		CHECK(ipc_put_u64(&m, "v", i) == 0);
		CHECK(ipc_conn_request(cli, &m, 2000, on_reply,
		    (void *)i) == 0);
		ipc_msg_free(&m);
	}
	ipc_msg_init(&m, 99);
	CHECK(ipc_conn_request(cli, &m, 100, on_reply, NULL) == 0);
	ipc_msg_free(&m);
	ev_run();
	CHECK(replies == 2 && timeouts == 1);
	CHECK(ipc_conn_minor(cli) == 0 && ipc_conn_minor(srv) == 0);
	ipc_conn_close(&cli);
	/* The server hears EOF once. */
	ev_run();
	CHECK(closes == 1);
	CHECK_STR_EQ(close_reason, "eof");

	/* A peer that sends garbage after HELLO is cut off with a reason. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	closes = 0;
	srv = ipc_conn_new(sp[0], "test", 1, 0, 0, server_msg, on_close,
	    NULL);
	ipc_hello(&m, "test", 1, 0);
	CHECK(ipc_sync_send(sp[1], &m, 1000) == 0);
	ipc_msg_free(&m);
	CHECK(write(sp[1], "\0\0\0\7\0\20\0\0\11\1a\0\0\0\0", 15) == 15);
	ev_run();
	CHECK(closes == 1);
	CHECK_STR_EQ(close_reason, "malformed frame: unknown attribute kind");
	close(sp[1]);

	/* The wrong protocol is refused at HELLO. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	closes = 0;
	srv = ipc_conn_new(sp[0], "auth", 1, 0, 0, server_msg, on_close,
	    NULL);
	ipc_hello(&m, "smtp", 1, 0);
	CHECK(ipc_sync_send(sp[1], &m, 1000) == 0);
	ipc_msg_free(&m);
	ev_run();
	CHECK(closes == 1);
	CHECK_STR_EQ(close_reason, "peer protocol smtp, expected auth");
	close(sp[1]);
	(void)srv;
	TEST_END();
}

int
main(void)
{
	ev_init();
	test_round_trip();
	test_truncated();
	test_malformed();
	test_limits();
	test_hello();
	test_fdpass();
	test_sync();
	test_conn();
	return test_exit();
}
