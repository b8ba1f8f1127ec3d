/*
 * NAME
 *	session - the SMTP client conversation for one recipient
 * DESCRIPTION
 *	Greeting, EHLO (HELO when EHLO is refused), STARTTLS as the TLS
 *	level says, then MAIL FROM with SIZE=, BODY=8BITMIME and SMTPUTF8
 *	as the server offers them, RCPT TO, DATA with the message streamed
 *	from the queue file and dot-stuffed (RFC 5321 4.5.2); MAIL, RCPT
 *	and DATA go in one write when the server offers PIPELINING (RFC
 *	2920).  Failures before a session stands (no connection, a
 *	greeting or EHLO refused, TLS required and not had) move on to
 *	the next address; once a transaction runs, its replies decide:
 *	2xx sent, 4xx deferred, 5xx bounced, with the server's own words.
 *	8-bit mail for a server without 8BITMIME is returned (5.6.3), not
 *	broken, and so is mail with UTF-8 addresses for a server without
 *	SMTPUTF8 (5.6.7, RFC 6531 3.2).
 *
 *	A server that offers DSN gets the envelope's DSN parameters as they
 *	came (RET, ENVID on MAIL; NOTIFY, ORCPT on RCPT; RFC 3461 6.2.1):
 *	it reports from then on.  One that does not is told nothing, and
 *	the answer to qmgr says so, for a "relayed" notice (RFC 3461
 *	6.2.2).
 *
 *	With smtp_dns_support_level = dnssec, validated TLSA records of
 *	an MX host (mx.c) make TLS mandatory and authenticated by DANE
 *	(RFC 7672) whatever the policy says, unless it says none.
 *
 *	After a delivery the connection stays open for
 *	smtp_connection_reuse_time, and the next delivery to the same
 *	next hop (qmgr sends it to this process when it can) starts with
 *	RSET on it instead of a new connection.
 * SEE ALSO
 *	Postfix src/smtp/smtp_proto.c, RFC 5321, RFC 3207, RFC 2920,
 *	RFC 1870, RFC 6152, RFC 6531, RFC 7672.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mail/params.h"
#include "mail/smtp_args.h"
#include "mail/smtp_resp.h"
#include "smtp/smtp.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/ipc.h"
#include "util/log.h"
#include "util/map.h"
#include "util/mem.h"
#include "util/tls.h"

#define ADDR_MAX	16
#define DATA_CHUNK	65536

struct session {
	struct smtp_conn *c;
	unsigned features;
	uint64_t size_max;	/* SIZE n, 0: none given */
	bool tls;
	char hop[SMTP_HOST_MAX];	/* the next hop it was made for */
};

/* A reply: code and the text of every line, joined by spaces. */
struct reply {
	unsigned code;
	struct buf text;	/* "550 5.1.1 <x>: no such user" */
	struct buf lines;	/* each line's text after "ddd-", '\n' apart */
};

#define REPLY_INIT	{ 0, BUF_INIT, BUF_INIT }
#define REPLY_TEXT_MAX	1024	/* what logs and bounces get of it */

static struct session *idle;	/* kept for reuse, or NULL */
static uint64_t deadline_ms;	/* of the delivery in hand */
static struct ev_timer *idle_timer;
static struct map *policy_map;

void
smtp_policy_open(void)
{
	const char *why;
	char *spec;

	if (params_smtp_tls_level(var_smtp_tls_security_level) < 0)
		msg_fatal("smtp_tls_security_level = %s: not none, may, "
		    "encrypt or verify", var_smtp_tls_security_level);
	if (var_smtp_tls_policy_maps[0] == '\0')
		return;
	spec = daemon_map_spec(var_smtp_tls_policy_maps);
	policy_map = map_open(spec, MAP_RDONLY, &why);
	if (policy_map == NULL)
		msg_fatal("smtp_tls_policy_maps = %s: %s",
		    var_smtp_tls_policy_maps, why);
	free(spec);
}

