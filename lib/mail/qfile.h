/*
 * qfile.h - the queue file: one message and its envelope (DESIGN 4).
 *
 * Layout (doc/queue-file.md): a version line, envelope records one per
 * line ("S sender", "R notify orcpt address", ...), a fixed-width length
 * record, the message bytes exactly as received (CRLF line ends, dots
 * unstuffed), and "E", the mark of a complete file.  After "E" the queue
 * manager only appends per-recipient state records ("D index status time
 * text"); nothing is ever rewritten once the file has been
 * renamed into the queue.
 *
 * Text values are escaped (\\, \n, \r, \xNN for other controls) so that
 * every record stays one line whatever a client sent.
 */
#ifndef POSTERN_QFILE_H
#define POSTERN_QFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "mail/qid.h"
#include "util/buf.h"

#define QFILE_VERSION		"POSTERN-QUEUE 1"
#define QFILE_LINE_MAX		8192
#define QFILE_RCPT_MAX		100000

/* A recipient's state, from the last D record about it. */
enum qfile_state {
	QFILE_PENDING = 0,	/* no attempt recorded yet */
	QFILE_DELIVERED = 'S',	/* done */
	QFILE_BOUNCED = 'B',	/* permanent failure; bounce owed */
	QFILE_DEFERRED = 'F',	/* temporary failure; retry */
	QFILE_NOTIFIED = 'N',	/* bounced, and the bounce was sent */
};

struct qfile_rcpt {
	char *address;		/* "user@domain" */
	char *orcpt;		/* "rfc822;..." or NULL */
	unsigned notify;	/* SMTP_NOTIFY_* bits */
	enum qfile_state state;
	char *reason;		/* text of the last D record, or NULL */
	uint64_t state_time;
	bool relayed;		/* qmgr: handed to an MTA without DSN, so
				 * a success notice says "relayed" (not
				 * stored: after a restart it says
				 * "delivered") */
};

struct qfile_env {
	char qid[QID_SIZE];
	struct timeval arrival;
	char *client_addr;	/* "192.0.2.1" */
	char *client_helo;
	char *protocol;		/* "ESMTP", "ESMTPS", "ESMTPSA" */
	char *auth_user;	/* NULL if none */
	char *sender;		/* "" for the null sender */
	char *envid;		/* NULL if none */
	char *body;		/* "7BIT", "8BITMIME", "BINARYMIME" */
	bool smtputf8;
	char *ret;		/* "FULL", "HDRS" or NULL */
	char *quarantine;	/* why it goes to Junk, or NULL */
	char *spam;		/* smtpd's rule score and rules, or NULL */
	uint64_t warned;	/* "W": when the delay notice went; 0: not */
	struct qfile_rcpt *rcpts;
	size_t n_rcpts;
	/* Set by the reader: */
	uint64_t msg_offset;	/* where the message starts in the file */
	uint64_t msg_len;
};

/* ---- writing (smtpd) ---- */

struct qfile_writer {
	int fd;
	struct buf out;
	uint64_t len_at;	/* offset of the length digits */
	uint64_t msg_start;
	uint64_t msg_len;
	uint64_t max;		/* message size limit */
	uint64_t head_at;	/* offset of the head room (0: none) */
	size_t head_size;
	uint64_t flushed;	/* bytes already written to the file */
	int error;		/* errno of the first failure, sticky */
};

/*
 * qfile_write_begin - write the version and envelope to fd (a new, empty
 * file).  max is the message size limit (0: none).  Returns 0, or -1 with
 * errno.
 */
int qfile_write_begin(struct qfile_writer *w, int fd,
    const struct qfile_env *e, uint64_t max)
	__attribute__((warn_unused_result));
/*
 * qfile_write_data - append message bytes.  Returns 0; -1 with errno
 * (EFBIG past max: the caller answers 552 and keeps reading).
 */
int qfile_write_data(struct qfile_writer *w, const void *p, size_t n)
	__attribute__((warn_unused_result));
/*
 * qfile_write_reserve - keep size bytes of head room in front of the
 * message, for what is known only at its end (the results of checking
 * it): call right after qfile_write_begin.  Unused room is a "G" record
 * of spaces that readers skip.  0, or -1 with errno.
 */
int qfile_write_reserve(struct qfile_writer *w, size_t size)
	__attribute__((warn_unused_result));
/* What the end of DATA adds to the envelope: NULL for none. */
struct qfile_head {
	const char *quarantine;	/* why it goes to Junk ("J") */
	const char *spam;	/* "score RULE=w,..." ("Y") */
};
/*
 * qfile_write_head - fill the head room, before qfile_write_end: the
 * records of h and header fields that go in front of the message.  0, or
 * -1 with errno (ENOSPC: they do not fit the room; nothing is written).
 */
int qfile_write_head(struct qfile_writer *w, const struct qfile_head *h,
    const void *head, size_t n) __attribute__((warn_unused_result));
/* qfile_write_flush - write out what is buffered, so that the message
 * so far can be read back from the file; 0, or -1 with errno. */
int qfile_write_flush(struct qfile_writer *w)
	__attribute__((warn_unused_result));
/*
 * qfile_write_end - flush, write the end mark and the length, fsync.
 * Only after this returns 0 may the file be renamed into the queue.
 * Returns 0, or -1 with errno (the caller answers 451 and removes it).
 */
int qfile_write_end(struct qfile_writer *w)
	__attribute__((warn_unused_result));
/* qfile_write_abort - release the writer (the caller unlinks the file). */
void qfile_write_abort(struct qfile_writer *w);

/* ---- reading and state (qmgr) ---- */

/*
 * qfile_read - parse the envelope and every state record of the file on
 * fd.  A file without its end mark, with a bad record, or a length that
 * does not match is refused with *error_r naming the line.  Returns 0 or
 * -1.  Free with qfile_env_free.
 */
int qfile_read(int fd, struct qfile_env *e, const char **error_r)
	__attribute__((warn_unused_result));
void qfile_env_free(struct qfile_env *e);
/*
 * qfile_append_warned - record that the sender was told at when that the
 * message is delayed (a "W" record).
 * qfile_append_state - record the outcome for recipient index, appended
 * in one write.  Not fsync'ed: the caller syncs once before it relies on
 * the records (qmgr, before moving a file to deferred/).  Returns 0, or
 * -1 with errno.
 */
int qfile_append_warned(int fd, uint64_t when)
	__attribute__((warn_unused_result));
int qfile_append_state(int fd, size_t index, enum qfile_state state,
    uint64_t when, const char *reason) __attribute__((warn_unused_result));

/* qfile_escape - append text escaped for a record. */
int qfile_escape(struct buf *out, const char *text)
	__attribute__((warn_unused_result));

#endif
