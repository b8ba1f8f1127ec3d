/*
 * NAME
 *	session - one SMTP connection: input loop, replies, limits, log
 * DESCRIPTION
 *	Input is taken in the order it came: command lines are dispatched
 *	one after another and their replies queue up, so a pipelining
 *	client (RFC 2920) gets every reply in order in few packets.  When a
 *	command switches to DATA or BDAT, the bytes after it in the same
 *	read belong to the message and go to data.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

static const char *const counter_names[CNT_MAX] = {
	"ehlo", "helo", "starttls", "mail", "rcpt", "data", "bdat", "rset",
	"noop", "vrfy", "help", "quit", "xclient", "auth", "unknown",
};

/* timeout_for - the inactivity limit of a mode, in ms */
static uint64_t
timeout_for(enum smtpd_mode mode)
{
	if (mode == MODE_DATA || mode == MODE_BDAT)
		return var_smtpd_data_timeout * 1000;
	return var_smtpd_timeout * 1000;
}

void
session_set_mode(struct session *ss, enum smtpd_mode mode)
{
	bool was_data = ss->mode == MODE_DATA || ss->mode == MODE_BDAT;
	bool is_data = mode == MODE_DATA || mode == MODE_BDAT;

	ss->mode = mode;
	if (was_data != is_data)
		stream_set_timeout(ss->s, timeout_for(mode));
}

/* vreply - format "code enh text" (sep ' ' or '-') */
static void
vreply(struct session *ss, int code, char sep, const char *enh,
    const char *fmt, va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (enh != NULL)
		stream_printf(ss->s, "%d%c%s %s\r\n", code, sep, enh, text);
	else
		stream_printf(ss->s, "%d%c%s\r\n", code, sep, text);
}

void
reply(struct session *ss, int code, const char *enh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(ss, code, ' ', enh, fmt, ap);
	va_end(ap);
	if (code >= 400 && code != 421 && ++ss->errors >=
	    var_smtpd_error_limit && ss->mode != MODE_CLOSING) {
		msg_info("too many errors from [%s]", ss->addr);
		stream_printf(ss->s, "421 4.7.0 %s Error: too many errors\r\n",
		    var_myhostname);
		session_quit(ss);
	}
}

void
reply_r(struct session *ss, const struct smtp_reply *r)
{
	reply(ss, r->code, r->enh, "%s", r->text);
}

void
reply_more(struct session *ss, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(ss, code, '-', NULL, fmt, ap);
	va_end(ap);
}

/* session_helo - the client's name changed: what was learned about the
 * old one goes */
void
session_helo(struct session *ss, const char *name)
{
	snprintf(ss->helo, sizeof(ss->helo), "%s", name);
	ss->spf_helo_known = false;
}

void
session_reset(struct session *ss)
{
	data_abort(ss);
	for (size_t i = 0; i < ss->n_rcpts; i++)
		free(ss->rcpts[i].address);
	free(ss->rcpts);
	ss->rcpts = NULL;
	ss->n_rcpts = 0;
	ss->in_mail = false;
	memset(&ss->mail, 0, sizeof(ss->mail));
}

void
session_quit(struct session *ss)
{
	ss->mode = MODE_CLOSING;
	stream_close_after_flush(ss->s);
}

/* on_input - everything that arrived, in order */
static void
on_input(struct stream *s, void *ctx)
{
	struct session *ss = ctx;
	const uint8_t *p;
	size_t n, used;
	const char *line;
	int rc;

	for (;;) {
		switch (ss->mode) {
		case MODE_GREETING:
			msg_info("early talker: [%s] sent data before the "
			    "greeting", ss->addr);
			stream_printf(s, "554 5.5.1 %s Protocol error: talking "
			    "before the greeting\r\n", var_myhostname);
			session_quit(ss);
			return;
		case MODE_COMMIT:
		case MODE_CHECK:
			return;		/* resumed when the worker is done */
		case MODE_CLOSING:
		case MODE_TLS:
			(void)stream_bytes(s, &p, stream_pending(s));
			return;
		case MODE_DATA:
		case MODE_BDAT:
			n = stream_bytes(s, &p, SIZE_MAX);
			if (n == 0)
				return;
			used = 0;
			if (ss->mode == MODE_DATA)
				(void)data_input(ss, p, n, &used);
			else
				(void)bdat_input(ss, p, n, &used);
			/* Give back what belongs to the next command. */
			if (used < n)
				stream_unread(s, n - used);
			break;
		case MODE_SASL:
			rc = stream_line(s, &line, &n);
			if (rc == 0)
				return;
			if (rc == STREAM_LINE_TOO_LONG) {
				session_set_mode(ss, MODE_COMMAND);
				reply(ss, 500, "5.5.6", "Authentication "
				    "exchange line too long");
				break;
			}
			auth_input(ss, (char *)line, n);
			break;
		case MODE_COMMAND:
			rc = stream_line(s, &line, &n);
			if (rc == 0)
				return;
			if (rc == STREAM_LINE_TOO_LONG) {
				ss->count_all[CNT_UNKNOWN]++;
				reply(ss, 500, "5.5.2", "Error: line too long "
				    "(limit %lu bytes)",
				    (unsigned long)var_smtpd_line_limit);
				break;
			}
			cmd_dispatch(ss, (char *)line, n);
			break;
		}
	}
}

