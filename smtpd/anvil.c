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
#include "util/counters.h"
#include "util/daemon.h"
#include "util/log.h"

int
anvil_admit(struct session *ss)
{
	struct anvil_limits lim = {
		.limit = var_smtpd_client_connection_limit,
		.limit_name = "smtpd_client_connection_limit",
		.rate_limit = var_smtpd_client_rate_limit,
		.rate_name = "smtpd_client_rate_limit",
		.window_s = var_smtpd_client_rate_window,
	};
	int verdict;

	if (lim.limit == 0 && lim.rate_limit == 0)
		return 0;
	verdict = daemon_anvil(ss->addr, true, &lim);
	if (verdict < 0)
		return 0;
	ss->anvil_counted = true;
	if (verdict == ANVIL_ADMITTED)
		return 0;
	/* master logs the limit with its hint, once per interval */
	counter_add("smtpd_rejects_total", "reason=connection_limit", 1);
	msg_info("refused: [%s]: too many connections (%s)", ss->addr,
	    verdict == ANVIL_REFUSED_COUNT ? lim.limit_name : lim.rate_name);
	stream_printf(ss->s, "421 4.7.0 %s Error: too many connections "
	    "from %s\r\n", var_myhostname, ss->addr);
	session_quit(ss);
	return -1;
}

void
anvil_done(struct session *ss)
{
	if (ss->anvil_counted)
		(void)daemon_anvil(ss->addr, false, NULL);
	ss->anvil_counted = false;
}
