/*
 * NAME
 *	sweep - delete the messages whose Expires: time has come
 * DESCRIPTION
 *	Reads only the due entries of the store-wide directory
 *	(lib/mail/mexpire.h) for the hours that have begun, never the
 *	mailboxes: a sweep every expire_sweep_interval costs next to
 *	nothing when nothing is due.
 */
#include "expire/expire.h"
#include "mail/mexpire.h"
#include "util/log.h"

/* one_due - a due entry: delete its message */
static int
one_due(int64_t when, const char *mailbox, const char *folder,
    const char *name, void *ctx)
{
	struct expire_item it = { (char *)name, when, "expires" };

	return expire_folder(mailbox, folder, &it, 1, ctx) > 0 ? -1 : 0;
}

void
expire_sweep(int64_t now)
{
	struct expire_stats st = { 0 };

	if (mexpire_due_scan(now, one_due, &st) < 0)
		msg_warn("cannot read %s: %m", MEXPIRE_DIR);
	if (st.expired + st.gone + st.failed > 0)
		msg_info("sweep: expired=%u, gone=%u, failed=%u", st.expired,
		    st.gone, st.failed);
}
