/*
 * qmgr.h - the queue manager; qmgr(8), DESIGN 4.
 *
 * The only process that moves queue files.  New files appear in
 * incoming/ (inotify wakes us; a periodic scan catches anything missed);
 * each is renamed into active/, read, and every recipient not yet done
 * becomes a job for a transport (local, or relay_transport for other
 * hosts).  Outcomes are appended to the file as D records.  When every
 * recipient has an outcome the message is finished: bounces are sent for
 * failures, and the file is removed, or moved to deferred/ with its mtime
 * set to the next try when some recipients must be tried again.
 */
#ifndef POSTERN_QMGR_H
#define POSTERN_QMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/qfile.h"
#include "mail/resolve.h"

struct qmsg {
	char qid[QID_SIZE];
	bool hold;		/* postern queue hold: to hold/ when done */
	bool deleted;		/* postern queue delete: remove when done */
	struct qfile_env env;
	unsigned in_flight;	/* jobs handed to a transport */
	unsigned queued;	/* jobs waiting for a transport */
	bool dirty;		/* D records since the last fsync */
	struct qmsg *prev, *next;
};

struct dest;

struct job {
	struct qmsg *msg;
	size_t rcpt;		/* index into msg->env.rcpts */
	struct resolved res;	/* what routing found, for the agent */
	char *nexthop;		/* relay: domain or transport_maps next hop */
	struct dest *dest;	/* relay, in flight: its next hop's counters */
	bool dsn_passed;	/* the next hop took on its DSN duty */
	struct job *next;
};

/* main.c */
extern struct resolver qmgr_resolver;
extern unsigned qmgr_active;	/* messages in memory */

/* queue.c: scanning and moving files */
void queue_init(void);
void queue_scan_incoming(void);
void queue_scan_deferred(bool all);
void queue_recover_active(void);
/* queue_done - every recipient of m has an outcome for now */
void queue_done(struct qmsg *m);
/* queue_record - append the outcome of recipient i */
void queue_record(struct qmsg *m, size_t i, enum qfile_state st,
    const char *dsn, const char *text);
/* queue_open - open active/QID (no descriptor is kept per message, so
 * the active limit is not bounded by fd_limit); fd or -1 */
int queue_open(const struct qmsg *m, int flags);
/* queue_find - an active message by ID, or NULL */
struct qmsg *queue_find(const char *qid);
/* queue_move - rename qid from one queue to another; 0 or -1 */
int queue_move(const char *qid, const char *from, const char *to);

/* deliver.c: transports */
void deliver_init(void);
void deliver_enqueue(struct qmsg *m, size_t rcpt);

/* bounce.c */
/* bounce_send - return the bounced recipients of m to its sender, one
 * DSN for all, and mark them notified; 0, or -1 to try again later */
int bounce_send(struct qmsg *m);
/* success_send - the same for delivered recipients with NOTIFY=SUCCESS */
int success_send(struct qmsg *m);
/* delay_send - tell the sender, once, that m's deferred recipients are
 * still being retried (delay_warning_time); recorded in the file */
int delay_send(struct qmsg *m);

/* ctl.c: requests from `postern queue` */
void ctl_accept(int fd);

#endif
