/*
 * smtpd.h - the SMTP server (RFC 5321) and its extensions; smtpd(8).
 *
 * One session per connection, driven by the stream's input callback:
 * in command mode whole lines are parsed and dispatched through the
 * command table (cmds.c), replies queue up in order (PIPELINING falls
 * out of that), and in DATA or BDAT mode raw bytes go through data.c
 * into the queue file.  Limits are the smtpd_* parameters of params.c.
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <openssl/ssl.h>

#include "mail/dkimv.h"
#include "mail/dmarc.h"
#include "mail/hdrdrop.h"
#include "mail/mlogin.h"
#include "mail/queue.h"
#include "mail/resolve.h"
#include "mail/sasl.h"
#include "mail/smtp_args.h"
#include "mail/spamscore.h"
#include "mail/spf.h"
#include "util/stream.h"
#include "util/workq.h"

enum smtpd_mode {
	MODE_GREETING,		/* waiting out smtpd_greeting_delay */
	MODE_COMMAND,
	MODE_DATA,		/* after 354, until CRLF.CRLF */
	MODE_BDAT,		/* inside a BDAT chunk */
	MODE_TLS,		/* handshake under way */
	MODE_COMMIT,		/* the message is being made durable */
	MODE_CHECK,		/* SPF or authd is being asked */
	MODE_SASL,		/* AUTH: waiting for a client response */
	MODE_CLOSING,
};

/* Per-command counters for the disconnect line. */
enum smtpd_counter {
	CNT_EHLO, CNT_HELO, CNT_STARTTLS, CNT_MAIL, CNT_RCPT, CNT_DATA,
	CNT_BDAT, CNT_RSET, CNT_NOOP, CNT_VRFY, CNT_HELP, CNT_QUIT,
	CNT_XCLIENT, CNT_AUTH, CNT_UNKNOWN, CNT_MAX,
};

/* A queue file handed to a commit thread (commit.c). */
struct commit {
	struct workq_job job;		/* first: the job is the commit */
	struct queue_new *q;
	int rc, err;			/* queue_new_commit's result, errno */
	void (*done)(struct commit *);	/* runs in the loop afterwards */
	void *ctx;
};

/* An SPF check of MAIL FROM, run on a worker thread (sender.c). */
struct sender_job {
	struct workq_job job;		/* first: the job is the check */
	struct session *ss;
	char ip[64], helo[256], from[ADDR_PATH_MAX + 1];
	enum spf_result result;
	char why[256];
	bool helo_check;		/* also the HELO name (RFC 7208 2.3) */
	enum spf_result helo_result;
};

/* What the milters made of a message (milter.c), decided on the worker
 * thread, applied in the loop. */
#define SMTPD_HEAD_ROOM_MAX	8000	/* smtpd_head_room's maximum */
enum milter_verdict {
	MILTER_V_CONTINUE,		/* queue it (accept, continue) */
	MILTER_V_REJECT,		/* 5xx */
	MILTER_V_TEMPFAIL,		/* 4xx */
	MILTER_V_DISCARD,		/* 250, and nothing queued */
};
struct milter_result {
	enum milter_verdict verdict;
	char who[128];			/* the milter that decided */
	int code;			/* REPLYCODE's, or 0: the default */
	char enh[16], text[256];	/* ... its enhanced code and text */
	bool failed;			/* verdict by milter_default_action */
	char why[256];			/* ... and why: the failure */
	char quarantine[256];		/* "": not asked for */
	size_t head_len;		/* header fields to add, CRLF ends */
	char head[SMTPD_HEAD_ROOM_MAX];
};

/* The end-of-message checks, run on a worker thread (verify.c). */
#define VERIFY_SIGS_MAX	50	/* smtpd_dkim_signature_limit's maximum */
struct verify_job {
	struct workq_job job;		/* first: the job is the check */
	struct session *ss;
	struct dkimv_sig sigs[VERIFY_SIGS_MAX];
	size_t n_sigs;
	bool dkim_error;		/* the verifier could not run */
	struct dmarc_verdict dmarc;
	bool spam_done;			/* scored (spam.c) */
	struct spam_verdict spam;
	char spam_text[512];		/* the Y record */
	char spam_lists[2 * 256 + 16];	/* which DNS lists hit, for the log */
	struct milter_result milter;
};

