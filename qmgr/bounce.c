/*
 * NAME
 *	bounce - delivery status notifications (RFC 3464, RFC 3461)
 * DESCRIPTION
 *	One multipart/report per message for all its failed recipients
 *	(and one for those delivered that asked for NOTIFY=SUCCESS, and
 *	one, once, for those still waiting after delay_warning_time),
 *	queued like any message (from the null sender, so that it can
 *	never cause another bounce), to the envelope sender.  Recipients
 *	that asked for NOTIFY=NEVER, or NOTIFY without FAILURE, are left
 *	out; RET=HDRS returns only the header, and so does a message over
 *	bounce_size_limit.  A message from the null sender is never
 *	bounced (RFC 5321 6.1, RFC 3461 5.2.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/params.h"
#include "mail/queue.h"
#include "mail/smtp_args.h"
#include "qmgr/qmgr.h"
#include "util/log.h"
#include "util/mem.h"

/* The notices: failures (bounces), successes when asked, delays. */
struct dsn_kind {
	enum qfile_state state;	/* recipients in this state are reported */
	const char *subject;
	const char *summary;
	const char *action;	/* RFC 3464 Action */
	char status_class;	/* first digit of the reported Status */
};

static const struct dsn_kind failure = {
	QFILE_BOUNCED, "Undelivered Mail Returned to Sender",
	"Your message could not be delivered to one or more recipients.",
	"failed", '5',
};

static const struct dsn_kind success = {
	QFILE_DELIVERED, "Successful Mail Delivery Report",
	"Your message was delivered to the recipients below, as you asked "
	"(DSN NOTIFY=SUCCESS).", "delivered", '2',
};

static const struct dsn_kind delay = {
	QFILE_DEFERRED, "Delayed Mail (still being retried)",
	"Your message has not been delivered yet to the recipients below.\r\n"
	"The mail system will keep trying (see Will-Retry-Until); you do not "
	"need to send it again.", "delayed", '4',
};

/* wants - RFC 3461 NOTIFY: absent means FAILURE (and DELAY) only */
static bool
wants(const struct dsn_kind *k, const struct qfile_rcpt *r)
{
	if (r->state != k->state)
		return false;
	if (k == &success)
		return (r->notify & SMTP_NOTIFY_SUCCESS) != 0;
	/* RFC 3461 4.1 leaves "no NOTIFY" to us: failures and delays. */
	if (k == &delay)
		return r->notify == 0 || (r->notify & SMTP_NOTIFY_DELAY);
	return r->notify == 0 || (r->notify & SMTP_NOTIFY_FAILURE);
}

/* date_text - RFC 5322 date of t */
static void
date_text(time_t t, char *out, size_t size)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

/* header_len - the length of the original's header (up to the blank
 * line), at most len */
static uint64_t
header_len(int fd, uint64_t off, uint64_t len)
{
	char buf[8192];
	uint64_t pos = 0;
	int state = 0;		/* matched bytes of "\r\n\r\n" */

	while (pos < len) {
		size_t want = len - pos < sizeof(buf) ? (size_t)(len - pos) :
		    sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)(off + pos));

		if (n <= 0)
			return pos;
		for (ssize_t i = 0; i < n; i++) {
			static const char end[] = "\r\n\r\n";

			state = buf[i] == end[state] ? state + 1 :
			    (buf[i] == '\r' ? 1 : 0);
			if (state == 4)
				return pos + (uint64_t)i + 1;
		}
		pos += (uint64_t)n;
	}
	return len;
}

