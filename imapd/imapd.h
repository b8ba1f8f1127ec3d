/*
 * imapd.h - the IMAP server (RFC 3501, RFC 9051 and the extensions of
 * imapd(8)) over the encrypted mail store.
 *
 * One session per connection, driven by the stream's input callback.
 * Command lines and their literals are gathered into one buffer
 * (session.c), parsed by lib/mail/imap_parse, and dispatched through the
 * command table (commands.c) by state.  A selected folder is a per-session
 * view (view.c) of a folder index shared by every session of the process
 * (folder.c); the view holds only UIDs, so an idle session costs little.
 * Message contents are decrypted on demand (message.c), one message at
 * a time, and wiped at the end of the command.  Limits are the imapd_*
 * parameters of params.c.
 */
#ifndef POSTERN_IMAPD_H
#define POSTERN_IMAPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "mail/imap_parse.h"
#include "mail/imap_seqset.h"
#include "mail/mlogin.h"
#include "mail/sasl.h"
#include "mail/mime.h"
#include "mail/mindex.h"
#include "util/buf.h"
#include "util/stream.h"

/* Protocol states (RFC 3501 3). */
enum imap_state {
	ST_NOAUTH = 1,
	ST_AUTH = 2,
	ST_SELECTED = 4,
	ST_LOGOUT = 8,
};
#define ST_ANY	(ST_NOAUTH | ST_AUTH | ST_SELECTED)

/* What the input loop is doing. */
enum imap_mode {
	MODE_COMMAND,		/* reading command lines */
	MODE_LITERAL,		/* reading a literal's bytes */
	MODE_WAIT,		/* a command waits for another daemon */
	MODE_SASL,		/* AUTHENTICATE: reading a client response */
	MODE_IDLE,		/* IDLE: waiting for DONE */
	MODE_TLS,		/* handshake under way */
	MODE_CLOSING,
};

/* A folder index shared by the sessions of this process (folder.c). */
struct folder {
	char *path;		/* "domain/user/.Name" or "domain/user" */
	unsigned refs;
	struct mindex x;
	int64_t new_mtime_ns;	/* new/ when last synced */
	off_t log_size;		/* the index log when last refreshed */
	int wd, wd_log;		/* inotify watches of new/ and the log */
	bool watched, dirty;
	struct folder *next;
};

/* The selected folder as this session sees it (view.c). */
struct view {
	struct folder *f;
	char name[512];		/* as the client named it */
	bool readonly;
	uint32_t *uids;		/* sequence number i + 1 is uids[i] */
	size_t n, cap;
	uint32_t recent_from;	/* UIDs from here on are \Recent to us */
	uint64_t modseq_seen;	/* flag changes up to here were reported */
};

/* The decrypted message a command works on (message.c). */
struct message {
	uint32_t uid;		/* 0: none loaded */
	struct buf data;
	struct mime_message mime;
};

struct session {
	struct stream *s;
	enum imap_state state;
	enum imap_mode mode;
	char addr[64];
	bool loopback;
	bool tls;
	bool gone;		/* the client left while a reply was awaited */
	unsigned bad;		/* BAD responses in a row */
	uint64_t commands;

	/* The command being gathered (lines and literals). */
	struct buf cmd;
	uint64_t lit_left;	/* literal bytes still to read */
	unsigned n_literals;
	char tag[IMAP_TAG_MAX + 1];	/* of a suspended command */

	/* AUTHENTICATE in progress. */
	struct sasl_exchange sasl;

	/* After login: acc.user, the cryptd handle, the public key. */
	struct maccess acc;
	char mdir[512];		/* "domain/user" in the store */
	struct mlogin_count count;	/* imapd_user_connection_limit */

	/* ENABLEd (RFC 5161). */
	bool rev2;
	bool condstore;		/* also set by the first command using it */
	bool qresync;

	struct view *sel;
	bool reply_expunges;	/* the command may be answered with EXPUNGE
				   (RFC 3501 7.4.1) */
	struct fetch *fetch;	/* a FETCH waiting for the client to read */
	struct message msg;
	uint32_t *saved;	/* SEARCH RETURN (SAVE) result, UIDs */
	size_t n_saved;
	struct ev_timer *idle_timer;
	struct session *idle_next;
};

/* Spam filter training by COPY and MOVE (train.c). */
struct bayes_writer;
struct train {
	bool on;		/* this command trains */
	bool spam;		/* into Junk: spam; out of it: ham */
	bool broken;		/* the database could not be opened */
	struct bayes_writer *w;
	unsigned tried, learned, moved, known, failed, skipped;
};
/* train_start - whether copying from the selected folder to dst trains,
 * and as what (into Junk: spam; out of Junk: ham). */
