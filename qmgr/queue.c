/*
 * NAME
 *	queue - qmgr's view of the queue directories
 * DESCRIPTION
 *	incoming/ -> active/ by rename when qmgr takes a message on;
 *	active/ -> deferred/ (mtime = next try), hold/, corrupt/, or
 *	removed, when it is finished for now.  At start everything left in
 *	active/ by a previous qmgr is taken on again first: those are
 *	messages whose outcome was not settled, and recipients without a
 *	final D record are tried again (a duplicate is possible, a loss
 *	is not).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/params.h"
#include "mail/queue.h"
#include "mail/smtp_args.h"
#include "qmgr/qmgr.h"
#include "util/counters.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"

unsigned qmgr_active;
static struct qmsg *msgs;
#define QUEUE_GAUGE_MS	2000

static bool incoming_waiting;	/* skipped files at the active limit */
static struct ev_timer *scan_timer, *deferred_timer, *kick_timer;
static struct ev_timer *gauge_timer;

int
queue_move(const char *qid, const char *from, const char *to)
{
	char a[64], b[64];

	int na = snprintf(a, sizeof(a), "%s/%s", from, qid);
	int nb = snprintf(b, sizeof(b), "%s/%s", to, qid);

	if (na < 0 || nb < 0 || (size_t)na >= sizeof(a) ||
	    (size_t)nb >= sizeof(b)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return rename(a, b);
}

struct qmsg *
queue_find(const char *qid)
{
	for (struct qmsg *m = msgs; m != NULL; m = m->next)
		if (strcmp(m->qid, qid) == 0)
			return m;
	return NULL;
}

/* kicked - room again under qmgr_message_active_limit */
static void
kicked(void *ctx)
{
	(void)ctx;
	kick_timer = NULL;
	queue_scan_incoming();
}

/* msg_free - forget m */
static void
msg_free(struct qmsg *m)
{
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		msgs = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	qfile_env_free(&m->env);
	free(m);
	qmgr_active--;
	if (incoming_waiting && kick_timer == NULL)
		kick_timer = ev_timer_add(0, kicked, NULL);
}

int
queue_open(const struct qmsg *m, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), QUEUE_ACTIVE "/%s", m->qid);
	return open(path, flags | O_CLOEXEC);
}

/* retry_later - scan incoming/ again in a second */
static void
retry_later(void)
{
	if (kick_timer == NULL)
		kick_timer = ev_timer_add(1000, kicked, NULL);
}

/* load - take on active/QID */
static void
load(const char *qid)
{
	const char *why;
	struct qmsg *m = xcalloc(1, sizeof(*m));
	size_t todo = 0;
	int fd;

	snprintf(m->qid, sizeof(m->qid), "%s", qid);
	fd = queue_open(m, O_RDONLY);
	if (fd < 0) {
		/* Out of descriptors or memory: put it back for later. */
		msg_warn("%s: cannot open: %m; trying again later", qid);
		(void)queue_move(qid, QUEUE_ACTIVE, QUEUE_INCOMING);
		free(m);
		retry_later();
		return;
	}
	if (qfile_read(fd, &m->env, &why) < 0) {
		msg_warn("%s: not a valid queue file (%s); moved to "
		    QUEUE_CORRUPT "/", qid, why);
		(void)queue_move(qid, QUEUE_ACTIVE, QUEUE_CORRUPT);
		close(fd);
		free(m);
		return;
	}
	close(fd);
	m->next = msgs;
	if (msgs != NULL)
		msgs->prev = m;
	msgs = m;
	qmgr_active++;
	for (size_t i = 0; i < m->env.n_rcpts; i++) {
		enum qfile_state st = m->env.rcpts[i].state;

		if (st == QFILE_PENDING || st == QFILE_DEFERRED) {
			deliver_enqueue(m, i);
			todo++;
		}
	}
	if (todo == 0)
		queue_done(m);
}

/* valid_name - a queue ID, nothing else (no dot files, no strays) */
static bool
valid_name(const char *name)
{
	return qid_valid(name);
}

void
queue_scan_incoming(void)
{
	DIR *d = opendir(QUEUE_INCOMING);
	struct dirent *e;

	incoming_waiting = false;
	if (d == NULL) {
		msg_warn("cannot read " QUEUE_INCOMING "/: %m");
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!valid_name(e->d_name))
			continue;
		if (qmgr_active >= var_qmgr_active_limit) {
			incoming_waiting = true;
			break;
		}
		if (queue_move(e->d_name, QUEUE_INCOMING, QUEUE_ACTIVE) < 0) {
			if (errno != ENOENT)
				msg_warn("%s: cannot move to " QUEUE_ACTIVE
				    "/: %m", e->d_name);
			continue;
		}
		load(e->d_name);
	}
	closedir(d);
}

