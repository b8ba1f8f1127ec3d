/*
 * mexpire.h - what the mail store knows about message expiry, in the
 * clear (DESIGN 5: like size and arrival time), so that expire(8) can
 * delete a message at its time without decrypting anything.
 *
 * Two records, both written before the message becomes visible:
 *
 *   - the message's file name carries ",E=<time>" after ",S=<size>"
 *     (mstore.h): it moves with the file, so the whole-store pass of
 *     expire(8) finds every expiring message even if the entry below
 *     was lost;
 *   - a small "due" entry in the store-wide directory MEXPIRE_DIR,
 *     MEXPIRE_DIR/<hour>/<time>.<file name>, holding "mailbox\nfolder\n":
 *     the frequent sweep reads only the hours that are due, never every
 *     mailbox.  Each delivery writes its own entry (file names are
 *     unique), so concurrent deliveries never share a file.
 *
 * An entry whose message is gone (never stored after a crash, or
 * deleted by the user) is skipped and removed.  Paths are relative to
 * the working directory, the store.
 */
#ifndef POSTERN_MEXPIRE_H
#define POSTERN_MEXPIRE_H

#include <stddef.h>
#include <stdint.h>

/* A name no mailbox domain can have (mstore refuses leading dots). */
#define MEXPIRE_DIR	".postern-expire"
#define MEXPIRE_BUCKET	3600	/* seconds of expiry times per directory */

/* mexpire_name_time - the expiry a stored file's name carries (",E="),
 * 0 if none. */
int64_t mexpire_name_time(const char *name);

/*
 * mexpire_due_add - record that file name in folder ("" for the inbox)
 * of mailbox expires at when.  0, or -1 with errno.
 */
int mexpire_due_add(int64_t when, const char *mailbox, const char *folder,
    const char *name);

/*
 * mexpire_due_fn - one due entry: the message file name in folder of
 * mailbox expired at when.  Return 0 when it is dealt with (deleted, or
 * gone): the entry is removed; -1 to keep it for the next sweep.
 */
typedef int mexpire_due_fn(int64_t when, const char *mailbox,
    const char *folder, const char *name, void *ctx);

/*
 * mexpire_due_scan - call fn for every entry due at now (time <= now),
 * oldest hour first, then remove empty past hours.  Entries that cannot
 * be read are logged and removed.  Returns the number of entries seen,
 * or -1 if the directory cannot be read.
 */
int mexpire_due_scan(int64_t now, mexpire_due_fn *fn, void *ctx);

#endif
