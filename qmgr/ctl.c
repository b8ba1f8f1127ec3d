/*
 * NAME
 *	ctl - requests from `postern queue` on qmgr's socket
 * DESCRIPTION
 *	FLUSH retries the deferred queue now.  HOLD, RELEASE and DELETE
 *	act on one queue ID in whichever queue holds it; a message being
 *	delivered right now is marked and acted on when its deliveries
 *	in flight end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/proto_qmgr.h"
#include "mail/queue.h"
#include "qmgr/qmgr.h"
#include "util/daemon.h"
#include "util/log.h"

/* answer - the reply */
static void
answer(struct ipc_conn *c, uint64_t id, const char *error)
{
	struct ipc_msg r;

	ipc_msg_init(&r, QMGR_T_REPLY);
	if (ipc_put_u64(&r, "id", id) < 0 ||
	    ipc_put_u64(&r, "status", error == NULL ? IPC_OK : IPC_EFAIL) < 0 ||
	    (error != NULL && ipc_put_str(&r, "error", error) < 0) ||
	    ipc_conn_send(c, &r) < 0)
		msg_warn("cannot answer a queue request");
	ipc_msg_free(&r);
}

/* where - the queue directory holding qid, or NULL */
static const char *
where(const char *qid)
{
	static const char *const dirs[] = { QUEUE_INCOMING, QUEUE_DEFERRED,
	    QUEUE_HOLD, QUEUE_CORRUPT, NULL };
	char path[64];

	for (const char *const *d = dirs; *d != NULL; d++) {
		snprintf(path, sizeof(path), "%s/%s", *d, qid);
		if (access(path, F_OK) == 0)
			return *d;
	}
	return NULL;
}

/* act - HOLD, RELEASE or DELETE; NULL or the error */
static const char *
act(uint16_t type, const char *qid)
{
	struct qmsg *m = queue_find(qid);
	const char *in = m != NULL ? QUEUE_ACTIVE : where(qid);
	char path[64];

	if (in == NULL)
		return "no such message in the queue";
	if (m != NULL) {
		if (type == QMGR_T_RELEASE)
			return "message is not on hold";
		if (type == QMGR_T_HOLD)
			m->hold = true;
		else
			m->deleted = true;
		msg_info("%s: %s when its deliveries in flight end", qid,
		    type == QMGR_T_HOLD ? "held" : "deleted");
		queue_done(m);
		return NULL;
	}
	switch (type) {
	case QMGR_T_HOLD:
		if (queue_move(qid, in, QUEUE_HOLD) < 0)
			return "cannot move to hold/";
		msg_info("%s: held (was in %s/)", qid, in);
		return NULL;
	case QMGR_T_RELEASE:
		if (in[0] != 'h')
			return "message is not on hold";
		/* Due at once: deferred/ with an mtime in the past. */
		snprintf(path, sizeof(path), QUEUE_HOLD "/%s", qid);
		{
			struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
			    { .tv_sec = 1 } };

			(void)utimensat(AT_FDCWD, path, ts, 0);
		}
		if (queue_move(qid, QUEUE_HOLD, QUEUE_DEFERRED) < 0)
			return "cannot move to deferred/";
		msg_info("%s: released from hold", qid);
		queue_scan_deferred(false);
		return NULL;
	default:
		snprintf(path, sizeof(path), "%s/%s", in, qid);
		if (unlink(path) < 0)
			return "cannot remove the queue file";
		msg_info("%s: removed by the administrator (was in %s/)", qid,
		    in);
		return NULL;
	}
}

/* on_msg - one request */
static void
on_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	uint64_t id = 0;
	const char *qid;

	(void)ctx;
	if (ipc_get_u64(m, "id", IPC_REQUIRED, &id) < 0) {
		answer(c, 0, "malformed request");
		return;
	}
	if (m->type == QMGR_T_FLUSH) {
		msg_info("flush requested");
		queue_scan_deferred(true);
		queue_scan_incoming();
		answer(c, id, NULL);
		return;
	}
	if ((m->type != QMGR_T_HOLD && m->type != QMGR_T_RELEASE &&
	    m->type != QMGR_T_DELETE) ||
	    ipc_get_str(m, "qid", IPC_REQUIRED, &qid) < 0 ||
	    !qid_valid(qid)) {
		answer(c, id, "malformed request");
		return;
	}
	answer(c, id, act(m->type, qid));
}

void
ctl_accept(int fd)
{
	daemon_ipc_serve(fd, QMGR_PROTO, QMGR_MAJOR, QMGR_MINOR, on_msg, NULL);
}
