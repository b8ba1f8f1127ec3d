/*
 * NAME
 *	session - one POP3 connection: command lines, dispatch by state,
 *	replies, limits, log
 * DESCRIPTION
 *	Commands are lines of a keyword and arguments (RFC 1939 3), at most
 *	pop3d_line_limit octets.  The command table says in which state
 *	each keyword is valid.  Pipelined commands (RFC 2449 6.6) wait in
 *	the stream while a login or a RETR is in flight, and are answered
 *	in order.  pop3d_bad_command_limit unknown, malformed or misplaced
 *	commands in a row end the session.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/params.h"
#include "mail/pop3_cmd.h"
#include "pop3d/pop3d.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

typedef void command_fn(struct session *ss, char *arg);

static void cmd_noop(struct session *ss, char *arg);
static void cmd_quit(struct session *ss, char *arg);

#define AUTH	ST_AUTH
#define TRANS	ST_TRANS

static const struct command {
	const char *name;
	command_fn *fn;
	unsigned states;
} commands[] = {
	{ "CAPA", cmd_capa, AUTH | TRANS },
	{ "QUIT", cmd_quit, AUTH | TRANS },
	{ "STLS", cmd_stls, AUTH },
	{ "USER", cmd_user, AUTH },
	{ "PASS", cmd_pass, AUTH },
	{ "AUTH", cmd_auth, AUTH },
	{ "APOP", cmd_apop, AUTH },
	{ "STAT", cmd_stat, TRANS },
	{ "LIST", cmd_list, TRANS },
	{ "UIDL", cmd_uidl, TRANS },
	{ "RETR", cmd_retr, TRANS },
	{ "TOP", cmd_top, TRANS },
	{ "DELE", cmd_dele, TRANS },
	{ "RSET", cmd_rset, TRANS },
	{ "NOOP", cmd_noop, TRANS },
	{ NULL, NULL, 0 },
};

/* reply - one status line */
static void
reply(struct session *ss, const char *status, const char *fmt, va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	stream_printf(ss->s, "%s%s%s\r\n", status, text[0] ? " " : "", text);
}

void
ok(struct session *ss, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply(ss, "+OK", fmt, ap);
	va_end(ap);
	ss->bad = 0;
}

void
err(struct session *ss, bool bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply(ss, "-ERR", fmt, ap);
	va_end(ap);
	if (!bad) {
		ss->bad = 0;
		return;
	}
	if (++ss->bad >= var_pop3d_bad_command_limit &&
	    ss->mode != MODE_CLOSING) {
		msg_info("too many bad commands from [%s]", ss->addr);
		stream_printf(ss->s, "-ERR Too many bad commands, "
		    "closing\r\n");
		session_close(ss);
	}
}

void
session_close(struct session *ss)
{
	ss->mode = MODE_CLOSING;
	stream_close_after_flush(ss->s);
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

static void
cmd_noop(struct session *ss, char *arg)
{
	if (*arg != '\0') {
		err(ss, true, "NOOP takes no arguments");
		return;
	}
	ok(ss, "%s", "");
}

/* cmd_quit - in TRANSACTION, the UPDATE state (RFC 1939 6) */
static void
cmd_quit(struct session *ss, char *arg)
{
	(void)arg;
	if (ss->state == ST_TRANS && maildrop_update(ss) < 0) {
		/* Nothing was removed that should not have been. */
		err(ss, false, "[SYS/TEMP] Some deleted messages were not "
		    "removed");
		session_close(ss);
		return;
	}
	ok(ss, "%s POP3 server signing off", var_myhostname);
	session_close(ss);
}

/* dispatch - one command line */
static void
dispatch(struct session *ss, char *line)
{
	char name[POP3_NAME_MAX + 1];
	size_t arg;
	const struct command *cmd;

	ss->commands++;
	if (pop3_cmd_split(line, name, &arg) < 0) {
		command_count("pop3d_commands_total", NULL);
		err(ss, true, "Unknown command");
		return;
	}
	for (cmd = commands; cmd->name != NULL; cmd++)
		if (strcasecmp(cmd->name, name) == 0)
			break;
	command_count("pop3d_commands_total", cmd->name);
	if (cmd->name == NULL) {
		err(ss, true, "Unknown command");
		return;
	}
	if (!(cmd->states & ss->state)) {
		err(ss, true, ss->state == ST_AUTH ? "Log in first" :
		    "Already logged in");
		return;
	}
	cmd->fn(ss, line + arg);	/* PASS wipes what it is given */
}

/* on_input - every line that arrived, in order */
static void
on_input(struct stream *s, void *ctx)
{
	struct session *ss = ctx;
	const char *line;
	size_t n;
	int rc;

	for (;;) {
		if (ss->mode != MODE_COMMAND && ss->mode != MODE_SASL) {
			if (ss->mode == MODE_TLS || ss->mode == MODE_CLOSING) {
				const uint8_t *p;

				(void)stream_bytes(s, &p, stream_pending(s));
			}
			return;
		}
		rc = stream_line(s, &line, &n);
		if (rc == 0)
			return;
		if (rc == STREAM_LINE_TOO_LONG) {
			ss->mode = MODE_COMMAND;
			err(ss, true, "Line too long (limit %llu octets)",
			    (unsigned long long)var_pop3d_line_limit);
			continue;
		}
		if (memchr(line, '\0', n) != NULL) {
			ss->mode = MODE_COMMAND;
			err(ss, true, "NUL in command");
			continue;
		}
		if (ss->mode == MODE_SASL)
			sasl_input(ss, line, n);
		else
			dispatch(ss, (char *)line);
	}
}

static void
session_free(struct session *ss)
{
	retr_abort(ss);
	maildrop_close(ss);
	auth_end(ss);
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
		/* authd or cryptd owes a reply: free when it comes. */
		ss->gone = true;
		return;
	}
	session_free(ss);
}

/* greet - the greeting (no APOP timestamp: APOP is not offered) */
static void
greet(struct session *ss)
{
	ss->mode = MODE_COMMAND;
	ok(ss, "%s POP3 server ready", var_myhostname);
}

/* tls_wrapped - the handshake of port 995 finished */
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
	ss->state = ST_AUTH;
	ss->lock_fd = -1;
	maccess_init(&ss->acc);
	ss->s = stream_new(fd, (size_t)var_pop3d_line_limit,
	    var_pop3d_timeout * 1000, on_input, on_close, ss);
	msg_info("connect from [%s]", ss->addr);
	if (var_pop3d_tls_wrapper) {
		if (pop3d_tls_ctx == NULL) {
			msg_warn("pop3d_tls_wrapper=yes but no TLS certificate "
			    "is loaded");
			stream_close(ss->s, "no TLS");
			return;
		}
		ss->mode = MODE_TLS;
		(void)stream_start_tls(ss->s, pop3d_tls_ctx, tls_wrapped);
		return;
	}
	greet(ss);
}
