/*
 * NAME
 *	queue - queue directories and committing a new queue file
 * DESCRIPTION
 *	The order in queue_new_commit is the durability argument of the
 *	whole suite: data and length are fsync'ed in the file, the rename
 *	makes it visible whole, and the directory fsync makes the rename
 *	survive a crash.  A crash before the rename leaves a stray file in
 *	tmp/, which qmgr removes; a crash after it leaves a complete file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/queue.h"
#include "util/file.h"

const char *const queue_dirs[] = {
	QUEUE_TMP, QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD,
	QUEUE_CORRUPT, NULL,
};

int
queue_make_dirs(int qfd, const char **which)
{
	for (const char *const *d = queue_dirs; *d != NULL; d++) {
		if (mkdirat(qfd, *d, 0700) < 0 && errno != EEXIST) {
			*which = *d;
			return -1;
		}
	}
	return 0;
}

/* tmp_path - "tmp/QID" */
static void
tmp_path(const struct queue_new *q, char *out, size_t size)
{
	snprintf(out, size, QUEUE_TMP "/%s", q->qid);
}

int
queue_new_begin(struct queue_new *q, int qfd, struct qfile_env *e,
    uint64_t max)
{
	char path[64];
	int saved;

	q->qfd = qfd;
	q->fd = -1;
	for (int tries = 0; q->fd < 0 && tries < 3; tries++) {
		qid_new(q->qid);
		tmp_path(q, path, sizeof(path));
		/* Read and write: smtpd reads the message back (DKIM). */
		q->fd = openat(qfd, path, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0600);
		if (q->fd < 0 && errno != EEXIST)
			return -1;
	}
	if (q->fd < 0)
		return -1;
	snprintf(e->qid, sizeof(e->qid), "%s", q->qid);
	if (qfile_write_begin(&q->w, q->fd, e, max) < 0) {
		saved = errno;
		queue_new_abort(q);
		errno = saved;
		return -1;
	}
	return 0;
}

int
queue_new_data(struct queue_new *q, const void *p, size_t n)
{
	return qfile_write_data(&q->w, p, n);
}

int
queue_new_stage(struct queue_new *q)
{
	char from[64], to[64];
	int saved;

	tmp_path(q, from, sizeof(from));
	snprintf(to, sizeof(to), QUEUE_INCOMING "/%s", q->qid);
	if (qfile_write_end(&q->w) < 0 ||
	    renameat(q->qfd, from, q->qfd, to) < 0) {
		saved = errno;
		queue_new_abort(q);
		errno = saved;
		return -1;
	}
	close(q->fd);
	q->fd = -1;
	qfile_write_abort(&q->w);
	return 0;
}

void
queue_new_unstage(struct queue_new *q)
{
	char to[64];

	/* The name may or may not survive a crash: take it back, so that
	 * a 4xx never hides a queued copy. */
	snprintf(to, sizeof(to), QUEUE_INCOMING "/%s", q->qid);
	(void)unlinkat(q->qfd, to, 0);
}

int
queue_new_commit(struct queue_new *q)
{
	int saved;

	if (queue_new_stage(q) < 0)
		return -1;
	if (file_fsync_dir(q->qfd, QUEUE_INCOMING) < 0) {
		saved = errno;
		queue_new_unstage(q);
		errno = saved;
		return -1;
	}
	return 0;
}

void
queue_new_abort(struct queue_new *q)
{
	char path[64];

	if (q->fd >= 0) {
		qfile_write_abort(&q->w);
		close(q->fd);
		q->fd = -1;
		tmp_path(q, path, sizeof(path));
		(void)unlinkat(q->qfd, path, 0);
	}
}