struct smtpd_rcpt {
	char *address;
	char orcpt[SMTP_ORCPT_MAX + 1];
	unsigned notify;
};

/* DATA end-of-message scanner state (data.c). */
enum data_state { DS_BOL, DS_DOT, DS_DOTCR, DS_TEXT, DS_CR };

struct session {
	struct stream *s;
	enum smtpd_mode mode;
	char addr[64];			/* client IP, text (XCLIENT's) */
	char conn_addr[64];		/* the connection's peer */
	bool xclient_ok;		/* on smtpd_xclient_networks */
	char helo[256];			/* "" before HELO/EHLO */
	bool spf_helo_known;		/* spf_helo is the name's result */
	enum spf_result spf_helo;	/* smtpd_spf_helo */
	bool esmtp;
	bool tls;
	bool anvil_counted;
	struct ev_timer *greet_timer;		/* told master of this connection */
	struct timeval start;
	unsigned errors;
	unsigned junk;			/* commands since the last MAIL */
	unsigned count_ok[CNT_MAX], count_all[CNT_MAX];
	unsigned messages;

	/* AUTH (submission). */
	struct maccess acc;		/* while authd is asked */
	char auth_user[ADDR_PATH_MAX + 1];	/* "" until AUTH succeeds */
	struct sasl_exchange sasl;	/* AUTH in progress */
	unsigned from_fields;		/* From: fields in the message */
	char from_addr[ADDR_PATH_MAX + 1];	/* ... the last one's address */
	char from_domain[256];		/* ... its domain, lower case */
	unsigned dkim_fields;		/* DKIM-Signature fields */
	struct verify_job *verify;	/* at the end of the message */

	/* The transaction. */
	bool in_mail;
	struct sender_job check;	/* MODE_CHECK */
	enum spf_result spf;
	struct smtp_mail_args mail;
	struct smtpd_rcpt *rcpts;
	size_t n_rcpts;

	/* The message being received. */
	bool q_open;
	struct queue_new q;
	int q_errno;			/* first write error; 0: none */
	bool q_toobig;
	bool bare_eol;			/* bare CR or LF seen (DATA) */
	struct hdrdrop hd;		/* forged Authentication-Results out */
	enum data_state ds;
	uint64_t bytes;			/* message bytes after the header */
	uint64_t chunk_left;		/* BDAT: bytes still to come */
	bool chunk_last;
	bool chunk_failed;		/* BDAT after an error: skip it */
	struct smtp_reply chunk_reply;	/* what to answer at chunk end */
	struct commit commit;
	const char *commit_verb;	/* "DATA" or "BDAT" */
	bool gone;			/* the client left during a commit */
};

/* main.c */
extern SSL_CTX *smtpd_tls_ctx;
extern struct resolver smtpd_resolver;

/* session.c */
void session_accept(int fd);
/* reply - one reply line; code >= 400 counts as an error, and reaching
 * smtpd_error_limit ends the session with 421. */
