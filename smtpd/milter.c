/*
 * NAME
 *	milter - the milters of smtpd_milters see each message
 * DESCRIPTION
 *	Admins plug in the milters they already run (rspamd, opendkim,
 *	clamav-milter, spamass-milter) through the Sendmail milter protocol
 *	(lib/mail/milter.h).  The whole conversation with each milter runs
 *	at the end of DATA, on the worker thread that also verifies DKIM
 *	(verify.c): connect, OPTNEG, CONNECT, HELO, MAIL, each RCPT, DATA,
 *	each header field, EOH, the body in chunks, end of message, QUIT,
 *	the message read back from the queue file as DKIM reads it.  So
 *	every stage is seen at the end of DATA, and a milter that rejects
 *	at RCPT rejects the whole message there (Postfix's "content-only"
 *	style); the SMTP client never waits on a milter mid-transaction.
 *
 *	The milters are asked in order.  The first reject, tempfail or
 *	discard decides; accept ends that milter's part and the next one is
 *	asked.  Header fields a milter adds or inserts (ADDHEADER,
 *	INSHEADER) go into the head room in front of the message, after our
 *	Authentication-Results field, in the order they came, whatever
 *	index was asked for; CHGHEADER (changing or deleting a field
 *	already in the queue file) would mean rewriting the file and is
 *	logged as not supported and ignored.  QUARANTINE sends the message
 *	to the Junk folder (the queue file's J record).  A milter that
 *	cannot be reached, is too slow (milter_*_timeout) or breaks the
 *	protocol gets milter_default_action.  What a milter asked for is
 *	kept only when it got to the end of the message.
 *
 *	Sockets: inet:address:port (numeric, as there is no resolver
 *	configuration inside the jail) or unix:path.  A relative path is
 *	relative to queue_directory whether smtpd is jailed there or not;
 *	an absolute one is inside the jail when there is one (as with
 *	Postfix).
 * SECURITY
 *	A milter is a peer the admin chose, but its bytes are still
 *	checked: packets are bounded by milter_reply_limit, strings must
 *	end inside them (milter_decode), added header fields must be
 *	single well-folded fields (milter_header_ok), REPLYCODE must be a
 *	4xx or 5xx one-line reply (milter_replycode).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mail/milter.h"
#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

/* Room in smtpd_head_room kept for Authentication-Results. */
#define AR_RESERVE	1024
#define READ_CHUNK	65536
#define FIELD_MAX	65536	/* longer header fields are not shown */

/* One milter's part, for its session. */
enum outcome {
	OUT_GO_ON,		/* continue: the next stage */
	OUT_SKIP,		/* no more body */
	OUT_DONE,		/* accept, or a verdict in the result */
	OUT_FAILED,		/* why in c->why */
};

struct conn {
	int fd;
	const char *spec;
	uint32_t actions, proto;	/* agreed in OPTNEG */
	uint64_t timeout_ms;
	struct buf in, out;
	size_t in_used;			/* the last reply, to consume */
	char why[200];
	/* The decision and what was asked for, for the result. */
	enum milter_verdict verdict;
	int code;
	char enh[16], text[256];
	char quarantine[256];
	struct buf head;		/* fields to add */
	unsigned added, changes, dropped;
};

static const char *const *milters;
static size_t n_milters;

void
milter_setup(void)
{
	static const char *list[64];
	char *copy = xstrdup(var_smtpd_milters), *one, *save = NULL;
	struct sockaddr_storage st;
	socklen_t len;
	const char *why;

	if (strcmp(var_milter_default_action, "tempfail") != 0 &&
	    strcmp(var_milter_default_action, "accept") != 0 &&
	    strcmp(var_milter_default_action, "reject") != 0)
		msg_fatal("milter_default_action = %s: say tempfail, accept "
		    "or reject", var_milter_default_action);
	for (one = strtok_r(copy, ", \t", &save); one != NULL;
	    one = strtok_r(NULL, ", \t", &save)) {
		if (n_milters == sizeof(list) / sizeof(list[0]))
			msg_fatal("smtpd_milters: more than %zu milters",
			    n_milters);
		if (strncmp(one, "inet:", 5) == 0) {
			if (sock_parse_inet(one + 5, &st, &len, &why) < 0)
				msg_fatal("smtpd_milters: %s: %s (say "
				    "inet:address:port)", one, why);
		} else if (strncmp(one, "unix:", 5) == 0) {
			if (one[5] == '\0' || strlen(one + 5) >=
			    sizeof(((struct sockaddr_un *)0)->sun_path))
				msg_fatal("smtpd_milters: %s: bad path", one);
		} else {
			msg_fatal("smtpd_milters: %s: say inet:address:port "
			    "or unix:/path", one);
		}
		list[n_milters++] = one;	/* copy stays allocated */
	}
	milters = list;
}

