/*
 * NAME
 *	pop3d - the POP3 server
 * DESCRIPTION
 *	See pop3d(8) and pop3d.h.  Started by master, which hands over the
 *	listening socket; runs as store_owner, chrooted to the mail store.
 * SECURITY
 *	Network facing.  Holds the TLS key (read before the jail) and,
 *	while RETR or TOP runs, one message's content key and a slice of
 *	its plaintext; never a user's private key or a password hash.
 */
#include <stdlib.h>

#include "mail/params.h"
#include "pop3d/pop3d.h"
#include "util/daemon.h"

SSL_CTX *pop3d_tls_ctx;

/* pre_jail - the certificate and key are outside the jail */
static void
pre_jail(void)
{
	pop3d_tls_ctx = params_tls_server_ctx(var_pop3d_starttls,
	    var_pop3d_tls_wrapper);
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
