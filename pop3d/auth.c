/*
 * NAME
 *	auth - the AUTHORIZATION state: CAPA, STLS, USER/PASS, AUTH PLAIN
 * DESCRIPTION
 *	Passwords go to authd through lib/mail/mlogin (Argon2id and the
 *	per-address throttling are authd's) and are wiped as soon as the
 *	request holding them is sent.  Before TLS, USER, PASS and AUTH are
 *	refused unless pop3d_cleartext_login allows them (RFC 2595 2), and
 *	CAPA then lists neither USER nor SASL.  APOP is not offered: it
 *	needs the plaintext password on the server, which the store never
 *	has (zero-access).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mail/mstore.h"
#include "mail/params.h"
#include "pop3d/pop3d.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"

/* login_allowed - may this connection send a password? */
static bool
login_allowed(const struct session *ss)
{
	return mlogin_cleartext_ok(var_pop3d_cleartext_login, ss->tls,
	    ss->loopback);
}

void
cmd_capa(struct session *ss, char *arg)
{
	(void)arg;
	ok(ss, "Capability list follows");
	stream_printf(ss->s, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n");
	if (ss->state == ST_AUTH && login_allowed(ss))
		stream_printf(ss->s, "USER\r\nSASL PLAIN\r\n");
	if (ss->state == ST_AUTH && !ss->tls && pop3d_tls_ctx != NULL &&
	    var_pop3d_starttls)
		stream_printf(ss->s, "STLS\r\n");
	/* RFC 2449 6.7, 6.8: policy, as configured. */
	stream_printf(ss->s, "EXPIRE %s\r\n", var_pop3d_expire);
	if (var_pop3d_login_delay > 0)
		stream_printf(ss->s, "LOGIN-DELAY %llu\r\n",
		    (unsigned long long)var_pop3d_login_delay);
	stream_printf(ss->s, "IMPLEMENTATION Postern\r\n.\r\n");
}

/* tls_done - STLS handshake over: CAPA may say more now */
static void
tls_done(struct stream *s, void *ctx)
{
	struct session *ss = ctx;

	(void)s;
	ss->tls = true;
	ss->mode = MODE_COMMAND;
}

void
cmd_stls(struct session *ss, char *arg)
{
	if (*arg != '\0') {
		err(ss, true, "STLS takes no arguments");
		return;
	}
	if (ss->tls || pop3d_tls_ctx == NULL || !var_pop3d_starttls) {
		err(ss, true, ss->tls ? "TLS is already active" :
		    "STLS is not offered");
		return;
	}
	ok(ss, "Begin TLS negotiation");
	ss->mode = MODE_TLS;
	/* Anything pipelined after STLS is dropped by the stream. */
	(void)stream_start_tls(ss->s, pop3d_tls_ctx, tls_done);
}

/* refuse_cleartext - RFC 2595 / 3206 [AUTH]: TLS first */
static bool
refuse_cleartext(struct session *ss)
{
	if (login_allowed(ss))
		return false;
	err(ss, false, "[AUTH] Use STLS (or port 995) before logging in");
	return true;
}

/* login_delay - RFC 2449 8.1.2 LOGIN-DELAY: 0, or -1 too soon */
static int
login_delay(struct session *ss)
{
	char key[ADDR_PATH_MAX + 32];
	struct anvil_limits lim = {
		.limit_name = "", .rate_limit = 1,
		.rate_name = "pop3d_login_delay",
		.window_s = var_pop3d_login_delay,
	};
	int verdict;

	if (var_pop3d_login_delay == 0)
		return 0;
	snprintf(key, sizeof(key), "pop3-login/%s", ss->acc.user);
	if ((verdict = daemon_anvil(key, true, &lim)) < 0)
		return 0;
	(void)daemon_anvil(key, false, NULL);
	return verdict == ANVIL_REFUSED_RATE ? -1 : 0;
}

/* login_reply - authd answered */
static void
login_reply(void *ctx, int rc)
{
	struct session *ss = ctx;

	if (!session_resume(ss))
		return;		/* gone: session_free logged it out */
	counter_add("logins_total", rc < 0 ? "result=tempfail" : rc == 0 ?
	    "result=failed" : "result=ok", 1);
	if (rc < 0) {
		err(ss, false, "[SYS/TEMP] Authentication is temporarily "
		    "unavailable, try again later");
		return;
	}
	if (rc == 0) {
		msg_info("[%s] authentication failed", ss->addr);
		err(ss, false, "[AUTH] Authentication failed");
		return;
	}
	if (mlogin_count(&ss->count, ss->acc.user, ss->addr,
	    var_pop3d_user_connection_limit, "pop3d_user_connection_limit") <
	    0) {
		auth_end(ss);
		err(ss, false, "[SYS/TEMP] Too many sessions of this user "
		    "from your address");
		return;
	}
	if (login_delay(ss) < 0) {
		msg_info("[%s] login-delay: user=%s", ss->addr, ss->acc.user);
		auth_end(ss);
		err(ss, false, "[LOGIN-DELAY] Wait %llu seconds between "
		    "logins", (unsigned long long)var_pop3d_login_delay);
		return;
	}
	if (maildrop_open(ss) < 0) {
		auth_end(ss);
		return;
	}
	msg_info("[%s] login: user=%s tls=%s messages=%zu", ss->addr,
	    ss->acc.user, ss->tls ? "yes" : "no", ss->n_msgs);
	ss->state = ST_TRANS;
	ok(ss, "Logged in, %zu messages", ss->n_msgs);
}

/* start_login - send user and password to authd and wait */
static void
start_login(struct session *ss, const char *user, const char *pw,
    size_t len)
{
	if (mlogin_start(&ss->acc, user, pw, len, ss->addr, "pop3",
	    MLOGIN_KEYS_ASYNC, login_reply, ss) < 0) {
		err(ss, false, "[SYS/TEMP] Authentication is temporarily "
		    "unavailable, try again later");
		return;
	}
	ss->mode = MODE_WAIT;
	stream_pause(ss->s);
}

void
cmd_user(struct session *ss, char *arg)
{
	if (refuse_cleartext(ss))
		return;
	if (*arg == '\0' || strlen(arg) > SASL_MAX) {
		err(ss, true, "USER needs a name");
		return;
	}
	free(ss->user);
	ss->user = xstrdup(arg);
	ok(ss, "Send PASS");
}

void
cmd_pass(struct session *ss, char *arg)
{
	size_t len = strlen(arg);
	char *user = ss->user;

	if (refuse_cleartext(ss)) {
		sodium_memzero(arg, len);
		return;
	}
	if (user == NULL) {
		sodium_memzero(arg, len);
		err(ss, true, "USER first");
		return;
	}
	ss->user = NULL;
	/* RFC 1939 7: the password may hold spaces; take the whole rest. */
	start_login(ss, user, arg, len);
	sodium_memzero(arg, len);
	free(user);
}

void
cmd_apop(struct session *ss, char *arg)
{
	(void)arg;
	err(ss, true, "APOP is not offered (the server keeps no plaintext "
	    "password); use USER/PASS or AUTH PLAIN over TLS");
}

/* plain - one base64 PLAIN response */
static void
plain(struct session *ss, const char *b64)
{
	struct sasl_creds cr;
	const char *why;

	ss->mode = MODE_COMMAND;
	if (strcmp(b64, "*") == 0) {
		err(ss, false, "Authentication cancelled");
		return;
	}
	if (sasl_plain(strcmp(b64, "=") == 0 ? "" : b64, &cr, &why) < 0) {
		err(ss, true, "%s", why);
		return;
	}
	start_login(ss, cr.user, cr.password, cr.password_len);
	sasl_wipe(&cr);
}

void
sasl_input(struct session *ss, const char *line, size_t len)
{
	char b64[SASL_MAX * 2];

	if (len >= sizeof(b64)) {
		ss->mode = MODE_COMMAND;
		err(ss, true, "Authentication response too long");
		return;
	}
	memcpy(b64, line, len);
	b64[len] = '\0';
	sodium_memzero((char *)line, len);	/* the stream's copy */
	plain(ss, b64);
	sodium_memzero(b64, sizeof(b64));
}

void
cmd_auth(struct session *ss, char *arg)
{
	char *ir = strchr(arg, ' ');
	size_t len = strlen(arg);

	if (*arg == '\0') {
		/* RFC 5034 4: the mechanisms, as a list. */
		ok(ss, "Mechanisms follow");
		stream_printf(ss->s, "%s.\r\n", login_allowed(ss) ?
		    "PLAIN\r\n" : "");
		return;
	}
	if (ir != NULL)
		*ir++ = '\0';
	if (strcasecmp(arg, "PLAIN") != 0) {
		err(ss, false, "Unsupported authentication mechanism");
		goto wipe;
	}
	if (refuse_cleartext(ss))
		goto wipe;
	if (ir != NULL) {
		/* The initial response (RFC 5034 4). */
		plain(ss, ir);
		goto wipe;
	}
	ss->mode = MODE_SASL;
	stream_printf(ss->s, "+ \r\n");
	return;
wipe:
	sodium_memzero(arg, len);
}

void
auth_end(struct session *ss)
{
	free(ss->user);
	ss->user = NULL;
	mlogin_uncount(&ss->count);
	mlogin_end(&ss->acc);
}
