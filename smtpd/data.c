/*
 * NAME
 *	data - receive a message (DATA, BDAT) into the queue
 * DESCRIPTION
 *	DATA ends only at CRLF "." CRLF.  A bare LF or a bare CR anywhere
 *	in the message (RFC 5321 2.3.8 forbids both) marks it bad: it is
 *	still read to its real end, so that "\n.\n", "\r.\r" or "\n.\r\n"
 *	can never end one message and smuggle the rest in as commands, and
 *	then refused whole with 550 5.6.0.  A line starting with "." loses
 *	that dot (RFC 5321 4.5.2), nothing else is changed.
 *
 *	BDAT chunks (RFC 3030) are taken byte for byte.
 *
 *	The reply to the end of a message is sent only after
 *	queue_new_commit() returned: file fsync'ed, renamed into incoming/,
 *	directory fsync'ed.  Any failure before that answers 451 4.3.0 and
 *	removes the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/hdrdrop.h"
#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/tls.h"

/* The fields spam scoring writes: a sender's own are removed. */
static const char *const spam_fields[] = { "X-Spam-Score", "X-Spam-Status",
	"X-Phishing-Warning", NULL };

/* rfc5322_date - "Tue, 24 Nov 2026 12:00:00 +0000" */
static void
rfc5322_date(char *out, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

/* protocol_name - RFC 3848 with-keyword (RFC 6531 for UTF8) */
static const char *
protocol_name(const struct session *ss)
{
	static const char *const names[2][2][2] = {
		/* [utf8][tls][auth] */
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		{ { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } },
	};

	if (!ss->esmtp)
		return ss->tls ? "SMTPS" : "SMTP";
	return names[ss->mail.smtputf8][ss->tls][ss->auth_user[0] != '\0'];
}

/* received_header - RFC 5321 4.4 trace field, folded */
static int
received_header(struct session *ss, struct buf *b)
{
	char date[64], tls[256];
	int rc = 0;

	rfc5322_date(date, sizeof(date));
	rc |= buf_appendf(b, "Received: from %s ([%s])\r\n\tby %s (Postern) "
	    "with %s id %s", ss->helo, ss->addr, var_myhostname,
	    protocol_name(ss), ss->q.qid);
	if (ss->tls && stream_tls(ss->s) != NULL)
		rc |= buf_appendf(b, "\r\n\t(using %s)",
		    tls_describe(stream_tls(ss->s), tls, sizeof(tls)));
	if (ss->n_rcpts == 1)
		rc |= buf_appendf(b, "\r\n\tfor <%s>", ss->rcpts[0].address);
	rc |= buf_appendf(b, "; %s\r\n", date);
	return rc;
}

/* envelope - the queue file envelope, aliases expanded; -1 after reply */
static int
envelope(struct session *ss, struct qfile_env *e)
{
	static const char *const bodies[] = { "7BIT", "8BITMIME",
	    "BINARYMIME" };
	char **finals = NULL;
	size_t n = 0, from;
	bool permanent;
	const char *why;

	memset(e, 0, sizeof(*e));
	gettimeofday(&e->arrival, NULL);
	e->client_addr = ss->addr;
	e->client_helo = ss->helo;
	e->protocol = (char *)protocol_name(ss);
	/* qmgr has smtp sign what our users send. */
	e->auth_user = ss->auth_user[0] != '\0' ? ss->auth_user : NULL;
	e->envid = ss->mail.envid[0] != '\0' ? ss->mail.envid : NULL;
	e->body = (char *)bodies[ss->mail.body];
	e->smtputf8 = ss->mail.smtputf8;
	e->ret = ss->mail.ret == SMTP_RET_FULL ? "FULL" :
	    ss->mail.ret == SMTP_RET_HDRS ? "HDRS" : NULL;
	for (size_t i = 0; i < ss->n_rcpts; i++) {
		struct smtpd_rcpt *r = &ss->rcpts[i];

		from = n;
		if (resolve_expand(&smtpd_resolver, r->address, &finals, &n,
		    var_alias_expansion_limit, &permanent, &why) < 0) {
			msg_warn("[%s]: <%s>: %s", ss->addr, r->address, why);
			for (size_t j = 0; j < n; j++)
				free(finals[j]);
			free(finals);
			free(e->rcpts);
			if (permanent)
				reply(ss, 554, "5.3.0", "<%s>: %s", r->address,
				    why);
			else
				reply(ss, 451, "4.3.0", "Temporary lookup "
				    "failure");
			return -1;
		}
		e->rcpts = xrealloc(e->rcpts, n * sizeof(*e->rcpts));
		for (size_t j = from; j < n; j++) {
			struct qfile_rcpt *q = &e->rcpts[j];

			memset(q, 0, sizeof(*q));
			q->address = finals[j];
			q->notify = r->notify;
			/* RFC 3461 4.2: the address the client gave. */
			if (r->orcpt[0] != '\0')
				q->orcpt = xstrdup(r->orcpt);
			else
				q->orcpt = xasprintf("rfc822;%s", r->address);
		}
	}
	free(finals);
	e->n_rcpts = n;
	return 0;
}

/* envelope_free - what envelope() allocated */
static void
envelope_free(struct qfile_env *e)
{
	for (size_t i = 0; i < e->n_rcpts; i++) {
		free(e->rcpts[i].address);
		free(e->rcpts[i].orcpt);
	}
	free(e->rcpts);
	free(e->sender);
}

/* store - bytes that passed the header filter into the queue file;
 * errors are sticky */
static void
store(void *ctx, const void *p, size_t n)
{
	struct session *ss = ctx;

	if (n == 0 || ss->q_errno != 0 || ss->q_toobig || !ss->q_open)
		return;
	if (queue_new_data(&ss->q, p, n) < 0) {
		if (errno == EFBIG)
			ss->q_toobig = true;
		else
			ss->q_errno = errno;
	}
}

/* put - message bytes, through the filter that drops forged
 * Authentication-Results fields (RFC 8601 5) */
static void
put(struct session *ss, const void *p, size_t n)
{
	if (n == 0 || ss->q_errno != 0 || ss->q_toobig || !ss->q_open)
		return;
	ss->bytes += n;
	hdrdrop_feed(&ss->hd, p, n);
}

int
data_begin(struct session *ss, const char *verb)
{
	struct qfile_env e;
	char from[ADDR_PATH_MAX + 1];
	struct buf hdr = BUF_INIT;

	if (envelope(ss, &e) < 0)
		return -1;
	e.sender = xstrdup(ss->mail.from.null ? "" :
	    addr_text(&ss->mail.from, from, sizeof(from)));
	ss->q_errno = 0;
	ss->q_toobig = false;
	ss->bytes = 0;
	if (queue_new_begin(&ss->q, AT_FDCWD, &e,
	    var_message_size_limit) < 0) {
		msg_warn("[%s]: cannot create queue file: %m", ss->addr);
		envelope_free(&e);
		if (verb != NULL)
			reply(ss, 451, "4.3.0", "Error: queue file write "
			    "error");
		return -1;
	}
	envelope_free(&e);
	ss->q_open = true;
	hdrdrop_init(&ss->hd, "Authentication-Results", var_myhostname, store,
	    ss);
	if (spam_wanted(ss))
		ss->hd.any = spam_fields;	/* only we may say spam or not */
	/* Authentication-Results goes in front of this at the end. */
	verify_begin(ss);
	if (received_header(ss, &hdr) != 0 ||
	    queue_new_data(&ss->q, hdr.data, hdr.len) < 0)
		ss->q_errno = errno != 0 ? errno : EIO;
	buf_free(&hdr);
	return 0;
}

void
data_abort(struct session *ss)
{
	hdrdrop_end(&ss->hd);
	if (ss->q_open) {
		queue_new_abort(&ss->q);
		ss->q_open = false;
	}
}

/* committed - the commit thread is done with the message */
static void
committed(struct commit *c)
{
	struct session *ss = c->ctx;
	char from[ADDR_PATH_MAX + 1];

	ss->q_open = false;	/* queue_new_commit removed it on failure */
	if (ss->gone) {
		if (c->rc == 0)
			msg_info("%s: queued, but the client left before the "
			    "reply", ss->q.qid);
		session_free(ss);
		return;
	}
	if (c->rc < 0) {
		msg_warn("[%s]: queue file write error: %s", ss->addr,
		    strerror(c->err));
		reply(ss, 451, "4.3.0", "Error: queue file write error");
	} else {
		ss->messages++;
		counter_add("smtpd_messages_total", "result=accepted", 1);
		msg_info("%s: client=[%s], helo=%s, from=<%s>, size=%llu, "
		    "nrcpt=%zu, proto=%s%s", ss->q.qid, ss->addr, ss->helo,
		    ss->mail.from.null ? "" : addr_text(&ss->mail.from, from,
		    sizeof(from)), (unsigned long long)ss->bytes,
		    ss->n_rcpts, protocol_name(ss), ss->tls ? ", tls=yes" : "");
		reply(ss, 250, "2.0.0", "Ok: queued as %s", ss->q.qid);
	}
	session_reset(ss);
	if (ss->mode == MODE_COMMIT)
		session_set_mode(ss, MODE_COMMAND);
	stream_resume(ss->s);
}

/* finish - the message is complete: commit, then answer */
static void
finish(struct session *ss, const char *verb)
{
	hdrdrop_end(&ss->hd);
	if (ss->hd.dropped > 0)
		msg_info("[%s]: removed %u Authentication-Results field%s "
		    "claiming to be ours", ss->addr, ss->hd.dropped,
		    ss->hd.dropped > 1 ? "s" : "");
	if (ss->q_toobig) {
		counter_add("smtpd_rejects_total", "reason=size", 1);
		msg_info("reject: %s from [%s]: message size exceeds %llu",
		    verb, ss->addr,
		    (unsigned long long)var_message_size_limit);
		reply(ss, 552, "5.3.4", "Error: message size exceeds fixed "
		    "limit");
	} else if (ss->bare_eol) {
		counter_add("smtpd_rejects_total", "reason=bare_eol", 1);
		msg_info("reject: %s from [%s]: bare CR or LF in message",
		    verb, ss->addr);
		reply(ss, 550, "5.6.0", "Error: bare <CR> or <LF> in message "
		    "(RFC 5321 2.3.8); send CRLF line ends");
	} else if (ss->q_errno != 0) {
		msg_warn("[%s]: queue file write error: %s", ss->addr,
		    strerror(ss->q_errno));
		reply(ss, 451, "4.3.0", "Error: queue file write error");
	} else if (auth_header_ok(ss) < 0) {
		/* replied; the queue file goes with the reset */
	} else {
		ss->commit_verb = verb;
		verify_message(ss);
		return;
	}
	session_reset(ss);
	session_set_mode(ss, MODE_COMMAND);
}

void
commit_message(struct session *ss)
{
	/* Durable off the loop; the session reads nothing meanwhile. */
	session_set_mode(ss, MODE_COMMIT);
	ss->commit.q = &ss->q;
	ss->commit.done = committed;
	ss->commit.ctx = ss;
	stream_pause(ss->s);
	commit_submit(&ss->commit);
}

bool
data_input(struct session *ss, const uint8_t *p, size_t n, size_t *used)
{
	size_t i, span = 0;	/* p[span..i) is text still to put */

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		switch (ss->ds) {
		case DS_BOL:
			if (c == '.') {
				put(ss, p + span, i - span);
				span = i + 1;	/* the dot is not content */
				ss->ds = DS_DOT;
				continue;
			}
			break;
		case DS_DOT:
			if (c == '\r') {
				/* Held back: content only if no LF follows. */
				span = i + 1;
				ss->ds = DS_DOTCR;
				continue;
			}
			break;
		case DS_DOTCR:
			if (c == '\n') {
				/* CRLF "." CRLF: the end. */
				*used = i + 1;
				finish(ss, "DATA");
				return true;
			}
			/* "." CR and something else: a bare CR. */
			ss->bare_eol = true;
			put(ss, "\r", 1);
			span = i;
			break;
		case DS_CR:
			if (c == '\n') {
				ss->ds = DS_BOL;
				continue;
			}
			ss->bare_eol = true;
			break;
		case DS_TEXT:
			break;
		}
		/* Here c is ordinary text at state DS_TEXT rules. */
		if (c == '\r')
			ss->ds = DS_CR;
		else if (c == '\n') {
			ss->bare_eol = true;
			ss->ds = DS_TEXT;
		} else
			ss->ds = DS_TEXT;
	}
	put(ss, p + span, n - span);
	/* A trailing "." or ".\r" is held back in the state, not put. */
	*used = n;
	return false;
}

bool
bdat_input(struct session *ss, const uint8_t *p, size_t n, size_t *used)
{
	size_t take = n < ss->chunk_left ? n : (size_t)ss->chunk_left;

	if (!ss->chunk_failed)
		put(ss, p, take);
	ss->chunk_left -= take;
	*used = take;
	if (ss->chunk_left > 0)
		return false;
	if (ss->chunk_failed) {
		session_set_mode(ss, MODE_COMMAND);
		reply_r(ss, &ss->chunk_reply);
		return true;
	}
	if (ss->chunk_last) {
		ss->count_ok[CNT_BDAT]++;
		finish(ss, "BDAT");
		return true;
	}
	ss->count_ok[CNT_BDAT]++;
	session_set_mode(ss, MODE_COMMAND);
	if (ss->q_toobig) {
		reply(ss, 552, "5.3.4", "Error: message size exceeds fixed "
		    "limit");
		session_reset(ss);
	} else if (ss->q_errno != 0) {
		reply(ss, 451, "4.3.0", "Error: queue file write error");
		session_reset(ss);
	} else {
		reply(ss, 250, "2.0.0", "Ok: %llu octets received",
		    (unsigned long long)take);
	}
	return true;
}