bool
milter_enabled(void)
{
	return n_milters > 0;
}

/* now_ms - a monotonic clock for deadlines */
static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* wait_fd - poll fd for events until deadline; 0, or -1 (why set) */
static int
wait_fd(struct conn *c, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = events };

	for (;;) {
		uint64_t now = now_ms();
		int rc;

		if (now >= deadline) {
			snprintf(c->why, sizeof(c->why), "timeout");
			return -1;
		}
		rc = poll(&p, 1, (int)(deadline - now > 60000 ? 60000 :
		    deadline - now));
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			snprintf(c->why, sizeof(c->why), "poll: %s",
			    strerror(errno));
			return -1;
		}
	}
}

/* open_conn - connect within milter_connect_timeout */
static int
open_conn(struct conn *c)
{
	struct sockaddr_storage st;
	struct sockaddr_un *sun = (struct sockaddr_un *)&st;
	socklen_t len;
	const char *why;
	int err = 0;
	socklen_t elen = sizeof(err);

	memset(&st, 0, sizeof(st));
	if (strncmp(c->spec, "inet:", 5) == 0) {
		if (sock_parse_inet(c->spec + 5, &st, &len, &why) < 0) {
			snprintf(c->why, sizeof(c->why), "%s", why);
			return -1;
		}
	} else {
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s",
		    c->spec + 5);
		len = sizeof(*sun);
	}
	c->fd = socket(st.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(c->why, sizeof(c->why), "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&st, len) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		snprintf(c->why, sizeof(c->why), "connect: %s",
		    strerror(errno));
		return -1;
	}
	if (wait_fd(c, POLLOUT, now_ms() + var_milter_connect_timeout *
	    1000) < 0)
		return -1;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 ||
	    err != 0) {
		snprintf(c->why, sizeof(c->why), "connect: %s",
		    strerror(err != 0 ? err : errno));
		return -1;
	}
	return 0;
}

/* flush_out - send what is in c->out */
static int
flush_out(struct conn *c)
{
	uint64_t deadline = now_ms() + c->timeout_ms;
	size_t off = 0;

	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off,
		    MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		snprintf(c->why, sizeof(c->why), "write: %s",
		    n < 0 ? strerror(errno) : "nothing written");
		return -1;
	}
	buf_reset(&c->out);
	return 0;
}

/* get_reply - the next packet; its strings live until the next call */
static int
get_reply(struct conn *c, struct milter_reply *r)
{
	uint64_t deadline = now_ms() + c->timeout_ms;
	const char *error;

	buf_consume(&c->in, c->in_used);
	c->in_used = 0;
	for (;;) {
		int rc = milter_decode(c->in.data, c->in.len,
		    (size_t)var_milter_reply_limit, r, &c->in_used, &error);
		ssize_t n;

		if (rc > 0)
			return 0;
		if (rc < 0) {
			snprintf(c->why, sizeof(c->why), "protocol error: %s",
			    error);
			return -1;
		}
		if (buf_reserve(&c->in, READ_CHUNK) < 0) {
			snprintf(c->why, sizeof(c->why), "out of memory");
			return -1;
		}
		n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, 0);
		if (n > 0) {
			/* UNSAFE: buf_reserve made room for READ_CHUNK */
			c->in.len += (size_t)n;
			continue;
		}
		if (n == 0) {
			snprintf(c->why, sizeof(c->why), "connection closed");
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(c->why, sizeof(c->why), "read: %s",
			    strerror(errno));
			return -1;
		}
		if (wait_fd(c, POLLIN, deadline) < 0)
			return -1;
	}
}

