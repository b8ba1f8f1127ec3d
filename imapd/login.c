/*
 * NAME
 *	login - STARTTLS, LOGIN, AUTHENTICATE (PLAIN, LOGIN, SASL-IR), and
 *	the connections to authd and cryptd
 * DESCRIPTION
 *	The exchanges with authd and cryptd are lib/mail/mlogin's; here
 *	is IMAP's side of them.  A password is wiped as soon as the
 *	request holding it is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "imapd/imapd.h"
#include "mail/mlogin.h"
#include "mail/mstore.h"
#include "mail/params.h"
#include "mail/sasl.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"

bool
login_allowed(const struct session *ss)
{
	return mlogin_cleartext_ok(var_imapd_cleartext_login, ss->tls,
	    ss->loopback);
}

/* tls_done - STARTTLS handshake over: a fresh session (RFC 3501 6.2.1) */
static void
tls_done(struct stream *s, void *ctx)
{
	struct session *ss = ctx;

	(void)s;
	ss->tls = true;
	ss->mode = MODE_COMMAND;
}

void
cmd_starttls(struct session *ss, struct imap_command *c, bool uid)
{
	(void)uid;
	if (c->n_args != 0) {
		tagged(ss, c->tag, "BAD", "STARTTLS takes no arguments");
		return;
	}
	if (ss->tls || imapd_tls_ctx == NULL || !var_imapd_starttls) {
		tagged(ss, c->tag, "BAD", ss->tls ? "TLS is already active" :
		    "STARTTLS is not offered");
		return;
	}
	tagged(ss, c->tag, "OK", "Begin TLS negotiation now");
	ss->mode = MODE_TLS;
	/* Anything pipelined after STARTTLS is dropped by the stream. */
	(void)stream_start_tls(ss->s, imapd_tls_ctx, tls_done);
}

/* login_reply - authd's answer to LOGIN */
static void
login_reply(void *ctx, int rc)
{
	struct session *ss = ctx;
	struct buf caps = BUF_INIT;
	char tag[IMAP_TAG_MAX + 1];

	if (!session_resume(ss))
		return;		/* gone: session_free logged it out */
	counter_add("logins_total", rc < 0 ? "result=tempfail" : rc == 0 ?
	    "result=failed" : "result=ok", 1);
	snprintf(tag, sizeof(tag), "%s", ss->tag);
	if (rc < 0) {
		tagged(ss, tag, "NO", "[UNAVAILABLE] Authentication is "
		    "temporarily unavailable, try again later");
		return;
	}
	if (rc == 0) {
		msg_info("[%s] authentication failed", ss->addr);
		tagged(ss, tag, "NO", "[AUTHENTICATIONFAILED] Authentication "
		    "failed");
		return;
	}
	if (mstore_mailbox_dir(ss->acc.user, ss->mdir, sizeof(ss->mdir)) < 0) {
		msg_warn("%s: the address cannot name a mailbox", ss->acc.user);
		login_end(ss);
		tagged(ss, tag, "NO", "[UNAVAILABLE] This account has no "
		    "usable mailbox");
		return;
	}
	if (mlogin_count(&ss->count, ss->acc.user, ss->addr,
	    var_imapd_user_connection_limit, "imapd_user_connection_limit") <
	    0) {
		login_end(ss);
		tagged(ss, tag, "NO", "[LIMIT] Too many sessions of this user "
		    "from your address");
		return;
	}
	msg_info("[%s] login: user=%s tls=%s", ss->addr, ss->acc.user,
	    ss->tls ? "yes" : "no");
	session_logged_in(ss);
	folder_make_special(ss);
	capability_text(ss, &caps);
	tagged(ss, tag, "OK", "[CAPABILITY %s] Logged in", buf_cstr(&caps));
	buf_free(&caps);
}

/* start_login - send user and password to authd and wait */
static void
start_login(struct session *ss, const char *tag, const char *user,
    const char *pw, size_t len)
{
	if (mlogin_start(&ss->acc, user, pw, len, ss->addr, "imap",
	    MLOGIN_KEYS, login_reply, ss) < 0) {
		ss->mode = MODE_COMMAND;
		tagged(ss, tag, "NO", "[UNAVAILABLE] Authentication is "
		    "temporarily unavailable, try again later");
		return;
	}
	session_wait(ss, tag);
}

/* refuse_cleartext - LOGINDISABLED: say why, once per attempt */
static bool
refuse_cleartext(struct session *ss, const char *tag)
{
	if (login_allowed(ss))
		return false;
	tagged(ss, tag, "NO", "[PRIVACYREQUIRED] Use STARTTLS (or port 993) "
	    "before logging in");
	return true;
}

