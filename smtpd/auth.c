/*
 * NAME
 *	auth - SMTP AUTH for submission (RFC 4954, RFC 8314): PLAIN and
 *	LOGIN through authd, and the sender the user may use
 * DESCRIPTION
 *	Offered only by a submission service (smtpd_submission = yes), and
 *	only over TLS unless smtpd_cleartext_login allows it.  The password
 *	goes to authd over the process's shared connection (lib/mail/
 *	mlogin); the session reads nothing until the answer comes.  It is
 *	a password check only: authd opens no key session in cryptd (a
 *	user's private key is not needed to send mail), and smtpd keeps
 *	only the canonical address.
 *
 *	An authenticated client may send as itself only: the envelope
 *	sender at MAIL, the From: field (exactly one, with exactly that
 *	address) at the end of the message (553 5.7.1 otherwise).  It may
 *	send anywhere (relay); without AUTH a submission service takes no
 *	mail (530 5.7.0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mail/mlogin.h"
#include "mail/params.h"
#include "mail/sasl.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

bool
auth_offered(const struct session *ss)
{
	return var_smtpd_submission && mlogin_cleartext_ok(
	    var_smtpd_cleartext_login, ss->tls, sock_text_is_local(ss->addr));
}

/* done - authd answered */
static void
done(void *ctx, int rc)
{
	struct session *ss = ctx;

	if (ss->gone) {
		session_free(ss);
		return;
	}
	session_set_mode(ss, MODE_COMMAND);
	stream_resume(ss->s);
	counter_add("smtpd_auth_total", rc < 0 ? "result=tempfail" :
	    rc == 0 ? "result=failed" : "result=ok", 1);
	if (rc < 0) {
		reply(ss, 454, "4.7.0", "Temporary authentication failure");
	} else if (rc == 0) {
		msg_info("[%s]: authentication failed", ss->addr);
		reply(ss, 535, "5.7.8", "Authentication credentials invalid");
	} else {
		snprintf(ss->auth_user, sizeof(ss->auth_user), "%s",
		    ss->acc.user);
		mlogin_end(&ss->acc);
		msg_info("[%s]: authenticated: user=%s", ss->addr,
		    ss->auth_user);
		ss->count_ok[CNT_AUTH]++;
		reply(ss, 235, "2.7.0", "Authentication successful");
	}
}

/* start - send the credentials to authd */
static void
start(struct session *ss, const char *user, const char *pw, size_t len)
{
	/* A password check only: sending needs no key of the user's. */
	if (mlogin_start(&ss->acc, user, pw, len, ss->addr, "submission",
	    MLOGIN_PASSWORD_ONLY, done, ss) < 0) {
		reply(ss, 454, "4.7.0", "Temporary authentication failure");
		return;
	}
	session_set_mode(ss, MODE_CHECK);
	stream_pause(ss->s);
}

/* answer - one base64 client response */
static void
answer(struct session *ss, const char *b64)
{
	struct sasl_creds cr;
	const char *why;

	session_set_mode(ss, MODE_COMMAND);
	switch (sasl_step(&ss->sasl, b64, &cr, &why)) {
	case SASL_PASSWORD:
		session_set_mode(ss, MODE_SASL);
		stream_printf(ss->s, "334 UGFzc3dvcmQ6\r\n");	/* Password: */
		return;
	case SASL_CANCEL:
		reply(ss, 501, "5.7.0", "Authentication aborted");
		return;
	case SASL_BAD:
		reply(ss, 501, "5.5.2", "%s", why);
		return;
	case SASL_DONE:
		start(ss, cr.user, cr.password, cr.password_len);
		sasl_wipe(&cr);
		return;
	}
}

