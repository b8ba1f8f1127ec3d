/*
 * workq.h - a few threads for blocking work (fsync, password hashing) so
 * that an event loop does not wait on it.
 *
 * A job's work runs in a worker thread and must touch only the job's own
 * data; its done callback then runs in the event loop.  With a batch
 * function, a worker takes every job waiting when it wakes and hands them
 * over together (smtpd commits many messages with one directory fsync).
 */
#ifndef POSTERN_WORKQ_H
#define POSTERN_WORKQ_H

struct workq_job {
	void (*work)(struct workq_job *);	/* in a worker thread */
	void (*done)(struct workq_job *);	/* in the loop, after */
	struct workq_job *next;
};

struct workq;

/* workq_new - threads workers; batch (optional) replaces per-job work
 * and gets the list of jobs taken together.  Fatal on failure. */
struct workq *workq_new(unsigned threads,
    void (*batch)(struct workq_job *list));
void workq_submit(struct workq *q, struct workq_job *j);

#endif