/* decide - a reply that ends this milter's part: the verdict */
static enum outcome
decide(struct conn *c, const struct milter_reply *r)
{
	const char *text;

	switch (r->cmd) {
	case MILTER_R_ACCEPT:
		c->verdict = MILTER_V_CONTINUE;
		return OUT_DONE;
	case MILTER_R_REJECT:
		c->verdict = MILTER_V_REJECT;
		return OUT_DONE;
	case MILTER_R_TEMPFAIL:
		c->verdict = MILTER_V_TEMPFAIL;
		return OUT_DONE;
	case MILTER_R_DISCARD:
		c->verdict = MILTER_V_DISCARD;
		return OUT_DONE;
	case MILTER_R_REPLYCODE:
		if (milter_replycode(r->value, &c->code, c->enh,
		    sizeof(c->enh), &text) < 0) {
			char q[LOG_QUOTE_SIZE];

			snprintf(c->why, sizeof(c->why), "bad REPLYCODE %s",
			    log_quote(q, r->value, strlen(r->value)));
			return OUT_FAILED;
		}
		snprintf(c->text, sizeof(c->text), "%s", text);
		c->verdict = c->code >= 500 ? MILTER_V_REJECT :
		    MILTER_V_TEMPFAIL;
		return OUT_DONE;
	default:
		snprintf(c->why, sizeof(c->why), "unexpected %s reply",
		    milter_cmd_name(r->cmd));
		return OUT_FAILED;
	}
}

/* ask - send c->out, then read the reply to the stage, unless the
 * milter said it wants none (no_reply) */
static enum outcome
ask(struct conn *c, bool no_reply, bool body)
{
	struct milter_reply r;

	if (flush_out(c) < 0)
		return OUT_FAILED;
	if (no_reply)
		return OUT_GO_ON;
	for (;;) {
		if (get_reply(c, &r) < 0)
			return OUT_FAILED;
		if (r.cmd == MILTER_R_CONTINUE)
			return OUT_GO_ON;
		if (r.cmd == MILTER_R_PROGRESS)
			continue;	/* the timeout starts again */
		if (r.cmd == MILTER_R_SKIP && body &&
		    (c->proto & MILTER_P_SKIP) != 0)
			return OUT_SKIP;
		return decide(c, &r);
	}
}

/* modify - a request at the end of the message: 0, or -1 (why set) */
static int
modify(struct conn *c, const struct milter_reply *r)
{
	size_t budget = (size_t)var_smtpd_head_room - AR_RESERVE;
	char q[LOG_QUOTE_SIZE];
	size_t before = c->head.len;

	switch (r->cmd) {
	case MILTER_R_ADDHEADER:
	case MILTER_R_INSHEADER:
		if ((c->actions & MILTER_F_ADDHDRS) == 0) {
			snprintf(c->why, sizeof(c->why), "adds a header field "
			    "without having asked to");
			return -1;
		}
		if (!milter_header_ok(r->name, r->value)) {
			snprintf(c->why, sizeof(c->why), "bad header field %s",
			    log_quote(q, r->name, strlen(r->name)));
			return -1;
		}
		if (milter_header_text(&c->head, r->name, r->value) < 0 ||
		    c->head.len > budget) {
			buf_truncate(&c->head, before);
			c->dropped++;
		} else {
			c->added++;
		}
		return 0;
	case MILTER_R_CHGHEADER:
		if ((c->actions & MILTER_F_CHGHDRS) == 0) {
			snprintf(c->why, sizeof(c->why), "changes a header "
			    "field without having asked to");
			return -1;
		}
		c->changes++;
		return 0;
	case MILTER_R_QUARANTINE:
		if ((c->actions & MILTER_F_QUARANTINE) == 0) {
			snprintf(c->why, sizeof(c->why), "quarantines without "
			    "having asked to");
			return -1;
		}
		/* Kept as a record value: escaped by qfile. */
		snprintf(c->quarantine, sizeof(c->quarantine), "milter %s: %s",
		    c->spec, r->value);
		return 0;
	default:
		return 1;
	}
}

/* end_of_message - EOB, then requests until the final reply */
static enum outcome
end_of_message(struct conn *c)
{
	struct milter_reply r;
	int rc;

	if (flush_out(c) < 0)
		return OUT_FAILED;
	for (;;) {
		if (get_reply(c, &r) < 0)
			return OUT_FAILED;
		if (r.cmd == MILTER_R_PROGRESS)
			continue;
		if ((rc = modify(c, &r)) < 0)
			return OUT_FAILED;
		if (rc == 0)
			continue;
		if (r.cmd == MILTER_R_CONTINUE) {
			c->verdict = MILTER_V_CONTINUE;
			return OUT_DONE;
		}
		return decide(c, &r);
	}
}