void
auth_input(struct session *ss, char *line, size_t len)
{
	char b64[SASL_MAX * 2];

	if (len >= sizeof(b64)) {
		session_set_mode(ss, MODE_COMMAND);
		sasl_end(&ss->sasl);
		reply(ss, 500, "5.5.6", "Authentication exchange line too long");
		return;
	}
	memcpy(b64, line, len);
	b64[len] = '\0';
	sodium_memzero(line, len);
	answer(ss, b64);
	sodium_memzero(b64, sizeof(b64));
}

void
cmd_auth(struct session *ss, char *args)
{
	char *ir, *mech = args;
	size_t len = strlen(args);

	if (!var_smtpd_submission) {
		/* Only submission services log users in (RFC 4954 4). */
		reply(ss, 502, "5.5.1", "Error: command not implemented");
		goto wipe;
	}
	if (ss->auth_user[0] != '\0' || ss->in_mail) {
		reply(ss, 503, "5.5.1", "Error: %s", ss->in_mail ?
		    "AUTH inside a transaction" : "already authenticated");
		goto wipe;
	}
	if (!auth_offered(ss)) {
		reply(ss, 538, "5.7.11", "Encryption required for requested "
		    "authentication mechanism");
		goto wipe;
	}
	if ((ir = strchr(args, ' ')) != NULL)
		*ir++ = '\0';
	if (sasl_begin(&ss->sasl, mech) < 0) {
		reply(ss, 504, "5.5.4", "Unrecognized authentication type");
		goto wipe;
	}
	if (ir != NULL) {
		answer(ss, ir);		/* RFC 4954 4: the initial response */
		goto wipe;
	}
	session_set_mode(ss, MODE_SASL);
	stream_printf(ss->s, ss->sasl.mech == 'P' ? "334 \r\n" :
	    "334 VXNlcm5hbWU6\r\n");	/* Username: */
wipe:
	sodium_memzero(args, len);
}

int
auth_sender_ok(struct session *ss)
{
	char from[ADDR_PATH_MAX + 1];

	if (!var_smtpd_submission)
		return 0;
	if (ss->auth_user[0] == '\0') {
		reply(ss, 530, "5.7.0", "Authentication required");
		return -1;
	}
	if (!ss->mail.from.null)
		addr_text(&ss->mail.from, from, sizeof(from));
	switch (ss->mail.from.null ? 0 : resolve_owns(&smtpd_resolver,
	    ss->auth_user, from)) {
	case 1:
		return 0;
	case -1:
		msg_warn("[%s]: <%s>: %s", ss->addr, from,
		    smtpd_resolver.error);
		reply(ss, 451, "4.3.0", "<%s>: Temporary lookup failure", from);
		return -1;
	default:
		counter_add("smtpd_rejects_total", "reason=sender_not_owned", 1);
		msg_info("reject: MAIL from [%s]: <%s>: not owned by user=%s",
		    ss->addr, ss->mail.from.null ? "" : from, ss->auth_user);
		reply(ss, 553, "5.7.1", "<%s>: Sender address not owned by "
		    "user %s", ss->mail.from.null ? "" : from, ss->auth_user);
		return -1;
	}
}

int
auth_header_ok(struct session *ss)
{
	if (!var_smtpd_submission || ss->auth_user[0] == '\0')
		return 0;
	switch (ss->from_fields == 1 && ss->from_addr[0] != '\0' ?
	    resolve_owns(&smtpd_resolver, ss->auth_user, ss->from_addr) : 0) {
	case 1:
		return 0;
	case -1:
		msg_warn("[%s]: <%s>: %s", ss->addr, ss->from_addr,
		    smtpd_resolver.error);
		reply(ss, 451, "4.3.0", "Error: temporary lookup failure");
		return -1;
	default:
		counter_add("smtpd_rejects_total", "reason=from_not_owned", 1);
		msg_info("reject: message from [%s]: From: header not owned by "
		    "user=%s", ss->addr, ss->auth_user);
		reply(ss, 553, "5.7.1", "Error: the From: header must be <%s> "
		    "or one of its aliases (and only one address)",
		    ss->auth_user);
		return -1;
	}
}
