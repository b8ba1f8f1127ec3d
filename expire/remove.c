/*
 * NAME
 *	remove - delete messages through the folder index
 * DESCRIPTION
 *	The same path as POP3's UPDATE (pop3d/maildrop.c): under the index
 *	lock, mindex_expunge logs an X record and unlinks the file, so
 *	imapd sessions on the folder see "* n EXPUNGE" at their next
 *	NOOP/IDLE wake-up, and pop3d's next session no longer lists it.
 *	Messages still in new/ (delivered but never seen by imapd or
 *	pop3d) are first given their UIDs, as imapd would: there is no
 *	second way of deleting a message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "expire/expire.h"
#include "mail/expires.h"
#include "mail/mindex.h"
#include "mail/mstore.h"
#include "util/log.h"

/* find_name - the live message with file name, or NULL */
static struct mindex_msg *
find_name(struct mindex *x, const char *name)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->msgs[i].name, name) == 0)
			return &x->msgs[i];
	return NULL;
}

size_t
expire_folder(const char *mailbox, const char *folder,
    struct expire_item *items, size_t n, struct expire_stats *st)
{
	char fdir[1100], when[32], shown[300];
	const char *why;
	struct mindex x;
	struct stat sb;
	size_t again = 0;

	mstore_folder_name(folder, shown, sizeof(shown));
	if (mstore_folder_dir(mailbox, folder, fdir, sizeof(fdir)) < 0 ||
	    stat(fdir, &sb) < 0) {
		st->gone += (unsigned)n;	/* the folder went */
		return 0;
	}
	if (mindex_open(&x, fdir, &why) < 0) {
		msg_warn("mailbox=%s, folder=%s: %s; trying again later",
		    mailbox, shown, why);
		st->failed += (unsigned)n;
		return n;
	}
	if (mindex_lock(&x) < 0) {
		msg_warn("mailbox=%s, folder=%s: cannot lock the index: %m",
		    mailbox, shown);
		mindex_close(&x);
		st->failed += (unsigned)n;
		return n;
	}
	if (mindex_sync_new(&x) < 0 || mindex_refresh(&x) < 0)
		msg_warn("mailbox=%s, folder=%s: cannot bring the index up to "
		    "date: %m", mailbox, shown);
	for (size_t i = 0; i < n; i++) {
		struct mindex_msg *m = find_name(&x, items[i].name);
		uint32_t uid;

		if (m == NULL) {
			st->gone++;	/* deleted by its user, or never stored */
			continue;
		}
		uid = m->uid;
		if (mindex_expunge(&x, uid) < 0) {
			msg_warn("mailbox=%s, folder=%s, uid=%u: cannot expunge: "
			    "%m", mailbox, shown, uid);
			st->failed++;
			again++;
			continue;
		}
		expires_format(items[i].when, when, sizeof(when));
		msg_info("mailbox=%s, folder=%s, uid=%u, reason=%s, expired=%s",
		    mailbox, shown, uid, items[i].reason, when);
		if (strcmp(items[i].reason, "retention") == 0)
			st->retained++;
		else
			st->expired++;
	}
	mindex_unlock(&x);
	mindex_close(&x);
	return again;
}
