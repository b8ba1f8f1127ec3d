/*
 * NAME
 *	login - STARTTLS, LOGIN, AUTHENTICATE (PLAIN, LOGIN, SASL-IR), and
 *	the connections to authd and cryptd
 * DESCRIPTION
 *	Every session of the process shares one connection to authd:
 *	a login is a request on it, answered when authd's Argon2id run is
 *	done, while the other sessions go on.  Content keys come from
 *	cryptd over one shared connection too, synchronously: cryptd
 *	answers from memory in microseconds.  A password is wiped as soon
 *	as the request holding it is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "imapd/imapd.h"
#include "mail/params.h"
#include "mail/proto_auth.h"
#include "mail/sasl.h"
#include "mail/mstore.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"

#define AUTH_TIMEOUT_MS	60000

static struct ipc_conn *auth_conn;
static int crypt_fd = -1;

bool
login_allowed(const struct session *ss)
{
	if (ss->tls || strcmp(var_imapd_cleartext_login, "yes") == 0)
		return true;
	return ss->loopback &&
	    strcmp(var_imapd_cleartext_login, "loopback") == 0;
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

/* auth_closed - authd went away; pending logins get NULL replies */
static void
auth_closed(struct ipc_conn *c, const char *reason, void *ctx)
{
	(void)c;
	(void)ctx;
	msg_warn("authd: connection closed (%s)", reason);
	auth_conn = NULL;
}

/* auth_msg - authd sends nothing unasked */
static void
auth_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	(void)c;
	(void)m;
	(void)ctx;
}

/* auth_connect - the shared connection to authd, made on first use */
static struct ipc_conn *
auth_connect(void)
{
	const char *why;
	int fd;

	if (auth_conn != NULL)
		return auth_conn;
	fd = daemon_connect("authd", &why);
	if (fd < 0) {
		msg_warn("authd: %s", why);
		return NULL;
	}
	auth_conn = ipc_conn_new(fd, AUTH_PROTO, AUTH_MAJOR, AUTH_MINOR, 0,
	    auth_msg, auth_closed, NULL);
	return auth_conn;
}

/* logged_out - authd's answer to LOGOUT: nothing to do */
static void
logged_out(struct ipc_conn *c, struct ipc_msg *reply, void *ctx)
{
	(void)c;
	(void)reply;
	(void)ctx;
}

/* user_limit - imapd_user_connection_limit, counted by master for the
 * user and client address together; 0 to go on, -1 over the limit */
static int
user_limit(struct session *ss)
{
	uint64_t count = 0, rate = 0;

	if (var_imapd_user_connection_limit == 0)
		return 0;
	snprintf(ss->anvil_key, sizeof(ss->anvil_key), "%s/%s", ss->acc.user,
	    ss->addr);
	if (daemon_anvil(ss->anvil_key, true, 60, &count, &rate) < 0)
		return 0;
	ss->anvil_counted = true;
	if (count <= var_imapd_user_connection_limit)
		return 0;
	msg_warn("connection limit: %s has %llu sessions from [%s] on service "
	    "%s (imapd_user_connection_limit=%llu)", ss->acc.user,
	    (unsigned long long)count, ss->addr, daemon_service(),
	    (unsigned long long)var_imapd_user_connection_limit);
	return -1;
}

/* login_reply - authd's answer to LOGIN */
static void
login_reply(struct ipc_conn *c, struct ipc_msg *reply, void *ctx)
{
	struct session *ss = ctx;
	struct buf caps = BUF_INIT;
	char tag[IMAP_TAG_MAX + 1];
	int rc;

	(void)c;
	rc = maccess_login_reply(&ss->acc, reply);
	if (!session_resume(ss))
		return;		/* gone: session_free logged it out */
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
	if (user_limit(ss) < 0) {
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
	struct ipc_conn *c = auth_connect();
	struct ipc_msg m;
	int rc = -1;

	if (c != NULL && maccess_login_request(&m, user, pw, len, ss->addr,
	    "imap") == 0)
		rc = ipc_conn_request(c, &m, AUTH_TIMEOUT_MS, login_reply, ss);
	if (c != NULL) {
		sodium_memzero(m.payload.data, m.payload.len);
		ipc_msg_free(&m);
	}
	if (rc < 0) {
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
	size_t len;

	if (strcmp(b64, "*") == 0) {
		ss->mode = MODE_COMMAND;
		free(ss->sasl_user);
		ss->sasl_user = NULL;
		tagged(ss, ss->tag, "BAD", "Authentication cancelled");
		return;
	}
	if (ss->sasl_mech == 'P') {
		if (sasl_plain(strcmp(b64, "=") == 0 ? "" : b64, &cr, &why) <
		    0) {
			ss->mode = MODE_COMMAND;
			tagged(ss, ss->tag, "BAD", "%s", why);
			return;
		}
		start_login(ss, ss->tag, cr.user, cr.password,
		    cr.password_len);
		sasl_wipe(&cr);
		return;
	}
	/* LOGIN: first the user name, then the password. */
	if (ss->sasl_user == NULL) {
		if (sasl_login_part(b64, cr.user, &len, &why) < 0) {
			ss->mode = MODE_COMMAND;
			tagged(ss, ss->tag, "BAD", "%s", why);
			return;
		}
		ss->sasl_user = xstrdup(cr.user);
		stream_printf(ss->s, "+ UGFzc3dvcmQ6\r\n");	/* Password: */
		return;
	}
	if (sasl_login_part(b64, cr.password, &cr.password_len, &why) < 0) {
		ss->mode = MODE_COMMAND;
		free(ss->sasl_user);
		ss->sasl_user = NULL;
		tagged(ss, ss->tag, "BAD", "%s", why);
		return;
	}
	snprintf(cr.user, sizeof(cr.user), "%s", ss->sasl_user);
	free(ss->sasl_user);
	ss->sasl_user = NULL;
	start_login(ss, ss->tag, cr.user, cr.password, cr.password_len);
	sasl_wipe(&cr);
}

void
sasl_input(struct session *ss, const char *line, size_t len)
{
	char b64[SASL_MAX * 2];

	if (len >= sizeof(b64)) {
		ss->mode = MODE_COMMAND;
		free(ss->sasl_user);
		ss->sasl_user = NULL;
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
	if (imap_arg_is_atom(mech, "PLAIN"))
		ss->sasl_mech = 'P';
	else if (imap_arg_is_atom(mech, "LOGIN"))
		ss->sasl_mech = 'L';
	else {
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
	stream_printf(ss->s, ss->sasl_mech == 'P' ? "+ \r\n" :
	    "+ VXNlcm5hbWU6\r\n");	/* Username: */
}

int
keys_open(struct session *ss, int fd, uint8_t key[32], const char **error_r)
{
	return maccess_key(&ss->acc, &crypt_fd, fd, key, error_r);
}

void
login_end(struct session *ss)
{
	struct ipc_msg m;
	uint64_t count, rate;

	if (ss->anvil_counted)
		(void)daemon_anvil(ss->anvil_key, false, 0, &count, &rate);
	ss->anvil_counted = false;
	if (ss->acc.logged_in && auth_connect() != NULL) {
		if (maccess_logout_request(&m, &ss->acc) == 0)
			(void)ipc_conn_request(auth_conn, &m, AUTH_TIMEOUT_MS,
			    logged_out, NULL);
		ipc_msg_free(&m);
	}
	sodium_memzero(ss->acc.handle, sizeof(ss->acc.handle));
	ss->acc.logged_in = false;
}
