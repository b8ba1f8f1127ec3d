/*
 * NAME
 *	cmds - the SMTP command table and its handlers (RFC 5321 4.1)
 * DESCRIPTION
 *	Each handler answers exactly once (EHLO with a multi-line reply).
 *	Recipients are judged at RCPT time: a mailbox or alias of a local
 *	domain is accepted, a stranger in a local domain gets 550 5.1.1,
 *	and anything else is someone else's mail, which an unauthenticated
 *	client may not relay (554 5.7.1).  Addresses that were ever used to
 *	trick relays (percent hack, bang paths, quoted "@", address
 *	literals, trailing dots) are refused outright.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strnum.h"

struct smtp_cmd {
	const char *name;
	void (*fn)(struct session *, char *);
	enum smtpd_counter counter;
	bool junk;		/* counts toward smtpd_junk_command_limit */
};

/* ok - count the command as done */
#define OK(ss, c)	((ss)->count_ok[c]++)

/* no_args - for commands that take none */
static bool
no_args(struct session *ss, const char *args, const char *usage)
{
	if (args[0] == '\0')
		return true;
	reply(ss, 501, "5.5.4", "Syntax: %s", usage);
	return false;
}

/* helo_ok - a plausible HELO argument: one word, printable ASCII */
static bool
helo_ok(const char *arg)
{
	size_t n = strlen(arg);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (arg[i] <= ' ' || arg[i] > '~')
			return false;
	return true;
}

static void
cmd_ehlo_helo(struct session *ss, char *args, bool esmtp)
{
	if (!helo_ok(args)) {
		reply(ss, 501, "5.5.4", "Syntax: %s hostname",
		    esmtp ? "EHLO" : "HELO");
		return;
	}
	session_reset(ss);
	session_helo(ss, args);
	ss->esmtp = esmtp;
	OK(ss, esmtp ? CNT_EHLO : CNT_HELO);
	if (!esmtp) {
		reply(ss, 250, NULL, "%s", var_myhostname);
		return;
	}
	reply_more(ss, 250, "%s", var_myhostname);
	reply_more(ss, 250, "PIPELINING");
	reply_more(ss, 250, "SIZE %llu",
	    (unsigned long long)var_message_size_limit);
	if (smtpd_tls_ctx != NULL && !ss->tls && var_smtpd_starttls)
		reply_more(ss, 250, "STARTTLS");
	reply_more(ss, 250, "ENHANCEDSTATUSCODES");
	reply_more(ss, 250, "8BITMIME");
	reply_more(ss, 250, "BINARYMIME");
	reply_more(ss, 250, "CHUNKING");
	reply_more(ss, 250, "DSN");
	if (auth_offered(ss))
		reply_more(ss, 250, "AUTH PLAIN LOGIN");
	if (ss->xclient_ok)
		reply_more(ss, 250, "XCLIENT ADDR HELO NAME PROTO");
	reply(ss, 250, NULL, "SMTPUTF8");
}

static void
cmd_ehlo(struct session *ss, char *args)
{
	cmd_ehlo_helo(ss, args, true);
}

static void
cmd_helo(struct session *ss, char *args)
{
	cmd_ehlo_helo(ss, args, false);
}

/* tls_ready - the STARTTLS handshake finished: begin again (RFC 3207
 * 4.2: forget everything learned before, the client says EHLO anew) */
static void
tls_ready(struct stream *s, void *ctx)
{
	struct session *ss = ctx;

	(void)s;
	ss->tls = true;
	session_helo(ss, "");
	ss->esmtp = false;
	ss->auth_user[0] = '\0';
	session_reset(ss);
	session_set_mode(ss, MODE_COMMAND);
}

static void
cmd_starttls(struct session *ss, char *args)
{
	if (!no_args(ss, args, "STARTTLS"))
		return;
	if (ss->tls) {
		reply(ss, 503, "5.5.1", "Error: TLS already active");
		return;
	}
	if (smtpd_tls_ctx == NULL || !var_smtpd_starttls) {
		reply(ss, 502, "5.5.1", "Error: command not implemented");
		return;
	}
	OK(ss, CNT_STARTTLS);
	reply(ss, 220, "2.0.0", "Ready to start TLS");
	ss->mode = MODE_TLS;
	if (stream_start_tls(ss->s, smtpd_tls_ctx, tls_ready) < 0) {
		msg_warn("[%s]: cannot start TLS", ss->addr);
		session_quit(ss);
	}
}

