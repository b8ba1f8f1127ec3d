/*
 * smtp_args.h - the arguments of MAIL and RCPT (RFC 5321 4.1.1.2-3) and
 * their ESMTP parameters: SIZE (RFC 1870), BODY (6152, 3030), SMTPUTF8
 * (6531), RET and ENVID, NOTIFY and ORCPT (3461).
 *
 * Every refusal comes with the reply smtpd sends: code, enhanced status
 * code (RFC 3463) and text.
 */
#ifndef POSTERN_SMTP_ARGS_H
#define POSTERN_SMTP_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "mail/addr.h"

struct smtp_reply {
	int code;
	const char *enh;
	const char *text;
};

enum smtp_body {
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME,
};

enum smtp_ret {
	SMTP_RET_DEFAULT,
	SMTP_RET_FULL,
	SMTP_RET_HDRS,
};

#define SMTP_NOTIFY_NEVER	1
#define SMTP_NOTIFY_SUCCESS	2
#define SMTP_NOTIFY_FAILURE	4
#define SMTP_NOTIFY_DELAY	8

#define SMTP_ENVID_MAX	100	/* RFC 3461 4.4 */
#define SMTP_ORCPT_MAX	500	/* RFC 3461 4.2 */

struct smtp_mail_args {
	struct mail_addr from;
	bool has_size;
	uint64_t size;
	enum smtp_body body;
	bool smtputf8;
	enum smtp_ret ret;
	char envid[SMTP_ENVID_MAX + 1];	/* xtext decoded; "" if none */
};

struct smtp_rcpt_args {
	struct mail_addr to;
	unsigned notify;		/* SMTP_NOTIFY_* bits, 0: default */
	char orcpt[SMTP_ORCPT_MAX + 1];	/* "type;address", decoded */
};

/*
 * smtp_parse_mail - args is what follows "MAIL" ("FROM:<a@b> SIZE=10").
 * utf8 is whether the session may use SMTPUTF8.  0, or -1 with *r set.
 */
int smtp_parse_mail(const char *args, bool utf8, struct smtp_mail_args *m,
    struct smtp_reply *r) __attribute__((warn_unused_result));
/* smtp_parse_rcpt - args follows "RCPT" ("TO:<a@b> NOTIFY=NEVER"). */
int smtp_parse_rcpt(const char *args, bool utf8, struct smtp_rcpt_args *m,
    struct smtp_reply *r) __attribute__((warn_unused_result));
/* smtp_xtext_decode - RFC 3461 4 xtext into out; 0, or -1 if invalid
 * or longer than max. */
int smtp_xtext_decode(const char *in, char *out, size_t max)
	__attribute__((warn_unused_result));
/* smtp_xtext_encode - in as RFC 3461 4 xtext ("+HH" for '+', '=' and
 * bytes outside 33..126) into out of size bytes; 0, or -1 if it does
 * not fit. */
int smtp_xtext_encode(const char *in, char *out, size_t size)
	__attribute__((warn_unused_result));
/* smtp_notify_text - NOTIFY bits as the parameter's value
 * ("SUCCESS,FAILURE"); "" for 0. */
void smtp_notify_text(unsigned bits, char *out, size_t size);

#endif
