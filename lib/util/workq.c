/*
 * NAME
 *	workq - worker threads with results delivered to the event loop
 * DESCRIPTION
 *	One mutex guards the waiting and finished lists; an eventfd wakes
 *	the loop.  Workers are detached and live as long as the process.
 *	They block every signal sent to the process: those are the event
 *	loop's (a signalfd read by the main thread), and a SIGHUP or SIGTERM
 *	the kernel gave to a worker would take its default action and end
 *	the process instead of retiring or stopping it.  The signals a fault
 *	raises in the thread itself stay open, so that a crash is reported
 *	(by the sanitizers, or as the signal) where it happened.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/workq.h"

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct workq_job *todo, *todo_tail, *finished;
	void (*batch)(struct workq_job *);
	int done_fd;
};

/* worker - take work, do it, hand it back */
static void *
worker(void *arg)
{
	struct workq *q = arg;

	for (;;) {
		struct workq_job *list, *last;
		uint64_t one = 1;

		pthread_mutex_lock(&q->lock);
		while (q->todo == NULL)
			pthread_cond_wait(&q->work, &q->lock);
		list = q->todo;
		if (q->batch != NULL) {
			q->todo = q->todo_tail = NULL;
		} else {
			q->todo = list->next;
			if (q->todo == NULL)
				q->todo_tail = NULL;
			list->next = NULL;
		}
		pthread_mutex_unlock(&q->lock);

		if (q->batch != NULL)
			q->batch(list);
		else
			list->work(list);

		for (last = list; last->next != NULL; last = last->next)
			;
		pthread_mutex_lock(&q->lock);
		last->next = q->finished;
		q->finished = list;
		pthread_mutex_unlock(&q->lock);
		if (write(q->done_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			msg_warn("workq: eventfd: %m");
	}
	return NULL;
}

/* on_done - in the loop: run the done callbacks */
static void
on_done(int fd, int events, void *ctx)
{
	struct workq *q = ctx;
	struct workq_job *list, *j;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		msg_warn("workq: eventfd: %m");
	pthread_mutex_lock(&q->lock);
	list = q->finished;
	q->finished = NULL;
	pthread_mutex_unlock(&q->lock);
	while ((j = list) != NULL) {
		list = j->next;
		j->done(j);
	}
}

struct workq *
workq_new(unsigned threads, void (*batch)(struct workq_job *))
{
	static const int faults[] = {
		SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGSYS, SIGABRT, SIGTRAP,
	};
	struct workq *q = xcalloc(1, sizeof(*q));
	sigset_t all, old;

	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	q->batch = batch;
	q->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->done_fd < 0)
		msg_fatal("eventfd: %m");
	ev_io_set(q->done_fd, EV_READ, on_done, q);
	/* Threads start with their creator's mask. */
	sigfillset(&all);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigdelset(&all, faults[i]);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		msg_fatal("pthread_sigmask failed");
	for (unsigned i = 0; i < threads; i++) {
		pthread_t t;
		int rc = pthread_create(&t, NULL, worker, q);

		if (rc != 0) {
			errno = rc;
			msg_fatal("cannot start a worker thread: %m");
		}
		pthread_detach(t);
	}
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return q;
}

void
workq_submit(struct workq *q, struct workq_job *j)
{
	pthread_mutex_lock(&q->lock);
	j->next = NULL;
	if (q->todo_tail != NULL)
		q->todo_tail->next = j;
	else
		q->todo = j;
	q->todo_tail = j;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->lock);
}
