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
 * Every change is one write() under an fcntl lock, so a process killed at
 * any moment leaves at most a torn last line, which readers ignore and the
 * next writer cuts off: no flag change is half-applied and no UID is ever
 * handed out twice (UIDNEXT is one past the highest UID ever logged).
 * Each session keeps its read offset and, with mindex_refresh, sees what
 * other sessions (and processes) appended since: that is how concurrent
 * sessions learn of new mail, flag changes and expunges.  Names are
 * Maildir base names (without ":2,"); the file stays in cur/ under it.
 *
 * Not done yet: compaction of a long log (rewrite + rename), and fsync
 * for power loss (kill -9 of any process is covered without it).
 */
#ifndef POSTERN_MINDEX_H
#define POSTERN_MINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MINDEX_FILE	"postern-index"

/* System flags (\Recent is per session, not stored). */
#define MF_SEEN		1
#define MF_ANSWERED	2
#define MF_FLAGGED	4
#define MF_DELETED	8
#define MF_DRAFT	16
#define MF_ALL		31

struct mindex_msg {
	uint32_t uid;
	uint64_t modseq;
	unsigned flags;
	char *name;
};

struct mindex {
	char *dir;		/* the folder */
	int fd;
	off_t read_off;		/* log bytes this session has applied */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	struct mindex_msg *msgs;	/* live messages, by UID */
	size_t n, cap;
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
/* mindex_set_flags - store flags for uid; 0, or -1 (no such message). */
int mindex_set_flags(struct mindex *x, uint32_t uid, unsigned flags);
/* mindex_expunge - remove uid (its file too); 0 or -1. */
int mindex_expunge(struct mindex *x, uint32_t uid);
/* mindex_find - the live message with uid, or NULL. */
struct mindex_msg *mindex_find(struct mindex *x, uint32_t uid);
/* mindex_path - "cur/<name>" of a message, in out. */
const char *mindex_path(const struct mindex_msg *m, char *out, size_t size);

#endif
