/*
 * NAME
 *	queue_test - a new queue file appears in incoming/ whole or not at all
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mail/queue.h"
#include "util/test.h"

/* entries - files in dir */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void
test_commit_and_abort(void)
{
	struct qfile_rcpt rcpt = { .address = "bob@example.test" };
	struct qfile_env e = {
		.client_addr = "127.0.0.1", .client_helo = "h", .protocol =
		"ESMTP", .sender = "a@b.test", .body = "7BIT", .rcpts = &rcpt,
		.n_rcpts = 1,
	};
	struct qfile_env back;
	struct queue_new q;
	const char *which, *why;
	char path[64];
	int fd;

	TEST_BEGIN("queue: commit renames a complete file; abort leaves none");
	CHECK(queue_make_dirs(AT_FDCWD, &which) == 0);
	CHECK(queue_new_begin(&q, AT_FDCWD, &e, 0) == 0);
	CHECK(qid_valid(q.qid) && strcmp(e.qid, q.qid) == 0);
	CHECK(entries("tmp") == 1 && entries("incoming") == 0);
	CHECK(queue_new_data(&q, "Subject: x\r\n\r\nhi\r\n", 18) == 0);
	CHECK(queue_new_commit(&q) == 0);
	CHECK(entries("tmp") == 0 && entries("incoming") == 1);
	snprintf(path, sizeof(path), "incoming/%s", e.qid);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && qfile_read(fd, &back, &why) == 0);
	CHECK(back.msg_len == 18 && back.n_rcpts == 1);
	qfile_env_free(&back);
	close(fd);

	CHECK(queue_new_begin(&q, AT_FDCWD, &e, 10) == 0);
	CHECK(queue_new_data(&q, "more than ten bytes", 19) == -1);
	queue_new_abort(&q);
	CHECK(entries("tmp") == 0 && entries("incoming") == 1);
	TEST_END();
}

int
main(void)
{
	if (chdir(test_tmpdir()) < 0)
		return 1;
	test_commit_and_abort();
	return test_exit();
}