void
queue_scan_deferred(bool all)
{
	DIR *d = opendir(QUEUE_DEFERRED);
	struct dirent *e;
	struct stat st;
	time_t now = time(NULL);
	char path[64];

	if (d == NULL) {
		msg_warn("cannot read " QUEUE_DEFERRED "/: %m");
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!valid_name(e->d_name))
			continue;
		if (qmgr_active >= var_qmgr_active_limit)
			break;
		snprintf(path, sizeof(path), QUEUE_DEFERRED "/%.20s", e->d_name);
		if (!all && (stat(path, &st) < 0 || st.st_mtime > now))
			continue;
		if (queue_move(e->d_name, QUEUE_DEFERRED, QUEUE_ACTIVE) < 0)
			continue;
		load(e->d_name);
	}
	closedir(d);
}

void
queue_recover_active(void)
{
	DIR *d = opendir(QUEUE_ACTIVE);
	struct dirent *e;
	unsigned n = 0;

	if (d == NULL)
		msg_fatal("cannot read " QUEUE_ACTIVE "/: %m");
	while ((e = readdir(d)) != NULL) {
		if (!valid_name(e->d_name) || queue_find(e->d_name) != NULL)
			continue;
		load(e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		msg_info("recovered %u messages from " QUEUE_ACTIVE "/", n);
}

/* A file in tmp/ untouched this long has no smtpd writing it any more:
 * smtpd gives up on a silent client after these timeouts. */
#define TMP_STALE_AFTER \
	((var_smtpd_data_timeout > var_smtpd_timeout ? \
	var_smtpd_data_timeout : var_smtpd_timeout) + 60)

/* remove_stale_tmp - files smtpd left in tmp/ when it died mid-message */
static void
remove_stale_tmp(void)
{
	DIR *d = opendir(QUEUE_TMP);
	struct dirent *e;
	struct stat st;
	char path[64];
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!valid_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), QUEUE_TMP "/%.20s", e->d_name);
		/* Old enough that no smtpd can still be writing it. */
		if (stat(path, &st) == 0 && now - st.st_mtime >
		    (time_t)(TMP_STALE_AFTER)) {
			msg_info("%s: removing unfinished file from "
			    QUEUE_TMP "/", e->d_name);
			(void)unlink(path);
		}
	}
	closedir(d);
}

void
queue_record(struct qmsg *m, size_t i, enum qfile_state st,
    const char *dsn, const char *text)
{
	struct qfile_rcpt *r = &m->env.rcpts[i];
	char *reason = xasprintf("%s %s", dsn, text);
	int fd;

	r->state = st;
	r->state_time = (uint64_t)time(NULL);
	free(r->reason);
	r->reason = reason;
	m->dirty = true;
	/* A lone recipient's outcome needs no record when the file is
	 * removed right after; queue_done writes it if the file stays. */
	if (m->env.n_rcpts == 1 && st != QFILE_DEFERRED)
		return;
	fd = queue_open(m, O_RDWR);
	if (fd < 0 || qfile_append_state(fd, i, st, r->state_time,
	    reason) < 0)
		msg_warn("%s: cannot record the outcome for <%s>: %m", m->qid,
		    r->address);
	if (fd >= 0)
		close(fd);
}

/* next_try - when a deferred message is tried again */
static time_t
next_try(const struct qmsg *m)
{
	time_t now = time(NULL);
	uint64_t age = (uint64_t)(now - m->env.arrival.tv_sec);
	uint64_t delay = age;

	if (delay < var_minimal_backoff_time)
		delay = var_minimal_backoff_time;
	if (delay > var_maximal_backoff_time)
		delay = var_maximal_backoff_time;
	return now + (time_t)delay;
}

