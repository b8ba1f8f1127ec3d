/*
 * NAME
 *	deliver - hand recipients to transports, with concurrency limits
 * DESCRIPTION
 *	Jobs wait in one FIFO.  The pump resolves each job's address
 *	(resolve_mailbox: aliases were expanded when the message was
 *	queued) and either settles it at once (unknown user, table
 *	failure) or gives it to its transport: local for our mailboxes,
 *	relay_transport for other hosts.  A transport has at most its
 *	concurrency limit of connections, each carrying one request at a
 *	time, so a slow or stuck agent holds one slot, not the queue.
 *
 *	Relay jobs carry a next hop: the recipient's domain, or what
 *	transport_maps says for it, and wait in their next hop's own FIFO
 *	(see Postfix qmgr's per-destination queues).  At most
 *	smtp_destination_concurrency_limit of them are in flight per next
 *	hop, started at least smtp_destination_rate_delay apart; the
 *	pump takes one job from each next hop that may start one, in turns
 *	that begin at a different next hop each time, so a busy one holds
 *	up neither the others nor the pump (which looks at next hops, not
 *	at every waiting job).  A job goes preferably to the agent
 *	connection that served its next hop last, where smtp may still
 *	hold an open SMTP session to it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/agent.h"
#include "mail/params.h"
#include "mail/proto_local.h"
#include "mail/smtp_args.h"
#include "qmgr/qmgr.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/map.h"
#include "util/mem.h"

#define SLOTS_MAX	1000

struct slot {
	struct ipc_conn *c;
	struct job *job;	/* in flight, or NULL */
	struct transport *t;
	char *last_hop;		/* next hop it served last, or NULL */
};

/* A next hop with jobs waiting, deliveries in flight or a rate delay
 * running. */
struct dest {
	char *name;
	unsigned busy;
	uint64_t last_ms;	/* ev_now_ms() of the last start */
	struct job *head, *tail;	/* waiting for a slot */
	struct dest *next;
};

struct transport {
	const char *label;	/* for logs: "local", "relay" */
	const char *service;	/* master.conf name */
	unsigned limit;
	struct slot *slots;
	struct job *head, *tail;	/* waiting for a slot */
};

static struct transport local_tr = { "local", NULL, 0, NULL, NULL, NULL };
static struct transport relay_tr = { "relay", NULL, 0, NULL, NULL, NULL };
static struct job *in_head, *in_tail;	/* not yet resolved */
static struct ev_timer *pump_timer;
static struct ev_timer *rate_timer;
static uint64_t rate_due_ms;
static struct dest *dests;
static struct map *transport_map;

static void pump(void *ctx);

/* kick - run the pump soon (never inside a caller's loop) */
static void
kick(void)
{
	if (pump_timer == NULL)
		pump_timer = ev_timer_add(0, pump, NULL);
}

/* push - append j to a list */
static void
push(struct job **head, struct job **tail, struct job *j)
{
	j->next = NULL;
	if (*tail != NULL)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

/* pop - the first job of a list, or NULL */
static struct job *
pop(struct job **head, struct job **tail)
{
	struct job *j = *head;

	if (j != NULL) {
		*head = j->next;
		if (*head == NULL)
			*tail = NULL;
	}
	return j;
}

void
deliver_enqueue(struct qmsg *m, size_t rcpt)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->msg = m;
	j->rcpt = rcpt;
	resolved_init(&j->res);
	m->queued++;
	push(&in_head, &in_tail, j);
	kick();
}

/* job_free - a job is over */
static void
job_free(struct job *j)
{
	resolved_free(&j->res);
	free(j->nexthop);
	free(j);
}

/* on_rate - a rate delay is over */
static void
on_rate(void *ctx)
{
	(void)ctx;
	rate_timer = NULL;
	kick();
}

