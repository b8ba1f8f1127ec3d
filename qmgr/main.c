/*
 * NAME
 *	qmgr - the queue manager
 * DESCRIPTION
 *	See qmgr(8) and qmgr.h.  One process (process_limit 1 in
 *	master.conf); runs as mail_owner, chrooted to queue_directory.
 * SECURITY
 *	Reads queue files written by smtpd from untrusted input; the
 *	reader (lib/mail/qfile.c) bounds and checks every record.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "mail/params.h"
#include "qmgr/qmgr.h"
#include "util/daemon.h"
#include "util/log.h"

struct resolver qmgr_resolver;

/* post_jail - tables, queue, transports; then take on what is there */
static void
post_jail(void)
{
	resolver_open_daemon(&qmgr_resolver);
	queue_init();
	deliver_init();
	queue_recover_active();
	queue_scan_incoming();
	queue_scan_deferred(false);
}

/* on_accept - `postern queue` connected */
static void
on_accept(int fd, unsigned li)
{
	(void)li;
	ctl_accept(fd);
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "mail_owner",
		.chroot_param = "queue_directory",
		.post_jail = post_jail,
		.on_accept = on_accept,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}
