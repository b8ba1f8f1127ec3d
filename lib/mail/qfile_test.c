/*
 * NAME
 *	qfile_test - unit tests for the queue file format
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/qfile.h"
#include "mail/smtp_args.h"
#include "util/test.h"

static char path[512];

/* sample - an envelope with awkward values */
static void
sample(struct qfile_env *e, struct qfile_rcpt *r)
{
	memset(e, 0, sizeof(*e));
	qid_new(e->qid);
	gettimeofday(&e->arrival, NULL);
	e->client_addr = "192.0.2.7";
	e->client_helo = "evil\r\nR 0 - injected@example.test";
	e->protocol = "ESMTPS";
	e->sender = "";
	e->envid = "id with \\ and \x01";
	e->body = "8BITMIME";
	e->smtputf8 = true;
	e->ret = "HDRS";
	memset(r, 0, 2 * sizeof(*r));
	r[0].address = "alice@example.test";
	r[0].notify = SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY;
	r[0].orcpt = "rfc822;alice@example.test";
	r[1].address = "b\xc3\xb6" "b@example.test";
	e->rcpts = r;
	e->n_rcpts = 2;
}

/* write_file - a whole queue file with message msg; returns the fd */
static int
write_file(const struct qfile_env *e, const char *msg, size_t len)
{
	struct qfile_writer w;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK(qfile_write_begin(&w, fd, e, 0) == 0);
	CHECK(qfile_write_data(&w, msg, len) == 0);
	CHECK(qfile_write_end(&w) == 0);
	return fd;
}

/* test_round_trip - what is written is read back, message in place */
static void
test_round_trip(void)
{
	static const char msg[] = "Subject: hi\r\n\r\n.\r\nline\0with NUL\r\n";
	struct qfile_env e, got;
	struct qfile_rcpt r[2];
	const char *why = "";
	char body[sizeof(msg)];
	int fd;

	TEST_BEGIN("qfile: round trip, escapes, message bytes");
	sample(&e, r);
	fd = write_file(&e, msg, sizeof(msg) - 1);
	CHECK(qfile_read(fd, &got, &why) == 0);
	CHECK_STR_EQ(got.qid, e.qid);
	CHECK(got.arrival.tv_sec == e.arrival.tv_sec &&
	    got.arrival.tv_usec == e.arrival.tv_usec);
	CHECK_STR_EQ(got.client_helo, e.client_helo);
	CHECK_STR_EQ(got.envid, e.envid);
	CHECK_STR_EQ(got.sender, "");
	CHECK(got.smtputf8);
	CHECK_STR_EQ(got.ret, "HDRS");
	CHECK(got.n_rcpts == 2);	/* the injected R did not become one */
	CHECK_STR_EQ(got.rcpts[0].orcpt, "rfc822;alice@example.test");
	CHECK(got.rcpts[0].notify == (SMTP_NOTIFY_FAILURE |
	    SMTP_NOTIFY_DELAY));
	CHECK(got.rcpts[1].orcpt == NULL);
	CHECK_STR_EQ(got.rcpts[1].address, "b\xc3\xb6" "b@example.test");
	CHECK(got.rcpts[0].state == QFILE_PENDING);
	CHECK(got.msg_len == sizeof(msg) - 1);
	CHECK(pread(fd, body, got.msg_len, (off_t)got.msg_offset) ==
	    (ssize_t)got.msg_len && memcmp(body, msg, got.msg_len) == 0);
	qfile_env_free(&got);
	close(fd);
	TEST_END();
}

/* test_state - appended states, the last one wins; a torn append */
static void
test_state(void)
{
	struct qfile_env e, got;
	struct qfile_rcpt r[2];
	const char *why = "";
	int fd;

	TEST_BEGIN("qfile: state records, torn appends");
	sample(&e, r);
	fd = write_file(&e, "x\r\n", 3);
	CHECK(qfile_append_state(fd, 1, QFILE_DEFERRED, 100,
	    "451 4.3.0 try\nlater") == 0);
	CHECK(qfile_append_state(fd, 0, QFILE_DELIVERED, 101, "ok") == 0);
	CHECK(qfile_append_state(fd, 1, QFILE_BOUNCED, 102, "550 no") == 0);
	CHECK(qfile_read(fd, &got, &why) == 0);
	CHECK(got.rcpts[0].state == QFILE_DELIVERED);
	CHECK(got.rcpts[1].state == QFILE_BOUNCED);
	CHECK_STR_EQ(got.rcpts[1].reason, "550 no");
	CHECK(got.rcpts[1].state_time == 102);
	qfile_env_free(&got);
	/* A crash in the middle of an append leaves half a line. */
	CHECK(lseek(fd, 0, SEEK_END) > 0 && write(fd, "D 0 F 1", 7) == 7);
	CHECK(qfile_read(fd, &got, &why) == 0);
	CHECK(got.rcpts[0].state == QFILE_DELIVERED);
	qfile_env_free(&got);
	CHECK(qfile_append_state(fd, 0, QFILE_DEFERRED, 103, "again") == 0);
	CHECK(qfile_read(fd, &got, &why) == 0);
	CHECK(got.rcpts[0].state == QFILE_DEFERRED);
	CHECK(got.rcpts[1].state == QFILE_BOUNCED);
	CHECK(got.warned == 0);
	qfile_env_free(&got);
	/* The delay notice record, among the state records. */
	CHECK(qfile_append_warned(fd, 104) == 0);
	CHECK(qfile_append_state(fd, 0, QFILE_DELIVERED, 105, "at last") == 0);
	CHECK(qfile_read(fd, &got, &why) == 0);
	CHECK(got.warned == 104);
	CHECK(got.rcpts[0].state == QFILE_DELIVERED);
	qfile_env_free(&got);
	CHECK(lseek(fd, 0, SEEK_END) > 0 && write(fd, "W 0\n", 4) == 4);
	CHECK(qfile_read(fd, &got, &why) == -1);	/* no time: bad */
	close(fd);
	TEST_END();
}