/* copy_original - len bytes of the original into the bounce */
static int
copy_original(struct queue_new *q, int fd, uint64_t off, uint64_t len)
{
	char buf[65536];

	while (len > 0) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		if (queue_new_data(q, buf, (size_t)n) < 0)
			return -1;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* report - the text and delivery-status parts into b */
static int
report(const struct dsn_kind *k, struct qmsg *m, struct buf *b,
    const char *boundary)
{
	char date[64], until[64];
	int rc = 0;

	date_text(time(NULL), date, sizeof(date));
	rc |= buf_appendf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	    "To: <%s>\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%s.%s@%s>\r\n"
	    "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated message.\r\n\r\n--%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Description: Notification\r\n\r\n"
	    "This is the mail system at host %s.\r\n\r\n%s\r\n"
	    "The details are below; the message, or its header, is "
	    "attached.\r\n\r\n", var_myhostname, m->env.sender, k->subject,
	    date, m->qid, k->action, var_myhostname, boundary, boundary,
	    var_myhostname, k->summary);
	for (size_t i = 0; i < m->env.n_rcpts; i++) {
		struct qfile_rcpt *r = &m->env.rcpts[i];

		if (wants(k, r))
			rc |= buf_appendf(b, "<%s>: %s%s\r\n", r->address,
			    r->reason != NULL ? r->reason : k->action,
			    k == &success && r->relayed ? " (relayed to a "
			    "server that sends no delivery notices)" : "");
	}
	date_text(m->env.arrival.tv_sec, date, sizeof(date));
	rc |= buf_appendf(b, "\r\n--%s\r\nContent-Type: message/delivery-"
	    "status\r\nContent-Description: Delivery report\r\n\r\n"
	    "Reporting-MTA: dns; %s\r\nX-Postern-Queue-ID: %s\r\n",
	    boundary, var_myhostname, m->qid);
	if (m->env.envid != NULL)
		rc |= buf_appendf(b, "Original-Envelope-Id: %s\r\n",
		    m->env.envid);
	rc |= buf_appendf(b, "Arrival-Date: %s\r\n", date);
	for (size_t i = 0; i < m->env.n_rcpts; i++) {
		struct qfile_rcpt *r = &m->env.rcpts[i];
		const char *reason = r->reason != NULL ? r->reason : "5.0.0 "
		    "failed";
		size_t dl = strcspn(reason, " ");

		if (!wants(k, r))
			continue;
		rc |= buf_appendf(b, "\r\nFinal-Recipient: rfc822; %s\r\n",
		    r->address);
		if (r->orcpt != NULL)
			rc |= buf_appendf(b, "Original-Recipient: %s\r\n",
			    r->orcpt);
		/* A temporary code that ran out of time is reported as
		 * the permanent failure it became. */
		rc |= buf_appendf(b, "Action: %s\r\nStatus: %c%.*s\r\n"
		    "Diagnostic-Code: X-Postern; %s\r\n",
		    k == &success && r->relayed ? "relayed" : k->action,
		    k->status_class, (int)dl - 1, reason + 1, reason[dl] !=
		    '\0' ? reason + dl + 1 : "");
		if (k == &delay && var_maximal_queue_lifetime > 0) {
			date_text(m->env.arrival.tv_sec +
			    (time_t)var_maximal_queue_lifetime, until,
			    sizeof(until));
			rc |= buf_appendf(b, "Will-Retry-Until: %s\r\n", until);
		}
	}
	return rc;
}

