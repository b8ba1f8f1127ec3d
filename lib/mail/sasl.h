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

#endif
