/*
 * mindex.h - the per-folder index of the mail store: UIDVALIDITY, UIDs,
 * flags and MODSEQ (RFC 3501 2.3.1, RFC 7162), for imapd and pop3d.
 *
 * The index is an append-only log beside the folder's tmp/ new/ cur/
 * ("postern-index"), one record per line:
 *     I <uidvalidity>                      first line
 *     A <uid> <modseq> <flags> <name>      a message got its UID
 *     F <uid> <modseq> <flags>             its flags changed
 *     X <uid> <modseq>                     it was expunged
 *     K <index> <name>                     keyword <index> is <name>
 *     U <uidnext> <highestmodseq>          (compaction) at least these
 * Flags are a number: the system flags below, and bit 5 + k for keyword
 * k of the folder (RFC 3501 2.3.2; at most MINDEX_KEYWORDS_MAX).
 * Every change is one write() under an fcntl lock, so a process killed at
 * any moment leaves at most a torn last line, which readers ignore and the
 * next writer cuts off: no flag change is half-applied and no UID is ever
 * handed out twice (UIDNEXT is one past the highest UID ever logged).
 * Each session keeps its read offset and, with mindex_refresh, sees what
 * other sessions (and processes) appended since: that is how concurrent
 * sessions learn of new mail, flag changes and expunges.  Names are
 * Maildir base names (without ":2,"); the file stays in cur/ under it.
 *
 * When flag changes make the log more than twice as long as the state it
 * describes (and over MINDEX_COMPACT_MIN lines), the writer that holds the
 * lock rewrites it: I, K, U, one A per live message with its current
 * flags, and every X (QRESYNC needs them), into a new file that is
 * fsync'ed and renamed over the log.  Every index that takes the lock, or
 * refreshes, first checks that its file is still the one at the path and
 * reloads otherwise, so no change is ever appended to a dead file.
 * A kill at any moment leaves the old log or the new one, both whole.
 *
 * Not done yet: fsync of ordinary appends for power loss (kill -9 of any
 * process is covered without it).
 */
#ifndef POSTERN_MINDEX_H
#define POSTERN_MINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MINDEX_FILE	"postern-index"
#define MINDEX_COMPACT_MIN	1024	/* lines before a log is compacted */

/* System flags (\Recent is per session, not stored). */
#define MF_SEEN		1
#define MF_ANSWERED	2
#define MF_FLAGGED	4
#define MF_DELETED	8
#define MF_DRAFT	16
#define MF_SYSTEM	31
#define MF_KEYWORD(k)	((uint64_t)1 << (5 + (k)))
#define MINDEX_KEYWORDS_MAX	59
#define MINDEX_KEYWORD_LEN	64

struct mindex_msg {
	uint32_t uid;
	uint64_t modseq;
	uint64_t flags;
	char *name;
};

struct mindex {
	char *dir;		/* the folder */
	char *path;		/* its log */
	int fd;
	dev_t dev;		/* of the log fd is open on */
	ino_t ino;
	size_t lines;		/* records in that log */
	size_t n_x;		/* of which X records */
	off_t read_off;		/* log bytes this session has applied */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	struct mindex_msg *msgs;	/* live messages, by UID */
	size_t n, cap;
	char *keywords[MINDEX_KEYWORDS_MAX];
	size_t n_keywords;
	unsigned lock_depth;
	/* Expunges seen by mindex_refresh, for the caller to report. */
	uint32_t *expunged;
	size_t n_expunged;
};

/* mindex_open - open (creating) the index of folder dir.  0, or -1 with
 * *error_r. */
int mindex_open(struct mindex *x, const char *dir, const char **error_r);
void mindex_close(struct mindex *x);
/* mindex_refresh - apply records appended since the last look; returns
 * the number applied, or -1. */
int mindex_refresh(struct mindex *x);
/* mindex_sync_new - give UIDs to messages delivered into new/ (moved to
 * cur/); returns how many, or -1. */
int mindex_sync_new(struct mindex *x);
/* mindex_add - give a UID (with flags) to the file new/<name> and move
 * it to cur/; 0 with *uid, or -1. */
int mindex_add(struct mindex *x, const char *name, uint64_t flags,
    uint32_t *uid);
/* mindex_set_flags - store flags for uid; 0, or -1 (no such message). */
int mindex_set_flags(struct mindex *x, uint32_t uid, uint64_t flags);
/* mindex_keyword - the index of keyword name (len bytes), logging it if
 * it is new and create is set; -1 when unknown, or no room is left. */
int mindex_keyword(struct mindex *x, const char *name, size_t len,
    bool create);
/* mindex_lock / mindex_unlock - hold the log's lock across several
 * changes (one lock for a STORE of many messages); they nest. */
int mindex_lock(struct mindex *x);
void mindex_unlock(struct mindex *x);
/* mindex_expunge - remove uid (its file too); 0 or -1. */
int mindex_expunge(struct mindex *x, uint32_t uid);
/* mindex_find - the live message with uid, or NULL. */
struct mindex_msg *mindex_find(struct mindex *x, uint32_t uid);
/* mindex_expunged_since - the UIDs expunged with a MODSEQ above modseq
 * (QRESYNC, RFC 7162 3.2.5), read from the log; 0 with a new array in
 * *uids, or -1. */
int mindex_expunged_since(struct mindex *x, uint64_t modseq, uint32_t **uids,
    size_t *n);
/* mindex_stale - has a compaction replaced the log this index reads?
 * (mindex_refresh then reloads it.) */
bool mindex_stale(const struct mindex *x);
/* mindex_compact - rewrite the log now (it happens by itself when it is
 * long); 0 or -1. */
int mindex_compact(struct mindex *x);
/* mindex_path - "cur/<name>" of a message, in out. */
const char *mindex_path(const struct mindex_msg *m, char *out, size_t size);

#endif
