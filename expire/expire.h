/*
 * expire.h - the expiry sweeper; expire(8).
 */
#ifndef POSTERN_EXPIRE_H
#define POSTERN_EXPIRE_H

#include <stddef.h>
#include <stdint.h>

#include "mail/retention.h"

/* What one sweep or store pass did, for its summary line. */
struct expire_stats {
	unsigned expired;	/* reason=expires */
	unsigned retained;	/* reason=retention */
	unsigned gone;		/* already deleted: nothing to do */
	unsigned failed;	/* kept for the next time */
};

/* One message to delete. */
struct expire_item {
	char *name;		/* file name, without ":2," */
	int64_t when;		/* the time it fell due */
	const char *reason;	/* "expires" or "retention" */
};

extern struct retention expire_retention;

/* main.c: now as the sweeper sees it (expire_clock_offset added). */
int64_t expire_now(void);

/* remove.c: delete the n items of folder ("" inbox) of mailbox through
 * the folder index (mindex_expunge: imapd sessions see EXPUNGE), one log
 * line each; counts into *st.  Returns how many are to be tried again. */
size_t expire_folder(const char *mailbox, const char *folder,
    struct expire_item *items, size_t n, struct expire_stats *st);

/* sweep.c: the due entries up to now. */
void expire_sweep(int64_t now);
/* store.c: every mailbox, for retention and missed expiries. */
void expire_store_pass(int64_t now);

#endif