/* negotiate - OPTNEG both ways */
static enum outcome
negotiate(struct conn *c)
{
	struct milter_reply r;

	c->timeout_ms = var_milter_connect_timeout * 1000;
	if (milter_enc_optneg(&c->out, MILTER_VERSION, MILTER_OUR_ACTIONS,
	    MILTER_OUR_PROTOCOL) < 0 || flush_out(c) < 0 ||
	    get_reply(c, &r) < 0)
		return OUT_FAILED;
	if (r.cmd != MILTER_R_OPTNEG) {
		snprintf(c->why, sizeof(c->why), "%s reply to OPTNEG",
		    milter_cmd_name(r.cmd));
		return OUT_FAILED;
	}
	/* Versions 2 to 6 share what we use of the packets. */
	if (r.version < 2 || r.version > MILTER_VERSION) {
		snprintf(c->why, sizeof(c->why), "protocol version %u",
		    (unsigned)r.version);
		return OUT_FAILED;
	}
	if ((r.actions & ~MILTER_OUR_ACTIONS) != 0 ||
	    (r.protocol & ~MILTER_OUR_PROTOCOL) != 0) {
		snprintf(c->why, sizeof(c->why), "wants actions 0x%x, steps "
		    "0x%x beyond those offered", (unsigned)r.actions,
		    (unsigned)r.protocol);
		return OUT_FAILED;
	}
	c->actions = r.actions;
	c->proto = r.protocol;
	return OUT_GO_ON;
}

/* field - one header field, as HEADER */
static enum outcome
field(struct conn *c, const struct buf *f)
{
	if (f->len == 0 || (c->proto & MILTER_P_NOHDRS) != 0)
		return OUT_GO_ON;
	if (milter_enc_header(&c->out, (const char *)f->data, f->len) < 0)
		return OUT_GO_ON;	/* not a field: not shown */
	return ask(c, (c->proto & MILTER_P_NR_HDR) != 0, false);
}

/* body_chunk - BODY with what is in chunk */
static enum outcome
body_chunk(struct conn *c, struct buf *chunk)
{
	enum outcome o;

	if (chunk->len == 0)
		return OUT_GO_ON;
	c->timeout_ms = var_milter_content_timeout * 1000;
	if (milter_enc(&c->out, MILTER_C_BODY, chunk->data, chunk->len) < 0)
		return OUT_FAILED;
	buf_reset(chunk);
	o = ask(c, (c->proto & MILTER_P_NR_BODY) != 0, true);
	return o;
}

/* eoh - the end of the header */
static enum outcome
eoh(struct conn *c)
{
	if ((c->proto & MILTER_P_NOEOH) != 0)
		return OUT_GO_ON;
	if (milter_enc(&c->out, MILTER_C_EOH, NULL, 0) < 0)
		return OUT_FAILED;
	return ask(c, (c->proto & MILTER_P_NR_EOH) != 0, false);
}

/*
 * content - header fields, EOH and the body, read back from the queue
 * file: a field ends where a line does not start with white space, the
 * header at the empty line (the message has CRLF line ends: data.c
 * refused bare CR and LF).  A field longer than FIELD_MAX is not shown.
 */
