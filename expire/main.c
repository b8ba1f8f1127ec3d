/*
 * NAME
 *	expire - delete expired messages and apply folder retention
 * DESCRIPTION
 *	See expire(8).  One long-lived process (process_min=1 in
 *	master.conf, like qmgr) runs as store_owner, chrooted to the mail
 *	store, as local does.  Every expire_sweep_interval it deletes the
 *	messages whose Expires: time has come (sweep.c, from the due
 *	entries local wrote at delivery); at start and then every
 *	expire_retention_interval it walks every mailbox (store.c) for
 *	folder retention (expire_folder_retention) and for expiring
 *	messages the sweep could not know of.  Deletion goes through the
 *	folder index (remove.c), so logged-in IMAP clients see EXPUNGE.
 *
 *	Its own idea of now is the clock plus expire_clock_offset, a
 *	setting for tests that jump days ahead instead of sleeping.
 * SECURITY
 *	Not network facing; accepts no requests (connections to its
 *	socket are closed).  It reads only names, sizes and times of the
 *	store's files and the folder indexes; it holds no key and cannot
 *	read mail.  A compromise could delete any stored message.
 */
#include <time.h>
#include <unistd.h>

#include "expire/expire.h"
#include "mail/params.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"

struct retention expire_retention;

static struct ev_timer *tick_timer;
static uint64_t next_pass_ms;

int64_t
expire_now(void)
{
	return (int64_t)time(NULL) + (int64_t)var_expire_clock_offset;
}

/* tick - one sweep, and the store pass when its time has come */
static void
tick(void *ctx)
{
	int64_t now = expire_now();

	(void)ctx;
	tick_timer = NULL;
	if (daemon_stopping())
		return;
	if (ev_now_ms() >= next_pass_ms) {
		expire_store_pass(now);
		next_pass_ms = ev_now_ms() + var_expire_retention_interval *
		    1000;
	}
	expire_sweep(now);
	tick_timer = ev_timer_add(var_expire_sweep_interval * 1000, tick,
	    NULL);
}

/* post_jail - check the settings, then sweep from now on */
static void
post_jail(void)
{
	const char *why;

	if (retention_parse(var_expire_folder_retention, &expire_retention,
	    &why) < 0)
		msg_fatal("expire_folder_retention = %s: %s",
		    var_expire_folder_retention, why);
	/* A long-lived process: waiting idle is its job. */
	var_idle_timeout = 0;
	if (var_expire_clock_offset > 0)
		msg_info("expire_clock_offset = %llus: the clock is set ahead "
		    "(for testing)", (unsigned long long)var_expire_clock_offset);
	next_pass_ms = 0;	/* a store pass at start */
	tick_timer = ev_timer_add(0, tick, NULL);
}

/* on_stop - no new sweep; one in progress has already finished (the
 * event loop runs between sweeps) */
static void
on_stop(void)
{
	ev_timer_del(&tick_timer);
}

/* on_accept - nothing is served on the socket */
static void
on_accept(int fd, unsigned li)
{
	(void)li;
	close(fd);
	daemon_conn_done();
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "store_owner",
		.chroot_param = "store_directory",
		.post_jail = post_jail,
		.on_accept = on_accept,
		.on_stop = on_stop,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}