/* counts_text - "ehlo=1 mail=1 rcpt=2/3 ... commands=8/9" */
static void
counts_text(const struct session *ss, char *out, size_t size)
{
	unsigned ok = 0, all = 0;
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < CNT_MAX && off < size; i++) {
		if (ss->count_all[i] == 0)
			continue;
		ok += ss->count_ok[i];
		all += ss->count_all[i];
		if (ss->count_ok[i] == ss->count_all[i])
			off += (size_t)snprintf(out + off, size - off, " %s=%u",
			    counter_names[i], ss->count_all[i]);
		else
			off += (size_t)snprintf(out + off, size - off,
			    " %s=%u/%u", counter_names[i], ss->count_ok[i],
			    ss->count_all[i]);
	}
	if (off < size) {
		if (ok == all)
			snprintf(out + off, size - off, " commands=%u", all);
		else
			snprintf(out + off, size - off, " commands=%u/%u", ok,
			    all);
	}
}

/* on_close - log the session's end with its command counts */
static void
on_close(struct stream *s, const char *reason, void *ctx)
{
	struct session *ss = ctx;
	char counts[512];

	(void)s;
	if (ss->mode == MODE_DATA || ss->mode == MODE_BDAT)
		msg_info("%s after %s from [%s]%s%s",
		    strcmp(reason, "timeout") == 0 ? "timeout" : "lost connection",
		    ss->mode == MODE_DATA ? "DATA" : "BDAT", ss->addr,
		    ss->q_open ? ": message not queued, " : "",
		    ss->q_open ? ss->q.qid : "");
	else if (strcmp(reason, "done") != 0 && strcmp(reason, "eof") != 0)
		msg_info("%s from [%s]", reason, ss->addr);
	ev_timer_del(&ss->greet_timer);
	counts_text(ss, counts, sizeof(counts));
	msg_info("disconnect from [%s]%s", ss->addr, counts);
	anvil_done(ss);
	daemon_conn_done();
	if (ss->mode == MODE_COMMIT || ss->mode == MODE_CHECK) {
		/* A worker thread holds the queue file or the SPF check:
		 * free when it is done. */
		ss->gone = true;
		return;
	}
	session_free(ss);
}

void
session_free(struct session *ss)
{
	session_reset(ss);
	mlogin_end(&ss->acc);
	sasl_end(&ss->sasl);
	free(ss);
}

/* greet - the 220 line */
static void
greet(struct session *ss)
{
	session_set_mode(ss, MODE_COMMAND);
	stream_printf(ss->s, "220 %s\r\n", var_smtpd_banner);
}

/* greeting_due - smtpd_greeting_delay passed in silence */
static void
greeting_due(void *ctx)
{
	struct session *ss = ctx;

	ss->greet_timer = NULL;
	if (ss->mode == MODE_GREETING)
		greet(ss);
}

/* tls_wrapped - the handshake of an implicit TLS port finished */
static void
tls_wrapped(struct stream *s, void *ctx)
{
	struct session *ss = ctx;

	(void)s;
	ss->tls = true;
	if (var_smtpd_greeting_delay > 0) {
		ss->mode = MODE_GREETING;
		ss->greet_timer = ev_timer_add(var_smtpd_greeting_delay *
		    1000, greeting_due, ss);
	} else {
		greet(ss);
	}
}

void
session_accept(int fd)
{
	struct session *ss = xcalloc(1, sizeof(*ss));

	gettimeofday(&ss->start, NULL);
	if (sock_peer_text(fd, ss->addr, sizeof(ss->addr)) == NULL)
		snprintf(ss->addr, sizeof(ss->addr), "unknown");
	snprintf(ss->conn_addr, sizeof(ss->conn_addr), "%s", ss->addr);
	ss->xclient_ok = sender_xclient_allowed(ss->conn_addr);
	maccess_init(&ss->acc);
	ss->s = stream_new(fd, (size_t)var_smtpd_line_limit,
	    var_smtpd_timeout * 1000, on_input, on_close, ss);
	ss->mode = MODE_GREETING;
	msg_info("connect from [%s]", ss->addr);
	if (anvil_admit(ss) < 0)
		return;
	if (var_smtpd_tls_wrapper) {
		if (smtpd_tls_ctx == NULL) {
			msg_warn("smtpd_tls_wrapper=yes but no TLS "
			    "certificate is loaded");
			stream_close(ss->s, "no TLS");
			return;
		}
		ss->mode = MODE_TLS;
		(void)stream_start_tls(ss->s, smtpd_tls_ctx, tls_wrapped);
		return;
	}
	if (var_smtpd_greeting_delay > 0)
		ss->greet_timer = ev_timer_add(var_smtpd_greeting_delay *
		    1000, greeting_due, ss);
	else
		greet(ss);
}