static enum outcome
content(struct conn *c, struct session *ss)
{
	struct qfile_writer *w = &ss->q.w;
	uint8_t *block = xmalloc(READ_CHUNK);
	struct buf f = BUF_INIT, chunk = BUF_INIT;
	uint64_t off = 0;
	enum { ST_HEADER, ST_EOL, ST_BODY, ST_SKIP } st = ST_HEADER;
	bool bol = true, too_long = false;
	unsigned eol = 0;
	enum outcome o = OUT_GO_ON;

	c->timeout_ms = var_milter_command_timeout * 1000;
	if (qfile_write_flush(w) < 0) {
		snprintf(c->why, sizeof(c->why), "queue file: %s",
		    strerror(errno));
		o = OUT_FAILED;
		goto out;
	}
	while (off < w->msg_len && o == OUT_GO_ON) {
		size_t want = w->msg_len - off > READ_CHUNK ? READ_CHUNK :
		    (size_t)(w->msg_len - off), i = 0, n, seg, take;
		ssize_t got = pread(w->fd, block, want, (off_t)(w->msg_start +
		    off));
		const uint8_t *lf;

		if (got <= 0) {
			snprintf(c->why, sizeof(c->why), "queue file read: %s",
			    got < 0 ? strerror(errno) : "short");
			o = OUT_FAILED;
			break;
		}
		n = (size_t)got;
		off += n;
		while (i < n && o == OUT_GO_ON) {
			switch (st) {
			case ST_HEADER:
				if (bol && block[i] != ' ' && block[i] != '\t') {
					if (!too_long)
						o = field(c, &f);
					buf_reset(&f);
					too_long = false;
					if (o != OUT_GO_ON)
						break;
					if (block[i] == '\r') {
						st = ST_EOL;
						eol = 2;
						o = eoh(c);
						c->timeout_ms =
						    var_milter_content_timeout *
						    1000;
						break;
					}
				}
				lf = memchr(block + i, '\n', n - i);
				seg = lf != NULL ? (size_t)(lf - (block + i)) +
				    1 : n - i;
				if (!too_long && (f.len + seg > FIELD_MAX ||
				    buf_append(&f, block + i, seg) < 0))
					too_long = true;
				bol = lf != NULL;
				i += seg;
				break;
			case ST_EOL:
				i++;
				if (--eol == 0)
					st = (c->proto & MILTER_P_NOBODY) != 0 ?
					    ST_SKIP : ST_BODY;
				break;
			case ST_BODY:
				take = n - i;
				if (take > MILTER_CHUNK_MAX - chunk.len)
					take = MILTER_CHUNK_MAX - chunk.len;
				buf_put(&chunk, block + i, take);
				i += take;
				if (chunk.len == MILTER_CHUNK_MAX &&
				    (o = body_chunk(c, &chunk)) == OUT_SKIP) {
					st = ST_SKIP;
					o = OUT_GO_ON;
				}
				break;
			case ST_SKIP:
				i = n;
				break;
			}
		}
	}
	if (o == OUT_GO_ON && st == ST_HEADER) {
		/* No body: the header runs to the end. */
		if (!too_long)
			o = field(c, &f);
		if (o == OUT_GO_ON)
			o = eoh(c);
	}
	if (o == OUT_GO_ON && st == ST_BODY && (o = body_chunk(c,
	    &chunk)) == OUT_SKIP)
		o = OUT_GO_ON;
out:
	free(block);
	buf_free(&f);
	buf_free(&chunk);
	return o;
}

/* envelope - CONNECT, HELO, MAIL, each RCPT and DATA, each after the
 * macros of its stage (those Postfix sends by default that we know) */