/* dest_get - the counters of next hop name, made if needed */
static struct dest *
dest_get(const char *name)
{
	struct dest *d;

	for (d = dests; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->next = dests;
	dests = d;
	return d;
}

/* dest_prune - forget next hops with nothing waiting or in flight and
 * no delay */
static void
dest_prune(void)
{
	uint64_t now = ev_now_ms(), delay = var_smtp_dest_rate_delay * 1000;

	for (struct dest **dp = &dests; *dp != NULL;) {
		struct dest *d = *dp;

		if (d->busy == 0 && d->head == NULL &&
		    now - d->last_ms >= delay) {
			*dp = d->next;
			free(d->name);
			free(d);
		} else
			dp = &d->next;
	}
}

/* dest_ready - may a delivery to d start now?  If only the rate delay
 * says no, the pump runs again when it is over. */
static bool
dest_ready(struct dest *d)
{
	uint64_t now = ev_now_ms(), delay = var_smtp_dest_rate_delay * 1000;

	if (d->busy >= var_smtp_dest_concurrency_limit)
		return false;
	if (delay > 0 && d->last_ms != 0 && now - d->last_ms < delay) {
		uint64_t due = d->last_ms + delay;

		if (rate_timer != NULL && due < rate_due_ms)
			ev_timer_del(&rate_timer);
		if (rate_timer == NULL) {
			rate_due_ms = due;
			rate_timer = ev_timer_add(due - now, on_rate, NULL);
		}
		return false;
	}
	return true;
}

/*
 * nexthop_of - where mail for address goes: its domain, or what
 * transport_maps says for the domain or a parent (".example.org").  The
 * value is "smtp:nexthop" or "smtp:" (the domain itself).  0, -1 when
 * the table failed, -2 for an entry we cannot use; *text says why.
 */
static int
nexthop_of(const char *address, char **out, char *text, size_t size)
{
	const char *at = strrchr(address, '@');
	char domain[256];
	struct buf v = BUF_INIT;
	int rc = 0, found = 0;

	resolve_lower(at != NULL ? at + 1 : "", domain, sizeof(domain));
	*out = NULL;
	for (const char *k = domain; transport_map != NULL && k != NULL &&
	    *k != '\0'; k = strchr(k + 1, '.')) {
		found = map_lookup(transport_map, k, &v);
		if (found != 0)
			break;
	}
	if (found < 0) {
		snprintf(text, size, "transport_maps lookup failed: %s",
		    map_error(transport_map));
		rc = -1;
	} else if (found == 0) {
		*out = xstrdup(domain);
	} else if (strncmp(buf_cstr(&v), "smtp:", 5) != 0 &&
	    strcmp(buf_cstr(&v), "smtp") != 0) {
		snprintf(text, size, "transport_maps: %s: transport of \"%.100s"
		    "\" is not smtp", domain, buf_cstr(&v));
		rc = -2;
	} else {
		const char *hop = buf_cstr(&v) + 4;

		hop += *hop == ':';
		*out = xstrdup(*hop != '\0' ? hop : domain);
	}
	buf_free(&v);
	return rc;
}

/* settle - a job's outcome; the message may be finished */
static void
settle(struct job *j, enum qfile_state st, const char *dsn,
    const char *text, const char *relay, bool logged)
{
	struct qmsg *m = j->msg;
	struct qfile_rcpt *r = &m->env.rcpts[j->rcpt];
	struct timeval now;
	const char *transport = relay == NULL ? "none" :
	    strcmp(relay, "local") == 0 ? "local" : "smtp";
	char labels[64];
	int64_t ms;

	gettimeofday(&now, NULL);
	(void)snprintf(labels, sizeof(labels), "result=%s,transport=%s",
	    st == QFILE_DELIVERED ? "delivered" : st == QFILE_BOUNCED ?
	    "bounced" : "deferred", transport);
	counter_add("qmgr_recipients_total", labels, 1);
	ms = (int64_t)(now.tv_sec - m->env.arrival.tv_sec) * 1000 +
	    (now.tv_usec - m->env.arrival.tv_usec) / 1000;
	if (st == QFILE_DELIVERED)
		histogram_observe("qmgr_delivery_seconds", labels + 17,
		    ms > 0 ? (uint64_t)ms : 0);
	/* local logs its deliveries, smtp every outcome it reports. */
	if (!logged && (st != QFILE_DELIVERED || relay == NULL ||
	    strcmp(relay, "local") != 0))
		msg_info("%s: to=<%s>, relay=%s, delay=%.2f, dsn=%s, "
		    "status=%s (%s)", m->qid, r->address, relay != NULL ?
		    relay : "none", (double)(now.tv_sec -
		    m->env.arrival.tv_sec) + (double)(now.tv_usec -
		    m->env.arrival.tv_usec) / 1e6, dsn,
		    st == QFILE_DELIVERED ? "sent" : st == QFILE_BOUNCED ?
		    "bounced" : "deferred", text);
	/* Delivered to an MTA that reports success itself (RFC 3461
	 * 6.2.1): nothing more is owed, now or after a restart. */
	if (st == QFILE_DELIVERED && j->dsn_passed &&
	    (r->notify & SMTP_NOTIFY_SUCCESS))
		st = QFILE_NOTIFIED;
	if (!m->deleted)
		queue_record(m, j->rcpt, st, dsn, text);
	job_free(j);
	queue_done(m);
}

/* on_agent_close - an agent connection ended */
static void
on_agent_close(struct ipc_conn *c, const char *reason, void *ctx)
{
	struct slot *s = ctx;

	if (s->c == c)
		s->c = NULL;
	if (strcmp(reason, "eof") != 0)
		msg_warn("%s transport: connection lost: %s", s->t->label,
		    reason);
	kick();
}

/* on_agent_msg - agents only reply to requests */
static void
on_agent_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	struct slot *s = ctx;

	(void)c;
	(void)m;
	msg_warn("%s transport: unexpected message", s->t->label);
}

