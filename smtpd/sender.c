/*
 * NAME
 *	sender - who sent the message: XCLIENT, SPF, Authentication-Results
 * DESCRIPTION
 *	SPF asks DNS, which may take seconds: the check runs on a worker
 *	thread (lib/util/workq.h) while the session reads nothing more (a
 *	pipelined RCPT waits) and the other sessions of the process go on.
 *	The result is the MAIL FROM identity's, or the HELO name's for the
 *	null sender (RFC 7208 2.4); it is reported in the
 *	Authentication-Results field that verify.c writes at the end of the
 *	message, and by setting refuses a fail (550 5.7.23) or defers a
 *	temperror (451 4.7.24).  With smtpd_spf_helo the HELO name is also
 *	checked on its own (RFC 7208 2.3), once per name a session gives:
 *	its fail is refused like a MAIL FROM fail, and scored; its other
 *	results are only logged (DMARC and Authentication-Results speak of
 *	MAIL FROM).  The same worker threads run verify.c's DKIM and DMARC
 *	checks.
 *
 *	XCLIENT (Postfix's extension) lets a client on
 *	smtpd_xclient_networks say who the real client is: ADDR, HELO and
 *	NAME (taken, and ignored); the session then starts over with a new
 *	220, as Postfix does.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/workq.h"

static struct workq *q;

void
sender_init(unsigned threads)
{
	q = workq_new(threads, NULL);
}

/* in_net - whether IPv4 address a is in "net[/prefix]" */
static bool
in_net(const char *a, const char *net)
{
	char buf[64], *slash;
	struct in_addr x, n;
	unsigned long bits = 32;
	uint32_t mask;

	snprintf(buf, sizeof(buf), "%s", net);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		bits = strtoul(slash + 1, NULL, 10);
		if (bits > 32)
			return false;
	}
	if (inet_pton(AF_INET, a, &x) != 1 || inet_pton(AF_INET, buf, &n) != 1)
		return false;
	mask = bits == 0 ? 0 : htonl(~(uint32_t)0 << (32 - bits));
	return (x.s_addr & mask) == (n.s_addr & mask);
}

bool
sender_xclient_allowed(const char *addr)
{
	return sender_in_networks(addr, var_smtpd_xclient_networks);
}

bool
sender_in_networks(const char *addr, const char *networks)
{
	char *list = xstrdup(networks), *one, *save = NULL;
	bool ok = false;

	for (one = strtok_r(list, ", ", &save); one != NULL && !ok;
	    one = strtok_r(NULL, ", ", &save))
		ok = in_net(addr, one);
	free(list);
	return ok;
}

void
cmd_xclient(struct session *ss, char *args)
{
	char *save = NULL, *one, addr[64] = "", helo[256] = "";

	if (!ss->xclient_ok) {
		reply(ss, 550, "5.7.0", "Error: XCLIENT not allowed from [%s]",
		    ss->conn_addr);
		return;
	}
	if (ss->in_mail) {
		reply(ss, 503, "5.5.1", "Error: XCLIENT inside a transaction");
		return;
	}
	for (one = strtok_r(args, " ", &save); one != NULL;
	    one = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(one, '=');
		struct in6_addr a6;

		if (eq == NULL) {
			reply(ss, 501, "5.5.4", "Syntax: XCLIENT attr=value "
			    "...");
			return;
		}
		*eq++ = '\0';
		if (strcasecmp(one, "ADDR") == 0) {
			if (strncasecmp(eq, "IPV6:", 5) == 0)
				eq += 5;
			if (inet_pton(AF_INET, eq, &a6) != 1 &&
			    inet_pton(AF_INET6, eq, &a6) != 1) {
				reply(ss, 501, "5.5.4", "Bad XCLIENT ADDR");
				return;
			}
			snprintf(addr, sizeof(addr), "%s", eq);
		} else if (strcasecmp(one, "HELO") == 0) {
			snprintf(helo, sizeof(helo), "%s", eq);
		} else if (strcasecmp(one, "NAME") != 0 &&
		    strcasecmp(one, "PROTO") != 0 &&
		    strcasecmp(one, "LOGIN") != 0 &&
		    strcasecmp(one, "PORT") != 0) {
			reply(ss, 501, "5.5.4", "Bad XCLIENT attribute %s",
			    one);
			return;
		}
	}
	msg_info("[%s]: XCLIENT addr=%s helo=%s", ss->conn_addr,
	    addr[0] ? addr : ss->addr, helo[0] ? helo : "(none)");
	session_reset(ss);
	if (addr[0] != '\0')
		snprintf(ss->addr, sizeof(ss->addr), "%s", addr);
	session_helo(ss, helo);
	ss->esmtp = false;
	stream_printf(ss->s, "220 %s\r\n", var_smtpd_banner);
}