static enum outcome
envelope(struct conn *c, struct session *ss)
{
	char host[80], ident[160], from[ADDR_PATH_MAX + 3];
	char sender[ADDR_PATH_MAX + 1], rcpt[ADDR_PATH_MAX + 3];
	const char *connect_macros[] = {
		"j", var_myhostname, "{daemon_name}", var_myhostname,
		"{if_name}", var_myhostname, "v", "Postern", "_", ident,
		"{client_addr}", ss->addr, "{client_name}", host,
	};
	/* The mechanism stays in ss->sasl after the exchange. */
	const char *mail_macros[] = {
		"i", ss->q.qid, "{auth_authen}", ss->auth_user,
		"{auth_type}", ss->auth_user[0] == '\0' ? NULL :
		    ss->sasl.mech == 'L' ? "LOGIN" : "PLAIN",
		"{mail_addr}", sender,
	};
	const char *data_macros[] = { "i", ss->q.qid };
	const char *arg[1];
	enum outcome o = OUT_GO_ON;

	c->timeout_ms = var_milter_command_timeout * 1000;
	/* No reverse lookup is made: the client is named by its address,
	 * as Postfix names an unknown client. */
	snprintf(host, sizeof(host), "[%s]", ss->addr);
	snprintf(ident, sizeof(ident), "%s [%s]", host, ss->addr);
	if ((c->proto & MILTER_P_NOCONNECT) == 0) {
		if (milter_enc_macros(&c->out, MILTER_C_CONNECT,
		    connect_macros, sizeof(connect_macros) /
		    sizeof(connect_macros[0]) / 2) < 0 ||
		    milter_enc_connect(&c->out, host, strchr(ss->addr, ':') !=
		    NULL ? '6' : '4', 0, ss->addr) < 0)
			return OUT_FAILED;
		o = ask(c, (c->proto & MILTER_P_NR_CONN) != 0, false);
	}
	if (o == OUT_GO_ON && (c->proto & MILTER_P_NOHELO) == 0 &&
	    ss->helo[0] != '\0') {
		arg[0] = ss->helo;
		if (milter_enc_strings(&c->out, MILTER_C_HELO, arg, 1) < 0)
			return OUT_FAILED;
		o = ask(c, (c->proto & MILTER_P_NR_HELO) != 0, false);
	}
	sender[0] = '\0';
	if (!ss->mail.from.null)
		addr_text(&ss->mail.from, sender, sizeof(sender));
	if (o == OUT_GO_ON && (c->proto & MILTER_P_NOMAIL) == 0) {
		snprintf(from, sizeof(from), "<%s>", sender);
		arg[0] = from;
		if (milter_enc_macros(&c->out, MILTER_C_MAIL, mail_macros,
		    sizeof(mail_macros) / sizeof(mail_macros[0]) / 2) < 0 ||
		    milter_enc_strings(&c->out, MILTER_C_MAIL, arg, 1) < 0)
			return OUT_FAILED;
		o = ask(c, (c->proto & MILTER_P_NR_MAIL) != 0, false);
	}
	for (size_t i = 0; i < ss->n_rcpts && o == OUT_GO_ON &&
	    (c->proto & MILTER_P_NORCPT) == 0; i++) {
		const char *rcpt_macros[] = {
			"{rcpt_addr}", ss->rcpts[i].address,
		};

		snprintf(rcpt, sizeof(rcpt), "<%s>", ss->rcpts[i].address);
		arg[0] = rcpt;
		if (milter_enc_macros(&c->out, MILTER_C_RCPT, rcpt_macros, 1) <
		    0 || milter_enc_strings(&c->out, MILTER_C_RCPT, arg, 1) < 0)
			return OUT_FAILED;
		o = ask(c, (c->proto & MILTER_P_NR_RCPT) != 0, false);
	}
	if (o == OUT_GO_ON && (c->proto & MILTER_P_NODATA) == 0) {
		if (milter_enc_macros(&c->out, MILTER_C_DATA, data_macros, 1) <
		    0 || milter_enc(&c->out, MILTER_C_DATA, NULL, 0) < 0)
			return OUT_FAILED;
		o = ask(c, (c->proto & MILTER_P_NR_DATA) != 0, false);
	}
	return o;
}

/* run - one milter's whole session */
static enum outcome
run(struct conn *c, struct session *ss)
{
	const char *eom_macros[] = { "i", ss->q.qid };
	enum outcome o;

	if (open_conn(c) < 0 || (o = negotiate(c)) != OUT_GO_ON)
		return OUT_FAILED;
	o = envelope(c, ss);
	if (o == OUT_GO_ON)
		o = content(c, ss);
	if (o == OUT_GO_ON) {
		c->timeout_ms = var_milter_content_timeout * 1000;
		if (milter_enc_macros(&c->out, MILTER_C_EOB, eom_macros, 1) <
		    0 || milter_enc(&c->out, MILTER_C_EOB, NULL, 0) < 0)
			return OUT_FAILED;
		o = end_of_message(c);
	}
	if (o == OUT_DONE) {
		/* Goodbye, if it listens; the verdict stands anyway. */
		c->timeout_ms = 1000;
		if (milter_enc(&c->out, MILTER_C_QUIT, NULL, 0) == 0)
			(void)flush_out(c);
	}
	return o;
}

/* fail - the milter_default_action for a failed milter: true when the
 * next milter is to be asked (accept) */
static bool
fail(struct session *ss, const struct conn *c, struct milter_result *r)
{
	msg_warn("%s: milter %s: %s; milter_default_action=%s", ss->q.qid,
	    c->spec, c->why, var_milter_default_action);
	if (strcmp(var_milter_default_action, "accept") == 0)
		return true;
	r->verdict = strcmp(var_milter_default_action, "reject") == 0 ?
	    MILTER_V_REJECT : MILTER_V_TEMPFAIL;
	r->failed = true;
	snprintf(r->who, sizeof(r->who), "%s", c->spec);
	snprintf(r->why, sizeof(r->why), "%s", c->why);
	return false;
}