/* on_reply - the agent's answer for one recipient */
static void
on_reply(struct ipc_conn *c, struct ipc_msg *reply, void *ctx)
{
	struct slot *s = ctx;
	struct job *j = s->job;
	const char *dsn = "4.3.0", *text = "no answer";
	uint64_t status = IPC_ETEMP, dsn_relay = 0;
	bool logged = false;

	s->job = NULL;
	j->msg->in_flight--;
	if (j->dest != NULL)
		j->dest->busy--;
	if (reply == NULL) {
		/* Timed out or lost: this agent is not to be trusted with
		 * more; the message is tried again later. */
		text = "delivery agent did not answer (crashed or "
		    "delivery_timeout)";
		ipc_conn_close(&s->c);
	} else if (ipc_get_u64(reply, "status", IPC_REQUIRED, &status) < 0 ||
	    ipc_get_str(reply, "dsn", IPC_REQUIRED, &dsn) < 0 ||
	    ipc_get_str(reply, "text", IPC_REQUIRED, &text) < 0) {
		status = IPC_ETEMP;
		dsn = "4.3.0";
		text = "malformed reply from delivery agent";
	} else {
		logged = s->t == &relay_tr;
		/* Handed to another MTA (RFC 3461 6.2): one that took the
		 * DSN parameters reports success itself; for one that did
		 * not, our success notice says "relayed". */
		if (status == IPC_OK && ipc_get_u64(reply, "dsn_relay",
		    IPC_OPTIONAL, &dsn_relay) > 0) {
			j->dsn_passed = dsn_relay == AGENT_DSN_PASSED;
			j->msg->env.rcpts[j->rcpt].relayed = dsn_relay ==
			    AGENT_DSN_RELAYED;
		}
	}
	(void)c;
	settle(j, status == IPC_OK ? QFILE_DELIVERED : status == IPC_EFAIL ?
	    QFILE_BOUNCED : QFILE_DEFERRED, dsn, text, s->t->label, logged);
	kick();
}