void reply(struct session *ss, int code, const char *enh, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
void reply_r(struct session *ss, const struct smtp_reply *r);
/* reply_more - a continuation line ("250-...") of a multi-line reply. */
void reply_more(struct session *ss, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void session_reset(struct session *ss);	/* end the transaction */
void session_helo(struct session *ss, const char *name); /* "": forget */
void session_quit(struct session *ss);	/* flush, then close */
void session_set_mode(struct session *ss, enum smtpd_mode mode);
void session_free(struct session *ss);

/* auth.c */
bool auth_offered(const struct session *ss);
void cmd_auth(struct session *ss, char *args);
void auth_input(struct session *ss, char *line, size_t len);
/* auth_sender_ok - on a submission service, MAIL FROM needs AUTH and
 * the user's own address: 0, or -1 having replied. */
int auth_sender_ok(struct session *ss);
/* auth_header_ok - at the end of the message, on submission: exactly
 * one From:, the user's own (verify_see_field counted); 0, or -1
 * having replied 553. */
int auth_header_ok(struct session *ss);

/* sender.c */
void sender_init(unsigned threads);
bool sender_xclient_allowed(const char *addr);
/* sender_in_networks - addr is in the "a.b.c.d/n, ..." list (IPv4) */
bool sender_in_networks(const char *addr, const char *networks);

/* greylist.c: 0 the recipient may go on, -1 deferred (replied 451) */
int greylist_rcpt(struct session *ss, const char *rcpt);
/* outbound.c */
/* outbound_rcpt - a logged-in user's recipient in another domain: 0 to
 * accept it, or -1 after refusing it (outbound_*_rate_limit). */
int outbound_rcpt(struct session *ss, const char *rcpt, const char *domain);
void cmd_xclient(struct session *ss, char *args);
/* sender_check_mail - MAIL FROM parsed: check SPF off the loop, then
 * answer (mail_accepted, or a refusal by setting). */
void sender_check_mail(struct session *ss);
/* sender_submit - a job for the DNS worker threads */
void sender_submit(struct workq_job *j);

/* verify.c */
/* verify_begin - the queue file is open: keep head room, watch fields */
void verify_begin(struct session *ss);
/* verify_see_field - each header field as it streams in */
void verify_see_field(void *ctx, const char *f, size_t n);
/* verify_message - the message is complete and acceptable so far:
 * DKIM, DMARC off the loop, then the verdict, the
 * Authentication-Results field and commit_message (or a refusal). */
void verify_message(struct session *ss);

/* spam.c: scoring mail from outside at the end of DATA */
/* spam_wanted - whether this session's messages are scored */
bool spam_wanted(const struct session *ss);
/* spam_work - on the worker thread, after DKIM and DMARC */
void spam_work(struct verify_job *c);
/* spam_apply - in the loop: -1 refused (the reply is queued), else 0 with
 * the Y record in *h and any warning field appended to fields */
int spam_apply(struct session *ss, struct verify_job *c, struct buf *fields,
    struct qfile_head *h);
/* milter.c: every milter sees the whole message at the end of DATA */
/* milter_setup - check smtpd_milters and milter_default_action (fatal
 * when wrong), before the jail. */
void milter_setup(void);
/* milter_enabled - whether any milter is configured */
bool milter_enabled(void);
/* milter_work - on the worker thread: run each milter's whole session
 * for the message of ss, reading it back from the queue file; *r is
 * the outcome.  Touches only what the paused session holds. */
void milter_work(struct session *ss, struct milter_result *r);
/* milter_job - a verify_job's work when only the milters are to run
 * (mail from our own authenticated users) */
void milter_job(struct workq_job *j);
/*
 * milter_checked - in the loop: apply r.  A reject, tempfail or discard
 * is answered here (discard: 250, the queue file is dropped by the
 * caller's reset) and -1 returned; else 0, and *junk is set to the
 * quarantine reason if a milter asked for one and *junk was NULL.
 */
int milter_checked(struct session *ss, const struct milter_result *r,
    const char **junk);

/* cmds.c */
/* mail_accepted - MAIL FROM passed every check: 250, the transaction
 * is open. */
void mail_accepted(struct session *ss);
/* cmd_dispatch - one command line; *ok_r: whether it succeeded. */
void cmd_dispatch(struct session *ss, char *line, size_t len);

/* data.c */
/* data_begin - open the queue file for the transaction; 0, or -1 after
 * replying with the reason. */
int data_begin(struct session *ss, const char *verb);
/* data_input - DATA bytes; returns true at end of message (replied). */
bool data_input(struct session *ss, const uint8_t *p, size_t n,
    size_t *used);
/* bdat_input - chunk bytes; returns true at the end of the chunk. */
bool bdat_input(struct session *ss, const uint8_t *p, size_t n,
    size_t *used);
/* data_abort - drop an unfinished message (disconnect, RSET). */
void data_abort(struct session *ss);
/* commit_message - make the message durable, then answer 250 */
void commit_message(struct session *ss);

/* commit.c */
void commit_init(unsigned threads);
void commit_submit(struct commit *c);

/* anvil.c: per client address limits, counted by master */
/* anvil_admit - 0 to go on, or -1 after refusing the client. */
int anvil_admit(struct session *ss);
void anvil_done(struct session *ss);

#endif
