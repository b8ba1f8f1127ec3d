/*
 * smtp.h - the outbound SMTP delivery agent; smtp(8), DESIGN 1 and 2.
 *
 * One delivery at a time per process (master.conf client_limit=1,
 * process_limit = how many at once), blocking I/O with a timeout on
 * every read and write, like Postfix smtp(8).  main.c talks to qmgr,
 * mx.c turns a next hop into addresses (and finds TLSA records),
 * conn.c moves bytes (plain or TLS) with deadlines, session.c speaks
 * SMTP and keeps one idle session for reuse.
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "mail/agent.h"
#include "util/buf.h"

#define SMTP_HOST_MAX	256

/* One recipient of one message, as qmgr asked (proto_local.h). */
struct smtp_job {
	struct agent_request req;	/* qid, sender, recipient, the file */
	const char *nexthop;	/* domain, host, [host], [host]:port */
	const char *body;	/* "7BIT", "8BITMIME", "BINARYMIME" */
	bool smtputf8;
	bool sign;		/* ours: DKIM-sign it (sign.c) */
	uint64_t arrival_us;
	/* DSN parameters (RFC 3461), NULL or 0 when not given */
	const char *ret;	/* "FULL" or "HDRS" */
	const char *envid;	/* decoded */
	const char *orcpt;	/* "rfc822;address", decoded */
	uint64_t notify;	/* SMTP_NOTIFY_* bits */
};

/* ORCPT is at most 500 characters decoded (RFC 3461 4.2), three times
 * that as xtext; NOTIFY and the names besides. */
#define SMTP_RCPT_PARAMS_MAX	1600

/* The outcome, for qmgr and the log line. */
struct smtp_result {
	int status;		/* IPC_OK, IPC_ETEMP, IPC_EFAIL */
	char dsn[16];
	char relay[SMTP_HOST_MAX + 96];	/* host[ip]:port, or "none" */
	char text[1024];
	unsigned dsn_relay;	/* AGENT_DSN_*, when sent */
};

/* A host to try: an MX host, or the next hop itself. */
struct smtp_addr {
	char host[SMTP_HOST_MAX];	/* name (or the literal address) */
	char ip[64];
	struct sockaddr_storage sa;
	socklen_t salen;
	unsigned port;
	bool dnssec;	/* host's name came from a validated MX answer, or
			 * is the next hop itself: its TLSA records count */
};

/* A usable TLSA record (RFC 6698 2.1, RFC 7672 3.1). */
#define SMTP_TLSA_MAX		8
#define SMTP_TLSA_DATA_MAX	2048
struct smtp_tlsa {
	uint8_t usage, selector, mtype;
	size_t len;
	uint8_t data[SMTP_TLSA_DATA_MAX];
};

/* TLS levels (smtp_tls_security_level, smtp_tls_policy_maps), as
 * params_smtp_tls_level numbers them. */
enum smtp_tls_level {
	SMTP_TLS_NONE,
	SMTP_TLS_MAY,
	SMTP_TLS_ENCRYPT,
	SMTP_TLS_VERIFY,
};

/* main.c: made before the jail */
extern SSL_CTX *smtp_tls_ctx;
extern bool smtp_dnssec;	/* smtp_dns_support_level = dnssec */

/*
 * mx.c: mx_resolve - the addresses to try for nexthop, best first, at
 * most max: "[host]:port" and "[host]" skip MX records; otherwise MX
 * records by preference (random order among equals), the name itself
 * when it has none (RFC 5321 5.1), each host's A then AAAA.  Returns
 * the count (> 0), or 0 with r set: a null MX (RFC 7505) or a name that
 * does not exist bounces, a DNS failure defers.
 */
size_t mx_resolve(const char *nexthop, struct smtp_addr *out, size_t max,
    struct smtp_result *r);
/*
 * mx_tlsa - the DANE TLSA records of a's host and port, when the answer
 * is validated (AD bit, smtp_dnssec): the usable ones (DANE-TA(2) and
 * DANE-EE(3), RFC 7672 3.1.3) into out, at most max.  Returns their
 * count; 0 when DANE does not apply (no records, or not validated);
 * -2 when validated records exist but none is usable (TLS is still
 * required, RFC 7672 2.2); -1 when the lookup failed.
 */
int mx_tlsa(const struct smtp_addr *a, struct smtp_tlsa *out, size_t max);
/* mx_domain - the host or domain part of a next hop, lower case. */
void mx_domain(const char *nexthop, char *out, size_t size);

/* conn.c: one connection with deadlines */
struct smtp_conn {
	int fd;
	SSL *ssl;
	struct buf in;		/* bytes read, not yet taken */
	struct buf out;		/* bytes queued by conn_put */
	struct smtp_addr addr;
	bool broken;		/* I/O failed: do not reuse */
	const char *error;	/* why the last call failed */
};

/* conn_now_ms - monotonic milliseconds, for deadlines. */
uint64_t conn_now_ms(void);
/* conn_open - TCP connection to a within timeout_s; NULL with *why. */
struct smtp_conn *conn_open(const struct smtp_addr *a, unsigned timeout_s,
    char *why, size_t size);
/* conn_put - queue bytes; conn_flush writes them all within timeout_s.
 * 0, or -1 with c->error ("timed out", "lost connection"). */
void conn_put(struct smtp_conn *c, const void *p, size_t n);
int conn_flush(struct smtp_conn *c, unsigned timeout_s)
	__attribute__((warn_unused_result));
/* conn_line - one line (without CRLF) into line, at most max bytes,
 * within timeout_s.  0, or -1 with c->error. */
int conn_line(struct smtp_conn *c, struct buf *line, size_t max,
    unsigned timeout_s) __attribute__((warn_unused_result));
/*
 * conn_starttls - TLS handshake as client.  name: the host's name, sent
 * as SNI unless it is an address.  With n_tlsa > 0 the certificate must
 * match one of the TLSA records (DANE, RFC 7672; the context must have
 * had SSL_CTX_dane_enable); else with verify it must carry name (or the
 * address) and chain to the context's roots.  0, or -1 with *why.
 */
int conn_starttls(struct smtp_conn *c, SSL_CTX *ctx, const char *name,
    bool verify, const struct smtp_tlsa *tlsa, size_t n_tlsa,
    unsigned timeout_s, char *why, size_t size);
void conn_close(struct smtp_conn **cp);

/* session.c */
/* smtp_result - set r's status, dsn and text (relay is left alone). */
void smtp_result(struct smtp_result *r, int status, const char *dsn,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* sign.c: sign_message - the DKIM-Signature fields for j's message into
 * out (none when it is not ours to sign, or its domain has no key); 0, or
 * -1 with *r set to defer it. */
int sign_message(const struct smtp_job *j, struct buf *out,
    struct smtp_result *r);
/* smtp_deliver - deliver j; *r is always set. */
void smtp_deliver(const struct smtp_job *j, struct smtp_result *r);
/* smtp_idle_close - QUIT the connection kept for reuse, if any. */
void smtp_idle_close(void);
/* smtp_policy_open - open smtp_tls_policy_maps (after the jail). */
void smtp_policy_open(void);

#endif