/* work - in a worker thread: the SPF check */
static void
work(struct workq_job *j)
{
	struct sender_job *c = (struct sender_job *)j;

	c->result = spf_check(c->ip, c->helo, c->from, c->why,
	    sizeof(c->why));
	if (c->helo_check) {
		char why[256];

		c->helo_result = spf_check(c->ip, c->helo, "", why,
		    sizeof(why));
	}
}

/* helo_checkable - a name SPF can judge: a domain, not an address
 * (literal or bare) or a single word (RFC 7208 2.3) */
static bool
helo_checkable(const char *helo)
{
	struct in6_addr a;

	return helo[0] != '[' && strchr(helo, '.') != NULL &&
	    inet_pton(AF_INET, helo, &a) != 1 &&
	    inet_pton(AF_INET6, helo, &a) != 1;
}

/* refuse_fail - smtpd_spf_reject_fail: 550 for a fail of identity id */
static void
refuse_fail(struct session *ss, const char *id, const char *what)
{
	counter_add("smtpd_rejects_total", "reason=spf", 1);
	msg_info("reject: MAIL from [%s]: <%s>: SPF fail%s", ss->addr, id,
	    what);
	reply(ss, 550, "5.7.23", "SPF: %s is not allowed to send for %s",
	    ss->addr, id);
	session_reset(ss);
}

/* checked - back in the loop: answer MAIL FROM */
static void
checked(struct workq_job *j)
{
	struct sender_job *c = (struct sender_job *)j;
	struct session *ss = c->ss;
	const char *id = c->from[0] != '\0' ? c->from : c->helo;

	if (ss->gone) {
		session_free(ss);
		return;
	}
	session_set_mode(ss, MODE_COMMAND);
	stream_resume(ss->s);
	ss->spf = c->result;
	msg_info("[%s]: spf=%s %s=%s", ss->addr, spf_name(c->result),
	    c->from[0] != '\0' ? "smtp.mailfrom" : "smtp.helo", id);
	if (c->helo_check) {
		ss->spf_helo = c->helo_result;
		ss->spf_helo_known = true;
		msg_info("[%s]: spf=%s smtp.helo=%s (HELO name)", ss->addr,
		    spf_name(c->helo_result), c->helo);
	}
	if (c->result == SPF_FAIL && var_smtpd_spf_reject_fail) {
		refuse_fail(ss, id, "");
		return;
	}
	if (ss->spf_helo_known && ss->spf_helo == SPF_FAIL &&
	    var_smtpd_spf_reject_fail) {
		refuse_fail(ss, ss->helo, " of the HELO name");
		return;
	}
	if (c->result == SPF_TEMPERROR && var_smtpd_spf_defer_temperror) {
		reply(ss, 451, "4.7.24", "SPF: the sender's DNS cannot be "
		    "checked now, try again later");
		session_reset(ss);
		return;
	}
	mail_accepted(ss);
}

void
sender_check_mail(struct session *ss)
{
	struct sender_job *c = &ss->check;

	memset(c, 0, sizeof(*c));
	c->ss = ss;
	snprintf(c->ip, sizeof(c->ip), "%s", ss->addr);
	snprintf(c->helo, sizeof(c->helo), "%s", ss->helo);
	if (!ss->mail.from.null)
		addr_text(&ss->mail.from, c->from, sizeof(c->from));
	/* For the null sender the HELO name is the identity already. */
	c->helo_check = var_smtpd_spf_helo && !ss->mail.from.null &&
	    !ss->spf_helo_known && helo_checkable(ss->helo);
	c->job.work = work;
	c->job.done = checked;
	session_set_mode(ss, MODE_CHECK);
	stream_pause(ss->s);
	workq_submit(q, &c->job);
}

void
sender_submit(struct workq_job *j)
{
	workq_submit(q, j);
}