/* keep - a milter that let the message pass: what it asked for */
static void
keep(struct session *ss, const struct conn *c, struct milter_result *r)
{
	size_t budget = (size_t)var_smtpd_head_room - AR_RESERVE;
	unsigned kept = c->added, dropped = c->dropped;

	if (budget > sizeof(r->head))
		budget = sizeof(r->head);
	if (c->head.len == 0) {
		/* nothing added */
	} else if (r->head_len + c->head.len <= budget) {
		memcpy(r->head + r->head_len, c->head.data, c->head.len);
		r->head_len += c->head.len;
	} else {
		kept = 0;
		dropped += c->added;
	}
	/* Dropped: beyond smtpd_head_room; changes: CHGHEADER, ignored. */
	if (kept > 0 || dropped > 0 || c->changes > 0)
		msg_info("%s: milter=%s, header_added=%u, header_dropped=%u, "
		    "header_changes_ignored=%u", ss->q.qid, c->spec, kept,
		    dropped, c->changes);
	if (c->quarantine[0] != '\0' && r->quarantine[0] == '\0')
		snprintf(r->quarantine, sizeof(r->quarantine), "%s",
		    c->quarantine);
}

void
milter_work(struct session *ss, struct milter_result *r)
{
	r->verdict = MILTER_V_CONTINUE;
	r->head_len = 0;
	for (size_t i = 0; i < n_milters; i++) {
		struct conn c = { .fd = -1, .spec = milters[i] };
		enum outcome o;
		bool next = true;

		buf_init(&c.in, 0);
		buf_init(&c.out, 0);
		buf_init(&c.head, 0);
		o = run(&c, ss);
		if (c.fd >= 0)
			close(c.fd);
		if (o == OUT_FAILED) {
			next = fail(ss, &c, r);
		} else if (c.verdict != MILTER_V_CONTINUE) {
			r->verdict = c.verdict;
			r->code = c.code;
			snprintf(r->enh, sizeof(r->enh), "%s", c.enh);
			snprintf(r->text, sizeof(r->text), "%s", c.text);
			snprintf(r->who, sizeof(r->who), "%s", c.spec);
			next = false;
		} else {
			keep(ss, &c, r);
		}
		buf_free(&c.in);
		buf_free(&c.out);
		buf_free(&c.head);
		if (!next)
			break;
	}
}

void
milter_job(struct workq_job *j)
{
	struct verify_job *c = (struct verify_job *)j;

	milter_work(c->ss, &c->milter);
}

int
milter_checked(struct session *ss, const struct milter_result *r,
    const char **junk)
{
	char q[LOG_QUOTE_SIZE];
	const char *enh = r->enh;
	int code = r->code;

	switch (r->verdict) {
	case MILTER_V_CONTINUE:
		if (r->quarantine[0] != '\0' && *junk == NULL) {
			*junk = r->quarantine;
			msg_info("%s: quarantine: %s", ss->q.qid,
			    log_quote(q, r->quarantine,
			    strlen(r->quarantine)));
		}
		return 0;
	case MILTER_V_DISCARD:
		/* The client is told it was taken; nothing is queued. */
		msg_info("%s: discard: %s from [%s]: milter %s", ss->q.qid,
		    ss->commit_verb, ss->addr, r->who);
		reply(ss, 250, "2.0.0", "Ok: discarded as %s", ss->q.qid);
		return -1;
	case MILTER_V_REJECT:
	case MILTER_V_TEMPFAIL:
		break;
	}
	/* 421 would promise a disconnect that the reply does not make. */
	if (code == 421)
		code = 451;
	if (code == 0) {
		code = r->verdict == MILTER_V_REJECT ? 550 : 451;
		enh = r->verdict == MILTER_V_REJECT ? "5.7.1" : "4.7.1";
	} else if (enh[0] == '\0') {
		enh = code >= 500 ? "5.7.1" : "4.7.1";
	}
	counter_add("smtpd_rejects_total", "reason=milter", 1);
	msg_info("%s: %s: %s from [%s]: %d %s%s%s; milter %s%s%s", ss->q.qid,
	    r->verdict == MILTER_V_REJECT ? "reject" : "tempfail",
	    ss->commit_verb, ss->addr, code, enh, r->text[0] != '\0' ? " " :
	    "", log_quote(q, r->text, strlen(r->text)), r->who, r->failed ?
	    " failed: " : "", r->why);
	if (r->failed)
		reply(ss, code, enh, "Error: content filter unavailable, %s",
		    code >= 500 ? "message refused" : "try again later");
	else if (r->text[0] != '\0')
		reply(ss, code, enh, "%s", r->text);
	else if (code >= 500)
		reply(ss, code, enh, "Error: message content rejected");
	else
		reply(ss, code, enh, "Error: message content not accepted "
		    "now, try again later");
	return -1;
}