/* request - build and send DELIVER for j on slot s; 0 or -1 */
static int
request(struct slot *s, struct job *j, const struct resolved *res)
{
	struct qmsg *m = j->msg;
	struct qfile_rcpt *r = &m->env.rcpts[j->rcpt];
	struct ipc_msg msg;
	int rc;

	ipc_msg_init(&msg, LOCAL_T_DELIVER);
	/* Read-only: the agent may read the message, never change it. */
	msg.fd = queue_open(m, O_RDONLY);
	if (msg.fd < 0) {
		ipc_msg_free(&msg);
		return -1;
	}
	rc = ipc_put_str(&msg, "qid", m->qid) |
	    ipc_put_str(&msg, "sender", m->env.sender) |
	    ipc_put_str(&msg, "recipient", r->address) |
	    ipc_put_str(&msg, "mailbox", res != NULL ? res->key : "") |
	    ipc_put_str(&msg, "extension", res != NULL ? res->ext : "") |
	    ipc_put_u64(&msg, "quota", res != NULL ? res->quota : 0) |
	    (res != NULL && res->has_pk ? ipc_put_bytes(&msg, "public_key",
	    res->pk, sizeof(res->pk)) : 0) |
	    (m->env.quarantine != NULL ? ipc_put_str(&msg, "junk",
	    m->env.quarantine) : 0) |
	    (m->env.spam != NULL ? ipc_put_str(&msg, "spam", m->env.spam) :
	    0) |
	    ipc_put_u64(&msg, "offset", m->env.msg_offset) |
	    ipc_put_u64(&msg, "length", m->env.msg_len) |
	    (j->nexthop != NULL ? ipc_put_str(&msg, "nexthop", j->nexthop) :
	    0) |
	    ipc_put_str(&msg, "body", m->env.body != NULL ? m->env.body :
	    "7BIT") |
	    ipc_put_bool(&msg, "smtputf8", m->env.smtputf8) |
	    /* Our users' mail and our bounces leave DKIM-signed. */
	    ipc_put_bool(&msg, "sign", m->env.auth_user != NULL ||
	    (m->env.protocol != NULL && strcmp(m->env.protocol,
	    "BOUNCE") == 0)) |
	    ipc_put_u64(&msg, "arrival", (uint64_t)m->env.arrival.tv_sec *
	    1000000 + (uint64_t)m->env.arrival.tv_usec) |
	    /* DSN parameters, for an MTA that takes them on */
	    (m->env.ret != NULL ? ipc_put_str(&msg, "ret", m->env.ret) : 0) |
	    (m->env.envid != NULL ? ipc_put_str(&msg, "envid",
	    m->env.envid) : 0) |
	    (r->orcpt != NULL ? ipc_put_str(&msg, "orcpt", r->orcpt) : 0) |
	    (r->notify != 0 ? ipc_put_u64(&msg, "notify", r->notify) : 0);
	if (rc == 0)
		rc = ipc_conn_request(s->c, &msg, var_delivery_timeout * 1000,
		    on_reply, s);
	ipc_msg_free(&msg);	/* closes our copy; the frame has a dup */
	if (rc < 0)
		return -1;
	s->job = j;
	m->in_flight++;
	if (j->nexthop != NULL) {
		j->dest = dest_get(j->nexthop);
		j->dest->busy++;
		j->dest->last_ms = ev_now_ms();
		free(s->last_hop);
		s->last_hop = xstrdup(j->nexthop);
	}
	return 0;
}

/* free_slot - an idle slot with a live connection, made if needed; for
 * a next hop, the one that served it last if there is one */
static struct slot *
free_slot(struct transport *t, const char *hop, const char **why)
{
	struct slot *empty = NULL, *idle = NULL;
	int fd;

	for (unsigned i = 0; i < t->limit; i++) {
		struct slot *s = &t->slots[i];

		if (s->c != NULL && s->job == NULL) {
			if (hop == NULL || (s->last_hop != NULL &&
			    strcmp(s->last_hop, hop) == 0))
				return s;
			if (idle == NULL)
				idle = s;
		}
		if (s->c == NULL && empty == NULL)
			empty = s;
	}
	*why = NULL;
	if (idle != NULL)
		return idle;
	if (empty == NULL)
		return NULL;	/* all busy: wait */
	free(empty->last_hop);
	empty->last_hop = NULL;
	fd = daemon_connect(t->service, why);
	if (fd < 0)
		return NULL;
	empty->c = ipc_conn_new(fd, LOCAL_PROTO, LOCAL_MAJOR, LOCAL_MINOR, 0,
	    on_agent_msg, on_agent_close, empty);
	return empty;
}

/*
 * start - hand j, taken off its queue, to slot s of transport t, or
 * settle it now: dropped if its message was deleted, deferred if no
 * agent could be had (why)
 */
static void
start(struct transport *t, struct job *j, struct slot *s, const char *why)
{
	j->next = NULL;
	j->msg->queued--;
	if (j->msg->deleted) {
		job_free(j);
		return;
	}
	if (s == NULL) {
		char text[300];

		snprintf(text, sizeof(text), "%s transport (service %s) "
		    "unavailable: %s", t->label, t->service, why);
		settle(j, QFILE_DEFERRED, "4.3.0", text, t->label, false);
		return;
	}
	if (request(s, j, t == &local_tr ? &j->res : NULL) < 0) {
		ipc_conn_close(&s->c);
		settle(j, QFILE_DEFERRED, "4.3.0", "cannot send the request to "
		    "the delivery agent", t->label, false);
	}
}

/* dispatch_local - start local deliveries while there are free slots */
static void
dispatch_local(void)
{
	struct job *j;
	struct slot *s;
	const char *why;

	while ((j = local_tr.head) != NULL) {
		s = NULL;
		why = NULL;
		if (!j->msg->deleted &&
		    (s = free_slot(&local_tr, NULL, &why)) == NULL && why == NULL)
			return;		/* every slot busy */
		start(&local_tr, pop(&local_tr.head, &local_tr.tail), s, why);
	}
}

