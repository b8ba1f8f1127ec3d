/*
 * NAME
 *	anvil - connection count and rate limits per client address
 * DESCRIPTION
 *	A client may spread its connections over every smtpd process of a
 *	service, so the counting happens in one place that sees them all:
 *	master, asked over the master channel (doc/ipc/master-chan.md,
 *	ANVIL).  If master cannot answer, the client is let in: a limit
 *	that fails closed would turn a master hiccup into an outage.
 */
#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/daemon.h"
#include "util/log.h"

int
anvil_admit(struct session *ss)
{
	uint64_t count = 0, rate = 0;

	if (var_smtpd_client_connection_limit == 0 &&
	    var_smtpd_client_rate_limit == 0)
		return 0;
	if (daemon_anvil(ss->addr, true, var_smtpd_client_rate_window,
	    &count, &rate) < 0)
		return 0;
	ss->anvil_counted = true;
	if (var_smtpd_client_connection_limit > 0 &&
	    count > var_smtpd_client_connection_limit) {
		msg_warn("connection limit: [%s] has %llu connections to "
		    "service %s (smtpd_client_connection_limit=%llu)",
		    ss->addr, (unsigned long long)count, daemon_service(),
		    (unsigned long long)var_smtpd_client_connection_limit);
		stream_printf(ss->s, "421 4.7.0 %s Error: too many "
		    "connections from %s\r\n", var_myhostname, ss->addr);
		session_quit(ss);
		return -1;
	}
	if (var_smtpd_client_rate_limit > 0 &&
	    rate > var_smtpd_client_rate_limit) {
		msg_warn("connection rate limit: [%s] opened %llu connections "
		    "to service %s in %llus (smtpd_client_rate_limit=%llu)",
		    ss->addr, (unsigned long long)rate, daemon_service(),
		    (unsigned long long)var_smtpd_client_rate_window,
		    (unsigned long long)var_smtpd_client_rate_limit);
		stream_printf(ss->s, "421 4.7.0 %s Error: too many "
		    "connections from %s\r\n", var_myhostname, ss->addr);
		session_quit(ss);
		return -1;
	}
	return 0;
}

void
anvil_done(struct session *ss)
{
	uint64_t count, rate;

	if (ss->anvil_counted)
		(void)daemon_anvil(ss->addr, false, 0, &count, &rate);
	ss->anvil_counted = false;
}
