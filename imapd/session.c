/*
 * NAME
 *	session - one IMAP connection: command input with literals,
 *	dispatch by state, responses, limits, log
 * DESCRIPTION
 *	A command is gathered line by line into ss->cmd: a line ending in
 *	a literal marker is followed by the literal's bytes (after "+" for
 *	a synchronizing literal, RFC 3501 7.5) and by the next line.  Sizes
 *	are checked before any literal byte is read: imapd_literal_limit for
 *	all literals of one command, message_size_limit for APPEND.  An
 *	oversized synchronizing literal is refused with BAD [TOOBIG] and the
 *	client sends nothing more of it; an oversized non-synchronizing one
 *	(LITERAL+) cannot be stopped, so the session ends with BYE, as RFC
 *	7888 4 allows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd.h"
#include "mail/params.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

void
session_write(struct session *ss, const void *p, size_t n)
{
	stream_write(ss->s, p, n);
}

void
untagged(struct session *ss, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	stream_printf(ss->s, "* %s\r\n", text);
}

void
session_bye(struct session *ss, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	stream_printf(ss->s, "* BYE %s\r\n", text);
	ss->mode = MODE_CLOSING;
	stream_close_after_flush(ss->s);
}

void
tagged(struct session *ss, const char *tag, const char *status,
    const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ss->state == ST_SELECTED && ss->sel != NULL &&
	    strcmp(status, "BAD") != 0)
		view_sync(ss, ss->reply_expunges);
	stream_printf(ss->s, "%s %s %s\r\n", tag, status, text);
	if (strcmp(status, "BAD") != 0) {
		ss->bad = 0;
		return;
	}
	if (++ss->bad >= var_imapd_bad_command_limit &&
	    ss->mode != MODE_CLOSING) {
		msg_info("too many bad commands from [%s]", ss->addr);
		session_bye(ss, "Too many bad commands");
	}
}

/* untagged_bad - a BAD that no tag can carry */
static void
untagged_bad(struct session *ss, const char *text)
{
	stream_printf(ss->s, "* BAD %s\r\n", text);
	if (++ss->bad >= var_imapd_bad_command_limit &&
	    ss->mode != MODE_CLOSING) {
		msg_info("too many bad commands from [%s]", ss->addr);
		session_bye(ss, "Too many bad commands");
	}
}

void
session_set_mode(struct session *ss, enum imap_mode mode)
{
	ss->mode = mode;
}

void
session_wait(struct session *ss, const char *tag)
{
	if (tag != ss->tag)
		snprintf(ss->tag, sizeof(ss->tag), "%s", tag);
	ss->mode = MODE_WAIT;
	stream_pause(ss->s);
}

static void session_free(struct session *ss);

bool
session_resume(struct session *ss)
{
	if (ss->gone) {
		session_free(ss);
		return false;
	}
	ss->mode = MODE_COMMAND;
	stream_resume(ss->s);
	return true;
}

void
session_logged_in(struct session *ss)
{
	ss->state = ST_AUTH;
	stream_set_timeout(ss->s, var_imapd_timeout * 1000);
}

/* command_word - the tag and command name at the start of the gathered
 * command, for decisions before it is whole (literal limits) */
static void
command_word(const struct session *ss, char *tag, size_t tsize, char *name,
    size_t nsize)
{
	const char *p = (const char *)ss->cmd.data, *end = p + ss->cmd.len;
	size_t i = 0;

	while (p < end && *p != ' ' && i + 1 < tsize && (unsigned char)*p > ' ')
		tag[i++] = *p++;
	tag[i] = '\0';
	if (p < end)
		p++;
	i = 0;
	while (p < end && *p != ' ' && *p != '\r' && i + 1 < nsize)
		name[i++] = *p++;
	name[i] = '\0';
}

