/*
 * NAME
 *	commit - make queue files durable off the event loop
 * DESCRIPTION
 *	Committing a message costs two fsyncs (the file, then incoming/
 *	after the rename).  Done in the event loop, every session of the
 *	process would wait for every other session's disk flushes.  Worker
 *	threads (lib/util/workq.h) do them instead, and each takes every
 *	commit waiting when it wakes: each file is fsync'ed (after the
 *	first, the journal has mostly done the work) and renamed, then
 *	incoming/ is fsync'ed once for all of them (group commit).  The
 *	session stops reading (stream_pause) until its commit is done, so
 *	the 250 still comes only after the message is safe.
 */
#include <errno.h>
#include <fcntl.h>

#include "smtpd/smtpd.h"
#include "util/file.h"
#include "util/workq.h"

static struct workq *q;

/* batch - in a worker: stage all, one directory fsync */
static void
batch(struct workq_job *list)
{
	struct commit *c;
	int err = 0;
	bool staged = false;

	for (struct workq_job *j = list; j != NULL; j = j->next) {
		c = (struct commit *)j;
		errno = 0;
		c->rc = queue_new_stage(c->q);
		c->err = errno;
		staged |= c->rc == 0;
	}
	if (!staged || file_fsync_dir(((struct commit *)list)->q->qfd,
	    QUEUE_INCOMING) == 0)
		return;
	err = errno;
	for (struct workq_job *j = list; j != NULL; j = j->next) {
		c = (struct commit *)j;
		if (c->rc == 0)
			queue_new_unstage(c->q);
		c->rc = -1;
		c->err = err;
	}
}

/* finished - back in the loop */
static void
finished(struct workq_job *j)
{
	struct commit *c = (struct commit *)j;

	c->done(c);
}

void
commit_init(unsigned threads)
{
	q = workq_new(threads, batch);
}

void
commit_submit(struct commit *c)
{
	c->job.done = finished;
	workq_submit(q, &c->job);
}