/* arg_string - an astring argument into out (NUL-terminated); -1 if it
 * is not a string, too long, or holds a NUL */
static int
arg_string(const struct imap_arg *a, char *out, size_t size)
{
	if (a == NULL || (a->type != IMAP_ATOM && a->type != IMAP_QUOTED &&
	    a->type != IMAP_LITERAL) || a->len >= size ||
	    memchr(a->data, '\0', a->len) != NULL)
		return -1;
	memcpy(out, a->data, a->len);
	out[a->len] = '\0';
	return 0;
}

void
cmd_login(struct session *ss, struct imap_command *c, bool uid)
{
	char user[SASL_MAX + 1], pw[SASL_MAX + 1];

	(void)uid;
	if (refuse_cleartext(ss, c->tag))
		return;
	if (c->n_args != 2 || arg_string(c->args, user, sizeof(user)) < 0 ||
	    arg_string(c->args->next, pw, sizeof(pw)) < 0) {
		tagged(ss, c->tag, "BAD", "LOGIN needs a user name and a "
		    "password");
		return;
	}
	start_login(ss, c->tag, user, pw, strlen(pw));
	sodium_memzero(pw, sizeof(pw));
	/* The literal that carried it, too. */
	sodium_memzero(c->args->next->owned != NULL ? c->args->next->owned :
	    (char *)c->args->next->data, c->args->next->len);
}

/* sasl_answer - one client response of AUTHENTICATE */
static void
sasl_answer(struct session *ss, const char *b64)
{
	struct sasl_creds cr;
	const char *why;

	switch (sasl_step(&ss->sasl, b64, &cr, &why)) {
	case SASL_PASSWORD:
		stream_printf(ss->s, "+ UGFzc3dvcmQ6\r\n");	/* Password: */
		return;
	case SASL_CANCEL:
		ss->mode = MODE_COMMAND;
		tagged(ss, ss->tag, "BAD", "Authentication cancelled");
		return;
	case SASL_BAD:
		ss->mode = MODE_COMMAND;
		tagged(ss, ss->tag, "BAD", "%s", why);
		return;
	case SASL_DONE:
		start_login(ss, ss->tag, cr.user, cr.password,
		    cr.password_len);
		sasl_wipe(&cr);
		return;
	}
}

void
sasl_input(struct session *ss, const char *line, size_t len)
{
	char b64[SASL_MAX * 2];

	if (len >= sizeof(b64)) {
		ss->mode = MODE_COMMAND;
		sasl_end(&ss->sasl);
		tagged(ss, ss->tag, "BAD", "Authentication response too long");
		return;
	}
	memcpy(b64, line, len);
	b64[len] = '\0';
	sasl_answer(ss, b64);
	sodium_memzero(b64, sizeof(b64));
}

void
cmd_authenticate(struct session *ss, struct imap_command *c, bool uid)
{
	const struct imap_arg *mech = c->args;
	char ir[SASL_MAX * 2];

	(void)uid;
	if (c->n_args < 1 || c->n_args > 2 || mech->type != IMAP_ATOM) {
		tagged(ss, c->tag, "BAD", "AUTHENTICATE needs a mechanism");
		return;
	}
	if (refuse_cleartext(ss, c->tag))
		return;
	if (arg_string(mech, ir, 16) < 0 || sasl_begin(&ss->sasl, ir) < 0) {
		tagged(ss, c->tag, "NO", "Unsupported authentication mechanism");
		return;
	}
	snprintf(ss->tag, sizeof(ss->tag), "%s", c->tag);
	ss->mode = MODE_SASL;
	if (c->n_args == 2) {
		/* SASL-IR (RFC 4959): the first response on the line. */
		if (arg_string(mech->next, ir, sizeof(ir)) < 0) {
			ss->mode = MODE_COMMAND;
			tagged(ss, c->tag, "BAD", "Bad initial response");
			return;
		}
		sasl_answer(ss, ir);
		sodium_memzero(ir, sizeof(ir));
		return;
	}
	stream_printf(ss->s, ss->sasl.mech == 'P' ? "+ \r\n" :
	    "+ VXNlcm5hbWU6\r\n");	/* Username: */
}

int
keys_open(struct session *ss, int fd, uint8_t key[32], const char **error_r)
{
	return mlogin_key(&ss->acc, fd, key, error_r);
}

void
login_end(struct session *ss)
{
	mlogin_uncount(&ss->count);
	mlogin_end(&ss->acc);
}
