/*
 * NAME
 *	outbound - rate limits on our users' mail to other domains
 * DESCRIPTION
 *	A stolen password should not let anyone send 100,000 messages in
 *	our name.  Each recipient in another domain that a logged-in user
 *	gives counts against outbound_sender_rate_limit (per user) and
 *	outbound_domain_rate_limit (per recipient domain, all users
 *	together) over outbound_rate_window.  Master keeps the counts, so
 *	that every smtpd process of every submission service shares them,
 *	and logs a limit once per limit_log_interval.
 *
 *	Over a limit the recipient gets 450 4.7.1: a temporary refusal, so
 *	the message stays with the user's client (nothing we accepted is
 *	dropped, and the queue does not fill).  A recipient refused by the
 *	domain limit has already counted for its sender.  If master cannot
 *	answer, the recipient passes.
 */
#include <ctype.h>
#include <stdio.h>

#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/log.h"

/* lower - keys are case-blind, as addresses and domains mostly are */
static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* over - count one recipient under key; 0 within limit, else -1 (replied) */
static int
over(struct session *ss, const char *rcpt, const char *key,
    const char *name, uint64_t limit, const char *who)
{
	char what[ADDR_PATH_MAX + 64];
	uint64_t wait;

	if (limit == 0)
		return 0;
	snprintf(what, sizeof(what), "recipients %s", who);
	switch (daemon_rate(key, name, what, limit, var_outbound_rate_window,
	    1, &wait)) {
	case 0:
		counter_add("smtpd_rejects_total", "reason=outbound_rate", 1);
		msg_info("reject: RCPT from [%s]: user=%s <%s>: %s reached",
		    ss->addr, ss->auth_user, rcpt, name);
		reply(ss, 450, "4.7.1", "<%s>: Recipient address rejected: "
		    "too many recipients %s; try again in %llu seconds", rcpt,
		    who, (unsigned long long)(wait > 0 ? wait : 1));
		return -1;
	case -1:
		msg_warn("outbound: master did not answer; <%s> passes", rcpt);
		return 0;
	}
	return 0;
}

int
outbound_rcpt(struct session *ss, const char *rcpt, const char *domain)
{
	char key[ADDR_PATH_MAX + 16], who[ADDR_PATH_MAX + 16];

	snprintf(key, sizeof(key), "sender %s", ss->auth_user);
	lower(key);
	snprintf(who, sizeof(who), "from %s", ss->auth_user);
	if (over(ss, rcpt, key, "outbound_sender_rate_limit",
	    var_outbound_sender_rate_limit, who) < 0)
		return -1;
	snprintf(key, sizeof(key), "domain %s", domain);
	lower(key);
	snprintf(who, sizeof(who), "to %s", domain);
	return over(ss, rcpt, key, "outbound_domain_rate_limit",
	    var_outbound_domain_rate_limit, who);
}