/* dispatch - run the gathered command */
static void
dispatch(struct session *ss)
{
	struct imap_command c;
	const struct command *cmd;
	const char *why;
	bool uid = false;
	int rc;

	ss->commands++;
	rc = imap_parse((const char *)ss->cmd.data, ss->cmd.len, &c, &why);
	ss->reply_expunges = true;
	if (rc == IMAP_PARSE_NO_TAG) {
		char text[256];

		snprintf(text, sizeof(text), "Bad command tag: %s", why);
		untagged_bad(ss, text);
	} else if (rc == IMAP_PARSE_BAD) {
		tagged(ss, c.tag, "BAD", "Error in IMAP command: %s", why);
	} else {
		if (strcmp(c.name, "UID") == 0 && c.args != NULL &&
		    c.args->type == IMAP_ATOM && c.args->len <= IMAP_NAME_MAX) {
			uid = true;
			snprintf(c.name, sizeof(c.name), "%.*s",
			    (int)c.args->len, c.args->data);
			for (char *p = c.name; *p != '\0'; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			c.args = c.args->next;
			c.n_args--;
		}
		cmd = command_find(c.name);
		command_count("imapd_commands_total",
		    cmd != NULL ? cmd->name : NULL);
		if (cmd == NULL || (uid && !cmd->uid))
			tagged(ss, c.tag, "BAD", "Unknown command %s%s",
			    uid ? "UID " : "", c.name);
		else if (!(cmd->states & ss->state))
			tagged(ss, c.tag, "BAD", "%s is not allowed %s", c.name,
			    ss->state == ST_NOAUTH ? "before logging in" :
			    ss->state == ST_AUTH ? "without a selected folder" :
			    "after logging in");
		else {
			/* RFC 3501 7.4.1: no EXPUNGE while answering
			 * FETCH, STORE or SEARCH by sequence number. */
			ss->reply_expunges = uid ||
			    (strcmp(c.name, "FETCH") != 0 &&
			    strcmp(c.name, "STORE") != 0 &&
			    strcmp(c.name, "SEARCH") != 0);
			cmd->fn(ss, &c, uid);
		}
	}
	imap_command_free(&c);
	message_drop(ss);
}

/* command_line - one line of a command */
static void
command_line(struct session *ss, const char *line, size_t len)
{
	char tag[IMAP_TAG_MAX + 1], name[16];
	uint64_t size, limit;
	bool nonsync, lit8;
	int rc;

	if (buf_append(&ss->cmd, line, len) < 0) {
		buf_reset(&ss->cmd);
		untagged_bad(ss, "[TOOBIG] Command too long");
		return;
	}
	rc = imap_line_literal(line, len, &size, &nonsync, &lit8);
	if (rc <= 0) {
		dispatch(ss);
		/* An APPEND's message must not stay readable, and a session
		 * between commands holds no buffer. */
		if (ss->cmd.cap > 65536) {
			buf_free_wipe(&ss->cmd);
		} else {
			buf_free(&ss->cmd);
		}
		ss->n_literals = 0;
		return;
	}
	command_word(ss, tag, sizeof(tag), name, sizeof(name));
	limit = strcasecmp(name, "APPEND") == 0 ? var_message_size_limit +
	    var_imapd_literal_limit : var_imapd_literal_limit;
	if (size > limit || ss->cmd.len + size > limit +
	    var_imapd_line_limit) {
		buf_reset(&ss->cmd);
		ss->n_literals = 0;
		if (nonsync) {
			msg_info("literal of %llu bytes from [%s] refused",
			    (unsigned long long)size, ss->addr);
			session_bye(ss, "[TOOBIG] Literal too large (limit %llu "
			    "bytes)", (unsigned long long)limit);
			return;
		}
		if (tag[0] == '\0')
			untagged_bad(ss, "[TOOBIG] Literal too large");
		else
			tagged(ss, tag, "BAD", "[TOOBIG] Literal too large "
			    "(limit %llu bytes)", (unsigned long long)limit);
		return;
	}
	if (buf_append(&ss->cmd, "\r\n", 2) < 0 ||
	    buf_reserve(&ss->cmd, (size_t)size) < 0) {
		buf_reset(&ss->cmd);
		untagged_bad(ss, "[TOOBIG] Command too long");
		return;
	}
	ss->n_literals++;
	if (!nonsync)
		stream_printf(ss->s, "+ Ready for literal data\r\n");
	ss->lit_left = size;
	if (size > 0)
		ss->mode = MODE_LITERAL;
}

/* on_input - everything that arrived, in order */
static void
on_input(struct stream *s, void *ctx)
{
	struct session *ss = ctx;
	const uint8_t *p;
	const char *line;
	size_t n;
	int rc;

	for (;;) {
		if (ss->fetch != NULL)
			return;	/* a FETCH waits for the client to read */
		switch (ss->mode) {
		case MODE_WAIT:
			return;
		case MODE_TLS:
		case MODE_CLOSING:
			(void)stream_bytes(s, &p, stream_pending(s));
			return;
		case MODE_LITERAL:
			n = stream_bytes(s, &p, ss->lit_left);
			if (n == 0)
				return;
			buf_put(&ss->cmd, p, n);
			ss->lit_left -= n;
			if (ss->lit_left == 0)
				ss->mode = MODE_COMMAND;
			break;
		case MODE_COMMAND:
		case MODE_SASL:
		case MODE_IDLE:
			rc = stream_line(s, &line, &n);
			if (rc == 0)
				return;
			if (rc == STREAM_LINE_TOO_LONG) {
				if (ss->mode == MODE_COMMAND) {
					buf_reset(&ss->cmd);
					ss->n_literals = 0;
				}
				ss->mode = MODE_COMMAND;
				untagged_bad(ss, "[TOOBIG] Line too long");
				break;
			}
			if (ss->mode == MODE_SASL)
				sasl_input(ss, line, n);
			else if (ss->mode == MODE_IDLE)
				idle_input(ss, line, n);
			else
				command_line(ss, line, n);
			break;
		}
	}
}

static void
session_free(struct session *ss)
{
	fetch_abort(ss);
	idle_stop(ss);
	view_close(ss);
	message_drop(ss);
	login_end(ss);
	buf_free_wipe(&ss->cmd);
	sasl_end(&ss->sasl);
	free(ss->saved);
	free(ss);
}

/* on_close - log the session's end */
static void
on_close(struct stream *s, const char *reason, void *ctx)
{
	struct session *ss = ctx;

	(void)s;
	mlogin_log_end(&ss->acc, ss->addr, reason, ss->commands);
	daemon_conn_done();
	ss->s = NULL;
	if (ss->mode == MODE_WAIT) {
		/* A reply from authd is due: free when it comes. */
		ss->gone = true;
		return;
	}
	session_free(ss);
}

/* greet - the greeting, with capabilities (RFC 3501 7.1.1) */
static void
greet(struct session *ss)
{
	struct buf caps = BUF_INIT;

	capability_text(ss, &caps);
	ss->mode = MODE_COMMAND;
	stream_printf(ss->s, "* OK [CAPABILITY %s] %s ready\r\n",
	    buf_cstr(&caps), var_myhostname);
	buf_free(&caps);
}

/* tls_wrapped - the handshake of port 993 finished */
static void
tls_wrapped(struct stream *s, void *ctx)
{
	struct session *ss = ctx;

	(void)s;
	ss->tls = true;
	greet(ss);
}

void
session_accept(int fd)
{
	struct session *ss = xcalloc(1, sizeof(*ss));

	ss->loopback = sock_text_is_local(sock_peer_text(fd, ss->addr,
	    sizeof(ss->addr)));
	ss->state = ST_NOAUTH;
	maccess_init(&ss->acc);
	buf_init(&ss->cmd, 0);
	ss->s = stream_new(fd, (size_t)var_imapd_line_limit,
	    var_imapd_login_timeout * 1000, on_input, on_close, ss);
	msg_info("connect from [%s]", ss->addr);
	if (var_imapd_tls_wrapper) {
		if (imapd_tls_ctx == NULL) {
			msg_warn("imapd_tls_wrapper=yes but no TLS certificate "
			    "is loaded");
			stream_close(ss->s, "no TLS");
			return;
		}
		ss->mode = MODE_TLS;
		(void)stream_start_tls(ss->s, imapd_tls_ctx, tls_wrapped);
		return;
	}
	greet(ss);
}
