/*
 * NAME
 *	imapd - the IMAP server
 * DESCRIPTION
 *	See imapd(8) and imapd.h.  Started by master, which hands over the
 *	listening socket; runs as store_owner, chrooted to the mail store.
 * SECURITY
 *	Network facing.  Holds the TLS key (read before the jail) and,
 *	while a command runs, the content key and plaintext of the message
 *	it works on; never a user's private key or a password hash.
 */
#include <stdlib.h>

#include "imapd/imapd.h"
#include "mail/params.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/tls.h"

SSL_CTX *imapd_tls_ctx;

/* pre_jail - the certificate and key are outside the jail */
static void
pre_jail(void)
{
	imapd_tls_ctx = params_tls_server_ctx(var_imapd_starttls,
	    var_imapd_tls_wrapper);
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
		.user_param = "store_owner",
		.chroot_param = "store_directory",
		.pre_jail = pre_jail,
		.on_accept = on_accept,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}