/* start_one - the next job of next hop d, if it may go: 1 started (or
 * settled), 0 d must wait, -1 every slot is busy */
static int
start_one(struct dest *d)
{
	struct job *j = d->head;
	struct slot *s = NULL;
	const char *why = NULL;

	if (j == NULL || (!j->msg->deleted && !dest_ready(d)))
		return 0;
	if (!j->msg->deleted &&
	    (s = free_slot(&relay_tr, d->name, &why)) == NULL && why == NULL)
		return -1;
	start(&relay_tr, pop(&d->head, &d->tail), s, why);
	return 1;
}

/* dispatch_relay - one job from each next hop that may start one, round
 * after round, until the slots or the jobs run out; each pump begins at
 * another next hop */
static void
dispatch_relay(void)
{
	static unsigned turn;
	static struct dest **ring;	/* kept: the pump runs per reply */
	static size_t ring_size;
	size_t n = 0, i = 0, first;
	bool moved = true;

	dest_prune();
	for (struct dest *d = dests; d != NULL; d = d->next)
		n++;
	if (n == 0)
		return;
	if (n > ring_size) {
		ring = xrealloc(ring, n * sizeof(*ring));
		ring_size = n;
	}
	/* The next hops there now: nothing below prunes one. */
	for (struct dest *d = dests; d != NULL; d = d->next)
		ring[i++] = d;
	first = turn++ % n;
	while (moved) {
		moved = false;
		for (i = 0; i < n; i++) {
			int rc = start_one(ring[(first + i) % n]);

			if (rc < 0)
				return;
			moved |= rc > 0;
		}
	}
}

/* route - settle j now, or put it in a transport's queue */
static void
route(struct job *j)
{
	struct qfile_rcpt *r = &j->msg->env.rcpts[j->rcpt];
	char text[512];

	if (j->msg->deleted) {
		j->msg->queued--;
		job_free(j);
		return;
	}
	/* Looked up once: the agent gets what was found here. */
	switch (resolve_mailbox(&qmgr_resolver, r->address, &j->res)) {
	case RESOLVE_USER:
		push(&local_tr.head, &local_tr.tail, j);
		break;
	case RESOLVE_REMOTE:
		if (nexthop_of(r->address, &j->nexthop, text,
		    sizeof(text)) < 0) {
			/* A broken table entry is the admin's to fix: the
			 * mail waits for that, it is not returned. */
			j->msg->queued--;
			msg_warn("%s: %s", j->msg->qid, text);
			settle(j, QFILE_DEFERRED, "4.3.5", text, NULL, false);
			break;
		}
		{
			struct dest *d = dest_get(j->nexthop);

			push(&d->head, &d->tail, j);
		}
		break;
	case RESOLVE_ALIAS:	/* not asked for */
	case RESOLVE_UNKNOWN:
		j->msg->queued--;
		settle(j, QFILE_BOUNCED, "5.1.1", "user unknown", NULL, false);
		break;
	case RESOLVE_TEMP:
		j->msg->queued--;
		snprintf(text, sizeof(text), "lookup failed: %s",
		    qmgr_resolver.error);
		settle(j, QFILE_DEFERRED, "4.3.0", text, NULL, false);
		break;
	}
}

/* pump - route new jobs, then start deliveries */
static void
pump(void *ctx)
{
	struct job *j;

	(void)ctx;
	pump_timer = NULL;
	while ((j = pop(&in_head, &in_tail)) != NULL)
		route(j);
	dispatch_local();
	dispatch_relay();
}

void
deliver_init(void)
{
	local_tr.service = var_local_transport;
	local_tr.limit = (unsigned)var_local_concurrency_limit;
	local_tr.slots = xcalloc(local_tr.limit, sizeof(struct slot));
	relay_tr.service = var_relay_transport;
	relay_tr.limit = (unsigned)var_smtp_concurrency_limit;
	if (var_transport_maps[0] != '\0') {
		char *spec = daemon_map_spec(var_transport_maps);
		const char *why;

		transport_map = map_open(spec, MAP_RDONLY, &why);
		if (transport_map == NULL)
			msg_fatal("transport_maps = %s: %s", var_transport_maps,
			    why);
		free(spec);
	}
	relay_tr.slots = xcalloc(relay_tr.limit, sizeof(struct slot));
	for (unsigned i = 0; i < local_tr.limit; i++)
		local_tr.slots[i].t = &local_tr;
	for (unsigned i = 0; i < relay_tr.limit; i++)
		relay_tr.slots[i].t = &relay_tr;
}