/* dsn_send - one notice of kind k for m; 0, or -1 to try again later */
static int
dsn_send(const struct dsn_kind *k, struct qmsg *m)
{
	struct qfile_rcpt to = { 0 };
	struct qfile_env e = { 0 };
	struct queue_new q;
	struct buf b = BUF_INIT;
	char boundary[64];
	bool full, any = false;
	uint64_t len;
	int rc, rfd;

	for (size_t i = 0; i < m->env.n_rcpts; i++)
		any |= wants(k, &m->env.rcpts[i]);
	if (m->env.sender[0] == '\0' || !any) {
		if (any)
			msg_info("%s: sender is <>: no %s notice (RFC 5321 "
			    "6.1)", m->qid, k == &failure ? "bounce" :
			    "delivery");
		goto notified;
	}
	gettimeofday(&e.arrival, NULL);
	e.client_addr = "127.0.0.1";
	e.client_helo = var_myhostname;
	e.protocol = "BOUNCE";
	e.sender = "";
	e.body = strcmp(m->env.body, "7BIT") == 0 ? "7BIT" : "8BITMIME";
	e.smtputf8 = m->env.smtputf8;
	to.address = m->env.sender;
	to.notify = SMTP_NOTIFY_NEVER;
	e.rcpts = &to;
	e.n_rcpts = 1;
	if ((rfd = queue_open(m, O_RDONLY)) < 0) {
		msg_warn("%s: cannot read the message to bounce: %m", m->qid);
		return -1;
	}
	if (queue_new_begin(&q, AT_FDCWD, &e, 0) < 0) {
		msg_warn("%s: cannot create bounce: %m", m->qid);
		close(rfd);
		return -1;
	}
	snprintf(boundary, sizeof(boundary), "%s/%s", q.qid, var_myhostname);
	/* A delay notice carries the header only: the message is not
	 * returned, it is still on its way. */
	full = k != &delay && (m->env.ret == NULL ||
	    strcmp(m->env.ret, "HDRS") != 0) &&
	    m->env.msg_len <= var_bounce_size_limit;
	len = full ? m->env.msg_len : header_len(rfd, m->env.msg_offset,
	    m->env.msg_len);
	rc = report(k, m, &b, boundary);
	rc |= buf_appendf(&b, "\r\n--%s\r\nContent-Type: %s\r\n"
	    "Content-Description: Undelivered %s\r\n\r\n", boundary,
	    full ? "message/rfc822" : "text/rfc822-headers",
	    full ? "Message" : "Message Headers");
	if (rc != 0 || queue_new_data(&q, b.data, b.len) < 0 ||
	    copy_original(&q, rfd, m->env.msg_offset, len) < 0 ||
	    (buf_reset(&b), buf_appendf(&b, "\r\n--%s--\r\n", boundary)) <
	    0 || queue_new_data(&q, b.data, b.len) < 0 ||
	    queue_new_commit(&q) < 0) {
		msg_warn("%s: cannot write bounce: %m", m->qid);
		queue_new_abort(&q);
		buf_free(&b);
		close(rfd);
		return -1;
	}
	buf_free(&b);
	close(rfd);
	msg_info("%s: sender %s notification: %s", m->qid, k == &failure ?
	    "non-delivery" : k == &delay ? "delay" : "delivery status", q.qid);
notified:
	if (k == &delay)
		return 0;	/* they are still waiting: no state changes */
	for (size_t i = 0; i < m->env.n_rcpts; i++) {
		char *reason;
		size_t dl;

		if (m->env.rcpts[i].state != k->state ||
		    (k == &success && !wants(k, &m->env.rcpts[i])))
			continue;
		reason = xstrdup(m->env.rcpts[i].reason != NULL ?
		    m->env.rcpts[i].reason : k == &failure ? "5.0.0 bounced" :
		    "2.0.0 delivered");
		dl = strcspn(reason, " ");
		if (reason[dl] != '\0')
			reason[dl++] = '\0';
		queue_record(m, i, QFILE_NOTIFIED, reason, reason + dl);
		free(reason);
	}
	return 0;
}

int
delay_send(struct qmsg *m)
{
	bool any = false;
	int fd;

	/* Nobody to tell yet: ask again after the next try. */
	for (size_t i = 0; i < m->env.n_rcpts; i++)
		any |= wants(&delay, &m->env.rcpts[i]);
	if (!any)
		return 0;
	if (dsn_send(&delay, m) < 0)
		return -1;
	/* Once per message: the W record says it went. */
	m->env.warned = (uint64_t)time(NULL);
	m->dirty = true;
	fd = queue_open(m, O_RDWR);
	if (fd < 0 || qfile_append_warned(fd, m->env.warned) < 0)
		msg_warn("%s: cannot record the delay notice: %m", m->qid);
	if (fd >= 0)
		close(fd);
	return 0;
}

int
bounce_send(struct qmsg *m)
{
	return dsn_send(&failure, m);
}

int
success_send(struct qmsg *m)
{
	return dsn_send(&success, m);
}
