/*
 * sasl.h - the client side of SASL PLAIN (RFC 4616) and LOGIN, decoded
 * for authd.  smtpd, imapd and pop3d carry the exchange; what reaches
 * authd is a user and a password.
 */
#ifndef POSTERN_SASL_H
#define POSTERN_SASL_H

#include <stddef.h>

#define SASL_MAX	1024	/* decoded response, user, password */

struct sasl_creds {
	char user[SASL_MAX + 1];
	char password[SASL_MAX + 1];
	size_t password_len;
};

/*
 * sasl_plain - decode a base64 PLAIN response ("authzid\0authcid\0passwd").
 * An authzid other than empty or the authcid is refused (no proxy
 * logins).  0, or -1 with *error_r.
 */
int sasl_plain(const char *b64, struct sasl_creds *c, const char **error_r)
	__attribute__((warn_unused_result));
/* sasl_login_part - decode one base64 LOGIN answer (user or password). */
int sasl_login_part(const char *b64, char *out, size_t *len,
    const char **error_r) __attribute__((warn_unused_result));
/* sasl_wipe - clear the credentials. */
void sasl_wipe(struct sasl_creds *c);

/*
 * One AUTHENTICATE/AUTH exchange, PLAIN or LOGIN, whatever the protocol
 * around it: sasl_step takes each base64 client response ("*" cancels,
 * "=" is PLAIN's empty initial response) and says what comes next.
 */
struct sasl_exchange {
	char mech;		/* 'P' PLAIN, 'L' LOGIN */
	char *user;		/* LOGIN: the name, until the password */
};

enum sasl_step {
	SASL_DONE,		/* *c holds user and password: wipe it */
	SASL_PASSWORD,		/* LOGIN: prompt for the password */
	SASL_CANCEL,		/* the client sent "*" */
	SASL_BAD,		/* malformed: *error_r says how */
};

/* sasl_begin - mech "PLAIN" or "LOGIN" (case ignored); -1 otherwise. */
int sasl_begin(struct sasl_exchange *x, const char *mech);
enum sasl_step sasl_step(struct sasl_exchange *x, const char *b64,
    struct sasl_creds *c, const char **error_r);
/* sasl_end - forget the exchange (done, cancelled or abandoned). */
void sasl_end(struct sasl_exchange *x);

#endif
