/*
 * mstore.h - the mail store: one folder per mailbox directory, one file
 * per message, Maildir-style (DESIGN 5).
 *
 *   DOMAIN/USER/{tmp,new,cur}/          the inbox
 *   DOMAIN/USER/.FOLDER/{tmp,new,cur}/  other folders (Maildir++)
 *
 * A message is written in tmp/, fsync'ed, renamed into new/, and new/ is
 * fsync'ed: a crash leaves either nothing or the whole message.  File
 * names carry the message's size (",S=bytes", the plaintext size, which
 * IMAP and POP3 report) so that quota needs no stat, and, for a message
 * with an Expires: field, its expiry (",E=seconds", mexpire.h).  This is the one
 * place that writes a stored message, and it writes only the encrypted
 * format of lib/mail/msgcrypt.h, sealed to the user's public key: there is
 * no way to store plaintext.
 *
 * Paths are relative to the working directory, which is the store (local
 * runs chrooted there).
 */
#ifndef POSTERN_MSTORE_H
#define POSTERN_MSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct mstore_result {
	bool temporary;		/* try again later (else: bounce) */
	const char *dsn;	/* "4.3.0", "5.2.2", ... */
	char text[256];
};

/* mstore_name_size - the plaintext size a stored file's name carries
 * (",S=bytes"), 0 if none. */
uint64_t mstore_name_size(const char *name);

/* mstore_mailbox_dir - "domain/user" of "user@domain" into out; -1 if
 * the name is not safe as a path. */
int mstore_mailbox_dir(const char *mailbox, char *out, size_t size);

/* mstore_folder_exists - whether the mailbox has folder name. */
bool mstore_folder_exists(const char *mailbox, const char *folder);

/* mstore_usage - bytes stored in every folder of the mailbox (the store
 * being the working directory). */
uint64_t mstore_usage(const char *mailbox);
/* mstore_usage_at - the same, for the store at root. */
uint64_t mstore_usage_at(const char *root, const char *mailbox);

/* mstore_new_name - a fresh unique file name for a message of size
 * plaintext bytes ("time.MusecPpidQn.host,S=size"). */
void mstore_new_name(uint64_t size, char *out, size_t len);

/*
 * mstore_quota / mstore_set_quota - the quota of a mailbox as local last
 * learned it from the users table (a file "postern-quota" in the mailbox
 * directory), for imapd and pop3d, which cannot read that table from
 * their jail.  0: none known.
 */
uint64_t mstore_quota(const char *mailbox);
void mstore_set_quota(const char *mailbox, uint64_t quota);

/*
 * mstore_deliver - store prefix (header lines we add) followed by len
 * bytes of src at off, into folder ("" for the inbox) of mailbox,
 * creating what is missing.  quota 0 means none.  0 with the stored
 * file's name in *r->text, or -1 with *r.
 */
int mstore_deliver(const char *mailbox, const char *folder,
    const uint8_t pk[32], const struct buf *prefix, int src, uint64_t off,
    uint64_t len, uint64_t quota, struct mstore_result *r);

/*
 * mstore_deliver_until - mstore_deliver for a message that expires at
 * expires (seconds since the epoch; 0: never): the file name carries
 * ",E=<expires>" and a due entry is recorded (mexpire.h) before the
 * message becomes visible in new/.
 */
int mstore_deliver_until(const char *mailbox, const char *folder,
    const uint8_t pk[32], const struct buf *prefix, int src, uint64_t off,
    uint64_t len, uint64_t quota, int64_t expires, struct mstore_result *r);

/* mstore_folder_name - the folder name IMAP shows for disk, a folder's
 * directory name without its leading dot ("Lists.Work" is "Lists/Work",
 * "%2E" a dot; "" is "INBOX"), into out. */
void mstore_folder_name(const char *disk, char *out, size_t size);

/* mstore_folder_dir - the directory of folder ("" for the inbox) of
 * mailbox, relative to the store; -1 if not usable as a path. */
int mstore_folder_dir(const char *mailbox, const char *folder, char *out,
    size_t size);

#endif
