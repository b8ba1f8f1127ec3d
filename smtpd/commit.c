/*
 * NAME
 *	commit - make queue files durable off the event loop
 * DESCRIPTION
 *	Committing a message costs two fsyncs (the file, then incoming/
 *	after the rename).  Done in the event loop, every session of the
 *	process would wait for every other session's disk flushes, one
 *	after another.  A few threads do them instead, concurrently, which
 *	the file system turns into shared journal commits; the session
 *	stops reading (stream_pause) until its commit is done, so the 250
 *	still comes only after the message is safe.
 *
 *	A thread takes every commit waiting when it wakes and makes them
 *	durable together: each file is fsync'ed (after the first, the
 *	journal has mostly done the work) and renamed, then incoming/ is
 *	fsync'ed once for all of them.
 *
 *	The threads touch nothing but the queue_new they are given; the
 *	lists are guarded by one mutex; results come back through an
 *	eventfd watched by the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "smtpd/smtpd.h"
#include "util/ev.h"
#include "util/file.h"
#include "util/log.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static struct commit *todo, *done_list;
static int done_fd = -1;

/* worker - take every waiting commit at once: stage each, then one
 * fsync of incoming/ for the whole batch (group commit) */
static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct commit *batch, *c, *last = NULL;
		uint64_t one = 1;
		int rc = 0, err = 0;
		bool staged = false;

		pthread_mutex_lock(&lock);
		while (todo == NULL)
			pthread_cond_wait(&work, &lock);
		batch = todo;
		todo = NULL;
		pthread_mutex_unlock(&lock);

		for (c = batch; c != NULL; c = c->next) {
			errno = 0;
			c->rc = queue_new_stage(c->q);
			c->err = errno;
			staged |= c->rc == 0;
			last = c;
		}
		if (staged && file_fsync_dir(batch->q->qfd,
		    QUEUE_INCOMING) < 0) {
			rc = -1;
			err = errno;
		}
		for (c = batch; c != NULL && rc < 0; c = c->next) {
			if (c->rc == 0)
				queue_new_unstage(c->q);
			c->rc = -1;
			c->err = err;
		}

		pthread_mutex_lock(&lock);
		last->next = done_list;
		done_list = batch;
		pthread_mutex_unlock(&lock);
		if (write(done_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			msg_warn("commit: eventfd: %m");
	}
	return NULL;
}

/* on_done - back in the loop: tell the sessions */
static void
on_done(int fd, int events, void *ctx)
{
	struct commit *list, *c;
	uint64_t n;

	(void)events;
	(void)ctx;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		msg_warn("commit: eventfd: %m");
	pthread_mutex_lock(&lock);
	list = done_list;
	done_list = NULL;
	pthread_mutex_unlock(&lock);
	while ((c = list) != NULL) {
		list = c->next;
		c->done(c);
	}
}

void
commit_init(unsigned threads)
{
	done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (done_fd < 0)
		msg_fatal("eventfd: %m");
	ev_io_set(done_fd, EV_READ, on_done, NULL);
	for (unsigned i = 0; i < threads; i++) {
		pthread_t t;
		int rc = pthread_create(&t, NULL, worker, NULL);

		if (rc != 0) {
			errno = rc;
			msg_fatal("cannot start commit thread: %m");
		}
		pthread_detach(t);
	}
}

void
commit_submit(struct commit *c)
{
	pthread_mutex_lock(&lock);
	/* FIFO is not needed: each session has one commit at most. */
	c->next = todo;
	todo = c;
	pthread_cond_signal(&work);
	pthread_mutex_unlock(&lock);
}
