/*
 * NAME
 *	metrics_help - the HELP text of each metric master serves
 * DESCRIPTION
 *	One table, also the list in master(8).  A name a daemon reports that
 *	is not here still gets served, with a generic HELP line.
 */
#include <string.h>

#include "master/master.h"

static const struct {
	const char *name;
	const char *help;
} helps[] = {
	{ "master_processes", "Child processes of the service (gauge)." },
	{ "master_connections", "Connections its children serve now." },
	{ "master_connections_total", "Connections its children accepted." },
	{ "master_processes_started_total", "Children master started." },
	{ "master_crashes_total", "Children that ended abnormally." },
	{ "master_limit_hits_total", "Times a limit stopped the service's "
	    "work, by the setting that set it (process_limit, client_limit, "
	    "smtpd_client_connection_limit, outbound_sender_rate_limit, ...)."
	    },
	{ "smtpd_messages_total", "Messages smtpd accepted (result)." },
	{ "qmgr_recipients_total", "Recipients qmgr settled, by result "
	    "(delivered, deferred, bounced) and transport." },
	{ "qmgr_delivery_seconds", "From arrival to delivery, per delivered "
	    "recipient, by transport." },
	{ "smtpd_auth_total", "SMTP AUTH attempts by result (ok, failed, "
	    "tempfail)." },
	{ "smtpd_rejects_total", "Connections, senders, recipients or "
	    "messages smtpd refused, by reason (rcpt_unknown, relay, spf, "
	    "dmarc, spam, size, bare_eol, greylist, milter, outbound_rate, "
	    "connection_limit, sender_not_owned, from_not_owned)." },
	{ "smtpd_commands_total", "SMTP commands by verb (unknown: not "
	    "in smtpd's table)." },
	{ "imapd_commands_total", "IMAP commands by name." },
	{ "pop3d_commands_total", "POP3 commands by name." },
	{ "logins_total", "IMAP and POP3 logins by result (ok, failed, "
	    "tempfail)." },
	{ "tls_handshakes_total", "TLS handshakes by result and protocol "
	    "version, of servers and of the smtp client." },
	{ "qmgr_queue_messages", "Messages in each queue directory "
	    "(gauge, every 2 seconds)." },
};

const char *
metrics_help(const char *name)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].name, name) == 0)
			return helps[i].help;
	return "Reported by a daemon.";
}