void train_start(struct session *ss, const char *dst, struct train *t);
/* train_add - learn the stored message at path (bounded: the first
 * bayes_scan_limit bytes, at most spam_user_learning_limit messages);
 * failures are logged and counted, never returned. */
void train_add(struct session *ss, struct train *t, const char *path);
/* train_finish - commit (one rewrite per command) and log. */
void train_finish(struct session *ss, struct train *t);

/* The command table (commands.c). */
struct command;
typedef void command_fn(struct session *ss, struct imap_command *c,
    bool uid);
struct command {
	const char *name;
	command_fn *fn;
	unsigned states;	/* ST_* where it may run */
	bool uid;		/* may follow UID */
};
const struct command *command_find(const char *name);
void capability_text(struct session *ss, struct buf *out);

/* main.c */
extern SSL_CTX *imapd_tls_ctx;

/* session.c */
void session_accept(int fd);
/* tagged - "tag OK|NO|BAD text"; a BAD counts toward
 * imapd_bad_command_limit. */
void tagged(struct session *ss, const char *tag, const char *status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* untagged - "* text" */
void untagged(struct session *ss, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void session_write(struct session *ss, const void *p, size_t n);
void session_bye(struct session *ss, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* session_wait / session_resume - a command waits for another daemon */
void session_wait(struct session *ss, const char *tag);
/* session_resume - returns false if the client left meanwhile (and the
 * session is freed). */
bool session_resume(struct session *ss);
void session_set_mode(struct session *ss, enum imap_mode mode);
void session_logged_in(struct session *ss);

/* login.c: authd and cryptd */
void cmd_login(struct session *ss, struct imap_command *c, bool uid);
void cmd_authenticate(struct session *ss, struct imap_command *c, bool uid);
void cmd_starttls(struct session *ss, struct imap_command *c, bool uid);
void sasl_input(struct session *ss, const char *line, size_t len);
bool login_allowed(const struct session *ss);
/* keys_open - the content key of the stored message on fd, from cryptd;
 * 0, or -1 with *error_r. */
int keys_open(struct session *ss, int fd, uint8_t key[32],
    const char **error_r);
void login_end(struct session *ss);

/* folder.c */
/* folder_dir - the directory of IMAP folder name of the session's
 * mailbox; -1 if name is not a valid folder name. */
int folder_dir(const struct session *ss, const char *name, char *out,
    size_t size);
bool folder_is_inbox(const char *name);
struct folder *folder_get(const char *path, const char **error_r);
void folder_put(struct folder *f);
/* folder_sync - look for new mail and changes; true if any. */
bool folder_sync(struct folder *f);
/* folder_changed - f changed (a session of ours, or inotify): tell the
 * sessions idling on it (view.c). */
void folder_changed(struct folder *f);
/* folder_watch - have inotify report changes to f at once. */
void folder_watch(struct folder *f);
int folder_inotify_fd(void);
/* folder_make - a folder directory with tmp, new and cur. */
int folder_make(const char *dir);
/* folder_special - the special-use attribute of a name, or NULL. */
const char *folder_special(const char *name);
void folder_make_special(struct session *ss);
/* folder_list - every folder name of the mailbox (INBOX first);
 * returns the count, names in *names (free each and the array). */
size_t folder_list(const struct session *ss, char ***names);
uint64_t folder_quota_usage(const struct session *ss);
uint64_t folder_quota_limit(const struct session *ss);

/* mailbox.c */
void cmd_select(struct session *ss, struct imap_command *c, bool uid);
void cmd_create(struct session *ss, struct imap_command *c, bool uid);
void cmd_delete(struct session *ss, struct imap_command *c, bool uid);
void cmd_rename(struct session *ss, struct imap_command *c, bool uid);
void cmd_subscribe(struct session *ss, struct imap_command *c, bool uid);
void cmd_list(struct session *ss, struct imap_command *c, bool uid);
void cmd_status(struct session *ss, struct imap_command *c, bool uid);
void cmd_namespace(struct session *ss, struct imap_command *c, bool uid);
void cmd_setquota(struct session *, struct imap_command *, bool);
void cmd_getquota(struct session *ss, struct imap_command *c, bool uid);
/* mailbox_name - an astring argument as a folder name, UTF-8 (decoded
 * from modified UTF-7 unless IMAP4rev2 is enabled; INBOX in any case
 * becomes "INBOX"), into out; NULL if it is not a string, malformed or
 * too long. */
const char *mailbox_name(const struct session *ss, const struct imap_arg *a,
    char *out, size_t size);
/* name_coding - " (in modified UTF-7)" or " (in UTF-8)": what a BAD about
 * a name adds */
const char *name_coding(const struct session *ss);

/* view.c */
/* view_sync - report what changed since the last look; expunges only
 * when allowed (not during FETCH, STORE, SEARCH: RFC 3501 7.4.1). */
void view_sync(struct session *ss, bool expunges);
struct view *view_open(struct session *ss, struct folder *f,
    const char *name, bool readonly);
void view_close(struct session *ss);
/* view_msg - the index entry of sequence number seq (1-based), or NULL
 * when another session expunged it meanwhile. */
struct mindex_msg *view_msg(struct session *ss, uint32_t seq);
/* view_seq - the sequence number of uid, or 0. */
uint32_t view_seq(const struct view *v, uint32_t uid);
/* view_set - call fn for every message a set names (sequence numbers,
 * or UIDs when uid), in order. */
typedef int view_fn(struct session *ss, uint32_t seq, void *ctx);
/* view_set_check - -1 if a sequence set names numbers past the end. */
int view_set_check(struct session *ss, const struct imap_seqset *set,
    bool uid);
/* view_in_set - whether the message at index i is in the set. */
bool view_in_set(const struct view *v, const struct imap_seqset *set,
    bool uid, size_t i);
int view_set(struct session *ss, const struct imap_seqset *set, bool uid,
    view_fn *fn, void *ctx);
/* view_flags - "(\Seen \Recent $Junk)" */
void view_flags(struct session *ss, uint32_t seq, uint64_t flags,
    struct buf *out);
void cmd_noop(struct session *ss, struct imap_command *c, bool uid);
void cmd_close(struct session *ss, struct imap_command *c, bool uid);
void cmd_expunge(struct session *ss, struct imap_command *c, bool uid);
void cmd_idle(struct session *ss, struct imap_command *c, bool uid);
void idle_input(struct session *ss, const char *line, size_t len);
void idle_stop(struct session *ss);

/* message.c */
/* message_load - decrypt the message into ss->msg (parsed); 0, or -1
 * with *error_r. */
int message_load(struct session *ss, const struct mindex_msg *m,
    const char **error_r);
/* message_read_sealed - the plaintext of a file in the stored format
 * (postern-crypto(7)), at most max bytes, its content key opened by
 * cryptd; 0, or -1 with *error_r (out is then empty).  size: the
 * plaintext size if known (0 if not), so that out is allocated once; the
 * plaintext is never left behind in freed memory. */
int message_read_sealed(struct session *ss, int fd, size_t max,
    size_t size, struct buf *out, const char **error_r);
/* message_drop - wipe the decrypted message. */
void message_drop(struct session *ss);
uint64_t message_size(const struct mindex_msg *m);
int64_t message_date(struct session *ss, const struct mindex_msg *m);

/* cache.c: the encrypted ENVELOPE/BODY/BODYSTRUCTURE cache of a folder,
 * for one command.  An entry's strings stay valid until the next
 * cache_get. */
struct cache;
struct cache_entry {
	const char *envelope, *body, *bodystructure;
	size_t envelope_len, body_len, bodystructure_len;
};
struct cache *cache_begin(struct session *ss);
/* cache_get - m's entry, computed from the message when not cached; 0,
 * or -1 with *error_r. */
int cache_get(struct cache *c, const struct mindex_msg *m,
    struct cache_entry *e, const char **error_r);
/* cache_end - save what was computed (sealed), wipe, free. */
void cache_end(struct cache *c);

/* fetch.c, store.c, search.c */
void cmd_fetch(struct session *ss, struct imap_command *c, bool uid);
/* fetch_abort - the session ends in the middle of a FETCH. */
void fetch_abort(struct session *ss);
void cmd_store(struct session *ss, struct imap_command *c, bool uid);
void cmd_copy(struct session *ss, struct imap_command *c, bool uid);
void cmd_append(struct session *ss, struct imap_command *c, bool uid);
void cmd_search(struct session *ss, struct imap_command *c, bool uid);
/* search_select - the sequence numbers, in folder order, of the messages
 * the search keys at a match (a new array in *seqs); 0, or -1 with *why
 * when the keys do not parse.  *read_error: NULL, or why some messages
 * could not be read (they did not match). */
int search_select(struct session *ss, const struct imap_arg *a,
    uint32_t **seqs, size_t *n, const char **why, const char **read_error);

/* sort.c */
void cmd_sort(struct session *ss, struct imap_command *c, bool uid);
void cmd_thread(struct session *ss, struct imap_command *c, bool uid);
/* flags_parse - a flag list (or one flag) into bits; -1 on a bad flag.
 * Keywords are made in x when create is set. */
int flags_parse(struct mindex *x, const struct imap_arg *a, bool create,
    uint64_t *flags);

#endif
