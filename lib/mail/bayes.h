/*
 * bayes.h - the Bayesian spam classifier (Robinson's f(w) and Fisher's
 * chi-square combining, as SpamBayes and bogofilter): token databases,
 * training and classification.
 *
 * A database is one file: a 64-byte header, the tokens as (64-bit hash,
 * spam count, ham count) sorted by hash, then the messages learned as
 * (64-bit id, sequence, class) sorted by id.  It holds no text, only
 * hashes and counts (tokens: lib/mail/bayes_tok.h).  Numbers are in host
 * byte order: the file belongs to this host's store.  Readers map it and
 * binary-search, without locks; a trainer takes the lock file (PATH.lock),
 * writes PATH.tmp, fsyncs it and renames it over PATH, so a reader sees
 * the old or the new file, and a crash leaves one of them.
 *
 * Each message counts once per token (document frequency), and once in
 * the database: its id (the hash of its Message-ID, or of its bytes when
 * it has none) is kept, so learning it again as the same class does
 * nothing, and as the other class moves its counts.
 *
 * Settings (lib/mail/params.c): bayes_min_spam, bayes_min_ham,
 * bayes_scan_limit, bayes_token_limit, bayes_learned_limit.
 */
#ifndef POSTERN_BAYES_H
#define POSTERN_BAYES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file name of a user's database, in the mailbox directory. */
#define BAYES_USER_FILE	"bayes"
/* The site database, under the store root. */
#define BAYES_SITE_FILE	".postern/bayes"

/* Robinson's constants and the combining limits. */
#define BAYES_S			1.0	/* strength of the prior */
#define BAYES_X			0.5	/* the prior: unknown words */
#define BAYES_MIN_DEV		0.1	/* |f - 0.5| below: ignored */
#define BAYES_MAX_DISCRIM	150	/* most interesting tokens used */

struct bayes_db;

/*
 * bayes_open - a read-only snapshot of the database at path (a missing
 * file is an empty database).  0, or -1 with errno (EINVAL: not a
 * database, or a damaged one).  The snapshot stays valid while trainers
 * replace the file.
 */
int bayes_open(const char *path, struct bayes_db **out);
void bayes_close(struct bayes_db **db);

/* bayes_nspam, bayes_nham - messages learned of each class;
 * bayes_ntokens - distinct tokens held. */
uint32_t bayes_nspam(const struct bayes_db *db);
uint32_t bayes_nham(const struct bayes_db *db);
uint32_t bayes_ntokens(const struct bayes_db *db);

/* What bayes_classify_ex found. */
struct bayes_verdict {
	double prob;		/* as bayes_classify */
	size_t tokens;		/* distinct tokens of the message */
	size_t used;		/* of those, taken into the combination */
};

/*
 * bayes_classify - the Robinson-Fisher spam probability in [0,1] of msg
 * (RFC 5322 bytes, CRLF or LF; at most bayes_scan_limit bytes are read):
 * near 1 spam, near 0 ham, 0.5 when nothing in it is telling.  -1 when
 * the database has learned fewer than bayes_min_spam spam or
 * bayes_min_ham ham messages (too few to judge).
 */
double bayes_classify(const struct bayes_db *db, const char *msg,
    size_t len);
/* bayes_classify_ex - the same, with the token counts in *v. */
double bayes_classify_ex(const struct bayes_db *db, const char *msg,
    size_t len, struct bayes_verdict *v);

/* bayes_fisher - Robinson's indicator I = (1 + H - S) / 2 of n
 * probabilities (exposed for the unit tests). */
double bayes_fisher(const double *f, size_t n);

/*
 * Training.  A writer holds the lock from begin to commit or abort, so
 * many messages cost one rewrite (postern spam train).
 */
struct bayes_writer;

enum bayes_learn {
	BAYES_LEARNED = 0,	/* new message, counted */
	BAYES_KNOWN = 1,	/* learned before as this class: nothing */
	BAYES_MOVED = 2,	/* learned before as the other class: moved */
};

/* bayes_write_begin - lock the database at path (creating it, and its
 * directory, if missing) and read it.  0, or -1 with errno.  bayes_
 * write_try_begin does not wait for another trainer: -1 with
 * EWOULDBLOCK if one holds the lock (for event-driven servers, where a
 * wait would stall every session of the process). */
int bayes_write_begin(const char *path, struct bayes_writer **out);
int bayes_write_try_begin(const char *path, struct bayes_writer **out);
/* bayes_write_learn - learn msg as spam (true) or ham; an enum
 * bayes_learn. */
int bayes_write_learn(struct bayes_writer *w, const char *msg, size_t len,
    bool spam);
/* bayes_write_commit - write the new file (dropping the rarest tokens
 * beyond bayes_token_limit), fsync, rename, unlock, free.  0, or -1 with
 * errno (the old file is left as it was). */
int bayes_write_commit(struct bayes_writer **w);
/* bayes_write_abort - unlock and free, changing nothing. */
void bayes_write_abort(struct bayes_writer **w);

/*
 * bayes_train - learn one message as spam or ham into the database at
 * path (begin, learn, commit).  An enum bayes_learn, or -1 with errno.
 */
int bayes_train(const char *path, const char *msg, size_t len, bool spam);

/*
 * bayes_site_path / bayes_user_path - the site database, and the
 * database of mailbox ("user@domain") in its mailbox directory, under
 * the store at root (NULL: the working directory, which is the store in
 * local and imapd).  0, or -1 when the name is not safe as a path or
 * does not fit.
 */
int bayes_site_path(const char *root, char *out, size_t size);
int bayes_user_path(const char *root, const char *mailbox, char *out,
    size_t size);

#endif