/* test_damage - truncation at every byte and flipped bytes never crash,
 * and an incomplete file is never accepted */
static void
test_damage(void)
{
	struct qfile_env e, got;
	struct qfile_rcpt r[2];
	const char *why;
	char *orig;
	int fd, accepted_short = 0;
	off_t size;

	TEST_BEGIN("qfile: truncated and damaged files");
	sample(&e, r);
	fd = write_file(&e, "Subject: x\r\n\r\nbody\r\n", 20);
	size = lseek(fd, 0, SEEK_END);
	orig = malloc((size_t)size);
	CHECK(pread(fd, orig, (size_t)size, 0) == size);
	for (off_t cut = 0; cut < size; cut++) {
		CHECK(ftruncate(fd, cut) == 0);
		if (qfile_read(fd, &got, &why) == 0) {
			accepted_short++;
			qfile_env_free(&got);
		}
	}
	CHECK(accepted_short == 0);
	for (off_t i = 0; i < size; i++) {
		char flip = (char)(orig[i] ^ 0x5a);

		CHECK(pwrite(fd, orig, (size_t)size, 0) == size);
		CHECK(pwrite(fd, &flip, 1, i) == 1);
		if (qfile_read(fd, &got, &why) == 0)
			qfile_env_free(&got);
	}
	free(orig);
	close(fd);
	TEST_END();
}

/* test_limits - size limit and a full disk */
static void
test_limits(void)
{
	struct qfile_env e;
	struct qfile_rcpt r[2];
	struct qfile_writer w;
	char big[70000];
	int fd;

	TEST_BEGIN("qfile: message size limit, ENOSPC");
	sample(&e, r);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(qfile_write_begin(&w, fd, &e, 10) == 0);
	CHECK(qfile_write_data(&w, "0123456789", 10) == 0);
	CHECK(qfile_write_data(&w, "x", 1) == -1 && errno == EFBIG);
	CHECK(qfile_write_end(&w) == -1 && errno == EFBIG);
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	CHECK(fd >= 0);
	memset(big, 'a', sizeof(big));
	CHECK(qfile_write_begin(&w, fd, &e, 0) == 0);
	CHECK(qfile_write_data(&w, big, sizeof(big)) == -1 &&
	    errno == ENOSPC);
	CHECK(qfile_write_end(&w) == -1 && errno == ENOSPC);
	close(fd);
	TEST_END();
}

/* head - a message written with head room, filled (or not) at the end */
static void
head(size_t room, const char *quarantine, const char *hdr, size_t body_len,
    int want)
{
	struct qfile_env e, got;
	struct qfile_rcpt r[2];
	struct qfile_writer w;
	const char *why = "";
	static char body[200000], back[200000 + 64];
	size_t hl = hdr != NULL ? strlen(hdr) : 0;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	sample(&e, r);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (char)('a' + i % 26);
	CHECK(qfile_write_begin(&w, fd, &e, 0) == 0);
	CHECK(qfile_write_reserve(&w, room) == 0);
	CHECK(qfile_write_data(&w, body, body_len) == 0);
	if (hdr != NULL || quarantine != NULL) {
		int rc = qfile_write_head(&w, &(struct qfile_head){ .quarantine = quarantine }, hdr, hl);

		CHECK(rc == want);
		if (rc < 0) {
			CHECK(errno == ENOSPC);
			hl = 0;
			quarantine = NULL;
		}
	}
	CHECK(qfile_write_end(&w) == 0);
	CHECK(qfile_read(fd, &got, &why) == 0);
	CHECK(got.msg_len == hl + body_len);
	CHECK(pread(fd, back, got.msg_len, (off_t)got.msg_offset) ==
	    (ssize_t)got.msg_len);
	CHECK(hl == 0 || memcmp(back, hdr, hl) == 0);
	CHECK(memcmp(back + hl, body, body_len) == 0);
	CHECK((quarantine == NULL && got.quarantine == NULL) ||
	    (quarantine != NULL && got.quarantine != NULL &&
	    strcmp(got.quarantine, quarantine) == 0));
	qfile_env_free(&got);
	close(fd);
}

/* test_head - results known at the end go in front of the message */
static void
test_head(void)
{
	TEST_BEGIN("qfile: head room filled late, in the buffer or on disk");
	head(256, NULL, NULL, 10, 0);			/* room unused */
	head(256, NULL, "A-R: x\r\n", 10, 0);		/* buffered */
	head(256, "dmarc=quarantine\n", "A-R: y\r\n", 150000, 0);
	head(20, NULL, "Authentication-Results: too long\r\n", 5, -1);
	head(4 + 6, NULL, "abcdef", 3, 0);		/* exactly full */
	head(4 + 5, NULL, "abcd", 3, 0);		/* "G " */
	TEST_END();
}

int
main(void)
{
	snprintf(path, sizeof(path), "%s/queue-file", test_tmpdir());
	test_round_trip();
	test_state();
	test_damage();
	test_limits();
	test_head();
	return test_exit();
}
