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
	struct tls_settings ts = {
		.cert_file = var_tls_cert_file,
		.key_file = var_tls_key_file,
		.ciphers = var_tls_ciphers,
		.ciphersuites = var_tls_ciphersuites,
		.min_version = var_tls_min_version,
	};
	const char *why;

	if (!var_smtpd_starttls && !var_smtpd_tls_wrapper)
		return;
	smtpd_tls_ctx = tls_server_ctx_new(&ts, &why);
	if (smtpd_tls_ctx == NULL) {
		if (var_smtpd_tls_wrapper)
			msg_fatal("TLS: %s (tls_cert_file=%s, tls_key_file=%s)",
			    why, var_tls_cert_file, var_tls_key_file);
		msg_warn("TLS: %s (tls_cert_file=%s, tls_key_file=%s); "
		    "STARTTLS is not offered", why, var_tls_cert_file,
		    var_tls_key_file);
	}
}

/* post_jail - the lookup tables, as seen from inside the jail */
static void
post_jail(void)
{
	char *d = daemon_map_spec(var_local_domains_map);
	char *u = daemon_map_spec(var_local_users_map);
	char *a = daemon_map_spec(var_alias_map);
	const char *why;

	if (resolver_open(&smtpd_resolver, d, u, a, var_recipient_delimiter,
	    &why) < 0)
		msg_fatal("recipient tables: %s (local_domains_map, "
		    "local_users_map, alias_map)", why);
	free(d);
	free(u);
	free(a);
	commit_init((unsigned)var_smtpd_commit_threads);
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
