/*
 * pop3d.h - the POP3 server (RFC 1939, 2449, 2595, 5034, 3206)
 *
 * One process serves up to client_limit sessions from one event loop.
 * A session is a state machine: AUTHORIZATION (USER/PASS, AUTH PLAIN,
 * STLS, CAPA), TRANSACTION over a locked snapshot of the user's INBOX
 * (STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP), and UPDATE at QUIT,
 * the only place a change reaches the store.
 */
#ifndef POSTERN_POP3D_H
#define POSTERN_POP3D_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "mail/mindex.h"
#include "mail/mlogin.h"
#include "mail/msgcrypt.h"
#include "mail/sasl.h"
#include "util/stream.h"

/* RETR and TOP write at most this much ahead of the client's reading. */
#define RETR_HIGH	(256 * 1024)
#define RETR_LOW	(64 * 1024)

enum pop3_state {
	ST_AUTH = 1,		/* AUTHORIZATION */
	ST_TRANS = 2,		/* TRANSACTION */
};

enum pop3_mode {
	MODE_COMMAND,		/* reading command lines */
	MODE_SASL,		/* AUTH PLAIN: waiting for the response */
	MODE_WAIT,		/* authd or cryptd was asked; input held */
	MODE_SEND,		/* RETR/TOP in flight; input held */
	MODE_TLS,		/* STLS handshake */
	MODE_CLOSING,		/* -ERR or +OK said; closing */
};

/* One message of the maildrop, as it was when the session began. */
struct pop3_msg {
	uint32_t uid;
	uint64_t size;		/* octets RETR sends, before dot-stuffing */
	char *name;		/* the file in cur/ */
	bool deleted;		/* DELE; undone by RSET */
	bool retrieved;		/* RETR: \Seen at UPDATE */
};

/* A RETR or TOP being sent (retr.c). */
struct retr;

struct session {
	struct stream *s;
	enum pop3_state state;
	enum pop3_mode mode;
	char addr[64];
	bool loopback;
	bool tls;
	bool gone;		/* the client left while authd or cryptd was
				   asked: freed when the answer comes */
	unsigned bad;		/* -ERR for bad commands, in a row */
	uint64_t commands;

	char *user;		/* USER, until PASS */
	struct maccess acc;
	struct mlogin_count count;	/* pop3d_user_connection_limit */

	/* TRANSACTION: the maildrop (maildrop.c). */
	char *mdir;		/* "domain/user" in the store */
	int lock_fd;		/* flock'ed: one POP3 session per maildrop */
	struct mindex x;
	bool x_open;
	struct pop3_msg *msgs;
	size_t n_msgs;
	struct retr *retr;
};

extern SSL_CTX *pop3d_tls_ctx;

/* session.c */
void session_accept(int fd);
/* ok / err - "+OK text" / "-ERR text"; err counts toward
 * pop3d_bad_command_limit when bad is set. */
void ok(struct session *ss, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err(struct session *ss, bool bad, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* session_close - say the last line (already queued) and hang up */
void session_close(struct session *ss);
/* session_resume - input again after a wait; false if the client left
 * meanwhile (the session is then freed). */
bool session_resume(struct session *ss);

/* auth.c: CAPA, STLS, USER, PASS, AUTH */
void capa(struct session *ss);
void cmd_capa(struct session *ss, char *arg);
void cmd_stls(struct session *ss, char *arg);
void cmd_user(struct session *ss, char *arg);
void cmd_pass(struct session *ss, char *arg);
void cmd_auth(struct session *ss, char *arg);
void cmd_apop(struct session *ss, char *arg);
void sasl_input(struct session *ss, const char *line, size_t len);
void auth_end(struct session *ss);

/* maildrop.c: the locked INBOX */
/* maildrop_open - lock and list the user's INBOX; 0, or -1 having
 * answered -ERR. */
int maildrop_open(struct session *ss);
/* maildrop_update - the UPDATE state: expunge what was deleted, mark
 * what was retrieved \Seen; 0, or -1 (logged; nothing was lost). */
int maildrop_update(struct session *ss);
void maildrop_close(struct session *ss);
/* maildrop_msg - message number arg (1-based, not deleted), or NULL
 * having answered -ERR. */
struct pop3_msg *maildrop_msg(struct session *ss, const char *arg);
void cmd_stat(struct session *ss, char *arg);
void cmd_list(struct session *ss, char *arg);
void cmd_uidl(struct session *ss, char *arg);
void cmd_dele(struct session *ss, char *arg);
void cmd_rset(struct session *ss, char *arg);

/* retr.c: RETR and TOP */
void cmd_retr(struct session *ss, char *arg);
void cmd_top(struct session *ss, char *arg);
void retr_abort(struct session *ss);

#endif
