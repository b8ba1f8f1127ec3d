/*
 * queue.h - the queue directories and the one way a file enters the queue
 * (DESIGN 4, doc/queue-file.md).
 *
 * A new queue file is written in tmp/ under its queue ID, fsync'ed by
 * qfile_write_end(), then renamed into incoming/ and the directory
 * fsync'ed: only then does the message exist.  smtpd does this for every
 * message it accepts and qmgr for every bounce it sends.  Paths are
 * relative to a directory descriptor for the queue directory (AT_FDCWD in
 * the daemons, which run inside it).
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stddef.h>

#include "mail/qfile.h"
#include "mail/qid.h"

#define QUEUE_TMP	"tmp"
#define QUEUE_INCOMING	"incoming"
#define QUEUE_ACTIVE	"active"
#define QUEUE_DEFERRED	"deferred"
#define QUEUE_HOLD	"hold"
#define QUEUE_CORRUPT	"corrupt"

/* Every queue directory, tmp first; NULL-terminated. */
extern const char *const queue_dirs[];

/* queue_make_dirs - create the missing queue directories (mode 0700).
 * Returns 0, or -1 with errno and *which naming the directory. */
int queue_make_dirs(int qfd, const char **which);

/* A queue file being written. */
struct queue_new {
	int qfd;
	char qid[QID_SIZE];
	int fd;			/* tmp/QID, open for writing */
	struct qfile_writer w;
};

/*
 * queue_new_begin - a fresh queue ID, tmp/QID created, and the envelope
 * written (e->qid is filled in).  max is the message size limit (0: none).
 * Returns 0, or -1 with errno (nothing is left behind).
 */
int queue_new_begin(struct queue_new *q, int qfd, struct qfile_env *e,
    uint64_t max) __attribute__((warn_unused_result));
/* queue_new_data - message bytes; -1 with errno (EFBIG: over max). */
int queue_new_data(struct queue_new *q, const void *p, size_t n)
	__attribute__((warn_unused_result));
/*
 * queue_new_commit - finish, fsync, rename into incoming/, fsync the
 * directory.  Returns 0 (the message is queued) or -1 with errno, in
 * which case the file is removed.
 */
int queue_new_commit(struct queue_new *q) __attribute__((warn_unused_result));
/*
 * queue_new_stage, queue_new_unstage - queue_new_commit in two halves,
 * for committing many files with one directory fsync: stage each (file
 * fsync'ed and renamed into incoming/, or -1 with errno and the file
 * removed), then file_fsync_dir(qfd, QUEUE_INCOMING) once; if that fails,
 * unstage every staged file and report failure for all.
 */
int queue_new_stage(struct queue_new *q) __attribute__((warn_unused_result));
void queue_new_unstage(struct queue_new *q);
/* queue_new_abort - remove the unfinished file. */
void queue_new_abort(struct queue_new *q);

#endif
