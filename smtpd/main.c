/*
 * NAME
 *	smtpd - the SMTP server
 * DESCRIPTION
 *	See smtpd(8) and smtpd.h.  Started by master, which hands over the
 *	listening socket; runs as mail_owner, chrooted to queue_directory,
 *	where it writes each accepted message into the queue.
 * SECURITY
 *	Network facing.  Holds the TLS key (read before the jail) and
 *	nothing else secret.  Every input is bounded by a smtpd_* limit.
 */
#include <stdlib.h>

#include <string.h>

#include "mail/dns.h"
#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/tls.h"

SSL_CTX *smtpd_tls_ctx;
struct resolver smtpd_resolver;

/* pre_jail - the certificate and key are outside the jail */
static void
pre_jail(void)
{
	const char *why;

	smtpd_tls_ctx = params_tls_server_ctx(var_smtpd_starttls,
	    var_smtpd_tls_wrapper);
	/* /etc/resolv.conf is outside the jail. */
	if (dns_setup(var_dns_resolvers, (unsigned)var_dns_timeout, &why) < 0)
		msg_fatal("%s (dns_resolvers=%s)", why, var_dns_resolvers);
	if (strcmp(var_smtpd_dmarc_reject_action, "reject") != 0 &&
	    strcmp(var_smtpd_dmarc_reject_action, "quarantine") != 0 &&
	    strcmp(var_smtpd_dmarc_reject_action, "none") != 0)
		msg_fatal("smtpd_dmarc_reject_action = %s: say reject, "
		    "quarantine or none", var_smtpd_dmarc_reject_action);
	milter_setup();
	/* Read once, before the jail and before any thread. */
	if (var_smtpd_dmarc && dmarc_setup(var_dmarc_public_suffix_list,
	    &why) < 0)
		msg_fatal("%s %s (dmarc_public_suffix_list; Debian package "
		    "publicsuffix)", why, var_dmarc_public_suffix_list);
}

/* post_jail - the lookup tables, as seen from inside the jail */
static void
post_jail(void)
{
	resolver_open_daemon(&smtpd_resolver);
	commit_init((unsigned)var_smtpd_commit_threads);
	sender_init((unsigned)var_smtpd_dns_threads);
}

/* on_accept - a new client */
static void
on_accept(int fd, unsigned li)
{
	(void)li;
	session_accept(fd);
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "mail_owner",
		.chroot_param = "queue_directory",
		.pre_jail = pre_jail,
		.post_jail = post_jail,
		.on_accept = on_accept,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}