static void
cmd_mail(struct session *ss, char *args)
{
	struct smtp_reply r;

	if (ss->helo[0] == '\0') {
		reply(ss, 503, "5.5.1", "Error: send HELO/EHLO first");
		return;
	}
	if (ss->in_mail) {
		reply(ss, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (!ss->esmtp && strchr(args, '>') != NULL &&
	    strchr(args, '>')[1] != '\0') {
		reply(ss, 555, "5.5.4", "Error: MAIL parameters need EHLO");
		return;
	}
	if (smtp_parse_mail(args, ss->esmtp, &ss->mail, &r) < 0) {
		reply_r(ss, &r);
		return;
	}
	if (ss->mail.has_size && ss->mail.size > var_message_size_limit) {
		reply(ss, 552, "5.3.4", "Message size exceeds fixed limit");
		return;
	}
	if (auth_sender_ok(ss) < 0) {
		memset(&ss->mail, 0, sizeof(ss->mail));
		return;
	}
	/* SPF is for strangers; an authenticated user is known. */
	if (var_smtpd_spf && ss->auth_user[0] == '\0') {
		sender_check_mail(ss);
		return;
	}
	mail_accepted(ss);
}

void
mail_accepted(struct session *ss)
{
	ss->in_mail = true;
	ss->junk = 0;
	OK(ss, CNT_MAIL);
	reply(ss, 250, "2.1.0", "Ok");
}

static void
cmd_rcpt(struct session *ss, char *args)
{
	struct smtp_rcpt_args ra;
	struct smtp_reply r;
	struct resolved res;
	char text[ADDR_PATH_MAX + 1];
	const char *why;
	struct smtpd_rcpt *rc;

	if (!ss->in_mail) {
		reply(ss, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (smtp_parse_rcpt(args, ss->mail.smtputf8, &ra, &r) < 0) {
		reply_r(ss, &r);
		return;
	}
	if (ss->n_rcpts >= var_smtpd_recipient_limit) {
		reply(ss, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	/* RFC 5321 4.5.1: <postmaster> must always work. */
	if (ra.to.domain[0] == '\0')
		snprintf(ra.to.domain, sizeof(ra.to.domain), "%s",
		    var_mydomain);
	addr_text(&ra.to, text, sizeof(text));
	if ((why = addr_is_suspicious(&ra.to)) != NULL) {
		msg_info("reject: RCPT from [%s]: <%s>: relay trick: %s",
		    ss->addr, text, why);
		counter_add("smtpd_rejects_total", "reason=relay", 1);
		reply(ss, 554, "5.7.1", "<%s>: Relay access denied", text);
		return;
	}
	resolved_init(&res);
	switch (resolve_address(&smtpd_resolver, text, &res)) {
	case RESOLVE_USER:
	case RESOLVE_ALIAS:
		break;
	case RESOLVE_UNKNOWN:
		resolved_free(&res);
		msg_info("reject: RCPT from [%s]: <%s>: user unknown",
		    ss->addr, text);
		counter_add("smtpd_rejects_total", "reason=rcpt_unknown", 1);
		reply(ss, 550, "5.1.1", "<%s>: Recipient address rejected: "
		    "User unknown", text);
		return;
	case RESOLVE_REMOTE:
		resolved_free(&res);
		if (ss->auth_user[0] != '\0') {
			/* an authenticated user's mail out */
			if (outbound_rcpt(ss, text, ra.to.domain) < 0)
				return;
			break;
		}
		msg_info("reject: RCPT from [%s]: <%s>: relay access denied",
		    ss->addr, text);
		counter_add("smtpd_rejects_total", "reason=relay", 1);
		reply(ss, 554, "5.7.1", "<%s>: Relay access denied", text);
		return;
	case RESOLVE_TEMP:
		resolved_free(&res);
		msg_warn("RCPT from [%s]: <%s>: lookup failed: %s", ss->addr,
		    text, smtpd_resolver.error);
		reply(ss, 451, "4.3.0", "<%s>: Temporary lookup failure",
		    text);
		return;
	}
	resolved_free(&res);
	if (greylist_rcpt(ss, text) < 0)
		return;
	ss->rcpts = xrealloc(ss->rcpts, (ss->n_rcpts + 1) *
	    sizeof(*ss->rcpts));
	rc = &ss->rcpts[ss->n_rcpts++];
	rc->address = xstrdup(text);
	snprintf(rc->orcpt, sizeof(rc->orcpt), "%s", ra.orcpt);
	rc->notify = ra.notify;
	OK(ss, CNT_RCPT);
	reply(ss, 250, "2.1.5", "Ok");
}

/* transaction_ready - MAIL and at least one RCPT; else reply */
static bool
transaction_ready(struct session *ss)
{
	if (!ss->in_mail) {
		reply(ss, 503, "5.5.1", "Error: need MAIL command");
		return false;
	}
	if (ss->n_rcpts == 0) {
		reply(ss, 554, "5.5.1", "Error: no valid recipients");
		return false;
	}
	return true;
}

static void
cmd_data(struct session *ss, char *args)
{
	if (!no_args(ss, args, "DATA"))
		return;
	if (!transaction_ready(ss))
		return;
	if (ss->mail.body == SMTP_BODY_BINARYMIME) {
		reply(ss, 503, "5.5.1", "Error: BODY=BINARYMIME needs BDAT");
		return;
	}
	if (ss->q_open) {
		reply(ss, 503, "5.5.1", "Error: BDAT transaction in progress");
		return;
	}
	if (data_begin(ss, "DATA") < 0)
		return;
	OK(ss, CNT_DATA);
	ss->ds = DS_BOL;
	ss->bare_eol = false;
	session_set_mode(ss, MODE_DATA);
	reply(ss, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

static void
cmd_bdat(struct session *ss, char *args)
{
	char *sp = strchr(args, ' ');
	uint64_t size;
	const char *why;

	if (sp != NULL)
		*sp++ = '\0';
	if (strnum_u64(args, 0, UINT64_MAX, &size, &why) < 0 ||
	    (sp != NULL && strcasecmp(sp, "LAST") != 0)) {
		/* Without a size we cannot find the next command. */
		reply(ss, 501, "5.5.4", "Syntax: BDAT size [LAST]");
		stream_printf(ss->s, "421 4.5.0 %s Closing: lost BDAT "
		    "framing\r\n", var_myhostname);
		session_quit(ss);
		return;
	}
	ss->chunk_left = size;
	ss->chunk_last = sp != NULL;
	ss->chunk_failed = false;
	if (!ss->q_open && !ss->chunk_failed) {
		if (!ss->in_mail) {
			ss->chunk_failed = true;
			ss->chunk_reply = (struct smtp_reply){ 503, "5.5.1",
			    "Error: need MAIL command" };
		} else if (ss->n_rcpts == 0) {
			ss->chunk_failed = true;
			ss->chunk_reply = (struct smtp_reply){ 554, "5.5.1",
			    "Error: no valid recipients" };
		} else if (data_begin(ss, NULL) < 0) {
			ss->chunk_failed = true;
			ss->chunk_reply = (struct smtp_reply){ 451, "4.3.0",
			    "Error: queue file write error" };
		}
	}
	session_set_mode(ss, MODE_BDAT);
	if (size == 0) {
		size_t used = 0;

		(void)bdat_input(ss, (const uint8_t *)"", 0, &used);
	}
}

static void
cmd_rset(struct session *ss, char *args)
{
	if (!no_args(ss, args, "RSET"))
		return;
	session_reset(ss);
	OK(ss, CNT_RSET);
	reply(ss, 250, "2.0.0", "Ok");
}

static void
cmd_noop(struct session *ss, char *args)
{
	(void)args;		/* RFC 5321 4.1.1.9: a parameter is ignored */
	OK(ss, CNT_NOOP);
	reply(ss, 250, "2.0.0", "Ok");
}

static void
cmd_help(struct session *ss, char *args)
{
	(void)args;
	OK(ss, CNT_HELP);
	reply(ss, 214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT "
	    "RSET NOOP VRFY HELP QUIT STARTTLS; see RFC 5321");
}

static void
cmd_vrfy(struct session *ss, char *args)
{
	struct mail_addr a;
	struct resolved res;
	char text[ADDR_PATH_MAX + 1];
	size_t used;
	const char *why;

	if (args[0] == '\0') {
		reply(ss, 501, "5.5.4", "Syntax: VRFY address");
		return;
	}
	if (!var_smtpd_vrfy) {
		OK(ss, CNT_VRFY);
		reply(ss, 252, "2.0.0", "Cannot VRFY user, but will accept "
		    "message and attempt delivery");
		return;
	}
	if (addr_parse_path(args, strlen(args), ADDR_LAX, &a, &used,
	    &why) < 0 || args[used] != '\0') {
		reply(ss, 501, "5.1.3", "Bad address syntax: %s", why);
		return;
	}
	addr_text(&a, text, sizeof(text));
	resolved_init(&res);
	switch (resolve_address(&smtpd_resolver, text, &res)) {
	case RESOLVE_USER:
	case RESOLVE_ALIAS:
		OK(ss, CNT_VRFY);
		reply(ss, 250, "2.0.0", "<%s>", text);
		break;
	case RESOLVE_UNKNOWN:
		reply(ss, 550, "5.1.1", "<%s>: User unknown", text);
		break;
	case RESOLVE_REMOTE:
		OK(ss, CNT_VRFY);
		reply(ss, 252, "2.0.0", "<%s>: not a local address", text);
		break;
	case RESOLVE_TEMP:
		reply(ss, 451, "4.3.0", "<%s>: Temporary lookup failure",
		    text);
		break;
	}
	resolved_free(&res);
}

static void
cmd_quit(struct session *ss, char *args)
{
	(void)args;
	OK(ss, CNT_QUIT);
	stream_printf(ss->s, "221 2.0.0 Bye\r\n");
	session_quit(ss);
}

static const struct smtp_cmd cmds[] = {
	{ "EHLO", cmd_ehlo, CNT_EHLO, true },
	{ "HELO", cmd_helo, CNT_HELO, true },
	{ "STARTTLS", cmd_starttls, CNT_STARTTLS, true },
	{ "MAIL", cmd_mail, CNT_MAIL, false },
	{ "RCPT", cmd_rcpt, CNT_RCPT, false },
	{ "DATA", cmd_data, CNT_DATA, false },
	{ "BDAT", cmd_bdat, CNT_BDAT, false },
	{ "RSET", cmd_rset, CNT_RSET, true },
	{ "NOOP", cmd_noop, CNT_NOOP, true },
	{ "VRFY", cmd_vrfy, CNT_VRFY, true },
	{ "HELP", cmd_help, CNT_HELP, true },
	{ "QUIT", cmd_quit, CNT_QUIT, false },
	{ "XCLIENT", cmd_xclient, CNT_XCLIENT, false },
	{ "AUTH", cmd_auth, CNT_AUTH, false },
	{ NULL, NULL, 0, false },
};

void
cmd_dispatch(struct session *ss, char *line, size_t len)
{
	const struct smtp_cmd *c;
	size_t n = strcspn(line, " ");
	char *args = line + n;

	/* MAIL FROM: and RCPT TO: are matched by their first word. */
	while (*args == ' ')
		args++;
	while (len > 0 && line[len - 1] == ' ')
		line[--len] = '\0';
	for (c = cmds; c->name != NULL; c++)
		if (n == strlen(c->name) && strncasecmp(line, c->name, n) == 0)
			break;
	if (c->name == NULL) {
		ss->count_all[CNT_UNKNOWN]++;
		command_count("smtpd_commands_total", NULL);
		if (memchr(line, '\0', len) != NULL)
			reply(ss, 500, "5.5.2", "Error: NUL in command");
		else
			reply(ss, 500, "5.5.2", "Error: command not "
			    "recognized");
		if (++ss->junk > var_smtpd_junk_command_limit)
			goto junk;
		return;
	}
	ss->count_all[c->counter]++;
	command_count("smtpd_commands_total", c->name);
	if (c->junk && ++ss->junk > var_smtpd_junk_command_limit)
		goto junk;
	c->fn(ss, args);
	return;
junk:
	msg_info("too many commands without a message from [%s]", ss->addr);
	stream_printf(ss->s, "421 4.7.0 %s Error: too many commands\r\n",
	    var_myhostname);
	session_quit(ss);
}