/* tls_level - the level for nexthop: the policy table's word for it
 * (the next hop as given, then its bare domain), else the default; -1
 * when the table fails or says something else */
static int
tls_level(const char *nexthop, char *why, size_t size)
{
	char key[SMTP_HOST_MAX + 16], dom[SMTP_HOST_MAX];
	struct buf v = BUF_INIT;
	int found = 0, level;

	if (policy_map != NULL) {
		snprintf(key, sizeof(key), "%s", nexthop);
		for (char *p = key; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		mx_domain(nexthop, dom, sizeof(dom));
		found = map_lookup(policy_map, key, &v);
		if (found == 0)
			found = map_lookup(policy_map, dom, &v);
	}
	if (found < 0) {
		snprintf(why, size, "smtp_tls_policy_maps lookup failed: %s",
		    map_error(policy_map));
		buf_free(&v);
		return -1;
	}
	level = params_smtp_tls_level(found > 0 ? buf_cstr(&v) :
	    var_smtp_tls_security_level);
	if (level < 0)
		snprintf(why, size, "smtp_tls_policy_maps: %s: unknown level "
		    "\"%.50s\"", nexthop, buf_cstr(&v));
	buf_free(&v);
	return level;
}

void
smtp_result(struct smtp_result *r, int status, const char *dsn,
    const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* set_relay - relay=host[ip]:port of the log line */
static void
set_relay(struct smtp_result *r, const struct smtp_addr *a)
{
	snprintf(r->relay, sizeof(r->relay), "%s[%s]:%u", a->host, a->ip,
	    a->port);
}

/* io_failed - the connection failed during stage: deferred */
static void
io_failed(struct smtp_result *r, const struct smtp_conn *c,
    const char *stage)
{
	const char *e = c->error != NULL ? c->error : "lost connection";

	if (strcmp(e, "timed out") == 0)
		smtp_result(r, IPC_ETEMP, "4.4.2", "conversation with %s[%s] "
		    "timed out while %s", c->addr.host, c->addr.ip, stage);
	else
		smtp_result(r, IPC_ETEMP, "4.4.2", "%s with %s[%s] while %s", e,
		    c->addr.host, c->addr.ip, stage);
}

/* put_printable - append untrusted text for logs and bounces: bytes
 * other than printable ASCII become '?' (see Postfix printable()) */
static void
put_printable(struct buf *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_putc(b, p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
}

/* budget - a timeout in seconds, cut to what is left of the delivery's
 * time: qmgr gives up on an agent after delivery_timeout, and a delivery
 * that goes on after that could be made twice */
static unsigned
budget(uint64_t want_s)
{
	uint64_t now = conn_now_ms(), left;

	left = deadline_ms > now ? (deadline_ms - now + 999) / 1000 : 1;
	return (unsigned)(want_s < left ? want_s : left);
}

/* conn_t, helo_t, cmd_t, data_t - the timeouts, within the budget */
static unsigned
conn_t(void)
{
	return budget(var_smtp_connect_timeout);
}

static unsigned
helo_t(void)
{
	return budget(var_smtp_helo_timeout);
}

static unsigned
cmd_t(void)
{
	return budget(var_smtp_command_timeout);
}

static unsigned
data_t(void)
{
	return budget(var_smtp_data_timeout);
}

/* reply_free - release a reply's buffers */
static void
reply_free(struct reply *rp)
{
	buf_free(&rp->text);
	buf_free(&rp->lines);
}

/* read_reply - one (multi-line) reply; 0, or -1 on I/O failure or a
 * malformed reply (c->error set, the connection marked broken) */
static int
read_reply(struct smtp_conn *c, struct reply *rp, unsigned timeout_s)
{
	struct buf line = BUF_INIT;
	int rc = -1, last = 0;
	size_t n = 0;

	buf_reset(&rp->text);
	buf_reset(&rp->lines);
	rp->code = 0;
	while (last == 0) {
		unsigned code;

		if (conn_line(c, &line, (size_t)var_smtp_reply_limit,
		    timeout_s) < 0)
			break;
		last = smtp_resp_line(buf_cstr(&line), line.len, &code);
		if (last < 0) {
			c->broken = true;
			c->error = "malformed reply";
			break;
		}
		if (rp->code == 0) {
			rp->code = code;
			put_printable(&rp->text, line.data, line.len);
		} else if (line.len > 4 && rp->text.len < REPLY_TEXT_MAX) {
			buf_putc(&rp->text, ' ');
			put_printable(&rp->text, line.data + 4, line.len - 4);
		}
		if (n++ > 0)
			buf_putc(&rp->lines, '\n');
		if (line.len > 4)
			buf_put(&rp->lines, line.data + 4, line.len - 4);
		if (last == 1)
			rc = 0;
	}
	/* For logs and bounces only; the code decides. */
	buf_truncate(&rp->text, REPLY_TEXT_MAX);
	buf_free(&line);
	return rc;
}

/* reply_dsn - the enhanced status code of a reply, or its class's */
static void
reply_dsn(const struct reply *rp, char *out, size_t size)
{
	smtp_resp_dsn(rp->code, rp->text.len > 4 ? buf_cstr(&rp->text) + 4 :
	    "", out, size);
}

/* said - the outcome from a server's reply to command */
static void
said(struct smtp_result *r, const struct smtp_conn *c,
    const struct reply *rp, const char *command)
{
	char dsn[16];

	reply_dsn(rp, dsn, sizeof(dsn));
	smtp_result(r, rp->code >= 500 ? IPC_EFAIL : IPC_ETEMP, dsn, "host "
	    "%s[%s] said: %s (in reply to %s)", c->addr.host, c->addr.ip,
	    buf_cstr(&rp->text), command);
}

/* command - send one line, read its reply; 0, or -1 on I/O failure */
static int
command(struct smtp_conn *c, struct reply *rp, unsigned timeout_s,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
command(struct smtp_conn *c, struct reply *rp, unsigned timeout_s,
    const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2) {
		c->error = "command too long";
		return -1;
	}
	memcpy(line + n, "\r\n", 2);
	conn_put(c, line, (size_t)n + 2);
	if (conn_flush(c, timeout_s) < 0)
		return -1;
	return read_reply(c, rp, timeout_s);
}

/* helo - EHLO, or HELO when EHLO is refused; 0, or -1 with *r */
static int
helo(struct session *s, struct reply *rp, struct smtp_result *r)
{

	if (command(s->c, rp, helo_t(), "EHLO %s",
	    var_smtp_helo_name) < 0) {
		io_failed(r, s->c, "performing the EHLO handshake");
		return -1;
	}
	if (rp->code == 250) {
		s->features = smtp_resp_ehlo(buf_cstr(&rp->lines),
		    &s->size_max);
		return 0;
	}
	if (rp->code >= 500 && rp->code != 421) {
		if (command(s->c, rp, helo_t(), "HELO %s",
		    var_smtp_helo_name) < 0) {
			io_failed(r, s->c, "performing the HELO handshake");
			return -1;
		}
		if (rp->code == 250) {
			s->features = 0;
			return 0;
		}
		said(r, s->c, rp, "HELO");
		return -1;
	}
	said(r, s->c, rp, "EHLO");
	return -1;
}

/* quit - end a session politely and free it */
static void
session_end(struct session **sp, bool polite)
{
	struct session *s = *sp;

	if (s == NULL)
		return;
	if (polite && !s->c->broken) {
		struct reply rp = REPLY_INIT;

		/* The answer does not matter; do not wait long for it. */
		(void)command(s->c, &rp, 2, "QUIT");
		reply_free(&rp);
	}
	conn_close(&s->c);
	free(s);
	*sp = NULL;
}

/*
 * open_session - connect to a and get as far as a usable session under
 * the TLS level: 1 ready, 0 try the next address (*r says why), -2 try
 * this address again without STARTTLS (level may, handshake failed).
 * Validated TLSA records for the host (smtp_dns_support_level = dnssec)
 * make TLS mandatory and authenticated by them (DANE, RFC 7672),
 * whatever the level, unless it is none.
 */
static int
open_session(const struct smtp_addr *a, int level, bool no_tls,
    const char *verify_name, struct session **out, struct smtp_result *r)
{
	static struct smtp_tlsa tlsa[SMTP_TLSA_MAX];
	struct session *s;
	struct reply rp = REPLY_INIT;
	char why[512];
	int rc = 0, n_tlsa = 0;

	set_relay(r, a);
	if (level != SMTP_TLS_NONE && !no_tls)
		n_tlsa = mx_tlsa(a, tlsa, SMTP_TLSA_MAX);
	if (n_tlsa == -1) {
		/* RFC 7672 2.2: the host's TLSA records cannot be had, so
		 * it cannot be authenticated: try another. */
		smtp_result(r, IPC_ETEMP, "4.7.5", "TLSA lookup for "
		    "_%u._tcp.%s failed", a->port, a->host);
		return 0;
	}
	if (n_tlsa == -2) {
		n_tlsa = 0;	/* RFC 7672 2.2: none usable: TLS, no auth */
		if (level < SMTP_TLS_ENCRYPT)
			level = SMTP_TLS_ENCRYPT;
	}
	if (n_tlsa > 0)
		level = SMTP_TLS_VERIFY;
	s = xcalloc(1, sizeof(*s));
	s->c = conn_open(a, conn_t(), why,
	    sizeof(why));
	if (s->c == NULL) {
		smtp_result(r, IPC_ETEMP, "4.4.1", "%s", why);
		snprintf(r->relay, sizeof(r->relay), "none");
		free(s);
		return 0;
	}
	if (read_reply(s->c, &rp, helo_t()) < 0) {
		io_failed(r, s->c, "receiving the initial server greeting");
		goto out;
	}
	if (rp.code != 220) {
		said(r, s->c, &rp, "initial server greeting");
		goto out;
	}
	if (helo(s, &rp, r) < 0)
		goto out;
	if (level == SMTP_TLS_NONE || no_tls || (level == SMTP_TLS_MAY &&
	    ((s->features & SMTP_EXT_STARTTLS) == 0 || smtp_tls_ctx == NULL))) {
		rc = 1;
		goto out;
	}
	if (smtp_tls_ctx == NULL) {
		smtp_result(r, IPC_ETEMP, "4.7.5", "TLS is required, but smtp "
		    "has no TLS context (see the log at its start)");
		goto out;
	}
	if ((s->features & SMTP_EXT_STARTTLS) == 0) {
		smtp_result(r, IPC_ETEMP, "4.7.4", "TLS is required, but was "
		    "not offered by host %s[%s]", a->host, a->ip);
		goto out;
	}
	if (command(s->c, &rp, helo_t(),
	    "STARTTLS") < 0) {
		io_failed(r, s->c, "sending STARTTLS");
		goto out;
	}
	if (rp.code != 220) {
		if (level == SMTP_TLS_MAY) {
			/* Offered but refused: go on in the clear. */
			msg_info("host %s[%s] refused STARTTLS: %s", a->host,
			    a->ip, buf_cstr(&rp.text));
			rc = 1;
			goto out;
		}
		said(r, s->c, &rp, "STARTTLS");
		if (r->status == IPC_EFAIL)
			r->status = IPC_ETEMP;	/* required TLS: defer */
		goto out;
	}
	if (conn_starttls(s->c, smtp_tls_ctx, verify_name,
	    level == SMTP_TLS_VERIFY, tlsa, (size_t)n_tlsa,
	    helo_t(), why, sizeof(why)) < 0) {
		msg_info("%s[%s]:%u: %s", a->host, a->ip, a->port, why);
		smtp_result(r, IPC_ETEMP, "4.7.5", "TLS with %s[%s] failed: %s",
		    a->host, a->ip, why);
		rc = level == SMTP_TLS_MAY ? -2 : 0;
		goto out;
	}
	{
		char desc[200];

		msg_info("%s TLS connection established to %s[%s]:%u: %s",
		    n_tlsa > 0 ? "DANE-verified" : level == SMTP_TLS_VERIFY ?
		    "Verified" : "Untrusted", a->host, a->ip, a->port,
		    tls_describe(s->c->ssl, desc, sizeof(desc)));
	}
	s->tls = true;
	/* RFC 3207 4.2: forget what was said before TLS, ask again. */
	rc = helo(s, &rp, r) < 0 ? 0 : 1;
out:
	reply_free(&rp);
	if (rc == 1)
		*out = s;
	else
		session_end(&s, true);
	return rc;
}

/* on_idle_timer - nobody wanted the kept connection */
static void
on_idle_timer(void *ctx)
{
	(void)ctx;
	idle_timer = NULL;
	session_end(&idle, true);
}

void
smtp_idle_close(void)
{
	ev_timer_del(&idle_timer);
	session_end(&idle, true);
}

/* reuse - the kept session if it is for hop and still answers RSET */
static struct session *
reuse(const char *hop)
{
	struct session *s = idle;
	struct reply rp = REPLY_INIT;

	if (s == NULL)
		return NULL;
	ev_timer_del(&idle_timer);
	idle = NULL;
	if (strcmp(s->hop, hop) != 0) {
		session_end(&s, true);
		return NULL;
	}
	if (command(s->c, &rp, cmd_t(),
	    "RSET") < 0 || rp.code != 250) {
		session_end(&s, rp.code != 0);
		reply_free(&rp);
		return NULL;
	}
	reply_free(&rp);
	return s;
}

/* keep - keep s for the next delivery, or end it */
static void
keep(struct session *s)
{
	if (var_smtp_connection_reuse_time == 0 || s->c->broken ||
	    daemon_stopping()) {
		session_end(&s, true);
		return;
	}
	idle = s;
	idle_timer = ev_timer_add(var_smtp_connection_reuse_time * 1000,
	    on_idle_timer, NULL);
}

/* is_ascii - no byte above 127 */
static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 127)
			return false;
	return true;
}

/* msg_read - the message's bytes from off into chunk (DATA_CHUNK):
 * the count, 0 at its end, -1 when the file fails or is short */
static ssize_t
msg_read(const struct smtp_job *j, uint64_t off, uint8_t *chunk)
{
	size_t want;
	ssize_t n;

	if (off >= j->req.length)
		return 0;
	want = j->req.length - off < DATA_CHUNK ?
	    (size_t)(j->req.length - off) : DATA_CHUNK;
	n = pread(j->req.fd, chunk, want, (off_t)(j->req.offset + off));
	return n > 0 ? n : -1;
}

/* has_8bit - a byte above 127 in the message; -1 on a read error */
static int
has_8bit(const struct smtp_job *j)
{
	static uint8_t chunk[DATA_CHUNK];
	uint64_t off = 0;
	ssize_t n;

	while ((n = msg_read(j, off, chunk)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (chunk[i] > 127)
				return 1;
		off += (uint64_t)n;
	}
	return n < 0 ? -1 : 0;
}

/*
 * send_body - the message: prepend (header fields for the top of the
 * message, NULL for none: where a DKIM-Signature will go), then the
 * queue file's bytes, dot-stuffed (RFC 5321 4.5.2), ending in CRLF and
 * the final dot.  0, or -1 (r set).
 */
static int
send_body(struct smtp_conn *c, const struct smtp_job *j,
    const struct buf *prepend, struct smtp_result *r)
{
	static uint8_t chunk[DATA_CHUNK];
	bool bol = true;	/* at the beginning of a line */
	uint64_t off = 0;
	uint8_t last = '\n';

	if (prepend != NULL && prepend->len > 0)
		conn_put(c, prepend->data, prepend->len);
	while (off < j->req.length) {
		ssize_t n = msg_read(j, off, chunk);
		size_t from = 0;

		if (n < 0) {
			c->broken = true;	/* the transaction is torn */
			smtp_result(r, IPC_ETEMP, "4.3.0", "cannot read the "
			    "queue file");
			return -1;
		}
		for (size_t i = 0; i < (size_t)n; i++) {
			if (bol && chunk[i] == '.') {
				conn_put(c, chunk + from, i - from);
				conn_put(c, ".", 1);
				from = i;
			}
			bol = chunk[i] == '\n';
		}
		conn_put(c, chunk + from, (size_t)n - from);
		last = chunk[n - 1];
		off += (uint64_t)n;
		if (conn_flush(c, data_t()) < 0) {
			io_failed(r, c, "sending message body");
			return -1;
		}
	}
	if (last != '\n')
		conn_put(c, "\r\n", 2);
	conn_put(c, ".\r\n", 3);
	if (conn_flush(c, data_t()) < 0) {
		io_failed(r, c, "sending message body");
		return -1;
	}
	return 0;
}

/* dsn_params - RET and ENVID for MAIL (appended to mail), NOTIFY and
 * ORCPT for RCPT (into rcpt), as the envelope has them */
static void
dsn_params(const struct smtp_job *j, char *mail, size_t msize, char *rcpt,
    size_t rsize)
{
	char x[SMTP_RCPT_PARAMS_MAX], notify[64];
	const char *semi;
	size_t n = 0;

	/* UNSAFE: snprintf bounds every write; n < size is checked before
	 * each later one, so size - n never wraps.  ENVID (100 decoded, 300
	 * as xtext) fits MAIL's room, ORCPT (500, 1500) rcpt's: nothing is
	 * cut short in practice. */
	if (j->ret != NULL)
		n += (size_t)snprintf(mail + n, msize - n, " RET=%s", j->ret);
	if (j->envid != NULL && n < msize &&
	    smtp_xtext_encode(j->envid, x, sizeof(x)) == 0)
		(void)snprintf(mail + n, msize - n, " ENVID=%s", x);
	n = 0;
	smtp_notify_text((unsigned)j->notify, notify, sizeof(notify));
	if (notify[0] != '\0')
		n += (size_t)snprintf(rcpt + n, rsize - n, " NOTIFY=%s",
		    notify);
	/* Stored decoded, "type;address": the address goes as xtext. */
	if (j->orcpt != NULL && (semi = strchr(j->orcpt, ';')) != NULL &&
	    n < rsize && smtp_xtext_encode(semi + 1, x, sizeof(x)) == 0)
		(void)snprintf(rcpt + n, rsize - n, " ORCPT=%.*s;%s",
		    (int)(semi - j->orcpt), j->orcpt, x);
}

/*
 * transaction - MAIL, RCPT, DATA and the message on session s.  Sets r;
 * returns 0 when s may be used again, -1 when it must be dropped.
 */
static int
transaction(struct session *s, const struct smtp_job *j,
    const struct buf *sig, struct smtp_result *r)
{
	struct smtp_conn *c = s->c;
	struct reply rp = REPLY_INIT;
	char params[512] = "", rparams[SMTP_RCPT_PARAMS_MAX] = "";
	bool pipe = (s->features & SMTP_EXT_PIPELINING) != 0;
	bool dsn = (s->features & SMTP_EXT_DSN) != 0;
	bool eight = strcasecmp(j->body, "8BITMIME") == 0 ||
	    strcasecmp(j->body, "BINARYMIME") == 0;
	size_t plen = 0;
	int rc = -1;

	set_relay(r, &c->addr);
	if (eight && (s->features & SMTP_EXT_8BITMIME) == 0) {
		int e = has_8bit(j);

		if (e < 0) {
			smtp_result(r, IPC_ETEMP, "4.3.0", "cannot read the "
			    "queue file");
			return 0;
		}
		if (e > 0) {
			/* RFC 6152 3: do not send 8-bit data to a server
			 * that did not ask for it; we do not convert. */
			smtp_result(r, IPC_EFAIL, "5.6.3", "host %s[%s] does "
			    "not announce 8BITMIME, and the message has 8-bit "
			    "content", c->addr.host, c->addr.ip);
			return 0;
		}
		eight = false;	/* labelled 8-bit, but it is not */
	}
	if (strcasecmp(j->body, "BINARYMIME") == 0) {
		/* RFC 3030: binary needs BDAT, which we do not send. */
		smtp_result(r, IPC_EFAIL, "5.6.3", "the message is BINARYMIME, "
		    "which smtp cannot send (no BDAT)");
		return 0;
	}
	if (j->smtputf8 && (s->features & SMTP_EXT_SMTPUTF8) == 0 &&
	    (!is_ascii(j->req.sender) || !is_ascii(j->req.recipient))) {
		smtp_result(r, IPC_EFAIL, "5.6.7", "host %s[%s] does not "
		    "announce SMTPUTF8, and the message needs it (UTF-8 "
		    "address)",
		    c->addr.host, c->addr.ip);
		return 0;
	}
	if ((s->features & SMTP_EXT_SIZE) != 0) {
		/* What goes out: the signature fields, then the message. */
		uint64_t size = j->req.length + sig->len;

		if (s->size_max > 0 && size > s->size_max) {
			smtp_result(r, IPC_EFAIL, "5.3.4", "message size %llu "
			    "exceeds the size limit %llu of host %s[%s]",
			    (unsigned long long)size,
			    (unsigned long long)s->size_max, c->addr.host,
			    c->addr.ip);
			return 0;
		}
		plen += (size_t)snprintf(params + plen, sizeof(params) - plen,
		    " SIZE=%llu", (unsigned long long)size);
	}
	if (eight)
		plen += (size_t)snprintf(params + plen, sizeof(params) - plen,
		    " BODY=8BITMIME");
	if (j->smtputf8 && (s->features & SMTP_EXT_SMTPUTF8) != 0)
		plen += (size_t)snprintf(params + plen, sizeof(params) - plen,
		    " SMTPUTF8");
	if (dsn)
		dsn_params(j, params + plen, sizeof(params) - plen, rparams,
		    sizeof(rparams));
	if (!pipe) {
		/* One command at a time, each after the last one's answer. */
		if (command(c, &rp, cmd_t(), "MAIL FROM:<%s>%s", j->req.sender,
		    params) < 0) {
			io_failed(r, c, "sending MAIL FROM");
			goto out;
		}
		if (rp.code / 100 != 2) {
			said(r, c, &rp, "MAIL FROM command");
			goto reset;
		}
		if (command(c, &rp, cmd_t(), "RCPT TO:<%s>%s",
		    j->req.recipient, rparams) < 0) {
			io_failed(r, c, "sending RCPT TO");
			goto out;
		}
		if (rp.code / 100 != 2) {
			said(r, c, &rp, "RCPT TO command");
			goto reset;
		}
		if (command(c, &rp, cmd_t(), "DATA") < 0) {
			io_failed(r, c, "sending DATA");
			goto out;
		}
	} else {
		struct buf cmd = BUF_INIT;
		bool failed = false;

		/* RFC 2920 3.1: MAIL, RCPT and DATA in one go, DATA last;
		 * then the three answers in order. */
		buf_printf(&cmd, "MAIL FROM:<%s>%s\r\nRCPT TO:<%s>%s\r\n"
		    "DATA\r\n", j->req.sender, params, j->req.recipient,
		    rparams);
		conn_put(c, cmd.data, cmd.len);
		buf_free(&cmd);
		if (conn_flush(c, cmd_t()) < 0) {
			io_failed(r, c, "sending MAIL FROM");
			goto out;
		}
		if (read_reply(c, &rp, cmd_t()) < 0) {
			io_failed(r, c, "receiving the MAIL FROM response");
			goto out;
		}
		if (rp.code / 100 != 2) {
			said(r, c, &rp, "MAIL FROM command");
			failed = true;
			if (rp.code == 421)
				goto reset;	/* it is closing */
		}
		if (read_reply(c, &rp, cmd_t()) < 0) {
			io_failed(r, c, "receiving the RCPT TO response");
			goto out;
		}
		if (!failed && rp.code / 100 != 2) {
			said(r, c, &rp, "RCPT TO command");
			failed = true;
		}
		if (rp.code == 421)
			goto reset;
		if (read_reply(c, &rp, cmd_t()) < 0) {
			io_failed(r, c, "receiving the DATA response");
			goto out;
		}
		if (failed) {
			if (rp.code == 354) {
				/* RFC 2920 3.1: DATA was taken though
				 * nobody can get the message: an empty one
				 * ends it. */
				struct reply x = REPLY_INIT;

				conn_put(c, ".\r\n", 3);
				if (conn_flush(c, cmd_t()) < 0 ||
				    read_reply(c, &x, cmd_t()) < 0)
					c->broken = true;
				reply_free(&x);
			}
			goto reset;
		}
	}
	if (rp.code != 354) {
		said(r, c, &rp, "DATA command");
		goto reset;
	}
	if (send_body(c, j, sig, r) < 0)
		goto out;
	if (read_reply(c, &rp, data_t()) < 0) {
		io_failed(r, c, "receiving the final DATA response");
		goto out;
	}
	if (rp.code / 100 != 2) {
		said(r, c, &rp, "end of DATA command");
		rc = rp.code == 421 ? -1 : 0;
		goto out;
	}
	smtp_result(r, IPC_OK, "2.0.0", "%s", buf_cstr(&rp.text));
	reply_dsn(&rp, r->dsn, sizeof(r->dsn));
	r->dsn_relay = dsn ? AGENT_DSN_PASSED : AGENT_DSN_RELAYED;
	rc = 0;
	goto out;
reset:
	/* The transaction failed; the session may serve another. */
	rc = rp.code == 421 || c->broken ? -1 : 0;
out:
	reply_free(&rp);
	return rc;
}

void
smtp_deliver(const struct smtp_job *j, struct smtp_result *r)
{
	struct smtp_addr *addrs = NULL;
	struct session *s;
	struct buf sig = BUF_INIT;
	char why[512];
	int level;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->relay, sizeof(r->relay), "none");
	/* Signed once, before any host: every try sends the same bytes. */
	if (sign_message(j, &sig, r) < 0)
		return;
	/* Leave qmgr a few seconds to hear the answer. */
	deadline_ms = conn_now_ms() + (var_delivery_timeout > 10 ?
	    var_delivery_timeout - 5 : var_delivery_timeout / 2 + 1) * 1000;
	level = tls_level(j->nexthop, why, sizeof(why));
	if (level < 0) {
		smtp_result(r, IPC_ETEMP, "4.3.5", "%s", why);
		return;
	}
	s = reuse(j->nexthop);
	if (s == NULL) {
		addrs = xcalloc(var_smtp_mx_address_limit, sizeof(*addrs));
		n = mx_resolve(j->nexthop, addrs, var_smtp_mx_address_limit,
		    r);
		for (size_t i = 0; i < n && s == NULL &&
		    (i == 0 || conn_now_ms() < deadline_ms); i++) {
			int rc = open_session(&addrs[i], level, false,
			    addrs[i].host, &s, r);

			if (rc == -2)
				rc = open_session(&addrs[i], level, true,
				    addrs[i].host, &s, r);
			/* A host that refuses us outright (5xx greeting,
			 * EHLO and HELO) is skipped like one that does not
			 * answer: with none left the mail waits, as with
			 * Postfix's smtp_skip_5xx_greeting. */
			if (rc <= 0 && r->status == IPC_EFAIL) {
				r->status = IPC_ETEMP;
				r->dsn[0] = '4';
			}
		}
		free(addrs);
		if (s == NULL) {
			buf_free(&sig);
			return;
		}
		snprintf(s->hop, sizeof(s->hop), "%s", j->nexthop);
	}
	if (transaction(s, j, &sig, r) < 0)
		session_end(&s, true);
	else
		keep(s);
	buf_free(&sig);
}