void
queue_done(struct qmsg *m)
{
	time_t now = time(NULL);
	/* A clock stepped back gives a negative age: treat it as new. */
	uint64_t age = now > m->env.arrival.tv_sec ?
	    (uint64_t)(now - m->env.arrival.tv_sec) : 0;
	bool expired = var_maximal_queue_lifetime > 0 &&
	    age >= var_maximal_queue_lifetime;
	size_t deferred = 0, owed = 0, told = 0, waiting = 0;
	char path[64];
	const char *to;
	int fd;

	if (m->in_flight > 0 || m->queued > 0)
		return;
	for (size_t i = 0; i < m->env.n_rcpts && !m->deleted; i++) {
		struct qfile_rcpt *r = &m->env.rcpts[i];

		if (r->state == QFILE_DEFERRED && expired) {
			char *text = xasprintf("message expired in the queue; "
			    "last attempt: %s", r->reason != NULL ? r->reason :
			    "none recorded");

			msg_info("%s: to=<%s>, status=expired, returned to "
			    "sender (%s)", m->qid, r->address, text);
			queue_record(m, i, QFILE_BOUNCED, "4.4.7", text);
			free(text);
		}
		switch (r->state) {
		case QFILE_DEFERRED:
			waiting++;	/* tried, and still being retried */
			/* FALLTHROUGH */
		case QFILE_PENDING:
			deferred++;
			break;
		case QFILE_BOUNCED:
			owed++;
			break;
		case QFILE_DELIVERED:
			if (r->notify & SMTP_NOTIFY_SUCCESS)
				told++;
			break;
		default:
			break;
		}
	}
	if (told > 0 && !m->deleted) {
		if (success_send(m) < 0)
			deferred++;	/* try the notice again later */
	}
	if (owed > 0 && !m->deleted) {
		if (bounce_send(m) < 0)
			deferred++;	/* try the bounce again later */
	}
	snprintf(path, sizeof(path), QUEUE_ACTIVE "/%s", m->qid);
	if (m->deleted || deferred == 0) {
		if (unlink(path) < 0)
			msg_warn("%s: cannot remove %s: %m", m->qid, path);
		else
			msg_info("%s: removed", m->qid);
		msg_free(m);
		return;
	}
	/* Still being retried after delay_warning_time: tell the sender,
	 * once (not while on hold: nothing is being tried then). */
	if (waiting > 0 && !m->hold && m->env.warned == 0 &&
	    var_delay_warning_time > 0 && age >= var_delay_warning_time)
		(void)delay_send(m);
	/* Keep it: the D records must survive what comes next. */
	fd = queue_open(m, O_RDWR);
	if (fd >= 0 && m->env.n_rcpts == 1 &&
	    m->env.rcpts[0].state != QFILE_DEFERRED &&
	    m->env.rcpts[0].state != QFILE_PENDING &&
	    qfile_append_state(fd, 0, m->env.rcpts[0].state,
	    m->env.rcpts[0].state_time, m->env.rcpts[0].reason) < 0)
		msg_warn("%s: cannot record the outcome: %m", m->qid);
	if (fd < 0 || (m->dirty && fdatasync(fd) < 0))
		msg_warn("%s: cannot sync the queue file: %m", m->qid);
	to = m->hold ? QUEUE_HOLD : QUEUE_DEFERRED;
	if (!m->hold && fd >= 0) {
		struct timespec ts[2] = {
			{ .tv_nsec = UTIME_OMIT },
			{ .tv_sec = next_try(m) },
		};

		(void)futimens(fd, ts);
	}
	if (fd >= 0)
		close(fd);
	if (queue_move(m->qid, QUEUE_ACTIVE, to) < 0)
		msg_warn("%s: cannot move to %s/: %m", m->qid, to);
	msg_free(m);
}

/* on_inotify - something arrived in incoming/ */
static void
on_inotify(int fd, int events, void *ctx)
{
	char drain[4096];

	(void)events;
	(void)ctx;
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	queue_scan_incoming();
}

/* periodic - the safety net under inotify, and the deferred queue */
static void
periodic_incoming(void *ctx)
{
	(void)ctx;
	scan_timer = ev_timer_add(10000, periodic_incoming, NULL);
	queue_scan_incoming();
}

static void
periodic_deferred(void *ctx)
{
	(void)ctx;
	deferred_timer = ev_timer_add(var_queue_run_delay * 1000,
	    periodic_deferred, NULL);
	remove_stale_tmp();
	queue_scan_deferred(false);
}

/* count_dir - queue files in one queue directory */
static uint64_t
count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (valid_name(e->d_name))
			n++;
	closedir(d);
	return n;
}

/* gauges - the size of each queue, for the metrics (one readdir each,
 * every QUEUE_GAUGE_MS: cheap next to the scans above) */
static void
gauges(void *ctx)
{
	static const char *const dirs[] = { QUEUE_INCOMING, QUEUE_ACTIVE,
	    QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_CORRUPT };
	char labels[32];

	(void)ctx;
	gauge_timer = ev_timer_add(QUEUE_GAUGE_MS, gauges, NULL);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(labels, sizeof(labels), "queue=%s", dirs[i]);
		gauge_set("qmgr_queue_messages", labels, count_dir(dirs[i]));
	}
}

void
queue_init(void)
{
	const char *which;
	int fd;

	if (queue_make_dirs(AT_FDCWD, &which) < 0)
		msg_fatal("cannot create queue directory %s: %m", which);
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, QUEUE_INCOMING, IN_MOVED_TO) < 0)
		msg_warn("inotify on " QUEUE_INCOMING "/: %m; scanning every "
		    "10 seconds instead");
	else
		ev_io_set(fd, EV_READ, on_inotify, NULL);
	scan_timer = ev_timer_add(10000, periodic_incoming, NULL);
	deferred_timer = ev_timer_add(var_queue_run_delay * 1000,
	    periodic_deferred, NULL);
	gauges(NULL);
}
